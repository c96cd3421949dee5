"""Coercion of one raw option value (the text of ``--set key=value``, a YAML value):
numbers, booleans, choices, mappings, and the options' own kinds (a device, a model, a
dataset, a layer rule). Every failure is one line naming the key, the value and what is
allowed; `pruning_pipeline.config.options` says which option takes which."""

from __future__ import annotations

import json
import math
import re
from dataclasses import fields
from typing import Any, Callable, Mapping

from .run import (BATCH_SEEDS, DATASETS, DEVICE_NAMES, REFERENCE_MODEL, REGEX_PREFIX, SCHEDULER_ADDRESS, LayerRule,
                  is_import_string)
from .tensor_data import TENSOR_KEYS, TensorData

Coerce = Callable[[str, Any, str], Any]  # (key, raw value, what is allowed) -> the value, or ConfigError


class PipelineError(Exception):
    """A failure the user can act on: its message is one line naming the cause and what
    to do. The CLI prints it and exits 2; the site build fails with it; no traceback
    unless asked for (``--debug`` or ``PRUNING_DEBUG=1``)."""


class ConfigError(PipelineError, ValueError):
    """A configuration value is invalid; the message is one line for the user."""


def fail(key: str, value: Any, allowed: str) -> None:
    raise ConfigError(f"invalid config: {key}={value!r}; allowed: {allowed}")


def as_int(key: str, value: Any, minimum: int, allowed: str, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        fail(key, value, allowed)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            fail(key, value, allowed)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
        fail(key, value, allowed)
    return value


def as_float(key: str, value: Any, allowed: str, ok) -> float:
    if isinstance(value, bool):
        fail(key, value, allowed)
    try:
        number = float(value)
    except (TypeError, ValueError):
        fail(key, value, allowed)
    if not math.isfinite(number) or not ok(number):
        fail(key, value, allowed)
    return number


def as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    fail(key, value, "true or false")


def as_choice(key: str, value: Any, choices: tuple[str, ...], allowed: str | None = None) -> str:
    if not isinstance(value, str) or value not in choices:
        fail(key, value, allowed or "one of " + ", ".join(choices))
    return value


def as_mapping(key: str, value: Any) -> dict[str, Any]:
    """A mapping of JSON values (also given as JSON text: ``--set`` or ``PRUNING_<KEY>``)."""
    allowed = "a mapping of name: value (JSON text where a string is expected)"
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            fail(key, value, allowed)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        fail(key, value, allowed)
    try:
        json.dumps(dict(value))
    except (TypeError, ValueError):
        fail(key, value, allowed + " (JSON-serialisable values)")
    return dict(value)


def integer(minimum: int, maximum: int | None = None) -> Coerce:
    return lambda key, value, allowed: as_int(key, value, minimum, allowed, maximum)


def real(ok: Callable[[float], bool]) -> Coerce:
    return lambda key, value, allowed: as_float(key, value, allowed, ok)


def choice(choices: tuple[str, ...]) -> Coerce:
    return lambda key, value, allowed: as_choice(key, value, choices, allowed)


def optional(coerce: Coerce) -> Coerce:
    """None, or ``none``/``null``/empty text, as None; anything else through ``coerce``."""
    def optional(key: str, value: Any, allowed: str) -> Any:
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            return None
        return coerce(key, value, allowed)
    return optional


def boolean(key: str, value: Any, allowed: str) -> bool:
    return as_bool(key, value)


def mapping(key: str, value: Any, allowed: str) -> dict[str, Any]:
    return as_mapping(key, value)


def path(key: str, value: Any, allowed: str) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(key, value, allowed)
    return value


def scheduler_address(key: str, value: Any, allowed: str) -> str:
    """A Dask scheduler's address, with its protocol (what `distributed.Client` takes)."""
    if not isinstance(value, str) or not SCHEDULER_ADDRESS.fullmatch(value.strip()):
        fail(key, value, allowed)
    return value.strip()


def as_batch_seeds(key: str, value: Any, allowed: str) -> str:
    """true/false as YAML booleans or as text."""
    return as_choice(key, str(value).lower() if isinstance(value, (bool, str)) else value, BATCH_SEEDS, allowed)


def as_device(key: str, value: Any, allowed: str) -> str:
    if not isinstance(value, str):
        fail(key, value, allowed)
    name, _, index = value.partition(":")
    if name not in DEVICE_NAMES or (index and (name != "cuda" or not index.isdigit())):
        fail(key, value, allowed)
    return value


def numbers(ok: Callable[[float], bool]) -> Coerce:
    """A list of numbers (also as comma-separated text), each passing ``ok``."""
    def numbers(key: str, value: Any, allowed: str) -> tuple[float, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            fail(key, value, allowed)
        try:
            return tuple(as_float(key, item, allowed, ok) for item in items
                         if not (isinstance(item, str) and not item.strip()))
        except ConfigError:
            fail(key, value, allowed)
    return numbers


def as_sparsities(key: str, value: Any, allowed: str) -> tuple[float, ...]:
    fractions = numbers(lambda x: 0 < x < 1)(key, value, allowed)
    if not fractions:
        fail(key, value, allowed)
    return tuple(sorted(set(fractions)))


def as_model(key: str, value: Any, allowed: str) -> str:
    if value == REFERENCE_MODEL or is_import_string(value):
        return value
    fail(key, value, allowed)


def as_dataset(key: str, value: Any, allowed: str) -> Any:
    if isinstance(value, Mapping):
        if sorted(value) != sorted(TENSOR_KEYS) or not all(hasattr(v, "shape") for v in value.values()):
            fail(key, {k: type(v).__name__ for k, v in value.items()}, allowed)
        return value if isinstance(value, TensorData) else TensorData(value)
    if value in DATASETS or is_import_string(value):
        return value
    fail(key, value, allowed)


def as_layers(key: str, value: Any, allowed: str) -> LayerRule:
    parts = tuple(f.name for f in fields(LayerRule))
    try:
        raw = as_mapping(key, value)
    except ConfigError:
        fail(key, value, allowed)
    if set(raw) - set(parts):
        fail(key, value, allowed)
    rule = {}
    for part in parts:
        items = raw.get(part, list(getattr(LayerRule(), part)))
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
            fail(f"layers.{part}", items, "a list of non-empty strings")
        for item in items:
            if part == "types" and not item.isidentifier():
                fail("layers.types", item, "module class names such as Linear or Conv2d")
            if part != "types" and item.startswith(REGEX_PREFIX):
                try:
                    re.compile(item[len(REGEX_PREFIX):])
                except re.error as error:
                    fail(f"layers.{part}", item, f"a valid regular expression after re: ({error})")
        rule[part] = tuple(items)
    if not rule["types"] and not rule["params"]:
        fail("layers.types", [], "at least one module class name, unless layers.params selects parameters")
    if rule["names"] and not rule["types"]:
        fail("layers.names", list(rule["names"]), "names of modules of layers.types, which is empty")
    return LayerRule(**rule)
