"""Matplotlib figures of one run's `pruning_pipeline.results.Results`.

Pure builders: each takes the results, what selects the figure and a ``dark`` flag,
and returns a `matplotlib.figure.Figure` drawn inside `style`. Nothing
here shows or saves; the caller saves inside the same `style` context, because
matplotlib creates tick labels lazily and reads their colours only when drawing.
Histograms are drawn from the stored counts (``ax.stairs``), never re-binned.
"""

from __future__ import annotations

import contextlib
from functools import wraps

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap, LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import PercentFormatter, StrMethodFormatter  # noqa: E402

from .binning import display_histograms
from .formatting import fmt_pct  # noqa: E402
from .results import STAGES, Results  # noqa: E402

# Okabe & Ito (2008), the colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
DARK_BACKGROUND = "#1e2129"  # Material for MkDocs' slate background

# Colour of each role; the dark palette swaps in colours that keep their contrast.
LIGHT_COLOURS = {
    "ink": "#000000", "muted": "#666666", "weights": OKABE_ITO["blue"],
    "threshold": OKABE_ITO["vermillion"], "knee": OKABE_ITO["green"],
    "ffnn1": OKABE_ITO["blue"], "cls_head": OKABE_ITO["orange"], "global": "#000000",
    "init": OKABE_ITO["orange"], "trained": OKABE_ITO["blue"],
    "in_loop": OKABE_ITO["green"], "post": OKABE_ITO["vermillion"],
    "percentile": OKABE_ITO["purple"], "heatmap": matplotlib.colormaps["cividis"],
}
DARK_COLOURS = {
    **LIGHT_COLOURS, "ink": "#e6e6e6", "muted": "#a0a0a0", "weights": OKABE_ITO["sky"],
    "ffnn1": OKABE_ITO["sky"], "global": "#e6e6e6", "trained": OKABE_ITO["sky"],
    # cividis without its darkest fifth, which vanishes into the dark background
    "heatmap": ListedColormap(matplotlib.colormaps["cividis"](np.linspace(0.2, 1, 256))),
}

BASE_RC = {
    "font.size": 7.5, "axes.titlesize": 8, "axes.labelsize": 7.5, "legend.fontsize": 6.5,
    "xtick.labelsize": 6.5, "ytick.labelsize": 6.5, "axes.linewidth": 0.6,
    "lines.linewidth": 1.2, "grid.linewidth": 0.4, "grid.alpha": 0.5, "axes.grid": True,
    "axes.spines.top": False, "axes.spines.right": False, "axes.axisbelow": True,
    "legend.frameon": False,
    "figure.dpi": 100, "savefig.dpi": 300, "figure.constrained_layout.use": True,
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.hashsalt": "pruning-pipeline",
}
DARK_RC = {
    "figure.facecolor": DARK_BACKGROUND, "axes.facecolor": DARK_BACKGROUND,
    "savefig.facecolor": DARK_BACKGROUND, "text.color": DARK_COLOURS["ink"],
    "axes.labelcolor": DARK_COLOURS["ink"], "axes.edgecolor": DARK_COLOURS["muted"],
    "xtick.color": DARK_COLOURS["ink"], "ytick.color": DARK_COLOURS["ink"],
    "grid.color": "#4a4f5c",
}

SINGLE_COLUMN = (3.5, 2.6)  # inches: a paper's single-column width
TALL = (3.5, 4.2)
SPIKE_RATIO = 10  # tallest bin / 75th percentile of occupied bins above which y goes log
LOG_FLOOR = 0.5  # log-scale bottom: below one weight, so single-weight bins show
HEADROOM = 0.35  # top share of a linear histogram kept clear for its stats box and legend
LOG_HEADROOM = 20  # log histograms: top of the y axis over the tallest bin
LAYER_TITLES = {"ffnn1": "ffnn1", "cls_head": "cls_head", "global": "both Linear layers"}
STAGE_TITLES = {
    "init": "at initialization", "trained": "after training", "in_loop": "pruned in the loop",
    "post": "pruned after training", "percentile": "percentile-pruned",
}
STAGE_SHORT = {"init": "init", "trained": "trained", "in_loop": "in loop", "post": "post",
               "percentile": "percentile"}
COMPARED_STAGES = ("init", "trained", "in_loop", "post")
# Stage outlines overlap where training changed little: width and dash keep each visible.
STAGE_LINES = {"init": {"linewidth": 1.0}, "trained": {"linewidth": 1.8},
               "in_loop": {"linewidth": 0.9, "linestyle": (0, (3, 1.5))},
               "post": {"linewidth": 1.0}}


@contextlib.contextmanager
def style(dark: bool = False):
    """Apply the one figure style (light or dark) to everything drawn or saved inside."""
    with matplotlib.rc_context({**BASE_RC, **(DARK_RC if dark else {})}):
        yield


def colours(dark: bool) -> dict:
    """Colour (or colour map) of each role: layer, stage, threshold... in either style."""
    return DARK_COLOURS if dark else LIGHT_COLOURS


def _styled(builder):
    """Run a figure builder inside `style` for its ``dark`` keyword."""

    @wraps(builder)
    def styled(*args, dark: bool = False, **kwargs) -> Figure:
        with style(dark):
            return builder(*args, colour=colours(dark), **kwargs)

    return styled


# ----------------------------------------------------------------------------- helpers


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
            f"mean {stats['mean']:.3g}\nstd {stats['std']:.3g}")
    ax.text(0.02, 0.97, text, transform=ax.transAxes, ha="left", va="top", fontsize=6.5,
            linespacing=1.3, bbox={"boxstyle": "round,pad=0.3", "linewidth": 0, "alpha": 0.8,
                                   "facecolor": matplotlib.rcParams["axes.facecolor"]})


def _count_axis(ax, log: bool, what: str = "weights per bin") -> None:
    if log:
        ax.set_yscale("log")
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
        The run; counts are ``counts/{stage}/{layer}`` on ``edges/{layer}``.
    stage : str
        ``init``, ``trained``, ``in_loop``, ``post`` or ``percentile``.
    layer : str
        ``ffnn1``, ``cls_head`` or ``global``.
    dark : bool, keyword
        Draw in the dark style.
    """
    edges, (counts,) = display_histograms(results.edges(layer), results.counts(stage, layer))
    log = spike_dominates(counts)
    fig = Figure(figsize=SINGLE_COLUMN)
    ax = fig.add_subplot()
    ax.stairs(counts, edges, fill=True, color=colour["weights"],
              baseline=LOG_FLOOR if log else 0)
    stats = results.stage(stage)["layers"][layer]
    tau = stage_threshold(results, stage)
    if tau is not None:
        _mark_threshold(ax, tau, f"±τ = {tau:.3g}", colour["threshold"])
    if stats["zeros"]:
        _mark_exact_zeros(ax, stats["zeros"], colour["ink"])
    if tau is not None or stats["zeros"]:
        ax.legend(loc="upper right")
    ax.set_xlim(occupied_limits(edges, counts))
    ax.set_xlabel("weight value")
    _count_axis(ax, log)
    _leave_headroom(ax, counts.max(), log)
    ax.set_title(f"{LAYER_TITLES[layer]}, {STAGE_TITLES[stage]}")
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
    for stage, stage_counts in counts.items():
        for ax in (linear, log):
            ax.stairs(stage_counts, edges, color=colour[stage], label=STAGE_TITLES[stage],
                      **STAGE_LINES[stage])
    _count_axis(linear, False)
    _clip_spikes(linear, counts, colour)
    _count_axis(log, True)
    log.set_xlabel("weight value")
    log.set_xlim(occupied_limits(edges, list(counts.values())))
    linear.legend(loc="upper right")
    linear.set_title(f"{LAYER_TITLES[layer]}: weight histogram by stage")
    return fig


def _clip_spikes(ax, counts: dict[str, np.ndarray], colour: dict) -> None:
    """Cap a linear count axis at the spike-free stages and name the peaks left off it."""
    smooth = [c.max() for c in counts.values() if not spike_dominates(c)]
    top = 1.1 * max(smooth or [c.max() for c in counts.values()])
    ax.set_ylim(0, top)
    clipped = [(s, c.max()) for s, c in counts.items() if c.max() > top]
    for row, (stage, peak) in enumerate(clipped):
        ax.text(0.02, 0.97 - 0.09 * row, f"{STAGE_SHORT[stage]} peak {peak:,} (off scale)",
                transform=ax.transAxes, ha="left", va="top", fontsize=6, color=colour[stage])


# ------------------------------------------------------------------------------ analysis


def _mark_sweep_points(ax, sweep: dict, colour: dict) -> None:
    knee = sweep["taus"][sweep["knee_index"]]
    ax.axvline(sweep["configured_tau"], color=colour["threshold"], linestyle="--",
               linewidth=0.9, label=f"configured τ = {sweep['configured_tau']:.3g}")
    ax.axvline(knee, color=colour["knee"], linestyle=":", linewidth=1.1,
               label=f"knee τ = {knee:.3g}")


@_styled
def threshold_sweep(results: Results, *, colour: dict) -> Figure:
    """Test accuracy (top) and sparsity (bottom) against the post-training τ.

    The x axis is symlog: linear below the smallest positive τ, so τ = 0 is drawn.
    """
    sweep = results.metrics["sweep"]
    taus = np.asarray(sweep["taus"])
    fig = Figure(figsize=TALL)
    acc, sparsity = fig.subplots(2, 1, sharex=True)
    acc.plot(taus, sweep["accuracy"], color=colour["ink"], marker="o", markersize=2)
    acc.axhline(sweep["baseline_accuracy"], color=colour["muted"], linewidth=0.7,
                label="unpruned")
    acc.set_ylabel("test accuracy")
    for layer in ("global", "ffnn1", "cls_head"):
        sparsity.plot(taus, sweep["sparsity"][layer], color=colour[layer],
                      label=LAYER_TITLES[layer], marker="o", markersize=2)
    sparsity.set_ylabel("sparsity")
    sparsity.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    sparsity.set_xscale("symlog", linthresh=taus[taus > 0].min(), linscale=0.3)
    sparsity.set_xlabel("threshold τ (symlog; 0 at left)")
    for ax in (acc, sparsity):
        _mark_sweep_points(ax, sweep, colour)
    sparsity.legend(handles=sparsity.lines[:3], loc="upper left")
    acc.legend(loc="lower left")
    acc.set_title("Post-training threshold sweep")
    return fig


@_styled
def accuracy_vs_sparsity(results: Results, *, colour: dict) -> Figure:
    """Test accuracy against global sparsity along the τ sweep."""
    sweep = results.metrics["sweep"]
    sparsity, accuracy = sweep["sparsity"]["global"], sweep["accuracy"]
    fig = Figure(figsize=SINGLE_COLUMN)
    ax = fig.add_subplot()
    ax.plot(sparsity, accuracy, color=colour["ink"], marker="o", markersize=2)
    ax.axhline(sweep["baseline_accuracy"], color=colour["muted"], linewidth=0.7,
               label="unpruned")
    configured, knee = sweep["configured_index"], sweep["knee_index"]
    ax.plot(sparsity[configured], accuracy[configured], marker="s", linestyle="none",
            markersize=5, color=colour["threshold"],
            label=f"configured τ = {sweep['taus'][configured]:.3g}")
    ax.plot(sparsity[knee], accuracy[knee], marker="D", linestyle="none", markersize=5,
            color=colour["knee"], label=f"knee τ = {sweep['taus'][knee]:.3g}")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set(xlabel="global sparsity", ylabel="test accuracy",
           title="Accuracy against sparsity (τ sweep)")
    ax.legend(loc="lower left")
    return fig


@_styled
def layer_sensitivity(results: Results, *, colour: dict) -> Figure:
    """Test accuracy when one layer alone is pruned to each sparsity."""
    sens = results.metrics["sensitivity"]
    fig = Figure(figsize=SINGLE_COLUMN)
    ax = fig.add_subplot()
    for layer, accuracy in sens["accuracy"].items():
        ax.plot(sens["sparsities"], accuracy, color=colour[layer], marker="o",
                markersize=2.5, label=f"only {layer} pruned")
    ax.axhline(sens["baseline_accuracy"], color=colour["muted"], linewidth=0.7,
               label="unpruned")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set(xlabel="sparsity of the pruned layer", ylabel="test accuracy",
           title="Layer sensitivity")
    ax.legend(loc="lower left")
    return fig


@_styled
def threshold_vs_percentile(results: Results, *, colour: dict) -> Figure:
    """Accuracy and per-layer sparsity: one global τ vs layer-wise percentiles."""
    comparison = results.metrics["threshold_vs_percentile"]
    methods = {"global_threshold": "one global τ", "layerwise_percentile": "per-layer percentile"}
    groups = ["accuracy", "ffnn1", "cls_head", "global"]
    fig = Figure(figsize=SINGLE_COLUMN)
    ax = fig.add_subplot()
    x, width = np.arange(len(groups)), 0.38
    for offset, (key, label), shade in zip((-width / 2, width / 2), methods.items(),
                                           ("threshold", "weights")):
        entry = comparison[key]
        values = [entry["accuracy"]] + [entry["sparsity"][g] for g in groups[1:]]
        bars = ax.bar(x + offset, values, width, label=label, color=colour[shade])
        ax.bar_label(bars, fmt="{:.1%}", fontsize=5.5, padding=1)
    ax.set_xticks(x, ["test accuracy", "ffnn1\nsparsity", "cls_head\nsparsity",
                      "global\nsparsity"])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.15)
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper right", ncols=2)
    ax.set_title(f"Global τ vs per-layer percentile at {comparison['sparsity']:.0%} sparsity")
    return fig


@_styled
def threshold_vs_percentile_distributions(results: Results, *, colour: dict) -> Figure:
    """Each layer's weights under one global τ and under per-layer percentiles, at the
    same global sparsity: outlines on shared merged bins, log counts."""
    fig = Figure(figsize=TALL)
    for ax, layer in zip(fig.subplots(2, 1), ("ffnn1", "cls_head")):
        edges, (by_global, by_layer) = display_histograms(
            results.edges(layer), results.counts("percentile", layer),
            results.histograms[f"counts/layerwise_percentile/{layer}"])
        ax.stairs(by_global, edges, color=colour["threshold"], linewidth=1.6, label="one global τ")
        ax.stairs(by_layer, edges, color=colour["weights"], linewidth=1.0, linestyle=(0, (3, 1.5)),
                  label="per-layer percentile")
        _count_axis(ax, True)
        ax.set_xlim(occupied_limits(edges, [by_global, by_layer]))
        ax.set_title(LAYER_TITLES[layer])
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
    fig.suptitle(f"{LAYER_TITLES[layer]} during in-loop pruning", fontsize=8)
    fig.colorbar(mesh, ax=heat, location="top", shrink=0.6, aspect=30, pad=0.01,
                 label="weights per bin (log colour scale)")
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


@_styled
def training_curves(results: Results, *, colour: dict) -> Figure:
    """Loss (top) and test accuracy (bottom) against step, plain and in-loop runs."""
    curves = results.metrics["curves"]
    fig = Figure(figsize=TALL)
    loss, acc = fig.subplots(2, 1, sharex=True)
    # The plain run is drawn first and wider, so the in-loop run stays visible on top.
    for run, name, width in (("trained", "plain", 2.2), ("in_loop", "in-loop pruned", 1.0)):
        curve = curves[run]
        line = {"color": colour[run], "linewidth": width}
        loss.plot(curve["steps"], curve["train_loss"], label=f"{name}, train", **line)
        loss.plot(curve["steps"], curve["test_loss"], linestyle="--", label=f"{name}, test",
                  **line)
        acc.plot(curve["steps"], curve["test_accuracy"], label=name, **line)
    loss.set(ylabel="cross-entropy loss", title="Training curves")
    acc.set(xlabel="optimizer step", ylabel="test accuracy")
    loss.legend(loc="upper right")
    acc.legend(loc="lower right")
    return fig


@_styled
def compression_payoff(results: Results, *, colour: dict) -> Figure:
    """Bytes per storage format (top) and sparse/dense latency (bottom) per stage."""
    stages = results.metrics["compression"]["stages"]
    names = [s for s in STAGES if s in stages]
    fig = Figure(figsize=TALL)
    size, latency = fig.subplots(2, 1, sharex=True)
    x, width = np.arange(len(names)), 0.27
    formats = (("dense_bytes", "dense", "muted"), ("csr_bytes", "CSR", "weights"),
               ("bitmask_bytes", "bitmask", "init"))
    for offset, (key, label, role) in zip((-width, 0, width), formats):
        size.bar(x + offset, [stages[s][key] / 1024 for s in names], width, label=label,
                 color=colour[role])
    size.set(ylabel="Linear weights (KiB)", title="Compression payoff")
    size.set_ylim(0, size.get_ylim()[1] * 1.2)  # headroom for the legend
    size.legend(loc="upper center", ncols=3)
    size.grid(axis="x", visible=False)
    ratios = [stages[s]["sparse_vs_dense_latency"] for s in names]
    bars = latency.bar(x, ratios, 0.5, color=colour["threshold"])
    latency.bar_label(bars, fmt="{:.2f}×", fontsize=5.5, padding=1)
    latency.axhline(1, color=colour["ink"], linewidth=0.7)
    latency.set_ylim(0, max(ratios + [1]) * 1.2)
    latency.set_ylabel("sparse / dense latency")
    latency.set_xticks(x, [STAGE_SHORT[s] for s in names])
    latency.grid(axis="x", visible=False)
    return fig
