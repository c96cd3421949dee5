"""The τ sweeps of several seeds on one grid of thresholds.

Every seed's sweep is a window of one lattice, ``τ_post · 10^(k / d)`` (`measure.analysis
.sweep_taus`), spanning that seed's own weights, so the seeds' windows share every
threshold where they overlap. The common grid is 0 and the lattice from the highest of
the seeds' lowest thresholds up to the highest of their highest. Above a seed's own last
threshold every weight it has is already pruned, so its numbers there are those of that
last threshold: exact, nothing is interpolated. The knee of a sweep (`knee_index`) is
found here too, for one seed's sweep and for the seeds' mean curve. Pure.
"""

from __future__ import annotations

import bisect
from typing import Iterable, Sequence

from ..results import drop_within


def knee_index(accuracy: Sequence[float], global_sparsity: Sequence[float], baseline: float, drop: float) -> int:
    """The knee of a sweep: the sparsest τ whose accuracy is at most ``drop`` below
    ``baseline`` (the first such τ on a tie)."""
    within = [i for i, a in enumerate(accuracy) if drop_within(baseline - a, drop)]
    return max(within, key=lambda i: (global_sparsity[i], -i))


def with_mean_knee(sweep: dict) -> dict:
    """A sweep of means (the seeds' common grid) with its own ``knee_index`` and
    ``knee_tau``: the mean curve's knee, which need not be any one seed's."""
    knee = knee_index(sweep["accuracy"], sweep["sparsity"]["global"], sweep["baseline_accuracy"], sweep["knee_drop"])
    return {**sweep, "knee_index": knee, "knee_tau": sweep["taus"][knee]}


def common_taus(grids: Sequence[Sequence[float]]) -> list[float]:
    """The grid every one of these sweeps (each starting at 0) can be read on."""
    low = max(grid[1] for grid in grids)
    return [0.0] + sorted({tau for grid in grids for tau in grid if tau >= low})


def rows(grid: Sequence[float], taus: Sequence[float]) -> list[int]:
    """For each τ of ``taus``, the index in ``grid`` whose numbers are those at τ."""
    where = {tau: i for i, tau in enumerate(grid)}
    out = []
    for tau in taus:
        if tau not in where and tau < grid[-1]:
            raise ValueError(f"τ = {tau!r} lies inside a sweep whose grid lacks it: the sweeps are on different lattices")
        out.append(where.get(tau, len(grid) - 1))
    return out


def on_grid(sweep: dict, taus: list[float]) -> dict:
    """A seed's ``sweep`` section with every per-τ list read on ``taus``; its knee is
    the knee's own τ, or the nearest threshold below it where ``taus`` starts higher."""
    picked = rows(sweep["taus"], taus)

    def pick(values: list) -> list:
        return [values[i] for i in picked]

    knee = sweep["taus"][sweep["knee_index"]]
    return {**sweep, "taus": list(taus), "accuracy": pick(sweep["accuracy"]), "loss": pick(sweep["loss"]),
            "sparsity": {name: pick(values) for name, values in sweep["sparsity"].items()},
            "configured_index": taus.index(sweep["configured_tau"]),
            "knee_index": bisect.bisect_right(taus, knee) - 1}


def aligned(sweeps: Iterable[dict]) -> list[dict]:
    """Every seed's sweep on the seeds' common grid, in the same order."""
    sweeps = list(sweeps)
    taus = common_taus([sweep["taus"] for sweep in sweeps])
    return [on_grid(sweep, taus) for sweep in sweeps]
