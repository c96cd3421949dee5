"""Running the jobs a build misses: on worker processes here (``executor: auto``), in
this process (``serial``) or on a Dask cluster (``dask``), through one
`concurrent.futures` interface (the standard library's process pool, or Dask's own
executor: no scheduler of ours). A job is submitted once the entry it needs is in the
cache; each finished job's files are written into the cache at once, atomically, so a
failure or Ctrl-C keeps every finished job and leaves nothing half-written."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from tqdm.auto import tqdm

from ..config import Config, PipelineError
from ..api import device_key
from ..imports import project_paths
from ..keys.store import Cache, files_of
from ..report import Report
from .plan import Job, missing


@dataclass(frozen=True)
class Workers:
    """An executor and how many jobs it runs at once, described for the report;
    ``heard`` reads which worker started which job, ``dead`` says, after a worker
    died, the entry (kind, key) of the job it ran and how it ended."""

    pool: Executor
    slots: int
    name: str
    heard: Callable[[], None] = lambda: None
    dead: Callable[[], tuple[tuple[str, str], str] | None] = lambda: None


def run_jobs(jobs: list[Job], config: Config, cache: Cache, report: Report, progress: bool) -> set[tuple[str, str]]:
    """Train every job of ``jobs`` (each of its seed of ``config``) whose entry is
    missing, on ``config.executor``; returns the entries made. The report gets the wall
    seconds and, per kind of job, the jobs run and reused with their summed seconds."""
    todo = missing(jobs, cache)
    for job in jobs:
        report.add_job(job.kind, reused=job not in todo)
    if not todo:
        return set()
    start = time.perf_counter()
    made: set[tuple[str, str]] = set()
    named = {job.entry: job for job in todo}  # a lottery round's ticket and control share a key
    with _workers(config, len(todo)) as workers, tqdm(
            total=len(jobs), initial=len(jobs) - len(todo), unit="job", desc="training jobs",
            disable=not progress, mininterval=0.5) as bar:
        pending, running = list(todo), {}
        while pending or running:
            workers.heard()
            waiting = {job.entry for job in pending} | {job.entry for job in running.values()}
            for job in [job for job in pending if job.needs not in waiting][:workers.slots - len(running)]:
                pending.remove(job)
                running[_submit(workers, job, config, cache)] = job
            if not running:
                raise PipelineError(f"no job can start: {', '.join(job.name for job in pending)} need entries no "
                                    "job makes")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            failed = []
            for future in finished:  # every success is cached before a failure ends the build
                job = running.pop(future)
                if future.cancelled() or future.exception() is not None:
                    failed.append((future, job))
                    continue
                files, seconds = future.result()
                cache.put(job.kind, job.key, lambda directory, files=files: _write(directory, files))
                made.add(job.entry)
                report.add_job(job.kind, seconds=seconds)
                bar.update()
            if failed:
                _fail(*failed[0], workers, named)
    report.add(f"training jobs: {len(todo)} on {workers.name}", time.perf_counter() - start)
    return made


def _submit(workers: Workers, job: Job, config: Config, cache: Cache) -> Future:
    """The job on its way, with the files of the entry it needs; a pool that broke
    since the last job (a worker died) gives a future that holds that failure."""
    try:
        return workers.pool.submit(tracked, job, config.for_seed(job.seed), _files(cache, job.needs), project_paths(),
                                   device_key(config.device))
    except BrokenProcessPool as error:
        future: Future = Future()
        future.set_exception(error)
        return future


_STARTED: multiprocessing.SimpleQueue | None = None  # in a worker process of auto: where it says which job it starts


def tracked(job: Job, *args):
    """`work.run_job` (imported only here: it imports torch), said first to the build
    where a worker process that dies must be named."""
    from .work import run_job

    if _STARTED is not None:
        _STARTED.put((os.getpid(), job.entry))
    return run_job(job, *args)


def _files(cache: Cache, entry: tuple[str, str] | None) -> dict[str, bytes]:
    """The files of the entry a job needs, sent with it (no shared filesystem needed)."""
    if entry is None:
        return {}
    directory = cache.get(*entry)
    if directory is None:
        raise PipelineError(f"cache entry {entry[0]}/{entry[1]} vanished from {cache.root} during the build")
    return files_of(directory)


def _write(directory, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (directory / name).write_bytes(data)


def _fail(future: Future, job: Job, workers: Workers, named: dict[tuple[str, str], Job]) -> None:
    """Raise one line naming the seed, the job and the cause of ``job``'s failure."""
    if future.cancelled():
        raise PipelineError(f"{job.name}: cancelled on the cluster before it finished; the jobs that finished are "
                            "cached")
    error = future.exception()
    if isinstance(error, BrokenProcessPool) or type(error).__name__ == "KilledWorker":
        entry, how = workers.dead() or (job.entry, "ended")
        raise PipelineError(f"{named.get(entry, job).name}: its worker process {how} (kill -9, the out-of-memory "
                            "killer, a crash); the jobs that finished are cached, the next build runs the "
                            "rest") from None
    first = str(error).splitlines()[0] if str(error) else ""
    cause = first if isinstance(error, PipelineError) else f"{type(error).__name__}: {first}"
    if isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError":  # host, CUDA or MPS memory
        cause = (f"out of memory ({first[:120]}); lower batch_size or eval_batch_size, or workers, or set "
                 "device: cpu")
    raise PipelineError(f"{job.name}: {cause}") from error


def local_workers(config: Config) -> tuple[int, list[str]]:
    """How many worker processes ``auto`` starts here, and the GPU each takes (none on a
    CPU): ``workers`` where set; else one per GPU on CUDA, else as many as the usable
    cores hold runs of ``threads`` threads (never more, so no OpenMP thread spins on a
    core another needs)."""
    import torch

    from ..train.device import resolve_device, usable_cores

    device = resolve_device(config.device)
    gpus = []
    if device.type == "cuda" and ":" not in config.device:  # the GPUs this process sees, as it names them
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
        count = torch.cuda.device_count()
        gpus = [gpu.strip() for gpu in visible.split(",")][:count] if visible else [str(i) for i in range(count)]
    count = config.workers or len(gpus) or (1 if device.type != "cpu" else max(1, usable_cores() // config.threads))
    return count, [gpus[i % len(gpus)] for i in range(count)] if gpus else []


def _pin(threads: int, gpus, started) -> None:
    """A new worker process: its threads, its GPU (before torch starts CUDA), and where
    it says which job it starts."""
    global _STARTED
    from tqdm.std import tqdm as bars

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle: it stops the workers
    # tqdm's default lock is a multiprocessing semaphore, which a worker stopped with
    # SIGKILL (a failed build stops the rest so) would leave for the resource tracker to
    # warn about; a worker's bars are never shown, a thread lock will do
    bars.set_lock(threading.RLock())
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    if gpus is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpus.get()
    _STARTED = started


def _tracking(pool: ProcessPoolExecutor, started) -> tuple[Callable[[], None],
                                                          Callable[[], tuple[tuple[str, str], str] | None]]:
    """`Workers.heard` and `Workers.dead` of a local pool: which job each worker process
    started last (read as the build goes, so the pipe never fills), and the one that died
    on its own (the pool stops the others with SIGTERM once one dies)."""
    last: dict[int, tuple[str, str]] = {}

    def heard() -> None:
        try:
            while not started.empty():
                pid, entry = started.get()
                last[pid] = entry
        except (OSError, ValueError):  # the queue is closed
            pass

    def dead() -> tuple[tuple[str, str], str] | None:
        heard()
        processes = dict(getattr(pool, "_processes", None) or {})
        deadline = time.monotonic() + 2  # the pool notices a death a moment before the kernel says how
        while time.monotonic() < deadline:
            for pid, process in processes.items():
                code = process.exitcode
                if code not in (None, 0, -signal.SIGTERM) and pid in last:
                    return last[pid], (f"was killed by {signal.Signals(-code).name}" if code < 0
                                       else f"exited with code {code}")
            time.sleep(0.05)
        return None

    return heard, dead


@contextmanager
def _workers(config: Config, jobs: int) -> Iterator[Workers]:
    """The executor ``config.executor`` names; on the way out (Ctrl-C included), every
    worker process it started is stopped."""
    if config.executor == "serial":
        yield Workers(InProcess(), 1, "this process")
        return
    if config.executor == "dask":
        from .cluster import dask_workers

        with dask_workers(config) as workers:
            yield workers
        return
    count, gpus = local_workers(config)
    count = min(count, jobs)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no state of the build's torch
    assigned = None  # each worker takes one GPU from it
    if gpus:
        assigned = context.Queue()
        for gpu in gpus[:count]:
            assigned.put(gpu)
    started = context.SimpleQueue()  # written at once, no feeder thread: a worker killed next has said it
    pool = ProcessPoolExecutor(count, mp_context=context, initializer=_pin,
                               initargs=(config.threads, assigned, started))
    try:
        yield Workers(pool, count, f"{count} worker process{'es' * (count > 1)}"
                      + (f" on GPUs {', '.join(gpus[:count])}" if gpus else f" x {config.threads} thread"
                         + "s" * (config.threads > 1)), *_tracking(pool, started))
    except BaseException:  # a failed job or Ctrl-C: the running jobs' results are no longer wanted
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        for each in (started, assigned):
            if each is not None:
                each.close()
    pool.shutdown(wait=True)


class InProcess(Executor):
    """``executor: serial``: each job runs when submitted, in this process."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future
