"""The one table of stages and layers: key, slug, titles and the page that shows them.

Everything that names a stage or a layer (figure stems, captions, plot titles, page
tables, placeholder aliases) reads it here, and builds file names from it; nothing
parses a file name back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .results import GLOBAL, LAYER_KEYS, STAGES


@dataclass(frozen=True)
class Stage:
    """One snapshot of the lifecycle.

    ``stem`` is the prefix of its histogram figures, with ``{tau}`` (τ_post) or ``{p}``
    (the percentile) filled from the run's configuration; ``alias`` is how pages name
    it in ``{{ figure: alias/layer }}``.
    """

    key: str
    alias: str
    stem: str
    title: str  # page headings and tables: "Post-training pruning"
    phrase: str  # plot titles: "pruned after training"
    short: str  # narrow table cells and tick labels: "post"
    page: str  # page id (docs path without extension) that shows its figures
    slug_overrides: Mapping[str, str] = field(default_factory=dict)  # layer key -> slug

    def figure_stem(self, layer: "Layer", config: Mapping[str, Any]) -> str:
        """Public stem of this stage's histogram of ``layer``, e.g. ``at-prune-0.4-ffnn``."""
        prefix = self.stem.format(tau=f"{config['tau_post']:g}", p=f"{config['percentile']:g}")
        if layer.key == GLOBAL:
            return prefix
        return f"{prefix}-{self.slug_overrides.get(layer.key, layer.slug)}"


@dataclass(frozen=True)
class Layer:
    """A prunable layer of the reference model, or ``global`` (all of them together)."""

    key: str
    slug: str  # in figure stems and as its alias in ``{{ figure: stage/slug }}``
    title: str  # plot titles and captions


STAGE_TABLE = (
    Stage("init", "init", "initialization", "Initialization", "at initialization", "init",
          "visualizations/initialization"),
    Stage("trained", "trained", "before-pruning-distribution", "Before pruning (trained)",
          "after training", "trained", "visualizations/before-pruning"),
    # the reference names this one figure "...-cls", not "...-cls-head"
    Stage("in_loop", "in-loop", "threshold-inside-the-training-loop", "Threshold inside the training loop",
          "pruned in the loop", "in loop", "visualizations/threshold-inside-the-training-loop",
          {"cls_head": "cls"}),
    Stage("post", "post", "at-prune-{tau}", "Post-training pruning", "pruned after training", "post",
          "visualizations/post-training-pruning"),
    Stage("percentile", "percentile", "percentile-{p}", "Percentile pruning", "percentile-pruned",
          "percentile", "percentile-pruning"),
)
LAYER_TABLE = (
    Layer("ffnn1", "ffnn", "ffnn1"),
    Layer("cls_head", "cls-head", "cls_head"),
    Layer(GLOBAL, "global", "both Linear layers"),
)

STAGE = {stage.key: stage for stage in STAGE_TABLE}
LAYER = {layer.key: layer for layer in LAYER_TABLE}
assert tuple(STAGE) == STAGES and tuple(LAYER) == LAYER_KEYS, "names.py must name every stage and layer"


def stage_by_alias(alias: str) -> Stage:
    for stage in STAGE_TABLE:
        if stage.alias == alias:
            return stage
    raise KeyError(f"no stage '{alias}' (known: {', '.join(s.alias for s in STAGE_TABLE)})")


def layer_by_slug(slug: str) -> Layer:
    for layer in LAYER_TABLE:
        if layer.slug == slug:
            return layer
    raise KeyError(f"no layer '{slug}' (known: {', '.join(l.slug for l in LAYER_TABLE)})")
