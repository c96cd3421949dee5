"""Training on several processes: PyTorch's own engine, `torchrun` and
``DistributedDataParallel`` (NCCL on CUDA, Gloo on the CPU).

Every rank trains the same model on its shard of each global batch; DDP averages the
gradients, so every rank steps from identical gradients to identical weights, and the
in-loop prune, which follows each optimizer step on every rank, reads identical weights
and zeroes the same set (`torch.hardshrink` and the exact selection of the percentile
rule break no ties at random).
Rank 0 alone decides what the cache holds and writes it; the others follow its decisions.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import torch
import torch.distributed as dist
from torch import nn

from ..config import Config, ConfigError


@dataclass(frozen=True)
class World:
    """This process's place in the job: rank, number of ranks, rank on its machine."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> "World":
        """The world `torchrun` describes in the environment (one process without it)."""
        if "WORLD_SIZE" not in os.environ:
            return cls()
        return cls(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        """Rank 0: the one that reads and writes the cache and computes after training."""
        return self.rank == 0

    def check(self, config: Config) -> None:
        """The job `torchrun` started is the one the configuration describes (its world
        size is part of the cache key, so a later `mkdocs build` finds the entry)."""
        if self.size != config.world_size:
            raise ConfigError(
                f"invalid config: torchrun started {self.size} processes but nproc_per_node={config.nproc_per_node} "
                f"x nnodes={config.nnodes} = {config.world_size}; set them to match the torchrun command")

    def start(self, device: torch.device, timeout_s: int) -> None:
        """Join the process group: NCCL between GPUs, Gloo between CPU processes. A
        collective of the training that waits longer than ``timeout_s`` fails instead
        of hanging (after training no rank waits for another)."""
        if not self.distributed or dist.is_initialized():
            return
        if device.type not in ("cpu", "cuda"):
            raise ConfigError(f"invalid config: device={device.type!r} cannot train on several processes; "
                              "use cuda (NCCL) or cpu (Gloo)")
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=self.rank, world_size=self.size,
                                timeout=datetime.timedelta(seconds=timeout_s))

    def stop(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()

    def agree(self, value: Any) -> Any:
        """Rank 0's ``value``, on every rank (the others pass anything, e.g. None)."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def wrap(self, model: nn.Module, device: torch.device) -> nn.Module:
        """The model as DDP trains it; the caller keeps the bare module (its state has no
        ``module.`` prefix, and evaluating it needs no collective)."""
        if not self.distributed:
            return model
        ids = [device.index] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def shard(self, order: Iterable[torch.Tensor]) -> Iterator[torch.Tensor]:
        """Each global batch of indices cut into equal consecutive parts: this rank's."""
        for index in order:
            part = len(index) // self.size
            yield index[self.rank * part:(self.rank + 1) * part]

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """The element-wise mean over the ranks (equal shards: the global batch's mean)."""
        if not self.distributed:
            return values
        values = values.clone()
        dist.all_reduce(values)
        return values / self.size


SOLO = World()
