"""What one job does, wherever it runs (this process, a worker process, a Dask
worker): train its run from the configuration and the files of the entry it needs,
and hand back its entry's files; the build writes them into its cache. Nothing here
touches the build's cache, so a worker needs no shared filesystem for it (full MNIST
is read from ``data_dir``, or downloaded, on each worker's machine)."""

from __future__ import annotations

import socket
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path

import torch
from safetensors.torch import load as load_state

from ..config import Config, PipelineError, stable_hash
from ..imports import project_on_path
from ..keys.store import files_of
from ..measure.stages import layer_edges
from ..train import lottery, methods, runs
from ..train.device import prepare
from ..train.feed import Feed, load_data
from ..train.keyed import CONTROL_KIND, GRADUAL_KIND, IN_LOOP, LOTTERY_KIND, ONE_SHOT_KIND, TRAINED
from ..train.model import Subject, build_model, subject_for
from .plan import Job

KEPT_SEEDS = 8  # the reference's five seeds' data fit in a few MB each
_LOADED: dict[str, tuple[Feed, Subject]] = {}  # this worker's data and models, by seed


def run_job(job: Job, config: Config, needed: dict[str, bytes], projects: list[str],
            device_kind: str) -> tuple[dict[str, bytes], float]:
    """Train ``job`` of ``config`` (one seed's), from ``needed``, the files of the entry
    it needs (the plain run's, or the previous lottery round's), if any; returns its
    entry's files and the seconds it took.
    Threads and seeds are pinned first (`prepare`): the same bits in any process. A
    worker whose device is not the kind the build keys the job by (``device_kind``)
    refuses it: its numbers would be filed under another device's key."""
    from ..api import device_key

    if device_key(config.device) != device_kind:
        raise PipelineError(f"this worker ({socket.gethostname()}) trains device={config.device!r} as "
                            f"{device_key(config.device)}, the build as {device_kind}; name the device (e.g. "
                            "device: cuda) or run the workers on machines like the build's")
    for folder in projects:  # the user's model and data import as they do in the build
        project_on_path(folder)
    start = time.perf_counter()
    device = prepare(config)
    data, subject = _loaded(config, device)
    # a fine-tuning starts trained, a lottery control from weights of its own
    init = runs.initial_state(config, subject) if job.kind not in (ONE_SHOT_KIND, CONTROL_KIND) else None
    trained = load_state(needed[runs.STATE_FILE]) if job.needs else None
    with tempfile.TemporaryDirectory(prefix="pruning-job-") as scratch:
        directory = Path(scratch)
        if job.kind == TRAINED:
            runs.plain_run_into(directory, init, subject, data, config, device, progress=False)
        elif job.kind == IN_LOOP:
            edges: Future = Future()
            edges.set_result(layer_edges([init, trained], subject.layers, config.hist_bins))
            runs.in_loop_run_into(directory, init, subject, data, config, device, edges, progress=False)
        elif job.kind == GRADUAL_KIND:
            methods.gradual_run_into(directory, init, subject, data, config, device, job.target, progress=False)
        elif job.kind == ONE_SHOT_KIND:
            methods.write_one_shot(directory, methods.one_shot(trained, subject, data, config, device, job.target))
        elif job.kind in (LOTTERY_KIND, CONTROL_KIND):
            kept = load_state(needed[lottery.MASK_FILE]) if lottery.MASK_FILE in needed else None
            lottery.round_into(directory, init, trained, kept, subject, data, config, device, job.target,
                               job.kind == CONTROL_KIND, progress=False)
        else:
            raise ValueError(f"unknown job kind {job.kind!r}")
        files = files_of(directory)
    return files, round(time.perf_counter() - start, 3)


def _loaded(config: Config, device: torch.device) -> tuple[Feed, Subject]:
    """The seed's data and model on ``device``, kept for the worker's next jobs (the
    last `KEPT_SEEDS` seeds': a worker takes the jobs of the seeds in turn)."""
    key = stable_hash({**config.to_dict(), "device": str(device)})
    if key not in _LOADED:
        while len(_LOADED) >= KEPT_SEEDS:
            del _LOADED[next(iter(_LOADED))]  # the oldest
        _LOADED[key] = load_data(config, device), subject_for(config, build_model(config))
    return _LOADED[key]
