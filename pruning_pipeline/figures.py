"""The catalog of every published figure, its data as CSV, and its export and cache.

`catalog` names each figure (stem, title, caption with this run's numbers, the
page that shows it) without drawing anything; `export_figures` writes every
figure in every format, light and dark; `cached_figures` keeps one rendered copy
per run and per version of the plotting code, as a cache entry of its own. No torch here: the site renders figures
from a cached `pruning_pipeline.results.Results` alone.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib

from . import plots
from .binning import display_histograms
from .cache import Cache, source_digest
from .config import stable_hash
from .placeholders import DARK_FORMATS
from .placeholders import Figure as FigureInfo
from .results import Results

LIGHT_FORMATS = ("png", "svg", "pdf")
# Fixed metadata: no dates, so every file is byte-identical across runs.
SAVE_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}

LAYER_SLUGS = {"ffnn1": "ffnn", "cls_head": "cls-head"}
HISTOGRAM_STAGES = {  # stage: (stem prefix, page)
    "init": ("initialization", "visualizations/initialization"),
    "trained": ("before-pruning-distribution", "visualizations/before-pruning"),
    "in_loop": ("threshold-inside-the-training-loop",
                "visualizations/threshold-inside-the-training-loop"),
    "post": ("at-prune-{tau}", "visualizations/post-training-pruning"),
    "percentile": ("percentile-{p}", "percentile-pruning"),
}
GLOBAL_STAGES = ("post", "percentile")  # stages that also get a both-layers histogram
HISTOGRAM_LAYERS = ("cls_head", "ffnn1")
HISTOGRAM_HEADER = ["bin_left", "bin_right", "count"]


Table = tuple[list[str], list[list]]


@dataclass(frozen=True)
class _Spec:
    """A catalog entry with its (lazy) drawing and data."""

    info: FigureInfo
    draw: Callable[..., object]  # draw(dark=bool) -> Figure
    table: Callable[[], Table]


# ------------------------------------------------------------------------------ catalog


def catalog(results: Results) -> list[FigureInfo]:
    """Every figure of ``results``, in page order; draws nothing."""
    return [spec.info for spec in _specs(results)]


def _specs(results: Results) -> list[_Spec]:
    histograms = [_histogram_spec(results, stage, layer)
                  for stage in HISTOGRAM_STAGES
                  for layer in HISTOGRAM_LAYERS + (("global",) if stage in GLOBAL_STAGES else ())]
    return histograms + _analysis_specs(results)


def histogram_stem(results: Results, stage: str, layer: str) -> str:
    """Public stem of a histogram figure, e.g. ``at-prune-0.4-ffnn`` or ``percentile-20``."""
    config = results.metrics["config"]
    prefix = HISTOGRAM_STAGES[stage][0].format(tau=f"{config['tau_post']:g}",
                                               p=f"{config['percentile']:g}")
    if layer == "global":
        return prefix
    slug = "cls" if (stage, layer) == ("in_loop", "cls_head") else LAYER_SLUGS[layer]
    return f"{prefix}-{slug}"


def _stage_phrase(results: Results, stage: str) -> str:
    """How the weights of ``stage`` came to be, with its threshold, for captions."""
    if stage in ("init", "trained"):
        return {"init": "at initialization", "trained": "after training, before any pruning"}[stage]
    tau = plots.stage_threshold(results, stage)
    if stage == "in_loop":
        rule = f"at τ = {tau:.3g}" if tau is not None else "by percentile"
        return f"after training with pruning {rule} after every step"
    if stage == "post":
        return f"after pruning the trained weights at τ = {tau:.3g}"
    percentile = results.metrics["config"]["percentile"]
    return f"after pruning at the global {percentile:g}th percentile of |w| (τ = {tau:.3g})"


def _weights_noun(layer: str) -> str:
    return "weights of both Linear layers" if layer == "global" else f"{layer} weights"


def _histogram_spec(results: Results, stage: str, layer: str) -> _Spec:
    stats = results.stage(stage)["layers"][layer]
    title = f"{plots.LAYER_TITLES[layer]}, {plots.STAGE_TITLES[stage]}"
    weights = _weights_noun(layer)
    caption = (f"Histogram of the {stats['count']:,} {weights} {_stage_phrase(results, stage)}: "
               f"{stats['zeros']:,} ({plots.share(stats['sparsity'])}) are zero, "
               f"mean {stats['mean']:.3g}, "
               f"std {stats['std']:.3g}; test accuracy {results.stage(stage)['accuracy']:.1%}.")
    return _Spec(
        FigureInfo(histogram_stem(results, stage, layer), title, caption,
                   HISTOGRAM_STAGES[stage][1], "histogram"),
        lambda dark: plots.histogram(results, stage, layer, dark=dark),
        lambda: histogram_table(*_displayed(results.edges(layer), results.counts(stage, layer))),
    )


def _analysis(stem, title, caption, page, draw, table) -> _Spec:
    return _Spec(FigureInfo(stem, title, caption, page, "analysis"), draw, table)


def _analysis_specs(r: Results) -> list[_Spec]:
    m = r.metrics
    sweep, tvp, comp = m["sweep"], m["threshold_vs_percentile"], m["compression"]["stages"]
    ci, ki = sweep["configured_index"], sweep["knee_index"]
    sens = m["sensitivity"]
    specs = [
        _analysis("threshold-sweep", "Threshold sweep",
                  f"Test accuracy and sparsity as the post-training threshold τ grows: "
                  f"at the configured τ = {sweep['taus'][ci]:.3g}, "
                  f"{sweep['accuracy'][ci]:.1%} accuracy at "
                  f"{plots.share(sweep['sparsity']['global'][ci])} sparsity; the knee is at "
                  f"τ = {sweep['taus'][ki]:.3g} ({sweep['accuracy'][ki]:.1%} at "
                  f"{plots.share(sweep['sparsity']['global'][ki])}).",
                  "what-the-visuals-reveal", lambda dark: plots.threshold_sweep(r, dark=dark),
                  lambda: _sweep_table(r)),
        _analysis("accuracy-vs-sparsity", "Accuracy against sparsity",
                  f"Test accuracy against global sparsity along the τ sweep; unpruned "
                  f"accuracy {sweep['baseline_accuracy']:.1%}, configured τ and knee marked.",
                  "what-the-visuals-reveal",
                  lambda dark: plots.accuracy_vs_sparsity(r, dark=dark),
                  lambda: _sweep_table(r)),
        _analysis("layer-sensitivity", "Layer sensitivity",
                  f"Test accuracy when one layer alone is pruned; at "
                  f"{sens['sparsities'][-1]:.0%} sparsity: "
                  + ", ".join(f"{layer} {acc[-1]:.1%}" for layer, acc in sens["accuracy"].items())
                  + f" (unpruned {sens['baseline_accuracy']:.1%}).",
                  "what-the-visuals-reveal", lambda dark: plots.layer_sensitivity(r, dark=dark),
                  lambda: _sensitivity_table(r)),
        _analysis("threshold-vs-percentile", "Global threshold vs per-layer percentile",
                  f"At {tvp['sparsity']:.0%} sparsity, one global threshold "
                  f"(τ = {tvp['global_threshold']['threshold']:.3g}) reaches "
                  f"{tvp['global_threshold']['accuracy']:.1%} test accuracy and per-layer "
                  f"percentiles {tvp['layerwise_percentile']['accuracy']:.1%}; bars show "
                  f"how each spreads sparsity over the layers.",
                  "percentile-pruning", lambda dark: plots.threshold_vs_percentile(r, dark=dark),
                  lambda: _threshold_vs_percentile_table(r)),
        _analysis("threshold-vs-percentile-distributions",
                  "Weights under a global threshold vs per-layer percentiles",
                  f"The ffnn1 and cls_head weights at {tvp['sparsity']:.0%} global sparsity, "
                  f"pruned by one global τ (ffnn1 "
                  f"{plots.share(tvp['global_threshold']['sparsity']['ffnn1'])}, cls_head "
                  f"{plots.share(tvp['global_threshold']['sparsity']['cls_head'])} zero) and by "
                  f"the same percentile in every layer, on shared bins, log counts.",
                  "percentile-pruning",
                  lambda dark: plots.threshold_vs_percentile_distributions(r, dark=dark),
                  lambda: _threshold_vs_percentile_distribution_table(r)),
    ]
    specs += [_dynamics_spec(r, layer) for layer in ("ffnn1", "cls_head")]
    specs += [_stage_comparison_spec(r, layer) for layer in ("ffnn1", "cls_head", "global")]
    specs += [
        _analysis("training-curves", "Training curves",
                  "Loss and test accuracy against step for plain training and with pruning "
                  "in the loop; final test accuracy "
                  f"{m['curves']['trained']['test_accuracy'][-1]:.1%} (plain) and "
                  f"{m['curves']['in_loop']['test_accuracy'][-1]:.1%} (in-loop).",
                  "training-dynamics", lambda dark: plots.training_curves(r, dark=dark),
                  lambda: _curves_table(r)),
        _analysis("compression-payoff", "Compression payoff",
                  f"Bytes of the Linear weights stored dense, as CSR and as a bitmask, and "
                  f"the sparse/dense latency ratio, per stage; after pruning, CSR takes "
                  f"{comp['post']['csr_bytes'] / comp['post']['dense_bytes']:.1%} of the dense "
                  f"bytes at {comp['post']['sparse_vs_dense_latency']:.2f}× dense latency.",
                  "compression-payoff", lambda dark: plots.compression_payoff(r, dark=dark),
                  lambda: _compression_table(r)),
    ]
    return specs


def _dynamics_spec(r: Results, layer: str) -> _Spec:
    dynamics = r.metrics["dynamics"]
    series = dynamics["layers"][layer]
    return _analysis(
        f"in-loop-dynamics-{LAYER_SLUGS[layer]}", f"{layer} during in-loop pruning",
        f"The {layer} weight histogram over {len(dynamics['steps'])} recorded steps of "
        f"training {_stage_phrase(r, 'in_loop').removeprefix('after training ')}; below, "
        f"sparsity (final {plots.share(series['sparsity'][-1])}) and the share of the "
        f"weights zeroed by the previous step's prune that the next optimizer step moved "
        f"off zero again (final "
        f"{series['regrowth'][-1]:,} of {series['pruned_prev'][-1]:,}).",
        "training-dynamics", lambda dark: plots.in_loop_dynamics(r, layer, dark=dark),
        lambda: _dynamics_table(r, layer))


def _stage_comparison_spec(r: Results, layer: str) -> _Spec:
    slug = LAYER_SLUGS.get(layer, layer)
    path = " → ".join(plots.share(r.stage(s)["layers"][layer]["sparsity"])
                      for s in plots.COMPARED_STAGES)
    return _analysis(
        f"stage-comparison-{slug}", f"{plots.LAYER_TITLES[layer]} by stage",
        f"The {_weights_noun(layer)} at initialization, after training, pruned in the loop "
        f"and pruned after training, on the same bins, linear and log counts; "
        f"sparsity {path}.",
        "what-the-visuals-reveal", lambda dark: plots.stage_comparison(r, layer, dark=dark),
        lambda: _stage_comparison_table(r, layer))


# -------------------------------------------------------------------------------- tables


def _displayed(edges, counts):
    """The merged bins a histogram figure draws (the CSV is the data behind the figure)."""
    merged_edges, (merged,) = display_histograms(edges, counts)
    return merged_edges, merged


def histogram_table(edges, counts) -> Table:
    """Rows ``bin_left, bin_right, count``, one per bin, from stored edges and counts."""
    rows = [[float(left), float(right), int(n)]
            for left, right, n in zip(edges[:-1], edges[1:], counts)]
    return HISTOGRAM_HEADER, rows


def _sweep_table(r: Results) -> Table:
    sweep = r.metrics["sweep"]
    layers = list(sweep["sparsity"])
    header = ["tau", "test_accuracy", "test_loss"] + [f"sparsity_{layer}" for layer in layers] \
        + ["is_configured", "is_knee"]
    rows = [[tau, sweep["accuracy"][i], sweep["loss"][i]]
            + [sweep["sparsity"][layer][i] for layer in layers]
            + [int(i == sweep["configured_index"]), int(i == sweep["knee_index"])]
            for i, tau in enumerate(sweep["taus"])]
    return header, rows


def _sensitivity_table(r: Results) -> Table:
    sens = r.metrics["sensitivity"]
    layers = list(sens["accuracy"])
    rows = [[s] + [sens["accuracy"][layer][i] for layer in layers]
            for i, s in enumerate(sens["sparsities"])]
    return ["sparsity"] + [f"test_accuracy_only_{layer}_pruned" for layer in layers], rows


def _threshold_vs_percentile_table(r: Results) -> Table:
    tvp = r.metrics["threshold_vs_percentile"]
    layers = list(tvp["global_threshold"]["sparsity"])
    header = ["method", "threshold_ffnn1", "threshold_cls_head", "test_accuracy"] \
        + [f"sparsity_{layer}" for layer in layers]
    glob, per_layer = tvp["global_threshold"], tvp["layerwise_percentile"]
    thresholds = {"global_threshold": [glob["threshold"]] * 2,
                  "layerwise_percentile": [per_layer["thresholds"][k]
                                           for k in ("ffnn1", "cls_head")]}
    rows = [[method, *thresholds[method], tvp[method]["accuracy"]]
            + [tvp[method]["sparsity"][layer] for layer in layers] for method in thresholds]
    return header, rows


def _threshold_vs_percentile_distribution_table(r: Results) -> Table:
    rows = []
    for layer in ("ffnn1", "cls_head"):
        edges, (by_global, by_layer) = display_histograms(
            r.edges(layer), r.counts("percentile", layer),
            r.histograms[f"counts/layerwise_percentile/{layer}"])
        rows += [[layer, float(left), float(right), int(g), int(p)]
                 for left, right, g, p in zip(edges[:-1], edges[1:], by_global, by_layer)]
    return ["layer", "bin_left", "bin_right", "count_global_threshold", "count_per_layer_percentile"], rows


def _dynamics_table(r: Results, layer: str) -> Table:
    series = r.metrics["dynamics"]["layers"][layer]
    edges, counts = _displayed(r.edges(layer), r.histograms[f"dynamics/{layer}"])
    header = ["step", "sparsity", "pruned_prev", "regrowth", "bin_left", "bin_right", "count"]
    rows = [[int(step), series["sparsity"][i], series["pruned_prev"][i], series["regrowth"][i],
             *bin_row]
            for i, step in enumerate(r.histograms["dynamics_steps"])
            for bin_row in histogram_table(edges, counts[i])[1]]
    return header, rows


def _stage_comparison_table(r: Results, layer: str) -> Table:
    stages = plots.COMPARED_STAGES
    edges, columns = display_histograms(r.edges(layer), *(r.counts(s, layer) for s in stages))
    _, rows = histogram_table(edges, columns[0])
    rows = [[left, right, *(int(c[i]) for c in columns)]
            for i, (left, right, _) in enumerate(rows)]
    return ["bin_left", "bin_right"] + [f"count_{s}" for s in stages], rows


def _curves_table(r: Results) -> Table:
    columns = ["train_loss", "test_loss", "test_accuracy"]
    rows = [[run, step] + [curve[c][i] for c in columns]
            for run, curve in r.metrics["curves"].items() for i, step in enumerate(curve["steps"])]
    return ["run", "step"] + columns, rows


def _compression_table(r: Results) -> Table:
    stages = r.metrics["compression"]["stages"]
    columns = ["nonzeros", "dense_bytes", "csr_bytes", "bitmask_bytes", "dense_latency_ms",
               "sparse_latency_ms", "sparse_vs_dense_latency"]
    return ["stage"] + columns, [[s] + [stages[s][c] for c in columns] for s in stages]


# -------------------------------------------------------------------------------- export


def export_figures(results: Results, out_dir: Path) -> list[FigureInfo]:
    """Write every catalogued figure into ``out_dir``.

    Per stem: ``.png`` (300 dpi), ``.svg``, ``.pdf`` (TrueType fonts embedded), ``.csv``
    (the data behind it), ``-dark.png`` and ``-dark.svg``. Byte-reproducible. Figures
    are independent, so where processes can be forked they render on every core.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = _specs(results)
    workers = min(os.cpu_count() or 1, len(specs))
    global _EXPORTING
    _EXPORTING = (results, out_dir)  # forked workers inherit it: only indices cross over
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                list(pool.map(_export_one, range(len(specs))))
        else:
            for index in range(len(specs)):
                _export_one(index)
    finally:
        _EXPORTING = None
    return [spec.info for spec in specs]


_EXPORTING: tuple[Results, Path] | None = None


def _export_one(index: int) -> None:
    """Every file of the ``index``-th figure of the catalog being exported."""
    results, out_dir = _EXPORTING
    spec = _specs(results)[index]
    _save_variant(spec, out_dir / spec.info.stem, dark=False)
    _save_variant(spec, out_dir / f"{spec.info.stem}-dark", dark=True)
    _write_csv(out_dir / f"{spec.info.stem}.csv", *spec.table())


def _save_variant(spec: _Spec, base: Path, dark: bool) -> None:
    # Saved inside the style: matplotlib styles lazily created ticks at draw time.
    with plots.style(dark):
        figure = spec.draw(dark=dark)
        for fmt in DARK_FORMATS if dark else LIGHT_FORMATS:
            figure.savefig(base.with_name(f"{base.name}.{fmt}"), metadata=SAVE_METADATA[fmt])


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# --------------------------------------------------------------------------------- cache


# Every module whose source changes a rendered file.
FIGURE_MODULES = ("binning", "figures", "formatting", "placeholders", "plots", "results")
FIGURES_KIND = "figures"


def figures_key(results: Results) -> str:
    """Cache key of a render: the run, the plotting source and the matplotlib version."""
    return stable_hash({"run": results.run_id, "code": source_digest(*FIGURE_MODULES),
                        "matplotlib": matplotlib.__version__})


def cached_figures(results: Results) -> Path:
    """Directory holding every rendered figure file of ``results``.

    A finished run lives in ``<cache>/results/<run id>``; its render is an entry of its
    own, ``<cache>/figures/<key>``, written and checked like every cache entry (atomic,
    checksummed, a damaged one re-rendered). Without a cache entry, render into a fresh
    temporary directory.
    """
    if results.entry_dir is None:
        directory = Path(tempfile.mkdtemp(prefix="figures-"))
        export_figures(results, directory)
        return directory
    cache = Cache(Path(results.entry_dir).parent.parent)
    key = figures_key(results)
    return cache.get(FIGURES_KIND, key) or cache.put(FIGURES_KIND, key, lambda d: export_figures(results, d))
