"""Public entry points: run the cached lifecycle, load a finished run's stage weights.

A cache hit reads only JSON and numpy files, so this module imports torch lazily:
an unchanged configuration costs milliseconds, not a torch import.
"""

from __future__ import annotations

import itertools
import os
import platform
import shutil
import sys
import time
from pathlib import Path

from .config import Config, PipelineError, run_key, stable_hash
from .keys.code import source_digest, user_code_digest
from .keys.store import Cache
from .report import Report
from .results import Results
from .seeds import grid

RESULTS_KIND = "results"
SEEDS_KIND = "seeds"  # the results of every seed of a run together (`run` with seeds > 1)
# The results are keyed by the source of measure/ and all it imports (train/, ...),
# found by reading the imports: a folder's name is all that is written here.
RESULTS_SOURCE = "pruning_pipeline.measure"
WEIGHTS_DIR = "weights"


def debugging() -> bool:
    """``PRUNING_DEBUG=1`` asks for tracebacks, in the CLI and in a site build."""
    return os.environ.get("PRUNING_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def device_key(requested: str) -> str:
    """The device kind a run will use, guessed without importing torch (for the key).

    The manifest records the device that really ran; this only keeps entries from
    different accelerators apart when ``auto`` is used.
    """
    if requested != "auto":
        return requested
    if os.path.exists("/dev/nvidiactl") and os.environ.get("CUDA_VISIBLE_DEVICES", "x") != "":
        return "auto:cuda"
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "auto:mps"
    return "auto:cpu"


def run_id(config: Config) -> str:
    """Name of the results entry a config maps to."""
    return run_key(config, device_key(config.device), source_digest(RESULTS_SOURCE) + user_code_digest(config))


def seeds_id(config: Config) -> str:
    """Name of the entry that holds every seed of a run: the names of the seeds' own."""
    return stable_hash({"seeds": [run_id(config.for_seed(seed)) for seed in config.seed_values]})


def published_run_id(config: Config) -> str:
    """The run id a site built from ``config`` publishes: its one seed's, or the entry of
    all its seeds."""
    return seeds_id(config) if config.seeds > 1 else run_id(config)


def run(config: Config, progress: bool = True, report: Report | None = None) -> Results | None:
    """Results of the configured run: from the cache, or computed and then cached.

    With ``seeds`` above one, every seed's results (each its own cache entry, so adding a
    seed computes only that one) and, in ``metrics["seeds"]``, all of their metrics; the
    first seed's histograms and weights stand for the run in its figures.
    ``report`` receives the seconds of each phase and whether it came from the cache.
    With ``nproc_per_node`` (or ``nnodes``) above one, the training runs under
    `torchrun` in processes of their own, which write the cache entry read here. Inside
    such a process (one seed each), rank 0 returns the results and every other rank None.
    """
    report = Report() if report is None else report
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return _run_as_rank(config, progress, report)
    if config.seeds > 1:
        return _run_seeds(config, progress, report)
    return _run_seed(config, progress, report)


def run_seed(config: Config, seed: int, progress: bool = True, report: Report | None = None) -> Results:
    """One seed's own results (``figures --seed N``), trained as `run` would train it."""
    if seed not in config.seed_values:
        raise PipelineError(f"invalid seed: {seed}; this run's seeds are {config.seed} to "
                            f"{config.seed_values[-1]} (seed and seeds)")
    report = Report() if report is None else report
    return _run_seeds(config, progress, report, only=seed) if config.seeds > 1 else run(config, progress, report)


def _run_seeds(config: Config, progress: bool, report: Report, only: int | None = None) -> Results:
    """Every seed's results, from the cache or computed (the missing seeds' trainings
    first, together), then the entry that holds them all; with ``only``, that seed's."""
    start = time.perf_counter()
    cache = Cache(config.cache_dir)
    key = seeds_id(config)
    entry = cache.get(SEEDS_KIND, key) if only is None else None
    if entry is not None:
        report.add("results, every seed", time.perf_counter() - start, cached=True)
        return Results.load(entry)
    configs = [config.for_seed(seed) for seed in config.seed_values if only in (None, seed)]
    lives = {}
    if config.world_size == 1:
        from .measure.lifecycle import Lifecycle
        from .measure.together import train_together, tune_together

        lives = {c.seed: Lifecycle(c, cache, device_key(c.device), run_id(c), progress)
                 for c in configs if cache.get(RESULTS_KIND, run_id(c)) is None}
        train_together(list(lives.values()), report)
        tune_together(list(lives.values()), report)
        _train_jobs(list(lives.values()), report, progress)
    seeds = []
    for seed_config in configs:
        own = Report()
        seeds.append(_run_seed(seed_config, progress, own, lives.get(seed_config.seed)))
        report.phases.update({f"seed {seed_config.seed}: {name}": phase for name, phase in own.phases.items()})
    if only is not None:
        return seeds[0]
    return Results.load(cache.put(SEEDS_KIND, key, lambda directory: _seeds_into(seeds, key, directory)))


def _seeds_into(seeds: list[Results], key: str, directory: Path) -> None:
    """The first seed's results, named ``key``, with every seed's metrics in ``seeds``;
    its τ sweep (and the histograms at each τ) on the seeds' common grid (`seeds.grid`);
    and every seed's histogram of each compared stage on the first seed's bins."""
    from .figures.binning import COMPARED_STAGES
    from .measure.stages import counts_on

    first = seeds[0]
    own = first.metrics["sweep"]
    taus = grid.common_taus([r.metrics["sweep"]["taus"] for r in seeds])
    picked = grid.rows(own["taus"], taus)
    histograms = {name: counts[picked] if name.startswith("sweep/") else counts
                  for name, counts in first.histograms.items()}
    edges = {name: first.edges(name) for name in first.layer_keys}
    for stage in COMPARED_STAGES:
        for found, rows in counts_on([stage_weights(r, stage) for r in seeds], first.layers, edges).items():
            what, name = found.split("/", 1)  # counts/{layer}, outside/{layer}
            histograms[f"seed_{what}/{stage}/{name}"] = rows
    metrics = {**first.metrics, "manifest": {**first.metrics["manifest"], "config_hash": key},
               "sweep": grid.on_grid(own, taus),
               "seeds": {"seeds": [r.metrics["config"]["seed"] for r in seeds], "run_ids": [r.run_id for r in seeds],
                         "per_seed": [r.metrics for r in seeds]}}
    Results(metrics=metrics, histograms=histograms).save(directory)
    shutil.copytree(Path(first.entry_dir) / WEIGHTS_DIR, directory / WEIGHTS_DIR)


def _run_seed(config: Config, progress: bool, report: Report, life=None) -> Results:
    """One seed's results (the whole run when it has one seed); ``life``, where the
    caller made it, is that seed's `Lifecycle`."""
    start = time.perf_counter()
    cache = Cache(config.cache_dir)
    key = run_id(config)
    entry = cache.get(RESULTS_KIND, key)
    if entry is None and config.world_size > 1:
        from .launch import launch

        launch(config)
        entry = cache.get(RESULTS_KIND, key)
        if entry is None:
            raise PipelineError(f"the torchrun job ended without writing results entry {key} to {config.cache_dir}")
        report.add(f"torchrun, {config.world_size} processes", time.perf_counter() - start)
        return Results.load(entry)
    if entry is None:
        from .measure.lifecycle import Lifecycle

        if life is None:  # resolves the device and reads the data first: their errors leave nothing on disk
            life = Lifecycle(config, cache, device_key(config.device), key, progress)
            _train_jobs([life], report, progress)
        return Results.load(_compute_and_report(life, cache, key, report))
    results = Results.load(entry)
    report.add("results", time.perf_counter() - start, cached=True)
    return results


def _train_jobs(lives: list, report: Report, progress: bool) -> None:
    """Every training run of these seeds' `Lifecycle`s that trains on its own, as jobs
    (`pruning_pipeline.jobs`) on the configured executor, before any is measured."""
    from .jobs.execute import run_jobs
    from .jobs.plan import plan
    from .train.keyed import ALONE

    alone = [life for life in lives if life.trainer == ALONE]
    if alone:
        first = alone[0]
        made = run_jobs(plan([life.config for life in alone], first.device_key), first.config, first.cache, report,
                        progress)
        for life in alone:
            life.note_made(made)


def _run_as_rank(config: Config, progress: bool, report: Report) -> Results | None:
    """One process of a torchrun job: every seed of ``config`` in turn (the cluster
    recipe trains the whole run, so the build after it trains nothing; the build's own
    launch names one seed). Every rank trains, rank 0 alone reads and writes the cache
    (atomically, as always) and measures. The others are done when the training is:
    rank 0 needs nothing more from them, and a barrier would make them wait (and time
    out) through rank 0's analyses; torchrun waits for rank 0. Rank 0 returns the first
    seed's results (the run's, where it has one seed), every other rank None."""
    from .measure.lifecycle import Lifecycle, follow
    from .train.distributed import World

    world = World.from_env()
    world.check(config)
    cache = Cache(config.cache_dir)
    def life_of(seed: int) -> Lifecycle:  # made when its turn comes: one seed's data on the device at a time
        seed_config = config.for_seed(seed)
        return Lifecycle(seed_config, cache, device_key(config.device), run_id(seed_config), progress and world.main,
                         world)

    first = life_of(config.seed)
    world.start(first.device, config.dist_timeout)  # one process group for every seed
    found = []
    try:
        for life in itertools.chain([first], (life_of(seed) for seed in config.seed_values[1:])):
            if world.main:
                entry = cache.get(RESULTS_KIND, life.run_id)
                if not world.agree(entry is not None):
                    own = Report()
                    entry = _compute_and_report(life, cache, life.run_id, own)
                    report.phases.update({f"seed {life.config.seed}: {name}": phase
                                          for name, phase in own.phases.items()})
                found.append(Results.load(entry))
            elif not world.agree(None):
                follow(life)
    finally:
        world.stop()
    return found[0] if found else None


def _compute_and_report(life, cache: Cache, key: str, report: Report) -> Path:
    """Compute the results entry ``key`` into the cache; ``report`` gets each phase's
    seconds (a training run found in the cache is reported as such)."""
    entry = cache.put(RESULTS_KIND, key, lambda directory: _compute_into(life, key, directory))
    for name, seconds in {"data": life.timings["data"], **life.phases, **life.timings}.items():
        if name not in life.made:  # trained as jobs: the jobs' phase has their seconds
            report.add(name, seconds, cached=name in life.reused)
    return entry


def _compute_into(life, key: str, directory: Path) -> None:
    from safetensors.torch import save_file

    import torch

    from .measure.lifecycle import compute

    try:
        results, states = compute(life)
    except (MemoryError, torch.OutOfMemoryError) as error:  # host memory; CUDA or MPS memory
        raise PipelineError(
            f"out of memory on {life.device} ({str(error).splitlines()[0][:120]}); lower batch_size or "
            f"eval_batch_size, or set device: cpu; its results were not cached") from None
    assert results.run_id == key
    results.save(directory)
    (directory / WEIGHTS_DIR).mkdir()
    for stage, state in states.items():
        save_file(state, directory / WEIGHTS_DIR / f"{stage}.safetensors")


def stage_weights(results: Results, stage: str) -> dict:
    """The full state dict (torch tensors, CPU) of one stage of a finished run."""
    from safetensors.torch import load_file

    return load_file(Path(results.entry_dir) / WEIGHTS_DIR / f"{stage}.safetensors")


def used_entries(config: Config) -> set[tuple[str, str]]:
    """(kind, key) of every cache entry that ``config`` reads: its results, every job of
    its plan (its training runs and its methods compared at matched sparsity) and its
    figure render. ``clean`` keeps these and removes the rest."""
    from .figures.export import FIGURES_KIND, render_key
    from .jobs.plan import plan
    from .train.keyed import ALONE, BATCHED

    configs = [config.for_seed(seed) for seed in config.seed_values]
    entries = {(RESULTS_KIND, run_id(seed_config)) for seed_config in configs}
    for trainer in (ALONE, BATCHED):  # which of the two a seed trained in depends on the model
        entries |= {job.entry for job in plan(configs, device_key(config.device), trainer)}
    key = published_run_id(config)
    return entries | {(SEEDS_KIND, key), (FIGURES_KIND, render_key(key))}
