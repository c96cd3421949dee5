"""The training that compares pruning methods at one sparsity: fine-tuning a pruned
network with its mask held fixed (prune, then retrain: Han et al. 2015), and gradual
magnitude pruning inside a full training run on the cubic schedule of Zhu & Gupta (2017).
Each returns numbers or writes a run's directory; the lifecycle caches them."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from ..config import Config, PipelineError
from .counting import count_zeros
from .feed import Feed
from .model import Subject, prunable_weights
from .pruning import random_masks, smallest_masks
from .runs import cpu_state, model_from, write_run
from .training import evaluate, steps_for, train

ONE_SHOT_FILE = "one_shot.json"  # a target's one-shot prunes, as `one_shot` returns them
ONE_SHOT = ("global", "layer", "random")  # how a one-shot prune ranks: over all layers, per layer, at random
GRADUAL_START, GRADUAL_END = 0.1, 0.75  # shares of the run's steps where gmp_start / gmp_end are none


class FixedMask:
    """Holds pruned weights at exactly zero: ``apply_`` multiplies each weight by its
    keep-mask, and, as ``after_step``, does so after every optimizer step (AdamW's
    momentum and weight decay would move a pruned weight off zero otherwise)."""

    def __init__(self, weights: dict[str, torch.Tensor], keep: dict[str, torch.Tensor]) -> None:
        self.weights = weights
        self.keep = keep

    @torch.no_grad()
    def apply_(self) -> None:
        for name, weight in self.weights.items():
            weight.mul_(self.keep[name])

    def after_step(self, step: int) -> None:
        self.apply_()


def cubic_sparsity(step: int, target: float, start: int, end: int) -> float:
    """Zhu & Gupta's schedule from 0 to ``target``: none before ``start``, then
    ``target * (1 - (1 - (step - start) / (end - start)) ** 3)`` (fast at first, slow
    near the end, while the network recovers), ``target`` from ``end`` on."""
    if step <= start:
        return 0.0
    if step >= end:
        return target
    return target * (1.0 - (1.0 - (step - start) / (end - start)) ** 3)


def gradual_bounds(config: Config, total: int) -> tuple[int, int]:
    """(first prune step, step the target is reached) of a run of ``total`` steps."""
    start = round(GRADUAL_START * total) if config.gmp_start is None else config.gmp_start
    end = round(GRADUAL_END * total) if config.gmp_end is None else config.gmp_end
    if end > total or start >= end:  # only with epochs: make_config checks a run of steps
        key, value = ("gmp_end", end) if end > total else ("gmp_start", start)
        raise PipelineError(f"invalid config: {key}={value}; allowed: a step within the run's {total} steps, "
                            f"gmp_start before gmp_end")
    return start, end


class GradualPruner:
    """After every step: at the prune steps (``start``, then every ``every`` steps, and
    ``end``) the mask is remade from the current magnitudes, each layer at the
    schedule's sparsity (a weight already pruned is zero, so it stays pruned); between
    them the mask is held (`FixedMask`). As in Zhu & Gupta, a pruned weight never returns."""

    def __init__(self, weights: dict[str, torch.Tensor], target: float, start: int, end: int, every: int) -> None:
        self.mask = FixedMask(weights, {name: torch.ones_like(w, dtype=torch.bool) for name, w in weights.items()})
        self.target, self.start, self.end, self.every = target, start, end, every
        self.schedule: dict[str, list] = {"steps": [], "sparsity": []}

    def after_step(self, step: int) -> None:
        self.mask.apply_()  # first: a prune ranks every pruned weight at zero, so none comes back
        if self.start <= step <= self.end and ((step - self.start) % self.every == 0 or step == self.end):
            sparsity = cubic_sparsity(step, self.target, self.start, self.end)
            self.mask.keep = smallest_masks(self.mask.weights, sparsity, "layer")
            self.mask.apply_()
            self.schedule["steps"].append(step)
            self.schedule["sparsity"].append(sparsity)


def gradual_run_into(directory: Path, init: dict, subject: Subject, data: Feed, config: Config,
                     device: torch.device, target: float, progress: bool) -> None:
    """Train from ``init`` for the plain run's steps, pruning gradually to ``target``;
    write the weights and the curves (with the schedule as applied) into ``directory``."""
    model = model_from(init, subject, device)
    total = steps_for(config, data.n_train)
    start, end = gradual_bounds(config, total)
    pruner = GradualPruner(prunable_weights(model, subject.layers), target, start, end, config.gmp_every)
    began = time.perf_counter()
    curves = train(model, data, config, pruner.after_step, desc=f"gradual to {target:.0%}", progress=progress)
    curves.update(seconds=round(time.perf_counter() - began, 3), schedule=pruner.schedule)
    write_run(directory, cpu_state(model), curves)


FINETUNE_SHARE = 0.1  # of lr: Han et al. 2015 retrain a pruned network at a tenth of its rate


def finetuning(config: Config) -> Config:
    """The configuration a one-shot prune is fine-tuned with: ``finetune_steps`` steps
    of the plain run's batches at ``finetune_lr`` (none: a tenth of ``lr``, held: on a
    validation split a cosine decay of it recovered less, benchmarks/bench_finetune.py),
    one record at the end."""
    lr = config.lr * FINETUNE_SHARE if config.finetune_lr is None else config.finetune_lr
    return replace(config, steps=config.finetune_steps, epochs=None, record_every=config.finetune_steps, lr=lr)


def one_shot_prunes(trained: dict, subject: Subject, data: Feed, config: Config, device: torch.device,
                    target: float):
    """Each one-shot prune (`ONE_SHOT`) of the trained weights at ``target``, as
    (scope, pruned model, its `FixedMask`, its test accuracy as pruned)."""
    generator = torch.Generator().manual_seed(config.seed * 1_000_003 + round(target * 1e6))
    for scope in ONE_SHOT:
        model = model_from(trained, subject, device)
        weights = prunable_weights(model, subject.layers)
        keep = random_masks(weights, target, generator) if scope == "random" else smallest_masks(weights, target, scope)
        mask = FixedMask(weights, keep)
        mask.apply_()
        yield scope, model, mask, evaluate(model, data.test_batches(config.eval_batch_size))[0]


def one_shot(trained: dict, subject: Subject, data: Feed, config: Config, device: torch.device,
             target: float) -> dict[str, dict[str, float]]:
    """Each one-shot prune of the trained weights at ``target``: its test accuracy as
    pruned, and after `finetuning` with the mask held fixed; and the sparsity of the
    selected layers (the same before and after)."""
    out = {}
    for scope, model, mask, accuracy in one_shot_prunes(trained, subject, data, config, device, target):
        curves = train(model, data, finetuning(config), mask.after_step, desc=f"fine-tune {scope} {target:.0%}",
                       progress=False)
        out[scope] = one_shot_result(accuracy, curves, mask.weights)
    return out


def write_one_shot(directory: Path, prunes: dict[str, dict[str, float]]) -> None:
    """A target's one-shot prunes (`one_shot`'s numbers) into a cache entry's directory."""
    (directory / ONE_SHOT_FILE).write_text(json.dumps(prunes))


def one_shot_result(accuracy: float, curves: dict, weights: dict[str, torch.Tensor]) -> dict:
    """What a one-shot entry holds of one prune: accuracy as pruned and fine-tuned,
    sparsity, and each layer's sparsity and dead units (`layer_collapse`)."""
    return {"accuracy": accuracy, "finetuned_accuracy": curves["test_accuracy"][-1],
            "sparsity": selected_sparsity(weights), "layers": layer_collapse(weights)}


def layer_collapse(weights: dict[str, torch.Tensor]) -> dict[str, dict[str, float]]:
    """Per pruned layer: its sparsity and its dead units, the output units (rows of the
    weight, its first dimension) left without a single non-zero weight. A dead unit of
    the last layer is a class the model can no longer predict from its input: the layer
    collapse of Tanaka et al. 2020, in small."""
    out = {}
    for name, weight in weights.items():
        alive = weight.detach().reshape(weight.shape[0], -1).ne(0).any(dim=1)  # (units,)
        out[name] = {"sparsity": count_zeros(weight) / weight.numel(), "dead_units": int((~alive).sum()),
                     "units": int(weight.shape[0])}
    return out


def selected_sparsity(weights: dict[str, torch.Tensor]) -> float:
    """Share of exact zeros over all the given weights together."""
    return sum(count_zeros(w) for w in weights.values()) / sum(w.numel() for w in weights.values())
