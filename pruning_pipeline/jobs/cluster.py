"""``executor: dask``: the jobs on a dask.distributed cluster, through Dask's own
`concurrent.futures` executor. The scheduler at ``scheduler`` (or
``DASK_SCHEDULER_ADDRESS``), else a `LocalCluster` of this machine's worker count,
listening on localhost only. Security (TLS) is Dask's own configuration."""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack, contextmanager
from typing import Iterator

from ..config import Config, PipelineError

CONNECT_TIMEOUT = "10s"
WORKERS_TIMEOUT = 120  # seconds a cluster may take to bring its first worker up (a batch queue)


@contextmanager
def dask_workers(config: Config) -> Iterator:
    """`execute.Workers` on the cluster; on the way out (Ctrl-C included) this build's
    jobs are cancelled and the `LocalCluster`, if it made one, is closed."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise PipelineError('executor=dask needs dask.distributed: pip install "pruning-pipeline[dask]"') from None
    from .execute import Workers, local_workers

    address = config.scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    with ExitStack() as stack:
        if address is None:
            count, gpus = local_workers(config)
            count = 1 if gpus else count  # one GPU per worker needs dask-cuda's cluster: give its scheduler
            cluster = stack.enter_context(LocalCluster(
                n_workers=count, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                silence_logs=logging.ERROR, env={"OMP_NUM_THREADS": str(config.threads)}))
            client = stack.enter_context(Client(cluster))
            name = f"a Dask LocalCluster of {count} worker process{'es' * (count > 1)}"
        else:
            try:
                client = stack.enter_context(Client(address, timeout=CONNECT_TIMEOUT))
            except (OSError, TimeoutError) as error:
                raise PipelineError(f"cannot reach the Dask scheduler at {address} ({type(error).__name__}: "
                                    f"{str(error).splitlines()[0] if str(error) else 'no answer'}); start it "
                                    "(dask scheduler), fix scheduler / DASK_SCHEDULER_ADDRESS, or set "
                                    "executor: auto") from None
            name = f"the Dask cluster at {address}"
            try:
                client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
            except TimeoutError:
                raise PipelineError(f"the Dask scheduler at {address} has no worker after {WORKERS_TIMEOUT} s; start "
                                    f"some (dask worker {address} --nthreads 1)") from None
        threads = client.nthreads()
        crowded = sorted(worker for worker, count in threads.items() if count != 1)
        if crowded:  # two jobs in one process would share its random state and thread settings
            raise PipelineError(f"Dask workers {', '.join(crowded[:3])} run {threads[crowded[0]]} threads; each job "
                                "needs a process of its own: start workers with --nthreads 1 (and --nworkers for "
                                "more of them)")
        slots = len(threads)  # one job per worker process at a time
        executor = client.get_executor(pure=False)
        try:
            yield Workers(executor, slots, f"{name} ({slots} job{'s' * (slots > 1)} at once)")
        except BaseException:
            executor.shutdown(wait=False)  # cancels this build's jobs on the cluster
            raise
        executor.shutdown(wait=True)
