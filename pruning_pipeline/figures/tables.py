"""The data behind every figure, as the rows of its CSV: the merged display bins a
histogram draws, and the numbers an analysis figure plots. Pure."""

from __future__ import annotations

from ..results import Results
from ..seeds.grid import aligned
from .binning import COMPARED_STAGES, display_histograms, distribution_layers, seed_display

HISTOGRAM_HEADER = ["bin_left", "bin_right", "count"]

Table = tuple[list[str], list[list]]



def displayed(edges, counts):
    """The merged bins a histogram figure draws (the CSV is the data behind the figure)."""
    merged_edges, (merged,) = display_histograms(edges, counts)
    return merged_edges, merged


def histogram_table(edges, counts) -> Table:
    """Rows ``bin_left, bin_right, count``, one per bin, from stored edges and counts."""
    rows = [[float(left), float(right), int(n)]
            for left, right, n in zip(edges[:-1], edges[1:], counts)]
    return HISTOGRAM_HEADER, rows


def sweep_table(r: Results) -> Table:
    """The first seed's sweep; over several seeds, every seed's accuracy beside it (the
    figure's band), all on the seeds' common τ grid."""
    sweep = r.metrics["sweep"]
    layers = list(sweep["sparsity"])
    seeds = [m["config"]["seed"] for m in r.per_seed] if len(r.per_seed) > 1 else []
    each = [own["accuracy"] for own in aligned(m["sweep"] for m in r.per_seed)] if seeds else []
    header = ["tau", "test_accuracy", "test_loss"] + [f"sparsity_{layer}" for layer in layers] \
        + ["is_configured", "is_knee"] + [f"test_accuracy_seed_{seed}" for seed in seeds]
    rows = [[tau, sweep["accuracy"][i], sweep["loss"][i]]
            + [sweep["sparsity"][layer][i] for layer in layers]
            + [int(i == sweep["configured_index"]), int(i == sweep["knee_index"])]
            + [own[i] for own in each]
            for i, tau in enumerate(sweep["taus"])]
    return header, rows


def sensitivity_table(r: Results) -> Table:
    sens = r.metrics["sensitivity"]
    layers = list(sens["accuracy"])
    rows = [[s] + [sens["accuracy"][layer][i] for layer in layers]
            for i, s in enumerate(sens["sparsities"])]
    return ["sparsity"] + [f"test_accuracy_only_{layer}_pruned" for layer in layers], rows


def threshold_vs_percentile_table(r: Results) -> Table:
    tvp = r.metrics["threshold_vs_percentile"]
    layers = list(tvp["global_threshold"]["sparsity"])
    header = ["method"] + [f"threshold_{layer}" for layer in r.layers] + ["test_accuracy"] \
        + [f"sparsity_{layer}" for layer in layers]
    glob, per_layer = tvp["global_threshold"], tvp["layerwise_percentile"]
    thresholds = {"global_threshold": [glob["threshold"]] * len(r.layers),
                  "layerwise_percentile": [per_layer["thresholds"][k] for k in r.layers]}
    rows = [[method, *thresholds[method], tvp[method]["accuracy"]]
            + [tvp[method]["sparsity"][layer] for layer in layers] for method in thresholds]
    return header, rows


def threshold_vs_percentile_distribution_table(r: Results) -> Table:
    rows = []
    for layer in distribution_layers(r):
        edges, (by_global, by_layer) = display_histograms(
            r.edges(layer), r.counts("percentile", layer),
            r.histograms[f"counts/layerwise_percentile/{layer}"])
        rows += [[layer, float(left), float(right), int(g), int(p)]
                 for left, right, g, p in zip(edges[:-1], edges[1:], by_global, by_layer)]
    return ["layer", "bin_left", "bin_right", "count_global_threshold", "count_per_layer_percentile"], rows


def dynamics_table(r: Results, layer: str) -> Table:
    series = r.metrics["dynamics"]["layers"][layer]
    edges, counts = displayed(r.edges(layer), r.histograms[f"dynamics/{layer}"])
    header = ["step", "sparsity", "pruned_prev", "regrowth", "bin_left", "bin_right", "count"]
    rows = [[int(step), series["sparsity"][i], series["pruned_prev"][i], series["regrowth"][i],
             *bin_row]
            for i, step in enumerate(r.histograms["dynamics_steps"])
            for bin_row in histogram_table(edges, counts[i])[1]]
    return header, rows


def stage_comparison_table(r: Results, layer: str) -> Table:
    """The first seed's counts per stage; over several seeds, every seed's beside them
    on the same bins (the figure's bands)."""
    stages = COMPARED_STAGES
    edges, columns = display_histograms(r.edges(layer), *(r.counts(s, layer) for s in stages))
    header = ["bin_left", "bin_right"] + [f"count_{s}" for s in stages]
    if len(r.per_seed) > 1:
        seeds = [m["config"]["seed"] for m in r.per_seed]
        for stage in stages:
            columns += list(seed_display(r, stage, layer, edges))
            header += [f"count_{stage}_seed_{seed}" for seed in seeds]
    _, rows = histogram_table(edges, columns[0])
    rows = [[left, right, *(int(c[i]) for c in columns)]
            for i, (left, right, _) in enumerate(rows)]
    return header, rows


def curves_table(r: Results) -> Table:
    columns = ["train_loss", "test_loss", "test_accuracy"]
    rows = [[run, step] + [curve[c][i] for c in columns]
            for run, curve in r.metrics["curves"].items() for i, step in enumerate(curve["steps"])]
    return ["run", "step"] + columns, rows


def compression_table(r: Results) -> Table:
    stages = r.metrics["compression"]["stages"]
    columns = ["nonzeros", "dense_bytes", "csr_bytes", "bitmask_bytes", "dense_latency_ms",
               "sparse_latency_ms", "sparse_vs_dense_latency"]
    return ["stage"] + columns, [[s] + [stages[s][c] for c in columns] for s in stages]


def methods_table(r: Results) -> Table:
    """Every seed's accuracy and sparsity for each method at each target, with each
    pruned layer's sparsity and dead units (a long table: the spreads a figure draws are
    recomputed from it)."""
    layers = list(r.metrics["methods"]["units"])
    header = (["method", "target_sparsity", "seed", "test_accuracy", "sparsity"]
              + [f"{key}_{layer}" for layer in layers for key in ("sparsity", "dead_units")])
    rows = []
    for seed_metrics in r.per_seed:
        methods, seed = seed_metrics["methods"], seed_metrics["config"]["seed"]
        for name, accuracy in methods["accuracy"].items():
            ranking = name.removesuffix("_finetuned")  # a fine-tuned prune keeps its mask
            per_layer = methods["layers"][ranking]
            rows += [[name, target, seed, accuracy[i], methods["sparsity"][ranking][i]]
                     + [per_layer[layer][key][i] for layer in layers for key in ("sparsity", "dead_units")]
                     for i, target in enumerate(methods["targets"]) if accuracy[i] is not None]
    return header, rows


def collapsed(r: Results, ranking: str) -> list[bool]:
    """At each target, whether some seed has a dead class under ``ranking``: an output
    unit of the last pruned layer (the classifier) with no surviving weight."""
    last = r.layers[-1]
    return [any((m["methods"]["layers"][ranking][last]["dead_units"][i] or 0) > 0 for m in r.per_seed)
            for i in range(len(r.metrics["methods"]["targets"]))]
