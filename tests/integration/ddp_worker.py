"""One rank of the distributed tests, started by torchrun from ``test_distributed.py``.

Rank 0 trains both runs as the pipeline's rank 0 does (writing their directories);
every other rank follows as the pipeline's other ranks do. Each rank then saves the
weights it ended with under ``OUT/rank<r>/<run>.safetensors`` for the test to compare.
"""

from __future__ import annotations

import json
import sys
import tempfile
from concurrent.futures import Future
from pathlib import Path

from safetensors.torch import save_file

from pruning_pipeline.config import make_config
from pruning_pipeline.measure.stages import layer_edges
from pruning_pipeline.train import runs
from pruning_pipeline.train.device import prepare
from pruning_pipeline.train.distributed import SOLO, World
from pruning_pipeline.train.feed import load_data
from pruning_pipeline.train.model import subject_for


def setup(config, device):
    """(data, subject, initial weights, histogram edges) of a run, as every rank builds them."""
    data, subject = load_data(config, device), subject_for(config)
    init = runs.initial_state(config, subject)
    edges = Future()
    edges.set_result(layer_edges([init], subject.layers, config.hist_bins))
    return data, subject, init, edges


def train_kind(kind, config, device, prepared, world=SOLO):
    """The weights training run ``kind`` ends with: trained as the pipeline's rank 0 (or
    a lone process) trains it, into a directory of its own, or followed as another rank."""
    data, subject, init, edges = prepared
    if not world.main:
        return runs.follow_run(kind, init, subject, data, config, device, world)
    with tempfile.TemporaryDirectory() as directory:
        if kind == "trained":
            runs.plain_run_into(Path(directory), init, subject, data, config, device, False, world)
        else:
            runs.in_loop_run_into(Path(directory), init, subject, data, config, device, edges, False, world)
        return runs.load_run(Path(directory))[0]


def main(out: str, values: str) -> None:
    config = make_config(json.loads(values))
    world = World.from_env()
    world.check(config)
    device = prepare(config, world.local_rank)
    world.start(device, config.dist_timeout)
    prepared = setup(config, device)
    mine = Path(out) / f"rank{world.rank}"
    mine.mkdir(parents=True)
    for kind in ("trained", "in_loop"):
        save_file(train_kind(kind, config, device, prepared, world), mine / f"{kind}.safetensors")
    world.stop()


if __name__ == "__main__":
    main(*sys.argv[1:3])
