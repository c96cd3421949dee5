"""The lottery-ticket figure's catalog entry (where the run has ``lottery`` rounds): its
caption of this run's numbers and its data table, every recorded step of every round,
seed and run (the drawing is `lottery_plot`'s)."""

from __future__ import annotations

import numpy as np

from ..formatting import fmt_pct
from ..results import Results
from ..seeds.value import of_seeds
from .spec import Spec, analysis_spec, draw_with, over_seeds_caption
from .tables import Table

STEM = "lottery-ticket"
ROLE_LABEL = {"ticket": "ticket (rewound to init)", "control": "control (re-initialised)"}


def lottery_specs(r: Results) -> list[Spec]:
    """The figure, where the run has lottery rounds; none where it has not."""
    if "lottery" not in r.metrics:
        return []
    lot = r.metrics["lottery"]
    last = r.layers[-1]
    rates = ", ".join(f"`{name}` {fmt_pct(rate, '0')}" for name, rate in lot["rates"].items())
    seeds = len(r.per_seed)
    return [analysis_spec(
        STEM, "Lottery tickets",
        f"Iterative magnitude pruning with rewinding (Frankle & Carbin 2019): {len(lot['rounds'])} rounds, each "
        f"pruning a share of every pruned layer's surviving weights ({rates}), setting the rest back to their "
        f"initial values and training {lot['steps']:,} steps again. Left: test accuracy after each round against "
        f"the sparsity of the pruned layers, the rewound ticket (solid) and the same masks on re-initialised "
        f"weights (dashed); unpruned {fmt_pct(of_seeds([m['lottery']['dense_accuracy'] for m in r.per_seed]))}"
        + (f"; each line the mean over {seeds} seeds, its band their lowest to highest" if seeds > 1 else "")
        + f". Right: test accuracy along training at rounds {', '.join(map(str, shown_rounds(lot)))} (mean over "
        f"the seeds)." + (f" Crosses: a class of {last} lost every weight in some seed." if any(dead_classes(r))
                          else "")
        + over_seeds_caption(r, [("after the last round, ticket", lambda m: m["lottery"]["accuracy"]["ticket"][-1],
                                  fmt_pct),
                                 ("control", lambda m: m["lottery"]["accuracy"]["control"][-1], fmt_pct)],
                             drawn=False),
        "methods-at-the-same-sparsity", lambda dark: draw_with("lottery_plot", "lottery_ticket", r, dark=dark),
        lambda: lottery_table(r))]


def shown_rounds(lot: dict) -> list[int]:
    """The rounds whose training the right panel draws: 0 (the plain run), the middle
    one and the last."""
    rounds = lot["rounds"]
    return sorted({0, rounds[len(rounds) // 2 - 1] if len(rounds) > 2 else rounds[0], rounds[-1]})


def lottery_table(r: Results) -> Table:
    """Every recorded step of every round's ticket and control and of the plain run
    (round 0, ``unpruned``), in every seed, with the round's sparsity and each pruned
    layer's sparsity and dead units: the figure's lines and bands are recomputed from it."""
    layers = list(r.layers)
    header = (["run", "round", "seed", "step", "test_accuracy", "sparsity"]
              + [f"{key}_{layer}" for layer in layers for key in ("sparsity", "dead_units")])
    rows = []
    for m in r.per_seed:
        lot, seed = m["lottery"], m["config"]["seed"]
        plain = m["curves"]["trained"]
        rows += [["unpruned", 0, seed, step, accuracy, 0.0] + [0.0, 0] * len(layers)
                 for step, accuracy in zip(plain["steps"], plain["test_accuracy"])]
        for role in ROLE_LABEL:
            for i, k in enumerate(lot["rounds"]):
                per_layer = [lot["layers"][layer][key][i] for layer in layers for key in ("sparsity", "dead_units")]
                rows += [[role, k, seed, step, accuracy, lot["sparsity"][i]] + per_layer
                         for step, accuracy in zip(lot["curves"]["steps"], lot["curves"][role][i])]
    return header, rows


def dead_classes(r: Results) -> np.ndarray:
    """Per round, whether some seed's last pruned layer (the classifier) has an output
    unit, a class, without a single weight."""
    return seed_array(r, lambda lot, m: lot["layers"][r.layers[-1]]["dead_units"]).max(axis=0) > 0


def seed_array(r: Results, pick) -> np.ndarray:
    """(seeds, ...) array of ``pick(lottery section, seed's metrics)`` in every seed."""
    return np.array([pick(m["lottery"], m) for m in r.per_seed], float)
