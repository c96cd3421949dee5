"""Publishing every run at its own URL: version names, permalinks, what changed since the
version deployed before, and reading that version from a real git branch."""

from __future__ import annotations

import json
import subprocess

import pytest

from pruning_pipeline.site.deployed import previous_deploy
from pruning_pipeline.site.versions import (LATEST, PACKAGE, Publication, changes_block, config_changes,
                                            previous_version, publication_block, unversioned_root, version_name)


def test_a_version_is_the_release_then_the_run_id():
    assert version_name("0.1.0", "497dd20512bd6359") == "0.1.0-497dd20512bd6359"


@pytest.mark.parametrize("site_url, version, root", [
    ("https://host/study/0.1.0-ab", "0.1.0-ab", "https://host/study/"),  # as mike's plugin leaves it
    ("https://host/study/0.1.0-ab/", "0.1.0-ab", "https://host/study/"),
    ("https://host/study", None, "https://host/study/"),
    ("https://host/study/", "0.1.0-cd", "https://host/study/"),  # SITE_URL: no version in it
    (None, "0.1.0-ab", None),
])
def test_the_unversioned_root_drops_only_the_version_mike_appended(site_url, version, root):
    assert unversioned_root(site_url, version) == root


def test_permalinks_point_into_the_versions_folder_and_latest_into_the_alias():
    versioned = Publication("https://host/study/", "0.1.0-ab")
    assert versioned.root == "https://host/study/0.1.0-ab/"
    assert versioned.permalink("x.png") == "https://host/study/0.1.0-ab/static/x.png"
    assert versioned.latest("x.png") == f"https://host/study/{LATEST}/static/x.png"
    plain = Publication("https://host/study/")
    assert plain.permalink("x.png") == "https://host/study/static/x.png" and plain.latest("x.png") is None
    assert Publication().permalink("x.png") == "static/x.png"
    assert Publication(None, "0.1.0-ab").permalink("x.png") == "0.1.0-ab/static/x.png"  # relative to the root


def test_config_changes_list_each_differing_option_and_the_release():
    before = {"config": {"tau_post": 0.4, "finetune_lr": 0.005, "report_taus": [0.05, 0.2]}, "package_version": "0.1.0"}
    after = {"config": {"tau_post": 0.4, "finetune_lr": 0.0005, "report_taus": (0.05, 0.2), "seeds": 5},
             "package_version": "0.2.0"}
    assert config_changes(before, after) == [
        {"option": "finetune_lr", "before": 0.005, "after": 0.0005},
        {"option": "seeds", "before": None, "after": 5},
        {"option": PACKAGE, "before": "0.1.0", "after": "0.2.0"},
    ]  # a tuple read back from JSON as a list is no change
    assert config_changes(before, before) == []


def test_the_previous_version_is_the_one_latest_points_at_unless_it_is_this_one():
    versions = [{"version": "0.1.0-b", "aliases": []}, {"version": "0.1.0-a", "aliases": [LATEST]}]
    assert previous_version(versions, "0.1.0-c") == "0.1.0-a"
    assert previous_version(versions, "0.1.0-a") is None
    assert previous_version([{"version": "0.1.0-a", "aliases": []}], "0.1.0-c") is None


def test_the_summary_and_the_home_pages_note_say_what_changed():
    previous = {"version": "0.1.0-a", "package_version": "0.1.0", "config": {"tau_post": 0.4}}
    summary = Publication("https://host/s/", "0.1.0-b", previous).summary({"tau_post": 0.2}, "0.1.0")
    assert summary == {"version": "0.1.0-b", "permalink_root": "https://host/s/0.1.0-b/",
                       "latest_root": "https://host/s/latest/",
                       "previous": {"version": "0.1.0-a", "url": "https://host/s/0.1.0-a/",
                                    "changes": [{"option": "tau_post", "before": 0.4, "after": 0.2}]}}
    note = changes_block({"publication": summary})
    assert note.startswith('!!! info "Version 0.1.0-b"')
    assert "[0.1.0-a](https://host/s/0.1.0-a/)" in note and "- `tau_post`: `0.4` → `0.2`" in note
    first = Publication("https://host/s/", "0.1.0-a").summary({"tau_post": 0.4}, "0.1.0")
    assert first["previous"] is None and "first run published" in changes_block({"publication": first})
    unversioned = Publication("https://host/s/").summary({"tau_post": 0.4}, "0.1.0")
    assert changes_block({"publication": unversioned}) == ""
    assert "without versions" in publication_block({"publication": unversioned}, "x.png")
    assert "https://host/s/latest/static/x.png" in publication_block({"publication": summary}, "x.png")


def _git(repo, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"})
    return done.stdout.decode().strip()


def _pages_branch(repo, files: dict[str, dict]) -> None:
    """A ``gh-pages`` branch holding ``files`` (path -> JSON), as mike leaves it."""
    _git(repo, "init", "-q")
    entries = []
    for path, data in files.items():
        blob = _git(repo, "hash-object", "-w", "--stdin", stdin=json.dumps(data).encode())
        entries.append(f"100644 blob {blob}\t{path}")
    index = repo / "index-pages"
    for entry in entries:
        subprocess.run(["git", "-C", str(repo), "update-index", "--add", "--index-info"], input=entry.encode(),
                       env={"GIT_INDEX_FILE": str(index), "PATH": "/usr/bin:/bin"}, check=True)
    tree = subprocess.run(["git", "-C", str(repo), "write-tree"], env={"GIT_INDEX_FILE": str(index),
                          "PATH": "/usr/bin:/bin"}, capture_output=True, check=True).stdout.decode().strip()
    commit = _git(repo, "commit-tree", tree, "-m", "deploy")
    _git(repo, "update-ref", "refs/heads/gh-pages", commit)


def _published(tau: float, previous: str | None = None) -> dict:
    return {"config": {"tau_post": tau}, "manifest": {"package_version": "0.1.0"},
            "publication": {"previous": {"version": previous} if previous else None}}


def test_the_previous_deploy_is_read_from_the_pages_branch(tmp_path):
    _pages_branch(tmp_path, {
        "versions.json": [{"version": "0.1.0-b", "title": "0.1.0-b", "aliases": [LATEST]},
                          {"version": "0.1.0-a", "title": "0.1.0-a", "aliases": []}],
        "0.1.0-a/static/metrics.json": _published(0.4),
        "0.1.0-b/static/metrics.json": _published(0.2, previous="0.1.0-a"),
    })
    assert previous_deploy(tmp_path, "gh-pages", "origin", "", "0.1.0-c") == {
        "version": "0.1.0-b", "package_version": "0.1.0", "config": {"tau_post": 0.2}}
    # a redeploy of the version latest holds compares with what its first deploy did
    assert previous_deploy(tmp_path, "gh-pages", "origin", "", "0.1.0-b")["version"] == "0.1.0-a"
    assert previous_deploy(tmp_path, "other-branch", "origin", "", "0.1.0-c") is None
    assert previous_deploy(tmp_path / "no-repo", "gh-pages", "origin", "", "0.1.0-c") is None
