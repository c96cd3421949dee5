"""The jobs a build trains, from the configuration alone: each training run (seed x
plain, in-loop, each gradual target) and each target's one-shot fine-tuning, named by
its cache key, with the entries it needs. No torch here: ``plan`` prints them before
anything trains."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..config import Config, run_key
from ..keys.code import source_digest, user_code_digest
from ..keys.store import Cache
from ..train.keyed import (ALONE, BATCHED, GRADUAL_KIND, GRADUAL_OPTIONS, IN_LOOP, ONE_SHOT_KIND, ONE_SHOT_OPTIONS,
                           TRAIN_OPTIONS, TRAINED, in_loop_options)

# The training runs are keyed by the source of train/ and what it imports, so editing
# a measurement, a figure or a page never retrains.
TRAINING_SOURCE = "pruning_pipeline.train"
# the order a worker takes ready jobs in: the plain runs free the others, whole runs before fine-tunings
KIND_ORDER = (TRAINED, IN_LOOP, GRADUAL_KIND, ONE_SHOT_KIND)


def _training_code(config: Config, trainer: str) -> str:
    """What the training runs' keys hold of the code: the source of train/ with what it
    imports and the user's code; for a seed trained with the others, that it was."""
    return source_digest(TRAINING_SOURCE) + user_code_digest(config) + (f":{trainer}" if trainer == BATCHED else "")


def training_keys(config: Config, device_key: str, trainer: str = ALONE) -> dict[str, str]:
    """Cache key of each training run (``trained``, ``in_loop``): the options it depends
    on, the device kind and the code (`_training_code`)."""
    code = _training_code(config, trainer)
    return {TRAINED: run_key(config, device_key, code, TRAIN_OPTIONS),
            IN_LOOP: run_key(config, device_key, code, in_loop_options(config))}


def method_keys(config: Config, device_key: str, trainer: str = ALONE) -> dict[tuple[str, float], str]:
    """Cache key of each entry of the methods compared at one sparsity: (kind, target)
    for the one-shot prunes with their fine-tuning at every target, and the gradual runs
    at theirs; each holds the options its kind depends on and that one target."""
    code = _training_code(config, trainer)
    keys = {(ONE_SHOT_KIND, target): run_key(replace(config, target_sparsities=(target,)), device_key, code,
                                             ONE_SHOT_OPTIONS)
            for target in config.target_sparsities}
    keys.update({(GRADUAL_KIND, target): run_key(replace(config, gmp_sparsities=(target,)), device_key, code,
                                                 GRADUAL_OPTIONS)
                 for target in config.gmp_sparsities})
    return keys


@dataclass(frozen=True)
class Job:
    """One training run of one seed (``target``: the sparsity of a gradual run or of a
    fine-tuning), its output the cache entry (``kind``, ``key``); ``needs``: the entry
    of the plain run it starts from or bins on, if any."""

    kind: str
    seed: int
    key: str
    target: float | None = None
    needs: tuple[str, str] | None = None

    @property
    def entry(self) -> tuple[str, str]:
        return self.kind, self.key

    @property
    def name(self) -> str:
        what = {TRAINED: "plain run", IN_LOOP: "in-loop run", GRADUAL_KIND: "gradual run to {:.0%}",
                ONE_SHOT_KIND: "one-shot prunes at {:.0%}, fine-tuned"}[self.kind]
        return f"seed {self.seed}: {what.format(self.target)}"


def seed_jobs(config: Config, device_key: str, trainer: str = ALONE) -> list[Job]:
    """The jobs of ``config``'s one seed, in `KIND_ORDER`."""
    keys, methods = training_keys(config, device_key, trainer), method_keys(config, device_key, trainer)
    trained = (TRAINED, keys[TRAINED])
    jobs = [Job(TRAINED, config.seed, keys[TRAINED]), Job(IN_LOOP, config.seed, keys[IN_LOOP], needs=trained)]
    jobs += [Job(GRADUAL_KIND, config.seed, methods[(GRADUAL_KIND, t)], t) for t in config.gmp_sparsities]
    jobs += [Job(ONE_SHOT_KIND, config.seed, methods[(ONE_SHOT_KIND, t)], t, trained)
             for t in config.target_sparsities]
    return jobs


def plan(configs: list[Config], device_key: str, trainer: str = ALONE) -> list[Job]:
    """Every job of these seeds' configurations, the first kinds of `KIND_ORDER` first
    (``trainer``: how they train, which their keys hold)."""
    jobs = [job for config in configs for job in seed_jobs(config, device_key, trainer)]
    return sorted(jobs, key=lambda job: KIND_ORDER.index(job.kind))


def missing(jobs: list[Job], cache: Cache) -> list[Job]:
    """The jobs whose entry is not in the cache intact (a bad entry is set aside)."""
    return [job for job in jobs if cache.get(*job.entry) is None]
