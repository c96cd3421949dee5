"""What a catalogued figure is: its published description (`FigureInfo`, as in
``figures.json``), its (lazy) drawing and data (`Spec`), and the caption phrases the
histogram and analysis figures share. Draws nothing itself; no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..formatting import fmt_pct
from ..names import layers_of
from ..results import GLOBAL, Results
from ..seeds.value import of_seeds
from .binning import stage_threshold
from .tables import Table

FIGURE_FORMATS = ("png", "svg", "pdf", "csv")
LIGHT_FORMATS = ("png", "svg", "pdf")
DARK_FORMATS = ("png", "svg")
GLOBAL_STAGES = ("post", "percentile")  # stages that also get a histogram of all layers together


STATIC_DIR = "static"  # where a site publishes every figure file


def stable_url(name: str, site_url: str | None) -> str:
    """The URL a paper can cite for a published file: absolute under ``site_url``, else
    relative to the site's root."""
    return f"{site_url.rstrip('/')}/{STATIC_DIR}/{name}" if site_url else f"{STATIC_DIR}/{name}"


@dataclass(frozen=True)
class FigureInfo:
    """One figure of the catalog, as published in ``static/figures.json``: its files are
    ``{stem}.{format}`` plus the dark PNG/SVG; ``page`` is the docs page that shows it,
    ``kind`` is ``histogram`` or ``analysis``. A figure drawn once per layer names its
    ``layer`` and its ``group`` (a stage key for histograms, ``dynamics`` or
    ``comparison``): the galleries that page through the layers collect them by group."""

    stem: str
    title: str
    caption: str
    page: str
    kind: str
    formats: tuple[str, ...] = FIGURE_FORMATS
    group: str = ""
    layer: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "FigureInfo":
        return cls(
            stem=str(data["stem"]),
            title=str(data["title"]),
            caption=str(data["caption"]),
            page=str(data["page"]),
            kind=str(data["kind"]),
            formats=tuple(data.get("formats") or FIGURE_FORMATS),
            group=str(data.get("group", "")),
            layer=str(data.get("layer", "")),
        )

    def files(self) -> list[str]:
        """Every file name of this figure: each format, plus the dark PNG/SVG."""
        names = [f"{self.stem}.{ext}" for ext in self.formats]
        names += [f"{self.stem}-dark.{ext}" for ext in DARK_FORMATS if ext in self.formats]
        return names


def draw_with(module: str, builder: str, *args, dark: bool):
    """Call a plot builder, importing matplotlib only when a figure is really drawn (a
    site rebuilt from the cache reads the catalog but draws nothing)."""
    from importlib import import_module

    return getattr(import_module(f"{__package__}.{module}"), builder)(*args, dark=dark)


@dataclass(frozen=True)
class Spec:
    """A catalog entry with its (lazy) drawing and data."""

    info: FigureInfo
    draw: Callable[..., object]  # draw(dark=bool) -> Figure
    table: Callable[[], Table]


def analysis_spec(stem, title, caption, page, draw, table) -> Spec:
    return Spec(FigureInfo(stem, title, caption, page, "analysis"), draw, table)


def grouped_spec(group, layer, stem, title, caption, page, draw, table) -> Spec:
    """An analysis figure drawn once per layer, collected by its group's gallery."""
    return Spec(FigureInfo(stem, title, caption, page, "analysis", group=group, layer=layer), draw, table)


CAPTION_LAYERS = 4  # a caption names each layer up to this many, else gives the range


def per_layer(values: dict[str, float], fmt) -> str:
    """'ffnn1 97.1%, cls_head 99.0%', or for many layers the lowest and the highest."""
    if len(values) <= CAPTION_LAYERS:
        return ", ".join(f"{layer} {fmt(v)}" for layer, v in values.items())
    low, high = min(values, key=values.get), max(values, key=values.get)
    return f"from {fmt(values[low])} ({low}) to {fmt(values[high])} ({high}) over {len(values)} layers"


def pct2(value: float) -> str:
    return fmt_pct(value, "2")


def over_seeds_caption(r: Results, numbers: list[tuple[str, Callable[[dict], float], Callable[[float], str]]],
                drawn: bool = True) -> str:
    """With several seeds, what a caption of a figure drawn from the first seed adds: that
    its own numbers are that seed's (``drawn``), and ``numbers`` (a label, the number in
    one seed's metrics, its format) as the seeds' mean ± sd, as the pages quote them.
    Nothing with one seed."""
    seeds = r.per_seed
    if len(seeds) < 2:
        return ""
    said = ", ".join(f"{label} {fmt(of_seeds([get(m) for m in seeds]))}" for label, get, fmt in numbers)
    lead = f"Drawn from seed {seeds[0]['config']['seed']}; over" if drawn else "Over"
    return f" {lead} the {len(seeds)} seeds: {said}."


def stage_phrase(results: Results, stage: str) -> str:
    """How the weights of ``stage`` came to be, with its threshold, for captions."""
    if stage in ("init", "trained"):
        return {"init": "at initialization", "trained": "after training, before any pruning"}[stage]
    tau = stage_threshold(results, stage)
    if stage == "in_loop":
        rule = f"at τ = {tau:.3g}" if tau is not None else "by percentile"
        return f"after training with pruning {rule} after every step"
    if stage == "post":
        return f"after pruning the trained weights at τ = {tau:.3g}"
    percentile = results.metrics["config"]["percentile"]
    return f"after pruning at the global {percentile:g}th percentile of |w| (τ = {tau:.3g})"


def weights_noun(results: Results, layer: str) -> str:
    return f"weights of {layers_of(results.metrics)[GLOBAL].title}" if layer == GLOBAL else f"{layer} weights"
