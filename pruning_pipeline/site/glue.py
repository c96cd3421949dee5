"""Inputs of a site build: the run's options from ``mkdocs.yml`` and the environment,
the page index, and the notebook rewritten to name this run. Pure; the MkDocs scripts
in ``scripts/`` call these."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from ..config import Config
from ..report import Report

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


_BUILD_REPORT = Report()


def build_report(new: bool = False) -> Report:
    """The report of the build in progress, shared by the MkDocs hook (which starts it
    and adds the pages) and the gen-files script (which adds the run and the figures)."""
    global _BUILD_REPORT
    if new:
        _BUILD_REPORT = Report()
    return _BUILD_REPORT

