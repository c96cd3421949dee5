"""MkDocs hook: render every page's named placeholders with this build's run.

Reads what ``scripts/gen_pages.py`` published (``static/metrics.json`` and
``static/figures.json``), so a number on a page and the number in ``metrics.json``
are the same number. An unknown name fails the build.
"""

import json
import logging
import os
import time

from mkdocs.exceptions import PluginError

from pruning_pipeline.site.glue import build_report, site_renderer
from pruning_pipeline.site.placeholders import PlaceholderError

_renderer = None
_pages_started = 0.0
_rendering = 0.0  # seconds spent on placeholders in this build
_notebook = 0.0  # seconds mkdocs-jupyter spent converting (and running) notebooks
_notebook_started = None
log = logging.getLogger("mkdocs.hooks.pruning")


def _read_json(files, path):
    file = files.get_file_from_path(path)
    if file is None:
        raise PluginError(f"{path} is missing: scripts/gen_pages.py did not publish the run")
    return json.loads(file.content_string)


def on_config(config):
    """``SITE_URL`` overrides ``site_url`` for one build (the stable figure URLs use it)."""
    if os.environ.get("SITE_URL"):
        config.site_url = os.environ["SITE_URL"].rstrip("/") + "/"
    return config


def on_pre_build(config):
    global _rendering, _notebook
    build_report(new=True)
    _rendering = _notebook = 0.0


def on_files(files, config):
    global _renderer, _pages_started
    _pages_started = time.perf_counter()
    _renderer = site_renderer(_read_json(files, "static/metrics.json"), _read_json(files, "static/figures.json"),
                              (f.src_uri for f in files), config.site_url, config.use_directory_urls)


def on_page_markdown(markdown, page, config, files):
    global _rendering, _notebook_started
    if page.file.src_uri.endswith(".ipynb"):
        _notebook_started = time.perf_counter()  # mkdocs-jupyter converts it next, in page.render
        return markdown  # its numbers come from its own code
    start = time.perf_counter()
    try:
        return _renderer.render(markdown, page.file.src_uri)
    except PlaceholderError as err:
        raise PluginError(str(err)) from None
    finally:
        _rendering += time.perf_counter() - start


def on_page_content(html, page, config, files):
    global _notebook, _notebook_started
    if _notebook_started is not None:  # set for a notebook only; MkDocs renders one page at a time
        _notebook += time.perf_counter() - _notebook_started
        _notebook_started = None
    return html


def on_post_build(config):
    """The build's time per phase, and what came from the cache, as its last lines."""
    report = build_report()
    report.add("placeholders", _rendering)
    report.add("notebook", _notebook)
    report.add("pages", time.perf_counter() - _pages_started - _rendering - _notebook)
    log.info("where this build's time went:\n%s", report.table())

