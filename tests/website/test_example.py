"""The example project of a user's own model (``examples/strokes-mlp``): a second site
built strict from the same pages on the quick profile, with five pruned layers, so the
pages take the shape a large model gives them (galleries that page, a row per layer)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, serving
from page_reading import read_csv

pytestmark = pytest.mark.site

EXAMPLE = ROOT / "examples" / "strokes-mlp"
LAYERS = ["front.0", "mlp.1", "mlp.3", "mlp.5", "mlp.7"]  # Conv2d then the four Linear layers of strokes.py


@pytest.fixture(scope="module")
def example_site(build_example) -> Path:
    return build_example(EXAMPLE.name)


@pytest.fixture(scope="module")
def example_metrics(example_site) -> dict:
    return json.loads((example_site / "static" / "metrics.json").read_text())


def test_the_example_prunes_its_own_layers(example_metrics):
    import torch

    from pruning_pipeline.imports import project_on_path

    project_on_path(EXAMPLE)
    import strokes

    model = strokes.build(hidden=96)
    assert example_metrics["model"]["name"] == "strokes:build"
    assert example_metrics["prunable_layers"] == LAYERS
    modules = dict(model.named_modules())
    for layer in LAYERS:  # each layer's weight count, from the model itself
        expected = modules[layer].weight.numel()
        assert example_metrics["model"]["layers"][layer]["weights"] == expected
        assert example_metrics["stages"]["trained"]["layers"][layer]["count"] == expected
    assert example_metrics["manifest"]["dataset"]["classes"] == len(strokes.DIRECTIONS)
    assert isinstance(model(torch.zeros(2, 1, 16, 16)), torch.Tensor)


def test_figures_are_named_from_the_layer_names(example_site, example_metrics):
    stems = {entry["stem"] for entry in json.loads((example_site / "static" / "figures.json").read_text())}
    tau = f"{example_metrics['config']['tau_post']:g}"
    for slug in ("front-0", "mlp-1", "mlp-3", "mlp-5", "mlp-7"):
        assert {f"initialization-{slug}", f"at-prune-{tau}-{slug}", f"in-loop-dynamics-{slug}",
                f"threshold-inside-the-training-loop-{slug}", f"stage-comparison-{slug}"} <= stems
    for layer, slug in zip(LAYERS, ("front-0", "mlp-1", "mlp-3", "mlp-5", "mlp-7")):
        header, rows = read_csv(example_site / "static" / f"before-pruning-distribution-{slug}.csv")
        total = sum(int(row[header.index("count")]) for row in rows)
        assert total == example_metrics["model"]["layers"][layer]["weights"]


def test_pages_name_no_reference_layer_and_show_every_layer(example_site):
    for html in example_site.rglob("*.html"):
        if {"own-model", "configuration", "api-reference"} & set(html.parts):  # they document the code
            continue
        text = html.read_text()
        assert not re.search(r"\bffnn1\b|\bcls_head\b", text), html
    page = (example_site / "visualizations" / "initialization" / "index.html").read_text()
    items = re.findall(r'class="figure-gallery__item" data-layer="([^"]+)"', page)
    assert items == LAYERS  # the gallery holds every layer, in model order
    # more than four layers: the statistics table has a row per layer, plus global
    table = page[page.index("<table"):page.index("</table>")]
    assert [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>", table)] \
        == [*LAYERS, "global"]


def test_the_own_model_page_is_built(example_site):
    page = (example_site / "own-model" / "index.html").read_text()
    assert "strokes:build" in page and "invalid config:" in page


@pytest.mark.browser
def test_a_gallery_pages_through_the_layers(example_site, open_page):
    with serving(example_site) as url:
        host = url.split("//", 1)[1]
        context, page, errors, foreign = open_page(f"{url}/visualizations/post-training-pruning/", host)
        gallery = page.locator(".figure-gallery").first
        visible = lambda: [item.get_attribute("data-layer")  # noqa: E731
                           for item in gallery.locator(".figure-gallery__item").all() if item.is_visible()]
        assert visible() == LAYERS[:4]
        gallery.get_by_role("button", name="next →").click()
        assert visible() == [LAYERS[4], "global"]
        gallery.locator("select").select_option(label="mlp.3")
        assert "mlp.3" in visible()
        context.close()
        assert not errors and not foreign, (errors, foreign)


def test_the_example_is_built_by_the_installed_package(example_site, installed_package):
    """The build outside the repository imported the package from its wheel, whose
    page templates (package data) made the pages: no docs/ was copied."""
    log = (example_site / "build.log").read_text()
    used = re.search(r"pruning-pipeline \S+ from (\S+)", log)
    installed = Path(used.group(1)) if used else None
    assert installed and installed.is_relative_to(installed_package.parents[1]), log[-2000:]  # not the repository
    assert (installed / "site" / "pages" / "own-model.md").is_file()
    assert sorted(p.name for p in (EXAMPLE / "docs").iterdir()) == ["strokes.md"]  # none of the study's pages
    assert (example_site / "own-model" / "index.html").is_file()
    own = (example_site / "strokes" / "index.html").read_text()  # the project's own page, its numbers filled
    assert "The strokes and the network" in own and "{{" not in own and "2,000 training" in own
