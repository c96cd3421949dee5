"""The ``pruning`` plugin in a project of its own, as ``pruning-pipeline init`` starts
one: it builds strict at once, a page of the project's own wins over the plugin's, a
placeholder typo fails with one line, and a nav of its own takes the study as a section."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, mkdocs_env

pytestmark = pytest.mark.site

CACHE = str(ROOT / ".cache" / "pruning")  # the same run as the repository's quick build: reused


def init(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pruning_pipeline", "init", *args], env=mkdocs_env(),
                          capture_output=True, text=True, timeout=120)


def nav_titles(html: str) -> list[str]:
    return re.findall(r'<span class="md-ellipsis">\s*(.*?)\s*</span>', html)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("projects") / "my-study"
    done = init(str(folder))
    assert done.returncode == 0 and "wrote 2 files" in done.stdout, done.stderr
    return folder


@pytest.fixture(scope="module")
def project_site(project, build_site, tmp_path_factory) -> Path:
    site_dir = tmp_path_factory.mktemp("my-study-site")
    result = build_site(site_dir, cwd=project, PRUNING_CACHE_DIR=CACHE)
    assert result.returncode == 0, result.stderr[-4000:]
    assert not re.search(r"^WARNING", result.stderr, flags=re.M), result.stderr[-3000:]
    return site_dir


def test_an_initialised_project_builds_the_whole_site(project, project_site):
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) == \
        ["docs/index.md", "mkdocs.yml"]  # the build wrote nothing into the project but its cache
    metrics = json.loads((project_site / "static" / "metrics.json").read_text())
    home = (project_site / "index.html").read_text()  # the project's own index, its numbers filled
    post = metrics["stages"]["post"]
    assert "{{" not in home and f"{100 * post['accuracy']:.1f}%" in home
    for page in ("motivation", "visualizations/initialization", "own-model", "reproduce/configuration"):
        assert (project_site / page / "index.html").is_file(), page
    titles = nav_titles(home)
    assert titles.index("Motivation") < titles.index("Initialization") < titles.index("License")
    assert (project_site / "percentile-pruning.ipynb").is_file()  # no notebook plugin: a download
    assert "mkdocstrings" in (project_site / "api-reference" / "index.html").read_text()


def test_init_refuses_to_overwrite_with_one_line(project):
    before = (project / "mkdocs.yml").read_text()
    done = init(str(project))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "init would overwrite" in done.stderr and "--force" in done.stderr
    assert (project / "mkdocs.yml").read_text() == before


def test_a_placeholder_typo_is_a_warning_that_fails_a_strict_build(project, build_site, tmp_path):
    broken = tmp_path / "broken"
    (broken / "docs").mkdir(parents=True)
    (broken / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text())
    (broken / "docs" / "index.md").write_text("# T\n\n{{ stages.post.acuracy | pct }}\n")
    strict = build_site(tmp_path / "strict", cwd=broken, PRUNING_CACHE_DIR=CACHE)
    lenient = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d", str(tmp_path / "lenient")], cwd=broken,
                             env=mkdocs_env(PRUNING_CACHE_DIR=CACHE), capture_output=True, text=True, timeout=600)
    for result in (strict, lenient):
        warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
        assert len(warnings) == 1 and "index.md" in warnings[0] and "stages.post.acuracy" in warnings[0] \
            and "no 'acuracy' under stages.post" in warnings[0], result.stderr[-3000:]
        assert "Traceback" not in result.stderr
    assert strict.returncode != 0 and "in strict mode" in strict.stdout + strict.stderr
    assert lenient.returncode == 0  # mkdocs serve goes on the same way; the page shows the placeholder
    assert "{{ stages.post.acuracy | pct }}" in (tmp_path / "lenient" / "index.html").read_text()


def test_a_typo_in_the_plugins_options_fails_with_one_line(project, build_site, tmp_path):
    typo = tmp_path / "typo"
    (typo / "docs").mkdir(parents=True)
    (typo / "docs" / "index.md").write_text("# T\n")
    (typo / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text().replace("tau_post:", "tau_psot:"))
    result = build_site(tmp_path / "site", cwd=typo, PRUNING_CACHE_DIR=CACHE)
    errors = [line for line in result.stderr.splitlines() if "invalid config" in line]
    assert result.returncode != 0 and len(errors) == 1 and "tau_psot=0.4" in errors[0], result.stderr[-3000:]


def test_a_nav_of_ones_own_takes_the_study_as_one_section(project, build_site, tmp_path):
    own = tmp_path / "own-nav"
    (own / "docs").mkdir(parents=True)
    config = yaml.safe_load((project / "mkdocs.yml").read_text())
    config["nav"] = [{"Start": "index.md"}, {"Notes": "notes.md"}, {"The pruning study": "pruning:pages"}]
    (own / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    (own / "docs" / "index.md").write_text("# Start\n\n{{ model.parameters | int }} parameters.\n")
    (own / "docs" / "notes.md").write_text("# Notes\n")
    (own / "docs" / "motivation.md").write_text("# Why we prune\n\nOur own motivation.\n")  # wins over the plugin's
    result = build_site(tmp_path / "site", cwd=own, PRUNING_CACHE_DIR=CACHE)
    assert result.returncode == 0, result.stderr[-4000:]
    titles = nav_titles((tmp_path / "site" / "index.html").read_text())
    assert titles.index("Start") < titles.index("Notes") < titles.index("The pruning study") \
        < titles.index("Motivation") < titles.index("License")
    assert "Our own motivation." in (tmp_path / "site" / "motivation" / "index.html").read_text()
    from pruning_pipeline.train.model import Net

    count = sum(p.numel() for p in Net().parameters())
    assert f"{count:,} parameters" in (tmp_path / "site" / "index.html").read_text()


def test_an_ejected_project_builds_from_its_own_copies(build_site, tmp_path):
    folder = tmp_path / "ejected"
    done = init(str(folder), "--eject")
    assert done.returncode == 0, done.stderr
    (folder / "docs" / "motivation.md").write_text("# Motivation\n\nEdited after the eject.\n")
    result = build_site(tmp_path / "site", cwd=folder, PRUNING_CACHE_DIR=CACHE)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Edited after the eject." in (tmp_path / "site" / "motivation" / "index.html").read_text()
    assert "mkdocstrings" in (tmp_path / "site" / "api-reference" / "index.html").read_text()
