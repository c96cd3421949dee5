"""The catalog of every published figure: its stem, title, caption with this run's
numbers and the page that shows it, plus (lazily) how to draw it and the table of data
behind it. Draws nothing itself; no torch.
"""

from __future__ import annotations

from ..formatting import fmt_pct, fmt_sig
from ..names import STAGE, layers_of
from ..results import GLOBAL, Results
from . import tables
from .analysis_specs import analysis_specs
from .binning import stage_view
from .lottery import lottery_specs
from .spec import GLOBAL_STAGES, FigureInfo, Spec, draw_with, over_seeds_caption, pct2, stage_phrase, weights_noun

# ------------------------------------------------------------------------------ catalog


def catalog(results: Results) -> list[FigureInfo]:
    """Every figure of ``results``, in page order; draws nothing."""
    return [spec.info for spec in specs(results)]


def specs(results: Results) -> list[Spec]:
    histograms = [_histogram_spec(results, stage, layer)
                  for stage in STAGE
                  for layer in results.layers + ((GLOBAL,) if stage in GLOBAL_STAGES else ())]
    return histograms + analysis_specs(results) + lottery_specs(results)


def histogram_stem(results: Results, stage: str, layer: str) -> str:
    """Public stem of a histogram figure, e.g. ``at-prune-0.4-ffnn`` or ``percentile-20``."""
    return STAGE[stage].figure_stem(layers_of(results.metrics)[layer], results.metrics["config"])


def _histogram_spec(results: Results, stage: str, layer: str) -> Spec:
    stats = results.stage(stage)["layers"][layer]
    title = f"{layers_of(results.metrics)[layer].title}, {STAGE[stage].phrase}"
    weights = weights_noun(results, layer)
    caption = (f"Histogram of the {stats['count']:,} {weights} {stage_phrase(results, stage)}: "
               f"{stats['zeros']:,} ({fmt_pct(stats['sparsity'], '2')}) are zero, "
               f"mean {fmt_sig(stats['mean'])}, "  # a mean of zeros that is -0.0 reads 0
               f"std {fmt_sig(stats['std'])}; test accuracy {fmt_pct(results.stage(stage)['accuracy'])}."
               + over_seeds_caption(results, [("sparsity", lambda m: m["stages"][stage]["layers"][layer]["sparsity"], pct2),
                                       ("test accuracy", lambda m: m["stages"][stage]["accuracy"], fmt_pct)]))
    return Spec(
        FigureInfo(histogram_stem(results, stage, layer), title, caption,
                   STAGE[stage].page, "histogram", group=stage, layer=layer),
        lambda dark: draw_with("plots", "histogram", results, stage, layer, dark=dark),
        lambda: tables.histogram_table(*stage_view(results, stage, layer)[:2]),
    )
