"""Digests of the source a cached result depends on: this package's modules that a
stage imports (`source_digest`), and the user's model and dataset modules behind their
import strings (`user_code_digest`). Computed from the imports, never listed by hand."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..config import Config, is_import_string
from ..imports import project_on_path
from .closure import import_closure, module_file

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = PACKAGE_ROOT.name


def _package_file(name: str) -> Path | None:
    """A module of this package, under `PACKAGE_ROOT` (a test may point it at a copy)."""
    return module_file(name, PACKAGE_ROOT.parent) if name.split(".")[0] == PACKAGE else None


def source_closure(module: str) -> list[str]:
    """``module`` and every module of this package it imports, transitively, sorted
    (also inside functions: a lazy import is still a dependency). A subpackage (a
    folder) stands for every module in it."""
    start = [module]
    file = _package_file(module)
    if file is not None and file.name == "__init__.py":
        start += [f"{module}.{sub.stem}" for sub in sorted(file.parent.glob("*.py")) if sub.stem != "__init__"]
    return sorted(import_closure(start, _package_file, lambda path: True))


def source_digest(module: str) -> str:
    """Digest of the source ``module`` (a module or a subpackage) depends on within this
    package: its import closure. An edited computation is then never served from the
    cache, while an edit elsewhere (a page's wording) keeps the entry."""
    digest = hashlib.sha256()
    for name in source_closure(module):
        digest.update(name.encode() + b"\0" + _package_file(name).read_bytes())
    return digest.hexdigest()[:16]


def _is_project_file(path: Path, root: Path) -> bool:
    """Under the project folder and not an installed library (a virtualenv inside it)."""
    return root in path.parents and not {"site-packages", "dist-packages"} & set(path.parts)


def user_modules(value: str) -> dict[str, Path]:
    """The module an import string names and every module of the same project folder
    it imports, transitively (with their parent packages), by name; installed libraries
    (also a virtualenv inside the project) are left out. Read with ``ast``, never run."""
    project_on_path()
    module = value.partition(":")[0]
    first = module_file(module)
    if first is None:
        return {}
    root = first.parents[len(module.split(".")) - (first.name != "__init__.py")]  # holds the top-level package
    if not _is_project_file(first, root):  # an installed package: its own file only
        return {module: first}
    return import_closure([module], module_file, lambda path: _is_project_file(path, root))


# (import string, its module's file) -> the modules behind it, their file stats, their digest
_SCANNED: dict[tuple[str, str], tuple[dict[str, Path], tuple, str]] = {}


def _stats(paths) -> tuple:
    try:
        return tuple((str(p), s.st_mtime_ns, s.st_size) for p, s in ((p, p.stat()) for p in paths))
    except OSError:
        return ()


def scan_user_code(value: str) -> tuple[dict[str, Path], str]:
    """`user_modules` and their digest, read again only when one of their files changed
    (keys and imports ask for them many times a run; stat is cheaper than parsing)."""
    project_on_path()
    where = (value, str(module_file(value.partition(":")[0])))  # the same name elsewhere is other code
    known = _SCANNED.get(where)
    if known is not None and known[1] and _stats(known[0].values()) == known[1]:
        return known[0], known[2]
    modules = user_modules(value)
    digest = hashlib.sha256()
    for name, path in sorted(modules.items()):
        digest.update(name.encode() + b"\0" + path.read_bytes())
    result = digest.hexdigest()[:16] if modules else "unresolved"  # unresolved: importing it fails
    _SCANNED[where] = (modules, _stats(modules.values()), result)
    return modules, result


def user_code_digest(config: Config) -> str:
    """Digest of the user's model and dataset source ("" for the built-in ones): editing
    the model's file, or a helper of the project it imports, retrains; editing an
    installed library does not."""
    return ":".join(scan_user_code(value)[1] for value in (config.model, config.dataset) if is_import_string(value))
