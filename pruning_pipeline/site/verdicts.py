"""How a claim is written down: its verdict word from per-layer checks, the colour of its
box, and one dict per judged claim. Shared by the reference's claims and the diagnoses."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..results import PRUNABLE_LAYERS as LAYERS

CONFIRMED, REFUTED, PARTLY = "confirmed", "refuted", "partly confirmed"


def verdict_of(flags: list[bool]) -> str:
    if all(flags):
        return CONFIRMED
    return PARTLY if any(flags) else REFUTED


TONES = {CONFIRMED: "success", REFUTED: "failure", PARTLY: "warning"}


def judged(reference: str, criterion: str, verdict: str, finding: str, evidence: dict, tone: str | None = None) -> dict:
    """One judged claim; ``tone`` (success/failure/warning/info) colours its box on the page."""
    return {
        "reference": reference,
        "criterion": criterion,
        "verdict": verdict,
        "tone": tone or TONES.get(verdict, "info"),
        "finding": finding,
        "evidence": evidence,
    }


def each(values: Mapping[str, Any], fmt: Callable[[Any], str]) -> str:
    """'0.1 (ffnn1) and 0.2 (cls_head)'."""
    return " and ".join(f"{fmt(values[layer])} (`{layer}`)" for layer in LAYERS)
