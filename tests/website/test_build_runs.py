"""Builds beside the session's site: a bad configuration and a failure after validation
each stop the build with one line; a rebuild with nothing changed trains nothing (a typo
in a placeholder: test_plugin)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.site


def test_bad_config_fails_with_the_one_line_message(tmp_path, build_site):
    result = build_site(tmp_path / "site", PRUNING_TAU_POST="-1")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "invalid config" in line]
    assert len(errors) == 1, result.stderr[-3000:]
    assert "tau_post=" in errors[0] and "allowed: a number >= 0" in errors[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "site" / "index.html").exists()


@pytest.mark.parametrize("env, message", [
    ({"PRUNING_DEVICE": "cuda"}, "devices present here: "),
    ({"PRUNING_DATASET": "mnist", "PRUNING_DATA_DIR": "/nonexistent-idx"}, "lacks train-images-idx3-ubyte.gz"),
])
def test_a_failure_after_validation_fails_the_build_with_one_line(tmp_path, build_site, env, message):
    import torch

    if "PRUNING_DEVICE" in env and torch.cuda.is_available():
        pytest.skip("CUDA is present here")
    cache = tmp_path / "cache"
    result = build_site(tmp_path / "site", PRUNING_CACHE_DIR=str(cache), **env)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if message in line]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert not list(cache.glob("*/*")) and not (tmp_path / "site" / "index.html").exists()


def test_rebuild_with_nothing_changed_trains_nothing(site, build_site, tmp_path):
    result = build_site(tmp_path / "again")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "it/s" not in result.stderr and "s/it" not in result.stderr, "the rebuild trained again"
    # the build says so in its closing table: the run and the figures came from the cache
    table = result.stderr.split("where this build's time went:")[1].splitlines()
    sources = {line.split()[0].rstrip(","): line.split()[-1] for line in table  # "results, every seed": results
               if line.strip() and line.split()[-1] in ("cache", "computed")}
    assert sources["results"] == sources["figures"] == "cache", table
    assert not any(name.startswith(("trained", "in_loop", "analysis")) for name in sources), table
    assert {"placeholders", "notebook", "pages"} <= set(sources), table  # the build's own phases, each timed
    rebuilt = json.loads((tmp_path / "again" / "static" / "metrics.json").read_text())["manifest"]["build"]
    assert [(p["phase"].split(",")[0], p["cached"]) for p in rebuilt] == [("results", True), ("figures", True)]
