"""The MkDocs plugin ``pruning`` (``plugins: [search, pruning]``): any project that
installs the package gets the site.

A `GenFilesPlugin`, so mkdocs-gen-files stays the mechanism that injects generated
files: ``on_files`` runs the lifecycle (a cache hit when nothing changed), writes the
figures, ``metrics.json`` and the pages (package data, `templates`) through gen-files'
`FilesEditor` (a page the project has in its own ``docs/`` wins), then any gen-files
``scripts`` of the project. ``on_page_markdown`` fills the placeholders; an unknown
name is a warning, so a ``--strict`` build fails. The run's options are the plugin's own, over ``extra.pruning``,
under ``PRUNING_<OPTION>`` variables.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs_gen_files.config_items import ListOfFiles
from mkdocs_gen_files.editor import FilesEditor
from mkdocs_gen_files.plugin import GenFilesPlugin

from .. import __version__, api
from ..keys.code import source_digest
from ..config import PipelineError, make_config
from ..imports import project_on_path
from ..keys.code import user_modules
from ..results import METRICS_FILE
from ..config.sources import config_values, run_options
from . import templates
from .glue import build_report, notebook_for_run, site_renderer
from .deployed import previous_deploy
from .publish import published_files
from .versions import VERSION_VARIABLE, Publication, unversioned_root

log = logging.getLogger("mkdocs.plugins.pruning")

IMPORTED_OPTIONS = ("model", "dataset")  # options that may name the project's own code

class PruningPlugin(GenFilesPlugin):
    """``pruning`` in ``plugins``: every option of the run, plus gen-files' ``scripts``."""

    config_scheme = (("scripts", ListOfFiles()),)

    def load_config(self, options, config_file_path=None):
        """The run's options are taken as written, not by MkDocs' scheme: `make_config`
        validates them in `on_config`, so a typo fails with its one-line error."""
        options = dict(options)
        self.run_values = {key: options.pop(key) for key in list(options) if key != "scripts"}
        return super().load_config(options, config_file_path)

    # -- configuration ------------------------------------------------------------
    @event_priority(-50)  # after mike's own plugin, which appends the version to site_url
    def on_config(self, config):
        self.publication = _publication(config)  # the figures' permalinks use it
        if self.publication.root and self.publication.site_url:
            config.site_url = self.publication.root
        if self.publication.version and config.theme.name == "material" and "version" not in config.extra:
            config.extra["version"] = {"provider": "mike", "alias": True}  # Material's version selector
        # a model or dataset named by an import string is found beside mkdocs.yml
        project_on_path(Path(config.config_file_path or ".").resolve().parent)
        try:
            self.run_config = make_config(config_values(
                run_options(config.extra.get("pruning"), self.run_values), os.environ))
        except PipelineError as err:
            raise PluginError(str(err)) from None
        log.debug("pruning-pipeline %s from %s", __version__, Path(__file__).parents[1])
        self.notebook = "mkdocs-jupyter" in config.plugins
        self.mkdocstrings = "mkdocstrings" in config.plugins
        self.own_nav = config.nav
        for name, options in templates.MARKDOWN_EXTENSIONS.items():  # a project's own settings win
            if name not in config.markdown_extensions:
                config.markdown_extensions.append(name)
            config.mdx_configs.setdefault(name, options)
        for listed, wanted in ((config.extra_css, templates.EXTRA_CSS),
                               (config.extra_javascript, templates.EXTRA_JAVASCRIPT)):
            listed.extend(path for path in wanted if path not in {str(entry) for entry in listed})
        return config

    def on_pre_build(self, config):
        build_report(new=True)
        self.rendering = self.converting = 0.0  # seconds on placeholders, on the notebook
        self.notebook_started = None

    # -- the generated files ------------------------------------------------------
    @event_priority(50)  # before mkdocs-jupyter's on_files, which must see the notebook
    def on_files(self, files, config):
        own = {file.src_uri: file for file in files}
        self.generated = tempfile.TemporaryDirectory(prefix="pruning_pipeline_")
        try:
            with FilesEditor(files, config, self.generated.name) as editor:
                metrics, figures = self._publish(editor, own, config)
            files = editor.files
        except PipelineError as err:
            if api.debugging():
                raise
            raise PluginError(str(err)) from None
        files = super().on_files(files, config)  # the project's own gen-files scripts
        self.pages_started = time.perf_counter()
        sources = [file.src_uri for file in files]
        self.renderer = site_renderer(metrics, figures, sources, self.publication, config.use_directory_urls,
                                      templates.section_texts())
        config.nav, placed = templates.site_nav(
            self.own_nav, [f.src_uri for f in files if f.src_uri.endswith(".md") and f.inclusion.is_in_nav()],
            self.notebook)
        if not placed:
            log.info("the nav has no entry '%s', so the study's pages are built but not listed",
                     templates.NAV_MARKER)
        return files

    def _publish(self, editor: FilesEditor, own: dict, config) -> tuple[dict, list]:
        """Run (or reuse) the lifecycle; write static/, the pages the project lacks and the
        notebook. Returns the published metrics.json and figures.json."""
        report = build_report()
        results = api.run(self.run_config, progress=True, report=report)
        published = dict(published_files(results, self.publication, report))
        with report.phase("publish"):
            # The notebook's bytes carry the run, so mkdocs-jupyter never serves stale outputs;
            # metrics.json also carries this build's timings, which must not re-execute it.
            digest = hashlib.sha256(f"{results.run_id}:{source_digest('pruning_pipeline.site')}".encode())
            for name, data in published.items():
                if name != METRICS_FILE:
                    digest.update(name.encode() + data)
                with editor.open(f"static/{name}", "wb") as out:
                    out.write(data)
            for path, resource in templates.template_files().items():
                if path == templates.NOTEBOOK:
                    source = Path(own[path].abs_src_path).read_text() if path in own else resource.read_text()
                    notebook = notebook_for_run(json.loads(source), results.run_id, digest.hexdigest()[:16])
                    with editor.open(path, "w") as out:
                        json.dump(notebook, out, indent=1)
                elif path not in own:
                    with editor.open(path, "wb") as out:
                        out.write(templates.page_bytes(path, resource, self.mkdocstrings))
        # the notebook reads this run through PRUNING_RESULTS_DIR (its kernel inherits it)
        os.environ["PRUNING_RESULTS_DIR"] = str(Path(results.entry_dir).resolve())
        return json.loads(published[METRICS_FILE]), json.loads(published["figures.json"])

    # -- the pages ----------------------------------------------------------------
    def on_page_markdown(self, markdown, page, config, files):
        if page.file.src_uri.endswith(".ipynb"):
            self.notebook_started = time.perf_counter()  # mkdocs-jupyter converts it next, in page.render
            return markdown  # its numbers come from its own code
        start = time.perf_counter()
        try:  # an unknown name is a warning: --strict fails, mkdocs serve goes on
            return self.renderer.render(markdown, page.file.src_uri, on_error=log.warning)
        finally:
            self.rendering += time.perf_counter() - start

    def on_page_content(self, html, page, config, files):
        if self.notebook_started is not None:  # set for a notebook only; pages render one at a time
            self.converting += time.perf_counter() - self.notebook_started
            self.notebook_started = None
        return super().on_page_content(html, page, config, files)

    @event_priority(-100)  # after every other plugin's post_build, as gen-files' own
    def on_post_build(self, config):
        """The build's time per phase, and what came from the cache, as its last lines."""
        report = build_report()
        report.add("placeholders", self.rendering)
        report.add("notebook", self.converting)
        report.add("pages", time.perf_counter() - self.pages_started - self.rendering - self.converting)
        log.info("where this build's time went:\n%s", report.table())
        super().on_post_build(config)
        self.generated.cleanup()

    def on_build_error(self, error):
        """A failed build (a serve rebuild goes on) leaves no generated files behind."""
        if getattr(self, "generated", None) is not None:
            self.generated.cleanup()

    def on_serve(self, server, config, builder):
        """Watch the project's own model and dataset code (the files it imports too):
        editing them rebuilds, and retrains. The cache lives outside every watched path."""
        for option in IMPORTED_OPTIONS:
            value = getattr(self.run_config, option)
            if isinstance(value, str) and ":" in value:
                for path in user_modules(value).values():
                    server.watch(str(path))
        return server


def _publication(config) -> Publication:
    """Where this build is published: ``SITE_URL`` or ``site_url`` (less the version
    mike's plugin appends), the version ``mike deploy`` builds, and the version it
    deployed before, read from the pages branch (MkDocs' ``remote_branch``)."""
    version = os.environ.get(VERSION_VARIABLE) or None
    root = unversioned_root(os.environ.get("SITE_URL") or config.site_url, version)
    if not version:
        return Publication(root)
    mike = config.plugins.get("mike")
    prefix = mike.config.get("deploy_prefix", "") if mike is not None else ""
    previous = previous_deploy(Path(config.config_file_path or ".").resolve().parent, config.remote_branch,
                               config.remote_name, prefix, version)
    return Publication(root, version, previous)
