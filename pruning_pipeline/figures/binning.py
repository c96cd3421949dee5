"""Exact coarsening of the stored fine histograms for display.

The pipeline bins every stage of a layer on the same fine, symmetric edges (2025 bins
by default), wide enough for the trained weights. Initialization weights then occupy
only a few percent of that range, so each view merges groups of adjacent bins — an odd
number, keeping a bin centred on zero — until its occupied range holds about
``target`` bins. Merged counts are sums of stored counts: still a true histogram, and
every stage drawn together shares one set of merged edges.
"""

from __future__ import annotations

import numpy as np

DISPLAY_BINS = 60


def occupied_bins(*counts: np.ndarray) -> int:
    """Bins from the first to the last non-empty one, over every row given."""
    total = sum(np.asarray(c).reshape(-1, np.shape(c)[-1]).sum(axis=0) for c in counts)
    nonzero = np.flatnonzero(total)
    return int(nonzero[-1] - nonzero[0] + 1) if nonzero.size else 1


def merge_factor(bins: int, occupied: int, target: int = DISPLAY_BINS) -> int:
    """The largest odd divisor of ``bins`` that leaves at least ``target`` occupied bins."""
    fitting = [m for m in range(1, bins + 1, 2) if bins % m == 0 and occupied / m >= target]
    return max(fitting, default=1)


def coarsen(edges: np.ndarray, counts: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge every ``factor`` adjacent bins (last axis of ``counts``); exact sums."""
    merged = np.asarray(counts).reshape(*np.shape(counts)[:-1], -1, factor).sum(axis=-1)
    return np.asarray(edges)[::factor], merged


def display_histograms(edges: np.ndarray, *counts: np.ndarray,
                       target: int = DISPLAY_BINS) -> tuple[np.ndarray, list[np.ndarray]]:
    """Common merged edges and merged counts for histograms drawn together."""
    factor = merge_factor(len(edges) - 1, occupied_bins(*counts), target)
    merged = [coarsen(edges, c, factor)[1] for c in counts]
    return np.asarray(edges)[::factor], merged
