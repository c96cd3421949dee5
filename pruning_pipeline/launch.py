"""Starting the training processes of a run with ``nproc_per_node`` above one: `torchrun`
(``python -m torch.distributed.run``) in a subprocess with the same configuration; the
caller then reads the cache entry rank 0 wrote. A failing rank ends the job (torchrun
stops the others), and its one-line message becomes this run's error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .config import Config, PipelineError
from .imports import project_paths

RANK_ERROR = re.compile(r"^error: (rank \d+: .*)$", re.M)
RAISED = re.compile(r"^(?:\[rank\d+\]:\s*)?((?:[\w.]+\.)?\w*(?:Error|Exception)\b.*)$", re.M)
# the first failure in torchrun's closing summary ("Root Cause (first observed failure)")
ROOT_CAUSE = re.compile(r"Root Cause.*?rank\s*:\s*(?P<rank>\d+).*?exitcode\s*:\s*(?P<code>-?\d+)"
                        r".*?traceback\s*:\s*(?P<how>[^\n]*)", re.S)
# what a rank says when it lost a peer that failed first: never the cause
PEER_LOST = ("Connection closed by peer", "Connection reset by peer", "another rank failed")


def torchrun_command(config: Config, config_file: str, launcher: tuple[str, ...] | None = None) -> list[str]:
    """The command that trains ``config`` on this machine's ``nproc_per_node`` processes."""
    launcher = launcher or (sys.executable, "-m", "torch.distributed.run")
    return [*launcher, "--standalone", f"--nproc-per-node={config.nproc_per_node}",
            "-m", "pruning_pipeline", "run", "--quiet", "--config", config_file]


def cluster_command(config: Config, config_file: str = "mkdocs.yml") -> str:
    """What to run on every machine of a cluster (HOST:PORT: the first machine's)."""
    return (f"torchrun --nnodes {config.nnodes} --nproc-per-node {config.nproc_per_node} "
            f"--rdzv-backend c10d --rdzv-endpoint HOST:PORT -m pruning_pipeline run --config {config_file}")


def launch(config: Config) -> None:
    """Train ``config`` under torchrun here; raise `PipelineError` with the failing
    rank's message when the job fails."""
    if config.nnodes > 1:
        raise PipelineError(
            f"nnodes={config.nnodes}: a build cannot start processes on other machines; run "
            f"`{cluster_command(config)}` on the cluster with cache_dir {config.cache_dir!r} shared, "
            "then build again: the build reads the cached run")
    with tempfile.TemporaryDirectory(prefix="pruning-torchrun-") as scratch:
        config_file = Path(scratch) / "config.json"
        config_file.write_text(json.dumps({**config.to_dict(), "seeds": 1}))  # this seed alone: the build asked for it
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRUNING_") or k == "PRUNING_DEBUG"}
        env["PYTHONPATH"] = os.pathsep.join([*project_paths(), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["OMP_NUM_THREADS"] = str(config.threads)  # what each rank uses (torchrun would warn and pick 1)
        done = subprocess.run(torchrun_command(config, str(config_file)), cwd=os.getcwd(), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise PipelineError(failure(done.stderr, config.nproc_per_node, done.returncode))


def failure(stderr: str, processes: int, returncode: int) -> str:
    """The one line that says why a torchrun job failed: the first rank's own message
    (ranks that only lost a peer come after it), else the first exception line."""
    messages = RANK_ERROR.findall(stderr)
    causes = [m for m in messages if not any(lost in m for lost in PEER_LOST)]
    if causes or messages:
        return (causes or messages)[0]
    # a rank's own exception (torchrun may prefix its lines "[rank1]:"), not torchrun's
    # ChildFailedError, which only says that a child failed
    raised = [line for line in RAISED.findall(stderr) if "ChildFailedError" not in line]
    root = ROOT_CAUSE.search(stderr)
    if raised:
        reason = raised[0].strip()
    elif root:  # killed by a signal, or gone without a traceback: torchrun's own summary
        reason = f"rank {root['rank']} ended with exit code {root['code']} ({root['how'].strip()})"
    else:
        reason = f"exit status {returncode}"
    return f"the torchrun job with {processes} processes failed: {reason[:300]}"
