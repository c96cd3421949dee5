"""The tree published as ``static/metrics.json``: a run's metrics with the derived
``facts`` and the judged ``claims``, and, for a run of several seeds, where the seeds
get combined: every seed's facts derived on its own tree, its sweep put on the seeds'
common grid, then every number replaced by its mean with the per-seed values of each
that differs in ``seeds.values``; claims and warnings say in how many seeds they hold.
Pure."""

from __future__ import annotations

from typing import Any, Mapping

from ..seeds.flags import lowered_by_finetuning, warnings_over_seeds
from ..seeds.grid import aligned, with_mean_knee
from ..seeds.value import combine, with_seeds
from .claims import evaluate
from .facts import derive_facts, knee_facts, strict
from .verdicts import over_seeds


def publish(metrics: Mapping[str, Any]) -> dict:
    """The published tree of one run, or of every seed of ``metrics["seeds"]``.

    Over several seeds the sweep's knee is the mean curve's own (`with_mean_knee`), and
    ``facts.knee`` is read there in every seed: one knee, the one the sweep figure and
    the τ explorer mark.
    """
    if "seeds" not in metrics:
        tree = _publish_seed(metrics)
        return {**tree, "warnings": [*tree.get("warnings", []), *lowered_by_finetuning(tree)]}
    seeds = metrics["seeds"]
    trees = [_publish_seed(tree) for tree in seeds["per_seed"]]
    sweeps = aligned([tree["sweep"] for tree in trees])  # one τ grid, so the sweeps combine τ by τ
    sweep_means, sweep_values = combine(sweeps)
    sweep_means = with_mean_knee(sweep_means)  # the one knee: facts.knee reads every seed there
    knee = sweep_means["knee_index"]
    means, values = combine([{**{k: v for k, v in tree.items() if k not in ("claims", "sweep")},
                              "facts": {**tree["facts"], "knee": knee_facts({**sweep, "knee_index": knee})}}
                             for tree, sweep in zip(trees, sweeps)])
    means, values = {**means, "sweep": sweep_means}, dict(values or {})
    if sweep_values is not None:
        values["sweep"] = {k: v for k, v in sweep_values.items() if k != "knee_tau"}  # the seeds' own knees
    spread = strict(with_seeds(means, values))
    claims = {name: over_seeds(claim, [tree["claims"][name] for tree in trees])
              for name, claim in evaluate(spread, strict(spread["facts"], "facts")).items()}
    return {**means, "manifest": metrics["manifest"], "claims": claims,
            "warnings": warnings_over_seeds(spread, trees) + lowered_by_finetuning(spread),
            "seeds": {"seeds": seeds["seeds"], "run_ids": seeds["run_ids"], "values": values or {}}}


def _publish_seed(metrics: Mapping[str, Any]) -> dict:
    metrics = strict(metrics)  # once, for the facts and every claim
    facts = derive_facts(metrics)
    return {**metrics, "facts": facts, "claims": evaluate(metrics, facts)}
