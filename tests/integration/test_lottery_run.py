"""The lottery ticket in a real (tiny) run of the quick profile, which runs two rounds:
every layer lands on the sparsity its rate gives, the first mask keeps the trained run's
largest weights, ticket and control share their masks but not their weights, and one
more round trains only itself."""

from __future__ import annotations

from collections import Counter

import torch
from safetensors.torch import load_file

from pruning_pipeline import api
from pruning_pipeline.config import make_config
from pruning_pipeline.keys.store import Cache
from pruning_pipeline.report import Report
from pruning_pipeline.train import runs
from pruning_pipeline.train.keyed import CONTROL_KIND, LOTTERY_KIND, method_keys, training_keys
from pruning_pipeline.train.lottery import MASK_FILE
from pruning_pipeline.train.model import weight_key

FEW = {"profile": "quick", "seeds": 1, "steps": 40, "record_every": 20, "sweep_points": 30, "tau_post": 0.05,
       "finetune_steps": 5, "gmp_every": 5}


def test_rounds_prune_by_rate_from_the_trained_weights_and_more_rounds_reuse_the_first(tmp_path):
    config = make_config({**FEW, "cache_dir": str(tmp_path / "cache")})
    assert config.lottery_rounds == 2  # the quick profile exercises it
    results = api.run(config, progress=False)
    lot = results.metrics["lottery"]
    counts = {name: results.stage("trained")["layers"][name]["count"] for name in results.layers}
    last = results.layers[-1]
    for i, k in enumerate(lot["rounds"]):  # exact counts: round(n (1 - rate)^k) kept per layer
        for name, n in counts.items():
            kept = round(n * (1 - (0.1 if name == last else 0.2)) ** k)
            assert lot["layers"][name]["sparsity"][i] == (n - kept) / n, (name, k)
        assert 0 <= lot["accuracy"]["ticket"][i] <= 1 and 0 <= lot["accuracy"]["control"][i] <= 1
        assert len(lot["curves"]["ticket"][i]) == len(lot["curves"]["steps"]) == len(lot["curves"]["control"][i])
    assert lot["dense_accuracy"] == results.stage("trained")["accuracy"]

    cache, device = Cache(config.cache_dir), api.device_key(config.device)
    keys = method_keys(config, device)
    trained, _ = runs.load_run(cache.get("trained", training_keys(config, device)["trained"]))
    ticket = cache.get(LOTTERY_KIND, keys[(LOTTERY_KIND, 1)])
    control = cache.get(CONTROL_KIND, keys[(CONTROL_KIND, 1)])
    masks, ticket_state = load_file(ticket / MASK_FILE), runs.load_run(ticket)[0]
    control_state = runs.load_run(control)[0]
    for name in results.layers:
        key = weight_key(name, trained)
        magnitude = trained[key].abs().flatten()
        top = torch.zeros_like(magnitude, dtype=torch.bool)
        top[magnitude.topk(int(masks[name].sum())).indices] = True  # the first mask: the largest trained weights
        assert torch.equal(masks[name].flatten(), top), name
        assert torch.equal(ticket_state[key] != 0, masks[name]) and torch.equal(control_state[key] != 0, masks[name])
        assert not torch.equal(ticket_state[key], control_state[key])

    report = Report()
    more = make_config({**FEW, "cache_dir": config.cache_dir, "lottery_rounds": 3})
    again = api.run(more, progress=False, report=report)
    kinds = Counter(entry["kind"] for entry in cache.entries())
    assert kinds[LOTTERY_KIND] == kinds[CONTROL_KIND] == 3
    assert report.jobs[LOTTERY_KIND]["run"] == report.jobs[CONTROL_KIND]["run"] == 1  # round 3 alone
    assert again.metrics["lottery"]["accuracy"]["ticket"][:2] == lot["accuracy"]["ticket"]
    assert "lottery" not in api.run(make_config({**FEW, "cache_dir": config.cache_dir, "lottery_rounds": 0}),
                                    progress=False).metrics
