"""One training run and evaluation. Returns numbers; writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..config import Config, PipelineError
from .data import Dataset, normalise
from .model import Net


class TrainingError(PipelineError, RuntimeError):
    """Training cannot go on (a loss that is no longer finite); the message names the step."""


@dataclass(frozen=True)
class Tensors:
    """A dataset moved to the device once: normalised images and labels."""

    train_x: torch.Tensor  # (N, 1, 28, 28) float32
    train_y: torch.Tensor  # (N,) int64
    test_x: torch.Tensor
    test_y: torch.Tensor

    @classmethod
    def from_dataset(cls, data: Dataset, device: torch.device) -> "Tensors":
        put = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)  # noqa: E731
        images = lambda a: put(normalise(a)).contiguous(memory_format=torch.channels_last)  # noqa: E731
        return cls(images(data.train_images), put(data.train_labels), images(data.test_images), put(data.test_labels))


def adamw(model: Net, lr: float) -> torch.optim.AdamW:
    """AdamW with its fused kernel where the device has one (CPU since torch 2.4, CUDA):
    one pass over all parameters instead of a dozen small ops per tensor."""
    try:
        return torch.optim.AdamW(model.parameters(), lr=lr, fused=True)
    except RuntimeError:  # no fused AdamW for this device or torch version
        return torch.optim.AdamW(model.parameters(), lr=lr)


def steps_for(config: Config, n_train: int) -> int:
    """Optimizer steps of a run: ``epochs`` full passes when set, else ``steps``."""
    if config.epochs is None:
        return config.steps
    return config.epochs * -(-n_train // config.batch_size)


@torch.no_grad()
def evaluate(forward: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor,
             batch_size: int) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) over the whole split, in large batches."""
    correct, loss = 0, 0.0
    for start in range(0, len(y), batch_size):
        logits = forward(x[start:start + batch_size])
        target = y[start:start + batch_size]
        loss += float(F.cross_entropy(logits, target, reduction="sum"))
        correct += int((logits.argmax(1) == target).sum())
    return correct / len(y), loss / len(y)


def train(
    model: Net,
    data: Tensors,
    config: Config,
    after_step: Callable[[int], None] | None = None,
    desc: str = "train",
    progress: bool = True,
    position: int = 0,
) -> dict:
    """AdamW on shuffled mini-batches for ``steps_for(config)`` steps, in place.

    ``after_step(step)`` runs after every optimizer step (the in-loop pruner). Every
    ``record_every`` steps the mean training loss of the window and the test accuracy
    and loss are recorded; the curves are returned.
    """
    n = len(data.train_y)
    total = steps_for(config, n)
    generator = torch.Generator(device="cpu").manual_seed(config.seed + 1)
    optimizer = adamw(model, config.lr)
    curves = {"steps": [], "train_loss": [], "test_loss": [], "test_accuracy": []}
    order, cursor, window = torch.randperm(n, generator=generator), 0, []
    model.train()
    for step in tqdm(range(1, total + 1), desc=desc, disable=not progress, leave=False, mininterval=0.5,
                     position=position):
        if cursor + config.batch_size > n:  # drop the ragged last batch, reshuffle
            order, cursor = torch.randperm(n, generator=generator), 0
        index = order[cursor:cursor + config.batch_size].to(data.train_x.device)
        cursor += config.batch_size
        loss = F.cross_entropy(model(data.train_x[index]), data.train_y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if after_step is not None:
            after_step(step)
        window.append(loss.detach())
        if step % config.record_every == 0 or step == total:
            model.eval()
            accuracy, test_loss = evaluate(model, data.test_x, data.test_y, config.eval_batch_size)
            model.train()
            curves["steps"].append(step)
            losses = torch.stack(window)  # (steps since the last record,): one sync per record
            _check_finite(losses, step - len(window) + 1, desc, config)
            curves["train_loss"].append(float(losses.mean()))
            curves["test_loss"].append(test_loss)
            curves["test_accuracy"].append(accuracy)
            window = []
    model.eval()
    return curves


def _check_finite(losses: torch.Tensor, first_step: int, desc: str, config: Config) -> None:
    """Stop at a non-finite loss, naming the first step that produced one.

    Checked once per record (not per step: on an accelerator every check is a sync),
    so training stops at most ``record_every`` steps after it.
    """
    bad = torch.nonzero(~torch.isfinite(losses))
    if bad.numel():
        step = first_step + int(bad[0])
        raise TrainingError(
            f"training run '{desc}': the loss became {float(losses[bad[0]])} at step {step}; "
            f"lower lr (now {config.lr:g}) or check the data; nothing was cached")

