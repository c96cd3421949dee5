"""The numbers a page of the built site shows are the run's: each is the mean in
metrics.json to the digits shown, with ± the spread of the seeds' own values where they
differ (the quick profile's site has two seeds)."""

from __future__ import annotations

import re
import statistics
from html import unescape

import pytest

from page_reading import assert_shown, first_seed, read_csv, seed_values, table_rows, text_of
from pruning_pipeline.seeds.value import per_seed

pytestmark = pytest.mark.site


def test_home_summary_table_matches_metrics(site, metrics):
    rows = table_rows(site / "index.html")
    titles = {"Initialization": "init", "Before pruning (trained)": "trained",
              "Threshold inside the training loop": "in_loop", "Post-training pruning": "post",
              "Percentile pruning": "percentile"}
    seen = set()
    for row in rows:
        if row and row[0] in titles:
            stage = titles[row[0]]
            data = metrics["stages"][stage]
            assert_shown(row[1], data["accuracy"], seed_values(metrics, "stages", stage, "accuracy"))
            for cell, layer in zip(row[3:6], ("ffnn1", "cls_head", "global")):
                assert_shown(cell, data["layers"][layer]["sparsity"],
                             seed_values(metrics, "stages", stage, "layers", layer, "sparsity"))
            seen.add(stage)
    assert seen == set(titles.values())


@pytest.mark.parametrize("page, stage", [
    ("visualizations/initialization", "init"),
    ("visualizations/before-pruning", "trained"),
    ("visualizations/threshold-inside-the-training-loop", "in_loop"),
    ("visualizations/post-training-pruning", "post"),
])
def test_stage_statistics_tables_match_metrics(site, metrics, page, stage):
    rows = {row[0]: row[1:] for row in table_rows(site / page / "index.html") if row}
    layers = metrics["stages"][stage]["layers"]
    for label, key in (("weights", "count"), ("exact zeros", "zeros"), ("sparsity", "sparsity")):
        for cell, layer in zip(rows[label], ("ffnn1", "cls_head", "global")):
            assert_shown(cell, layers[layer][key], seed_values(metrics, "stages", stage, "layers", layer, key))


def test_post_training_page_shows_the_measured_accuracy(site, metrics):
    html = (site / "visualizations" / "post-training-pruning" / "index.html").read_text()
    shown = re.search(r'<span id="post-accuracy">([^<]+)</span>', html).group(1)
    assert_shown(unescape(shown), metrics["stages"]["post"]["accuracy"], seed_values(metrics, "stages", "post", "accuracy"))
    tau = f"{metrics['config']['tau_post']:g}"
    assert f"τ = {tau}" in text_of(site / "visualizations" / "post-training-pruning" / "index.html")


def test_methods_page_shows_every_method_at_every_target(site, metrics):
    from pruning_pipeline.names import METHOD_LABEL

    page = site / "methods-at-the-same-sparsity" / "index.html"
    html = unescape(page.read_text())
    assert "methods-at-matched-sparsity.png" in html
    methods = metrics["methods"]
    rows = [row for row in table_rows(page) if row and row[0] in METHOD_LABEL.values()]
    assert [row[0] for row in rows] == list(METHOD_LABEL.values())
    for name, row in zip(METHOD_LABEL, rows):
        for i, (cell, value) in enumerate(zip(row[1:], methods["accuracy"][name], strict=True)):
            if value is None:
                assert cell == "—", name
            else:
                values = seed_values(metrics, "methods", "accuracy", name)
                assert_shown(cell, value, values[i] if values else None)
    assert metrics["claims"]["matched_sparsity"]["verdict"] in html
    _, csv_rows = read_csv(site / "static" / "methods-at-matched-sparsity.csv")  # one row per seed
    seeds = len(metrics.get("seeds", {}).get("seeds", [0]))
    assert len(csv_rows) == seeds * sum(v is not None for series in methods["accuracy"].values() for v in series)
    accuracy: dict = {}
    for name, target, _, value, *_ in csv_rows:
        accuracy.setdefault((name, float(target)), []).append(float(value))
    for name, series in methods["accuracy"].items():
        for target, value in zip(methods["targets"], series):
            assert value is None or statistics.fmean(accuracy[(name, target)]) == pytest.approx(value), (name, target)
    loop_page = (site / "visualizations" / "threshold-inside-the-training-loop" / "index.html").read_text()
    assert "methods-at-the-same-sparsity/" in loop_page


def test_captions_quote_the_first_seed_then_the_seeds_spread(site, metrics, catalog):
    """A figure drawn from the first seed says so, quotes that seed's own numbers, and
    then the same numbers as the seeds' mean ± sd; the methods figure, drawn from every
    seed, quotes the mean ± sd of the unpruned accuracy."""
    seeds = len(metrics["seeds"]["seeds"])
    first = first_seed(metrics)
    assert all(f"{seeds} seeds" in entry["caption"] for entry in catalog), "every caption counts the seeds"
    histograms = [entry for entry in catalog if entry["kind"] == "histogram"]
    assert len(histograms) == 12
    for entry in histograms:
        stage, layer = entry["group"], entry["layer"] or "global"
        own, rest = entry["caption"].split(f" Drawn from seed {metrics['seeds']['seeds'][0]}; over the {seeds} seeds: ")
        accuracy = re.search(r"test accuracy ([\d.]+%)\.$", own).group(1)
        assert_shown(accuracy, first["stages"][stage]["accuracy"], None)
        sparsity, accuracy = re.fullmatch(r"sparsity (.+), test accuracy (.+)\.", rest).groups()
        assert_shown(sparsity, metrics["stages"][stage]["layers"][layer]["sparsity"],
                     seed_values(metrics, "stages", stage, "layers", layer, "sparsity"))
        assert_shown(accuracy, metrics["stages"][stage]["accuracy"], seed_values(metrics, "stages", stage, "accuracy"))
    methods = next(entry for entry in catalog if entry["stem"] == "methods-at-matched-sparsity")
    dense = re.search(r"Unpruned: (.+?)\.(?: |$)", methods["caption"]).group(1)
    assert_shown(dense, metrics["methods"]["dense_accuracy"], seed_values(metrics, "methods", "dense_accuracy"))


def test_methods_page_says_what_fine_tuning_added_at_every_target(site, metrics):
    """Each one-shot method's gain at each target is the mean over the seeds of that
    seed's own fine-tuned minus as-pruned accuracy, ± their sd, in points."""
    rows: dict = {}
    for row in table_rows(site / "methods-at-the-same-sparsity" / "index.html"):
        if row:
            rows.setdefault(row[0], row[1:])  # the fine-tuning table comes before the collapse table
    seeds = len(metrics["seeds"]["seeds"])
    own = [per_seed(metrics, metrics["seeds"]["values"], i)["methods"]["accuracy"] for i in range(seeds)]
    for name, label in (("global", "one global ranking"), ("layer", "each layer ranked on its own"),
                        ("random", "random pruning")):
        cells = rows[label]
        assert len(cells) == len(metrics["methods"]["targets"]), label
        for i, cell in enumerate(cells):
            gains = [100 * (accuracy[f"{name}_finetuned"][i] - accuracy[name][i]) for accuracy in own]
            sign = -1 if cell.startswith("-") else 1
            assert cell[0] in "+-", cell
            assert_shown(cell[1:], sign * statistics.fmean(gains), gains)


def test_rebuild_commands_quote_a_threshold_of_the_published_sweep(site, metrics):
    """The commands that rebuild at the knee name one plain τ: the published sweep's knee."""
    sweep = metrics["sweep"]
    for page in ("purpose", "reproduce"):
        tau = re.search(r"PRUNING_TAU_POST=(\S+) mkdocs build", text_of(site / page / "index.html")).group(1)
        assert float(tau) == pytest.approx(sweep["taus"][sweep["knee_index"]], rel=1e-2), page
        assert sweep["taus"][sweep["knee_index"]] == sweep["knee_tau"]
