"""The jobs a build trains, from the configuration alone: each training run (seed x
plain, in-loop, each gradual target) and each target's one-shot fine-tuning, named by
its cache key, with the entries it needs. No torch here: ``plan`` prints them before
anything trains."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..keys.store import Cache
from ..train.keyed import ALONE, GRADUAL_KIND, IN_LOOP, ONE_SHOT_KIND, TRAINED, method_keys, training_keys

# the order a worker takes ready jobs in: the plain runs free the others, whole runs before fine-tunings
KIND_ORDER = (TRAINED, IN_LOOP, GRADUAL_KIND, ONE_SHOT_KIND)


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
