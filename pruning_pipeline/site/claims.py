"""Every claim the site checks, by name, and `evaluate`, which judges them all against a
run's numbers: the reference study's sentences (`reference`) and the diagnoses beyond
them (`diagnosis`), each with a verdict word (``confirmed``, ``refuted`` or ``partly
confirmed``, or a diagnosis' own), the criterion used, a finding and its evidence.
Pure: a metrics tree (the schema of ``static/metrics.json``) and its facts in.
Pages show claims through ``{{ claim: name }}``, so when a rebuild with other settings
flips a verdict, the page flips with it.

A claim whose input is missing from the metrics fails with `ClaimInputError`, naming
the claim and the missing path: a change of the metrics layout can never silently
drop a claim from the site.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from . import diagnosis, reference
from .facts import MissingInput, derive_facts, strict

# The reference's sentences, then the diagnoses ("what these visuals help diagnose") beyond them.


CLAIMS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], dict]] = {
    "init_symmetric": reference.init_symmetric,
    "init_gaussian": reference.init_gaussian,
    "init_uniform": reference.init_uniform,
    "init_dense": reference.init_dense,
    "trained_near_zero": reference.trained_near_zero,
    "trained_long_tail": reference.trained_long_tail,
    "trained_wider": reference.trained_wider,
    "in_loop_spike": reference.in_loop_spike,
    "in_loop_regrowth": reference.in_loop_regrowth,
    "in_loop_asymmetric": reference.in_loop_asymmetric,
    "post_dead_zone": reference.post_dead_zone,
    "post_bimodal": reference.post_bimodal,
    "post_final_model": reference.post_final_model,
    "post_dramatic": reference.post_dramatic,
    "percentile_exact": reference.percentile_exact,
    "over_pruning": diagnosis.diag_over_pruning,
    "under_pruning": diagnosis.diag_under_pruning,
    "layer_sensitivity": diagnosis.diag_sensitivity,
    "live_stability": diagnosis.diag_stability,
    "compression_payoff": diagnosis.compression_payoff,
    "threshold_vs_percentile": diagnosis.diag_threshold_vs_percentile,
    "matched_sparsity": diagnosis.diag_matched_sparsity,
    "layer_collapse": diagnosis.diag_layer_collapse,
    "lottery_ticket": diagnosis.diag_lottery_ticket,
}
OPTIONAL = {"lottery_ticket": "lottery"}  # claims judged only where the run has this metrics section


class ClaimInputError(ValueError):
    """A claim cannot be judged because an input it needs is missing from the metrics."""


def evaluate(metrics: Mapping[str, Any], facts: Mapping[str, Any] | None = None) -> dict[str, dict]:
    """Every claim, judged, by name.

    Raises
    ------
    ClaimInputError
        Naming the claim and the metrics (or facts) path it needs and cannot find.
    """
    metrics = strict(metrics)
    facts = strict(derive_facts(metrics) if facts is None else facts, "facts")
    out = {}
    for name, judge in CLAIMS.items():
        if name in OPTIONAL and OPTIONAL[name] not in metrics:
            continue
        try:
            out[name] = judge(metrics, facts)
        except MissingInput as missing:
            raise ClaimInputError(f"claim '{name}' needs {missing.path}, which the run's metrics lack") from None
    return out
