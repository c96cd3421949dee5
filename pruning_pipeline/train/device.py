"""Choosing the device and pinning threads: done once, at the edge, then passed in."""

from __future__ import annotations

import ctypes
import ctypes.util
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
    keep_freed_memory()
    torch.manual_seed(config.seed)
    if device.type == "cuda":  # bitwise-repeatable kernels (cuBLAS needs its workspace pinned)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    return device


# glibc's mallopt parameters (malloc.h) and the size below which freed blocks stay with
# the process: far above any activation of a small model, far below the machine's memory.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEPT_BLOCK_BYTES = 256 << 20


def keep_freed_memory() -> bool:
    """Have glibc keep freed blocks for reuse instead of handing them back to the kernel.

    PyTorch's CPU allocator has no cache: every step allocates and frees the same
    activations and gradients. glibc returns a freed block of a few MiB to the kernel,
    so the next step page-faults it in again; for the reference CNN (2 MiB activations)
    that was a fifth of a CPU step. Changes no result. False where the C library is not
    glibc (macOS, Windows, musl), which is then left as it is.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, KEPT_BLOCK_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEPT_BLOCK_BYTES))


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


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
