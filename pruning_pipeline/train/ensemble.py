"""Several training runs as one batched ensemble: the seeds of a run, and for each seed
its plain run, its in-loop run and its gradual runs (`methods.GradualPruner`), trained
in one step; or, once they are trained, the fine-tuning of every one-shot prune.

The members' parameters are stacked (`torch.func.stack_module_state`), the network
runs on all of them at once under `torch.func.vmap` over `functional_call`, and one
AdamW steps the stacked parameters. AdamW is elementwise, so that is each member's own
AdamW; each member sees its own seed's batches, and the in-loop, gradual and
fine-tuned members are pruned after every step through views of their own slice
(`InLoopPruner` without packing, `GradualPruner` on its schedule, `FixedMask`).
A member's numbers are those of the same maths as a run trained alone, up to float
noise (vmap runs the convolutions grouped); its cache key says how it was trained.

A model vmap cannot take (one that draws random numbers, such as dropout, whose draws
could not follow each seed, or any operation vmap has no rule for) is trained one
member after another instead (`problem` says why). Buffers are stacked like the
parameters, so BatchNorm's running statistics stay each member's own.
"""

from __future__ import annotations

import copy
import time
from concurrent.futures import Future
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap
from tqdm.auto import tqdm

from ..config import Config
from .feed import Feed, batch_order
from .methods import FixedMask, GradualPruner, gradual_bounds
from .model import Subject, weight_key
from .packing import FUSED_DEVICES
from .pruning import InLoopPruner
from .runs import DynamicsRecorder
from .training import check_finite, evaluate, steps_for


@dataclass
class Member:
    """One training run of the ensemble: ``kind`` is ``trained`` (no pruning),
    ``in_loop``, ``gradual`` or ``finetuned``; ``edges`` (in-loop only) the histogram
    edges its records are binned on, which may come when the same seed's plain member
    has finished; ``target`` (gradual only) the sparsity its schedule ends at; ``keep``
    (fine-tuned only) the masks its pruned ``init`` is held to."""

    kind: str
    config: Config
    init: dict[str, torch.Tensor]
    data: Feed
    edges: Future | None = None
    target: float | None = None
    keep: dict[str, torch.Tensor] | None = None


@dataclass
class Trained:
    """What a member ends with: its CPU state dict, its curves (a gradual member's with
    its schedule as applied) and, in-loop, its records."""

    state: dict[str, torch.Tensor]
    curves: dict
    recorder: DynamicsRecorder | None


def _stacked_forward(model: torch.nn.Module):
    """forward(params, buffers, x) over stacked members, x of shape (members, batch, ...)."""
    base = copy.deepcopy(model).to("meta")

    def one(params, buffers, x):
        return functional_call(base, (params, buffers), (x,))

    return base, vmap(one, randomness="error")


def problem(subject: Subject, data: Feed, device: torch.device) -> str | None:
    """Why this model cannot train in a batched ensemble (one line), or None: one
    training step of two members on two examples is tried."""
    models = [subject.build().to(device) for _ in range(2)]
    params, buffers = stack_module_state(models)
    base, forward = _stacked_forward(models[0])
    base.train()
    x, y = next(iter(data.train_batches([torch.arange(2)])))
    try:
        logits = forward(params, buffers, torch.stack([x, x]))
        F.cross_entropy(logits.flatten(0, 1), torch.cat([y, y])).backward()
    except Exception as error:  # whatever vmap refuses: the reason is logged, the runs go on alone
        return f"vmap cannot take this model ({type(error).__name__}: {str(error).strip().splitlines()[0][:160]})"
    return None


def train_ensemble(members: list[Member], subject: Subject, device: torch.device, progress: bool) -> list[Trained]:
    """Train every member together for the same number of steps; see the module."""
    config = members[0].config
    total = steps_for(config, members[0].data.n_train)
    if any(steps_for(m.config, m.data.n_train) != total for m in members):
        raise ValueError("the members of an ensemble must train for the same number of steps")
    models = []
    for member in members:
        model = subject.build()
        model.load_state_dict(member.init)
        models.append(model.to(device))
    names = list(models[0].state_dict())
    params, buffers = stack_module_state(models)
    base, forward = _stacked_forward(models[0])
    fused = device.type in FUSED_DEVICES
    optimizer = torch.optim.AdamW(list(params.values()), lr=config.lr, fused=fused or None)
    pruners = [_pruner(member, {name: params[weight_key(name, params)][i] for name in subject.layers}, total)
               for i, member in enumerate(members)]
    seeds = sorted({m.config.seed for m in members})
    feeds = {m.config.seed: m.data for m in members}
    orders = {seed: feeds[seed].train_batches(batch_order(feeds[seed].n_train, config.batch_size, total, seed + 1))
              for seed in seeds}
    curves = [{"steps": [], "train_loss": [], "test_loss": [], "test_accuracy": []} for _ in members]
    window: list[torch.Tensor] = []
    start = time.perf_counter()
    base.train()
    bar = tqdm(range(1, total + 1), desc=f"{len(seeds)} seeds, {len(members)} runs together", disable=not progress,
               leave=False, mininterval=0.5)
    for step in bar:
        batches = {seed: next(orders[seed]) for seed in seeds}
        x = torch.stack([batches[m.config.seed][0] for m in members])
        y = torch.stack([batches[m.config.seed][1] for m in members])
        logits = forward(params, buffers, x)
        losses = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(len(members), -1).mean(1)
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()  # each member's loss reaches only its own parameters
        optimizer.step()
        for pruner in pruners:
            if pruner is not None:
                pruner.after_step(step)
        window.append(losses.detach())
        if step % config.record_every == 0 or step == total:
            _record(curves, torch.stack(window), step, members, params, buffers, base)
            window = []
    seconds = round(time.perf_counter() - start, 3)
    out = []
    for i, pruner in enumerate(pruners):
        state = {**{k: v[i] for k, v in params.items()}, **{k: v[i] for k, v in buffers.items()}}
        state = {name: state[name].detach().cpu().contiguous().clone() for name in names}
        # the seconds of the whole ensemble, which trained this run and the others at once
        own = {**curves[i], "seconds": seconds, "ensemble_members": len(members)}
        if isinstance(pruner, GradualPruner):
            own["schedule"] = pruner.schedule
        out.append(Trained(state, own, pruner if isinstance(pruner, DynamicsRecorder) else None))
    return out


def _pruner(member: Member, weights: dict[str, torch.Tensor], total: int):
    """What prunes ``member`` after every step, on ``weights`` (views of its own slice)."""
    config = member.config
    if member.kind == "in_loop":
        pruner = InLoopPruner(weights, config.in_loop_rule, config.tau_loop, config.percentile, pack=False)
        return DynamicsRecorder(pruner, config.record_every, member.edges)
    if member.kind == "gradual":
        return GradualPruner(weights, member.target, *gradual_bounds(config, total), config.gmp_every)
    if member.kind == "finetuned":
        return FixedMask(weights, member.keep)
    return None


def _record(curves: list[dict], losses: torch.Tensor, step: int, members: list[Member], params: dict,
            buffers: dict, base: torch.nn.Module) -> None:
    """One record of every member's curves: the window's mean training loss (``losses``:
    steps x members) and the member's accuracy and loss on its own test split."""
    base.eval()
    for i, member in enumerate(members):
        own = losses[:, i]
        check_finite(own, step - len(own) + 1, f"{member.kind}, seed {member.config.seed}", member.config)
        mine = ({k: v[i] for k, v in params.items()}, {k: v[i] for k, v in buffers.items()})
        accuracy, test_loss = evaluate(lambda x, mine=mine: functional_call(base, mine, (x,)),
                                       member.data.test_batches(member.config.eval_batch_size))
        curves[i]["steps"].append(step)
        curves[i]["train_loss"].append(float(own.mean()))
        curves[i]["test_loss"].append(test_loss)
        curves[i]["test_accuracy"].append(accuracy)
    base.train()
