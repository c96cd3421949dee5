"""Numbers over seeds: the means and per-seed values (`spread`), how a page writes them,
and a claim whose seeds disagree (`claims.over_seeds`)."""

import math
import statistics

import numpy as np
import pytest

from pruning_pipeline.formatting import fmt_int, fmt_pct, format_value
from pruning_pipeline.site.claims import over_seeds
from pruning_pipeline.spread import Spread, combine, per_seed, with_spread

SEED_TREES = [
    {"config": {"seed": 0}, "stages": {"post": {"accuracy": 0.434, "zeros": 10}}, "name": "a",
     "curve": [1.0, 2.0], "knee_index": 3},
    {"config": {"seed": 1}, "stages": {"post": {"accuracy": 0.140, "zeros": 10}}, "name": "b",
     "curve": [1.0, 4.0], "knee_index": 5},
    {"config": {"seed": 2}, "stages": {"post": {"accuracy": 0.100, "zeros": 13}}, "name": "c",
     "curve": [1.0, 6.0], "knee_index": 4},
]


def test_means_and_values_of_what_differs():
    means, values = combine(SEED_TREES)
    assert math.isclose(means["stages"]["post"]["accuracy"], (0.434 + 0.140 + 0.100) / 3)
    assert values["stages"]["post"]["accuracy"] == [0.434, 0.140, 0.100]
    assert means["stages"]["post"]["zeros"] == 11 and values["stages"]["post"]["zeros"] == [10, 10, 13]
    assert means["curve"] == [1.0, 4.0] and values["curve"] == [None, [2.0, 4.0, 6.0]]
    # the run as configured, a text and an index: the first seed's
    assert means["config"] == {"seed": 0} and "config" not in values
    assert means["name"] == "a" and values["name"] == ["a", "b", "c"]
    assert means["knee_index"] == 3 and "knee_index" not in values


def test_each_seed_comes_back_from_means_and_values():
    means, values = combine(SEED_TREES)
    for i, tree in enumerate(SEED_TREES):
        back = per_seed(means, values, i)
        assert back["stages"] == tree["stages"] and back["curve"] == tree["curve"]


def test_spread_is_its_mean_and_knows_its_seeds():
    means, values = combine(SEED_TREES)
    tree = with_spread(means, values)
    accuracy = tree["stages"]["post"]["accuracy"]
    assert isinstance(accuracy, Spread) and accuracy.values == (0.434, 0.140, 0.100)
    assert math.isclose(accuracy.sd, statistics.stdev([0.434, 0.140, 0.100]))
    assert (accuracy.low, accuracy.high) == (0.100, 0.434)
    assert accuracy > 0.2
    # arithmetic runs seed by seed: a derived number has its own spread
    drop = Spread([0.95, 0.96, 0.97]) - accuracy
    assert drop.values == pytest.approx((0.516, 0.82, 0.87)) and fmt_pct(drop) == f"{drop * 100:.1f}% ±\u00a0{drop.sd * 100:.1f}%"
    assert (1 - accuracy).values == pytest.approx((0.566, 0.860, 0.900)) and (accuracy * 2).values == (0.868, 0.28, 0.2)
    assert (-accuracy).values == (-0.434, -0.140, -0.100) and abs(-accuracy) == float(accuracy)  # abs: the mean's
    assert (accuracy / accuracy).agrees and (Spread([0.3, 0.6]) - Spread([0.1, 0.4])).agrees  # float noise agrees
    assert fmt_pct(Spread([0.3, 0.6]) - Spread([0.1, 0.4])) == "20.0%"
    assert (np.float64(2) * accuracy).values == (0.868, 0.28, 0.2)  # numpy scalars defer to the spread
    with pytest.raises(ValueError, match="do not combine"):
        accuracy + Spread([1.0, 2.0])
    assert tree["curve"][0] == 1.0 and not isinstance(tree["curve"][0], Spread)


def test_one_formatter_writes_mean_and_spread():
    spread = Spread([0.434, 0.140, 0.100])
    sd = statistics.stdev([43.4, 14.0, 10.0])
    assert fmt_pct(spread) == f"{(43.4 + 14.0 + 10.0) / 3:.1f}% ±\u00a0{sd:.1f}%"
    assert format_value(spread, "pct:2") == f"{(43.4 + 14.0 + 10.0) / 3:.2f}% ±\u00a0{sd:.2f}%"
    assert fmt_int(Spread([10, 10, 13])) == "11 ±\u00a02"  # a count: both rounded
    assert fmt_pct(0.5) == "50.0%"  # one seed: as before


def _claim(verdict):
    return {"verdict": verdict, "tone": "success", "finding": "f", "criterion": "c", "reference": "r",
            "evidence": {}}


def test_a_claim_the_seeds_disagree_on_is_split():
    judged = over_seeds(_claim("confirmed"), [_claim("confirmed"), _claim("refuted"), _claim("confirmed")])
    assert judged["verdict"] == "split across seeds: confirmed in 2 of 3 seeds, refuted in 1 of 3 seeds"
    assert judged["tone"] == "question" and judged["unanimous"] is False
    assert judged["per_seed"] == ["confirmed", "refuted", "confirmed"]
    assert judged["finding"] == "On the seeds' means: f"  # its words describe the means, not every seed


def test_a_claim_every_seed_agrees_on_counts_them():
    judged = over_seeds(_claim("refuted"), [{**_claim("refuted"), "tone": "failure"}] * 5)
    assert judged["verdict"] == "refuted in 5 of 5 seeds" and judged["tone"] == "failure" and judged["unanimous"]
    assert judged["finding"] == "f"
