"""What one job does, wherever it runs (this process, a worker process, a Dask
worker): train its run from the configuration and the files of the entry it needs,
and hand back its entry's files; the build writes them into its cache. Nothing here
touches the build's cache, so a worker needs no shared filesystem."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import Future
from pathlib import Path

import torch
from safetensors.torch import load as load_state

from ..config import Config, stable_hash
from ..imports import project_on_path
from ..measure.stages import layer_edges
from ..train import methods, runs
from ..train.device import prepare
from ..train.feed import Feed, load_data
from ..train.keyed import GRADUAL_KIND, IN_LOOP, ONE_SHOT_KIND, TRAINED
from ..train.model import Subject, build_model, subject_for
from .plan import Job

_LOADED: dict[str, tuple[Feed, Subject]] = {}  # this worker's data and model, kept for its next job of the seed


def run_job(job: Job, config: Config, needed: dict[str, bytes], projects: list[str]) -> tuple[dict[str, bytes], float]:
    """Train ``job`` of ``config`` (one seed's), from ``needed``, the files of the plain
    run's entry where it needs one; returns its entry's files and the seconds it took.
    Threads and seeds are pinned first (`prepare`): the same bits in any process."""
    for folder in projects:  # the user's model and data import as they do in the build
        project_on_path(folder)
    start = time.perf_counter()
    device = prepare(config)
    data, subject = _loaded(config, device)
    init = runs.initial_state(config, subject)
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
        else:
            raise ValueError(f"unknown job kind {job.kind!r}")
        files = {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}
    return files, round(time.perf_counter() - start, 3)


def _loaded(config: Config, device: torch.device) -> tuple[Feed, Subject]:
    """The seed's data and model on ``device``, loaded once per worker (a worker
    usually takes several jobs of one seed)."""
    key = stable_hash({**config.to_dict(), "device": str(device)})
    if key not in _LOADED:
        _LOADED.clear()  # one seed's data at a time
        _LOADED[key] = load_data(config, device), subject_for(config, build_model(config))
    return _LOADED[key]
