"""Cache entries on disk: the only place the pipeline writes.

An entry is a directory ``<root>/<kind>/<key>/`` holding its files and ``entry.json``
(the key, the package version and the sha256 of every file). It is filled in a temporary
sibling directory and renamed into place only after success, so readers never see half
an entry; a concurrent writer that loses the race keeps the winner's entry. An entry
whose ``entry.json`` is missing, foreign or does not match its files is reported,
moved aside and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from .. import __version__

log = logging.getLogger(__name__)
ENTRY_FILE = "entry.json"
STAGING_MARK = "pid"  # staging directories are named .<key>-pid<writer pid>-<random>


def files_of(directory: Path) -> dict[str, bytes]:
    """The files of a run's directory (an entry's, without its ``entry.json``) by name:
    what a training job sends back, and what it is sent of the entry it needs."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())
            if path.is_file() and path.name != ENTRY_FILE}


def _writer_pid(name: str) -> int | None:
    """The writer's process id in a staging directory's name, or None if it has none."""
    tail = name.rpartition(f"-{STAGING_MARK}")[2]
    digits = tail.partition("-")[0]
    return int(digits) if digits.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        pass
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Cache:
    """Content-addressed, atomically written entries under one root directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def collect_staging(self) -> list[Path]:
        """Remove staging directories whose writer process is gone (killed mid-write);
        a live writer's are left alone. Returns what was removed."""
        removed = []
        for staging in self.root.glob(f"*/.*-{STAGING_MARK}*-*"):
            pid = _writer_pid(staging.name)
            if pid is not None and not _alive(pid):
                shutil.rmtree(staging, ignore_errors=True)
                removed.append(staging)
        return removed

    def remove_unused(self, used: set[tuple[str, str]], dry_run: bool = False) -> list[dict]:
        """Remove (or, with ``dry_run``, list) every entry whose (kind, key) is not in ``used``."""
        unused = [e for e in self.entries() if (e["kind"], e["key"]) not in used]
        if not dry_run:
            for entry in unused:
                self._discard(self.path(entry["kind"], entry["key"]))
        return unused

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def problem(self, kind: str, key: str) -> str | None:
        """Why the entry cannot be trusted, or None when it is complete and intact."""
        entry = self.path(kind, key)
        if not entry.exists():
            return "missing"
        try:
            meta = json.loads((entry / ENTRY_FILE).read_text())
        except (OSError, ValueError):
            return "partial (no readable entry.json)"
        if meta.get("key") != key or meta.get("kind") != kind or meta.get("version") != __version__:
            return "foreign (written for another key or package version)"
        for name, digest in meta.get("files", {}).items():
            file = entry / name
            if not file.is_file() or _sha256(file) != digest:
                return f"corrupt ({name} does not match its checksum)"
        return None

    def get(self, kind: str, key: str) -> Path | None:
        """The entry's directory if it is intact; a bad one is reported and set aside."""
        problem = self.problem(kind, key)
        if problem is None:
            return self.path(kind, key)
        if problem != "missing":
            log.warning("cache entry %s/%s is %s; recomputing", kind, key, problem)
            self._discard(self.path(kind, key))
        return None

    def put(self, kind: str, key: str, fill: Callable[[Path], None]) -> Path:
        """Create the entry: ``fill(tmpdir)`` writes the files, then one rename publishes it."""
        parent = self.root / kind
        parent.mkdir(parents=True, exist_ok=True)
        self.collect_staging()
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{key}-{STAGING_MARK}{os.getpid()}-"))
        try:
            fill(staging)
            files = {
                str(p.relative_to(staging)): _sha256(p) for p in sorted(staging.rglob("*")) if p.is_file()
            }
            meta = {"kind": kind, "key": key, "version": __version__, "files": files}
            (staging / ENTRY_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True))
            target = self.path(kind, key)
            for _ in range(3):
                try:
                    os.rename(staging, target)
                    return target
                except OSError:  # another run published first, or a bad entry sits there
                    if self.problem(kind, key) is None:
                        return target
                    self._discard(target)
            raise OSError(f"cannot publish cache entry {target}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _discard(self, entry: Path) -> None:
        """Move a bad entry out of the way (rename first, so it vanishes atomically)."""
        graveyard = Path(tempfile.mkdtemp(dir=entry.parent, prefix=".discard-"))
        try:
            os.rename(entry, graveyard / entry.name)
        except OSError:
            pass
        shutil.rmtree(graveyard, ignore_errors=True)

    def entries(self) -> list[dict]:
        """Every entry under the root with its kind, key, size and state, for ``info``."""
        found = []
        kinds = (p for p in self.root.glob("*") if p.is_dir() and p.name not in ("datasets",) and p.name[0] != ".")
        for kind_dir in sorted(kinds):
            for entry in sorted(p for p in kind_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
                size = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
                problem = self.problem(kind_dir.name, entry.name)
                found.append({"kind": kind_dir.name, "key": entry.name, "bytes": size, "state": problem or "ok"})
        return found
