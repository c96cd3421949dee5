"""The data behind the interactive τ explorer, published as ``static/explorer.json``.

The same numbers as ``metrics.json``'s sweep (its τ grid, accuracies and sparsities:
over several seeds their means on the seeds' common grid, with every seed's own in
``spread``), plus, per layer, the exact-zero count and the histogram of the surviving
weights at every τ (the first seed's), merged for display the same way the histogram
figures are. Pure.
"""

from __future__ import annotations

from ..figures.binning import display_histograms
from ..names import layers_of
from ..results import Results
from ..seeds.value import combine
from ..seeds.grid import aligned, with_mean_knee

EXPLORER_FILE = "explorer.json"


def explorer_data(results: Results) -> dict:
    """The explorer's JSON tree: the sweep's ``taus``, ``accuracy`` and ``sparsity`` (per
    layer key) with its indexes, per layer key the ``zeros``, display ``edges`` and
    ``counts`` at each τ, and ``spread`` (every seed's unpruned accuracy and its accuracy and
    sparsity at each τ, or None)."""
    seeds = aligned([metrics["sweep"] for metrics in results.per_seed])
    sweep = with_mean_knee(combine(seeds)[0])  # the means with their own knee, as metrics.json publishes them
    layers, edges, counts, zeros = [], {}, {}, {}
    names = layers_of(results.metrics)
    for key in results.layer_keys:
        survivors = results.histograms[f"sweep/{key}"]  # (taus, fine bins), non-zero weights only
        count = results.stage("trained")["layers"][key]["count"]
        merged_edges, (merged,) = display_histograms(results.edges(key), survivors)
        layers.append({"key": key, "title": names[key].title, "count": count})
        edges[key] = [float(edge) for edge in merged_edges]
        counts[key] = merged.astype(int).tolist()
        zeros[key] = [count - int(row.sum()) for row in survivors]
    return {
        "run_id": results.run_id,
        "taus": sweep["taus"],
        "configured_index": sweep["configured_index"],
        "knee_index": sweep["knee_index"],
        "baseline_accuracy": sweep["baseline_accuracy"],
        "accuracy": sweep["accuracy"],
        "layers": layers,
        "sparsity": {key: sweep["sparsity"][key] for key in results.layer_keys},
        "zeros": zeros,
        "edges": edges,
        "counts": counts,
        # every seed's own unpruned accuracy, and accuracy and sparsity at each τ (none with one seed)
        "spread": {"seeds": [m["config"]["seed"] for m in results.per_seed],
                   "baseline_accuracy": [own["baseline_accuracy"] for own in seeds],
                   "accuracy": [own["accuracy"] for own in seeds],
                   "sparsity": {key: [own["sparsity"][key] for own in seeds] for key in results.layer_keys}}
        if len(seeds) > 1 else None,
    }
