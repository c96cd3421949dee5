"""Numbers over seeds: the means and per-seed values (`seeds.value`), how a page writes them,
and a claim whose seeds disagree (`claims.over_seeds`)."""

import math
import statistics

import pytest

from pruning_pipeline.formatting import fmt_int, fmt_pct, format_value
from pruning_pipeline.site.verdicts import over_seeds
from pruning_pipeline.seeds.value import Seeds, combine, mean, per_seed, with_seeds

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


def test_a_number_over_seeds_is_a_value_with_its_mean_and_spread_and_no_arithmetic():
    means, values = combine(SEED_TREES)
    tree = with_seeds(means, values)
    accuracy = tree["stages"]["post"]["accuracy"]
    assert isinstance(accuracy, Seeds) and accuracy.values == (0.434, 0.140, 0.100)
    assert math.isclose(accuracy.mean, (0.434 + 0.140 + 0.100) / 3) and mean(accuracy) == accuracy.mean
    assert math.isclose(accuracy.sd, statistics.stdev([0.434, 0.140, 0.100]))
    assert (accuracy.low, accuracy.high) == (0.100, 0.434)
    assert not isinstance(accuracy, float) and mean(0.5) == 0.5
    for arithmetic in (lambda: accuracy + 1, lambda: 1 - accuracy, lambda: accuracy * 2, lambda: accuracy > 0.2,
                       lambda: abs(accuracy), lambda: -accuracy, lambda: float(accuracy)):
        with pytest.raises(TypeError):  # derive per seed, combine once: a value never computes
            arithmetic()
    assert Seeds([0.3 - 0.1, 0.6 - 0.4]).agrees and fmt_pct(Seeds([0.3 - 0.1, 0.6 - 0.4])) == "20.0%"
    assert tree["curve"][0] == 1.0 and not isinstance(tree["curve"][0], Seeds)


def test_one_formatter_writes_mean_and_spread():
    spread = Seeds([0.434, 0.140, 0.100])
    sd = statistics.stdev([43.4, 14.0, 10.0])
    assert fmt_pct(spread) == f"{(43.4 + 14.0 + 10.0) / 3:.1f}% ±\u00a0{sd:.1f}%"
    assert format_value(spread, "pct:2") == f"{(43.4 + 14.0 + 10.0) / 3:.2f}% ±\u00a0{sd:.2f}%"
    assert fmt_int(Seeds([10, 10, 13])) == "11 ±\u00a02"  # a count: both rounded
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
