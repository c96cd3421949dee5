"""Public entry points: run the cached lifecycle, load a finished run's stage weights.

A cache hit reads only JSON and numpy files, so this module imports torch lazily:
an unchanged configuration costs milliseconds, not a torch import.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

from .cache import Cache, source_digest
from .config import Config, PipelineError, run_key
from .imports import user_code_digest
from .report import Report
from .results import Results

RESULTS_KIND = "results"
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


def run(config: Config, progress: bool = True, report: Report | None = None) -> Results | None:
    """Results of the configured run: from the cache, or computed and then cached.

    ``report`` receives the seconds of each phase and whether it came from the cache.
    With ``nproc_per_node`` (or ``nnodes``) above one, the training runs under
    `torchrun` in processes of their own, which write the cache entry read here. Inside
    such a process, rank 0 returns the results and every other rank None.
    """
    report = Report() if report is None else report
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return _run_as_rank(config, progress, report)
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

        # resolves the device and reads the data first: their errors leave nothing on disk
        life = Lifecycle(config, cache, device_key(config.device), key, progress)
        return Results.load(_compute_and_report(life, cache, key, report))
    results = Results.load(entry)
    report.add("results", time.perf_counter() - start, cached=True)
    return results


def _run_as_rank(config: Config, progress: bool, report: Report) -> Results | None:
    """One process of a torchrun job: every rank trains, rank 0 alone reads and writes
    the cache (atomically, as always) and measures. The others are done when the
    training is: rank 0 needs nothing more from them, and a barrier would make them
    wait (and time out) through rank 0's analyses; torchrun waits for rank 0."""
    from .measure.lifecycle import Lifecycle, follow
    from .train.distributed import World

    world = World.from_env()
    world.check(config)
    cache = Cache(config.cache_dir)
    key = run_id(config)
    life = Lifecycle(config, cache, device_key(config.device), key, progress and world.main, world)
    world.start(life.device, config.dist_timeout)
    try:
        results = None
        if world.main:
            entry = cache.get(RESULTS_KIND, key)
            if not world.agree(entry is not None):
                entry = _compute_and_report(life, cache, key, report)
            results = Results.load(entry)
        elif not world.agree(None):
            follow(life)
        return results
    finally:
        world.stop()


def _compute_and_report(life, cache: Cache, key: str, report: Report) -> Path:
    """Compute the results entry ``key`` into the cache; ``report`` gets each phase's
    seconds (a training run found in the cache is reported as such)."""
    entry = cache.put(RESULTS_KIND, key, lambda directory: _compute_into(life, key, directory))
    for name, seconds in {"data": life.timings["data"], **life.phases, **life.timings}.items():
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
            f"eval_batch_size, or set device: cpu; nothing was cached") from None
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
    """(kind, key) of every cache entry that ``config`` reads: its results, its two
    training runs and its figure render. ``clean`` keeps these and removes the rest."""
    from .figures.export import FIGURES_KIND, render_key
    from .measure.lifecycle import training_keys

    key = run_id(config)
    training = training_keys(config, device_key(config.device))
    return {(RESULTS_KIND, key), (FIGURES_KIND, render_key(key)), *training.items()}

