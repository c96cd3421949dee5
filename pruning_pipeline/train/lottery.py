"""Iterative magnitude pruning with rewinding: the lottery ticket of Frankle & Carbin
(2019). Round k prunes 20% of each pruned layer's surviving weights, the smallest after
round k - 1's training (the plain run's, for the first), the last pruned layer at half
that rate as they prune LeNet's output connections; the survivors are rewound to their
initial values and trained again with the mask held. Its control trains the same mask
from weights drawn afresh from the same initial distribution: what the mask is worth
without the values it was found with. Each round, ticket and control, is a cache entry
(and a job) of its own, made from the previous round's."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import save_file

from ..config import Config
from .feed import Feed
from .methods import FixedMask
from .model import Subject, prunable_weights, weight_key
from .pruning import all_but_smallest
from .runs import cpu_state, initial_state, model_from, write_run
from .training import train

LOTTERY_RATE = 0.2  # of the surviving weights a round (Frankle & Carbin's LeNet, and their Conv nets' dense layers)
MASK_FILE = "mask.safetensors"  # a round's keep-masks, by pruned layer
_CONTROL_SEEDS = 1_000_003  # a control's initial weights are seeded apart from every run's own seed


def rates(layers: tuple[str, ...]) -> dict[str, float]:
    """Each pruned layer's share of its survivors pruned a round: `LOTTERY_RATE`, the
    last (the output layer, where more than one is pruned) at half of it."""
    return {name: LOTTERY_RATE / 2 if len(layers) > 1 and name == layers[-1] else LOTTERY_RATE for name in layers}


def round_masks(previous: dict[str, torch.Tensor], kept: dict[str, torch.Tensor] | None, layers: tuple[str, ...],
                k: int) -> dict[str, torch.Tensor]:
    """The keep-masks of round ``k``: each layer keeps ``round(n (1 - rate)^k)`` of its
    ``n`` weights, those of largest magnitude in ``previous`` (round k - 1's trained
    weights) among those ``kept`` by round k - 1's masks (none: all), so the masks nest."""
    masks = {}
    for name, rate in rates(layers).items():
        weight = previous[weight_key(name, previous)].detach().cpu()
        score = weight.abs().flatten().float()
        if kept is not None:
            score = torch.where(kept[name].flatten(), score, torch.full_like(score, -1.0))  # pruned: first to go
        pruned = weight.numel() - round(weight.numel() * (1 - rate) ** k)
        masks[name] = all_but_smallest(score, pruned).view(weight.shape)
    return masks


def control_start(config: Config, subject: Subject, k: int) -> dict[str, torch.Tensor]:
    """Round ``k``'s control's initial weights: the model's own initialisation under a
    seed of its own (never a run's), so each round's control is a fresh draw."""
    return initial_state(replace(config, seed=_CONTROL_SEEDS * k + config.seed), subject)


def round_into(directory: Path, init: dict | None, previous: dict, kept: dict | None, subject: Subject, data: Feed,
               config: Config, device: torch.device, k: int, control: bool, progress: bool) -> None:
    """Train round ``k`` from ``init`` (the ticket, rewound), or for its ``control``
    from `control_start` (``init`` unused), with `round_masks` held after every step,
    for the plain run's steps and batches; write its weights, curves and masks into
    ``directory``."""
    masks = round_masks(previous, kept, subject.layers, k)
    model = model_from(control_start(config, subject, k) if control else init, subject, device)
    hold = FixedMask(prunable_weights(model, subject.layers), {name: m.to(device) for name, m in masks.items()})
    hold.apply_()
    began = time.perf_counter()
    curves = train(model, data, config, hold.after_step, desc=f"lottery round {k}", progress=progress)
    curves["seconds"] = round(time.perf_counter() - began, 3)
    write_run(directory, cpu_state(model), curves)
    save_file(masks, directory / MASK_FILE)
