"""A tiny real run (60 steps): the lifecycle's invariants, its cache and its analyses."""

import subprocess
import sys
from dataclasses import replace

import numpy as np
import torch

from pruning_pipeline import api
from pruning_pipeline.keys.store import Cache
from pruning_pipeline.results import STAGES

WEIGHT_COUNTS = {"ffnn1": 196_608, "cls_head": 2_560, "global": 199_168}


def _prunable(state):
    return {name: state[f"{name}.weight"] for name in ("ffnn1", "cls_head")}


def test_histograms_count_every_weight_of_every_stage(tiny_results):
    for stage in STAGES:
        for layer, count in WEIGHT_COUNTS.items():
            counts = tiny_results.counts(stage, layer)
            assert counts.sum() == count
            assert len(tiny_results.edges(layer)) == len(counts) + 1
            assert tiny_results.stage(stage)["layers"][layer]["count"] == count
    steps = tiny_results.histograms["dynamics_steps"]
    assert steps.tolist() == [20, 40, 60]
    assert (tiny_results.histograms["dynamics/global"].sum(axis=1) == WEIGHT_COUNTS["global"]).all()


def test_post_prunes_only_below_tau_and_keeps_the_rest(tiny_results, tiny_config):
    trained = _prunable(api.stage_weights(tiny_results, "trained"))
    post = _prunable(api.stage_weights(tiny_results, "post"))
    tau = tiny_config.tau_post
    for name in trained:
        assert not ((post[name] != 0) & (post[name].abs() < tau)).any()
        keep = trained[name].abs() >= tau
        assert torch.equal(post[name][keep], trained[name][keep])
        expected_zeros = int((trained[name].abs() < tau).sum())
        assert tiny_results.stage("post")["layers"][name]["zeros"] == expected_zeros
    full_post, full_trained = api.stage_weights(tiny_results, "post"), api.stage_weights(tiny_results, "trained")
    for key in full_post:  # biases, convolutions and LayerNorm are never pruned
        if key not in ("ffnn1.weight", "cls_head.weight"):
            assert torch.equal(full_post[key], full_trained[key])


def test_in_loop_weights_have_no_small_nonzero_after_the_last_prune(tiny_results, tiny_config):
    for w in _prunable(api.stage_weights(tiny_results, "in_loop")).values():
        assert not ((w != 0) & (w.abs() <= tiny_config.tau_loop)).any()


def test_percentile_stage_is_p_percent_sparse_globally(tiny_results, tiny_config):
    zeros = tiny_results.stage("percentile")["layers"]["global"]["zeros"]
    trained_zeros = tiny_results.stage("trained")["layers"]["global"]["zeros"]
    assert abs(zeros - trained_zeros - WEIGHT_COUNTS["global"] * tiny_config.percentile / 100) <= 1 + trained_zeros


def test_init_is_the_uniform_default(tiny_results):
    for name, fan_in in (("ffnn1", 768), ("cls_head", 256)):
        layer = tiny_results.stage("init")["layers"][name]
        assert layer["abs_max"] <= 1 / np.sqrt(fan_in)
        assert abs(layer["kurtosis"] + 1.2) < 0.1  # uniform, not Gaussian (0)


def test_sweep_invariants(tiny_results, tiny_config):
    sweep = tiny_results.metrics["sweep"]
    assert len(sweep["taus"]) >= 30 and sweep["taus"][0] == 0 and tiny_config.tau_post in sweep["taus"]
    for layer in tiny_results.layer_keys:
        assert np.all(np.diff(sweep["sparsity"][layer]) >= 0)  # non-decreasing in tau
    trained = tiny_results.stage("trained")["layers"]["global"]
    assert sweep["sparsity"]["global"][0] == trained["zeros"] / trained["count"]
    assert sweep["accuracy"][sweep["configured_index"]] == tiny_results.stage("post")["accuracy"]
    knee = sweep["knee_index"]
    assert sweep["baseline_accuracy"] - sweep["accuracy"][knee] <= 0.01 + 1e-9
    # the largest sparsity among every tau within one point (counted in whole test images)
    n_test = tiny_results.metrics["manifest"]["dataset"]["n_test"]
    qualifying = [i for i, a in enumerate(sweep["accuracy"])
                  if round((sweep["baseline_accuracy"] - a) * n_test) <= 0.01 * n_test]
    assert sweep["sparsity"]["global"][knee] == max(sweep["sparsity"]["global"][i] for i in qualifying)
    assert sweep["baseline_accuracy"] == tiny_results.stage("trained")["accuracy"]


def test_regrowth_never_exceeds_the_previous_prune(tiny_results):
    for layer in tiny_results.layer_keys:
        rows = tiny_results.metrics["dynamics"]["layers"][layer]
        assert all(0 <= r <= p for r, p in zip(rows["regrowth"], rows["pruned_prev"]))


def test_sensitivity_and_payoff_shapes(tiny_results):
    sensitivity = tiny_results.metrics["sensitivity"]
    assert sensitivity["accuracy"]["ffnn1"][0] == tiny_results.stage("trained")["accuracy"]
    payoff = tiny_results.metrics["compression"]["stages"]
    for stage in STAGES:
        nonzeros = tiny_results.stage(stage)["layers"]["global"]["nonzeros"]
        assert payoff[stage]["nonzeros"] == nonzeros
        assert payoff[stage]["dense_bytes"] == WEIGHT_COUNTS["global"] * 4


def test_unchanged_config_is_a_cache_hit_without_torch(tiny_config, tiny_results):
    code = (
        "import sys; from pruning_pipeline import api; from pruning_pipeline.config import make_config;"
        f"r = api.run(make_config({tiny_config.to_dict()!r}), progress=False);"
        "assert 'torch' not in sys.modules, 'torch imported on a cache hit'; print(r.run_id)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == tiny_results.run_id


def test_changing_tau_post_reuses_both_trainings(tiny_config, tiny_results):
    cache = Cache(tiny_config.cache_dir)
    trainings = lambda: sorted(e["key"] for e in cache.entries() if e["kind"] in ("trained", "in_loop"))  # noqa: E731
    before = trainings()
    other = api.run(replace(tiny_config, tau_post=0.02), progress=False)
    assert trainings() == before and len(before) == 2
    assert other.run_id != tiny_results.run_id
    assert np.array_equal(other.counts("trained", "global"), tiny_results.counts("trained", "global"))


def test_same_seed_and_threads_give_bitwise_identical_weights(tiny_config, tiny_results, tmp_path):
    again = api.run(replace(tiny_config, cache_dir=str(tmp_path)), progress=False)
    for stage in ("trained", "in_loop"):
        first, second = api.stage_weights(tiny_results, stage), api.stage_weights(again, stage)
        assert all(torch.equal(first[k], second[k]) for k in first)


def test_figures_of_a_cut_show_the_cut_exactly(tiny_results):
    """Post, percentile and in-loop figures: ±τ are bin edges, no bar lies strictly inside
    (−τ, τ) but the zeros' bin, and every weight is counted once."""
    from pruning_pipeline.figures.binning import stage_view
    from pruning_pipeline.figures.catalog import catalog
    from pruning_pipeline.figures.tables import histogram_table

    cut_stages = {"post": tiny_results.stage("post")["threshold"],
                  "percentile": tiny_results.stage("percentile")["threshold"],
                  "in_loop": tiny_results.metrics["config"]["tau_loop"]}
    for stage, tau in cut_stages.items():
        for layer in tiny_results.layer_keys:
            stats = tiny_results.stage(stage)["layers"][layer]
            _, rows = histogram_table(*stage_view(tiny_results, stage, layer)[:2])
            assert any(left == -tau for left, _, _ in rows) and any(right == tau for _, right, _ in rows)
            inside = [(left, right, n) for left, right, n in rows if left >= -tau and right <= tau]
            assert inside == [(-tau, tau, stats["zeros"])], (stage, layer)
            assert sum(n for _, _, n in rows) == stats["count"]
    stems = {info.stem for info in catalog(tiny_results)}
    assert f"at-prune-{tiny_results.metrics['config']['tau_post']:g}-ffnn" in stems


def test_pruning_the_convolutions_too_is_measured_on_the_whole_model(tmp_path):
    """With the reference model's convolutions selected, the analyses cannot reuse its
    unpruned convolutional features: the sweep at the configured τ is the post stage."""
    from pruning_pipeline import api
    from pruning_pipeline.config import make_config

    config = make_config({"profile": "quick", "seeds": 1, "steps": 40, "record_every": 20, "sweep_points": 30,
                          "tau_post": 0.05, "layers": {"types": ["Conv2d", "Linear"]}, "cache_dir": str(tmp_path)})
    results = api.run(config, progress=False)
    assert results.layers == ("conv1", "conv2", "ffnn1", "cls_head")
    sweep = results.metrics["sweep"]
    assert sweep["accuracy"][sweep["configured_index"]] == results.stage("post")["accuracy"]
    assert results.stage("post")["layers"]["conv1"]["sparsity"] > 0


def test_histograms_widen_to_hold_a_stage_beyond_the_trained_range(tmp_path, monkeypatch):
    """Edges made too narrow for the weights (a headroom of 0.5 instead of 1.25: every stage
    reaches past them, as an in-loop run can outgrow the plain one) are widened until every
    weight of every stage lies inside, so no bin clips: each stored histogram is the one
    counted afresh on the published edges, and the dynamics records still count every weight."""
    import pytest

    from pruning_pipeline.measure import stages

    from pruning_pipeline.config import make_config

    monkeypatch.setattr(stages, "EDGE_HEADROOM", 0.5)  # in this process: the in-loop job bins on these edges too
    results = api.run(make_config({"profile": "quick", "seeds": 1, "steps": 60, "record_every": 20, "executor": "serial",
                                   "cache_dir": str(tmp_path / "narrow")}), progress=False)
    grid = results.metrics["histogram_grid"]
    for layer in (*_prunable(api.stage_weights(results, "init")), "global"):
        assert grid[layer]["widened"] == 3
        edges = results.edges(layer)
        assert edges[-1] == pytest.approx(grid[layer]["high"]) and edges[0] == -edges[-1]
        for stage in STAGES:
            assert results.stage(stage)["layers"][layer]["abs_max"] <= edges[-1]
        dynamics = results.histograms[f"dynamics/{layer}"]
        assert (dynamics.sum(axis=1) == WEIGHT_COUNTS[layer]).all() and len(dynamics[0]) == len(edges) - 1
        # the last record is taken after the last prune: the in-loop stage's own weights
        last, stage = dynamics[-1], results.counts("in_loop", layer)
        assert np.abs(last - stage).sum() <= 1e-3 * WEIGHT_COUNTS[layer] and (last[0], last[-1]) == (stage[0], stage[-1])
    for stage in STAGES:
        for layer, weights in _prunable(api.stage_weights(results, stage)).items():
            expected, _ = np.histogram(weights.numpy(), results.edges(layer))
            stored = results.counts(stage, layer)
            # histc bins in float32: a value within rounding of an edge may fall either side
            assert np.abs(stored - expected).sum() <= 1e-3 * weights.numel(), (stage, layer)
            assert (stored[0], stored[-1]) == (expected[0], expected[-1]), (stage, layer)
    assert not any("histogram range" in warning for warning in results.metrics["warnings"])
