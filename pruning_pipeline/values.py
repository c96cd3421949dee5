"""Coercion of one raw option value (the text of ``--set key=value``, a YAML value):
numbers, booleans, choices, mappings. Every failure is one line naming the key, the
value and what is allowed."""

from __future__ import annotations

import json
import math
from typing import Any, Mapping


class PipelineError(Exception):
    """A failure the user can act on: its message is one line naming the cause and what
    to do. The CLI prints it and exits 2; the site build fails with it; no traceback
    unless asked for (``--debug`` or ``PRUNING_DEBUG=1``)."""


class ConfigError(PipelineError, ValueError):
    """A configuration value is invalid; the message is one line for the user."""


def fail(key: str, value: Any, allowed: str) -> None:
    raise ConfigError(f"invalid config: {key}={value!r}; allowed: {allowed}")


def as_int(key: str, value: Any, minimum: int, allowed: str) -> int:
    if isinstance(value, bool):
        fail(key, value, allowed)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            fail(key, value, allowed)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < minimum:
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


def as_choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        fail(key, value, "one of " + ", ".join(choices))
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
