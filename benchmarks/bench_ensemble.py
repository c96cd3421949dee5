"""Seeds trained as one batched ensemble (issue 19) against one model, on the reference
network: what batching M members into one step costs here (not a test; ratios of step
times measured in the same process, the single model timed before and after).

    python benchmarks/bench_ensemble.py [--members 5] [--threads 1] [--steps 60]

Two ways to batch the members, each with its own weights and its own batch:
- ``vmap``: ``torch.func.stack_module_state`` + ``functional_call`` + ``vmap`` over the
  package's `Net`, one AdamW over the stacked parameters (what issue 19 names);
- ``grouped``: the same network written out by hand for stacked weights, the members as
  groups of one grouped convolution (channels-last) and batched matrix products for
  the Linear layers.
The single model is the package's `Net` in channels-last memory with torch's AdamW.
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from pruning_pipeline.train.model import LEAKY_SLOPE, Net, seen_pixels

BATCH, CLASSES = 32, 10


def seconds_per_step(step, steps: int, warmup: int = 10) -> float:
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def optimizer_step(optimizer: torch.optim.Optimizer, loss):
    """One training step: ``loss()``'s gradients, then the optimizer's update."""
    def step():
        value = loss()
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    return step


def single_step():
    model = Net().to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), 5e-3)
    x = torch.randn(BATCH, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    y = torch.randint(CLASSES, (BATCH,))

    return optimizer_step(optimizer, lambda: F.cross_entropy(model(x), y))


def vmap_step(members: int):
    models = [Net() for _ in range(members)]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    optimizer = torch.optim.AdamW(list(params.values()), 5e-3)
    x, y = torch.randn(members, BATCH, 1, 28, 28), torch.randint(CLASSES, (members, BATCH))
    losses = vmap(lambda p, b, xm, ym: F.cross_entropy(functional_call(base, (p, b), (xm,)), ym))

    return optimizer_step(optimizer, lambda: losses(params, buffers, x, y).sum())


def grouped_step(members: int):
    models = [Net() for _ in range(members)]
    stacked = {name: torch.stack([dict(m.named_parameters())[name].detach() for m in models]).requires_grad_()
               for name, _ in models[0].named_parameters()}
    optimizer = torch.optim.AdamW(list(stacked.values()), 5e-3)
    x = torch.randn(BATCH, members, 28, 28).contiguous(memory_format=torch.channels_last)  # member = channel
    y = torch.randint(CLASSES, (members, BATCH))
    p, size = stacked, seen_pixels(28)

    def logits() -> torch.Tensor:  # (members, BATCH, CLASSES)
        h = F.conv2d(x[..., :size, :size], p["conv1.weight"].flatten(0, 1), p["conv1.bias"].flatten(), groups=members)
        h = F.leaky_relu(F.max_pool2d(h, 2), LEAKY_SLOPE)
        h = F.conv2d(h, p["conv2.weight"].flatten(0, 1), p["conv2.bias"].flatten(), groups=members)
        h = F.leaky_relu(F.max_pool2d(h, 2), LEAKY_SLOPE)  # (BATCH, members * 48, 4, 4)
        h = h.reshape(BATCH, members, -1).transpose(0, 1)  # (members, BATCH, 768)
        h = F.leaky_relu(torch.baddbmm(p["ffnn1.bias"][:, None], h, p["ffnn1.weight"].transpose(1, 2)), LEAKY_SLOPE)
        h = F.layer_norm(h, h.shape[-1:]) * p["norm1.weight"][:, None] + p["norm1.bias"][:, None]
        return torch.baddbmm(p["cls_head.bias"][:, None], h, p["cls_head.weight"].transpose(1, 2))

    return optimizer_step(optimizer,
                          lambda: F.cross_entropy(logits().flatten(0, 1), y.flatten(), reduction="sum") / BATCH)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    one = single_step()
    before = seconds_per_step(one, args.steps)
    timed = {name: seconds_per_step(make(args.members), args.steps)
             for name, make in (("vmap", vmap_step), ("grouped", grouped_step))}
    single = min(before, seconds_per_step(one, args.steps))
    print(f"{args.threads} thread(s), {args.members} members: one model {single * 1e3:.2f} ms a step")
    for name, seconds in timed.items():
        print(f"  {name:8s} {seconds * 1e3:7.2f} ms a step = {seconds / single:.2f}x one model "
              f"(target for issue 19: <= 2x)")


if __name__ == "__main__":
    main()
