"""mkdocs-gen-files entry: run the pruning lifecycle and publish what the pages show.

Glue only. Runs through ``runpy`` on every build (and every ``mkdocs serve`` reload),
so there is no ``__main__`` guard; an unchanged config is a cache hit and trains nothing.
Writes ``static/`` (every figure file, ``metrics.json``, ``figures.json``) and the
notebook page, whose bytes carry the run so mkdocs-jupyter never serves stale outputs.
"""

import hashlib
import json
import os
from pathlib import Path

import mkdocs_gen_files
from mkdocs.exceptions import PluginError

from pruning_pipeline import api
from pruning_pipeline.cache import source_digest
from pruning_pipeline.config import PipelineError, make_config
from pruning_pipeline.sources import config_values
from pruning_pipeline.imports import project_on_path
from pruning_pipeline.results import METRICS_FILE
from pruning_pipeline.site.glue import build_report, notebook_for_run
from pruning_pipeline.site.publish import published_files

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "percentile-pruning.ipynb"

# A model or dataset named by an import string is found beside mkdocs.yml, as
# `python -m` finds it in the current directory.
project_on_path(Path(mkdocs_gen_files.config.config_file_path or ".").resolve().parent)

try:  # a failure the user can act on is one line (PRUNING_DEBUG=1 for the traceback)
    config = make_config(config_values(mkdocs_gen_files.config["extra"].get("pruning"), os.environ))
    report = build_report()
    results = api.run(config, progress=True, report=report)
    published = list(published_files(results, mkdocs_gen_files.config["site_url"], report))
except PipelineError as err:
    if api.debugging():
        raise
    raise PluginError(str(err)) from None

with report.phase("publish"):  # writing the files and the notebook into the site
    # What the notebook shows depends on the run, the published figures and the site's code;
    # metrics.json also carries this build's timings, which must not re-execute it.
    digest = hashlib.sha256(f"{results.run_id}:{source_digest('pruning_pipeline.site')}".encode())
    for name, data in published:
        if name != METRICS_FILE:
            digest.update(name.encode() + data)
        with mkdocs_gen_files.open(f"static/{name}", "wb") as out:
            out.write(data)

    # The notebook reads this run through PRUNING_RESULTS_DIR (its kernel inherits the
    # environment); the injected id and digest change its bytes whenever the run changes.
    os.environ["PRUNING_RESULTS_DIR"] = str(Path(results.entry_dir).resolve())
    notebook = notebook_for_run(json.loads(NOTEBOOK.read_text()), results.run_id, digest.hexdigest()[:16])
    with mkdocs_gen_files.open("percentile-pruning.ipynb", "w") as out:
        json.dump(notebook, out, indent=1)
