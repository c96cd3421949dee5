"""Issue 32: which fine-tuning a one-shot prune gets by default, decided on a validation
split of the training data (never the test split).

For each seed: the reference model trains on the training split less a stratified
validation share, is pruned one-shot (one global ranking and each layer on its own) at
each target, and each prune is fine-tuned with its mask held by every candidate: the
training rate ``lr`` held (the build's old default), a tenth of it held (Han et al.
2015: retrain at a tenth of the original rate), and a tenth of it decayed to zero over
the fine-tuning steps (cosine). What each adds to the validation accuracy as pruned is
printed as mean ± sd over the seeds; the fine-tuning loop here is this script's own
(AdamW, the masks re-applied after every step), the same for every candidate.

    python benchmarks/bench_finetune.py [--seeds 3] [--steps 1500] [--finetune-steps 125]
"""

from __future__ import annotations

import argparse
import math
import statistics

import numpy as np
import torch
import torch.nn.functional as F

from pruning_pipeline.config import make_config
from pruning_pipeline.train.data import load_dataset, normalise, stratified_split
from pruning_pipeline.train.feed import Tensors
from pruning_pipeline.train.model import build_model, prunable_weights, subject_for
from pruning_pipeline.train.pruning import smallest_masks
from pruning_pipeline.train.training import evaluate, train

VALIDATION_PER_CLASS = 50  # of the 400 training images a class: 500 in all


def _split(config):
    """Training and validation tensors: the run's training split less a stratified share."""
    data = load_dataset(config)
    keep, held = stratified_split(data.train_labels, 400 - VALIDATION_PER_CLASS, config.seed + 7)
    x, y = normalise(data.train_images), data.train_labels
    return Tensors.on(torch.device("cpu"), {}, train_x=x[keep], train_y=y[keep], test_x=x[held], test_y=y[held])


def _finetune(model, masks, feed, lr: float, steps: int, cosine: bool, seed: int) -> float:
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / steps)) if cosine else 1.0)
    weights = prunable_weights(model, tuple(masks))
    order = torch.randperm(feed.n_train, generator=torch.Generator().manual_seed(seed))
    model.train()
    for step in range(steps):
        index = order[(step * 32) % (feed.n_train - 32):][:32]
        loss = F.cross_entropy(model(feed.train_x[index]), feed.train_y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            for name, weight in weights.items():
                weight.mul_(masks[name])
    model.eval()
    return evaluate(model, feed.test_batches(250))[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--finetune-steps", type=int, default=125)
    parser.add_argument("--targets", type=float, nargs="+", default=[0.5, 0.9, 0.99])
    args = parser.parse_args()
    torch.set_num_threads(1)
    base = make_config({"steps": args.steps, "record_every": args.steps, "seeds": 1})
    candidates = {"lr, held": (1.0, False), "lr/10, held": (0.1, False), "lr/10, cosine to 0": (0.1, True)}
    gains = {(name, scope, t): [] for name in candidates for scope in ("global", "layer") for t in args.targets}
    for seed in range(args.seeds):
        config = make_config({**{k: v for k, v in base.to_dict().items() if k in ("steps", "record_every")},
                              "seed": seed, "seeds": 1})
        feed = _split(config)
        model = build_model(config)
        train(model, feed, config, progress=False)
        trained = {k: v.clone() for k, v in model.state_dict().items()}
        layers = subject_for(config, model).layers
        for target in args.targets:
            for scope in ("global", "layer"):
                for name, (share, cosine) in candidates.items():
                    model.load_state_dict(trained)
                    masks = smallest_masks(prunable_weights(model, layers), target, scope)
                    with torch.no_grad():
                        for layer, weight in prunable_weights(model, layers).items():
                            weight.mul_(masks[layer])
                    pruned = evaluate(model, feed.test_batches(250))[0]
                    tuned = _finetune(model, masks, feed, config.lr * share, args.finetune_steps, cosine, seed)
                    gains[name, scope, target].append(tuned - pruned)
        print(f"seed {seed} done", flush=True)
    print(f"\nvalidation accuracy added by {args.finetune_steps} fine-tuning steps (points, mean ± sd over "
          f"{args.seeds} seeds; {args.steps} training steps, validation {VALIDATION_PER_CLASS * 10} images)")
    print(f"{'candidate':<20}{'ranking':<8}" + "".join(f"{t:>16.0%}" for t in args.targets) + f"{'mean':>10}")
    for name in candidates:
        for scope in ("global", "layer"):
            cells = [gains[name, scope, t] for t in args.targets]
            shown = "".join(f"{statistics.fmean(c) * 100:>9.2f} ± {statistics.stdev(c) * 100:4.2f}" for c in cells)
            print(f"{name:<20}{scope:<8}{shown}{np.mean([statistics.fmean(c) for c in cells]) * 100:>10.2f}")


if __name__ == "__main__":
    main()
