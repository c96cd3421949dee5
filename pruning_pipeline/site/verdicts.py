"""How a claim is written down: its verdict word from per-layer checks, the colour of its
box, one dict per judged claim, and a claim's verdict over seeds. Shared by the
reference's claims and the diagnoses."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Callable, Mapping

from ..seeds.value import mean

CONFIRMED, REFUTED, PARTLY = "confirmed", "refuted", "partly confirmed"
SPLIT = "split across seeds"  # a claim whose verdict differs from seed to seed
SPLIT_READING = "On the seeds' means:"  # how the finding of a split claim begins


def verdict_of(flags: list[bool]) -> str:
    if all(flags):
        return CONFIRMED
    return PARTLY if any(flags) else REFUTED


TONES = {CONFIRMED: "success", REFUTED: "failure", PARTLY: "warning", SPLIT: "question"}


def defined(value: Any) -> bool:
    """A number that exists: not None (an undefined statistic) and not NaN (over seeds:
    a mean that is not NaN)."""
    value = mean(value)
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _json_safe(tree: Any) -> Any:
    """Plain JSON: a number over seeds as its mean, NaN (an undefined ratio) as null."""
    if isinstance(tree, dict):
        return {k: _json_safe(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_json_safe(v) for v in tree]
    tree = mean(tree)
    return tree if not isinstance(tree, float) or defined(tree) else None


def judged(reference: str, criterion: str, verdict: str, finding: str, evidence: dict, tone: str | None = None) -> dict:
    """One judged claim; ``tone`` (success/failure/warning/info) colours its box on the page."""
    return {
        "reference": reference,
        "criterion": criterion,
        "verdict": verdict,
        "tone": tone or TONES.get(verdict, "info"),
        "finding": finding,
        "evidence": _json_safe(evidence),
    }


EACH_NAMED = 4  # layers named one by one; beyond, the range


def each(values: Mapping[str, Any], fmt: Callable[[Any], str]) -> str:
    """One value per layer in a sentence: '0.1 (`ffnn1`) and 0.2 (`cls_head`)', or for
    many layers the lowest and the highest: '0.1 (`a`) to 0.9 (`b`) across 12 layers'."""
    items = [(layer, value) for layer, value in values.items() if layer != "global"]
    shown = lambda value: fmt(value) if defined(value) else "undefined"  # noqa: E731
    numbers = [item for item in items if defined(item[1])]
    if len(items) > EACH_NAMED and numbers:
        low, high = min(numbers, key=lambda item: mean(item[1])), max(numbers, key=lambda item: mean(item[1]))
        missing = len(items) - len(numbers)
        return (f"{fmt(low[1])} (`{low[0]}`) to {fmt(high[1])} (`{high[0]}`) across {len(items)} layers"
                + (f" ({missing} undefined)" if missing else ""))
    named = [f"{shown(value)} (`{layer}`)" for layer, value in items]
    return " and ".join(named) if len(named) <= 2 else ", ".join(named[:-1]) + " and " + named[-1]


def over_seeds(claim: dict, per_seed: list[dict]) -> dict:
    """A claim judged in every seed: its verdict counts the seeds ("confirmed in 5 of 5
    seeds"); seeds that disagree make it "split" and list each verdict with its count,
    never one seed's word. The finding is the one judged on the seeds' values, the
    evidence their means (`judged`); a split claim's finding says that it reads the means."""
    verdicts = [judgement["verdict"] for judgement in per_seed]
    counts = Counter(verdicts).most_common()
    total = len(verdicts)
    if len(counts) == 1:
        verdict, tone = f"{verdicts[0]} in {total} of {total} seeds", per_seed[0]["tone"]
    else:
        verdict = f"{SPLIT}: " + ", ".join(f"{word} in {count} of {total} seeds" for word, count in counts)
        tone = TONES[SPLIT]
        # its words (e.g. which layer is the most sensitive) describe the means, not every seed
        claim = {**claim, "finding": f"{SPLIT_READING} {claim['finding']}"}
    return {**claim, "verdict": verdict, "tone": tone, "per_seed": verdicts,
            "unanimous": len(counts) == 1}
