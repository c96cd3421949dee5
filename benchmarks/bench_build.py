"""What the diagnostics (issue 4) add to a cold build, and what a warm build costs.

    python benchmarks/bench_build.py [--set key=value ...]

Runs the pipeline cold in a temporary cache (default configuration unless overridden),
then reports, from the same run: the evaluation-only analyses and the rendering of
their figures as a ratio to the training time, and a warm ``api.run`` +
``cached_figures`` (what a rebuild with nothing changed does) as a ratio to a cold one.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pruning_pipeline import api
from pruning_pipeline.figures import export as figures
from pruning_pipeline.config import make_config
from pruning_pipeline.config.sources import parse_assignments


def render_seconds(results, kind: str) -> float:
    """Seconds the build's export (parallel where it can fork) takes for one kind of figure."""
    every = figures.specs
    figures.specs = lambda r: [spec for spec in every(r) if spec.info.kind == kind]
    try:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            figures.export_figures(results, Path(out))
        return time.perf_counter() - start
    finally:
        figures.specs = every


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        config = make_config({**parse_assignments(args.set), "cache_dir": cache})
        start = time.perf_counter()
        results = api.run(config, progress=False)
        figures.cached_figures(results)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        figures.cached_figures(api.run(config, progress=False))
        warm = time.perf_counter() - start

    timings = results.metrics["manifest"]["timings_s"]
    training = timings["train_trained"] + timings["train_in_loop"]
    analysis_figures = render_seconds(results, "analysis")
    histogram_figures = render_seconds(results, "histogram")
    print(f"config {results.run_id}: {results.metrics['manifest']['steps']} steps, "
          f"{results.metrics['manifest']['threads']} threads\n")
    print("| part | seconds | ratio to training |\n|---|---:|---:|")
    for name, seconds in (
        ("training (both runs)", training),
        ("analyses (sweep, sensitivity, comparison, payoff)", timings["analysis"]),
        ("analysis figures (light + dark, all formats, as the build renders them)", analysis_figures),
        ("stage measurements", timings["measure"]),
        ("histogram figures (light + dark, all formats, as the build renders them)", histogram_figures),
    ):
        print(f"| {name} | {seconds:.2f} | {seconds / training:.3f} |")
    added = timings["analysis"] + analysis_figures
    print(f"\nissue-4 diagnostics add {added:.1f} s = {added / training:.3f} x training")
    print(f"cold pipeline + figures {cold:.1f} s; warm (cache hit) {warm * 1e3:.0f} ms "
          f"= {warm / cold:.4f} x cold")


if __name__ == "__main__":
    main()
