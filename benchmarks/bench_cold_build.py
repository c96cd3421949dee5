"""A cold default ``mkdocs build --strict`` against a plain PyTorch loop that only trains
the same two runs (not a test; ratios, measured one after the other in this process).

    python benchmarks/bench_cold_build.py [--steps 5625] [--rounds 2]

The baseline is what a careful user would write without this project: the reference's
network as the reference writes it (`reference_model.ReferenceNet`), the normalised
split preloaded as tensors, shuffled index batches of 32, AdamW, torch's default thread
count, and the reference's in-loop prune by boolean indexing of ``.data`` after every
step of the second run. It trains and nothing else: no evaluation, no histograms, no
figures, no pages. The build does all of that from an empty cache.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from pruning_pipeline.config import make_config
from pruning_pipeline.train.data import load_dataset, normalise
from reference_model import ReferenceNet
from site_build import build_env, build_seconds



def plain_loop_seconds(steps: int, tau: float = 0.001) -> float:
    """Seconds to train the plain run and the in-loop run, one after the other."""
    dataset = load_dataset(make_config({}))
    x, y = torch.from_numpy(normalise(dataset.train_images)), torch.from_numpy(dataset.train_labels)
    start = time.perf_counter()
    for prune in (False, True):
        torch.manual_seed(0)
        model = ReferenceNet()
        optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
        order = torch.randperm(len(y))
        for step in range(steps):
            index = order[(step * 32) % (len(y) - 32):][:32]
            loss = F.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if prune:
                for module in (model.ffnn1, model.cls_head):
                    module.weight.data[module.weight.data.abs() <= tau] = 0
    return time.perf_counter() - start


def cold_build_seconds() -> float:
    """Seconds of a default strict build with an empty pipeline cache."""
    with tempfile.TemporaryDirectory() as tmp:
        return build_seconds(Path(tmp) / "site", build_env(PRUNING_CACHE_DIR=str(Path(tmp) / "cache")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5625)
    parser.add_argument("--rounds", type=int, default=2, help="pairs of (plain loop, build), order alternating")
    args = parser.parse_args()
    ratios = []
    for round_ in range(args.rounds):
        # ABBA order: a machine that slows down or speeds up during the run favours neither
        timed = {}
        for name in (("plain", "build") if round_ % 2 == 0 else ("build", "plain")):
            timed[name] = plain_loop_seconds(args.steps) if name == "plain" else cold_build_seconds()
        ratios.append(timed["build"] / timed["plain"])
        print(f"round {round_ + 1}: plain loop, two runs of {args.steps} steps ({torch.get_num_threads()} threads) "
              f"{timed['plain']:.1f} s; cold default mkdocs build --strict {timed['build']:.1f} s; "
              f"build / plain loop {ratios[-1]:.2f}", flush=True)
    print(f"build / plain loop, median of {len(ratios)}: {statistics.median(ratios):.2f} (target <= 0.8)")


if __name__ == "__main__":
    main()
