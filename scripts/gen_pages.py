"""mkdocs-gen-files entry: run the pruning lifecycle and publish what the pages show.

Glue only. Runs through ``runpy`` on every build (and every ``mkdocs serve`` reload),
so there is no ``__main__`` guard; an unchanged config is a cache hit and trains nothing.
Writes ``static/`` (every figure file, ``metrics.json``, ``figures.json``) and the
notebook page, whose bytes carry the run so mkdocs-jupyter never serves stale outputs.
"""

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

import mkdocs_gen_files
from mkdocs.exceptions import PluginError

from pruning_pipeline import api, claims, figures
from pruning_pipeline.config import ConfigError, make_config
from pruning_pipeline.placeholders import Figure, config_values, notebook_for_run

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "percentile-pruning.ipynb"

try:
    config = make_config(config_values(mkdocs_gen_files.config["extra"].get("pruning"), os.environ))
except ConfigError as err:
    raise PluginError(str(err)) from None

results = api.run(config, progress=True)
catalog = figures.catalog(results)
source = figures.cached_figures(results)
digest = hashlib.sha256()

entries = [{**asdict(info), "formats": list(info.formats)} for info in catalog]
for entry in entries:
    for name in Figure.from_mapping(entry).files():
        data = (source / name).read_bytes()
        digest.update(name.encode() + data)
        with mkdocs_gen_files.open(f"static/{name}", "wb") as out:
            out.write(data)

published = json.dumps(claims.publish(results.metrics), indent=1, sort_keys=True)
digest.update(published.encode())
with mkdocs_gen_files.open("static/metrics.json", "w") as out:
    out.write(published)
with mkdocs_gen_files.open("static/figures.json", "w") as out:
    json.dump(entries, out, indent=1)

# The notebook reads this run through PRUNING_RESULTS_DIR (its kernel inherits the
# environment); the injected id and digest change its bytes whenever the run changes.
run_dir = results.entry_dir
if run_dir is None:
    run_dir = Path(tempfile.mkdtemp(prefix="pruning-run-"))
    results.save(run_dir)
os.environ["PRUNING_RESULTS_DIR"] = str(Path(run_dir).resolve())
notebook = notebook_for_run(json.loads(NOTEBOOK.read_text()), results.run_id, digest.hexdigest()[:16])
with mkdocs_gen_files.open("percentile-pruning.ipynb", "w") as out:
    json.dump(notebook, out, indent=1)
