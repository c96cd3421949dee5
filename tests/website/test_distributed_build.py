"""`mkdocs build` with ``nproc_per_node: 2``: the training runs under torchrun (two Gloo
processes on the CPU), the site is built from the entry rank 0 cached, a second build is
a cache hit, and a rank that raises fails the build with its own message."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.site

TWO = {"PRUNING_NPROC_PER_NODE": "2", "PRUNING_STEPS": "60", "PRUNING_RECORD_EVERY": "20"}


def test_a_build_on_two_processes_then_a_cache_hit(tmp_path, build_site):
    env = {**TWO, "PRUNING_CACHE_DIR": str(tmp_path / "cache")}
    first = build_site(tmp_path / "first", **env)
    assert first.returncode == 0, first.stderr[-4000:]
    assert "torchrun, 2 processes" in first.stderr
    metrics = json.loads((tmp_path / "first" / "static" / "metrics.json").read_text())
    assert metrics["manifest"]["world_size"] == 2 and metrics["config"]["nproc_per_node"] == 2
    reproduce = re.sub(r"<[^>]+>", "", (tmp_path / "first" / "reproduce" / "index.html").read_text())
    assert "Training processes of this run: 2." in reproduce and "--nproc-per-node=2" in reproduce
    second = build_site(tmp_path / "second", **env)
    assert second.returncode == 0, second.stderr[-4000:]
    assert "torchrun" not in second.stderr and "trained" not in second.stderr.split("where this build")[-1]
    assert (tmp_path / "second" / "static" / "metrics.json").read_text().count('"world_size": 2') == 1


FAILING = Path(__file__).parents[1] / "integration" / "failing_mod.py"  # copied into the project


def test_a_failing_rank_fails_the_build_with_its_message(tmp_path, build_site):
    (tmp_path / "failing_mod.py").write_text(FAILING.read_text())
    start = time.perf_counter()
    result = build_site(tmp_path / "site", **TWO, PRUNING_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(tmp_path),
                        PRUNING_MODEL="failing_mod:build", PRUNING_DATASET="failing_mod:data")
    elapsed = time.perf_counter() - start
    assert result.returncode != 0
    assert ("rank 1: invalid config: model='failing_mod:build' raised ValueError: rank one cannot build its model"
            in result.stderr), result.stderr[-4000:]
    assert "Traceback" not in result.stderr
    assert elapsed < 60, f"the failing job took {elapsed:.0f} s to end"  # a failure, never a hang
