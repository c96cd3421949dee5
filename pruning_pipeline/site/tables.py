"""The tables pages show, built from the published metrics: statistics per stage, the
stages side by side, sweep, sensitivity, dynamics, compression, threshold vs
percentile, the figure directory and the run's warnings. Pure: metrics in, Markdown out."""

from __future__ import annotations

from typing import Any, Mapping

from ..figures.spec import DARK_FORMATS, FigureInfo
from ..formatting import fmt_bytes, fmt_fixed, fmt_int, fmt_ms, fmt_pct, fmt_ratio, fmt_seconds, fmt_sig, signed_pp
from ..names import METHOD_LABEL, ONE_SHOT_RANKINGS, RANKING_LABEL, STAGE
from ..results import GLOBAL
from ..results import STAGES as STAGE_ORDER
from ..seeds.value import Seeds
from .markdown import md_table, relative
from .versions import Publication

COLUMN_LAYERS = 4  # pruned layers shown as columns, one each; beyond, one row per layer


def _wide(metrics: Mapping[str, Any]) -> bool:
    """Too many layers for a column each: tables turn them into rows or show ``global``."""
    return len(metrics["prunable_layers"]) > COLUMN_LAYERS


def _column_layers(metrics: Mapping[str, Any]) -> list[str]:
    """The layers a table gives a column each: all of them and ``global``, or only
    ``global`` when there are many (the per-layer table then has a row each)."""
    return [GLOBAL] if _wide(metrics) else [*metrics["prunable_layers"], GLOBAL]

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
    keys = [*metrics["prunable_layers"], GLOBAL]

    def cell(layer: str, key: str) -> str:
        # Shape statistics of a constant layer (all weights zero) do not exist; over seeds,
        # one that is undefined in some seed is (the first seed's value, `spread.combine`).
        if layers[layer][key] is None or (key in ("skew", "kurtosis") and layers[layer]["std"] == 0):
            return "undefined"
        return _stat(layers[layer][key], key)

    taus = sorted(layers[GLOBAL].get("below_tau", {}), key=float)
    columns = [(label, lambda layer, key=key: cell(layer, key)) for key, label in STAT_ROWS]
    columns += [(f"share with |w| < {tau}", lambda layer, tau=tau: fmt_pct(layers[layer]["below_tau"][tau], "2"))
                for tau in taus]
    if _wide(metrics):  # a row per layer
        return md_table(["layer"] + [label for label, _ in columns],
                        [[f"`{layer}`"] + [value(layer) for _, value in columns] for layer in keys])
    return md_table(["statistic"] + [f"`{name}`" for name in keys],
                    [[label] + [value(layer) for layer in keys] for label, value in columns])


def table_layers(metrics: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    """One row per pruned layer: what it is, and what each kind of pruning did to it."""
    model, stages = metrics["model"]["layers"], metrics["stages"]
    headers = ["layer", "type", "weight shape", "weights", "init bound ±1/√fan-in", "trained std",
               "post sparsity", "in-loop sparsity", "percentile sparsity", "tolerates alone"]
    rows = [[f"`{layer}`", model[layer]["type"], " × ".join(map(str, model[layer]["shape"])),
             fmt_int(model[layer]["weights"]), fmt_sig(facts["init"]["bound"][layer], "3"),
             fmt_sig(stages["trained"]["layers"][layer]["std"], "3")]
            + [fmt_pct(stages[s]["layers"][layer]["sparsity"], "2") for s in ("post", "in_loop", "percentile")]
            + [fmt_pct(facts["tolerance"][layer], "1")]
            for layer in metrics["prunable_layers"]]
    return md_table(headers, rows, "ll" + "r" * (len(headers) - 2))


def table_stages(metrics: Mapping[str, Any], page: str, pages: Mapping[str, str]) -> str:
    """One row per stage: accuracy, loss, sparsity of each layer, linked to its page."""
    keys = _column_layers(metrics)
    headers = ["stage", "test accuracy", "test loss"] + [f"sparsity `{layer}`" for layer in keys]
    rows = []
    for stage in STAGE_ORDER:
        data = metrics["stages"][stage]
        name = STAGE[stage].title
        target = pages.get(STAGE[stage].page)
        label = f"[{name}]({relative(page, target)})" if target else name
        rows.append(
            [label, fmt_pct(data["accuracy"]), fmt_fixed(data["loss"])]
            + [fmt_pct(data["layers"][layer]["sparsity"], "2") for layer in keys]
        )
    return md_table(headers, rows)


def table_figures(catalog: list[FigureInfo], page: str, pages: Mapping[str, str], publication: Publication) -> str:
    """The figure directory: preview, permalink (and newest version's URL), downloads and
    where it is shown."""
    out = []
    for fig in catalog:
        url = lambda name: relative(page, f"static/{name}")  # noqa: E731
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
            f"- **Permalink:** `{publication.permalink(fig.stem + '.png')}`",
            *([f"- **Newest version:** `{publication.latest(fig.stem + '.png')}`"] if publication.version else []),
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
            STAGE[stage].short, fmt_int(s["nonzeros"]), fmt_bytes(s["dense_bytes"]), fmt_bytes(s["csr_bytes"]),
            fmt_bytes(s["bitmask_bytes"]), fmt_ms(s["dense_latency_ms"], "3"), fmt_ms(s["sparse_latency_ms"], "3"),
            fmt_ratio(s["sparse_vs_dense_latency"]),
        ])
    return md_table(headers, rows)


def table_sensitivity(metrics: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    sens = metrics["sensitivity"]
    layers = list(sens["accuracy"])
    if _wide(metrics):  # a row per layer, at a few sparsities
        shown = [i for i, s in enumerate(sens["sparsities"]) if s in SENSITIVITY_COLUMNS]
        headers = ["layer pruned alone"] + [f"accuracy at {fmt_pct(sens['sparsities'][i], '1')}" for i in shown] \
            + ["largest sparsity within one point"]
        rows = [[f"`{layer}`"] + [fmt_pct(sens["accuracy"][layer][i]) for i in shown]
                + [fmt_pct(facts["tolerance"][layer], "1")] for layer in layers]
        return md_table(headers, rows)
    headers = ["sparsity of one layer"] + [f"accuracy, only `{layer}` pruned" for layer in layers]
    rows = [[fmt_pct(s, "0")] + [fmt_pct(sens["accuracy"][layer][i]) for layer in layers]
            for i, s in enumerate(sens["sparsities"])]
    return md_table(headers, rows)


SENSITIVITY_COLUMNS = (0.5, 0.8, 0.9, 0.95, 0.99)  # with a row per layer


def table_methods(metrics: Mapping[str, Any]) -> str:
    """Test accuracy of each method (a row) at each target sparsity (a column)."""
    methods = metrics["methods"]
    headers = ["method"] + [f"at {fmt_pct(t, '0')}" for t in methods["targets"]]
    rows = [[label] + ["—" if v is None else fmt_pct(v) for v in methods["accuracy"][name]]
            for name, label in METHOD_LABEL.items()]
    return md_table(headers, rows, "l" + "r" * len(methods["targets"]))


def table_finetuning(metrics: Mapping[str, Any]) -> str:
    """What fine-tuning added to each one-shot prune (a row) at each target (a column),
    in points of test accuracy: fine-tuned minus as pruned, per seed, then combined."""
    methods, added = metrics["methods"], metrics["facts"]["methods"]["finetune_added"]
    rows = [[RANKING_LABEL[ranking]] + [signed_pp(gain) for gain in added[ranking]]
            for ranking in ONE_SHOT_RANKINGS]
    return md_table(["fine-tuning added (points)"] + [f"at {fmt_pct(t, '0')}" for t in methods["targets"]], rows,
                    "l" + "r" * len(methods["targets"]))


def table_collapse(metrics: Mapping[str, Any]) -> str:
    """Per ranking and pruned layer (a row), at each target (a column): the layer's
    sparsity and its dead units, output units left without a weight (over seeds, the
    lowest to the highest count)."""
    methods = metrics["methods"]

    def cell(series: Mapping[str, Any], i: int, units: int) -> str:
        dead = series["dead_units"][i]
        if dead is None:
            return "—"
        count = f"{fmt_int(dead.low)}–{fmt_int(dead.high)}" if isinstance(dead, Seeds) else fmt_int(dead)
        return f"{fmt_pct(series['sparsity'][i])} · {count} of {units:,} dead"

    rows = [[label, f"`{layer}`"] + [cell(series, i, methods["units"][layer]) for i in range(len(methods["targets"]))]
            for ranking, label in RANKING_LABEL.items() for layer, series in methods["layers"][ranking].items()]
    return md_table(["ranking", "layer"] + [f"at {fmt_pct(t, '0')}" for t in methods["targets"]], rows,
                    "ll" + "r" * len(methods["targets"]))


def table_sweep(metrics: Mapping[str, Any], facts: Mapping[str, Any], limit: int = 14) -> str:
    """A readable subset of the threshold sweep, always with the configured τ and the knee."""
    sweep = metrics["sweep"]
    n = len(sweep["taus"])
    keep = set(range(0, n, max(1, n // limit))) | {n - 1, sweep["configured_index"], sweep["knee_index"]}
    layers = _column_layers(metrics)
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
    layers = _column_layers(metrics)
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
    g, lw = tvp["global_threshold"], tvp["layerwise_percentile"]
    if _wide(metrics):  # a row per layer, the accuracies first
        rows = [["test accuracy", "", fmt_pct(g["accuracy"]), "", fmt_pct(lw["accuracy"])]]
        rows += [[f"`{layer}`", fmt_sig(g["threshold"], "3"), fmt_pct(g["sparsity"][layer], "2"),
                  fmt_sig(lw["thresholds"][layer], "3") if layer in lw["thresholds"] else "",
                  fmt_pct(lw["sparsity"][layer], "2")] for layer in [*metrics["prunable_layers"], GLOBAL]]
        return md_table(["layer", "global τ", "sparsity under global τ", "per-layer τ",
                         "sparsity under per-layer percentile"], rows)
    keys = _column_layers(metrics)
    headers = ["rule", "threshold(s)", "test accuracy"] + [f"sparsity `{layer}`" for layer in keys]
    rows = [
        ["one global threshold", fmt_sig(g["threshold"], "3"), fmt_pct(g["accuracy"])]
        + [fmt_pct(g["sparsity"][layer], "2") for layer in keys],
        ["same percentile per layer",
         ", ".join(f"`{k}` {fmt_sig(v, '3')}" for k, v in lw["thresholds"].items()), fmt_pct(lw["accuracy"])]
        + [fmt_pct(lw["sparsity"][layer], "2") for layer in keys],
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


def table_build(metrics: Mapping[str, Any]) -> str:
    """Seconds per phase of the build that published this page, and what was reused."""
    phases = metrics["manifest"]["build"]
    rows = [[p["phase"].replace("_", " "), fmt_seconds(p["seconds"], "2"), "cache" if p["cached"] else "computed"]
            for p in phases]
    rows.append(["total", fmt_seconds(sum(p["seconds"] for p in phases), "2"), ""])
    jobs = [[row["kind"], f"{row['run']:,}", f"{row['reused']:,}", fmt_seconds(row["seconds"], "2")]
            for row in metrics["manifest"].get("build_jobs", [])]
    return md_table(["phase", "time", "source"], rows, "lrl") + (
        "\n\n" + md_table(["training jobs", "run", "reused", "time summed"], jobs, "lrrr") if jobs else "")

