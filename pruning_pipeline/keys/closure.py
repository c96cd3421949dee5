"""Which source a module depends on, read with ``ast`` and never imported: the module
names a file may import, where a module's file lies, and one walker that follows the
imports from a start to every module a filter keeps. Pure apart from reading files."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from typing import Callable, Iterable


def _top_spec(top: str):
    """Where a top-level module lives; finding a top-level name imports nothing."""
    if top in sys.builtin_module_names:
        return None
    try:
        return importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None


def module_file(name: str, base: Path | None = None) -> Path | None:
    """The source file of a dotted module name, or None: under ``base`` (the folder that
    holds its top-level package) when given, else found from the top-level package's
    location. Nothing is imported (finding ``a.b`` by import machinery would run
    ``a/__init__.py``, the user's code)."""
    top, *rest = name.split(".")
    if base is not None:
        folder = base / top
    else:
        spec = _top_spec(top)
        if spec is None or not spec.origin:
            return None
        if not spec.submodule_search_locations:  # a single-file module
            return Path(spec.origin) if not rest and spec.origin.endswith(".py") else None
        folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder.joinpath(*rest)
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


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


def import_closure(start: Iterable[str], file_of: Callable[[str], Path | None],
                   keep: Callable[[Path], bool]) -> dict[str, Path]:
    """Every module reachable from ``start`` through imports, by name, with its file:
    ``file_of`` finds a module's file (None: not source to follow) and ``keep`` says
    whether a file belongs (this package, the user's project); the parent packages of
    each name count too, since importing ``a.b`` runs ``a``."""
    found: dict[str, Path] = {}
    todo = [".".join(name.split(".")[:i]) for name in start for i in range(1, len(name.split(".")) + 1)]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        file = file_of(name)
        if file is None or not keep(file):
            continue
        found[name] = file
        todo += sorted(imported_names(file, name) - set(found))
    return found
