"""Every training run a job: the same bits whatever runs the jobs (this process, worker
processes, a real Dask LocalCluster), and faults that end a build in one line, keep
what finished, and leave nothing half-written."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pruning_pipeline import api
from pruning_pipeline.config import PipelineError, make_config
from pruning_pipeline.jobs.plan import KIND_ORDER, plan
from pruning_pipeline.keys.store import Cache
from pruning_pipeline.report import Report

FAULTS = Path(__file__).with_name("job_faults.py")  # copied into each test's project
OWN = {"model": "job_faults:build", "dataset": "job_faults:data", "profile": "quick", "seeds": 2, "steps": 40,
       "record_every": 10, "finetune_steps": 10, "sweep_points": 30, "batch_size": 16, "gmp_every": 5,
       "layers": {"types": ["Linear"]}, "device": "cpu"}  # a GPU would batch the seeds instead
NOT_THE_NUMBERS = ("seconds", "timings_s", "build", "executor", "workers", "scheduler", "cache_dir")


def _comparable(value):
    """metrics.json without what says how long or by what it ran (latencies measured on
    this machine's clock, seconds, the executor's options, the cache's folder)."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in NOT_THE_NUMBERS and "latency" not in k}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _training_files(cache: Path) -> dict:
    """Every training entry's files by kind and key: the checksum of each, the curves
    (which hold the seconds a run took) as numbers."""
    found = {}
    for e in Cache(cache).entries():
        if e["kind"] in KIND_ORDER:
            entry = cache / e["kind"] / e["key"]
            files = json.loads((entry / "entry.json").read_text())["files"]
            if "curves.json" in files:
                files["curves.json"] = _comparable(json.loads((entry / "curves.json").read_text()))
            found[(e["kind"], e["key"])] = files
    return found


def test_the_numbers_are_bit_identical_whatever_runs_the_jobs(tmp_path):
    """The quick profile (every kind of job, a third of its steps) under serial, 1 worker,
    2 workers and a Dask LocalCluster of 2 workers: the same training entries byte for
    byte, the same metrics.json."""
    short = {"profile": "quick", "device": "cpu", "steps": 100, "record_every": 25}
    runs = {"serial": {"executor": "serial"}, "1 worker": {"workers": 1}, "2 workers": {"workers": 2},
            "dask": {"executor": "dask", "workers": 2}}
    metrics, files, reports = {}, {}, {}
    for name, options in runs.items():
        cache = tmp_path / name.replace(" ", "-")
        reports[name] = Report()
        results = api.run(make_config({**short, "cache_dir": str(cache), **options}),
                          progress=False,
                          report=reports[name])
        metrics[name], files[name] = _comparable(results.metrics), _training_files(cache)
    planned = plan([make_config({**short, "seed": s}) for s in (0, 1)], "cpu")
    jobs = len(planned)
    # two seeds x (plain, in-loop, one gradual target, three fine-tuned targets, two lottery rounds of two runs)
    assert jobs == 2 * (2 + 1 + 3 + 2 * 2)
    first, second = (files["serial"][job.entry]["state.safetensors"] for job in planned if job.kind == "trained")
    assert first != second  # each job trained its own seed
    for name in runs:
        assert len(files[name]) == jobs, name
        assert files[name] == files["serial"], name
        assert metrics[name] == metrics["serial"], name
        assert sum(row["run"] for row in reports[name].jobs.values()) == jobs, name
    assert any("Dask LocalCluster of 2" in phase for phase in reports["dask"].phases)
    assert any("2 worker processes" in phase for phase in reports["2 workers"].phases)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder holding the fault model, as the working directory."""
    (tmp_path / "job_faults.py").write_text(FAULTS.read_text())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_failing_job_names_its_seed_and_keeps_what_finished(project, monkeypatch):
    """With one worker the jobs run in plan order: seed 0's plain run finishes, seed
    1's raises. The next build (fault gone) reuses the first and runs the rest."""
    config = make_config({**OWN, "workers": 1, "cache_dir": str(project / "cache")})
    monkeypatch.setenv("JOB_FAULT", "raise")
    with pytest.raises(PipelineError) as failed:
        api.run(config, progress=False)
    assert str(failed.value) == "seed 1: plain run: RuntimeError: seed one broke"
    assert [e["kind"] for e in Cache(config.cache_dir).entries()] == ["trained"]
    monkeypatch.delenv("JOB_FAULT")
    report = Report()
    api.run(config, progress=False, report=report)
    jobs = len(plan([config.for_seed(s) for s in config.seed_values], api.device_key(config.device)))
    assert (report.jobs["trained"]["run"], report.jobs["trained"]["reused"]) == (1, 1)
    assert sum(row["run"] for row in report.jobs.values()) == jobs - 1


def test_a_killed_worker_is_one_line_naming_its_job(project, monkeypatch):
    config = make_config({**OWN, "workers": 2, "cache_dir": str(project / "cache")})
    monkeypatch.setenv("JOB_FAULT", "kill")
    with pytest.raises(PipelineError, match=r"^seed 1: plain run: its worker process was killed by SIGKILL "):
        api.run(config, progress=False)
    cache = Cache(config.cache_dir)
    assert all(entry["state"] == "ok" for entry in cache.entries())
    assert not list(Path(config.cache_dir).glob("*/.*"))  # no staging directory left behind


def test_an_unreachable_scheduler_is_one_line_naming_it(project):
    config = make_config({**OWN, "executor": "dask", "scheduler": "tcp://127.0.0.1:9",
                          "cache_dir": str(project / "cache")})
    with pytest.raises(PipelineError, match=r"^cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9 "):
        api.run(config, progress=False)


def test_ctrl_c_stops_every_worker_and_writes_nothing_half(project):
    """SIGINT to the build's process group, as a terminal's Ctrl-C sends it, while two
    workers train: the build says so and exits 130, no process of it is left, and every
    entry in the cache is whole."""
    env = {**os.environ, "JOB_FAULT": "sleep"}
    args = [sys.executable, "-m", "pruning_pipeline", "run", "--set", "cache_dir=cache", "--set", "workers=2",
            *(f"--set={k}={json.dumps(v) if isinstance(v, dict) else v}" for k, v in OWN.items())]
    build = subprocess.Popen(args, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    deadline = time.monotonic() + 60
    while not list((project / "cache").glob("trained/*")) and time.monotonic() < deadline:
        time.sleep(0.2)  # until a job has finished: the workers are up and training
    assert list((project / "cache").glob("trained/*")), "no job finished within a minute"
    os.killpg(build.pid, signal.SIGINT)
    _, stderr = build.communicate(timeout=60)
    assert build.returncode == 130, stderr[-2000:]
    assert "interrupted: what finished is cached (training jobs included)" in stderr
    assert _group_ends(build.pid, within=10)  # no worker outlived the build
    entries = Cache(project / "cache").entries()
    assert entries and all(entry["state"] == "ok" for entry in entries)
    assert not list((project / "cache").glob("*/.*"))


def _group_ends(group: int, within: float) -> bool:
    """Whether every process of ``group`` is gone within ``within`` seconds (an orphan
    exits, and is reaped, a moment after its parent)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False
