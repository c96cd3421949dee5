"""The measurement and pruning functions use only ops that CUDA and MPS both have.

MPS has no float64 and, before torch 2.9, no ``kthvalue``. A dispatch mode that fails
on either makes an MPS regression fail on a CPU-only machine: the CPU stands in for the
device, and ``mps_like`` also sends the k-th value selection down its MPS branch.
"""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from pruning_pipeline.measure.stats import float32_above, layer_stats, symmetric_edges
from pruning_pipeline.train.counting import histogram
from pruning_pipeline.train import pruning
from pruning_pipeline.train.pruning import (
    InLoopPruner,
    kth_smallest_magnitude,
    prune_global_percentile_,
    prune_threshold_,
)


class MpsOpsOnly(TorchDispatchMode):
    """Fails on any op that makes a float64 tensor, and on the ops in ``forbidden``."""

    def __init__(self, forbidden=()):
        super().__init__()
        self.forbidden = set(forbidden)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.overloadpacket in self.forbidden:
            raise AssertionError(f"{func} is missing on MPS")
        out = func(*args, **(kwargs or {}))
        if any(isinstance(t, torch.Tensor) and t.dtype == torch.float64 for t in tree_leaves(out)):
            raise AssertionError(f"{func} made a float64 tensor")
        return out


@pytest.fixture(params=["cuda", "mps"])
def guard(request, monkeypatch):
    """The float64 guard; for ``mps`` also no ``kthvalue``, and its MPS branch taken.
    The pruning functions' numpy shortcuts for CPU tensors are turned off, so the
    device code paths run here."""
    monkeypatch.setattr(pruning, "NUMPY_FLOATS", ())
    if request.param == "cuda":
        return MpsOpsOnly()
    monkeypatch.setattr(pruning, "KTHVALUE_DEVICES", ())
    return MpsOpsOnly({torch.ops.aten.kthvalue})


def _layers(seed=0):
    torch.manual_seed(seed)
    return {"a": nn.Linear(40, 30), "b": nn.Linear(30, 7)}


def _slots(layers):
    return {name: (module, "weight") for name, module in layers.items()}


def test_the_guard_catches_float64_and_forbidden_ops():
    with pytest.raises(AssertionError, match="float64"), MpsOpsOnly():
        torch.ones(3).double()
    with pytest.raises(AssertionError, match="missing on MPS"), MpsOpsOnly({torch.ops.aten.kthvalue}):
        torch.ones(3).kthvalue(1)


def test_measurements_under_the_guard():
    torch.manual_seed(0)
    w = torch.randn(300, 200) * 0.05
    edges = symmetric_edges(float(w.abs().max()), 121)
    with MpsOpsOnly():
        stats_ = layer_stats(w, (0.01, 0.3))
        counts = histogram(w, edges)
        layer_stats(torch.zeros(10), (0.1,))
    assert counts.sum() == w.numel() and stats_["count"] == w.numel()


def test_pruning_under_the_guard(guard):
    layers, weights = _layers(), {k: m.weight.detach() for k, m in _layers(1).items()}
    magnitudes = torch.rand(5000) ** 3
    truth = magnitudes.sort().values
    with guard:
        prune_threshold_(_slots(layers), 0.05)
        prune_global_percentile_(_slots(_layers(2)), 20.0)
        pruners = [InLoopPruner(weights, "threshold", 0.05, 20), InLoopPruner(weights, "percentile", 0.0, 20)]
        for pruner in pruners:
            pruner.prune_()
            pruner.prune_()
        found = [kth_smallest_magnitude(magnitudes, k, guess) for k in (1, 1000, 5000) for guess in (None, 0.1, 10.0)]
    assert found == [float(truth[k - 1]) for k in (1, 1000, 5000) for _ in range(3)]


@pytest.mark.parametrize("offset", [0.0, 0.05, 3.0])
@pytest.mark.parametrize("draw", [torch.randn, lambda n: torch.rand(n) * 2 - 1])
def test_float32_moments_match_float64(draw, offset):
    torch.manual_seed(0)
    w = draw(1_000_000) * 0.05 + offset
    x = w.numpy().astype(np.float64)
    mean, std = x.mean(), x.std()
    z = (x - mean) / std
    got = layer_stats(w, ())
    assert abs(got["mean"] - mean) <= 1e-6 * max(abs(mean), std)
    assert abs(got["std"] - std) <= 1e-6 * std
    assert abs(got["skew"] - (z**3).mean()) <= 1e-4  # both near 0: absolute, on a unit scale
    assert abs(got["kurtosis"] - ((z**4).mean() - 3)) <= 1e-4


def test_below_tau_compares_with_tau_itself_not_its_float32_rounding():
    for tau in (0.01, 0.1, 0.3, 0.7):  # 0.01 and 0.7 round down to float32, 0.1 and 0.3 up
        nearest = float(np.float32(tau))
        assert float32_above(tau) >= tau and np.float32(float32_above(tau)) == float32_above(tau)
        share = layer_stats(torch.tensor([nearest, 0.0]), (tau,))["below_tau"][f"{tau:g}"]
        assert share == (1.0 if nearest < tau else 0.5)


def test_equal_weights_have_no_shape_moments():
    got = layer_stats(torch.full((7,), 0.1), ())
    assert (got["mean"], got["std"], got["skew"], got["kurtosis"]) == (float(np.float32(0.1)), 0.0, None, None)


def test_histogram_counts_exactly_beyond_float32_integers():
    counts = histogram(torch.zeros(2**24 + 3), np.linspace(-1, 1, 4))  # histc alone: 2**24 + 4
    assert counts.tolist() == [0, 2**24 + 3, 0]
