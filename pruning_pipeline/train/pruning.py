"""Magnitude pruning: pure mask functions, and in-place ``prune_*`` steps that say so.

Two comparison rules follow the reference: inside the training loop a weight with
``|w| <= tau`` is zeroed, after training one with ``|w| < tau``. Either way ``tau = 0``
changes nothing.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from .packing import pack_, packed


def magnitude_mask(weight: torch.Tensor, tau: float) -> torch.Tensor:
    """Keep-mask (1 = keep) of the weights with ``|w| >= tau``; a new tensor."""
    return (weight.abs() >= tau).to(weight.dtype)


class ThresholdPruning(prune.BasePruningMethod):
    """Unstructured pruning of every entry with ``|w| < tau`` (PyTorch has no such rule)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, tau: float) -> None:
        self.tau = tau

    def compute_mask(self, t: torch.Tensor, default_mask: torch.Tensor) -> torch.Tensor:
        return default_mask * magnitude_mask(t, self.tau)


def all_but_smallest(magnitudes: torch.Tensor, count: int) -> torch.Tensor:
    """Keep-mask (bool) of a flat tensor without its ``count`` smallest entries (ties at
    the cut broken by position, so exactly ``count`` go)."""
    keep = torch.ones_like(magnitudes, dtype=torch.bool)
    keep[torch.argsort(magnitudes, stable=True)[:count]] = False
    return keep


def _split_like(flat: torch.Tensor, weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    parts = flat.split([w.numel() for w in weights.values()])
    return {name: part.view(w.shape) for (name, w), part in zip(weights.items(), parts)}


def smallest_masks(weights: dict[str, torch.Tensor], sparsity: float, scope: str) -> dict[str, torch.Tensor]:
    """Keep-masks (bool) that prune the ``sparsity`` share of smallest |w|: ranked over all
    tensors together (``global``: one threshold, layers end at different sparsities) or
    within each tensor (``layer``: each at ``sparsity``). Exactly ``round(sparsity * n)``
    weights go, whatever the ties."""
    if scope == "layer":
        return {name: all_but_smallest(w.detach().abs().flatten(), round(sparsity * w.numel())).view(w.shape)
                for name, w in weights.items()}
    flat = torch.cat([w.detach().abs().flatten() for w in weights.values()])
    return _split_like(all_but_smallest(flat, round(sparsity * flat.numel())), weights)


def random_masks(weights: dict[str, torch.Tensor], sparsity: float, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Keep-masks (bool) that prune ``round(sparsity * n)`` weights of each tensor chosen
    at random, whatever their magnitude (the baseline every magnitude rule must beat)."""
    masks = {}
    for name, w in weights.items():
        keep = torch.ones(w.numel(), dtype=torch.bool)
        keep[torch.randperm(w.numel(), generator=generator)[:round(sparsity * w.numel())]] = False
        masks[name] = keep.view(w.shape).to(w.device)
    return masks


Slots = dict[str, tuple[nn.Module, str]]  # selected name -> (module, attribute of its pruned tensor)


def prune_threshold_(slots: Slots, tau: float) -> None:
    """In place: zero ``|w| < tau`` in each slot's tensor and make it permanent."""
    for module, attr in slots.values():
        ThresholdPruning.apply(module, attr, tau)
        prune.remove(module, attr)


def prune_global_percentile_(slots: Slots, percentile: float) -> float:
    """In place: zero the ``percentile``% smallest |w| over all slots' tensors together.

    Returns the threshold: the largest magnitude that was pruned.
    """
    for module, attr in slots.values():  # torch ranks every weight through a flat view of it
        getattr(module, attr).data = getattr(module, attr).data.contiguous()
    params = list(slots.values())
    total = sum(getattr(module, attr).numel() for module, attr in params)
    amount = round(total * percentile / 100.0)
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=amount)
    pruned = torch.cat([getattr(m, f"{attr}_orig").detach()[getattr(m, f"{attr}_mask") == 0].abs()
                        for m, attr in params])
    threshold = float(pruned.max()) if pruned.numel() else 0.0
    for module, attr in params:
        prune.remove(module, attr)
    return threshold


KTHVALUE_DEVICES = ("cpu", "cuda")  # MPS has torch.kthvalue only from torch 2.9; we allow 2.2+


def kth_smallest(values: torch.Tensor, k: int) -> float:
    """Exact k-th smallest (1-based) of a flat tensor: a linear-time selection where the
    device has one (numpy's on the CPU, which skips torch's thread pool for the small
    bands the percentile search selects in; ``kthvalue`` on CUDA), else a sort, which
    every device has."""
    if _numpy_can(values):
        return float(np.partition(values.detach().numpy(), k - 1)[k - 1])
    if values.device.type in KTHVALUE_DEVICES:
        return float(values.kthvalue(k).values)
    return float(values.sort().values[k - 1])


def kth_smallest_magnitude(magnitudes: torch.Tensor, k: int, guess: float | None, width: float = 0.3) -> float:
    """Exact k-th smallest value (1-based) of a flat non-negative tensor.

    ``torch.kthvalue`` over 200k values costs about half a training step. Between two
    optimizer steps the answer moves little, so count around the previous answer
    (``guess``) and select only in the band ``guess * (1 ± width)``, widened until it
    holds the answer.
    """
    if guess is not None and guess > 0:
        split = split_at_numpy if _numpy_can(magnitudes) else split_at_torch
        width *= guess
        for _ in range(6):
            low, high = max(guess - width, 0.0), guess + width
            count_below, band = split(magnitudes, low, high)
            if count_below < k <= count_below + band.numel():
                return kth_smallest(band, k - count_below)
            width *= 3
    return kth_smallest(magnitudes, k)


NUMPY_FLOATS = (torch.float16, torch.float32, torch.float64)  # not bfloat16


def _numpy_can(values: torch.Tensor) -> bool:
    return values.device.type == "cpu" and values.dtype in NUMPY_FLOATS


def split_at_torch(values: torch.Tensor, low: float, high: float) -> tuple[int, torch.Tensor]:
    """How many ``values`` are below ``low``, and those in ``[low, high]`` (any device)."""
    below = values < low
    return int(below.sum()), values[torch.logical_xor(below, values <= high)]


def split_at_numpy(values: torch.Tensor, low: float, high: float) -> tuple[int, torch.Tensor]:
    """`split_at_torch` for a CPU tensor, through numpy on the same memory: torch's CPU
    comparison and ``nonzero`` kernels took 7x numpy's time at 200k values here, most
    of a percentile step's cost."""
    array = values.detach().numpy()
    below = np.less(array, low)
    band = np.less_equal(array, high)
    np.logical_xor(band, below, out=band)
    return int(np.count_nonzero(below)), torch.from_numpy(array[band])


class InLoopPruner:
    """Re-prunes the prunable weights after every optimizer step (the push and pull).

    ``rule="threshold"`` zeroes ``|w| <= tau``; ``rule="percentile"`` zeroes the
    ``percentile``% smallest magnitudes over all layers, the threshold recomputed each
    step. To keep that cheap, the weights are views of one contiguous buffer (as
    `model_from` packs them; else the constructor moves them, in place, into one), so a
    step needs no concatenation, and ``hardshrink`` written back into that buffer is
    exactly the pruning rule in one fused pass.
    """

    def __init__(self, weights: dict[str, torch.Tensor], rule: str, tau: float, percentile: float,
                 pack: bool = True) -> None:
        self.weights = weights
        self.rule = rule
        tensors = list(weights.values())
        self.flat = packed(tensors)
        if self.flat is None and pack:
            self.flat = pack_(tensors)
        # without packing (views into an ensemble's stacked weights, which must stay
        # where they are) each tensor is pruned on its own, the same rule
        self.parts = [self.flat] if self.flat is not None else tensors
        self.k = max(1, round(sum(w.numel() for w in tensors) * percentile / 100.0))
        self.threshold = tau if rule == "threshold" else None
        self.band = 0.3  # relative half-width of the percentile search; the 20th percentile
        # moves ~10% per step early in training, far less later, and in bursts
        self.moves: deque[float] = deque(maxlen=5)  # its last relative moves

    @torch.no_grad()
    def prune_(self) -> None:
        """In place: zero the weights at or below the current threshold."""
        if self.rule == "percentile":
            previous = self.threshold
            # torch's abs, on the threads that just wrote these weights in the optimizer
            # step: the whole prune took 0.6x the time it did with numpy's abs here
            magnitudes = self.flat.abs() if self.flat is not None else torch.cat([w.abs().flatten() for w in self.parts])
            self.threshold = kth_smallest_magnitude(magnitudes, self.k, previous, self.band)
            if previous:  # next band: thrice the largest of the last five moves, within [0.2%, 30%]
                self.moves.append(abs(self.threshold - previous) / previous)
                self.band = min(0.3, max(0.002, 3 * max(self.moves)))
        for part in self.parts:
            torch.hardshrink(part, self.threshold, out=part)

    @torch.no_grad()
    def zero_masks(self) -> dict[str, torch.Tensor]:
        """Which weights are zero now (call right after a prune to measure regrowth later)."""
        return {name: w == 0 for name, w in self.weights.items()}


@torch.no_grad()
def regrowth(zeroed: dict[str, torch.Tensor], weights: dict[str, torch.Tensor]) -> dict[str, tuple[int, int]]:
    """Per layer: (weights zero after the last prune, how many of them are non-zero now)."""
    return {name: (int(mask.sum()), int((mask & (weights[name] != 0)).sum())) for name, mask in zeroed.items()}
