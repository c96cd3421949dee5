"""The data behind the interactive τ explorer, published as ``static/explorer.json``.

The published sweep (``metrics.json``'s: over several seeds the means on the seeds'
common grid, with each seed's own beside them in ``spread``, and its knee), plus, per
layer, the exact-zero count and the histogram of the surviving weights at every τ (the
first seed's), merged for display the same way the histogram figures are, and the
``labels`` of every readout, written by the site's own formatter: the browser only
draws. Pure.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..figures.binning import display_histograms
from ..formatting import fmt_int, fmt_pct, fmt_pp, fmt_sig
from ..names import layers_of
from ..results import Results
from ..seeds.value import mean, of_seeds, per_seed

EXPLORER_FILE = "explorer.json"


def explorer_data(results: Results, published: Mapping[str, Any]) -> dict:
    """The explorer's JSON tree: the published sweep's ``taus``, ``accuracy`` and
    ``sparsity`` (per layer key) with its indexes, per layer key the ``zeros``, display
    ``edges`` and ``counts`` at each τ, ``spread`` (every seed's unpruned accuracy and
    its accuracy and sparsity at each τ; None with one seed) and ``labels``."""
    sweep = published["sweep"]
    values = published.get("seeds", {}).get("values", {})
    seeds = [per_seed(sweep, values.get("sweep"), k) for k in range(len(published["seeds"]["seeds"]))] \
        if "seeds" in published else [sweep]
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
        "spread": {"seeds": published["seeds"]["seeds"],
                   "baseline_accuracy": [own["baseline_accuracy"] for own in seeds],
                   "accuracy": [own["accuracy"] for own in seeds],
                   "sparsity": {key: [own["sparsity"][key] for own in seeds] for key in results.layer_keys}}
        if len(seeds) > 1 else None,
        "labels": _labels(seeds, layers, zeros),
    }


def _labels(seeds: list[dict], layers: list[dict], zeros: dict[str, list[int]]) -> dict:
    """Every readout as the pages write it (mean ± sd over the seeds), at every τ: the
    explorer shows these strings and computes none."""
    def over(get) -> Any:  # one number at one τ, over the seeds
        return of_seeds([get(sweep) for sweep in seeds])

    taus, keys = range(len(seeds[0]["taus"])), [layer["key"] for layer in layers]
    return {
        "tau": [fmt_sig(tau, "3") for tau in seeds[0]["taus"]],
        "baseline": fmt_pct(over(lambda s: s["baseline_accuracy"])),
        "accuracy": [fmt_pct(over(lambda s, i=i: s["accuracy"][i])) for i in taus],
        "drop": [_drop(over(lambda s, i=i: s["baseline_accuracy"] - s["accuracy"][i]),
                       over(lambda s, i=i: s["accuracy"][i] - s["baseline_accuracy"])) for i in taus],
        "sparsity": {key: [fmt_pct(over(lambda s, i=i: s["sparsity"][key][i])) for i in taus] for key in keys},
        "zeros": {key: [fmt_int(count) for count in zeros[key]] for key in keys},
        "kept": {layer["key"]: [fmt_int(layer["count"] - count) for count in zeros[layer["key"]]] for layer in layers},
        "weights": {layer["key"]: fmt_int(layer["count"]) for layer in layers},
    }


def _drop(drop: Any, gain: Any) -> str:
    """An accuracy drop in points, a negative one as a gain: '1.2 ± 0.3 points',
    '−0.4 points (gain)'."""
    if mean(drop) == 0:
        return f"{fmt_pp(drop)} points".replace("0.0 points", "0 points", 1)
    return f"{fmt_pp(drop)} points" if mean(drop) > 0 else f"−{fmt_pp(gain)} points (gain)"
