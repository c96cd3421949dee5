"""The plugin's page templates, the nav it makes and ``init``'s starter files."""

from __future__ import annotations

import pytest

from pruning_pipeline.site import templates
from pruning_pipeline.site.starter import InitError, init_project, starter_files
from pruning_pipeline.config.sources import mkdocs_options


def test_every_page_of_the_nav_is_a_template():
    files = templates.template_files()
    pages = list(templates.nav_paths(templates.NAV))
    assert len(pages) == len(set(pages)) and set(pages) <= set(files)
    assert {p for p in files if p.endswith(".md")} == {p for p in pages if p.endswith(".md")}  # none left out
    assert set(templates.EXTRA_CSS) | set(templates.EXTRA_JAVASCRIPT) <= set(files)


def test_without_a_nav_the_study_comes_first_then_the_projects_pages():
    nav, placed = templates.site_nav(None, ["index.md", "own/notes.md", "motivation.md"], notebook=False)
    paths = list(templates.nav_paths(nav))
    assert placed and paths[-1] == "own/notes.md" and paths.count("index.md") == 1
    assert templates.NOTEBOOK not in paths  # no notebook plugin: no page to list
    assert templates.NOTEBOOK in templates.nav_paths(templates.site_nav(None, [], notebook=True)[0])


def test_a_nav_of_ones_own_takes_the_study_as_one_section():
    own = [{"Home": "index.md"}, {"Work": [{"Notes": "notes.md"}, {"Pruning study": templates.NAV_MARKER}]}]
    nav, placed = templates.site_nav(own, ["index.md", "notes.md"], notebook=True)
    assert placed and nav[0] == {"Home": "index.md"}
    section = nav[1]["Work"][1]["Pruning study"]
    assert list(templates.nav_paths(section)) == [p for p in templates.nav_paths(templates.NAV) if p != "index.md"]
    assert templates.site_nav([{"Home": "index.md"}], [], True) == ([{"Home": "index.md"}], False)


def test_the_plugins_options_win_over_extra_pruning():
    parsed = {"site_name": "x", "extra": {"pruning": {"tau_post": 0.1, "seed": 3}},
              "plugins": ["search", {"pruning": {"tau_post": 0.2, "scripts": ["gen.py"]}}]}
    assert mkdocs_options(parsed) == {"tau_post": 0.2, "seed": 3}
    assert mkdocs_options({"plugins": {"pruning": {"seed": 1}}}) == {"seed": 1}
    assert mkdocs_options({"plugins": ["search"]}) == {}


def test_init_writes_the_starter_and_never_overwrites_unasked(tmp_path):
    written = init_project(tmp_path / "my-study")
    assert sorted(p.relative_to(tmp_path / "my-study").as_posix() for p in written) == ["docs/index.md", "mkdocs.yml"]
    config = (tmp_path / "my-study" / "mkdocs.yml").read_text()
    assert "site_name: My study" in config and "- pruning:" in config
    (tmp_path / "my-study" / "docs" / "index.md").write_text("mine")
    with pytest.raises(InitError, match="init would overwrite .*mkdocs.yml.*; pass --force"):
        init_project(tmp_path / "my-study", eject=True)
    assert (tmp_path / "my-study" / "docs" / "index.md").read_text() == "mine"  # nothing written
    assert not (tmp_path / "my-study" / "docs" / "motivation.md").exists()
    init_project(tmp_path / "my-study", force=True)
    assert (tmp_path / "my-study" / "docs" / "index.md").read_text() != "mine"


def test_eject_copies_every_template(tmp_path):
    written = init_project(tmp_path, eject=True)
    assert len(written) == len(templates.template_files()) + 1  # the templates and mkdocs.yml
    for path, resource in templates.template_files().items():  # the starter config has no mkdocstrings
        expected = templates.API_REFERENCE_WITHOUT_MKDOCSTRINGS.encode() if path == templates.API_REFERENCE \
            else resource.read_bytes()
        assert (tmp_path / "docs" / path).read_bytes() == expected, path
    assert ":::" in templates.template_files()[templates.API_REFERENCE].read_text()
    assert set(starter_files("x", eject=False)) == {"mkdocs.yml", "docs/index.md"}
    assert not list(tmp_path.rglob(".*.*"))  # no temporary file left behind
