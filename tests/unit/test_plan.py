"""The plan of jobs, from the configuration alone: one job per training run and per
target's fine-tuning, named by the cache key its entry has, each needing the plain run
it starts from; and the executor's options, validated like every option."""

from dataclasses import replace

import pytest

from pruning_pipeline.api import run_id
from pruning_pipeline.config import ConfigError, make_config
from pruning_pipeline.jobs.plan import KIND_ORDER, plan
from pruning_pipeline.report import Report
from pruning_pipeline.train.keyed import GRADUAL_KIND, IN_LOOP, ONE_SHOT_KIND, TRAINED, method_keys, training_keys


def _configs(values: dict) -> list:
    config = make_config(values)
    return [config.for_seed(seed) for seed in config.seed_values]


def test_every_run_and_fine_tuning_is_one_job_keyed_as_its_entry():
    configs = _configs({"seeds": 3, "target_sparsities": [0.5, 0.9, 0.99], "gmp_sparsities": [0.9, 0.99]})
    jobs = plan(configs, "cpu")
    assert len(jobs) == 3 * (2 + 2 + 3)
    assert len({job.entry for job in jobs}) == len(jobs)
    for config in configs:
        mine = {job.entry for job in jobs if job.seed == config.seed}
        expected = set(training_keys(config, "cpu").items())
        expected |= {(kind, key) for (kind, _), key in method_keys(config, "cpu").items()}
        assert mine == expected


def test_a_job_needs_its_own_seeds_plain_run_and_the_plain_runs_come_first():
    jobs = plan(_configs({"seeds": 2}), "cpu")
    trained = {job.seed: job.entry for job in jobs if job.kind == TRAINED}
    for job in jobs:
        assert job.needs == (trained[job.seed] if job.kind in (IN_LOOP, ONE_SHOT_KIND) else None)
    assert [KIND_ORDER.index(job.kind) for job in jobs] == sorted(KIND_ORDER.index(job.kind) for job in jobs)
    assert {job.name for job in jobs if job.kind == GRADUAL_KIND} == {"seed 0: gradual run to 95%",
                                                                       "seed 1: gradual run to 95%"}


def test_what_runs_the_jobs_is_not_in_any_key():
    config = make_config({"seeds": 1})
    elsewhere = replace(config, executor="dask", workers=7, scheduler="tcp://head:8786")
    assert plan([elsewhere], "cpu") == plan([config], "cpu")
    assert run_id(elsewhere) == run_id(config)  # nor in the results' key


@pytest.mark.parametrize("values, message", [
    ({"executor": "pool"}, "invalid config: executor='pool'; allowed: one of auto, serial, dask"),
    ({"workers": 0}, "invalid config: workers=0; allowed: an integer >= 1, or none"),
    ({"executor": "dask", "scheduler": "head:8786"},
     "invalid config: scheduler='head:8786'; allowed: none, or a Dask scheduler address such as tcp://host:8786"),
    ({"scheduler": "tcp://head:8786"},
     "invalid config: scheduler='tcp://head:8786'; allowed: none unless executor is dask (executor='auto')"),
])
def test_executor_options_are_one_line_errors(values, message):
    with pytest.raises(ConfigError) as error:
        make_config(values)
    assert str(error.value) == message


def test_the_report_counts_jobs_run_and_reused_by_kind():
    report = Report()
    report.add_job(TRAINED, reused=True)
    report.add_job(TRAINED, seconds=2.5)
    report.add_job(TRAINED, seconds=1.25)
    assert report.jobs[TRAINED] == {"run": 2, "reused": 1, "seconds": 3.75}
    report.add("training jobs: 2 on 2 worker processes x 1 thread", 2.6)
    assert report.table().splitlines()[-1].split() == [TRAINED, "2", "1", "3.75"]
