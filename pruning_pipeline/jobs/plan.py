"""The jobs a build trains, from the configuration alone: each training run (seed x
plain, in-loop, each gradual target) and each target's one-shot fine-tuning, named by
its cache key, with the entries it needs. No torch here: ``plan`` prints them before
anything trains."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..keys.store import Cache
from ..train.keyed import (ALONE, CONTROL_KIND, GRADUAL_KIND, IN_LOOP, LOTTERY_KIND, ONE_SHOT_KIND, TRAINED,
                           method_keys, training_keys)

# the order a worker takes ready jobs in: the plain runs free the others, then the lottery
# tickets (a chain of rounds: the longest wait), whole runs before fine-tunings
KIND_ORDER = (TRAINED, LOTTERY_KIND, IN_LOOP, GRADUAL_KIND, CONTROL_KIND, ONE_SHOT_KIND)


@dataclass(frozen=True)
class Job:
    """One training run of one seed (``target``: the sparsity of a gradual run or of a
    fine-tuning, the round of a lottery ticket or control), its output the cache entry
    (``kind``, ``key``); ``needs``: the entry it starts from or bins on, if any (the
    plain run's, or the previous lottery round's)."""

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
                ONE_SHOT_KIND: "one-shot prunes at {:.0%}, fine-tuned", LOTTERY_KIND: "lottery ticket, round {}",
                CONTROL_KIND: "lottery control (re-initialised), round {}"}[self.kind]
        return f"seed {self.seed}: {what.format(self.target)}"


def seed_jobs(config: Config, device_key: str, trainer: str = ALONE) -> list[Job]:
    """The jobs of ``config``'s one seed, in `KIND_ORDER`."""
    keys, methods = training_keys(config, device_key, trainer), method_keys(config, device_key, trainer)
    trained = (TRAINED, keys[TRAINED])
    jobs = [Job(TRAINED, config.seed, keys[TRAINED]), Job(IN_LOOP, config.seed, keys[IN_LOOP], needs=trained)]
    jobs += [Job(GRADUAL_KIND, config.seed, methods[(GRADUAL_KIND, t)], t) for t in config.gmp_sparsities]
    jobs += [Job(ONE_SHOT_KIND, config.seed, methods[(ONE_SHOT_KIND, t)], t, trained)
             for t in config.target_sparsities]
    previous = trained  # round k, ticket and control, prunes what round k - 1's ticket trained
    for k in range(1, config.lottery_rounds + 1):
        jobs += [Job(kind, config.seed, methods[(kind, k)], k, previous) for kind in (LOTTERY_KIND, CONTROL_KIND)]
        previous = (LOTTERY_KIND, methods[(LOTTERY_KIND, k)])
    return jobs


def plan(configs: list[Config], device_key: str, trainer: str = ALONE) -> list[Job]:
    """Every job of these seeds' configurations, the first kinds of `KIND_ORDER` first
    (``trainer``: how they train, which their keys hold)."""
    jobs = [job for config in configs for job in seed_jobs(config, device_key, trainer)]
    return sorted(jobs, key=lambda job: KIND_ORDER.index(job.kind))


def missing(jobs: list[Job], cache: Cache) -> list[Job]:
    """The jobs whose entry is not in the cache intact (a bad entry is set aside)."""
    return [job for job in jobs if cache.get(*job.entry) is None]
