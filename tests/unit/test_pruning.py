"""Pruning invariants on small tensors, each checked against a direct recomputation."""

import pytest
import torch
from torch import nn

from pruning_pipeline.train.pruning import (
    InLoopPruner,
    kth_smallest_magnitude,
    split_at_numpy,
    split_at_torch,
    regrowth,
    magnitude_mask,
    prune_global_percentile_,
    prune_threshold_,
)


def _layers(seed=0):
    torch.manual_seed(seed)
    return {"a": nn.Linear(40, 30), "b": nn.Linear(30, 7)}


def _slots(layers):
    return {name: (module, "weight") for name, module in layers.items()}


def test_post_training_threshold_zeroes_exactly_the_small_weights():
    layers = _layers()
    before = {k: m.weight.detach().clone() for k, m in layers.items()}
    prune_threshold_(_slots(layers), 0.1)
    for name, module in layers.items():
        w, old = module.weight.detach(), before[name]
        assert not hasattr(module, "weight_mask")  # made permanent
        assert not ((w != 0) & (w.abs() < 0.1)).any()
        keep = old.abs() >= 0.1
        assert torch.equal(w[keep], old[keep]) and (w[~keep] == 0).all()


def test_tau_zero_changes_nothing():
    layers = _layers()
    before = {k: m.weight.detach().clone() for k, m in layers.items()}
    prune_threshold_(_slots(layers), 0.0)
    assert all(torch.equal(layers[k].weight, before[k]) for k in layers)
    weights = {k: m.weight.detach() for k, m in layers.items()}
    InLoopPruner(weights, "threshold", 0.0, 20).prune_()
    assert all(torch.equal(weights[k], before[k]) for k in layers)


def test_mask_is_pure_and_keeps_the_threshold_itself():
    w = torch.tensor([-0.2, -0.1, 0.0, 0.05, 0.1])
    copy = w.clone()
    assert magnitude_mask(w, 0.1).tolist() == [1, 1, 0, 0, 1]
    assert torch.equal(w, copy)


def test_in_loop_rule_zeroes_the_threshold_itself():
    w = torch.tensor([-0.2, -0.1, 0.0, 0.05, 0.1])
    InLoopPruner({"w": w}, "threshold", 0.1, 20).prune_()
    assert torch.equal(w, torch.tensor([-0.2, 0.0, 0.0, 0.0, 0.0]))


@pytest.mark.parametrize("percentile", [20.0, 50.0, 3.3])
def test_global_percentile_prunes_within_one_weight_of_p_percent(percentile):
    layers = _layers()
    total = sum(m.weight.numel() for m in layers.values())  # 1410
    magnitudes = torch.cat([m.weight.detach().abs().flatten() for m in layers.values()])
    threshold = prune_global_percentile_(_slots(layers), percentile)
    zeros = sum(int((m.weight == 0).sum()) for m in layers.values())
    assert abs(zeros - total * percentile / 100) <= 1
    assert threshold == pytest.approx(float(magnitudes.sort().values[zeros - 1]))


def test_kth_smallest_matches_sort_for_any_guess():
    torch.manual_seed(1)
    magnitudes = torch.rand(5000) ** 3
    truth = magnitudes.sort().values
    for k in (1, 17, 1000, 4999, 5000):
        for guess in (None, 0.0, 1e-9, float(truth[k - 1]), 0.5, 10.0):
            assert kth_smallest_magnitude(magnitudes, k, guess) == float(truth[k - 1])


def test_kth_smallest_of_bfloat16_magnitudes_which_numpy_cannot_hold():
    torch.manual_seed(3)
    magnitudes = (torch.rand(3000) ** 3).bfloat16()
    truth = magnitudes.sort().values
    for k in (1, 600, 3000):
        for guess in (None, float(truth[k - 1]), 0.5):
            assert kth_smallest_magnitude(magnitudes, k, guess) == float(truth[k - 1])


def test_the_numpy_and_torch_band_splits_agree_on_ties_and_edges():
    torch.manual_seed(2)
    values = torch.cat([torch.zeros(100), torch.rand(5000) ** 3, torch.full((50,), 0.25)])
    for low, high in ((0.0, 0.25), (0.1, 0.2), (0.25, 0.25), (0.3, 2.0), (1e-12, 1e-12)):
        (torch_below, torch_band), (numpy_below, numpy_band) = (
            split_at_torch(values, low, high), split_at_numpy(values, low, high))
        assert torch_below == numpy_below == sum(1 for v in values.tolist() if v < low)
        assert torch_band.numel() == sum(1 for v in values.tolist() if low <= v <= high)
        assert torch.equal(torch_band.sort().values, numpy_band.sort().values)


def test_in_loop_threshold_leaves_no_small_nonzero_and_measures_regrowth():
    weights = {k: m.weight.detach() for k, m in _layers().items()}
    pruner = InLoopPruner(weights, "threshold", 0.05, 20)
    pruner.prune_()
    for w in weights.values():
        assert not ((w != 0) & (w.abs() <= 0.05)).any()
    masks = pruner.zero_masks()
    zeroed = {k: int((w == 0).sum()) for k, w in weights.items()}
    weights["a"].add_(0.01)  # an "optimizer step" that moves every weight
    counts = regrowth(masks, weights)
    assert counts["a"] == (zeroed["a"], zeroed["a"])  # all zeroed weights moved off zero
    assert counts["b"] == (zeroed["b"], 0)


def test_in_loop_percentile_rule_keeps_p_percent_zero_each_step():
    weights = {k: m.weight.detach() for k, m in _layers().items()}
    total = sum(w.numel() for w in weights.values())
    pruner = InLoopPruner(weights, "percentile", 0.0, 20)
    for step in range(3):
        pruner.prune_()
        zeros = sum(int((w == 0).sum()) for w in weights.values())
        assert abs(zeros - 0.2 * total) <= 1
        for w in weights.values():
            w.add_(torch.randn_like(w) * 0.01)
