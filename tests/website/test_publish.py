"""Publishing with mike, for real: two runs with different τ deployed into a temporary git
repository (no network), then the pages branch, the permalinks, what changed, and the
version selector in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
from conftest import ROOT, mkdocs_env, serving
from page_reading import text_of

MIKE = shutil.which("mike", path=str(Path(sys.executable).parent)) or shutil.which("mike")
SITE_URL = "https://example.test/study/"
TAUS = ("0.4", "0.2")

pytestmark = [pytest.mark.site, pytest.mark.skipif(MIKE is None, reason="mike is not installed (the publish extra)")]


def _run(project: Path, *args: str, **env: str) -> str:
    done = subprocess.run(args, cwd=project, capture_output=True, text=True, timeout=1200, env=mkdocs_env(
        PRUNING_SEEDS="1", PRUNING_CACHE_DIR=str(ROOT / ".cache" / "pruning"),  # seed 0 of the quick site's run
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t", **env))
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout.strip()


def _tree(project: Path, folder: str) -> dict[str, str]:
    """Path -> blob id of every file under ``folder`` of the pages branch."""
    listing = _run(project, "git", "ls-tree", "-r", "gh-pages", "--", folder)
    return {line.split("\t")[1]: line.split()[2] for line in listing.splitlines()}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """(project, [version of each deploy], tree of the first version right after its
    deploy, the pages branch checked out)."""
    project = tmp_path_factory.mktemp("publish") / "study"
    _run(ROOT, sys.executable, "-m", "pruning_pipeline", "init", str(project))
    with (project / "mkdocs.yml").open("a") as config:
        config.write(f"site_url: {SITE_URL}\n")
    _run(project, "git", "init", "-q")
    _run(project, "git", "add", "-A")
    _run(project, "git", "commit", "-qm", "a study")
    versions, first_tree = [], None
    for tau in TAUS:
        version = _run(project, sys.executable, "-m", "pruning_pipeline", "version", "--config", "mkdocs.yml",
                       PRUNING_TAU_POST=tau)
        _run(project, MIKE, "deploy", "--update-aliases", version, "latest", PRUNING_TAU_POST=tau)
        if first_tree is None:
            _run(project, MIKE, "set-default", "latest")
            first_tree = _tree(project, version)
        versions.append(version)
    pages = tmp_path_factory.mktemp("gh-pages")
    archive = subprocess.run(["git", "-C", str(project), "archive", "gh-pages"], capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(pages, filter="tar")
    return project, versions, first_tree, pages


def test_each_run_is_a_version_named_by_the_release_and_its_run_id(published):
    from pruning_pipeline import __version__

    _, versions, _, pages = published
    assert len(set(versions)) == 2
    for version, tau in zip(versions, TAUS):
        metrics = json.loads((pages / version / "static" / "metrics.json").read_text())
        assert version == f"{__version__}-{metrics['manifest']['config_hash']}"
        assert metrics["config"]["tau_post"] == float(tau)
        assert (pages / version / "static" / f"at-prune-{tau}.png").is_file()  # each version's own figures
        assert not (pages / version / "static" / f"at-prune-{TAUS[1] if tau == TAUS[0] else TAUS[0]}.png").exists()


def test_a_later_deploy_leaves_the_earlier_version_byte_for_byte(published):
    project, versions, first_tree, _ = published
    assert len(first_tree) > 100 and _tree(project, versions[0]) == first_tree


def test_latest_is_the_newest_and_the_root_redirects_to_it(published):
    _, versions, _, pages = published
    listed = json.loads((pages / "versions.json").read_text())
    assert {entry["version"] for entry in listed} == set(versions)
    assert [entry["version"] for entry in listed if "latest" in entry["aliases"]] == [versions[1]]
    assert (pages / "latest").resolve() == (pages / versions[1]).resolve()
    assert 'url=latest/"' in (pages / "index.html").read_text()


def test_figures_json_and_captions_give_the_permalink_and_the_newest_url(published):
    _, versions, _, pages = published
    for version, tau in zip(versions, TAUS):
        entries = json.loads((pages / version / "static" / "figures.json").read_text())
        stem = f"at-prune-{tau}"
        (entry,) = [e for e in entries if e["stem"] == stem]
        assert entry["urls"][f"{stem}.svg"] == f"{SITE_URL}{version}/static/{stem}.svg"
        assert entry["latest_urls"][f"{stem}.svg"] == f"{SITE_URL}latest/static/{stem}.svg"
        page = (pages / version / "visualizations" / "post-training-pruning" / "index.html").read_text()
        assert f"permalink <code>{SITE_URL}{version}/static/{stem}.png</code>" in page
        assert f"<code>{SITE_URL}latest/static/{stem}.png</code>" in page
        cite = text_of(pages / version / "figures" / "index.html")
        assert f"{SITE_URL}{version}/static/{stem}.png" in cite and f"this is version {version}" in cite


def test_a_versions_home_page_says_what_changed_since_the_one_before(published):
    _, versions, _, pages = published
    first, second = (text_of(pages / version / "index.html") for version in versions)
    assert "The first run published on this site" in first
    assert f"Compared with the version deployed before it, {versions[0]}:" in second
    assert re.search(r"tau_post\s*:\s*0\.4\s*→\s*0\.2", second), second[:2000]
    metrics = json.loads((pages / versions[1] / "static" / "metrics.json").read_text())
    assert metrics["publication"]["previous"]["changes"] == [{"option": "tau_post", "before": 0.4, "after": 0.2}]


@pytest.mark.browser
def test_the_version_selector_lists_both_versions(published, open_page):
    _, versions, _, pages = published
    with serving(pages) as url:
        context, page, errors, _ = open_page(f"{url}/", url.split("//", 1)[1])
        try:
            page.wait_for_selector(".md-version__list", state="attached", timeout=15000)
            assert page.url == f"{url}/latest/"
            listed = page.eval_on_selector_all(".md-version__link", "links => links.map(a => a.textContent)")
            assert all(any(version in item for item in listed) for version in versions), listed
            assert versions[1] in page.inner_text(".md-version__current")
            # the starter project sets no palette: Material's scheme rules do not apply, ours hide the dark variant
            page.goto(f"{url}/latest/visualizations/post-training-pruning/", wait_until="load")
            shown = page.eval_on_selector_all("figure img", "imgs => imgs.map(i => [i.src, getComputedStyle(i).display])")
            assert shown and all((display == "none") == src.endswith("#only-dark") for src, display in shown), shown
        finally:
            context.close()
