"""Build cost against the number of pruned layers (issue 8).

    python benchmarks/bench_layers.py [--depths 2 8 32] [--set key=value ...]

Runs the lifecycle on `deep_mlp.py` at each depth (quick profile unless overridden),
in a fresh cache, and reports the seconds of each phase, the figures rendered (as a
build renders them: every format, light and dark, on every core), the published
explorer.json, and the cost each added layer brings, fitted over the depths.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pruning_pipeline import api
from pruning_pipeline.config import make_config
from pruning_pipeline.config.sources import parse_assignments
from pruning_pipeline.figures.export import export_figures
from pruning_pipeline.site.explorer import explorer_data
from pruning_pipeline.site.published import publish

HERE = Path(__file__).resolve().parent


def measure(depth: int, overrides: dict) -> dict:
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        config = make_config({"profile": "quick", "model": "deep_mlp:build", "model_args": {"depth": depth},
                              "dataset": "deep_mlp:data", **overrides, "cache_dir": cache})
        start = time.perf_counter()
        results = api.run(config, progress=False)
        run = time.perf_counter() - start
        start = time.perf_counter()
        figures = export_figures(results, Path(out))
        render = time.perf_counter() - start
        timings = results.metrics["manifest"]["timings_s"]
        return {
            "layers": len(results.layers),
            "weights": results.stage("init")["layers"]["global"]["count"],
            "training": timings["train_trained"] + timings["train_in_loop"],
            "measure": timings["measure"],
            "analysis": timings["analysis"],
            "run": run,
            "figures": len(figures),
            "render": render,
            "explorer_kb": len(json.dumps(explorer_data(results, publish(results.metrics)))) / 1024,
            "metrics_kb": len(json.dumps(results.metrics)) / 1024,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--depths", type=int, nargs="+", default=[2, 8, 32])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))  # deep_mlp.py, as a user's project folder would be
    rows = [measure(depth, parse_assignments(args.set)) for depth in args.depths]
    columns = ["layers", "weights", "training", "measure", "analysis", "run", "figures", "render",
               "explorer_kb", "metrics_kb"]
    print("| " + " | ".join(columns) + " |\n|" + "---:|" * len(columns))
    for row in rows:
        print("| " + " | ".join(f"{row[c]:.1f}" if isinstance(row[c], float) else str(row[c]) for c in columns) + " |")
    layers = np.array([row["layers"] for row in rows], float)
    print("\nper added layer (least-squares slope over the depths):")
    for column in ("training", "measure", "analysis", "render", "figures", "explorer_kb"):
        slope = np.polyfit(layers, [row[column] for row in rows], 1)[0]
        print(f"- {column}: {slope:.3f}")


if __name__ == "__main__":
    main()
