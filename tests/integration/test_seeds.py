"""Several seeds: each seed is its own cache entry (adding one trains only that one),
alone or in the batched ensemble, whose numbers are a lone run's up to float noise; a
model vmap cannot take trains alone, with the reason logged."""

from __future__ import annotations

import logging
import textwrap

import pytest
import torch
import torch.nn.functional as F

from pruning_pipeline import api
from pruning_pipeline.config import make_config
from pruning_pipeline.figures.binning import COMPARED_STAGES
from pruning_pipeline.report import Report
from pruning_pipeline.train import ensemble, runs
from pruning_pipeline.train.feed import batch_order, load_data
from pruning_pipeline.train.model import build_model, subject_for

FEW = {"profile": "quick", "steps": 40, "record_every": 20, "sweep_points": 30, "tau_post": 0.05}

USER_MODULE = textwrap.dedent('''
    import torch
    from torch import nn

    def dropped(features=6, width=16, classes=3):
        """Dropout draws random numbers: vmap cannot follow each seed's draws."""
        return nn.Sequential(nn.Linear(features, width), nn.ReLU(), nn.Dropout(0.2), nn.Linear(width, classes))
''')


def _trained(report: Report) -> dict[str, bool]:
    """Training phases of a report: name -> whether it came from the cache."""
    return {name: phase["cached"] for name, phase in report.phases.items()
            if "trained" in name or "in_loop" in name}


@pytest.mark.parametrize("batch_seeds", ["false", "true"])
def test_adding_a_seed_trains_only_that_seed(tmp_path, batch_seeds):
    values = {**FEW, "batch_seeds": batch_seeds, "cache_dir": str(tmp_path)}
    first = Report()
    two = api.run(make_config({**values, "seeds": 2}), progress=False, report=first)
    assert two.metrics["seeds"]["seeds"] == [0, 1]
    assert [m["config"]["seed"] for m in two.metrics["seeds"]["per_seed"]] == [0, 1]
    again = Report()
    three = api.run(make_config({**values, "seeds": 3}), progress=False, report=again)
    trained = _trained(again)
    if batch_seeds == "true":
        assert "6 runs of 2 seeds trained together" in first.phases  # each seed's plain, in-loop and gradual run
        assert trained == {"3 runs of 1 seed trained together": False}  # seed 2's three runs, nothing else
    else:  # seed 2's jobs alone: seeds 0 and 1 are measured already, their jobs are not even looked up
        assert {kind: (row["run"], row["reused"]) for kind, row in again.jobs.items()} == \
            {kind: (row["run"] // 2, 0) for kind, row in first.jobs.items()}
        assert set(again.jobs) == {"trained", "in_loop", "gradual", "finetuned", "lottery", "lottery_control"}
    assert [name for name, phase in again.phases.items() if name.endswith(": analysis")] == ["seed 2: analysis"]
    # the first two seeds' own numbers are the entries made before
    assert three.metrics["seeds"]["per_seed"][:2] == two.metrics["seeds"]["per_seed"]
    assert three.metrics["seeds"]["run_ids"][:2] == two.metrics["seeds"]["run_ids"]
    # every seed's stages on the first seed's bins: the first seed's row is its own
    # histogram, and each seed's counts and the weights beyond the bins cover its layer
    for stage in COMPARED_STAGES:
        for layer in three.layer_keys:
            counts, outside = three.seed_counts(stage, layer)
            assert counts.shape == (3, len(three.edges(layer)) - 1)
            assert (counts[0] == three.counts(stage, layer)).all() and outside[0] == 0
            size = three.stage("trained")["layers"][layer]["count"]
            assert (counts.sum(axis=1) + outside == size).all(), (stage, layer)


def test_an_ensemble_member_is_a_lone_run_up_to_float_noise():
    """One step's gradients of the reference network, for seed 0: the ensemble's member
    against the lone run (the lone run in channels-last memory, the ensemble through
    vmap); both are compared with the plain layout, and differ from it alike."""
    torch.set_num_threads(1)
    config = make_config({**FEW, "seeds": 2})
    device = torch.device("cpu")
    data = load_data(config, device)
    subject = subject_for(config, build_model(config))
    init = runs.initial_state(config, subject)
    x, y = next(data.train_batches(batch_order(data.n_train, config.batch_size, 1, config.seed + 1)))

    def gradients(model, forward):
        model.train()
        F.cross_entropy(forward(x), y).backward()
        return {name: p.grad for name, p in model.named_parameters()}

    plain = subject.build()
    plain.load_state_dict(init)
    expected = gradients(plain, plain)
    alone = runs.model_from(init, subject, device)
    lone = gradients(alone, alone)
    params, buffers = torch.func.stack_module_state([runs.model_from(init, subject, device)])
    _, forward = ensemble._stacked_forward(plain)
    F.cross_entropy(forward(params, buffers, x[None]).flatten(0, 1), y).backward()
    for name, grad in expected.items():
        scale = float(grad.abs().max())
        member = params[name].grad[0]
        assert float((member - grad).abs().max()) <= 1e-5 * scale, name
        assert float((lone[name] - grad).abs().max()) <= 1e-5 * scale, name


def test_a_model_vmap_cannot_take_trains_alone(tmp_path, monkeypatch, caplog):
    (tmp_path / "dropped_model.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 6, generator=g)
    y = (x @ torch.randn(6, 3, generator=g)).argmax(1)
    values = {**FEW, "model": "dropped_model:dropped", "dataset": {"train_x": x[:64], "train_y": y[:64],
              "test_x": x[64:], "test_y": y[64:]}, "batch_seeds": "true", "seeds": 2, "batch_size": 16,
              "cache_dir": str(tmp_path / "cache")}
    config = make_config(values)
    data = load_data(config, torch.device("cpu"))
    reason = ensemble.problem(subject_for(config, build_model(config)), data, torch.device("cpu"))
    assert reason is not None and reason.startswith("vmap cannot take this model") and "\n" not in reason
    report = Report()
    with caplog.at_level(logging.INFO, logger="pruning_pipeline"):
        results = api.run(config, progress=False, report=report)
    assert [r.getMessage() for r in caplog.records if "trains without the other seeds" in r.getMessage()] == [
        f"seed {seed} trains without the other seeds: {reason}" for seed in (0, 1)]
    assert not any("together" in name for name in report.phases)
    assert report.jobs["trained"]["run"] == report.jobs["in_loop"]["run"] == 2  # each seed's own, as jobs
    assert len(results.metrics["seeds"]["per_seed"]) == 2


def test_figures_of_one_seed(tmp_path):
    """``figures --seed N`` writes that seed's own files; a seed outside the run is one line."""
    import json
    import subprocess
    import sys

    settings = [f"--set={key}={value}" for key, value in {**FEW, "seeds": 2, "cache_dir": tmp_path / "c"}.items()]
    out = subprocess.run([sys.executable, "-m", "pruning_pipeline", "figures", "--quiet", "--seed", "1",
                          "--out", str(tmp_path / "f"), *settings], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    metrics = json.loads((tmp_path / "f" / "metrics.json").read_text())
    assert metrics["config"]["seed"] == 1 and "seeds" not in metrics
    assert (tmp_path / "f" / "figures.json").exists()
    bad = subprocess.run([sys.executable, "-m", "pruning_pipeline", "figures", "--quiet", "--seed", "7",
                          "--out", str(tmp_path / "g"), *settings], capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "seed" in bad.stderr
    assert not (tmp_path / "g").exists()
