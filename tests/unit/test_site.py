"""The pure parts of the site on a hand-made run (``handmade.fake_results``): formats,
placeholders, tables, facts, claims, the names table, the catalog, the explorer's data."""

from __future__ import annotations

import copy
import re

import pytest
from handmade import fake_results

from pruning_pipeline.figures.catalog import catalog
from pruning_pipeline.figures.spec import FigureInfo
from pruning_pipeline.formatting import fmt_pct, format_value
from pruning_pipeline.names import STAGE, STAGE_TABLE, layers_of
from pruning_pipeline.results import GLOBAL, STAGES
from pruning_pipeline.site import claims, tables
from pruning_pipeline.site.published import publish
from pruning_pipeline.site.explorer import explorer_data
from pruning_pipeline.site.markdown import explorer_block
from pruning_pipeline.site.facts import derive_facts
from pruning_pipeline.site.glue import page_index
from pruning_pipeline.site.placeholders import PlaceholderError, SiteRenderer, resolve_figure
from pruning_pipeline.site.versions import Publication


@pytest.fixture
def metrics() -> dict:
    return copy.deepcopy(fake_results().metrics)


# ---------------------------------------------------------------------------- formats


def test_formats_never_round_a_survivor_away():
    assert format_value(0.999954, "pct:2") == "99.995%"
    assert format_value(1.0, "pct:2") == "100.00%"
    assert format_value(0.0, "pct") == "0.0%"
    assert format_value(215418, "int") == "215,418"
    assert format_value(0.4, "tau") == "0.4"
    with pytest.raises(KeyError, match="unknown format 'percent'"):
        format_value(0.5, "percent")


def test_captions_and_pages_write_a_percentage_the_same_way():
    """An accuracy of 99.96% must not read 100.0% in a caption."""
    results = fake_results()
    results.metrics["stages"]["post"]["accuracy"] = 0.9996
    info = next(i for i in catalog(results) if i.stem == "at-prune-0.4-ffnn")
    assert f"test accuracy {fmt_pct(0.9996)}." in info.caption and "99.96%" in info.caption
    renderer = SiteRenderer(metrics=results.metrics, catalog=[])
    assert renderer.render("{{ stages.post.accuracy | pct }}", "a.md") == "99.96%"


# ------------------------------------------------------------------------ placeholders


def test_unknown_placeholder_names_page_and_path(metrics):
    renderer = SiteRenderer(metrics=metrics, catalog=[])
    assert renderer.render("x {{ stages.post.accuracy | pct:1 }} y", "a.md") == "x 90.0% y"
    with pytest.raises(PlaceholderError, match=r"b\.md: .*stages\.post\.acc .*no 'acc' under stages\.post"):
        renderer.render("{{ stages.post.acc }}", "b.md")
    with pytest.raises(PlaceholderError, match="no claim 'nope'"):
        renderer.render("{{ claim: nope }}", "c.md")
    with pytest.raises(PlaceholderError, match="no table 'nope'"):
        renderer.render("{{ table: nope }}", "c.md")
    assert renderer.render("\\{{ literal }}", "d.md") == "{{ literal }}"


def test_a_pages_mistake_is_a_placeholder_error_and_a_bug_raises_as_it_is(metrics, monkeypatch):
    renderer = SiteRenderer(metrics=metrics, catalog=[])
    warned = []
    assert renderer.render("{{ config.model | pct }}", "a.md", on_error=warned.append) == "{{ config.model | pct }}"
    assert warned and "format 'pct' needs a number" in warned[0]  # a text where a number belongs: the page's
    def broken(*args):
        raise ValueError("a bug in a table builder")
    monkeypatch.setattr(tables, "table_stages", broken)
    with pytest.raises(ValueError, match="a bug in a table builder"):  # not turned into a warning
        renderer.render("{{ table: stages }}", "a.md", on_error=warned.append)


@pytest.mark.parametrize("table", ["stages", "stats post", "config", "manifest", "schema", "figures",
                                   "compression", "sensitivity", "sweep", "dynamics",
                                   "threshold-vs-percentile", "build", "collapse"])
def test_every_table_renders_through_its_placeholder(table):
    results = fake_results()
    metrics = publish(results.metrics)
    renderer = SiteRenderer(metrics=metrics, catalog=catalog(results))
    text = renderer.render(f"{{{{ table: {table} }}}}", "reproduce/index.md")
    lines = text.splitlines()
    assert "{{" not in text and len(lines) >= 3
    if table != "figures":
        assert lines[1].startswith("| :--") and all(line.startswith("|") for line in lines)


def test_figure_alias_follows_the_configured_threshold():
    figures = [FigureInfo(stem, "t", "c", "p", "histogram") for stem in (
        "at-prune-0.2-ffnn", "at-prune-0.2-cls-head", "at-prune-0.2",
        "percentile-20-ffnn", "threshold-inside-the-training-loop-cls")]
    layers = {"prunable_layers": ["ffnn1", "cls_head"]}
    config = {"config": {"model": "reference", "tau_post": 0.2, "percentile": 20.0}, **layers}
    assert resolve_figure("post/ffnn", figures, config).stem == "at-prune-0.2-ffnn"
    assert resolve_figure("post/cls-head", figures, config).stem == "at-prune-0.2-cls-head"
    assert resolve_figure("post/global", figures, config).stem == "at-prune-0.2"
    assert resolve_figure("percentile/ffnn", figures, config).stem == "percentile-20-ffnn"
    assert resolve_figure("in-loop/cls-head", figures, config).stem == "threshold-inside-the-training-loop-cls"
    assert resolve_figure("at-prune-0.2", figures, config).stem == "at-prune-0.2"
    with pytest.raises(KeyError, match="at-prune-0.4-ffnn"):
        resolve_figure("post/ffnn", figures, {"config": {"model": "reference", "tau_post": 0.4, "percentile": 20.0},
                                              **layers})
    with pytest.raises(KeyError, match="no stage 'later'"):
        resolve_figure("later/ffnn", figures, config)


def test_figure_placeholder_gives_a_figure_with_both_palettes_and_downloads(metrics):
    renderer = SiteRenderer(metrics=metrics, catalog=catalog(fake_results()))
    block = renderer.render("{{ figure: post/ffnn }}", "visualizations/post-training-pruning.md")
    assert '<figure markdown="span" id="at-prune-0.4-ffnn">' in block
    assert "(../static/at-prune-0.4-ffnn.png#only-light)" in block
    assert "(../static/at-prune-0.4-ffnn-dark.png#only-dark)" in block
    assert [ext for ext in ("PNG", "SVG", "PDF", "CSV") if f"[{ext}](" in block] == ["PNG", "SVG", "PDF", "CSV"]


def test_figures_carry_their_absolute_url_when_the_site_url_is_known(metrics):
    figures = catalog(fake_results())
    with_url = SiteRenderer(metrics=metrics, catalog=figures, publication=Publication("https://example.org/site/"))
    without = SiteRenderer(metrics=metrics, catalog=figures)
    page = "visualizations/post-training-pruning.md"
    assert with_url.render("{{ url: post/ffnn }}", page) == "https://example.org/site/static/at-prune-0.4-ffnn.png"
    assert without.render("{{ url: post/ffnn }}", page) == "static/at-prune-0.4-ffnn.png"
    block = with_url.render("{{ figure: post/ffnn }}", page)
    assert "permalink <code>https://example.org/site/static/at-prune-0.4-ffnn.png</code></span>" in block


def test_a_versioned_site_gives_each_figure_its_versions_permalink_and_the_newest_ones_url(metrics):
    publication = Publication("https://example.org/site/", "0.1.0-abc")
    renderer = SiteRenderer(metrics=metrics, catalog=catalog(fake_results()), publication=publication)
    page = "visualizations/post-training-pruning.md"
    permalink = "https://example.org/site/0.1.0-abc/static/at-prune-0.4-ffnn.png"
    assert renderer.render("{{ url: post/ffnn }}", page) == permalink
    block = renderer.render("{{ figure: post/ffnn }}", page)
    assert (f"permalink <code>{permalink}</code> · newest version "
            "<code>https://example.org/site/latest/static/at-prune-0.4-ffnn.png</code>") in block


def test_page_index_maps_ids_to_sources():
    assert page_index(["index.md", "reproduce/index.md", "figures.md", "percentile-pruning.ipynb"]) == {
        "index": "index.md", "reproduce": "reproduce/index.md", "figures": "figures.md",
        "percentile-pruning": "percentile-pruning.ipynb"}


# ------------------------------------------------------------------------------ tables


def _cells(table: str) -> list[list[str]]:
    """Body cells of a Markdown pipe table, escaped pipes restored."""
    rows = [re.split(r"(?<!\\)\|", line.strip()[1:-1]) for line in table.splitlines()[2:]]
    return [[cell.strip().replace("\\|", "|") for cell in row] for row in rows]


def test_stats_table_has_a_column_per_layer_and_the_numbers_of_the_stage(metrics):
    metrics["stages"]["post"]["layers"]["ffnn1"]["zeros"] = 123_456
    rows = {row[0]: row[1:] for row in _cells(tables.table_stats(metrics, "post"))}
    assert rows["exact zeros"][0] == "123,456"
    assert len(rows["weights"]) == len(fake_results().layer_keys)
    assert rows["share with |w| < 0.4"] == [fmt_pct(0.99, "2")] * len(fake_results().layer_keys)


def test_stages_table_links_each_stage_to_its_page(metrics):
    pages = {STAGE[s].page: f"{STAGE[s].page}.md" for s in STAGES}
    rows = _cells(tables.table_stages(metrics, "index.md", pages))
    assert [row[0] for row in rows] == [f"[{STAGE[s].title}]({STAGE[s].page}.md)" for s in STAGES]
    assert all(row[1] == "90.0%" for row in rows)


def test_sweep_table_keeps_the_knee_and_the_configured_tau(metrics):
    notes = [row[-1] for row in _cells(tables.table_sweep(metrics, {}))]
    assert "knee" in notes and "nearest to configured τ" in notes


def test_warnings_block_is_empty_without_warnings_and_lists_them_otherwise(metrics):
    assert tables.warnings_block(metrics) == ""
    metrics["warnings"] = ["tau_post=0.4 zeroes 99.72% of ffnn1"]
    assert "    - tau_post=0.4 zeroes 99.72% of ffnn1" in tables.warnings_block(metrics)


# --------------------------------------------------------------------- facts and claims


def test_facts_derive_kept_shares_and_drops(metrics):
    facts = derive_facts(metrics)
    assert facts["post"]["kept"]["ffnn1"] == pytest.approx(1 - 0.99)
    assert facts["init"]["fan_in"] == {"ffnn1": 768, "cls_head": 256}
    assert facts["knee"]["tau"] == metrics["sweep"]["taus"][2]


def test_every_claim_is_judged_on_a_complete_run(metrics):
    judged = claims.evaluate(metrics)
    assert set(judged) == set(claims.CLAIMS)
    assert all(c["verdict"] and c["finding"] for c in judged.values())


def test_verdicts_follow_the_numbers(metrics):
    """Change the numbers, and the verdicts flip: no page text can lie about them."""
    metrics["stages"]["post"]["accuracy"] = metrics["stages"]["trained"]["accuracy"]
    assert claims.evaluate(metrics)["post_final_model"]["verdict"] == "confirmed"
    metrics["stages"]["post"]["accuracy"] = metrics["stages"]["trained"]["accuracy"] - 0.2
    assert claims.evaluate(metrics)["post_final_model"]["verdict"] == "refuted"
    for layer in ("ffnn1", "cls_head"):
        metrics["stages"]["init"]["layers"][layer]["kurtosis"] = 0.05
    assert claims.evaluate(metrics)["init_gaussian"]["verdict"] == "confirmed"
    metrics["stages"]["init"]["layers"]["ffnn1"]["kurtosis"] = -1.2
    assert claims.evaluate(metrics)["init_gaussian"]["verdict"] == "partly confirmed"


@pytest.mark.parametrize("path, claim", [
    (("stages", "init", "layers", "ffnn1", "kurtosis"), "init_gaussian"),
    (("compression", "stages", "post", "csr_bytes"), None),  # a fact needs it first
])
def test_a_missing_input_fails_naming_the_claim_and_the_key(metrics, path, claim):
    node = metrics
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    error = claims.ClaimInputError if claim else KeyError
    with pytest.raises(error, match=re.escape(".".join(path))) as caught:
        publish(metrics)
    if claim:
        assert f"claim '{claim}'" in str(caught.value)


# ------------------------------------------------------------------- names and catalog


def test_the_names_table_names_every_stage_and_the_models_layers():
    assert tuple(STAGE) == STAGES
    assert tuple(layers_of(fake_results().metrics)) == ("ffnn1", "cls_head", GLOBAL)
    assert len({s.alias for s in STAGE_TABLE}) == len(STAGE_TABLE)


def test_catalog_pages_and_titles_come_from_the_names_table():
    results = fake_results()
    infos = {i.stem: i for i in catalog(results)}
    ffnn1 = layers_of(results.metrics)["ffnn1"]
    for stage in STAGE_TABLE:
        stem = stage.figure_stem(ffnn1, {"tau_post": 0.4, "percentile": 20.0})
        assert infos[stem].page == stage.page
        assert infos[stem].title == f"{ffnn1.title}, {stage.phrase}"


# ---------------------------------------------------------------------------- explorer


def test_explorer_data_is_the_sweep_with_a_histogram_per_tau():
    results = fake_results()
    data = explorer_data(results, publish(results.metrics))
    sweep = results.metrics["sweep"]
    assert data["taus"] == sweep["taus"] and data["accuracy"] == sweep["accuracy"]
    assert [layer["key"] for layer in data["layers"]] == list(results.layer_keys)
    for layer in data["layers"]:
        key, count = layer["key"], layer["count"]
        assert len(data["counts"][key]) == len(sweep["taus"])
        for i, row in enumerate(data["counts"][key]):
            assert len(data["edges"][key]) == len(row) + 1
            assert sum(row) + data["zeros"][key][i] == count  # every weight: a survivor or a zero
            assert data["zeros"][key][i] / count == pytest.approx(sweep["sparsity"][key][i])
            assert data["labels"]["zeros"][key][i] == f"{data['zeros'][key][i]:,}"
    # every readout comes written by the site's formatter: the browser computes none
    labels = data["labels"]
    assert labels["accuracy"] == [fmt_pct(a) for a in sweep["accuracy"]] and labels["baseline"] == fmt_pct(
        sweep["baseline_accuracy"])
    for i, accuracy in enumerate(sweep["accuracy"]):
        drop = sweep["baseline_accuracy"] - accuracy
        assert labels["drop"][i] == ("0 points" if drop == 0 else f"{fmt_pct(drop)[:-1]} points" if drop > 0
                                     else f"−{fmt_pct(-drop)[:-1]} points (gain)")


@pytest.mark.parametrize("page, src", [
    ("explore.md", "../static/explorer.json"),
    ("visualizations/post-training-pruning.md", "../../static/explorer.json"),
    ("index.md", "static/explorer.json"),
    ("reproduce/index.md", "../static/explorer.json"),
])
def test_explorer_block_points_at_the_json_from_where_the_page_is_served(page, src):
    block = explorer_block("full", page)
    assert f'data-src="{src}"' in block and " hidden" in block
    with pytest.raises(KeyError, match="no explorer mode 'big'"):
        explorer_block("big", page)


def test_build_table_lists_each_phase_its_source_and_the_total(metrics):
    rows = _cells(tables.table_build(metrics))
    assert rows == [["results", "0.07 s", "cache"], ["figures", "1.50 s", "computed"], ["total", "1.57 s", ""]]
