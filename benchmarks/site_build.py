"""How the benchmarks start a strict ``mkdocs build`` of the site in a process of its
own (shared by bench_cold_build, bench_warm_build and bench_under_load)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_env(**variables: str) -> dict[str, str]:
    """This environment, quiet about MkDocs 2, plus ``variables`` (PRUNING_* options)."""
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", **variables}


def start_build(site: Path, env: dict[str, str], cwd: Path = ROOT, python: str | Path = sys.executable,
                prefix: tuple[str, ...] = ()) -> subprocess.Popen:
    """A strict, quiet build of the site in ``cwd`` into ``site`` by ``python``, started
    (under ``prefix``, e.g. ``taskset -c 0``)."""
    return subprocess.Popen([*prefix, str(python), "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
                            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen, start: float) -> float:
    """Seconds since ``start`` once the build ``process`` has ended; a failed build stops
    the benchmark with its last output."""
    _, err = process.communicate()
    if process.returncode:
        raise SystemExit(f"build failed: {err.decode()[-2000:]}")
    return time.perf_counter() - start


def build_seconds(site: Path, env: dict[str, str], cwd: Path = ROOT) -> float:
    """Seconds of one strict build, start to end."""
    start = time.perf_counter()
    return finish(start_build(site, env, cwd), start)
