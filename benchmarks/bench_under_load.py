"""A build while other work runs on the same two cores (not a test; ratios to the same
build alone, measured in one run of this script).

    python benchmarks/bench_under_load.py [--profile quick]

Each case starts from an empty pipeline cache of its own, so every build trains:
- alone: one ``mkdocs build --strict``;
- beside the unit tests: the same build while ``pytest tests/unit`` runs over and over;
- beside ``mkdocs serve``: the same build while ``mkdocs serve`` (another cache) makes
  its first build; the time until serve answers is reported too;
- two builds at once: two such builds started together (each with its own cache).

A stall is what the issue guards against: processes whose idle OpenMP threads
busy-wait on cores another process needs (measured at 54x a training step here).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from site_build import ROOT, build_env, finish, start_build

def _env(cache: Path, profile: str) -> dict[str, str]:
    return build_env(PRUNING_CACHE_DIR=str(cache), PRUNING_PROFILE=profile)


def begin(tmp: Path, name: str, profile: str) -> subprocess.Popen:
    return start_build(tmp / name / "site", _env(tmp / name / "cache", profile))


def alone(tmp: Path, profile: str) -> float:
    start = time.perf_counter()
    return finish(begin(tmp, "alone", profile), start)


def beside_tests(tmp: Path, profile: str) -> float:
    tests = subprocess.Popen(["bash", "-c", f"while true; do {sys.executable} -m pytest -q -x -p no:cacheprovider "
                              "tests/unit >/dev/null 2>&1; done"], cwd=ROOT, start_new_session=True)
    try:
        time.sleep(3)  # the tests are under way
        start = time.perf_counter()
        return finish(begin(tmp, "tests", profile), start)
    finally:
        os.killpg(tests.pid, 9)
        tests.wait()


def beside_serve(tmp: Path, profile: str, port: int = 8765) -> tuple[float, float]:
    serve = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}", "--no-livereload"],
                             cwd=ROOT, env=_env(tmp / "serve" / "cache", profile),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        start = time.perf_counter()
        build = begin(tmp, "beside-serve", profile)
        served = None
        while served is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                served = time.perf_counter() - start
            except OSError:
                if serve.poll() is not None:
                    raise SystemExit("mkdocs serve exited") from None
                time.sleep(0.5)
        return finish(build, start), served
    finally:
        os.killpg(serve.pid, 9)
        serve.wait()


def two_at_once(tmp: Path, profile: str) -> tuple[float, float]:
    start = time.perf_counter()
    first, second = begin(tmp, "first", profile), begin(tmp, "second", profile)
    return finish(first, start), finish(second, start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="quick")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        solo = alone(tmp, args.profile)
        tests = beside_tests(tmp, args.profile)
        build, served = beside_serve(tmp, args.profile)
        first, second = two_at_once(tmp, args.profile)
    print(f"{args.profile} build alone: {solo:.1f} s (target for each case below: <= 2.5x)")
    print(f"beside the unit tests, running over and over: {tests:.1f} s = {tests / solo:.2f}x")
    print(f"beside mkdocs serve's first build: {build:.1f} s = {build / solo:.2f}x "
          f"(serve answered after {served:.1f} s = {served / solo:.2f}x)")
    print(f"two builds at once: {first:.1f} s and {second:.1f} s = {first / solo:.2f}x and {second / solo:.2f}x")


if __name__ == "__main__":
    main()
