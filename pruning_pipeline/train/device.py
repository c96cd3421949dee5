"""Choosing the device and pinning threads: done once, at the edge, then passed in."""

from __future__ import annotations

import os
import platform
import sys

import numpy as np
import torch

from ..config import Config, ConfigError


def available_devices() -> list[str]:
    """Every device torch can use here, CPU last."""
    found = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def resolve_device(requested: str) -> torch.device:
    """``auto`` takes CUDA, then MPS, then CPU; an absent explicit device is an error."""
    present = available_devices()
    if requested == "auto":
        return torch.device(present[0])
    wanted = "cuda:0" if requested == "cuda" else requested
    if wanted not in present:
        raise ConfigError(
            f"invalid config: device={requested!r}; devices present here: {', '.join(present)}"
        )
    return torch.device(wanted)


def prepare(config: Config, local_rank: int = 0) -> torch.device:
    """Resolve the device and pin threads and seeds for bitwise-repeatable runs. Each
    process of a torchrun job on CUDA takes the GPU of its rank on the machine."""
    device = resolve_device(config.device)
    if device.type == "cuda" and local_rank:
        device = resolve_device(f"cuda:{local_rank}")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    if device.type == "cuda":  # bitwise-repeatable kernels (cuBLAS needs its workspace pinned)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    return device


def environment(device: torch.device, threads: int) -> dict:
    """What ran the experiment: goes into every manifest."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or device.type
    return {
        "device": str(device),
        "device_name": name,
        "threads": threads,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
