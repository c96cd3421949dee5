"""Numbers over several seeds: one tree of means with, beside it, the per-seed values of
every number that differs, and `Seeds`, the value that carries both into formatting.

Pure: plain JSON-like trees in, plain trees out (no torch, no I/O). A number derived
from others (a drop, a ratio, a share kept) is computed in each seed's own tree first
(`pruning_pipeline.site.facts`) and combined after, so it has its own spread; a
`Seeds` has no arithmetic, and a verdict on the means reads `mean` explicitly.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any, Sequence

# Sections that describe the run as configured, not what a seed measured: the first
# seed's copy stands for all of them and nothing there is summarised. (The τ sweeps,
# each on its seed's own window of thresholds, are put on one grid first: `grid`.)
FIRST_SEED = ("config",)


@dataclass(frozen=True)
class Seeds:
    """A number over seeds: its per-seed ``values`` (in seed order), their ``mean`` and
    sample standard deviation ``sd``. A page prints it as mean ± sd."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(float(v) for v in self.values))

    @property
    def mean(self) -> float:
        return math.fsum(self.values) / len(self.values)

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

    @property
    def agrees(self) -> bool:
        """Whether every seed has the same value, up to float noise (0.3 - 0.1 against
        0.6 - 0.4): printed without a ±."""
        return self.high - self.low <= 1e-9 * max(1.0, abs(self.mean))


def mean(value: Any) -> Any:
    """The mean of a `Seeds`; any other value as it is. What a verdict on the seeds'
    means compares."""
    return value.mean if isinstance(value, Seeds) else value


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


def with_seeds(means: Any, values: Any) -> Any:
    """The means with every number that differs across seeds as a `Seeds`."""
    if values is None:
        return means
    if isinstance(means, dict):
        return {k: with_seeds(v, values.get(k)) for k, v in means.items()}
    if isinstance(means, list):
        return [with_seeds(m, v) for m, v in zip(means, values)]
    if isinstance(values, list) and all(_number(v) for v in values):
        return Seeds(values)
    return means


def read(published: Any) -> Any:
    """A published tree (``metrics.json``) as pages and the CLI read it: every number
    that differs across its seeds (``seeds.values``) as a `Seeds`."""
    return with_seeds(published, published.get("seeds", {}).get("values"))


def of_seeds(values: Sequence[Any]) -> Any:
    """One number from each seed, as the value a page prints: a `Seeds`, or the number
    itself where every seed has it."""
    return with_seeds(*combine(list(values)))


def per_seed(means: Any, values: Any, index: int) -> Any:
    """Seed ``index``'s own tree, from the means and the values that differ."""
    if values is None:
        return means
    if isinstance(means, dict):
        return {k: per_seed(v, values.get(k), index) for k, v in means.items()}
    if isinstance(means, list):
        return [per_seed(m, v, index) for m, v in zip(means, values)]
    return values[index] if isinstance(values, list) else means
