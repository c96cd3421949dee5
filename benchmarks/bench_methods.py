"""Issue 20: what the comparison of methods at the same sparsity adds to a cold default
run, measured inside that one run (its own phases, so both numbers share the machine's
state): the seconds of every seed's "methods" phase against the rest of the run.

    python benchmarks/bench_methods.py [--set key=value ...]

The whole run is the cold default build's pipeline without its figures and pages
(about 30 s more, the same with and without the page but for one figure).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from pruning_pipeline import api
from pruning_pipeline.config import make_config
from pruning_pipeline.report import Report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        config = make_config({"cache_dir": cache, **dict(item.split("=", 1) for item in args.set)})
        report = Report()
        start = time.perf_counter()
        api.run(config, progress=False, report=report)
        total = time.perf_counter() - start
    methods = sum(p["seconds"] for name, p in report.phases.items() if "methods" in name)
    rest = total - methods
    print(f"{config.seeds} seeds, {config.steps} steps, targets {list(config.target_sparsities)}, "
          f"gradual at {list(config.gmp_sparsities)}, finetune_steps {config.finetune_steps}")
    print(f"{'part of the cold run':<34} {'seconds':>8}")
    print(f"{'without the methods':<34} {rest:8.1f}")
    print(f"{'methods at the same sparsity':<34} {methods:8.1f}")
    print(f"{'whole run / run without them':<34} {total / rest:8.2f}x")


if __name__ == "__main__":
    main()
