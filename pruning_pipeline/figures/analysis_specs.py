"""The analysis figures of the catalog (the sweep, layer sensitivity, threshold against
percentile, training curves, compression, dynamics, the stage comparison and the
methods at the same sparsity): each with its caption of this run's numbers."""

from __future__ import annotations

from ..formatting import fmt_pct, fmt_ratio, fmt_sig
from ..names import ONE_SHOT_RANKINGS, RANKING_LABEL, STAGE, layers_of
from ..results import Results
from ..seeds.value import of_seeds
from . import tables
from .binning import COMPARED_STAGES, distribution_layers
from .spec import (CAPTION_LAYERS, Spec, analysis_spec, draw_with, grouped_spec, over_seeds_caption, pct2, per_layer,
                   stage_phrase, weights_noun)

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


def analysis_specs(r: Results) -> list[Spec]:
    m = r.metrics
    sweep, tvp, comp = m["sweep"], m["threshold_vs_percentile"], m["compression"]["stages"]
    ci, ki = sweep["configured_index"], sweep["knee_index"]
    sens = m["sensitivity"]
    specs = [
        analysis_spec("threshold-sweep", "Threshold sweep",
                      f"Test accuracy and sparsity as the post-training threshold τ grows: "
                      f"at the configured τ = {sweep['taus'][ci]:.3g}, "
                      f"{fmt_pct(sweep['accuracy'][ci])} accuracy at "
                      f"{fmt_pct(sweep['sparsity']['global'][ci], '2')} sparsity; the knee is at "
                      f"τ = {sweep['taus'][ki]:.3g} ({fmt_pct(sweep['accuracy'][ki])} at "
                      f"{fmt_pct(sweep['sparsity']['global'][ki], '2')})" + _sweep_band_caption(r) + "."
                      + over_seeds_caption(r, [(f"at τ = {sweep['taus'][ci]:.3g}, accuracy",
                                         lambda m: m["sweep"]["accuracy"][m["sweep"]["configured_index"]], fmt_pct),
                                        ("sparsity",
                                         lambda m: m["sweep"]["sparsity"]["global"][m["sweep"]["configured_index"]], pct2),
                                        ("the knee's τ", lambda m: m["sweep"]["taus"][m["sweep"]["knee_index"]], fmt_sig)],
                                    drawn=False),
                      "what-the-visuals-reveal", lambda dark: draw_with("analysis_plots", "threshold_sweep", r, dark=dark),
                      lambda: tables.sweep_table(r)),
        analysis_spec("accuracy-vs-sparsity", "Accuracy against sparsity",
                      f"Test accuracy against global sparsity along the τ sweep; unpruned "
                      f"accuracy {fmt_pct(sweep['baseline_accuracy'])}, configured τ and knee marked."
                      + over_seeds_caption(r, [("unpruned accuracy", lambda m: m["sweep"]["baseline_accuracy"], fmt_pct)]),
                      "what-the-visuals-reveal",
                      lambda dark: draw_with("analysis_plots", "accuracy_vs_sparsity", r, dark=dark),
                      lambda: tables.sweep_table(r)),
        analysis_spec("layer-sensitivity", "Layer sensitivity",
                      f"Test accuracy when one layer alone is pruned; at "
                      f"{fmt_pct(sens['sparsities'][-1], '0')} sparsity: "
                      + per_layer({layer: acc[-1] for layer, acc in sens["accuracy"].items()}, fmt_pct)
                      + f" (unpruned {fmt_pct(sens['baseline_accuracy'])})."
                      + over_seeds_caption(r, [(f"{layer} at {fmt_pct(sens['sparsities'][-1], '0')} sparsity",
                                         lambda m, layer=layer: m["sensitivity"]["accuracy"][layer][-1], fmt_pct)
                                        for layer in (sens["accuracy"] if len(sens["accuracy"]) <= CAPTION_LAYERS else ())]
                                    + [("unpruned", lambda m: m["sensitivity"]["baseline_accuracy"], fmt_pct)]),
                      "what-the-visuals-reveal", lambda dark: draw_with("analysis_plots", "layer_sensitivity", r, dark=dark),
                      lambda: tables.sensitivity_table(r)),
        analysis_spec("threshold-vs-percentile", "Global threshold vs per-layer percentile",
                      f"At {fmt_pct(tvp['sparsity'], '0')} sparsity, one global threshold "
                      f"(τ = {tvp['global_threshold']['threshold']:.3g}) reaches "
                      f"{fmt_pct(tvp['global_threshold']['accuracy'])} test accuracy and per-layer "
                      f"percentiles {fmt_pct(tvp['layerwise_percentile']['accuracy'])}; bars show "
                      f"how each spreads sparsity over the layers."
                      + over_seeds_caption(r, [(f"test accuracy {rule}" if key == "global_threshold" else rule,
                                         lambda m, key=key: m["threshold_vs_percentile"][key]["accuracy"], fmt_pct)
                                        for rule, key in (("with one global threshold", "global_threshold"),
                                                          ("with per-layer percentiles", "layerwise_percentile"))]),
                      "percentile-pruning", lambda dark: draw_with("analysis_plots", "threshold_vs_percentile", r, dark=dark),
                      lambda: tables.threshold_vs_percentile_table(r)),
        analysis_spec("threshold-vs-percentile-distributions",
                      "Weights under a global threshold vs per-layer percentiles",
                      f"The {_distribution_layers(r)} at {fmt_pct(tvp['sparsity'], '0')} global sparsity, "
                      f"pruned by one global τ ("
                      + per_layer({k: tvp['global_threshold']['sparsity'][k] for k in r.layers}, pct2) +
                      " zero) and by the same percentile in every layer, on shared bins, log counts."
                      + over_seeds_caption(r, [("global τ",
                                         lambda m: m["threshold_vs_percentile"]["global_threshold"]["threshold"],
                                         fmt_sig)]),
                      "percentile-pruning",
                      lambda dark: draw_with("plots", "threshold_vs_percentile_distributions", r, dark=dark),
                      lambda: tables.threshold_vs_percentile_distribution_table(r)),
    ]
    specs.append(_methods_spec(r))
    specs += [_dynamics_spec(r, layer) for layer in r.layers]
    specs += [_stage_comparison_spec(r, layer) for layer in r.layer_keys]
    specs += [
        analysis_spec("training-curves", "Training curves",
                      "Loss and test accuracy against step for plain training and with pruning "
                      "in the loop; final test accuracy "
                      f"{fmt_pct(m['curves']['trained']['test_accuracy'][-1])} (plain) and "
                      f"{fmt_pct(m['curves']['in_loop']['test_accuracy'][-1])} (in-loop)."
                      + over_seeds_caption(r, [(f"final test accuracy {name}" if run == "trained" else name,
                                         lambda m, run=run: m["curves"][run]["test_accuracy"][-1], fmt_pct)
                                        for name, run in (("of the plain run", "trained"),
                                                          ("of the in-loop run", "in_loop"))]),
                      "training-dynamics", lambda dark: draw_with("analysis_plots", "training_curves", r, dark=dark),
                      lambda: tables.curves_table(r)),
        analysis_spec("compression-payoff", "Compression payoff",
                      f"Bytes of the pruned weights stored dense, as CSR and as a bitmask, and "
                      f"the sparse/dense latency ratio, per stage; after pruning, CSR takes "
                      f"{fmt_pct(comp['post']['csr_bytes'] / comp['post']['dense_bytes'])} of the dense "
                      f"bytes at {comp['post']['sparse_vs_dense_latency']:.2f}× dense latency."
                      + over_seeds_caption(r, [("CSR share after pruning",
                                         lambda m: m["compression"]["stages"]["post"]["csr_bytes"]
                                         / m["compression"]["stages"]["post"]["dense_bytes"], fmt_pct),
                                        ("latency ratio",
                                         lambda m: m["compression"]["stages"]["post"]["sparse_vs_dense_latency"],
                                         fmt_ratio)]),
                      "compression-payoff", lambda dark: draw_with("analysis_plots", "compression_payoff", r, dark=dark),
                      lambda: tables.compression_table(r)),
    ]
    return specs


def _dynamics_spec(r: Results, layer: str) -> Spec:
    dynamics = r.metrics["dynamics"]
    series = dynamics["layers"][layer]
    return grouped_spec(
        "dynamics", layer,
        f"in-loop-dynamics-{layers_of(r.metrics)[layer].slug}", f"{layer} during in-loop pruning",
        f"The {layer} weight histogram over {len(dynamics['steps'])} recorded steps of "
        f"training {stage_phrase(r, 'in_loop').removeprefix('after training ')}; below, "
        f"sparsity (final {fmt_pct(series['sparsity'][-1], '2')}) and the share of the "
        f"weights zeroed by the previous step's prune that the next optimizer step moved "
        f"off zero again (final "
        f"{series['regrowth'][-1]:,} of {series['pruned_prev'][-1]:,})."
        + over_seeds_caption(r, [("final sparsity", lambda m: m["dynamics"]["layers"][layer]["sparsity"][-1], pct2)]),
        "training-dynamics", lambda dark: draw_with("plots", "in_loop_dynamics", r, layer, dark=dark),
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
    return grouped_spec(
        "comparison", layer,
        f"stage-comparison-{named.slug}", f"{named.title} by stage",
        f"The {weights_noun(r, layer)} at initialization, after training, pruned in the loop "
        f"and pruned after training, on the same bins, linear and log counts; "
        f"sparsity {path}" + _stage_bands_caption(r, layer) + "."
        + over_seeds_caption(r, [(("sparsity " if stage == COMPARED_STAGES[2] else "") + STAGE[stage].phrase,
                           lambda m, stage=stage: m["stages"][stage]["layers"][layer]["sparsity"], pct2)
                          for stage in COMPARED_STAGES[2:]], drawn=False),
        "what-the-visuals-reveal", lambda dark: draw_with("plots", "stage_comparison", r, layer, dark=dark),
        lambda: tables.stage_comparison_table(r, layer))


def _methods_spec(r: Results) -> Spec:
    methods = r.metrics["methods"]
    dense = [m["methods"]["dense_accuracy"] for m in r.per_seed]
    over = f"; each line the mean over {len(dense)} seeds, its band their lowest to highest" if len(dense) > 1 else ""
    return analysis_spec(
        "methods-at-matched-sparsity", "Methods at the same sparsity",
        f"Test accuracy against the sparsity of the pruned layers: one-shot magnitude pruning of the trained "
        f"weights (one global ranking, or each layer on its own) and random pruning, each as pruned (dotted) "
        f"and after {methods['finetune_steps']:,} steps of fine-tuning with the mask fixed (solid); gradual "
        f"pruning inside the loop over the plain run's {methods['gradual']['steps']:,} steps at "
        + ", ".join(fmt_pct(t, "0") for t in methods["gradual"]["targets"])
        + f" (diamonds){over}. Unpruned: {fmt_pct(of_seeds(dense))}." + _collapse_caption(r),
        "methods-at-the-same-sparsity",
        lambda dark: draw_with("analysis_plots", "methods_at_matched_sparsity", r, dark=dark),
        lambda: tables.methods_table(r))


def _collapse_caption(r: Results) -> str:
    """Where the figure marks a layer collapse (a cross): each ranking's targets at which
    some seed's last pruned layer lost every weight of an output unit (a class)."""
    marked = {RANKING_LABEL[ranking]: [t for t, dead in zip(r.metrics["methods"]["targets"],
                                                            tables.collapsed(r, ranking)) if dead]
              for ranking in ONE_SHOT_RANKINGS}
    said = "; ".join(f"{label} at {', '.join(fmt_pct(t, '0') for t in targets)}"
                     for label, targets in marked.items() if targets)
    return (f" Crosses: in some seed an output unit of {r.layers[-1]}, a class, lost every weight ({said}); "
            "the table below gives every layer's dead units." if said else "")
