"""Exact coarsening of the stored fine histograms for display.

The pipeline bins every stage of a layer on the same fine, symmetric edges (2025 bins
by default), wide enough for the trained weights. Initialization weights then occupy
only a few percent of that range, so each view merges groups of adjacent bins — an odd
number, keeping a bin centred on zero — until its occupied range holds about
``target`` bins. Merged counts are sums of stored counts: still a true histogram, and
every stage drawn together shares one set of merged edges.

A stage made by a cut at τ is also stored on bins aligned with the cut (equal bins on
each side, one middle bin of its zeros); its own figure merges each side the same way,
so ±τ stay bin edges and no bar is drawn across the cut.
"""

from __future__ import annotations

import numpy as np

from ..results import Results

DISPLAY_BINS = 60
COMPARED_STAGES = ("init", "trained", "in_loop", "post")  # drawn together on common bins


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


def seed_display(results: Results, stage: str, layer: str, edges: np.ndarray) -> np.ndarray | None:
    """Every seed's counts of ``stage`` merged onto ``edges`` (display edges of this
    run's fine ones), shape (seeds, bins); None with one seed."""
    found = results.seed_counts(stage, layer)
    if found is None:
        return None
    fine = results.edges(layer)
    return coarsen(fine, found[0], (len(fine) - 1) // (len(edges) - 1))[1]


def cut_display(edges: np.ndarray, counts: np.ndarray, target: int = DISPLAY_BINS) -> tuple[np.ndarray, np.ndarray]:
    """Merge both sides of a cut histogram (``Results.cut``) alike; the middle bin (-τ, τ)
    stays one bin, so ±τ remain edges. Each side keeps about ``target / 2`` occupied bins."""
    side = (len(counts) - 1) // 2  # bins per side
    negative, middle, positive = counts[:side], counts[side], counts[side + 1:]
    occupied = np.flatnonzero(positive + negative[::-1])
    reach = int(occupied[-1]) + 1 if occupied.size else 1  # from the cut outwards
    factor = max(m for m in range(1, side + 1) if side % m == 0 and (m == 1 or reach / m >= target / 2))
    outer, merged = coarsen(edges[side + 1:], positive, factor)
    _, merged_negative = coarsen(edges[side + 1:], negative[::-1], factor)
    return (np.concatenate([-outer[::-1], outer]),
            np.concatenate([merged_negative[::-1], [middle], merged]))


def stage_view(results: Results, stage: str, layer: str) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(edges, counts, index of the cut's middle bin or None) that a stage's own figure
    and its CSV show: the cut-aligned bins where the stage has a cut, else the merged
    shared bins."""
    cut = results.cut(stage, layer)
    if cut is None:
        edges, (counts,) = display_histograms(results.edges(layer), results.counts(stage, layer))
        return edges, counts, None
    edges, counts = cut_display(*cut)
    return edges, counts, (len(counts) - 1) // 2


def stage_threshold(results: Results, stage: str) -> float | None:
    """The magnitude threshold that made ``stage``, or None when nothing was pruned.

    ``in_loop`` has one only under the ``threshold`` rule (``tau_loop``); ``post`` and
    ``percentile`` record theirs in ``stages.{stage}.threshold``.
    """
    config = results.metrics["config"]
    if stage == "in_loop":
        return config["tau_loop"] if config["in_loop_rule"] == "threshold" else None
    if stage == "post":
        return results.stage("post").get("threshold", config["tau_post"])
    if stage == "percentile":
        return results.stage("percentile")["threshold"]
    return None


DISTRIBUTION_PANELS = 4  # layers drawn in the threshold-vs-percentile distributions


def distribution_layers(results: Results) -> tuple[str, ...]:
    """The layers the threshold-vs-percentile distributions are drawn for, in model
    order: all of them up to `DISTRIBUTION_PANELS`, else those where the two rules part
    most (one global τ takes from them the most, or the least, beyond p%). All layers
    together would show nothing: both rules zero the same share of the whole."""
    if len(results.layers) <= DISTRIBUTION_PANELS:
        return results.layers
    tvp = results.metrics["threshold_vs_percentile"]
    apart = {layer: abs(tvp["global_threshold"]["sparsity"][layer] - tvp["sparsity"]) for layer in results.layers}
    chosen = set(sorted(results.layers, key=lambda layer: -apart[layer])[:DISTRIBUTION_PANELS])
    return tuple(layer for layer in results.layers if layer in chosen)
