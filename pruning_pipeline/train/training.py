"""One training run and evaluation. Returns numbers; writes nothing."""

from __future__ import annotations

from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..config import Config, PipelineError
from .distributed import SOLO, World
from .feed import Batch, Feed, batch_order
from .packing import AdamW


class TrainingError(PipelineError, RuntimeError):
    """Training cannot go on (a loss that is no longer finite); the message names the step."""


def steps_for(config: Config, n_train: int) -> int:
    """Optimizer steps of a run: ``epochs`` full passes when set, else ``steps``."""
    if config.epochs is None:
        return config.steps
    return config.epochs * -(-n_train // config.batch_size)


@torch.no_grad()
def evaluate(forward: Callable[[torch.Tensor], torch.Tensor], batches: Iterable[Batch]) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) over a whole split given as batches."""
    correct, loss, count = 0, 0.0, 0
    for x, target in batches:
        logits = forward(x)
        loss += float(F.cross_entropy(logits, target, reduction="sum"))
        correct += int((logits.argmax(1) == target).sum())
        count += len(target)
    return correct / count, loss / count


def train(
    model: nn.Module,
    data: Feed,
    config: Config,
    after_step: Callable[[int], None] | None = None,
    desc: str = "train",
    progress: bool = True,
    position: int = 0,
    world: World = SOLO,
) -> dict:
    """AdamW on shuffled mini-batches for ``steps_for(config)`` steps, in place.

    ``after_step(step)`` runs after every optimizer step (the in-loop pruner). Every
    ``record_every`` steps the mean training loss of the window and the test accuracy
    and loss are recorded; the curves are returned. The global random state (dropout and
    the like in a user's model) is seeded from ``config.seed`` first.

    In a ``world`` of several processes, each trains through DDP on its share of every
    global batch (the same batches, in the same order, as one process would see); the
    recorded training loss is the mean over all ranks, and rank 0 alone evaluates.
    """
    total = steps_for(config, data.n_train)
    torch.manual_seed(config.seed + 2)
    device = next(model.parameters()).device
    net = world.wrap(model, device)
    optimizer = AdamW(model, config.lr, whole=config.reference)  # the reference uses every parameter every step
    curves = {"steps": [], "train_loss": [], "test_loss": [], "test_accuracy": []}
    window = []
    batches = data.train_batches(world.shard(batch_order(data.n_train, config.batch_size, total, config.seed + 1)))
    model.train()
    for step, (x, y) in zip(tqdm(range(1, total + 1), desc=desc, disable=not progress or not world.main,
                                 leave=False, mininterval=0.5, position=position), batches):
        loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.update()
        if after_step is not None:
            after_step(step)
        window.append(loss.detach())
        if step % config.record_every == 0 or step == total:
            losses = world.mean(torch.stack(window))  # (steps since the last record,): one sync per record
            check_finite(losses, step - len(window) + 1, desc, config)
            accuracy, test_loss = float("nan"), float("nan")
            if world.main:
                model.eval()
                accuracy, test_loss = evaluate(model, data.test_batches(config.eval_batch_size))
                model.train()
            curves["steps"].append(step)
            curves["train_loss"].append(float(losses.mean()))
            curves["test_loss"].append(test_loss)
            curves["test_accuracy"].append(accuracy)
            window = []
    model.eval()
    return curves


def check_finite(losses: torch.Tensor, first_step: int, desc: str, config: Config) -> None:
    """Stop at a non-finite loss, naming the first step that produced one.

    Checked once per record (not per step: on an accelerator every check is a sync),
    so training stops at most ``record_every`` steps after it.
    """
    bad = torch.nonzero(~torch.isfinite(losses))
    if bad.numel():
        step = first_step + int(bad[0])
        raise TrainingError(
            f"training run '{desc}': the loss became {float(losses[bad[0]])} at step {step}; "
            f"lower lr (now {config.lr:g}) or check the data; this run was not cached")

