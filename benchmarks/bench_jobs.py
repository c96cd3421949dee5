"""Issue 31: what running the training jobs on every core buys, as cold strict builds
of one project, one after the other on this machine, each from an empty cache.

    python benchmarks/bench_jobs.py executors [--project examples/strokes-mlp] [--set KEY=VALUE ...]
    python benchmarks/bench_jobs.py cores [--project .] [--set seeds=2]
    python benchmarks/bench_jobs.py profiles --project .

``executors``: the build under ``executor: serial`` (what main did before the jobs:
one run at a time for a user's model), under ``auto`` (worker processes on every usable
core) and under ``dask`` (a LocalCluster of as many workers); targets auto/serial <= 0.6
on two cores, dask/auto <= 1.15. ``cores``: ``auto`` pinned to one core against two
(``taskset``); target <= 0.55. ``profiles`` (issue 32): the ``curve`` profile (a gradual
run at four targets) against the default (one); the default's own bound was 1.35x.
``--set`` becomes ``PRUNING_<KEY>`` for every build.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from site_build import ROOT, build_env, finish, start_build

ARRANGEMENTS = {
    "executors": {"serial": ({"PRUNING_EXECUTOR": "serial"}, ()), "auto": ({"PRUNING_EXECUTOR": "auto"}, ()),
                  "dask": ({"PRUNING_EXECUTOR": "dask"}, ())},
    "cores": {"1 core": ({}, ("taskset", "-c", "0")), "2 cores": ({}, ("taskset", "-c", "0,1"))},
    "profiles": {"default": ({"PRUNING_PROFILE": "default"}, ()), "curve": ({"PRUNING_PROFILE": "curve"}, ())},
}
RATIOS = {"executors": (("auto", "serial", 0.6), ("dask", "auto", 1.15)), "cores": (("2 cores", "1 core", 0.55),),
          "profiles": (("curve", "default", 1.35),)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("compare", choices=tuple(ARRANGEMENTS))
    parser.add_argument("--project", default="examples/strokes-mlp", help="the project folder to build")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    options = {f"PRUNING_{key.upper()}": value for key, value in (item.split("=", 1) for item in args.set)}
    project = (ROOT / args.project).resolve()
    seconds = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, (variables, prefix) in ARRANGEMENTS[args.compare].items():
            folder = Path(scratch) / name.replace(" ", "-")
            env = build_env(PRUNING_CACHE_DIR=str(folder / "cache"), **options, **variables)
            start = time.perf_counter()
            seconds[name] = finish(start_build(folder / "site", env, cwd=project, prefix=prefix), start)
            print(f"{name:<8} {seconds[name]:7.1f} s", flush=True)
    for new, old, target in RATIOS[args.compare]:
        print(f"{new} / {old}: {seconds[new] / seconds[old]:.2f} (target <= {target})")


if __name__ == "__main__":
    main()
