"""The catalog of every published figure: its stem, title, caption with this run's
numbers and the page that shows it, plus (lazily) how to draw it and the table of data
behind it. Draws nothing itself; no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..formatting import fmt_pct, fmt_ratio, fmt_sig
from ..names import STAGE, layers_of
from ..results import GLOBAL, Results
from ..seeds.value import combine, with_seeds
from . import tables
from .binning import COMPARED_STAGES, distribution_layers, stage_threshold, stage_view
from .tables import Table

FIGURE_FORMATS = ("png", "svg", "pdf", "csv")
LIGHT_FORMATS = ("png", "svg", "pdf")
DARK_FORMATS = ("png", "svg")
GLOBAL_STAGES = ("post", "percentile")  # stages that also get a histogram of all layers together


STATIC_DIR = "static"  # where a site publishes every figure file


def stable_url(name: str, site_url: str | None) -> str:
    """The URL a paper can cite for a published file: absolute under ``site_url``, else
    relative to the site's root."""
    return f"{site_url.rstrip('/')}/{STATIC_DIR}/{name}" if site_url else f"{STATIC_DIR}/{name}"


@dataclass(frozen=True)
class FigureInfo:
    """One figure of the catalog, as published in ``static/figures.json``: its files are
    ``{stem}.{format}`` plus the dark PNG/SVG; ``page`` is the docs page that shows it,
    ``kind`` is ``histogram`` or ``analysis``. A figure drawn once per layer names its
    ``layer`` and its ``group`` (a stage key for histograms, ``dynamics`` or
    ``comparison``): the galleries that page through the layers collect them by group."""

    stem: str
    title: str
    caption: str
    page: str
    kind: str
    formats: tuple[str, ...] = FIGURE_FORMATS
    group: str = ""
    layer: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "FigureInfo":
        return cls(
            stem=str(data["stem"]),
            title=str(data["title"]),
            caption=str(data["caption"]),
            page=str(data["page"]),
            kind=str(data["kind"]),
            formats=tuple(data.get("formats") or FIGURE_FORMATS),
            group=str(data.get("group", "")),
            layer=str(data.get("layer", "")),
        )

    def files(self) -> list[str]:
        """Every file name of this figure: each format, plus the dark PNG/SVG."""
        names = [f"{self.stem}.{ext}" for ext in self.formats]
        names += [f"{self.stem}-dark.{ext}" for ext in DARK_FORMATS if ext in self.formats]
        return names


def _draw(module: str, builder: str, *args, dark: bool):
    """Call a plot builder, importing matplotlib only when a figure is really drawn (a
    site rebuilt from the cache reads the catalog but draws nothing)."""
    from importlib import import_module

    return getattr(import_module(f"{__package__}.{module}"), builder)(*args, dark=dark)


@dataclass(frozen=True)
class Spec:
    """A catalog entry with its (lazy) drawing and data."""

    info: FigureInfo
    draw: Callable[..., object]  # draw(dark=bool) -> Figure
    table: Callable[[], Table]


# ------------------------------------------------------------------------------ catalog


def catalog(results: Results) -> list[FigureInfo]:
    """Every figure of ``results``, in page order; draws nothing."""
    return [spec.info for spec in specs(results)]


def specs(results: Results) -> list[Spec]:
    histograms = [_histogram_spec(results, stage, layer)
                  for stage in STAGE
                  for layer in results.layers + ((GLOBAL,) if stage in GLOBAL_STAGES else ())]
    return histograms + _analysisspecs(results)


def histogram_stem(results: Results, stage: str, layer: str) -> str:
    """Public stem of a histogram figure, e.g. ``at-prune-0.4-ffnn`` or ``percentile-20``."""
    return STAGE[stage].figure_stem(layers_of(results.metrics)[layer], results.metrics["config"])


def _stage_phrase(results: Results, stage: str) -> str:
    """How the weights of ``stage`` came to be, with its threshold, for captions."""
    if stage in ("init", "trained"):
        return {"init": "at initialization", "trained": "after training, before any pruning"}[stage]
    tau = stage_threshold(results, stage)
    if stage == "in_loop":
        rule = f"at τ = {tau:.3g}" if tau is not None else "by percentile"
        return f"after training with pruning {rule} after every step"
    if stage == "post":
        return f"after pruning the trained weights at τ = {tau:.3g}"
    percentile = results.metrics["config"]["percentile"]
    return f"after pruning at the global {percentile:g}th percentile of |w| (τ = {tau:.3g})"


def _weights_noun(results: Results, layer: str) -> str:
    return f"weights of {layers_of(results.metrics)[GLOBAL].title}" if layer == GLOBAL else f"{layer} weights"


def _histogram_spec(results: Results, stage: str, layer: str) -> Spec:
    stats = results.stage(stage)["layers"][layer]
    title = f"{layers_of(results.metrics)[layer].title}, {STAGE[stage].phrase}"
    weights = _weights_noun(results, layer)
    caption = (f"Histogram of the {stats['count']:,} {weights} {_stage_phrase(results, stage)}: "
               f"{stats['zeros']:,} ({fmt_pct(stats['sparsity'], '2')}) are zero, "
               f"mean {fmt_sig(stats['mean'])}, "  # a mean of zeros that is -0.0 reads 0
               f"std {fmt_sig(stats['std'])}; test accuracy {fmt_pct(results.stage(stage)['accuracy'])}."
               + _over_seeds(results, [("sparsity", lambda m: m["stages"][stage]["layers"][layer]["sparsity"], _pct2),
                                       ("test accuracy", lambda m: m["stages"][stage]["accuracy"], fmt_pct)]))
    return Spec(
        FigureInfo(histogram_stem(results, stage, layer), title, caption,
                   STAGE[stage].page, "histogram", group=stage, layer=layer),
        lambda dark: _draw("plots", "histogram", results, stage, layer, dark=dark),
        lambda: tables.histogram_table(*stage_view(results, stage, layer)[:2]),
    )


def _analysis(stem, title, caption, page, draw, table) -> Spec:
    return Spec(FigureInfo(stem, title, caption, page, "analysis"), draw, table)


def _grouped(group, layer, stem, title, caption, page, draw, table) -> Spec:
    """An analysis figure drawn once per layer, collected by its group's gallery."""
    return Spec(FigureInfo(stem, title, caption, page, "analysis", group=group, layer=layer), draw, table)


CAPTION_LAYERS = 4  # a caption names each layer up to this many, else gives the range


def _per_layer(values: dict[str, float], fmt) -> str:
    """'ffnn1 97.1%, cls_head 99.0%', or for many layers the lowest and the highest."""
    if len(values) <= CAPTION_LAYERS:
        return ", ".join(f"{layer} {fmt(v)}" for layer, v in values.items())
    low, high = min(values, key=values.get), max(values, key=values.get)
    return f"from {fmt(values[low])} ({low}) to {fmt(values[high])} ({high}) over {len(values)} layers"


def _pct2(value: float) -> str:
    return fmt_pct(value, "2")


def _over_seeds(r: Results, numbers: list[tuple[str, Callable[[dict], float], Callable[[float], str]]],
                drawn: bool = True) -> str:
    """With several seeds, what a caption of a figure drawn from the first seed adds: that
    its own numbers are that seed's (``drawn``), and ``numbers`` (a label, the number in
    one seed's metrics, its format) as the seeds' mean ± sd, as the pages quote them.
    Nothing with one seed."""
    seeds = r.per_seed
    if len(seeds) < 2:
        return ""
    said = ", ".join(f"{label} {fmt(with_seeds(*combine([get(m) for m in seeds])))}" for label, get, fmt in numbers)
    lead = f"Drawn from seed {seeds[0]['config']['seed']}; over" if drawn else "Over"
    return f" {lead} the {len(seeds)} seeds: {said}."


def _distribution_layers(r: Results) -> str:
    keys = distribution_layers(r)
    named = ", ".join(keys[:-1]) + " and " + keys[-1] if len(keys) > 1 else keys[0]
    return f"{named} weights" + ("" if len(keys) == len(r.layers) else
                                 f" (of {len(r.layers)} layers, those where the two rules differ most)")

def _sweep_band_caption(r: Results) -> str:
    """What a figure drawn from the first seed with the others' band says of the seeds."""
    seeds = r.per_seed
    return (f"; seed {seeds[0]['config']['seed']}'s numbers, the band the lowest to highest accuracy of "
            f"{len(seeds)} seeds at each τ" if len(seeds) > 1 else "")


def _analysisspecs(r: Results) -> list[Spec]:
    m = r.metrics
    sweep, tvp, comp = m["sweep"], m["threshold_vs_percentile"], m["compression"]["stages"]
    ci, ki = sweep["configured_index"], sweep["knee_index"]
    sens = m["sensitivity"]
    specs = [
        _analysis("threshold-sweep", "Threshold sweep",
                  f"Test accuracy and sparsity as the post-training threshold τ grows: "
                  f"at the configured τ = {sweep['taus'][ci]:.3g}, "
                  f"{fmt_pct(sweep['accuracy'][ci])} accuracy at "
                  f"{fmt_pct(sweep['sparsity']['global'][ci], '2')} sparsity; the knee is at "
                  f"τ = {sweep['taus'][ki]:.3g} ({fmt_pct(sweep['accuracy'][ki])} at "
                  f"{fmt_pct(sweep['sparsity']['global'][ki], '2')})" + _sweep_band_caption(r) + "."
                  + _over_seeds(r, [(f"at τ = {sweep['taus'][ci]:.3g}, accuracy",
                                     lambda m: m["sweep"]["accuracy"][m["sweep"]["configured_index"]], fmt_pct),
                                    ("sparsity",
                                     lambda m: m["sweep"]["sparsity"]["global"][m["sweep"]["configured_index"]], _pct2),
                                    ("the knee's τ", lambda m: m["sweep"]["taus"][m["sweep"]["knee_index"]], fmt_sig)],
                                drawn=False),
                  "what-the-visuals-reveal", lambda dark: _draw("analysis_plots", "threshold_sweep", r, dark=dark),
                  lambda: tables.sweep_table(r)),
        _analysis("accuracy-vs-sparsity", "Accuracy against sparsity",
                  f"Test accuracy against global sparsity along the τ sweep; unpruned "
                  f"accuracy {fmt_pct(sweep['baseline_accuracy'])}, configured τ and knee marked."
                  + _over_seeds(r, [("unpruned accuracy", lambda m: m["sweep"]["baseline_accuracy"], fmt_pct)]),
                  "what-the-visuals-reveal",
                  lambda dark: _draw("analysis_plots", "accuracy_vs_sparsity", r, dark=dark),
                  lambda: tables.sweep_table(r)),
        _analysis("layer-sensitivity", "Layer sensitivity",
                  f"Test accuracy when one layer alone is pruned; at "
                  f"{fmt_pct(sens['sparsities'][-1], '0')} sparsity: "
                  + _per_layer({layer: acc[-1] for layer, acc in sens["accuracy"].items()}, fmt_pct)
                  + f" (unpruned {fmt_pct(sens['baseline_accuracy'])})."
                  + _over_seeds(r, [(f"{layer} at {fmt_pct(sens['sparsities'][-1], '0')} sparsity",
                                     lambda m, layer=layer: m["sensitivity"]["accuracy"][layer][-1], fmt_pct)
                                    for layer in (sens["accuracy"] if len(sens["accuracy"]) <= CAPTION_LAYERS else ())]
                                + [("unpruned", lambda m: m["sensitivity"]["baseline_accuracy"], fmt_pct)]),
                  "what-the-visuals-reveal", lambda dark: _draw("analysis_plots", "layer_sensitivity", r, dark=dark),
                  lambda: tables.sensitivity_table(r)),
        _analysis("threshold-vs-percentile", "Global threshold vs per-layer percentile",
                  f"At {fmt_pct(tvp['sparsity'], '0')} sparsity, one global threshold "
                  f"(τ = {tvp['global_threshold']['threshold']:.3g}) reaches "
                  f"{fmt_pct(tvp['global_threshold']['accuracy'])} test accuracy and per-layer "
                  f"percentiles {fmt_pct(tvp['layerwise_percentile']['accuracy'])}; bars show "
                  f"how each spreads sparsity over the layers."
                  + _over_seeds(r, [(f"test accuracy {rule}" if key == "global_threshold" else rule,
                                     lambda m, key=key: m["threshold_vs_percentile"][key]["accuracy"], fmt_pct)
                                    for rule, key in (("with one global threshold", "global_threshold"),
                                                      ("with per-layer percentiles", "layerwise_percentile"))]),
                  "percentile-pruning", lambda dark: _draw("analysis_plots", "threshold_vs_percentile", r, dark=dark),
                  lambda: tables.threshold_vs_percentile_table(r)),
        _analysis("threshold-vs-percentile-distributions",
                  "Weights under a global threshold vs per-layer percentiles",
                  f"The {_distribution_layers(r)} at {fmt_pct(tvp['sparsity'], '0')} global sparsity, "
                  f"pruned by one global τ ("
                  + _per_layer({k: tvp['global_threshold']['sparsity'][k] for k in r.layers}, _pct2) +
                  " zero) and by the same percentile in every layer, on shared bins, log counts."
                  + _over_seeds(r, [("global τ",
                                     lambda m: m["threshold_vs_percentile"]["global_threshold"]["threshold"],
                                     fmt_sig)]),
                  "percentile-pruning",
                  lambda dark: _draw("plots", "threshold_vs_percentile_distributions", r, dark=dark),
                  lambda: tables.threshold_vs_percentile_distribution_table(r)),
    ]
    specs.append(_methods_spec(r))
    specs += [_dynamics_spec(r, layer) for layer in r.layers]
    specs += [_stage_comparison_spec(r, layer) for layer in r.layer_keys]
    specs += [
        _analysis("training-curves", "Training curves",
                  "Loss and test accuracy against step for plain training and with pruning "
                  "in the loop; final test accuracy "
                  f"{fmt_pct(m['curves']['trained']['test_accuracy'][-1])} (plain) and "
                  f"{fmt_pct(m['curves']['in_loop']['test_accuracy'][-1])} (in-loop)."
                  + _over_seeds(r, [(f"final test accuracy {name}" if run == "trained" else name,
                                     lambda m, run=run: m["curves"][run]["test_accuracy"][-1], fmt_pct)
                                    for name, run in (("of the plain run", "trained"),
                                                      ("of the in-loop run", "in_loop"))]),
                  "training-dynamics", lambda dark: _draw("analysis_plots", "training_curves", r, dark=dark),
                  lambda: tables.curves_table(r)),
        _analysis("compression-payoff", "Compression payoff",
                  f"Bytes of the pruned weights stored dense, as CSR and as a bitmask, and "
                  f"the sparse/dense latency ratio, per stage; after pruning, CSR takes "
                  f"{fmt_pct(comp['post']['csr_bytes'] / comp['post']['dense_bytes'])} of the dense "
                  f"bytes at {comp['post']['sparse_vs_dense_latency']:.2f}× dense latency."
                  + _over_seeds(r, [("CSR share after pruning",
                                     lambda m: m["compression"]["stages"]["post"]["csr_bytes"]
                                     / m["compression"]["stages"]["post"]["dense_bytes"], fmt_pct),
                                    ("latency ratio",
                                     lambda m: m["compression"]["stages"]["post"]["sparse_vs_dense_latency"],
                                     fmt_ratio)]),
                  "compression-payoff", lambda dark: _draw("analysis_plots", "compression_payoff", r, dark=dark),
                  lambda: tables.compression_table(r)),
    ]
    return specs


def _dynamics_spec(r: Results, layer: str) -> Spec:
    dynamics = r.metrics["dynamics"]
    series = dynamics["layers"][layer]
    return _grouped(
        "dynamics", layer,
        f"in-loop-dynamics-{layers_of(r.metrics)[layer].slug}", f"{layer} during in-loop pruning",
        f"The {layer} weight histogram over {len(dynamics['steps'])} recorded steps of "
        f"training {_stage_phrase(r, 'in_loop').removeprefix('after training ')}; below, "
        f"sparsity (final {fmt_pct(series['sparsity'][-1], '2')}) and the share of the "
        f"weights zeroed by the previous step's prune that the next optimizer step moved "
        f"off zero again (final "
        f"{series['regrowth'][-1]:,} of {series['pruned_prev'][-1]:,})."
        + _over_seeds(r, [("final sparsity", lambda m: m["dynamics"]["layers"][layer]["sparsity"][-1], _pct2)]),
        "training-dynamics", lambda dark: _draw("plots", "in_loop_dynamics", r, layer, dark=dark),
        lambda: tables.dynamics_table(r, layer))


def _stage_bands_caption(r: Results, layer: str) -> str:
    """What the stage comparison's bands say of the seeds (nothing with one seed)."""
    if r.seed_counts(COMPARED_STAGES[0], layer) is None:
        return ""
    beyond = sum(int(r.seed_counts(stage, layer)[1].sum()) for stage in COMPARED_STAGES)
    return (f"; the lines are seed {r.per_seed[0]['config']['seed']}'s, the shaded bands (linear panel) span the "
            f"lowest to highest count of {len(r.per_seed)} seeds in each bin"
            + (f" ({beyond:,} weights of other seeds lie beyond these bins and are left out)" if beyond else ""))


def _stage_comparison_spec(r: Results, layer: str) -> Spec:
    named = layers_of(r.metrics)[layer]
    path = " → ".join(fmt_pct(r.stage(s)["layers"][layer]["sparsity"], "2")
                      for s in COMPARED_STAGES)
    return _grouped(
        "comparison", layer,
        f"stage-comparison-{named.slug}", f"{named.title} by stage",
        f"The {_weights_noun(r, layer)} at initialization, after training, pruned in the loop "
        f"and pruned after training, on the same bins, linear and log counts; "
        f"sparsity {path}" + _stage_bands_caption(r, layer) + "."
        + _over_seeds(r, [(("sparsity " if stage == COMPARED_STAGES[2] else "") + STAGE[stage].phrase,
                           lambda m, stage=stage: m["stages"][stage]["layers"][layer]["sparsity"], _pct2)
                          for stage in COMPARED_STAGES[2:]], drawn=False),
        "what-the-visuals-reveal", lambda dark: _draw("plots", "stage_comparison", r, layer, dark=dark),
        lambda: tables.stage_comparison_table(r, layer))


def _methods_spec(r: Results) -> Spec:
    methods = r.metrics["methods"]
    dense = [m["methods"]["dense_accuracy"] for m in r.per_seed]
    over = f"; each line the mean over {len(dense)} seeds, its band their lowest to highest" if len(dense) > 1 else ""
    return _analysis(
        "methods-at-matched-sparsity", "Methods at the same sparsity",
        f"Test accuracy against the sparsity of the pruned layers: one-shot magnitude pruning of the trained "
        f"weights (one global ranking, or each layer on its own) and random pruning, each as pruned (dotted) "
        f"and after {methods['finetune_steps']:,} steps of fine-tuning with the mask fixed (solid); gradual "
        f"pruning inside the loop over the plain run's {methods['gradual']['steps']:,} steps at "
        + ", ".join(fmt_pct(t, "0") for t in methods["gradual"]["targets"])
        + f" (diamonds){over}. Unpruned: {fmt_pct(with_seeds(*combine(dense)))}.",
        "methods-at-the-same-sparsity",
        lambda dark: _draw("analysis_plots", "methods_at_matched_sparsity", r, dark=dark),
        lambda: tables.methods_table(r))
