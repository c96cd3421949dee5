"""The user's code, named by import strings (``package.module:callable``): resolving
them with one-line errors, and a digest of their source for the cache keys.

No torch here: a cache hit hashes the user's files without importing them.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any, Callable

from .config import Config, ConfigError, is_import_string


class UserCodeError(ConfigError):
    """The user's model or dataset cannot be imported, called or used; one line."""


_PROJECTS: list[str] = []  # folders this process made importable, for its subprocesses


def project_on_path(directory: str | os.PathLike | None = None) -> None:
    """Make the user's project importable, as ``python -m`` does for the current
    directory: ``mkdocs build`` does not put it on ``sys.path`` by itself."""
    path = str(Path(directory or os.getcwd()).resolve())
    if path not in _PROJECTS:
        _PROJECTS.append(path)
    if path not in sys.path:
        sys.path.insert(0, path)


def project_paths() -> list[str]:
    """The project folders made importable so far (a torchrun job gets them too)."""
    return list(_PROJECTS)


def resolve(option: str, value: str) -> Callable[..., Any]:
    """The callable an import string names, or `UserCodeError` saying why not."""
    project_on_path()
    _fresh(value)
    try:
        target = pkgutil.resolve_name(value)
    except (ImportError, AttributeError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserCodeError(f"invalid config: {option}={value!r} does not import ({type(error).__name__}: "
                            f"{reason}); expected package.module:callable importable from {os.getcwd()}") from None
    except Exception as error:  # the user's module raised while importing
        raise UserCodeError(f"invalid config: {option}={value!r}: importing it raised "
                            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}") from None
    if not callable(target):
        raise UserCodeError(f"invalid config: {option}={value!r} names a {type(target).__name__}, not a "
                            "callable; expected package.module:callable")
    return target


def call(option: str, value: str, kwargs: dict[str, Any]) -> Any:
    """``resolve(value)(**kwargs)``; an exception inside the user's callable is one line."""
    target = resolve(option, value)
    try:
        return target(**kwargs)
    except Exception as error:
        args = f" with {option}_args={kwargs!r}" if kwargs else ""
        raise UserCodeError(f"invalid config: {option}={value!r}{args} raised {type(error).__name__}: "
                            f"{str(error).splitlines()[0] if str(error) else ''}") from None


def _top_spec(top: str):
    """Where a top-level module lives; finding a top-level name imports nothing."""
    if top in sys.builtin_module_names:
        return None
    try:
        return importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None


def _module_file(name: str) -> Path | None:
    """The source file of a dotted module name, found on disk from its top-level
    package's location: nothing is imported (finding ``a.b`` by import machinery would
    run ``a/__init__.py``, the user's code)."""
    top, *rest = name.split(".")
    spec = _top_spec(top)
    if spec is None or not spec.origin:
        return None
    if spec.submodule_search_locations:  # a package
        base = Path(next(iter(spec.submodule_search_locations)))
        path = base.joinpath(*rest)
        for candidate in (path / "__init__.py", path.with_suffix(".py")):
            if candidate.is_file():
                return candidate
        return None
    return Path(spec.origin) if not rest and spec.origin.endswith(".py") else None


def _is_project_file(path: Path, root: Path) -> bool:
    """Under the project folder and not an installed library (a virtualenv inside it)."""
    return root in path.parents and not {"site-packages", "dist-packages"} & set(path.parts)


def imported_names(file: Path, module: str) -> set[str]:
    """Every module name ``file`` may import (anywhere in it; ``from a import b`` may
    name a module ``a.b``), relative imports resolved; parents of each name too."""
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(file.read_text(), str(file))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: max(len(package.split(".")) - node.level + 1, 0)]
                base = ".".join(anchor + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in filter(None, names):
            parts = name.split(".")
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return found


def user_modules(value: str) -> dict[str, Path]:
    """The module an import string names and every module of the same project folder
    it imports, transitively (with their parent packages), by name; installed libraries
    (also a virtualenv inside the project) are left out. Read with ``ast``, never run."""
    project_on_path()
    module = value.partition(":")[0]
    first = _module_file(module)
    if first is None:
        return {}
    root = first.parent
    for _ in module.split(".")[1:]:  # the folder that holds the top-level package
        root = root.parent
    if first.name == "__init__.py":
        root = root.parent
    if not _is_project_file(first, root):  # an installed package: its own file only
        return {module: first}
    found: dict[str, Path] = {}
    parts = module.split(".")
    todo = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        source = _module_file(name)
        if source is None or not _is_project_file(source, root):
            continue
        found[name] = source
        todo += sorted(imported_names(source, name) - set(found))
    return found


# (import string, its module's file) -> the modules behind it, their file stats, their digest
_SCANNED: dict[tuple[str, str], tuple[dict[str, Path], tuple, str]] = {}


def _stats(paths) -> tuple:
    try:
        return tuple((str(p), s.st_mtime_ns, s.st_size) for p, s in ((p, p.stat()) for p in paths))
    except OSError:
        return ()


def _scan(value: str) -> tuple[dict[str, Path], str]:
    """`user_modules` and their digest, read again only when one of their files changed
    (keys and imports ask for them many times a run; stat is cheaper than parsing)."""
    project_on_path()
    where = (value, str(_module_file(value.partition(":")[0])))  # the same name elsewhere is other code
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


def source_digest_of(value: str) -> str:
    """Digest of the user's modules behind an import string (`user_modules`): editing
    the model's file, or a helper of the project it imports, retrains; editing an
    installed library does not."""
    return _scan(value)[1]


_IMPORTED: dict[str, str] = {}  # import string -> digest of the source this process imported


def _fresh(value: str) -> None:
    """Make the next import of ``value`` read the files as they are now: a long-lived
    process (`mkdocs serve`, a notebook) that imported the user's modules before an
    edit would otherwise train the old code under the new code's cache key."""
    modules, digest = _scan(value)
    if _IMPORTED.get(value) != digest:
        for name in modules:
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        _IMPORTED[value] = digest


def user_code_digest(config: Config) -> str:
    """Digest of the user's model and dataset source ("" for the built-in ones)."""
    parts = [source_digest_of(value) for value in (config.model, config.dataset) if is_import_string(value)]
    return ":".join(parts)
