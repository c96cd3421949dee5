"""The lottery-ticket figure: test accuracy after every round, the rewound ticket
against its re-initialised control, over the sparsity of the pruned layers; and test
accuracy along training at a few rounds, as Frankle & Carbin (2019) draw them."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ..results import Results
from .lottery import ROLE_LABEL, dead_classes, seed_array, shown_rounds
from .style import _styled, retention, retention_inverse

ROLE_COLOUR = {"ticket": "weights", "control": "muted"}


@_styled
def lottery_ticket(results: Results, *, colour: dict) -> Figure:
    """Left: accuracy after every round against sparsity (round 0: the plain run), mean
    over seeds with the min-max band; right: accuracy along training at `shown_rounds`."""
    lot = results.metrics["lottery"]
    fig = Figure(figsize=(7.0, 3.0))
    after, along = fig.subplots(1, 2)
    sparsity = np.concatenate([[0.0], seed_array(results, lambda lot, m: lot["sparsity"]).mean(axis=0)])
    after.set_xscale("function", functions=(retention, retention_inverse))
    dense = seed_array(results, lambda lot, m: [lot["dense_accuracy"]])[:, 0]
    after.axhline(dense.mean(), color=colour["ink"], linestyle="--", linewidth=0.8, label="unpruned")
    for role, label in ROLE_LABEL.items():
        values = np.column_stack([dense, seed_array(results, lambda lot, m: lot["accuracy"][role])])
        line = {"color": colour[ROLE_COLOUR[role]], "linestyle": "-" if role == "ticket" else "--"}
        after.plot(sparsity, values.mean(axis=0), marker="o", markersize=2.5, label=label, **line)
        if len(values) > 1:
            after.fill_between(sparsity, values.min(axis=0), values.max(axis=0), color=line["color"], alpha=0.15,
                               linewidth=0)
    last, dead = results.layers[-1], dead_classes(results)
    if dead.any():
        ticket = seed_array(results, lambda lot, m: lot["accuracy"]["ticket"]).mean(axis=0)
        after.plot(sparsity[1:][dead], ticket[dead], marker="x", markersize=6, markeredgewidth=1.4,
                   linestyle="none", color=colour["threshold"], label=f"a class of {last} lost (some seed)")
    after.set_xticks(sparsity, [f"{s:.0%}" if s < 0.995 else f"{s:.1%}" for s in sparsity], fontsize=5.5,
                     rotation=90 if len(sparsity) > 8 else 0)
    after.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    after.set(xlabel="sparsity of the pruned layers, after each round", ylabel="test accuracy",
              title="After each round")
    after.legend(loc="lower left", fontsize=5.5)
    _along_training(along, results, lot, colour)
    return fig


def _along_training(ax, results: Results, lot: dict, colour: dict) -> None:
    """Test accuracy along training at `shown_rounds`: round 0 (the plain run), then each
    shown round's ticket (solid) and control (dashed), in one colour per round."""
    plain = seed_array(results, lambda lot, m: m["curves"]["trained"]["test_accuracy"]).mean(axis=0)
    steps = np.asarray(results.metrics["curves"]["trained"]["steps"])
    for shade, k in zip(colour["layers"], shown_rounds(lot)):
        if k == 0:
            ax.plot(steps, plain, color=colour["ink"], linewidth=1.0, label="round 0 (unpruned)")
            continue
        i = lot["rounds"].index(k)
        left = 1 - lot["sparsity"][i]
        for role in ROLE_LABEL:
            curve = seed_array(results, lambda lot, m: lot["curves"][role][i]).mean(axis=0)
            ax.plot(lot["curves"]["steps"], curve, color=shade, linestyle="-" if role == "ticket" else "--",
                    linewidth=1.0, label=f"round {k} ({left:.1%} left), {role}")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set(xlabel="training step", ylabel="test accuracy", title="Along training")
    ax.legend(loc="lower right", fontsize=5.5)
