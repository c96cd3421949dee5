"""The user's code, named by import strings (``package.module:callable``): the project
made importable, and the callables resolved and called with one-line errors (the digest
of their source, for the cache keys, is `pruning_pipeline.keys.code`'s). No torch here.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any, Callable

from .config import ConfigError


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


_IMPORTED: dict[str, str] = {}  # import string -> digest of the source this process imported


def _fresh(value: str) -> None:
    """Make the next import of ``value`` read the files as they are now: a long-lived
    process (`mkdocs serve`, a notebook) that imported the user's modules before an
    edit would otherwise train the old code under the new code's cache key."""
    from .keys.code import scan_user_code  # which files, read without importing them

    modules, digest = scan_user_code(value)
    if _IMPORTED.get(value) != digest:
        for name in modules:
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        _IMPORTED[value] = digest
