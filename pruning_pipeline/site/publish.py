"""The files a build publishes under ``static/``: every figure file, ``metrics.json``
(the run's metrics with the derived facts and the checked claims), ``figures.json``
(the catalog, with each file's permalink, its newest version's URL and the run id) and ``explorer.json`` (the τ
explorer's data). The MkDocs build and ``python -m pruning_pipeline figures`` both write
exactly these, so a figure taken from either is the same file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Iterator

from ..figures.catalog import catalog
from ..figures.export import cached_figures, render_cached
from ..report import Report
from ..results import METRICS_FILE, Results
from .published import publish
from .explorer import EXPLORER_FILE, explorer_data
from .versions import Publication

CATALOG_FILE = "figures.json"


def published_files(results: Results, publication: Publication = Publication(),
                    report: Report | None = None) -> Iterator[tuple[str, bytes]]:
    """(file name, content) of every published file, figures first; URLs in
    ``figures.json`` are ``publication``'s (absolute when it knows the site's URL), and
    ``metrics.json`` says where it is published and what changed. With a ``report``,
    the figures phase is timed into it and its phases so far go into ``metrics.json``'s
    manifest as ``build``."""
    report = Report() if report is None else report
    with report.phase("figures", cached=render_cached(results)):
        source = cached_figures(results)
    figures = catalog(results)
    for info in figures:
        for name in info.files():
            yield name, (source / name).read_bytes()
    metrics = publish(results.metrics)
    metrics["manifest"] = {**metrics["manifest"], "build": report.to_list(), "build_jobs": [{"kind": kind, **row} for kind, row in report.jobs.items()]}
    metrics["publication"] = publication.summary(metrics["config"], metrics["manifest"]["package_version"])
    yield METRICS_FILE, json.dumps(metrics, indent=1, sort_keys=True).encode()
    entries = [{**asdict(info), "formats": list(info.formats), "run_id": results.run_id,
                "urls": {name: publication.permalink(name) for name in info.files()},
                "latest_urls": {name: publication.latest(name) for name in info.files()} if publication.version else {}}
               for info in figures]
    yield CATALOG_FILE, json.dumps(entries, indent=1).encode()
    yield EXPLORER_FILE, json.dumps(explorer_data(results, metrics), separators=(",", ":")).encode()
