"""The site's pages as package data (``site/pages/``, read with `importlib.resources`),
the navigation they make, and the starter files of ``pruning-pipeline init``.

A project that only installs the package gets every page from here; a file of the
same path in its own ``docs/`` wins. No MkDocs here: the plugin is the glue.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Iterator

PAGES = files("pruning_pipeline.site") / "pages"
SECTIONS = files("pruning_pipeline.site") / "sections"  # a page's part shown only where the run has it
NOTEBOOK = "percentile-pruning.ipynb"  # rendered by mkdocs-jupyter where a build has it
NAV_MARKER = "pruning:pages"  # in a project's own nav: the entry whose value this is holds the pages

# The study's pages in reading order, as MkDocs reads a nav.
NAV: list[Any] = [
    {"Home": "index.md"},
    {"Motivation": "motivation.md"},
    {"Visualizations": [
        "visualizations/index.md",
        {"Initialization": "visualizations/initialization.md"},
        {"Before pruning": "visualizations/before-pruning.md"},
        {"Threshold inside the training loop": "visualizations/threshold-inside-the-training-loop.md"},
        {"Post-training pruning": "visualizations/post-training-pruning.md"},
    ]},
    {"Diagnosis": [
        {"What the visuals reveal": "what-the-visuals-reveal.md"},
        {"Training dynamics": "training-dynamics.md"},
        {"Methods at the same sparsity": "methods-at-the-same-sparsity.md"},
        {"Compression payoff": "compression-payoff.md"},
        {"Explore τ": "explore.md"},
        {"Percentile pruning": NOTEBOOK},
    ]},
    {"About": [
        {"Purpose": "purpose.md"},
        {"Use your own model": "own-model.md"},
        {"Figures": "figures.md"},
        {"Reproduce": [
            "reproduce/index.md",
            {"Configuration": "reproduce/configuration.md"},
            {"metrics.json": "reproduce/metrics-json.md"},
        ]},
        {"API reference": "api-reference.md"},
        {"License": "license.md"},
    ]},
]

EXTRA_CSS = ("stylesheets/extra.css", "stylesheets/tau-explorer.css")
EXTRA_JAVASCRIPT = ("javascripts/tau-explorer.js", "javascripts/figure-gallery.js")

# Markdown extensions the pages are written with: name -> its options.
MARKDOWN_EXTENSIONS: dict[str, dict] = {
    "admonition": {}, "attr_list": {}, "md_in_html": {}, "tables": {}, "footnotes": {},
    "toc": {"permalink": True}, "pymdownx.details": {}, "pymdownx.superfences": {},
}


def template_files() -> dict[str, Traversable]:
    """Every file of the site's templates by its path in ``docs/`` (posix, relative)."""
    def walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
        for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
            if item.is_dir():
                yield from walk(item, f"{prefix}{item.name}/")
            elif not item.name.startswith("."):
                yield f"{prefix}{item.name}", item
    return dict(walk(PAGES, ""))


def section_texts() -> dict[str, str]:
    """The optional sections a page pulls in (``{{ section: name }}``), by name."""
    return {item.name.removesuffix(".md"): item.read_text(encoding="utf-8") for item in SECTIONS.iterdir()
            if item.name.endswith(".md")}


API_REFERENCE = "api-reference.md"
API_REFERENCE_WITHOUT_MKDOCSTRINGS = """\
# API reference

The package documents its API in numpy-style docstrings. Add the `mkdocstrings`
plugin with its Python handler (`pip install "mkdocstrings[python]"`) to this site's
`mkdocs.yml` and they are rendered on this page.
"""


def page_bytes(path: str, resource: Traversable, mkdocstrings: bool) -> bytes:
    """A template's contents for a build (or an eject): the API reference is rendered by
    mkdocstrings, so without it the page says how to add it instead."""
    if path == API_REFERENCE and not mkdocstrings:
        return API_REFERENCE_WITHOUT_MKDOCSTRINGS.encode()
    return resource.read_bytes()


def nav_paths(nav: Any) -> Iterator[str]:
    """Every page path a nav names, in order."""
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from nav_paths(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from nav_paths(value)


def _without(nav: Any, dropped: set[str]) -> Any:
    if isinstance(nav, list):
        kept = [_without(item, dropped) for item in nav]
        return [item for item in kept if item is not None]
    if isinstance(nav, dict):
        (title, value), = nav.items()
        value = _without(value, dropped)
        return None if value is None or value == [] else {title: value}
    return None if nav in dropped else nav


def study_nav(notebook: bool, home: bool = True) -> list[Any]:
    """The study's nav; without the notebook page where the build cannot render it, and
    without the home page when it goes into a project's own nav (its index is its own)."""
    dropped = set() if notebook else {NOTEBOOK}
    return _without(NAV, dropped | (set() if home else {"index.md"}))


def site_nav(own_nav: list | None, pages: list[str], notebook: bool) -> tuple[list, bool]:
    """The nav of a build, and whether it holds the study's pages.

    Without a nav of its own a project gets the study's, followed by its own other
    pages; with one, each entry whose value is `NAV_MARKER` becomes the study's pages
    as a section under that entry's title (a nav without it keeps the pages out).
    """
    if own_nav is None:
        listed = set(nav_paths(NAV))
        return study_nav(notebook) + [page for page in pages if page not in listed], True

    found = False

    def place(item: Any) -> Any:
        nonlocal found
        if isinstance(item, dict):
            (title, value), = item.items()
            if value == NAV_MARKER:
                found = True
                return {title: study_nav(notebook, home=False)}
            return {title: place(value)}
        if isinstance(item, list):
            return [place(entry) for entry in item]
        return item

    placed = place(own_nav)
    return placed, found


INIT_CONFIG = """\
# A site that is an experiment: `mkdocs build` trains the model below, prunes it and
# publishes the measurements on the pages of the pruning-pipeline plugin.
site_name: {site_name}
theme:
  name: material
  font: false            # no Google Fonts: the site builds and reads offline

plugins:
  - search
  - pruning:
      # The run behind the site; every option is on the Configuration page. Unset
      # options take the profile's defaults; PRUNING_PROFILE=quick for a short preview.
      model: reference     # or package.module:callable returning your nn.Module
      dataset: mnist-5k    # the embedded 5,000 MNIST images, or package.module:callable
      tau_post: 0.4
"""

INIT_INDEX = """\
# {site_name}

This site is an experiment: every build trains the model `{{{{ model.name }}}}`, prunes its weights
by magnitude and publishes what happened. After training at τ = {{{{ config.tau_post | tau }}}}
the model keeps {{{{ stages.post.accuracy | pct }}}} test accuracy with
{{{{ stages.post.layers.global.sparsity | pct }}}} of its pruned weights zero.

{{{{ table: stages }}}}

{{{{ table: changes }}}}

Start with [Motivation](motivation.md), or see [every figure](figures.md). This page is
yours: edit it, and any page of the study you copy into `docs/` (`pruning-pipeline init
--eject`) replaces the one the plugin provides.
"""
