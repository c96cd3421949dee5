"""Speed ratios of the training step, measured in one process (not a test).

    python benchmarks/bench_training.py [--steps 900] [--block 10] [--threads 2]

Every variant runs the same number of real optimizer steps on mnist-5k from the same
initial weights; the variants take turns of a few steps each and the median over turns
of each one's seconds per step is compared, so machine noise hits all of them alike.
Two variants train two runs at once with one intra-op thread each, as a build trains
its two runs: their seconds per step are a turn's over both runs' steps. The process keeps
freed memory as a pipeline run does (`keep_freed_memory`), for every variant: the ratios
compare the loops, not the allocator. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from pruning_pipeline.config import make_config
from pruning_pipeline.train.data import load_dataset
from pruning_pipeline.train.device import keep_freed_memory
from pruning_pipeline.train.feed import Tensors, load_data
from pruning_pipeline.train.model import Net, prunable_weights, seen_pixels, subject_for
from pruning_pipeline.train.pruning import InLoopPruner
from pruning_pipeline.train.runs import model_from
from pruning_pipeline.train.packing import AdamW
from reference_model import ReferenceNet

PERCENTILE = "percentile in loop (selection in a band)"
SIDE_BY_SIDE = "unpruned, two runs side by side, 1 thread each (as a build trains its two runs)"
NAIVE_SIDE_BY_SIDE = "naive reference-style, two runs side by side, 1 thread each"
DEFAULT = make_config({})
REFERENCE = subject_for(DEFAULT)


def our_loop(data: Tensors, rule: str | None, percentile_fast: bool = True,
             prune_seconds: list[float] | None = None) -> Callable[[int], None]:
    """One step of the pipeline's loop (device-resident channels-last data, index
    batches, channels-last convolutions, packed parameters, fused AdamW in one call), as
    `training.train` runs it; each prune's own seconds go into ``prune_seconds``."""
    torch.manual_seed(0)
    model = model_from(Net().state_dict(), REFERENCE, torch.device("cpu")).train()
    optimizer = AdamW(model, 5e-3, whole=True)
    pruner = InLoopPruner(prunable_weights(model, REFERENCE.layers), rule, 0.001, 20) if rule else None
    order = torch.randperm(len(data.train_y))

    def step(i: int) -> None:
        index = order[(i * 32) % 3968:(i * 32) % 3968 + 32]
        loss = F.cross_entropy(model(data.train_x[index]), data.train_y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.update()
        if pruner is not None:
            if not percentile_fast:
                pruner.threshold = None  # forces a selection over all weights every step
            start = time.perf_counter()
            pruner.prune_()
            if prune_seconds is not None:
                prune_seconds.append(time.perf_counter() - start)

    return step


class PerSampleDataset(torch.utils.data.Dataset):
    """What ``torchvision.datasets.MNIST`` with ``Compose([ToTensor(), Normalize((0.5,),
    (0.5,))])`` does per image, step for step (PIL image, ``to_tensor``, ``normalize``);
    torchvision itself cannot be installed beside torch 2.13."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images, self.labels = torch.from_numpy(images), torch.from_numpy(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        picture = Image.fromarray(self.images[i].numpy(), mode="L")  # MNIST.__getitem__
        image = torch.from_numpy(np.array(picture, np.uint8, copy=True))  # to_tensor
        image = image.view(picture.size[1], picture.size[0], len(picture.getbands()))
        image = image.permute((2, 0, 1)).contiguous().to(dtype=torch.float32).div(255)
        mean = torch.as_tensor((0.5,), dtype=image.dtype)  # normalize
        std = torch.as_tensor((0.5,), dtype=image.dtype)
        return image.sub_(mean[:, None, None]).div_(std[:, None, None]), int(self.labels[i])


def naive_loop(images: np.ndarray, labels: np.ndarray, network: type[Net] = ReferenceNet) -> Callable[[int], None]:
    """One step of a reference-style loop: the reference's network as it writes it,
    DataLoader, per-sample transforms, ``.to(device)`` per batch, and the in-loop prune by
    boolean indexing of ``.data``."""
    torch.manual_seed(0)
    model = network()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    loader = torch.utils.data.DataLoader(PerSampleDataset(images, labels), batch_size=32, shuffle=True)
    batches = iter(loader)

    def step(i: int) -> None:
        nonlocal batches
        x, y = next(batches, (None, None))
        if x is None:  # a new epoch
            batches = iter(loader)
            x, y = next(batches)
        x, y = x.to("cpu"), y.to("cpu")
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        running_loss = loss.item()  # the per-step logging such scripts do  # noqa: F841
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.data[module.weight.data.abs() <= 0.001] = 0

    return step


Turn = Callable[[int, int], int]  # (first step, steps) -> optimizer steps it made


def alone(step: Callable[[int], None], threads: int) -> Turn:
    """A turn of one loop on ``threads`` intra-op threads."""
    def turn(first: int, count: int) -> int:
        torch.set_num_threads(threads)
        for i in range(first, first + count):
            step(i)
        return count
    return turn


def side_by_side(step_a: Callable[[int], None], step_b: Callable[[int], None], worker: ThreadPoolExecutor) -> Turn:
    """A turn of two loops at once, one intra-op thread each, as a build trains its two
    runs (`lifecycle.train_both`): ``step_a`` on ``worker``'s thread, ``step_b`` here."""
    def turn(first: int, count: int) -> int:
        torch.set_num_threads(1)
        other = worker.submit(alone(step_a, 1), first, count)
        alone(step_b, 1)(first, count)
        return other.result() + count
    return turn


def interleaved_medians(turns: dict[str, Turn], steps: int, block: int) -> dict[str, float]:
    """Median seconds per optimizer step of each variant, the variants taking turns of
    ``block`` steps (per loop) each; a turn's seconds over the steps it made.

    Turns that short put every variant through the same moments of machine noise
    (another VM's load, clock changes), so drift cannot favour whichever ran first.
    """
    times = {name: [] for name in turns}
    for first in range(0, steps, block):
        for name, turn in turns.items():
            start = time.perf_counter()
            made = turn(first, min(block, steps - first))
            times[name].append((time.perf_counter() - start) / made)
    return {name: statistics.median(values[1:]) for name, values in times.items()}  # first turn: warm-up


def model_flops_per_step(batch: int = 32) -> float:
    """Multiply-adds x 2 of one forward pass, x 3 for forward + backward, over the pixels
    `Net` convolves (`seen_pixels`: 20x20 conv1 and 8x8 conv2 positions, where the
    reference computes 22x22 and 9x9 of which pooling drops the rest)."""
    conv1_side = seen_pixels(28) - 6
    conv2_side = conv1_side // 2 - 2
    conv1 = conv1_side**2 * 32 * 1 * 7 * 7
    conv2 = conv2_side**2 * 48 * 32 * 3 * 3
    dense = 768 * 256 + 256 * 10
    return 3 * 2 * batch * (conv1 + conv2 + dense)


def matmul_rate(size: int = 1024, repeats: int = 20) -> float:
    """Best measured float32 GEMM throughput in FLOP/s: the compute ceiling here."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=900)
    parser.add_argument("--block", type=int, default=10, help="steps per turn of each loop")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    keep_freed_memory()
    dataset = load_dataset(DEFAULT)
    data = load_data(DEFAULT, torch.device("cpu"))

    worker, prunes = ThreadPoolExecutor(1), []
    naive = lambda: naive_loop(dataset.train_images, dataset.train_labels)  # noqa: E731
    turns = {
        "unpruned": alone(our_loop(data, None), args.threads),
        "threshold in loop (hardshrink, in place)": alone(our_loop(data, "threshold"), args.threads),
        PERCENTILE: alone(our_loop(data, "percentile", prune_seconds=prunes), args.threads),
        "percentile in loop (selection over all weights)": alone(our_loop(data, "percentile", False), args.threads),
        "naive reference-style loop": alone(naive(), args.threads),
        "the same with the package's layer order (pool, then LeakyReLU)":
            alone(naive_loop(dataset.train_images, dataset.train_labels, Net), args.threads),
        SIDE_BY_SIDE: side_by_side(our_loop(data, None), our_loop(data, None), worker),
        "percentile in loop, two runs side by side, 1 thread each":
            side_by_side(our_loop(data, "percentile"), our_loop(data, "percentile"), worker),
        NAIVE_SIDE_BY_SIDE: side_by_side(naive(), naive(), worker),
    }
    per_step = interleaved_medians(turns, args.steps, args.block)
    worker.shutdown()
    base = per_step["unpruned"]
    torch.set_num_threads(args.threads)
    flops, rate = model_flops_per_step(), matmul_rate()

    print(f"{platform.processor() or platform.machine()}, {args.threads} threads, torch {torch.__version__}, "
          f"{args.steps} steps a loop, in turns of {args.block}\n")
    print("| variant | median step (ms) | ratio to unpruned |\n|---|---:|---:|")
    for name, seconds in per_step.items():
        print(f"| {name} | {seconds * 1e3:.2f} | {seconds / base:.3f} |")
    reference = per_step["naive reference-style loop"]
    print(f"\nours / naive reference-style: {base / reference:.3f} one run alone; "
          f"{per_step[SIDE_BY_SIDE] / reference:.3f} two runs side by side, as a build trains them, "
          f"against it alone; {per_step[SIDE_BY_SIDE] / per_step[NAIVE_SIDE_BY_SIDE]:.3f} against it side by side")
    prunes = prunes[args.block:]  # the first turn warms up, as in `interleaved_medians`
    prune = statistics.mean(prunes)
    print(f"the percentile prune itself: {prune * 1e6:.0f} µs a step on average "
          f"({statistics.median(prunes) * 1e6:.0f} µs median) = {1 + prune / base:.3f} of an unpruned step")
    print(f"percentile / unpruned, two runs side by side: "
          f"{per_step['percentile in loop, two runs side by side, 1 thread each'] / per_step[SIDE_BY_SIDE]:.3f}")
    print(f"compute floor: {flops / 1e9:.3f} GFLOP per step at {rate / 1e9:.1f} GFLOP/s = "
          f"{flops / rate * 1e3:.2f} ms; unpruned step / floor = {base / (flops / rate):.2f}")


if __name__ == "__main__":
    main()
