"""The tables of stages and layers: key, slug, titles and the page that shows them.

Everything that names a stage or a layer (figure stems, captions, plot titles, page
tables, placeholder aliases) reads it here, and builds file names from it; nothing
parses a file name back. Stages are fixed; layers are those a run pruned
(`layers_of`): the reference model keeps the names of the reference study's figures,
any other model's layers are named by a slug of their qualified name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .results import GLOBAL, STAGES


@dataclass(frozen=True)
class Layer:
    """A pruned layer (or ``global``, all of them together)."""

    key: str  # qualified module name, as in metrics.json
    slug: str  # in figure stems and as its alias in ``{{ figure: stage/slug }}``
    title: str  # plot titles and captions
    stage_slugs: Mapping[str, str] = field(default_factory=dict)  # stage key -> slug, where it differs


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

    def figure_stem(self, layer: Layer, config: Mapping[str, Any]) -> str:
        """Public stem of this stage's histogram of ``layer``, e.g. ``at-prune-0.4-ffnn``."""
        prefix = self.stem.format(tau=f"{config['tau_post']:g}", p=f"{config['percentile']:g}")
        if layer.key == GLOBAL:
            return prefix
        return f"{prefix}-{layer.stage_slugs.get(self.key, layer.slug)}"


STAGE_TABLE = (
    Stage("init", "init", "initialization", "Initialization", "at initialization", "init",
          "visualizations/initialization"),
    Stage("trained", "trained", "before-pruning-distribution", "Before pruning (trained)",
          "after training", "trained", "visualizations/before-pruning"),
    Stage("in_loop", "in-loop", "threshold-inside-the-training-loop", "Threshold inside the training loop",
          "pruned in the loop", "in loop", "visualizations/threshold-inside-the-training-loop"),
    Stage("post", "post", "at-prune-{tau}", "Post-training pruning", "pruned after training", "post",
          "visualizations/post-training-pruning"),
    Stage("percentile", "percentile", "percentile-{p}", "Percentile pruning", "percentile-pruned",
          "percentile", "percentile-pruning"),
)
STAGE = {stage.key: stage for stage in STAGE_TABLE}
assert tuple(STAGE) == STAGES, "names.py must name every stage"

# The reference study's figure names; its in-loop figure of cls_head is "...-cls".
REFERENCE_LAYERS = {
    "ffnn1": Layer("ffnn1", "ffnn", "ffnn1"),
    "cls_head": Layer("cls_head", "cls-head", "cls_head", {"in_loop": "cls"}),
}


def slug(name: str) -> str:
    """``blocks.0.attn.proj`` -> ``blocks-0-attn-proj``: lower case, one dash per run of
    anything else than letters and digits."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "layer"


def global_title(count: int) -> str:
    return {1: "the pruned layer", 2: "both pruned layers"}.get(count, f"all {count} pruned layers")


def layers_of(metrics: Mapping[str, Any]) -> dict[str, Layer]:
    """Every pruned layer of a run, then ``global``, by key, in model order."""
    names = list(metrics["prunable_layers"])
    reference = metrics["config"]["model"] == "reference"
    out: dict[str, Layer] = {}
    taken = {GLOBAL}
    for name in names:
        layer = REFERENCE_LAYERS.get(name) if reference else None
        if layer is None:
            base = candidate = slug(name)
            suffix = 2
            while candidate in taken:  # "a.b" and "a_b" would both be "a-b"
                candidate, suffix = f"{base}-{suffix}", suffix + 1
            layer = Layer(name, candidate, name)
        taken.add(layer.slug)
        out[name] = layer
    title = "both Linear layers" if reference and names == list(REFERENCE_LAYERS) else global_title(len(names))
    out[GLOBAL] = Layer(GLOBAL, GLOBAL, title)
    return out


def stage_by_alias(alias: str) -> Stage:
    for stage in STAGE_TABLE:
        if stage.alias == alias:
            return stage
    raise KeyError(f"no stage '{alias}' (known: {', '.join(s.alias for s in STAGE_TABLE)})")


def layer_by_slug(slug_: str, layers: Mapping[str, Layer]) -> Layer:
    for layer in layers.values():
        if layer.slug == slug_:
            return layer
    raise KeyError(f"no layer '{slug_}' (known: {', '.join(l.slug for l in layers.values())})")


# The pruning methods compared at the same sparsity, in legend order: the keys of
# ``methods.accuracy`` in metrics.json, with the label figures and tables give them.
METHOD_LABEL = {
    "global": "one-shot, global ranking",
    "layer": "one-shot, per layer",
    "random": "random",
    "global_finetuned": "one-shot global + fine-tuning",
    "layer_finetuned": "one-shot per layer + fine-tuning",
    "random_finetuned": "random + fine-tuning",
    "gradual": "gradual, in the loop",
}

# How a ranking's masks are named in sentences (the keys of ``methods.layers``): the
# one-shot rankings first, then the gradual runs'.
RANKING_LABEL = {
    "global": "one global ranking",
    "layer": "each layer ranked on its own",
    "random": "random pruning",
    "gradual": "gradual pruning",
}
ONE_SHOT_RANKINGS = ("global", "layer", "random")
