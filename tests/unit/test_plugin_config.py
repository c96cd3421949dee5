"""The plugin's configuration step on a real MkDocs config: where the run's options come
from, and what it adds to the build (extensions, styles, scripts), never twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError

from pruning_pipeline.site import templates


def configured(tmp_path, monkeypatch, text: str):
    monkeypatch.delenv("PRUNING_TAU_POST", raising=False)
    monkeypatch.delenv("PRUNING_PROFILE", raising=False)
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n" + text)
    config = load_config(str(tmp_path / "mkdocs.yml"))
    plugin = config.plugins["pruning"]
    return plugin, plugin.on_config(config)


def test_extra_pruning_is_read_and_the_plugins_options_win(tmp_path, monkeypatch):
    plugin, _ = configured(tmp_path, monkeypatch, "extra: {pruning: {tau_post: 0.2, seed: 3}}\n"
                                                  "plugins: [{pruning: {tau_post: 0.3}}]\n")
    assert (plugin.run_config.tau_post, plugin.run_config.seed) == (0.3, 3)
    monkeypatch.setenv("PRUNING_TAU_POST", "0.1")  # and a variable over both, for one build
    plugin.on_config(load_config(str(tmp_path / "mkdocs.yml")))
    assert plugin.run_config.tau_post == 0.1


def test_what_the_pages_need_is_added_once(tmp_path, monkeypatch):
    _, config = configured(tmp_path, monkeypatch, "plugins: [pruning]\nextra_javascript: [javascripts/tau-explorer.js]\n"
                                                  "markdown_extensions: [{toc: {permalink: '#'}}]\n")
    scripts = [str(entry) for entry in config.extra_javascript]
    assert sorted(scripts) == sorted(templates.EXTRA_JAVASCRIPT)  # the project's own entry is not doubled
    assert list(config.extra_css) == list(templates.EXTRA_CSS)
    assert set(templates.MARKDOWN_EXTENSIONS) <= set(config.markdown_extensions)
    assert config.mdx_configs["toc"] == {"permalink": "#"}  # the project's own settings win
    assert config.mdx_configs["pymdownx.details"] == {}


def test_a_bad_option_stops_the_configuration_with_one_line(tmp_path, monkeypatch):
    with pytest.raises(PluginError) as caught:
        configured(tmp_path, monkeypatch, "plugins: [{pruning: {tau_psot: 0.3}}]\n")
    assert str(caught.value).startswith("invalid config: tau_psot=0.3") and "\n" not in str(caught.value)


def test_serve_watches_the_projects_model_files_and_nothing_it_writes(tmp_path, monkeypatch):
    (tmp_path / "helpers.py").write_text("WIDTH = 4\n")
    (tmp_path / "mymodel.py").write_text("from helpers import WIDTH\n\ndef build():\n    pass\n")
    plugin, config = configured(tmp_path, monkeypatch, "plugins: [{pruning: {model: 'mymodel:build'}}]\n")

    class Server:
        watched: list[str] = []

        def watch(self, path):
            self.watched.append(path)

    server = plugin.on_serve(Server(), config, builder=None)
    assert sorted(server.watched) == [str(tmp_path / "helpers.py"), str(tmp_path / "mymodel.py")]
    cache = (tmp_path / plugin.run_config.cache_dir).resolve()
    assert not any(cache.is_relative_to(path) for path in [*map(Path, server.watched),
                                                           tmp_path / "docs"])
