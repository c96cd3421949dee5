"""The data behind the interactive τ explorer, published as ``static/explorer.json``.

The same numbers as ``metrics.json``'s sweep (its τ grid, accuracies and sparsities),
plus, per layer, the exact-zero count and the histogram of the surviving weights at
every τ, merged for display the same way the histogram figures are. Pure.
"""

from __future__ import annotations

from ..figures.binning import display_histograms
from ..names import layers_of
from ..results import Results

EXPLORER_FILE = "explorer.json"


def explorer_data(results: Results) -> dict:
    """The explorer's JSON tree (see the Explore page's reference for each key)."""
    sweep = results.metrics["sweep"]
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
    }
