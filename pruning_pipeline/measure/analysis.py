"""Diagnostics beyond the reference, all evaluation-only (no retraining):
threshold sweep, per-layer sensitivity, threshold vs percentile at equal sparsity,
and the compression payoff (bytes and CPU latency, dense vs sparse).

Where the model splits into features and a head that holds every pruned layer (the
reference: its convolutions, then ``ffnn1`` and ``cls_head``), the features of the test
split are computed once and every evaluation here runs only the head on them.
"""

from __future__ import annotations

import math
import time
import warnings as pywarnings

import numpy as np
import torch

from ..config import Config
from ..results import GLOBAL, ONE_POINT, STAGES
from ..seeds.grid import knee_index
from ..train.feed import Feed, Loaded
from ..train.model import Subject, prunable_weights, split_forward, weight_key
from ..train.runs import model_from
from ..train.training import evaluate
from ..train.counting import histogram, with_global

SENSITIVITY_SPARSITIES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995)
KNEE_DROP = ONE_POINT


class HeadEvaluator:
    """Accuracy and loss of the trained model with its prunable weights replaced."""

    def __init__(self, state: dict[str, torch.Tensor], subject: Subject, data: Feed, device: torch.device,
                 batch: int) -> None:
        self.model = model_from(state, subject, device)
        features, self.head = split_forward(self.model, subject.layers)
        if isinstance(data, Loaded) and self.head is self.model:  # nothing to precompute: read it again
            self.batches = lambda: data.test_batches(batch)
        else:
            with torch.no_grad():  # in the same batches as a full evaluation
                cached = [(features(x), y) for x, y in data.test_batches(batch)]
            self.batches = lambda: cached
        self.layers = subject.layers
        self.weights = prunable_weights(self.model, self.layers)
        self.dense = {name: weight.detach().clone() for name, weight in self.weights.items()}

    @torch.no_grad()
    def __call__(self, weights: dict[str, torch.Tensor]) -> tuple[float, float]:
        for name, weight in self.weights.items():
            weight.copy_(weights.get(name, self.dense[name]))
        return evaluate(self.head, self.batches())


def _sparsity(weights: dict[str, torch.Tensor]) -> dict[str, float]:
    zeros = {name: int((w == 0).sum()) for name, w in weights.items()}
    counts = {name: w.numel() for name, w in weights.items()}
    out = {name: zeros[name] / counts[name] for name in weights}
    out[GLOBAL] = sum(zeros.values()) / sum(counts.values())
    return out


SWEEP_DECADES = 4  # the sweep spans max |w| / 10^4 .. max |w|


def sweep_taus(max_abs: float, points: int, configured: float) -> list[float]:
    """0, then ``configured * 10 ** (k / d)`` for whole k, ``d = (points - 1) / 4`` per
    decade, from ``max_abs / 10^4`` to the first at or past ``max_abs`` (every weight
    pruned), the configured τ (k = 0) always among them (a configured 0 is the first
    point already: the lattice then runs through 1). One lattice for every seed: where
    two seeds' sweeps overlap they share each τ (`pruning_pipeline.seeds.grid`)."""
    per_decade = (points - 1) / SWEEP_DECADES
    anchor = float(configured) or 1.0

    def step(tau: float) -> int:
        return math.ceil(per_decade * math.log10(tau / anchor) - 1e-9)

    low, high = step(max_abs / 10 ** SWEEP_DECADES), step(max_abs * 1.0001)
    if configured:  # the configured τ on the grid even outside the weights' span
        low, high = min(low, 0), max(high, 0)
    return [0.0] + [anchor * 10 ** (k / per_decade) for k in range(low, high + 1)]


def threshold_sweep(evaluate: HeadEvaluator, config: Config,
                    edges: dict[str, np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
    """Accuracy and sparsity of post-training pruning over a grid of τ, and per layer the
    histogram of the surviving (non-zero) weights at every τ on the layer's shared edges,
    shape (taus, bins): what the interactive explorer redraws."""
    dense = evaluate.dense
    taus = sweep_taus(max(float(w.abs().max()) for w in dense.values()), config.sweep_points, config.tau_post)
    keys = (*dense, GLOBAL)
    rows, survivors = [], {name: [] for name in keys}
    for tau in taus:
        pruned = {name: w * (w.abs() >= tau) for name, w in dense.items()}
        rows.append((*evaluate(pruned), _sparsity(pruned)))
        for name, w in with_global(pruned).items():
            survivors[name].append(histogram(w, edges[name], nonzero=True))
    accuracy = [r[0] for r in rows]
    sparsity = {name: [r[2][name] for r in rows] for name in keys}
    baseline = accuracy[0]
    knee = knee_index(accuracy, sparsity["global"], baseline, KNEE_DROP)
    return {
        "taus": taus,
        "accuracy": accuracy,
        "loss": [r[1] for r in rows],
        "sparsity": sparsity,
        "configured_tau": config.tau_post,
        "configured_index": taus.index(float(config.tau_post)),
        "knee_index": knee,
        "knee_tau": taus[knee],
        "knee_drop": KNEE_DROP,
        "baseline_accuracy": baseline,
    }, {f"sweep/{name}": np.stack(counts).astype(np.int32) for name, counts in survivors.items()}


def prune_to_sparsity(weight: torch.Tensor, sparsity: float) -> tuple[torch.Tensor, float]:
    """Zero the ``sparsity`` share of smallest magnitudes; returns (weights, threshold)."""
    k = round(weight.numel() * sparsity)
    if k == 0:
        return weight.clone(), 0.0
    magnitude = weight.abs().flatten()
    drop = torch.zeros_like(magnitude, dtype=torch.bool)
    drop[magnitude.topk(k, largest=False).indices] = True
    return weight.masked_fill(drop.view_as(weight), 0.0), float(magnitude[drop].max())


def layer_sensitivity(evaluate: HeadEvaluator) -> dict:
    """Accuracy when one layer at a time is pruned to each sparsity (as in Distiller)."""
    accuracy = {
        name: [evaluate({name: prune_to_sparsity(evaluate.dense[name], s)[0]})[0] for s in SENSITIVITY_SPARSITIES]
        for name in evaluate.layers
    }
    return {"sparsities": list(SENSITIVITY_SPARSITIES), "accuracy": accuracy, "baseline_accuracy": evaluate({})[0]}


def threshold_vs_percentile(evaluate: HeadEvaluator, config: Config, stages: dict) -> tuple[dict, dict]:
    """At the same global sparsity p%: one global magnitude threshold (the percentile
    stage) against every layer pruned to p% of its own weights. Returns the numbers
    and the layer-wise pruned weights (for their histograms)."""
    share = config.percentile / 100.0
    layerwise = {name: prune_to_sparsity(w, share) for name, w in evaluate.dense.items()}
    pruned = {name: pair[0] for name, pair in layerwise.items()}
    global_stage = stages["percentile"]
    return pruned, {
        "sparsity": share,
        "global_threshold": {
            "threshold": global_stage["threshold"],
            "accuracy": global_stage["accuracy"],
            "sparsity": {name: global_stage["layers"][name]["sparsity"] for name in (*evaluate.layers, GLOBAL)},
        },
        "layerwise_percentile": {
            "thresholds": {name: pair[1] for name, pair in layerwise.items()},
            "accuracy": evaluate(pruned)[0],
            "sparsity": _sparsity(pruned),
        },
    }


def _median_ms(fn, repeats: int = 15) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def _as_matrix(weight: torch.Tensor) -> torch.Tensor:
    """A weight as the matrix its layer multiplies by: (out, fan-in)."""
    return weight.float().reshape(weight.shape[0], -1) if weight.dim() > 1 else weight.float()[:, None]


def compression_payoff(states: dict, layers: tuple[str, ...], batch: int) -> dict:
    """Per stage: non-zeros, dense/CSR/bitmask bytes of the pruned weights, and the CPU
    latency of multiplying each pruned weight, as the matrix of its layer's product
    (out x fan-in: im2col for a convolution), by a batch of ``batch`` input columns:
    dense matmuls against ``torch.sparse`` CSR matmuls."""
    generator = torch.Generator().manual_seed(0)
    out = {}
    for stage in STAGES:
        weights = {name: _as_matrix(states[stage][weight_key(name, states[stage])]) for name in layers}
        inputs = {name: torch.randn(w.shape[1], batch, generator=generator) for name, w in weights.items()}
        with pywarnings.catch_warnings():  # "sparse CSR support is in beta" on every call
            pywarnings.simplefilter("ignore", UserWarning)
            csr = {name: w.to_sparse_csr() for name, w in weights.items()}
        nonzeros = sum(int((w != 0).sum()) for w in weights.values())
        count = sum(w.numel() for w in weights.values())

        def dense_head():
            return [w @ inputs[name] for name, w in weights.items()]

        def sparse_head():
            return [torch.sparse.mm(c, inputs[name]) for name, c in csr.items()]

        dense_ms, sparse_ms = _median_ms(dense_head), _median_ms(sparse_head)
        out[stage] = {
            "nonzeros": nonzeros,
            "count": count,
            "dense_bytes": count * 4,
            "csr_bytes": sum(c.values().nbytes + c.col_indices().nbytes + c.crow_indices().nbytes
                             for c in csr.values()),
            "bitmask_bytes": sum(-(-w.numel() // 8) for w in weights.values()) + nonzeros * 4,
            "dense_latency_ms": dense_ms,
            "sparse_latency_ms": sparse_ms,
            "sparse_vs_dense_latency": sparse_ms / dense_ms,
        }
    return {"batch_size": batch, "threads": torch.get_num_threads(), "stages": out}


def analyse(config: Config, subject: Subject, device: torch.device, data: Feed, states: dict, stages: dict,
            edges: dict[str, np.ndarray]) -> tuple[dict, dict]:
    """Every evaluation-only analysis of the trained weights: metrics, and histograms
    (``counts/layerwise_percentile/{layer}``, ``sweep/{layer}``) on the stages' edges."""
    evaluate = HeadEvaluator(states["trained"], subject, data, device, config.eval_batch_size)
    layerwise, comparison = threshold_vs_percentile(evaluate, config, stages)
    histograms = {f"counts/layerwise_percentile/{name}": histogram(w, edges[name])
                  for name, w in with_global(layerwise).items()}
    sweep, sweep_counts = threshold_sweep(evaluate, config, edges)
    histograms.update(sweep_counts)
    metrics = {
        "sweep": sweep,
        "sensitivity": layer_sensitivity(evaluate),
        "threshold_vs_percentile": comparison,
        "compression": compression_payoff(states, subject.layers, config.eval_batch_size),
    }
    return metrics, histograms
