"""Failures after validation: one line naming the cause and what to do, exit 2, no
traceback unless asked for, and a cache with no entry and no staging left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pruning_pipeline import api
from pruning_pipeline.keys.store import STAGING_MARK, Cache
from pruning_pipeline.config import make_config

QUICK = ["--set", "profile=quick", "--set", "seeds=1", "--set", "steps=40", "--set", "record_every=20", "--quiet"]


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PRUNING_")}
    return subprocess.run([sys.executable, "-m", "pruning_pipeline", *args], capture_output=True, text=True,
                          env={**environ, **env}, timeout=300)


def _untouched(cache: Path) -> bool:
    """No entry and no staging directory: nothing half-written."""
    return not cache.exists() or (Cache(cache).entries() == [] and not list(cache.glob("*/.*")))


@pytest.mark.parametrize("content, expected", [
    (None, ["lacks train-images-idx3-ubyte.gz", "set data_dir=DIR"]),  # no files at all
    (b"not gzip at all", ["train-images-idx3-ubyte.gz is not a readable IDX file", "sha256"]),
])
def test_missing_or_corrupt_dataset_files_are_one_line(tmp_path, content, expected):
    from pruning_pipeline.train.data import MNIST_FILES

    idx = tmp_path / "idx"
    idx.mkdir()
    for name in MNIST_FILES if content else ():
        (idx / name).write_bytes(content)
    out = _cli("run", *QUICK, "--set", "dataset=mnist", "--set", f"data_dir={idx}",
               "--set", f"cache_dir={tmp_path / 'c'}")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert all(text in out.stderr for text in expected), out.stderr
    assert _untouched(tmp_path / "c")


def test_a_loss_that_turns_nan_stops_naming_the_step(tmp_path):
    out = _cli("run", *QUICK, "--set", "lr=1e12", "--set", f"cache_dir={tmp_path / 'c'}")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    # both whole runs that start first (plain, gradual) meet it; the first to fail is named
    assert re.search(r"^error: seed 0: (plain|gradual) run.*: training run '(trained|gradual to 90%)': the loss "
                     r"became nan at step \d+; lower lr \(now 1e\+12\)", out.stderr), out.stderr
    assert _untouched(tmp_path / "c")


def test_debug_shows_the_traceback(tmp_path):
    out = _cli("run", *QUICK, "--set", "lr=1e12", "--set", f"cache_dir={tmp_path / 'c'}", PRUNING_DEBUG="1")
    assert out.returncode != 0 and "Traceback" in out.stderr and "TrainingError" in out.stderr


def test_a_killed_writers_staging_directory_is_collected(tmp_path):
    """Kill a run in the middle of measuring (the training jobs write their entries
    when done; the results entry is filled for as long as the long sweep takes), then
    run again: its staging is gone."""
    cache = tmp_path / "c"
    args = [sys.executable, "-m", "pruning_pipeline", "run", "--quiet", "--set", "profile=quick", "--set", "seeds=1",
            "--set", "steps=60", "--set", "sweep_points=100000", "--set", f"cache_dir={cache}"]
    writer = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list(cache.glob(f"results/.*-{STAGING_MARK}{writer.pid}-*")) and time.time() < deadline:
        time.sleep(0.2)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    left = list(cache.glob("*/.*"))  # the results entry's
    assert len(left) >= 1 and all(f"-{STAGING_MARK}{writer.pid}-" in p.name for p in left), left
    removed = Cache(cache).collect_staging()
    assert sorted(removed) == sorted(left) and not list(cache.glob("*/.*"))


def test_clean_keeps_what_the_configuration_uses(tmp_path):
    cache = tmp_path / "c"
    config = {"profile": "quick", "seeds": 1, "steps": 40, "record_every": 20, "cache_dir": str(cache)}
    for tau in (0.05, 0.2):  # in this process: the CLI is exercised by clean below
        api.run(make_config({**config, "tau_post": tau}), progress=False)
    before = {(e["kind"], e["key"]) for e in Cache(cache).entries()}
    quick = make_config(config)
    # trainings, methods and lottery rounds (ticket and control), shared
    shared = 2 + len(quick.target_sparsities) + len(quick.gmp_sparsities) + 2 * quick.lottery_rounds
    assert len(before) == 2 + shared  # two results
    dry = _cli("clean", "--dry-run", *QUICK, "--set", "tau_post=0.2", "--set", f"cache_dir={cache}")
    assert dry.returncode == 0 and "would remove 1 entries" in dry.stdout
    assert {(e["kind"], e["key"]) for e in Cache(cache).entries()} == before
    done = _cli("clean", *QUICK, "--set", "tau_post=0.2", "--set", f"cache_dir={cache}")
    assert done.returncode == 0 and "removed 1 entries" in done.stdout
    assert len(Cache(cache).entries()) == 1 + shared
    api.run(make_config({**config, "tau_post": 0.2}), progress=False)
    assert len(Cache(cache).entries()) == 1 + shared  # a cache hit: nothing new


def test_out_of_memory_is_one_line_and_caches_nothing(tmp_path, monkeypatch):
    import torch

    from pruning_pipeline.config import PipelineError
    from pruning_pipeline.measure import lifecycle

    def exhausted(life):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(lifecycle, "compute", exhausted)
    config = make_config({"profile": "quick", "seeds": 1, "steps": 40, "cache_dir": str(tmp_path / "c")})
    with pytest.raises(PipelineError, match=r"out of memory on cpu \(CUDA out of memory.*\); lower batch_size"):
        api.run(config, progress=False)
    assert not (tmp_path / "c" / "results").exists() or not list((tmp_path / "c" / "results").iterdir())

