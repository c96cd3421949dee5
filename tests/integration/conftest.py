import pytest

from pruning_pipeline import api
from pruning_pipeline.config import make_config

TINY = {"profile": "quick", "seeds": 1, "steps": 60, "record_every": 20, "sweep_points": 30, "tau_post": 0.05}


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory):
    return make_config({**TINY, "cache_dir": str(tmp_path_factory.mktemp("cache"))})


@pytest.fixture(scope="session")
def tiny_results(tiny_config):
    return api.run(tiny_config, progress=False)
