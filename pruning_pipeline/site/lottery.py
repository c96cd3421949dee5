"""The lottery-ticket section's table (`measure.lottery`'s numbers, where the run has
them): a row per round, from the unpruned plain run (round 0). Pure: metrics in,
Markdown out."""

from __future__ import annotations

from typing import Any, Mapping

from ..formatting import fmt_int, fmt_pct, signed_pp
from ..seeds.value import Seeds
from .markdown import md_table


def table_lottery(metrics: Mapping[str, Any]) -> str:
    """`lottery_rows` as the page's Markdown table."""
    header, rows = lottery_rows(metrics)
    return md_table(header, rows, "l" + "r" * (len(header) - 1))


def lottery_rows(metrics: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per round, from the unpruned plain run (round 0): the share of the pruned layers'
    weights left, the test accuracy of the rewound ticket and of its re-initialised
    control, the ticket's lead (points, per seed then combined) and the classes left
    without a weight (over seeds, the lowest to the highest count). The page and the
    command line print these."""
    lot, facts = metrics["lottery"], metrics["facts"]["lottery"]
    last = metrics["prunable_layers"][-1]

    def dead(count: Any) -> str:
        return f"{fmt_int(count.low)}–{fmt_int(count.high)}" if isinstance(count, Seeds) else fmt_int(count)

    rows = [["0 (unpruned)", fmt_pct(1.0, "0"), fmt_pct(lot["dense_accuracy"]), "—", "—", "0"]]
    rows += [[str(k), fmt_pct(facts["remaining"][i]), fmt_pct(lot["accuracy"]["ticket"][i]),
              fmt_pct(lot["accuracy"]["control"][i]), signed_pp(facts["ticket_lead"][i]),
              dead(lot["layers"][last]["dead_units"][i])]
             for i, k in enumerate(lot["rounds"])]
    return (["round", "weights left", "ticket (rewound)", "control (re-initialised)", "ticket − control (points)",
             f"classes without a weight ({last})"], rows)
