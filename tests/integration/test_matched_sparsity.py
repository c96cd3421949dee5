"""Methods at the same sparsity, in a real (tiny) run: every method lands on its target,
each target is a cache entry of its own, and `clean` keeps them."""

from __future__ import annotations

from collections import Counter

import pytest

from pruning_pipeline import api
from pruning_pipeline.cache import Cache
from pruning_pipeline.config import make_config
from pruning_pipeline.measure.methods import GRADUAL_KIND, ONE_SHOT_KIND
from pruning_pipeline.names import METHOD_LABEL
from pruning_pipeline.report import Report

FEW = {"profile": "quick", "steps": 40, "record_every": 20, "sweep_points": 30, "tau_post": 0.05,
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
