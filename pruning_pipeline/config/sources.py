"""Where option values come from, before `make_config` validates them: a file's
mapping (``extra.pruning`` of mkdocs.yml), ``PRUNING_<OPTION>`` environment variables
and ``--set key=value`` assignments. A build and the command line read them alike."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping

from .run import Config
from .values import ConfigError

ENV_PREFIX = "PRUNING_"


def config_values(extra: Mapping[str, Any] | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """Options from a file (``extra.pruning`` of mkdocs.yml), overridden by
    ``PRUNING_<OPTION>`` variables: the same for a build and for the command line.

    ``PRUNING_PROFILE=quick`` selects the quick profile; ``PRUNING_TAU_POST=0.2`` sets
    one option for one build. Only names of options count (``PRUNING_PIPELINE_CACHE``
    and friends belong to other tools); ``make_config`` validates the values.
    """
    values = dict(extra or {})
    options = {f.name for f in fields(Config)}
    for name, value in environ.items():
        key = name[len(ENV_PREFIX):].lower()
        if name.startswith(ENV_PREFIX) and key in options:
            values[key] = value
    return values


PLUGIN_OWN_KEYS = ("scripts", "enabled")  # the pruning plugin's keys that are not the run's


def run_options(extra: Mapping[str, Any] | None, plugin: Mapping[str, Any] | None) -> dict[str, Any]:
    """The run's options of a site: ``extra.pruning``, under the options of the
    ``pruning`` plugin, which win."""
    values = dict(extra or {})
    values.update({k: v for k, v in (plugin or {}).items() if k not in PLUGIN_OWN_KEYS})
    return values


def mkdocs_options(mkdocs_yml: Mapping[str, Any]) -> dict[str, Any]:
    """The run's options in a parsed ``mkdocs.yml``, read as the plugin reads them."""
    extra = mkdocs_yml.get("extra") or {}
    plugins = mkdocs_yml.get("plugins") or []
    own = None
    for plugin in [plugins] if isinstance(plugins, Mapping) else plugins:  # a list, or one mapping
        if isinstance(plugin, Mapping) and isinstance(plugin.get("pruning"), Mapping):
            own = plugin["pruning"]
    return run_options(extra.get("pruning") if isinstance(extra, Mapping) else None, own)


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """Turn ``["tau_post=0.2", ...]`` into a mapping; values stay strings for validation."""
    out: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"invalid --set {item!r}; expected key=value")
        out[key.strip()] = value.strip()
    return out
