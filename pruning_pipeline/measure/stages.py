"""The stages derived from trained weights and their measurement: shared histogram
edges per layer, the post-training and percentile prunes, and one stage measured
(accuracy, loss, per-layer statistics, histograms)."""

from __future__ import annotations

import numpy as np
import torch

from ..config import Config
from ..results import GLOBAL
from ..train.feed import Feed
from ..train.model import Subject, prunable_weights, weight_key, weight_slot
from ..train.pruning import prune_global_percentile_, prune_threshold_
from ..train.runs import cpu_state, model_from
from ..train.training import evaluate
from ..train.counting import chunks, histogram, widen_edges, widening, with_global
from .stats import count, layer_stats, symmetric_edges

EDGE_HEADROOM = 1.25  # the in-loop run, binned on edges made before it ends, mostly stays inside


def layer_edges(states: list[dict], layers: tuple[str, ...], bins: int) -> dict[str, np.ndarray]:
    """Fixed, symmetric bin edges per layer (and ``global``) covering every given state,
    with headroom."""
    max_abs = {name: max(float(piece.abs().max()) for s in states for piece in chunks(s[weight_key(name, s)]))
               for name in layers}
    max_abs[GLOBAL] = max(max_abs.values())
    return {name: symmetric_edges(EDGE_HEADROOM * value, bins) for name, value in max_abs.items()}


def covering_edges(edges: dict[str, np.ndarray], states: list[dict], layers: tuple[str, ...],
                   recorded: dict[str, float]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The edges widened (`stats.widening`) until they hold every weight of ``states`` and
    the ``recorded`` magnitudes, per layer and ``global``; and each one's widening factor.
    The in-loop run is binned on edges made from the plain run, and may outgrow them: with
    the widened edges no stage's histogram, and no figure drawn from it, clips a weight."""
    reach = {name: max(recorded.get(name, 0.0), *(float(piece.abs().max()) for s in states
                                                 for piece in chunks(s[weight_key(name, s)])))
             for name in layers}
    reach[GLOBAL] = max(recorded.get(GLOBAL, 0.0), *reach.values())
    factors = {name: widening(edges[name], value) for name, value in reach.items()}
    return {name: widen_edges(edges[name], factor) for name, factor in factors.items()}, factors


def _slots(model: torch.nn.Module, layers: tuple[str, ...]) -> dict[str, tuple[torch.nn.Module, str]]:
    return {name: weight_slot(model, name) for name in layers}


def pruned_states(trained: dict, subject: Subject, config: Config, device: torch.device) -> tuple[dict, dict, float]:
    """(post, percentile, percentile threshold) from the trained weights."""
    post = model_from(trained, subject, device)
    prune_threshold_(_slots(post, subject.layers), config.tau_post)
    percentile = model_from(trained, subject, device)
    threshold = prune_global_percentile_(_slots(percentile, subject.layers), config.percentile)
    return cpu_state(post), cpu_state(percentile), threshold


def measure(state: dict, subject: Subject, edges: dict[str, np.ndarray], data: Feed, config: Config,
            device: torch.device) -> tuple[dict, dict]:
    """Accuracy, loss and per-layer stats of one stage, and its histograms."""
    model = model_from(state, subject, device)
    accuracy, loss = evaluate(model, data.test_batches(config.eval_batch_size))
    layers = with_global({k: w.detach() for k, w in prunable_weights(model, subject.layers).items()})
    stats = {name: layer_stats(w, config.taus) for name, w in layers.items()}
    counts = {name: histogram(w, edges[name]) for name, w in layers.items()}
    return {"accuracy": accuracy, "loss": loss, "layers": stats}, counts


def cut_histograms(state: dict, layers: tuple[str, ...], tau: float, edges: dict[str, np.ndarray],
                   bins_per_side: int) -> dict[str, np.ndarray]:
    """Per layer, the histogram of a pruned stage on bins aligned with its cut.

    ``bins_per_side`` equal bins on [-high, -τ] and on [τ, high], and between them the one
    bin (-τ, τ), which after the cut holds exactly the zeros; so no figure of a cut draws a
    bar across it. ``high`` is the end of the layer's shared ``edges``, or further when
    this stage's weights reach beyond it (an in-loop run may outgrow the plain one), so
    every weight lies inside. Returns ``cut_edges/{layer}`` (2 * bins_per_side + 2,) and
    ``cut/{layer}`` (one fewer).
    """
    out = {}
    for name, parts in with_global({k: state[weight_key(k, state)] for k in layers}).items():
        abs_max = max(float(piece.abs().max()) for piece in chunks(parts))
        high = max(float(edges[name][-1]), 2 * tau, 1.02 * abs_max)
        side = np.linspace(tau, high, bins_per_side + 1)
        negative, positive, zeros, inside = np.zeros(bins_per_side, np.int64), np.zeros(bins_per_side, np.int64), 0, 0
        for piece in chunks(parts):
            inside += int(((piece != 0) & (piece.abs() < tau)).sum())
            zeros += int((piece == 0).sum())
            negative += histogram(-piece[piece < 0], side)
            positive += histogram(piece[piece > 0], side)
        assert inside == 0, f"{inside} non-zero weights of {name} lie inside the cut at ±{tau:g}"
        out[f"cut_edges/{name}"] = np.concatenate([-side[::-1], side])
        out[f"cut/{name}"] = np.concatenate([negative[::-1], [zeros], positive])
    return out


def counts_on(states: list[dict], layers: tuple[str, ...], edges: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Several seeds' histograms of one stage on the same (the first seed's) ``edges``:
    per layer key, ``counts/{layer}`` of shape (seeds, bins) and ``outside/{layer}``
    (seeds,), the weights beyond the edges, which are left out of the counts rather
    than piled into the outer bins."""
    out: dict[str, list] = {}
    for state in states:
        weights = with_global({name: state[weight_key(name, state)] for name in layers})
        for name, parts in weights.items():
            low, high = float(edges[name][0]), float(edges[name][-1])
            inside = [piece[(piece >= low) & (piece <= high)] for piece in chunks(parts)]
            out.setdefault(f"counts/{name}", []).append(histogram(inside, edges[name]))
            out.setdefault(f"outside/{name}", []).append(count(parts) - sum(piece.numel() for piece in inside))
    return {key: np.asarray(rows, dtype=np.int64) for key, rows in out.items()}
