"""Matplotlib figures of the evaluation-only analyses: the threshold sweep, accuracy
against sparsity, per-layer sensitivity, threshold vs percentile, training curves and
the compression payoff. Pure builders, as in `pruning_pipeline.figures.plots`."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ..names import METHOD_LABEL, STAGE, layers_of
from ..results import GLOBAL, STAGES, Results
from ..seeds.grid import aligned
from . import tables
from .plots import SINGLE_COLUMN, TALL
from .style import _styled, label_decades, layer_colours, retention, retention_inverse

LEGEND_LAYERS = 7  # a legend names each layer up to this many; beyond, colour runs first -> last


def _layer_label(results: Results, layer: str, index: int, template: str = "{}") -> str | None:
    """A layer's legend label, or None (left out of the legend) when there are too many:
    then only the first and the last layer are named."""
    count = len(results.layers)
    if layer == GLOBAL or count <= LEGEND_LAYERS:
        return template.format(layers_of(results.metrics)[layer].title)
    if index in (0, count - 1):
        return template.format(f"{layer} ({'first' if index == 0 else 'last'} of {count})")
    return None

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
    seeds = np.array([own["accuracy"] for own in aligned(m["sweep"] for m in results.per_seed)], float)
    first = results.per_seed[0]["config"]["seed"]
    if len(seeds) > 1:
        acc.fill_between(taus, seeds.min(axis=0), seeds.max(axis=0), color=colour["ink"], alpha=0.15, linewidth=0,
                         label=f"lowest to highest of {len(seeds)} seeds")
    acc.plot(taus, sweep["accuracy"], color=colour["ink"], marker="o", markersize=2,
             label=f"seed {first}" if len(seeds) > 1 else "_")
    acc.axhline(sweep["baseline_accuracy"], color=colour["muted"], linewidth=0.7,
                label="unpruned")
    acc.set_ylabel("test accuracy")
    colours = layer_colours(colour, results.layers)
    for index, layer in enumerate((GLOBAL, *results.layers)):
        label = _layer_label(results, layer, index - 1)
        # a layer holding most of the weights follows the global curve: drawn wide
        # beneath it, it shows as a band around that curve instead of vanishing
        sparsity.plot(taus, sweep["sparsity"][layer], color=colours[layer], label=label or "_",
                      marker="o" if layer == GLOBAL else None, markersize=2,
                      linewidth=1.2 if layer == GLOBAL else 4.5, alpha=1.0 if layer == GLOBAL else 0.6,
                      zorder=3 if layer == GLOBAL else 2)
    sparsity.set_ylabel("sparsity")
    sparsity.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    smallest = taus[taus > 0].min()
    sparsity.set_xscale("symlog", linthresh=smallest, linscale=0.3)
    label_decades(sparsity.xaxis, quiet_up_to=smallest)
    sparsity.set_xlabel("threshold τ (symlog; 0 at left)")
    for ax in (acc, sparsity):
        _mark_sweep_points(ax, sweep, colour)
    sparsity.legend(handles=[line for line in sparsity.lines[:len(results.layer_keys)]
                             if not line.get_label().startswith("_")], loc="upper left")
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
    colours = layer_colours(colour, results.layers)
    for index, (layer, accuracy) in enumerate(sens["accuracy"].items()):
        ax.plot(sens["sparsities"], accuracy, color=colours[layer], marker="o", markersize=2.5,
                label=_layer_label(results, layer, index, "only {} pruned") or "_")
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
    groups = ["accuracy", *results.layers, GLOBAL]
    fig = Figure(figsize=SINGLE_COLUMN if len(groups) <= 6 else (min(3.4 + 0.16 * len(groups), 12), 2.6))
    ax = fig.add_subplot()
    x, width = np.arange(len(groups)), 0.38
    for offset, (key, label), shade in zip((-width / 2, width / 2), methods.items(),
                                           ("threshold", "weights")):
        entry = comparison[key]
        values = [entry["accuracy"]] + [entry["sparsity"][g] for g in groups[1:]]
        bars = ax.bar(x + offset, values, width, label=label, color=colour[shade])
        if len(groups) <= 6:  # beyond, the bars are read off the axis
            ax.bar_label(bars, fmt="{:.1%}", fontsize=5.5, padding=1)
    ax.set_xticks(x, ["test accuracy"] + [f"{g}\nsparsity" for g in groups[1:]],
                  rotation=0 if len(groups) <= 6 else 90)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.15)
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper right", ncols=2)
    ax.set_title(f"Global τ vs per-layer percentile at {comparison['sparsity']:.0%} sparsity")
    return fig


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
    size.set(ylabel="pruned weights (KiB)", title="Compression payoff")
    size.set_ylim(0, size.get_ylim()[1] * 1.2)  # headroom for the legend
    size.legend(loc="upper center", ncols=3)
    size.grid(axis="x", visible=False)
    ratios = [stages[s]["sparse_vs_dense_latency"] for s in names]
    bars = latency.bar(x, ratios, 0.5, color=colour["threshold"])
    latency.bar_label(bars, fmt="{:.2f}×", fontsize=5.5, padding=1)
    latency.axhline(1, color=colour["ink"], linewidth=0.7)
    latency.set_ylim(0, max(ratios + [1]) * 1.2)
    latency.set_ylabel("sparse / dense latency")
    latency.set_xticks(x, [STAGE[s].short for s in names])
    latency.grid(axis="x", visible=False)
    return fig


METHOD_ROLE = {"global": "weights", "layer": "init", "random": "muted", "gradual": "in_loop"}  # colour per ranking


def _over_seeds(results: Results, pick) -> np.ndarray:
    """(seeds, targets) array of ``pick(methods)`` in every seed, NaN where undefined."""
    return np.array([[np.nan if v is None else v for v in pick(m["methods"])] for m in results.per_seed], float)


@_styled
def methods_at_matched_sparsity(results: Results, *, colour: dict) -> Figure:
    """Test accuracy of every pruning method against the sparsity of the selected layers:
    each line the mean over the seeds, its band their lowest to highest."""
    methods = results.metrics["methods"]
    targets = np.asarray(methods["targets"])
    fig = Figure(figsize=(5.0, 3.4))
    ax = fig.add_subplot()
    ax.set_xscale("function", functions=(retention, retention_inverse))
    dense = _over_seeds(results, lambda m: [m["dense_accuracy"]])[:, 0]
    ax.axhspan(dense.min(), dense.max(), color=colour["muted"], alpha=0.15, linewidth=0)
    ax.axhline(dense.mean(), color=colour["ink"], linestyle="--", linewidth=0.8, label="unpruned")
    marked = False
    for name, label in METHOD_LABEL.items():
        values = _over_seeds(results, lambda m: m["accuracy"][name])
        shown = ~np.isnan(values).any(axis=0)
        if not shown.any():
            continue
        tuned = name.endswith("_finetuned")
        line = {"color": colour[METHOD_ROLE[name.removesuffix("_finetuned")]],
                "linestyle": "-" if tuned or name == "gradual" else ":", "linewidth": 1.3 if tuned else 1.0}
        x, mean = targets[shown], values[:, shown].mean(axis=0)
        if name == "gradual":
            low, high = values[:, shown].min(axis=0), values[:, shown].max(axis=0)
            ax.errorbar(x, mean, yerr=[mean - low, high - mean], marker="D", markersize=4, capsize=2,
                        linestyle="none", color=line["color"], label=label, zorder=4)
            continue
        ax.plot(x, mean, marker="o", markersize=2.5, label=label, **line)
        dead = np.array(tables.collapsed(results, name.removesuffix("_finetuned")))[shown]
        if tuned and dead.any():  # one mark per ranking: where some seed's layer lost a whole unit
            ax.plot(x[dead], mean[dead], marker="x", markersize=6, markeredgewidth=1.4, linestyle="none",
                    color=colour["threshold"], zorder=5,
                    label=f"a class of {results.layers[-1]} lost every weight (some seed)" if not marked else "_")
            marked = True
        if len(values) > 1:
            ax.fill_between(x, values[:, shown].min(axis=0), values[:, shown].max(axis=0), color=line["color"],
                            alpha=0.15 if tuned else 0.08, linewidth=0)
    ax.set_xticks(targets, [f"{t:.0%}" if round(t * 100) == t * 100 else f"{t:.1%}" for t in targets])
    ends = retention(targets[[0, -1]])
    ax.set_xlim(*retention_inverse(ends + [-0.12, 0.12]))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    seeds = len(results.per_seed)
    ax.set(xlabel="sparsity of the pruned layers", ylabel="test accuracy",
           title="Methods at the same sparsity" + (f" ({seeds} seeds: mean, band min–max)" if seeds > 1 else ""))
    ax.legend(loc="lower left", fontsize=5.5, ncols=2)
    return fig
