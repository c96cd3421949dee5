"""How a number is written on the site and in figure captions: percentages that never
round a partial share to 0% or 100%, thresholds as configured, ratios, bytes, times.

Pure functions ``fmt_*(value, arg)`` and the ``FORMATS`` registry that placeholders
name (``{{ stages.post.accuracy | pct:2 }}``).
"""

from __future__ import annotations

import json
import math
from functools import wraps
from typing import Any, Callable

from .seeds.value import Seeds, mean


class FormatError(TypeError):
    """A value that a format cannot write (a text where a number is needed, a section
    where a value is): a mistake in a page's placeholder, not in the pipeline."""


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormatError(f"format '{name}' needs a number, got {value!r}")
    return float(value)


# between a mean and its deviation: a line may break before the ± but not after it, so a
# narrow table cell reads "96.1%" over "± 1.1%", never "96.1% ±" over "1.1%"
PLUS_MINUS = " ±\u00a0"


def _shows_nothing(text: str) -> bool:
    return not any(digit in text for digit in "123456789")


def over_seeds(whole: bool = False, sd_arg: str | None = None):
    """A format that writes a `Seeds` (a number over seeds) as its mean ± its standard
    deviation, each in the format itself: '24.9% ± 13.8%'; ``whole`` rounds both first
    (a count); ``sd_arg`` is the format's argument for the deviation where it differs
    (fewer significant digits). A deviation that would print as zero ('2.303 ± 0.000')
    gets the decimals that show it ('2.303 ± 0.0004'). The one place a spread is
    written, so every page writes it the same way."""
    def decorate(fmt: Callable[[Any, str | None], str]) -> Callable[[Any, str | None], str]:
        @wraps(fmt)
        def formatted(value: Any, arg: str | None = None) -> str:
            if not isinstance(value, Seeds) or value.agrees or not math.isfinite(value.sd):  # no ±
                return fmt(value.mean if isinstance(value, Seeds) else value, arg)
            mean, sd = (round(value.mean), round(value.sd)) if whole else (value.mean, value.sd)
            shown = fmt(sd, sd_arg or arg)
            if sd and not whole and _shows_nothing(shown):
                shown = next((text for digits in range(1, 9)
                              if not _shows_nothing(text := fmt(sd, str(digits)))), shown)
            return f"{fmt(mean, arg)}{PLUS_MINUS}{shown}"
        return formatted
    return decorate


def _digits(arg: str | None, default: int) -> int:
    return default if arg in (None, "") else int(arg)


def _adaptive(number: float, digits: int, ends: tuple[float, ...]) -> int:
    """More decimals while rounding would turn a non-end value into an end (0, 100, ...)."""
    while digits < 8 and number not in ends and any(round(number, digits) == end for end in ends):
        digits += 1
    return digits


@over_seeds()
def fmt_pct(value: Any, arg: str | None = None) -> str:
    """Fraction as a percentage: 0.9731 -> '97.3%' (``pct:2`` -> '97.31%').

    A value that is not exactly 0 or 1 never prints as 0% or 100%: 0.999954 -> '99.995%'.
    """
    number = _number(value, "pct") * 100
    return f"{number:.{_adaptive(number, _digits(arg, 1), (0.0, 100.0))}f}%"


@over_seeds()
def fmt_pp(value: Any, arg: str | None = None) -> str:
    """Fraction as percentage points, no unit: 0.012 -> '1.2'."""
    number = _number(value, "pp") * 100
    return f"{number:.{_adaptive(number, _digits(arg, 1), (0.0,))}f}"


def signed_pp(value: Any) -> str:
    """A gain in percentage points with its sign: '+1.2', '-0.4' (over seeds, by its mean)."""
    return f"{'+' if mean(value) >= 0 else ''}{fmt_pp(value)}"


@over_seeds(whole=True)
def fmt_int(value: Any, arg: str | None = None) -> str:
    """Whole number with thousands separators: 215418 -> '215,418'."""
    number = _number(value, "int")
    if not number.is_integer():
        raise FormatError(f"format 'int' needs a whole number, got {value!r}")
    return f"{int(number):,}"


@over_seeds()
def fmt_fixed(value: Any, arg: str | None = None) -> str:
    """Fixed decimals (default 3): 0.03608 -> '0.036'."""
    return f"{_number(value, 'f'):.{_digits(arg, 3)}f}"


@over_seeds(sd_arg="2")
def fmt_sig(value: Any, arg: str | None = None) -> str:
    """Significant digits (default 3): 0.0360844 -> '0.0361'."""
    number = _number(value, "g")
    return f"{number:.{_digits(arg, 3)}g}" if number else "0"


@over_seeds()
def fmt_tau(value: Any, arg: str | None = None) -> str:
    """A threshold as configured: 0.4 -> '0.4', 0.001 -> '0.001'."""
    return f"{_number(value, 'tau'):g}"


@over_seeds()
def fmt_ratio(value: Any, arg: str | None = None) -> str:
    """A ratio: 1.234 -> '1.23×'."""
    number = _number(value, "x")
    return f"{number:.{_adaptive(number, _digits(arg, 2), (0.0,))}f}×"


@over_seeds()
def fmt_bytes(value: Any, arg: str | None = None) -> str:
    """Bytes in binary units: 796672 -> '778.0 KiB'."""
    number = _number(value, "bytes")
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(number) < 1024 or unit == "GiB":
            return f"{number:,.0f} B" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1024
    raise AssertionError  # unreachable


@over_seeds()
def fmt_ms(value: Any, arg: str | None = None) -> str:
    """Milliseconds: 1.234 -> '1.23 ms'."""
    return f"{_number(value, 'ms'):.{_digits(arg, 2)}f} ms"


@over_seeds()
def fmt_seconds(value: Any, arg: str | None = None) -> str:
    """Seconds: 50.04 -> '50.0 s'."""
    return f"{_number(value, 's'):.{_digits(arg, 1)}f} s"


def fmt_code(value: Any, arg: str | None = None) -> str:
    """Inline code: 'mnist-5k' -> '`mnist-5k`'."""
    return f"`{fmt_plain(value)}`"


@over_seeds()
def fmt_plain(value: Any, arg: str | None = None) -> str:
    """Default rendering: ints with separators, floats to 4 significant digits."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_plain(item) for item in value)
    if isinstance(value, str):
        return value
    raise FormatError(f"a {type(value).__name__} cannot be shown inline; name one of its keys")


def fmt_len(value: Any, arg: str | None = None) -> str:
    """Number of items of a list: [0.1, 0.2] -> '2'."""
    if not isinstance(value, (list, tuple, dict)):
        raise FormatError(f"format 'len' needs a list, got {value!r}")
    return f"{len(value):,}"


def fmt_title(value: Any, arg: str | None = None) -> str:
    """First letter upper-case: 'refuted' -> 'Refuted'."""
    text = fmt_plain(value)
    return text[:1].upper() + text[1:]


FORMATS: dict[str, Callable[[Any, str | None], str]] = {
    "pct": fmt_pct,
    "pp": fmt_pp,
    "int": fmt_int,
    "f": fmt_fixed,
    "g": fmt_sig,
    "tau": fmt_tau,
    "x": fmt_ratio,
    "bytes": fmt_bytes,
    "ms": fmt_ms,
    "s": fmt_seconds,
    "code": fmt_code,
    "plain": fmt_plain,
    "title": fmt_title,
    "len": fmt_len,
}


def format_value(value: Any, spec: str | None) -> str:
    """Apply one format spec (``name`` or ``name:arg``) to a value."""
    if not spec:
        return fmt_plain(value)
    name, _, arg = spec.partition(":")
    name = name.strip()
    if name not in FORMATS:
        raise KeyError(f"unknown format '{name}' (known: {', '.join(FORMATS)})")
    return FORMATS[name](value, arg.strip() or None)
