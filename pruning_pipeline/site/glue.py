"""Inputs of a site build: the page index, the notebook rewritten to name this run, and
the build's report (the options come from `pruning_pipeline.config.config_values`).
Pure; the MkDocs plugin (`plugin`) calls these."""

from __future__ import annotations

import json
from typing import Any, Iterable

from ..figures.spec import FigureInfo
from ..report import Report
from ..seeds.value import read
from .placeholders import SiteRenderer
from .versions import Publication

def page_index(sources: Iterable[str]) -> dict[str, str]:
    """Page id -> source path, for every Markdown or notebook page."""
    out: dict[str, str] = {}
    for src in sorted(sources):
        for ext in ("/index.md", ".md", ".ipynb"):
            if src.endswith(ext):
                out.setdefault(src[: -len(ext)] or "index", src)
                break
    return out


def site_renderer(metrics: dict, figures: list[dict[str, Any]], sources: Iterable[str], publication: Publication,
                  directory_urls: bool = True, sections: dict[str, str] | None = None) -> SiteRenderer:
    """What fills a build's placeholders: its published ``metrics.json`` (a number that
    differs across seeds as a `Spread`, which prints as mean ± sd) and ``figures.json``,
    the page sources (Markdown and notebooks) it links between, where it is published,
    and the texts of the optional sections (`templates.section_texts`)."""
    return SiteRenderer(
        metrics=read(metrics),
        catalog=[FigureInfo.from_mapping(entry) for entry in figures],
        pages=page_index(src for src in sources if src.endswith((".md", ".ipynb"))),
        publication=publication,
        directory_urls=directory_urls,
        sections=sections or {},
    )


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


_BUILD_REPORT = Report()


def build_report(new: bool = False) -> Report:
    """The report of the build in progress, shared by the plugin's events (which start it
    and add the pages) and the lifecycle (which adds the run and the figures)."""
    global _BUILD_REPORT
    if new:
        _BUILD_REPORT = Report()
    return _BUILD_REPORT

