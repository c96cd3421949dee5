"""The site for a model with many pruned layers, and for a layer whose weights are all
equal: figures, galleries, sentences, tables and claims on hand-made runs."""

from __future__ import annotations

import copy
import re

import pytest
from handmade import fake_results

from pruning_pipeline.figures.catalog import catalog
from pruning_pipeline.formatting import fmt_pct
from pruning_pipeline.names import layers_of
from pruning_pipeline.results import GLOBAL
from pruning_pipeline.site import claims
from pruning_pipeline.site.facts import derive_facts
from pruning_pipeline.site.placeholders import PlaceholderError, SiteRenderer
from pruning_pipeline.site.published import publish


@pytest.fixture
def many():
    from handmade import many_layers

    return fake_results(layers=many_layers(12))


def test_many_layers_get_a_figure_each_named_from_their_slug(many):
    infos = catalog(many)
    stems = {info.stem for info in infos}
    for i in range(12):
        assert {f"initialization-blocks-{i}-fc", f"at-prune-0.4-blocks-{i}-fc",
                f"in-loop-dynamics-blocks-{i}-fc", f"stage-comparison-blocks-{i}-fc"} <= stems
    assert len(stems) == len(infos)  # no two figures share a name
    posts = [info.layer for info in infos if info.group == "post"]
    assert posts == [*many.layers, GLOBAL]


def test_slugs_stay_unique_when_names_collide():
    metrics = {"prunable_layers": ["a.b", "a_b", "A-B"], "config": {"model": "m:f"}}
    assert [layer.slug for layer in layers_of(metrics).values()] == ["a-b", "a-b-2", "a-b-3", "global"]


def test_a_gallery_of_many_layers_pages_and_a_few_simply_follow(many):
    rendered = SiteRenderer(many.metrics, catalog(many)).render("{{ gallery: post }}", "p.md")
    items = re.findall(r'class="figure-gallery__item" data-layer="([^"]+)"', rendered)
    assert items == [*many.layers, GLOBAL]
    few = fake_results()
    plain = SiteRenderer(few.metrics, catalog(few)).render("{{ gallery: in-loop }}", "p.md")
    assert "figure-gallery" not in plain and plain.count("<figure") == len(few.layers)
    with pytest.raises(PlaceholderError, match="no gallery 'later'"):
        SiteRenderer(few.metrics, catalog(few)).render("{{ gallery: later }}", "p.md")


def test_each_names_every_layer_or_the_range_across_many(many):
    few = fake_results()
    facts = derive_facts(few.metrics)
    text = SiteRenderer({**few.metrics, "facts": facts}, []).render("{{ each: facts.post.kept | pct:2 }}", "p.md")
    assert text == f"{fmt_pct(facts['post']['kept']['ffnn1'], '2')} (`ffnn1`) and " \
                   f"{fmt_pct(facts['post']['kept']['cls_head'], '2')} (`cls_head`)"
    starred = SiteRenderer(many.metrics, []).render("{{ each: model.layers.*.weights | int }}", "p.md")
    weights = {layer: many.metrics["model"]["layers"][layer]["weights"] for layer in many.layers}
    low, high = min(weights, key=weights.get), max(weights, key=weights.get)
    assert starred == f"{weights[low]:,} (`{low}`) to {weights[high]:,} (`{high}`) across 12 layers"


def test_tables_give_many_layers_a_row_each(many):
    facts = derive_facts(many.metrics)
    metrics = {**many.metrics, "facts": facts}
    for spec in ("stats post", "layers", "sensitivity", "threshold-vs-percentile"):
        table = SiteRenderer(metrics, []).render(f"{{{{ table: {spec} }}}}", "p.md")
        first_cells = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
        assert [cell for cell in first_cells if cell.startswith("`blocks")] == [f"`{l}`" for l in many.layers], spec
    stages = SiteRenderer(metrics, []).render("{{ table: stages }}", "p.md")
    assert "blocks.0.fc" not in stages and "sparsity `global`" in stages  # one column, not thirteen


def test_claims_read_over_many_layers(many):
    judged = claims.evaluate(many.metrics)
    assert all(claim["verdict"] for claim in judged.values())
    assert "across 12 layers" in judged["init_dense"]["finding"]


def test_a_constant_layer_is_judged_without_failing_and_stays_valid_json():
    """A layer whose weights are all equal (zero-initialised, or wiped out) has no
    skewness, kurtosis or std ratio: claims say so instead of crashing."""
    import json

    metrics = copy.deepcopy(fake_results().metrics)
    for stage in ("init", "trained"):
        metrics["stages"][stage]["layers"]["cls_head"].update(std=0.0, skew=None, kurtosis=None, min=0.0, max=0.0)
    published = publish(metrics)
    assert published["facts"]["trained"]["std_ratio"]["cls_head"] is None
    json.dumps(published, allow_nan=False)  # no NaN leaks into metrics.json
    finding = published["claims"]["init_gaussian"]["finding"]
    assert "undefined (`cls_head`)" in finding
    assert published["claims"]["init_symmetric"]["verdict"] != "confirmed"
