"""Matplotlib figures of one run's `pruning_pipeline.results.Results`.

Pure builders: each takes the results, what selects the figure and a ``dark`` flag,
and returns a `matplotlib.figure.Figure` drawn inside `style`. Nothing
here shows or saves; the caller saves inside the same `style` context, because
matplotlib creates tick labels lazily and reads their colours only when drawing.
Histograms are drawn from the stored counts (``ax.stairs``), never re-binned.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter, StrMethodFormatter

from ..formatting import fmt_pct, fmt_sig
from ..names import STAGE, layers_of
from ..results import Results
from .binning import (COMPARED_STAGES, display_histograms, distribution_layers, seed_display, stage_threshold,
                      stage_view)
from .style import _styled, label_decades

SINGLE_COLUMN = (3.5, 2.6)  # inches: a paper's single-column width
TALL = (3.5, 4.2)
SPIKE_RATIO = 10  # tallest bin / 75th percentile of occupied bins above which y goes log
LOG_FLOOR = 0.5  # log-scale bottom: below one weight, so single-weight bins show
HEADROOM = 0.35  # top share of a linear histogram kept clear for its stats box and legend
LOG_HEADROOM = 20  # log histograms: top of the y axis over the tallest bin
# Stage outlines overlap where training changed little: width and dash keep each visible.
STAGE_LINES = {"init": {"linewidth": 1.0}, "trained": {"linewidth": 1.8},
               "in_loop": {"linewidth": 0.9, "linestyle": (0, (3, 1.5))},
               "post": {"linewidth": 1.0}}



# ----------------------------------------------------------------------------- helpers


def spike_dominates(counts: np.ndarray) -> bool:
    """True when one bin (a zero spike, or a truncated peak) flattens all the others:
    it holds over ``SPIKE_RATIO`` times the 75th percentile of the other occupied bins."""
    occupied = np.sort(counts[counts > 0])
    return bool(occupied.size > 1 and occupied[-1] > SPIKE_RATIO * np.percentile(occupied[:-1], 75))


def occupied_limits(edges: np.ndarray, counts: np.ndarray | list) -> tuple[float, float]:
    """Symmetric x-limits around the occupied bins, padded by one bin.

    The bins stay the stored ones; only the view narrows, so a stage whose weights fill
    a few central bins (initialization) is not drawn as a sliver.
    """
    occupied = np.flatnonzero(np.sum(counts, axis=0) if np.ndim(counts) > 1 else counts)
    width = edges[1] - edges[0]
    reach = max(abs(edges[occupied[0]]), abs(edges[occupied[-1] + 1])) + width
    return -min(reach, abs(edges[0])), min(reach, abs(edges[-1]))


def share(fraction: float) -> str:
    """A fraction as a percentage that never rounds a partial share to 0% or 100%."""
    return fmt_pct(fraction, "2")


def _mark_threshold(ax, tau: float, label: str, colour: str) -> None:
    # Behind the bars (zorder < 1): a τ narrower than a bin must not hide the zero spike.
    for sign in (-1, 1):
        ax.axvline(sign * tau, color=colour, linestyle="--", linewidth=0.9, zorder=0.9,
                   label=label if sign > 0 else None)


def _mark_exact_zeros(ax, zeros: int, colour: str) -> None:
    # Exact zeros share the central bin with small non-zero weights; a stem at 0 shows
    # how many of that bin's weights are pruned ones.
    ax.vlines(0, LOG_FLOOR, zeros, color=colour, linewidth=1.4, zorder=3)
    ax.plot([0], [zeros], marker="D", markersize=3, color=colour, zorder=3, linestyle="none",
            label=f"exactly zero: {zeros:,}")


def _annotate_stats(ax, stats: dict) -> None:
    text = (f"n = {stats['count']:,}\nzeros {stats['zeros']:,} ({share(stats['sparsity'])})\n"
            f"mean {fmt_sig(stats['mean'])}\nstd {fmt_sig(stats['std'])}")
    ax.text(0.02, 0.97, text, transform=ax.transAxes, ha="left", va="top", fontsize=6.5, zorder=10,
            linespacing=1.3, bbox={"boxstyle": "round,pad=0.3", "linewidth": 0, "alpha": 0.9,
                                   "facecolor": matplotlib.rcParams["axes.facecolor"]})


def _count_axis(ax, log: bool, what: str = "weights per bin") -> None:
    if log:
        ax.set_yscale("log")
        label_decades(ax.yaxis)
        ax.set_ylim(bottom=LOG_FLOOR)
    else:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylabel(f"{what} (log scale)" if log else what)


def _leave_headroom(ax, peak: float, log: bool) -> None:
    """Set the y range so bars stay clear of the stats box and legend at the top.

    Linear: the tallest bar stays below the top ``HEADROOM`` share. Log: one decade
    and a bit above the peak, since there the tall bars are the central spike.
    """
    if log:
        ax.set_ylim(LOG_FLOOR, max(peak, 1) * LOG_HEADROOM)
    else:
        ax.set_ylim(0, max(peak, 1) / (1 - HEADROOM))


# --------------------------------------------------------------------------- histograms


@_styled
def histogram(results: Results, stage: str, layer: str, *, colour: dict) -> Figure:
    """One layer's weight histogram at one stage, its pruning threshold marked.

    Parameters
    ----------
    results : Results
        The run; counts are ``counts/{stage}/{layer}`` on ``edges/{layer}``, or the
        stage's cut-aligned bins where it has a cut (`binning.stage_view`).
    stage : str
        ``init``, ``trained``, ``in_loop``, ``post`` or ``percentile``.
    layer : str
        A pruned layer's qualified name, or ``global``.
    dark : bool, keyword
        Draw in the dark style.
    """
    edges, counts, middle = stage_view(results, stage, layer)
    log = spike_dominates(counts)
    drawn = counts.copy()
    if middle is not None:  # the cut's zeros are the stem at 0, not a bar across (-τ, τ)
        drawn[middle] = 0
    fig = Figure(figsize=SINGLE_COLUMN)
    ax = fig.add_subplot()
    ax.stairs(drawn, edges, fill=True, color=colour["weights"],
              baseline=LOG_FLOOR if log else 0)
    stats = results.stage(stage)["layers"][layer]
    tau = stage_threshold(results, stage)
    if tau is not None:
        _mark_threshold(ax, tau, f"±τ = {tau:.3g}", colour["threshold"])
    if stats["zeros"]:
        _mark_exact_zeros(ax, stats["zeros"], colour["ink"])
    if tau is not None or stats["zeros"]:
        ax.legend(loc="upper right", frameon=True, framealpha=0.9, edgecolor="none",  # over the ±τ lines
                  facecolor=matplotlib.rcParams["axes.facecolor"])
    ax.set_xlim(occupied_limits(edges, counts))
    ax.set_xlabel("weight value")
    _count_axis(ax, log)
    _leave_headroom(ax, counts.max(), log)
    ax.set_title(f"{layers_of(results.metrics)[layer].title}, {STAGE[stage].phrase}", wrap=True)
    _annotate_stats(ax, stats)
    return fig


@_styled
def stage_comparison(results: Results, layer: str, *, colour: dict) -> Figure:
    """The four lifecycle stages of one layer as outlines on its shared bins.

    Two panels: linear counts (the shapes) above, log counts (the tails and the zero
    spike) below.
    """
    edges, merged = display_histograms(results.edges(layer),
                                       *(results.counts(stage, layer) for stage in COMPARED_STAGES))
    counts = dict(zip(COMPARED_STAGES, merged))
    fig = Figure(figsize=TALL)
    linear, log = fig.subplots(2, 1, sharex=True)
    band = 0  # seeds in the shaded bands
    for stage, stage_counts in counts.items():
        for ax in (linear, log):
            ax.stairs(stage_counts, edges, color=colour[stage], label=STAGE[stage].phrase,
                      **STAGE_LINES[stage])
        seeds = seed_display(results, stage, layer, edges)
        if seeds is not None:  # the spread over the seeds; an empty bin sits below the log axis
            for ax, floor in ((linear, 0), (log, LOG_FLOOR)):
                ax.stairs(np.maximum(seeds.max(axis=0), floor), edges, baseline=np.maximum(seeds.min(axis=0), floor),
                          fill=True, color=colour[stage], alpha=0.2, linewidth=0)
            band = len(seeds)
    _count_axis(linear, False)
    _clip_spikes(linear, counts, colour)
    _count_axis(log, True)
    log.set_xlabel("weight value")
    log.set_xlim(occupied_limits(edges, list(counts.values())))
    handles = linear.get_legend_handles_labels()[0]
    if band:
        handles.append(Patch(color=colour["muted"], alpha=0.3, linewidth=0, label=f"{band} seeds: lowest to highest"))
    # below both panels: inside, the off-scale spike at zero would run through it
    fig.legend(handles=handles, loc="outside lower center", ncols=2)
    linear.set_title(f"{layers_of(results.metrics)[layer].title}: weight histogram by stage", wrap=True)
    return fig


def _clip_spikes(ax, counts: dict[str, np.ndarray], colour: dict) -> None:
    """Cap a linear count axis at the spike-free stages and name the peaks left off it."""
    # a stage in one bin (every weight zeroed) is a spike too, however alone it is
    smooth = [c.max() for c in counts.values() if not spike_dominates(c) and np.count_nonzero(c) > 1]
    top = 1.1 * max(smooth or [c.max() for c in counts.values()])
    ax.set_ylim(0, top)
    clipped = [(s, c.max()) for s, c in counts.items() if c.max() > top]
    for row, (stage, peak) in enumerate(clipped):
        ax.text(0.02, 0.97 - 0.09 * row, f"{STAGE[stage].short} peak {peak:,} (off scale)",
                transform=ax.transAxes, ha="left", va="top", fontsize=6, color=colour[stage])


# ------------------------------------------------------------------------- histogram views

@_styled
def threshold_vs_percentile_distributions(results: Results, *, colour: dict) -> Figure:
    """Each layer's weights under one global τ and under per-layer percentiles, at the
    same global sparsity: outlines on shared merged bins, log counts."""
    panels = distribution_layers(results)
    fig = Figure(figsize=(TALL[0], TALL[1] * max(len(panels), 2) / 2))
    for ax, layer in zip(np.atleast_1d(fig.subplots(len(panels), 1)), panels):
        edges, (by_global, by_layer) = display_histograms(
            results.edges(layer), results.counts("percentile", layer),
            results.histograms[f"counts/layerwise_percentile/{layer}"])
        ax.stairs(by_global, edges, color=colour["threshold"], linewidth=1.6, label="one global τ")
        ax.stairs(by_layer, edges, color=colour["weights"], linewidth=1.0, linestyle=(0, (3, 1.5)),
                  label="per-layer percentile")
        _count_axis(ax, True)
        ax.set_xlim(occupied_limits(edges, [by_global, by_layer]))
        ax.set_title(layers_of(results.metrics)[layer].title, wrap=True)
        ax.legend(loc="upper right")
    ax.set_xlabel("weight value")
    return fig


@_styled
def in_loop_dynamics(results: Results, layer: str, *, colour: dict) -> Figure:
    """Heat map of one layer's histogram over the recorded in-loop steps.

    Top: steps on x, weight value on y, weights per bin on a log colour scale. Bottom:
    the layer's sparsity after the prune, and regrowth: the share of the weights zeroed
    by the previous step's prune that this step's optimizer update moved off zero again
    (``regrowth / pruned_prev``: the optimizer's pull back).
    """
    steps = np.asarray(results.histograms["dynamics_steps"])
    edges, (counts,) = display_histograms(results.edges(layer),
                                          results.histograms[f"dynamics/{layer}"])  # (records, bins)
    dynamics = results.metrics["dynamics"]["layers"][layer]
    fig = Figure(figsize=TALL)
    heat, below = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1))
    mesh = heat.pcolormesh(_cell_edges(steps), edges, np.ma.masked_equal(counts.T, 0),
                           norm=LogNorm(vmin=1, vmax=max(counts.max(), 2)),
                           cmap=colour["heatmap"], rasterized=True)
    heat.set_ylim(occupied_limits(edges, counts))
    heat.grid(False)
    heat.set_ylabel("weight value")
    fig.suptitle(f"{layers_of(results.metrics)[layer].title} during in-loop pruning", fontsize=8, wrap=True)
    bar = fig.colorbar(mesh, ax=heat, location="top", shrink=0.6, aspect=30, pad=0.01,
                       label="weights per bin (log colour scale)")
    label_decades(bar.ax.xaxis)
    pruned, regrown = (np.asarray(dynamics[k], float) for k in ("pruned_prev", "regrowth"))
    regrown_share = np.divide(regrown, pruned, out=np.full_like(pruned, np.nan), where=pruned > 0)
    below.plot(steps, dynamics["sparsity"], color=colour["threshold"], label="sparsity")
    below.plot(steps, regrown_share, color=colour["weights"], linestyle="--",
               label="regrown: share of last step's\nzeros moved off zero")
    below.set_ylim(0, 1.05)
    below.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    below.set(xlabel="optimizer step", ylabel="share of weights")
    below.legend(loc="center right", fontsize=5.5)
    return fig


def _cell_edges(centres: np.ndarray) -> np.ndarray:
    """Edges of cells centred on ``centres`` (for pcolormesh), shape (n + 1,)."""
    centres = centres.astype(float)
    if centres.size == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middles = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - middles[0]], middles,
                           [2 * centres[-1] - middles[-1]]])
