"""Methods at the same sparsity, in a real (tiny) run: every method lands on its target,
each target is a cache entry of its own, `clean` keeps them, and with the seeds batched
the gradual runs train in the ensemble."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import torch

from pruning_pipeline import api
from pruning_pipeline.keys.store import Cache
from pruning_pipeline.config import make_config
from pruning_pipeline.train.keyed import method_keys, training_keys
from pruning_pipeline.train.keyed import BATCHED, GRADUAL_KIND, ONE_SHOT_KIND
from pruning_pipeline.train.methods import ONE_SHOT_FILE
from pruning_pipeline.names import METHOD_LABEL
from pruning_pipeline.report import Report
from pruning_pipeline.train import methods, runs
from pruning_pipeline.train.feed import load_data
from pruning_pipeline.train.model import build_model, subject_for, weight_key

FEW = {"profile": "quick", "seeds": 1, "steps": 40, "record_every": 20, "sweep_points": 30, "tau_post": 0.05,
       "finetune_steps": 5, "gmp_every": 5}


def _kinds(cache: str) -> Counter:
    return Counter(entry["kind"] for entry in Cache(cache).entries())


def test_every_method_reaches_its_target_and_the_gradual_run_its_own(tiny_results):
    methods = tiny_results.metrics["methods"]
    weights = tiny_results.stage("trained")["layers"]["global"]["count"]
    targets = methods["targets"]
    assert targets == list(make_config({"profile": "quick"}).target_sparsities)
    assert sorted(methods["accuracy"]) == sorted(METHOD_LABEL)
    for scope in ("global", "layer", "random"):  # exact counts: within one weight per layer
        for target, measured in zip(targets, methods["sparsity"][scope]):
            assert measured == pytest.approx(target, abs=len(tiny_results.layers) / weights)
    gradual = methods["gradual"]["targets"]
    for target, accuracy, measured in zip(targets, methods["accuracy"]["gradual"], methods["sparsity"]["gradual"]):
        assert (accuracy is None) == (target not in gradual)
        if target in gradual:
            assert measured == pytest.approx(target, abs=len(tiny_results.layers) / weights)
    steps = tiny_results.metrics["manifest"]["steps"]
    assert (methods["gradual"]["start"], methods["gradual"]["end"]) == (round(0.1 * steps), round(0.75 * steps))
    for name, series in methods["accuracy"].items():
        assert all(v is None or 0 <= v <= 1 for v in series), name
    # at 99% the one-shot prune without fine-tuning cannot beat the unpruned model
    assert methods["accuracy"]["layer"][-1] <= methods["dense_accuracy"]


def test_a_new_target_computes_only_that_target_and_clean_keeps_every_entry(tmp_path):
    cache = str(tmp_path / "cache")
    first = api.run(make_config({**FEW, "cache_dir": cache}), progress=False)
    before = _kinds(cache)
    assert before[ONE_SHOT_KIND] == 3 and before[GRADUAL_KIND] == 1
    wider = make_config({**FEW, "cache_dir": cache, "target_sparsities": [0.5, 0.8, 0.9, 0.99]})
    report = Report()
    second = api.run(wider, progress=False, report=report)
    after = _kinds(cache)
    assert after[ONE_SHOT_KIND] == 4 and after[GRADUAL_KIND] == 1
    assert after["trained"] == before["trained"] and after["in_loop"] == before["in_loop"]
    assert all(phase["cached"] for name, phase in report.phases.items() if name in ("trained", "in_loop"))
    old, new = first.metrics["methods"]["accuracy"], second.metrics["methods"]["accuracy"]
    for name in old:  # the targets both runs share come from the same entries
        assert [v for i, v in enumerate(new[name]) if i != 1] == old[name], name
    used = api.used_entries(wider)
    assert {(e["kind"], e["key"]) for e in Cache(cache).entries() if e["kind"] in (ONE_SHOT_KIND, GRADUAL_KIND)} <= used


def test_the_gradual_runs_train_in_the_seeds_ensemble_as_they_would_alone(tmp_path):
    """With the seeds batched, each seed's gradual run is a member of the ensemble: its
    entry says so, and it holds the schedule and the exact per-layer zero counts of the
    same run trained alone."""
    torch.set_num_threads(1)
    config = make_config({**FEW, "seeds": 2, "batch_seeds": "true", "cache_dir": str(tmp_path / "cache")})
    report = Report()
    api.run(config, progress=False, report=report)
    assert "6 runs of 2 seeds trained together" in report.phases  # plain, in-loop and gradual, per seed
    assert f"{2 * 3 * len(config.target_sparsities)} runs of 2 seeds fine-tuned together" in report.phases
    assert _kinds(config.cache_dir)[GRADUAL_KIND] == 2
    (target,) = config.gmp_sparsities
    device = torch.device("cpu")
    cache = Cache(config.cache_dir)
    for seed in config.seed_values:
        seed_config = config.for_seed(seed)
        keys = method_keys(seed_config, api.device_key(config.device), BATCHED)
        state, curves = runs.load_run(cache.get(GRADUAL_KIND, keys[(GRADUAL_KIND, target)]))
        assert curves["ensemble_members"] == 6
        data = load_data(seed_config, device)
        subject = subject_for(seed_config, build_model(seed_config))
        trained = runs.load_run(cache.get("trained", training_keys(seed_config, api.device_key(config.device),
                                                                   BATCHED)["trained"]))[0]
        for each in seed_config.target_sparsities:  # the fine-tuned members against the same prunes alone
            batched = json.loads((cache.get(ONE_SHOT_KIND, keys[(ONE_SHOT_KIND, each)]) / ONE_SHOT_FILE).read_text())
            alone = methods.one_shot(trained, subject, data, seed_config, device, each)
            for scope, found in alone.items():
                assert batched[scope]["accuracy"] == found["accuracy"]  # the same prune, before any step
                assert batched[scope]["sparsity"] == found["sparsity"]  # held exactly through every step
                # the same steps up to float noise (vmap's grouped convolutions)
                assert batched[scope]["finetuned_accuracy"] == pytest.approx(found["finetuned_accuracy"], abs=0.02)
        lone = tmp_path / f"alone-{seed}"
        lone.mkdir()
        methods.gradual_run_into(lone, runs.initial_state(seed_config, subject), subject, data, seed_config,
                                 device, target, progress=False)
        lone_state, lone_curves = runs.load_run(lone)
        assert curves["schedule"] == lone_curves["schedule"]
        assert curves["schedule"]["sparsity"][-1] == target
        for name in subject.layers:
            key = weight_key(name, state)
            assert int((state[key] == 0).sum()) == int((lone_state[key] == 0).sum()), (seed, name)
