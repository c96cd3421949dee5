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


def _module_source(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    origin = getattr(spec, "origin", None)
    return Path(origin) if origin and origin.endswith(".py") else None


def _local_imports(file: Path, module: str, root: Path) -> set[str]:
    """Modules imported by ``file`` (anywhere in it) whose source lies under ``root``."""
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
            if _in_project(name.split(".")[0], root):  # checked first: finding a.b imports a
                source = _module_source(name)
                if source is not None and _is_project_file(source, root):
                    found.add(name)
    return found


def _is_project_file(path: Path, root: Path) -> bool:
    """Under the project folder and not an installed library (a virtualenv inside it)."""
    return root in path.parents and not {"site-packages", "dist-packages"} & set(path.parts)


def _in_project(top: str, root: Path) -> bool:
    if top in sys.builtin_module_names:
        return False
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: imports nothing
    except (ImportError, ValueError):
        return False
    places = [spec.origin] if spec and spec.origin else []
    places += list(spec.submodule_search_locations or []) if spec else []
    return any(_is_project_file(Path(place), root) for place in places)


def source_digest_of(value: str) -> str:
    """Digest of the module an import string names and of every module it imports from
    the same project folder, transitively: editing the model's file (or a helper beside
    it) retrains, editing an installed library does not."""
    project_on_path()
    module = value.partition(":")[0]
    first = _module_source(module)
    if first is None:
        return "unresolved"  # importing it will fail with its own message
    root = first.parent
    for _ in module.split(".")[1:]:  # the folder that holds the top-level package
        root = root.parent
    if first.name == "__init__.py":
        root = root.parent
    if not _is_project_file(first, root):  # an installed package: its own file only
        return hashlib.sha256(first.read_bytes()).hexdigest()[:16]
    digest, seen, todo = hashlib.sha256(), set(), [module]
    while todo:
        name = todo.pop()
        source = _module_source(name)
        if name in seen or source is None:
            continue
        seen.add(name)
        digest.update(name.encode() + b"\0" + source.read_bytes())
        todo += sorted(_local_imports(source, name, root))
    return digest.hexdigest()[:16]


def user_code_digest(config: Config) -> str:
    """Digest of the user's model and dataset source ("" for the built-in ones)."""
    parts = [source_digest_of(value) for value in (config.model, config.dataset) if is_import_string(value)]
    return ":".join(parts)
