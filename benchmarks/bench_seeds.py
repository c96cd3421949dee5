"""Issue 19: what five seeds' training costs against one seed's, as the pipeline trains
them, on a fresh cache each: one seed (its runs and fine-tunings as jobs on the worker
processes, issue 31), five seeds as jobs, five seeds as batched ensembles in one process
(every seed's plain, in-loop and gradual runs in one vmapped step, then every
fine-tuning in another).

    python benchmarks/bench_seeds.py [--steps 300] [--seeds 5]
"""

from __future__ import annotations

import argparse
import tempfile

from pruning_pipeline import api
from pruning_pipeline.config import make_config
from pruning_pipeline.report import Report


# the phases that train: the jobs (every run and fine-tuning); batched, every seed's
# plain, in-loop and gradual runs in one ensemble, then every fine-tuning in another
TRAINING = ("training jobs", "trained", "in_loop", "methods", "fine-tuned")


def training_seconds(seeds: int, batch: str, steps: int) -> float:
    """Seconds of the training phases of a cold run (`TRAINING`)."""
    with tempfile.TemporaryDirectory() as cache:
        report = Report()
        config = make_config({"steps": steps, "record_every": max(1, steps // 3), "seeds": seeds,
                              "batch_seeds": batch, "cache_dir": cache})
        api.run(config, progress=False, report=report)
    return sum(p["seconds"] for name, p in report.phases.items() if any(word in name for word in TRAINING))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    one = training_seconds(1, "false", args.steps)
    after = training_seconds(args.seeds, "false", args.steps)
    batched = training_seconds(args.seeds, "true", args.steps)
    print(f"{'arrangement':<40} {'seconds':>8} {'/ one seed':>10}")
    for name, seconds in (("one seed", one),
                          (f"{args.seeds} seeds as jobs", after),
                          (f"{args.seeds} seeds as one batched ensemble", batched)):
        print(f"{name:<40} {seconds:>8.2f} {seconds / one:>10.2f}")


if __name__ == "__main__":
    main()
