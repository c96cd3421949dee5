"""Pruning methods compared the way the field compares them: test accuracy at the same
sparsity of the selected layers. At every target: one-shot magnitude pruning of the
trained weights (one global ranking, or each layer on its own), random pruning (the
baseline), each as pruned and after fine-tuning with its mask held fixed; at the
gradual targets, a run pruned gradually inside the loop for the plain run's steps.

Each target's one-shot prunes and each gradual run are cache entries of their own
(`jobs.plan.method_keys`), trained as jobs (`pruning_pipeline.jobs`) before this reads them: a new target computes only itself, a new ``finetune_steps``
never retrains a gradual run, new ``gmp_*`` options never re-tune a one-shot prune.
"""

from __future__ import annotations

import json

from ..names import METHOD_LABEL
from ..train import methods, runs
from ..train.keyed import GRADUAL_KIND, ONE_SHOT_KIND
from ..train.methods import ONE_SHOT_FILE
from ..train.model import weight_key

SERIES = tuple(METHOD_LABEL)  # one-shot as pruned, fine-tuned, gradual


def compare(life, init: dict, trained: dict, dense_accuracy: float) -> dict:
    """The ``methods`` section of a seed's metrics (each entry trained where the jobs
    have not: by rank 0 of a torchrun job)."""
    config = life.config
    targets = config.target_sparsities
    one_shot = {target: _one_shot(life, trained, target) for target in targets}
    gradual = {target: _gradual(life, init, target) for target in config.gmp_sparsities}
    accuracy = {scope + suffix: [one_shot[t][scope][key] for t in targets]
                for suffix, key in (("", "accuracy"), ("_finetuned", "finetuned_accuracy"))
                for scope in methods.ONE_SHOT}
    accuracy["gradual"] = [gradual[t]["accuracy"] if t in gradual else None for t in targets]
    sparsity = {scope: [one_shot[t][scope]["sparsity"] for t in targets] for scope in methods.ONE_SHOT}
    sparsity["gradual"] = [gradual[t]["sparsity"] if t in gradual else None for t in targets]
    runs_at = {scope: {t: one_shot[t][scope] for t in targets} for scope in methods.ONE_SHOT} | {"gradual": gradual}
    start, end = methods.gradual_bounds(config, life.steps)
    return {"targets": list(targets), "finetune_steps": config.finetune_steps,
            "finetune_lr": methods.finetuning(config).lr, "dense_accuracy": dense_accuracy,
            "gradual": {"targets": list(config.gmp_sparsities), "start": start, "end": end,
                        "every": config.gmp_every, "steps": life.steps},
            "accuracy": {name: accuracy[name] for name in SERIES}, "sparsity": sparsity,
            "layers": _per_layer(runs_at, targets), "units": {name: unit["units"] for name, unit in
                                                             one_shot[targets[0]]["global"]["layers"].items()}}


def _per_layer(runs_at: dict[str, dict], targets) -> dict:
    """Per ranking (one-shot scopes and gradual) and pruned layer, its sparsity and dead
    units at each target (None where that ranking has no run at the target)."""
    out = {}
    for ranking, at in runs_at.items():
        layers = next(iter(at.values()))["layers"] if at else {}
        out[ranking] = {layer: {key: [at[t]["layers"][layer][key] if t in at else None for t in targets]
                                for key in ("sparsity", "dead_units")} for layer in layers}
    return out


def _one_shot(life, trained: dict, target: float) -> dict:
    return one_shot_entry(life, target, lambda: methods.one_shot(trained, life.subject, life.data, life.config,
                                                                 life.device, target))


def one_shot_entry(life, target: float, prunes) -> dict:
    """The one-shot prunes at ``target`` of ``life``'s seed, from its cache entry, or
    from ``prunes()`` (`methods.one_shot`'s numbers) into a new one."""
    entry = life.cached(ONE_SHOT_KIND, target, lambda directory: methods.write_one_shot(directory, prunes()))
    return json.loads((entry / ONE_SHOT_FILE).read_text())


def _gradual(life, init: dict, target: float) -> dict:
    entry = life.cached(GRADUAL_KIND, target, lambda directory: methods.gradual_run_into(
        directory, init, life.subject, life.data, life.config, life.device, target, life.progress))
    state, curves = runs.load_run(entry)
    weights = {name: state[weight_key(name, state)] for name in life.subject.layers}
    return {"accuracy": curves["test_accuracy"][-1], "sparsity": methods.selected_sparsity(weights),
            "layers": methods.layer_collapse(weights)}
