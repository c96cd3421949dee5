"""A warm rebuild (nothing changed) against the same site built without the pipeline
(not a test; a ratio of medians, the two builds interleaved).

    python benchmarks/bench_warm_build.py [--rounds 5]

"Without the pipeline" is a copy of the site's sources whose pages are already rendered
(every placeholder replaced, exactly as the plugin does), with the published
``static/`` files and the generated notebook copied in, built by the same MkDocs with
the same plugins minus the pruning plugin (its nav, extensions, styles and scripts
written into the config). The difference between the two is what
the pipeline costs a rebuild: imports, cache lookups, publishing, rendering placeholders.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

import yaml

from pruning_pipeline.site import templates
from pruning_pipeline.site.glue import site_renderer
from site_build import ROOT, build_env, build_seconds



def build(cwd: Path, site: Path) -> float:
    return build_seconds(site, build_env(), cwd)


def bare_copy(built: Path, target: Path) -> None:
    """The site's sources with every page pre-rendered and the pipeline removed."""
    shutil.copytree(ROOT / "pruning_pipeline" / "site" / "pages", target / "docs")
    shutil.copytree(ROOT / "docs", target / "docs", dirs_exist_ok=True)
    static = built / "static"
    shutil.copytree(static, target / "docs" / "static")
    shutil.copy(built / "percentile-pruning" / "percentile-pruning.ipynb", target / "docs")
    for folder in ("pruning_pipeline", ".cache/mkdocs-jupyter"):  # API reference; notebook cache
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, target / folder)
    pages = [p.relative_to(target / "docs").as_posix() for p in (target / "docs").rglob("*.md")]
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    renderer = site_renderer(json.loads((static / "metrics.json").read_text()),
                             json.loads((static / "figures.json").read_text()),
                             pages + ["percentile-pruning.ipynb"], config.get("site_url"))
    for page in pages:
        path = target / "docs" / page
        path.write_text(renderer.render(path.read_text(), page))
    # what the plugin adds to a build, written out: nav, Markdown extensions, styles, scripts
    config["plugins"] = [p for p in config["plugins"] if not (isinstance(p, dict) and "pruning" in p)]
    config.pop("watch")
    config["nav"] = templates.site_nav(None, pages, notebook=True)[0]
    config["markdown_extensions"] = [{name: options} for name, options in templates.MARKDOWN_EXTENSIONS.items()]
    config["extra_css"], config["extra_javascript"] = list(templates.EXTRA_CSS), list(templates.EXTRA_JAVASCRIPT)
    (target / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build(ROOT, tmp / "warm")  # makes sure the cache is warm (may train once)
        bare_copy(tmp / "warm", tmp / "bare")
        warm, bare = [], []
        for _ in range(args.rounds):
            warm.append(build(ROOT, tmp / "warm"))
            bare.append(build(tmp / "bare", tmp / "bare-site"))
    w, b = statistics.median(warm), statistics.median(bare)
    print(f"warm rebuild {w:.2f} s, same site without the pipeline {b:.2f} s (medians of {args.rounds})")
    print(f"warm / without: {w / b:.2f} (target <= 1.25)")


if __name__ == "__main__":
    main()
