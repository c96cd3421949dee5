"""Numbers over several seeds: one tree of means with, beside it, the per-seed values of
every number that differs, and the `Spread` that carries both into formatting.

Pure: plain JSON-like trees in, plain trees out (no torch, no I/O). A page prints a
`Spread` as its mean with its spread (`pruning_pipeline.formatting`); a `Spread` is a
float (its mean), so every comparison written for one run works on it unchanged (on the
mean, as does abs()), and + - * / run seed by seed: a number computed from spreads has
its own spread.
"""

from __future__ import annotations

import math
import numbers
import operator
import statistics
from typing import Any, Sequence

# Sections that describe the run as configured, not what a seed measured: the first
# seed's copy stands for all of them and nothing there is summarised. (The τ sweeps,
# each on its seed's own window of thresholds, are put on one grid first: `sweep_grid`.)
FIRST_SEED = ("config",)


class Spread(float):
    """The mean of a number over seeds, holding the per-seed ``values`` (in seed order)."""

    values: tuple[float, ...]

    def __new__(cls, values: Sequence[float]) -> "Spread":
        values = tuple(float(v) for v in values)
        spread = super().__new__(cls, math.fsum(values) / len(values))
        spread.values = values
        return spread

    @property
    def sd(self) -> float:
        """Sample standard deviation over the seeds (0 for a single seed; NaN where a
        seed's value is undefined)."""
        if not all(math.isfinite(v) for v in self.values):
            return math.nan
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def __reduce__(self):  # copies and pickles keep the values
        return (Spread, (self.values,))

    @property
    def agrees(self) -> bool:
        """Whether every seed has the same value, up to the float noise of arithmetic
        seed by seed (0.3 - 0.1 against 0.6 - 0.4): printed without a ±."""
        return self.high - self.low <= 1e-9 * max(1.0, abs(float(self)))

    # + - * / and negation run seed by seed, so a number derived from spreads (a drop, a
    # ratio, a share kept) has its own spread, not the operands': 1 - sparsity, base -
    # accuracy. Comparisons and abs() read the mean, as a verdict on the means does.
    __array_ufunc__ = None  # numpy scalars defer to these operators instead of taking the mean

    def _seedwise(self, other, fn):
        if not isinstance(other, numbers.Real):
            return NotImplemented
        if isinstance(other, Spread) and len(other.values) != len(self.values):
            raise ValueError(f"spreads over {len(self.values)} and {len(other.values)} seeds do not combine")
        theirs = other.values if isinstance(other, Spread) else (float(other),) * len(self.values)
        return Spread([fn(mine, their) for mine, their in zip(self.values, theirs)])

    def __neg__(self) -> "Spread":
        return Spread([-v for v in self.values])

    def __pos__(self) -> "Spread":
        return self


def _divide(a: float, b: float) -> float:
    return a / b if b else math.nan  # undefined in that seed, as a ratio of one run with b = 0 is


for _name, _op in (("add", operator.add), ("sub", operator.sub), ("mul", operator.mul), ("truediv", _divide)):
    setattr(Spread, f"__{_name}__", lambda self, other, op=_op: self._seedwise(other, op))
    setattr(Spread, f"__r{_name}__", lambda self, other, op=_op: self._seedwise(other, lambda a, b: op(b, a)))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def combine(trees: Sequence[Any]) -> tuple[Any, Any]:
    """(means, values) of trees of the same shape, one per seed.

    ``means`` has the first tree's shape: a number that differs across the seeds is
    replaced by its mean; anything else that differs (a string, an undefined statistic
    in one seed) keeps the first seed's value. ``values`` holds, at the same path, the
    per-seed list of every leaf that differs (None where nothing under a key differs);
    lists of one length are combined item by item, lists of different lengths are the
    first seed's.
    """
    first = trees[0]
    if isinstance(first, dict) and all(isinstance(t, dict) for t in trees):
        means, values = {}, {}
        for key, value in first.items():
            if key in FIRST_SEED or key.endswith("index") or not all(key in t for t in trees):
                means[key] = value
                continue
            means[key], varied = combine([t[key] for t in trees])
            if varied is not None:
                values[key] = varied
        return means, values or None
    if isinstance(first, list) and all(isinstance(t, list) and len(t) == len(first) for t in trees):
        pairs = [combine(items) for items in zip(*trees)]
        varied = [v for _, v in pairs]
        return [m for m, _ in pairs], (varied if any(v is not None for v in varied) else None)
    if all(t == first for t in trees) or isinstance(first, (dict, list)):
        return first, None
    if all(_number(t) for t in trees):
        return math.fsum(trees) / len(trees), list(trees)
    return first, list(trees)


def with_spread(means: Any, values: Any) -> Any:
    """The means with every number that differs across seeds as a `Spread`."""
    if values is None:
        return means
    if isinstance(means, dict):
        return {k: with_spread(v, values.get(k)) for k, v in means.items()}
    if isinstance(means, list):
        return [with_spread(m, v) for m, v in zip(means, values)]
    if isinstance(values, list) and all(_number(v) for v in values):
        return Spread(values)
    return means


def per_seed(means: Any, values: Any, index: int) -> Any:
    """Seed ``index``'s own tree, from the means and the values that differ."""
    if values is None:
        return means
    if isinstance(means, dict):
        return {k: per_seed(v, values.get(k), index) for k, v in means.items()}
    if isinstance(means, list):
        return [per_seed(m, v, index) for m, v in zip(means, values)]
    return values[index] if isinstance(values, list) else means
