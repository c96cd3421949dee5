"""Numbers derived from a run's metrics for the pages and the claims: kept shares,
accuracy drops, the knee of the sweep, per-layer tolerance, regrowth, compression ratios.

Pure. Every input is required: a missing metrics key raises `MissingInput` with its
dotted path, never a silent gap.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from ..results import GLOBAL, drop_within


DATASET_TITLES = {
    "mnist-5k": "a class-balanced 5,000-image subset of MNIST, embedded in the package",
    "mnist": "full MNIST, the 60,000 training and 10,000 test images the reference study used",
}


class MissingInput(KeyError):
    """A metrics path that a fact or claim needs is absent; ``path`` names it."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path

    def __str__(self) -> str:
        return self.path


class _Strict(dict):
    """A metrics mapping whose missing key raises `MissingInput` with the full path."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        super().__init__({k: strict(v, f"{path}.{k}" if path else str(k)) for k, v in data.items()})
        self.path = path

    def __missing__(self, key: str):
        raise MissingInput(f"{self.path}.{key}" if self.path else str(key))


def strict(tree: Any, path: str = "") -> Any:
    """``tree`` with every mapping (also inside lists) made strict; other values as they are."""
    if isinstance(tree, _Strict):
        return tree
    if isinstance(tree, Mapping):
        return _Strict(tree, path)
    if isinstance(tree, list):
        return [strict(item, f"{path}.{i}") for i, item in enumerate(tree)]
    return tree


def below_tau(layer: Mapping[str, Any], tau: float) -> float:
    """Share of |w| < tau from ``below_tau``, whose keys are thresholds as text."""
    for key, value in layer["below_tau"].items():
        if math.isclose(float(key), tau, rel_tol=1e-9, abs_tol=1e-15):
            return value
    raise MissingInput(f"stages.*.layers.*.below_tau.{tau:g}")



def knee_facts(sweep: Mapping[str, Any]) -> dict:
    """The sweep's knee (at its ``knee_index``): τ, accuracy, its drop (and the loss, a
    gain counting as none), sparsity per layer key and the share of all weights kept."""
    i = sweep["knee_index"]
    drop = sweep["baseline_accuracy"] - sweep["accuracy"][i]
    return {
        "index": i,
        "tau": sweep["taus"][i],
        "accuracy": sweep["accuracy"][i],
        "drop": drop,
        "loss": max(drop, 0.0),
        "sparsity": {layer: values[i] for layer, values in sweep["sparsity"].items()},
        "kept_global": 1 - sweep["sparsity"][GLOBAL][i],
    }


def _tolerance(metrics: Mapping[str, Any]) -> dict:
    """Per layer: the largest one-layer sparsity whose accuracy drop is <= one point."""
    sens = metrics["sensitivity"]
    base = sens["baseline_accuracy"]
    out = {}
    for layer, accuracy in sens["accuracy"].items():
        ok = [s for s, a in zip(sens["sparsities"], accuracy) if drop_within(base - a)]
        out[layer] = max(ok) if ok else 0.0
    return out


def derive_facts(metrics: Mapping[str, Any]) -> dict:
    """Numbers the pages quote that are not stored as such in the metrics.

    Raises `MissingInput` naming the first metrics path it needs and cannot find.
    """
    metrics = strict(metrics)
    cfg = metrics["config"]
    stages = metrics["stages"]
    base = stages["trained"]["accuracy"]
    layers = metrics["prunable_layers"]
    facts: dict[str, Any] = {
        "tau": {"loop": cfg["tau_loop"], "post": cfg["tau_post"]},
        "percentile": cfg["percentile"],
        "percentile_share": cfg["percentile"] / 100,
        "steps": metrics["manifest"]["steps"],
        "dataset": DATASET_TITLES.get(metrics["manifest"]["dataset"]["name"],
                                      f"the dataset `{metrics['manifest']['dataset']['name']}`"),
        "layers": {"count": len(layers), "names": _names(layers)},
    }
    for stage, data in stages.items():
        facts[stage] = {
            "kept": {layer: 1 - data["layers"][layer]["sparsity"] for layer in data["layers"]},
            "accuracy_drop": base - data["accuracy"],
        }
    facts["init"]["fan_in"] = {layer: metrics["model"]["layers"][layer]["fan_in"] for layer in layers}
    # PyTorch's default for Linear and ConvNd: kaiming_uniform(a=√5), uniform on ±1/√fan_in
    facts["init"]["bound"] = {layer: 1 / math.sqrt(fan_in) for layer, fan_in in facts["init"]["fan_in"].items()}
    facts["init"]["mean_in_std"] = {layer: _ratio(stages["init"]["layers"][layer]["mean"],
                                                  stages["init"]["layers"][layer]["std"]) for layer in layers}
    facts["trained"]["abs_max_in_std"] = {layer: _ratio(stages["trained"]["layers"][layer]["abs_max"],
                                                        stages["trained"]["layers"][layer]["std"]) for layer in layers}
    post = stages["post"]["layers"]
    # survivors inside (−τ, τ): the share below τ counts them beside the zeros
    facts["post"]["inside_cut"] = {layer: (below_tau(post[layer], cfg["tau_post"]) - post[layer]["sparsity"])
                                   * post[layer]["count"] for layer in layers}
    facts["post"]["accuracy_gain"] = -facts["post"]["accuracy_drop"]
    facts["post"]["sparsity_rise"] = post[GLOBAL]["sparsity"] - stages["trained"]["layers"][GLOBAL]["sparsity"]
    percentile = stages["percentile"]["layers"][GLOBAL]
    facts["percentile_off"] = abs(percentile["sparsity"] - cfg["percentile"] / 100) * percentile["count"]
    facts["trained"]["std_ratio"] = {
        layer: (stages["trained"]["layers"][layer]["std"] / stages["init"]["layers"][layer]["std"]
                if stages["init"]["layers"][layer]["std"] else None)  # a constant initialisation has no ratio
        for layer in layers
    }
    facts["trained"]["below_tau_post"] = {
        layer: below_tau(stages["trained"]["layers"][layer], cfg["tau_post"])
        for layer in (*layers, GLOBAL)
    }
    facts["trained"]["below_tau_loop"] = {
        layer: below_tau(stages["trained"]["layers"][layer], cfg["tau_loop"])
        for layer in (*layers, GLOBAL)
    }
    facts["knee"] = knee_facts(metrics["sweep"])
    facts["tolerance"] = _tolerance(metrics)
    facts["regrowth"] = _regrowth(metrics)
    facts["compression"] = _compression(metrics)
    facts["threshold_vs_percentile"] = _tvp(metrics)
    facts["curves"] = _curves(metrics)
    facts["methods"] = _finetuning(metrics)
    if "lottery" in metrics:
        facts["lottery"] = _lottery(metrics["lottery"])
    return facts


COMPARED_SPARSITY = 0.95  # the matched-sparsity verdict is read at the gradual target nearest this


def _finetuning(metrics: Mapping[str, Any]) -> dict:
    """What fine-tuning added at every target (per one-shot method, its accuracy after
    fine-tuning minus as pruned; negative: fine-tuning lowered it, and that loss), and at the
    compared target the leads of gradual and one-shot pruning over each other and of
    magnitude over random ranking, in accuracy; at every target what ranking each layer
    on its own gains over one global ranking, both fine-tuned."""
    methods = metrics["methods"]
    added = {name: [tuned - pruned for tuned, pruned in zip(methods["accuracy"][f"{name}_finetuned"],
                                                           methods["accuracy"][name])]
             for name in ("global", "layer", "random")}
    target = min(methods["gradual"]["targets"], key=lambda t: abs(t - COMPARED_SPARSITY))
    at = {name: series[methods["targets"].index(target)] for name, series in methods["accuracy"].items()}
    layer_ahead = [None if per_layer is None else per_layer - one for per_layer, one in
                   zip(methods["accuracy"]["layer_finetuned"], methods["accuracy"]["global_finetuned"])]
    return {"lightest_target": methods["targets"][0], "finetune_added": added,
            "finetune_lost": {name: [-gain for gain in gains] for name, gains in added.items()},
            "compared_target": target,
            "layer_over_global": layer_ahead, "global_over_layer": [None if v is None else -v for v in layer_ahead],
            "gradual_lead": at["gradual"] - at["layer_finetuned"], "one_shot_lead": at["layer_finetuned"] - at["gradual"],
            "gradual_leads": [None if gradual is None else gradual - tuned for gradual, tuned in
                              zip(methods["accuracy"]["gradual"], methods["accuracy"]["layer_finetuned"])],
            "magnitude_over_random": at["layer_finetuned"] - at["random_finetuned"]}


def _lottery(lottery: Mapping[str, Any]) -> dict:
    """Per lottery round: the share of the pruned layers' weights left, what the rewound
    ticket leads its re-initialised control by, and what it lost against the unpruned
    model (negative: it ended above it)."""
    ticket, control = lottery["accuracy"]["ticket"], lottery["accuracy"]["control"]
    return {"remaining": [1 - s for s in lottery["sparsity"]],
            "ticket_lead": [t - c for t, c in zip(ticket, control)],
            "ticket_drop": [lottery["dense_accuracy"] - t for t in ticket]}


def _ratio(a: float, b: float | None) -> float | None:
    """a / b; None (undefined, as JSON can write it) where b is 0 or undefined."""
    return a / b if b else None


def _names(layers: list[str], limit: int = 6) -> str:
    """'`ffnn1` and `cls_head`'; for many layers the first few and how many in all."""
    quoted = [f"`{layer}`" for layer in layers]
    if len(quoted) > limit:
        return ", ".join(quoted[:limit - 1]) + f", … ({len(quoted)} layers)"
    return " and ".join(quoted) if len(quoted) <= 2 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _regrowth(metrics: Mapping[str, Any]) -> dict:
    out = {}
    for layer, d in metrics["dynamics"]["layers"].items():
        pruned, regrown = sum(d["pruned_prev"]), sum(d["regrowth"])
        out[layer] = {
            "share": regrown / pruned if pruned else 0.0,
            "records_with_regrowth": sum(1 for r in d["regrowth"] if r > 0) / len(d["regrowth"]),
            "final_sparsity": d["sparsity"][-1],
            "max_sparsity": max(d["sparsity"]),
            "total_regrown": regrown,
            "total_pruned": pruned,
        }
    return out


def _compression(metrics: Mapping[str, Any]) -> dict:
    out = {}
    for stage, s in metrics["compression"]["stages"].items():
        out[stage] = {
            "csr_vs_dense": s["csr_bytes"] / s["dense_bytes"],
            "bitmask_vs_dense": s["bitmask_bytes"] / s["dense_bytes"],
            "latency_ratio": s["sparse_vs_dense_latency"],
        }
    return out


def _tvp(metrics: Mapping[str, Any]) -> dict:
    tvp = metrics["threshold_vs_percentile"]
    gap = tvp["global_threshold"]["accuracy"] - tvp["layerwise_percentile"]["accuracy"]
    return {"accuracy_gap": gap, "layerwise_lead": -gap}


def _curves(metrics: Mapping[str, Any]) -> dict:
    return {run: {"final_test_accuracy": c["test_accuracy"][-1], "final_train_loss": c["train_loss"][-1]}
            for run, c in metrics["curves"].items()}
