"""A tiny hand-made run with every key the figures, facts, claims and pages read.

Counts sum to the real layers' sizes (256x768 and 10x256 weights), so anything derived
from them can be checked against numbers written here by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pruning_pipeline.results import GLOBAL, STAGES, Results

SHAPES = {"ffnn1": [256, 768], "cls_head": [10, 256]}  # the reference model's pruned layers
WEIGHTS = {"ffnn1": 196_608, "cls_head": 2_560, "global": 199_168}  # 256x768, 10x256, both
BINS = 9
SWEEP_SPARSITY = [0, 0.01, 0.1, 0.5, 0.9, 1.0]
STEPS = [10, 20, 30]
STEMS_AT_04 = {
    "initialization-cls-head", "initialization-ffnn",
    "before-pruning-distribution-cls-head", "before-pruning-distribution-ffnn",
    "threshold-inside-the-training-loop-cls", "threshold-inside-the-training-loop-ffnn",
    "at-prune-0.4-cls-head", "at-prune-0.4-ffnn", "at-prune-0.4",
    "percentile-20-cls-head", "percentile-20-ffnn", "percentile-20",
    "threshold-sweep", "accuracy-vs-sparsity", "layer-sensitivity", "threshold-vs-percentile",
    "threshold-vs-percentile-distributions",
    "in-loop-dynamics-ffnn", "in-loop-dynamics-cls-head",
    "stage-comparison-ffnn", "stage-comparison-cls-head", "stage-comparison-global",
    "training-curves", "compression-payoff", "methods-at-matched-sparsity", "lottery-ticket",
}
PAGES = {
    "visualizations/initialization", "visualizations/before-pruning",
    "visualizations/threshold-inside-the-training-loop", "visualizations/post-training-pruning",
    "percentile-pruning", "what-the-visuals-reveal", "training-dynamics", "compression-payoff",
    "methods-at-the-same-sparsity",
}


def _layer_stats(n: int, sparsity: float) -> dict:
    return {"count": n, "zeros": int(n * sparsity), "nonzeros": n - int(n * sparsity),
            "sparsity": sparsity, "mean": 0.001, "std": 0.1, "min": -0.5, "max": 0.5,
            "abs_max": 0.5, "skew": 0.0, "kurtosis": 3.0, "below_tau": {"0.001": sparsity / 10, "0.05": sparsity / 2, "0.2": sparsity,
                          "0.4": sparsity}}


def many_layers(count: int) -> dict[str, list[int]]:
    """Shapes of a user model's ``count`` pruned layers, named as nested modules are."""
    return {f"blocks.{i}.fc": [8 + i, 16] for i in range(count)}


def fake_results(entry_dir: Path | None = None, tau_post: float = 0.4,
                 layers: dict[str, list[int]] | None = None) -> Results:
    """A run with every key the figures read; counts sum to the layers' sizes: by default
    the reference model's, else those of ``layers`` (a user model, layer -> weight shape)."""
    layers = SHAPES if layers is None else layers
    weights = {layer: int(np.prod(shape)) for layer, shape in layers.items()}
    counts = {**weights, GLOBAL: sum(weights.values())}  # weights per layer key, global included
    rng = np.random.default_rng(0)
    bell = np.array([1, 2, 6, 15, 30, 15, 6, 2, 1], float)
    spike = np.array([1, 1, 0, 0, 200, 0, 0, 1, 1], float)
    shapes = {"init": np.array([0, 0, 0, 1, 1, 1, 0, 0, 0], float), "trained": bell,
              "in_loop": bell, "post": spike, "percentile": bell}
    histograms = {"dynamics_steps": np.array(STEPS)}
    for layer, n in counts.items():
        histograms[f"edges/{layer}"] = np.linspace(-0.9, 0.9, BINS + 1)
        histograms[f"dynamics/{layer}"] = rng.multinomial(n, bell / bell.sum(), size=len(STEPS))
        for stage in (*STAGES, "layerwise_percentile"):
            p = shapes.get(stage, bell) / shapes.get(stage, bell).sum()
            histograms[f"counts/{stage}/{layer}"] = rng.multinomial(n, p)
        side = np.linspace(tau_post, 0.9, 5)  # the post stage's cut-aligned bins: 4 a side
        zeros = int(n * 0.99)
        histograms[f"cut_edges/post/{layer}"] = np.concatenate([-side[::-1], side])
        survivors = rng.multinomial(n - zeros, np.full(8, 1 / 8))
        histograms[f"cut/post/{layer}"] = np.concatenate([survivors[:4], [zeros], survivors[4:]])
    sparsity = {"init": 0.0, "trained": 0.0, "in_loop": 0.01, "post": 0.99, "percentile": 0.2}
    stages = {s: {"accuracy": 0.9, "loss": 0.3,
                  "layers": {layer: _layer_stats(n, sparsity[s]) for layer, n in counts.items()}}
              for s in STAGES}
    stages["post"]["threshold"] = tau_post
    stages["percentile"]["threshold"] = 0.02
    taus = [0.0, 0.001, 0.01, 0.1, tau_post, 1.0]
    survivors = {layer: [n - round(n * s) for s in SWEEP_SPARSITY] for layer, n in counts.items()}
    for layer, kept in survivors.items():  # surviving weights avoid the centre bin, as after a cut
        outer = bell * (np.arange(BINS) != BINS // 2)
        histograms[f"sweep/{layer}"] = np.stack([rng.multinomial(k, outer / outer.sum()) for k in kept])
    per_layer = {layer: 0.2 for layer in tuple(counts)}
    method = {"accuracy": 0.9, "sparsity": per_layer}
    metrics = {
        "manifest": {"config_hash": "fake-run", "steps": 30, "timings_s": {"data": 0.1},
                     "dataset": {"name": "mnist-5k", "n_train": 4000, "n_test": 1000},
                     "build": [{"phase": "results", "seconds": 0.07, "cached": True},
                               {"phase": "figures", "seconds": 1.5, "cached": False}]},
        "model": {"name": "reference" if layers is SHAPES else "user.model:build", "parameters": 215_418,
                  "layers": {layer: {"type": "Linear", "shape": shape, "fan_in": shape[1],
                                     "weights": weights[layer], "parameters": weights[layer] + shape[0]}
                             for layer, shape in layers.items()}},
        "prunable_layers": list(layers),
        "warnings": [],
        "config": {"seed": 0, "model": "reference" if layers is SHAPES else "user.model:build", "tau_loop": 0.001, "tau_post": tau_post, "percentile": 20.0,
                   "in_loop_rule": "threshold", "hist_bins": BINS, "steps": 30,
                   "report_taus": [0.05, 0.2]},
        "stages": stages,
        "curves": {run: {"steps": STEPS, "train_loss": [2.0, 1.0, 0.5],
                         "test_loss": [2.1, 1.1, 0.6], "test_accuracy": [0.3, 0.8, 0.9]}
                   for run in ("trained", "in_loop")},
        "dynamics": {"rule": "threshold", "threshold": 0.001, "steps": STEPS,
                     "thresholds": [0.001] * 3,
                     "layers": {layer: {"sparsity": [0.01, 0.02, 0.01], "zeros": [2, 4, 2],
                                        "pruned_prev": [5, 6, 7], "regrowth": [1, 2, 3]}
                                for layer in tuple(counts)}},
        "sweep": {"taus": taus, "accuracy": [0.9, 0.9, 0.9, 0.85, 0.3, 0.1],
                  "loss": [0.3] * 6,
                  "sparsity": {layer: [1 - k / counts[layer] for k in survivors[layer]] for layer in tuple(counts)},
                  "configured_tau": tau_post, "configured_index": 4, "knee_index": 2, "knee_tau": taus[2], "knee_drop": 0.01,
                  "baseline_accuracy": 0.9},
        "sensitivity": {"sparsities": [0, 0.5, 0.9], "baseline_accuracy": 0.9,
                        "accuracy": {layer: [0.9, 0.9 - 0.2 * (i % 2), 0.8 - 0.6 * (i % 2)]
                                     for i, layer in enumerate(layers)}},
        "threshold_vs_percentile": {
            "sparsity": 0.2, "global_threshold": {"threshold": 0.02, **method},
            "layerwise_percentile": {"thresholds": {layer: 0.01 + 0.04 * (i % 2) for i, layer in enumerate(layers)},
                                     **method}},
        "compression": {"stages": {s: {"nonzeros": 100, "dense_bytes": 4000, "csr_bytes": 900,
                                       "bitmask_bytes": 600, "dense_latency_ms": 1.0,
                                       "sparse_latency_ms": 2.0, "sparse_vs_dense_latency": 2.0}
                                   for s in STAGES}},
        "methods": {  # made up: each method loses more at a higher target, gradual only at 0.9
            "targets": [0.5, 0.9], "finetune_steps": 10, "finetune_lr": 0.005, "dense_accuracy": 0.9,
            "gradual": {"targets": [0.9], "start": 3, "end": 20, "every": 5, "steps": 30},
            "accuracy": {"global": [0.85, 0.5], "layer": [0.86, 0.55], "random": [0.7, 0.2],
                         "global_finetuned": [0.88, 0.7], "layer_finetuned": [0.88, 0.72],
                         "random_finetuned": [0.8, 0.4], "gradual": [None, 0.8]},
            "sparsity": {"global": [0.5, 0.9], "layer": [0.5, 0.9], "random": [0.5, 0.9], "gradual": [None, 0.9]},
            # made up: one global ranking empties 2 output units of the last layer at 0.9
            "layers": {ranking: {layer: {"sparsity": [None, 0.9] if ranking == "gradual" else [0.5, 0.9],
                                         "dead_units": [None if ranking == "gradual" else 0,
                                                        2 if ranking == "global" and layer == list(layers)[-1] else 0]}
                                 for layer in layers} for ranking in ("global", "layer", "random", "gradual")},
            "units": {layer: shape[0] for layer, shape in layers.items()}},
        # made up: two rounds; the second is a winning ticket (within a point, 2.5 points over its control)
        "lottery": {
            "rounds": [1, 2], "rate": 0.2, "rates": {layer: 0.1 if layer == list(layers)[-1] else 0.2 for layer in layers},
            "steps": 30, "dense_accuracy": 0.9, "sparsity": [0.2, 0.36],
            "accuracy": {"ticket": [0.905, 0.895], "control": [0.9, 0.87]},
            "curves": {"steps": STEPS, "ticket": [[0.4, 0.85, 0.905], [0.5, 0.86, 0.895]],
                       "control": [[0.3, 0.8, 0.9], [0.3, 0.75, 0.87]]},
            "layers": {layer: {"sparsity": [0.2, 0.36], "dead_units": [0, 0]} for layer in layers},
            "units": {layer: shape[0] for layer, shape in layers.items()}},
    }
    return Results(metrics=metrics, histograms=histograms, entry_dir=entry_dir)
