"""Statistics of one very large layer (issue 9): peak extra memory and time.

    python benchmarks/bench_stats.py [--weights 500000000] [--bins 2025]

Makes one synthetic float32 layer, then computes what a stage measurement computes for
it (`layer_stats` and `histogram`) in two ways, in one process: the pipeline's, which
streams over chunks of the tensor on its device, and the whole-tensor way (one
temporary the size of the layer per operation, as the code did before). A thread reads
the process's resident memory every 2 ms; the peak above the memory held before each
variant is its extra memory.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import threading
import time

import numpy as np
import torch

from pruning_pipeline.measure.stats import float32_above, layer_stats, symmetric_edges
from pruning_pipeline.train.counting import histogram

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


class PeakMemory:
    """The largest resident size seen while the block runs, above the size at its start."""

    def __enter__(self) -> "PeakMemory":
        gc.collect()
        self.start = self.peak = rss()
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss())
            time.sleep(0.002)

    def __exit__(self, *exc) -> None:
        self.running = False
        self.thread.join()
        self.extra = self.peak - self.start


def whole_tensor(w: torch.Tensor, taus: tuple[float, ...], edges: np.ndarray) -> dict:
    """The same numbers with one layer-sized temporary per operation."""
    magnitude = w.abs()
    low, high, abs_max = torch.stack([w.min(), w.max(), magnitude.max()]).tolist()
    zeros, *below = torch.stack([(w == 0).sum(), *((magnitude < float32_above(t)).sum() for t in taus)]).tolist()
    shift = w.mean()
    d = w - shift
    d2 = d * d
    sums = torch.stack([d.sum(), d2.sum(), (d2 * d).sum(), (d2 * d2).sum()]).tolist()
    a1, a2 = sums[0] / w.numel(), sums[1] / w.numel()
    clamped = w.clamp(float(edges[0]), float(edges[-1]))
    counts = sum(torch.histc(p, bins=len(edges) - 1, min=float(edges[0]), max=float(edges[-1])).to(torch.int64)
                 for p in clamped.split(1 << 24))
    return {"zeros": zeros, "below": below, "std": math.sqrt(a2 - a1 ** 2), "counts": counts.numpy(),
            "low": low, "high": high, "abs_max": abs_max}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", type=int, default=500_000_000)
    parser.add_argument("--bins", type=int, default=2025)
    args = parser.parse_args()
    torch.manual_seed(0)
    w = torch.empty(args.weights).normal_(0, 0.05)
    w[::7] = 0  # a pruned layer: one weight in seven is exactly zero
    taus = (0.001, 0.05, 0.2, 0.4)
    edges = symmetric_edges(float(w.abs().max()), args.bins)
    results = {}
    for name, run in (("streaming (pipeline)", lambda: (layer_stats(w, taus), histogram(w, edges))),
                      ("whole tensor", lambda: whole_tensor(w, taus, edges))):
        with PeakMemory() as peak:
            start = time.perf_counter()
            results[name] = run()
            seconds = time.perf_counter() - start
        print(f"| {name} | {args.weights:,} | {w.numel() * 4 / 2**30:.2f} GiB | {peak.extra / 2**20:,.0f} MiB "
              f"| {seconds:.2f} s |")
    stats, counts = results["streaming (pipeline)"]
    other = results["whole tensor"]
    assert np.array_equal(counts, other["counts"]) and stats["zeros"] == other["zeros"]
    print(f"\nsame counts and zeros; std {stats['std']:.9g} vs {other['std']:.9g}; "
          f"{torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
