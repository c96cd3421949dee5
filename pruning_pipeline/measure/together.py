"""The seeds' runs trained as batched ensembles (`train.ensemble`), each run into its
own cache entry: first every seed's plain, in-loop and gradual runs together, then the
fine-tuning of every seed's one-shot prunes at every target, which start from the
trained runs. A seed that cannot train batched (`Lifecycle.trainer`) is left out."""

from __future__ import annotations

import time
from concurrent.futures import Future
from pathlib import Path

import torch

from ..report import Report
from ..train import ensemble, methods, runs
from ..train.device import usable_cores
from ..train.keyed import BATCHED, GRADUAL_KIND, ONE_SHOT_KIND
from ..train.model import weight_key
from .methods import one_shot_entry
from .stages import layer_edges


def train_together(lives: list, report: Report | None = None) -> None:
    """Train every missing plain, in-loop and gradual run of these seeds (`Lifecycle`s)
    as one batched ensemble."""
    lives = [life for life in lives if life.trainer == BATCHED]
    members, owners = [], []
    for life in lives:
        init = runs.initial_state(life.config, life.subject)
        missing = [kind for kind in ("trained", "in_loop") if life.cache.get(kind, life.keys[kind]) is None]
        edges: Future = Future()
        if missing == ["in_loop"]:  # the plain run is cached: its edges are known now
            trained = runs.load_run(life.cache.get("trained", life.keys["trained"]))[0]
            edges.set_result(layer_edges([init, trained], life.subject.layers, life.config.hist_bins))
        for kind in missing:
            members.append(ensemble.Member(kind, life.config, init, life.data, edges if kind == "in_loop" else None))
            owners.append(life)
        for target in life.config.gmp_sparsities:
            if life.cache.get(GRADUAL_KIND, life.method_keys[(GRADUAL_KIND, target)]) is None:
                members.append(ensemble.Member(GRADUAL_KIND, life.config, init, life.data, target=target))
                owners.append(life)
    done = _train(members, owners, report, "trained together")
    for member, result, life in zip(members, done, owners):
        if member.kind == GRADUAL_KIND:
            life.computed_methods = True
            life.cache.put(member.kind, life.method_keys[(member.kind, member.target)],
                           lambda directory, result=result: _write_trained(directory, result))
    for kind in ("trained", "in_loop"):  # plain runs first: their edges bin the in-loop records
        for member, result, life in zip(members, done, owners):
            if member.kind != kind:
                continue
            life.made.add(kind)
            life.cache.put(kind, life.keys[kind], lambda directory, result=result: _write_trained(directory, result))
            if kind == "trained":
                in_loop = [m for m in members if m.kind == "in_loop" and m.config.seed == member.config.seed]
                for other in in_loop:
                    other.edges.set_result(layer_edges([member.init, result.state], life.subject.layers,
                                                       life.config.hist_bins))


def tune_together(lives: list, report: Report | None = None) -> None:
    """Fine-tune every missing one-shot prune of these seeds, at every target, as one
    batched ensemble (their plain runs trained: `train_together` first); each target's
    prunes are one entry, as `methods.one_shot` writes it alone."""
    lives = [life for life in lives if life.trainer == BATCHED]
    members, owners, pruned = [], [], []
    for life in lives:
        missing = [target for target in life.config.target_sparsities
                   if life.cache.get(ONE_SHOT_KIND, life.method_keys[(ONE_SHOT_KIND, target)]) is None]
        trained = runs.load_run(life.cache.get("trained", life.keys["trained"]))[0] if missing else None
        tuning = methods.finetuning(life.config)
        for target in missing:
            for scope, model, mask, accuracy in methods.one_shot_prunes(trained, life.subject, life.data,
                                                                        life.config, life.device, target):
                members.append(ensemble.Member(ONE_SHOT_KIND, tuning, runs.cpu_state(model), life.data,
                                               keep=mask.keep))
                owners.append(life)
                pruned.append((target, scope, accuracy))
    done = _train(members, owners, report, "fine-tuned together")
    found: dict = {}
    for life, (target, scope, accuracy), result in zip(owners, pruned, done):
        weights = {name: result.state[weight_key(name, result.state)] for name in life.subject.layers}
        found.setdefault((life.config.seed, target), (life, {}))[1][scope] = methods.one_shot_result(
            accuracy, result.curves, weights)
    for (_, target), (life, prunes) in found.items():
        one_shot_entry(life, target, lambda prunes=prunes: prunes)


def _train(members: list[ensemble.Member], owners: list, report: Report | None, done: str) -> list:
    """Train ``members`` as one ensemble on the threads of two runs (``2 x threads``),
    in the build's process; the report gets one phase, named for how many runs of how many seeds."""
    if not members:
        return []
    first = owners[0]
    threads = torch.get_num_threads()
    torch.set_num_threads(min(usable_cores(), 2 * first.config.threads))
    start = time.perf_counter()
    try:
        trained = ensemble.train_ensemble(members, first.subject, first.device, first.progress)
    finally:
        torch.set_num_threads(threads)
    if report is not None:
        seeds = len({life.config.seed for life in owners})
        report.add(f"{len(members)} runs of {seeds} seed{'s' * (seeds > 1)} {done}", time.perf_counter() - start)
    return trained


def _write_trained(directory: Path, result: ensemble.Trained) -> None:
    runs.write_run(directory, result.state, result.curves)
    if result.recorder is not None:
        result.recorder.save(directory / runs.DYNAMICS_FILE)
