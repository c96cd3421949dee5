"""The τ sweeps of several seeds on one grid: each seed's window of the lattice shares
every threshold with the others where they overlap, and a seed read above its own last
threshold keeps that threshold's numbers (every weight already pruned)."""

import math

import pytest

from pruning_pipeline.measure.analysis import sweep_taus
from pruning_pipeline.site.published import publish
from pruning_pipeline.seeds.grid import aligned, common_taus, on_grid, rows

from handmade import fake_results


@pytest.mark.parametrize("points", [31, 101])
def test_sweeps_of_different_magnitudes_share_every_threshold_where_they_overlap(points):
    small, large = sweep_taus(0.61, points, 0.4), sweep_taus(0.93, points, 0.4)
    for grid, top in ((small, 0.61), (large, 0.93)):
        assert grid[0] == 0.0 and 0.4 in grid and grid == sorted(set(grid))
        assert grid[-1] >= top and grid[-2] < top * 1.0001  # the last prunes every weight, the one before not
        assert grid[1] <= top / 1e4 * 10 ** (4 / (points - 1)) and grid[1] >= top / 1e4
        ratios = [b / a for a, b in zip(grid[1:], grid[2:])]  # evenly log-spaced: (points - 1) / 4 a decade
        assert all(math.isclose(r, 10 ** (4 / (points - 1)), rel_tol=1e-9) for r in ratios)
    overlap = [tau for tau in small if large[1] <= tau <= small[-1]]
    assert len(overlap) > points / 2 and set(overlap) <= set(large)  # bit-equal floats, not merely close


def test_a_configured_zero_is_the_first_point_and_the_grid_still_spans_the_weights():
    grid = sweep_taus(0.61, 31, 0.0)
    assert grid[0] == 0.0 and 0.61 / 1e4 <= grid[1] and grid[-2] < 0.61 * 1.0001 <= grid[-1]
    assert set(grid) & set(sweep_taus(0.93, 31, 0.0)) > {0.0}  # seeds still share thresholds
    far = sweep_taus(0.01, 31, 5.0)  # a configured τ beyond every weight stays on the grid
    assert 5.0 in far and far[-1] == 5.0


def _sweep(taus, accuracy, configured, knee):
    return {"taus": taus, "accuracy": accuracy, "loss": [1 - a for a in accuracy],
            "sparsity": {"global": [i / (len(taus) - 1) for i in range(len(taus))]},
            "configured_tau": configured, "configured_index": taus.index(configured),
            "knee_index": taus.index(knee), "knee_tau": knee}


def test_a_seed_above_its_own_last_threshold_keeps_its_numbers():
    first = _sweep([0.0, 0.01, 0.1, 1.0], [0.9, 0.9, 0.8, 0.1], 0.1, 0.01)
    second = _sweep([0.0, 0.001, 0.01, 0.1], [0.95, 0.95, 0.9, 0.2], 0.1, 0.01)
    assert common_taus([first["taus"], second["taus"]]) == [0.0, 0.01, 0.1, 1.0]  # the higher low end
    one, two = aligned([first, second])
    assert one == {**first, "taus": [0.0, 0.01, 0.1, 1.0]}  # its own grid already
    assert two["taus"] == one["taus"]
    assert two["accuracy"] == [0.95, 0.9, 0.2, 0.2] and two["sparsity"]["global"] == [0.0, 2 / 3, 1.0, 1.0]
    assert (two["configured_index"], two["knee_index"]) == (2, 1)
    with pytest.raises(ValueError, match="different lattices"):
        rows([0.0, 0.01, 0.1], [0.0, 0.05])


def test_a_knee_below_the_common_grid_falls_to_the_threshold_beneath():
    sweep = _sweep([0.0, 0.001, 0.01, 0.1], [0.9, 0.9, 0.9, 0.1], 0.1, 0.001)
    assert on_grid(sweep, [0.0, 0.01, 0.1])["knee_index"] == 0


def test_published_sweep_is_the_seeds_mean_at_each_threshold():
    base = fake_results().metrics
    taus = base["sweep"]["taus"]  # 0, 0.001, 0.01, 0.1, 0.4, 1.0
    shifted = {**base["sweep"], "taus": [0.0, *taus[2:], 2.0], "accuracy": [0.8, 0.8, 0.7, 0.6, 0.2, 0.1],
               "baseline_accuracy": 0.8}
    seeds = [base, {**base, "config": {**base["config"], "seed": 1}, "sweep": shifted}]
    published = publish({**base, "seeds": {"seeds": [0, 1], "run_ids": ["a", "b"], "per_seed": seeds}})
    sweep = published["sweep"]
    assert sweep["taus"] == [0.0, 0.01, 0.1, 0.4, 1.0, 2.0]  # from the higher low end to the higher top
    # the first seed pruned everything at 1.0, so at 2.0 it reads its numbers at 1.0
    first = [base["sweep"]["accuracy"][i] for i in (0, 2, 3, 4, 5, 5)]
    assert sweep["accuracy"] == pytest.approx([(a + b) / 2 for a, b in zip(first, shifted["accuracy"])])
    values = published["seeds"]["values"]["sweep"]["accuracy"]  # per seed where they differ
    assert values[1] == [first[1], shifted["accuracy"][1]] and values[-1] is None  # both 0.1 at the top
    assert sweep["configured_index"] == 3 and sweep["taus"][sweep["configured_index"]] == base["config"]["tau_post"]


def test_the_published_knee_is_the_mean_curves_own_and_the_facts_read_it():
    """Seed 0's knee is a sparse τ that the other seed cannot afford: on the mean curve
    it costs more than a point, so the published knee is an earlier τ, within a point."""
    base = fake_results().metrics
    taus = base["sweep"]["taus"]  # 0, 0.001, 0.01, 0.1, 0.4, 1.0
    sparsity = {"global": [0.0, 0.1, 0.3, 0.6, 0.9, 1.0]}
    first = {**base["sweep"], "sparsity": sparsity, "accuracy": [0.95, 0.95, 0.95, 0.945, 0.5, 0.1],
             "baseline_accuracy": 0.95, "knee_index": 3, "knee_tau": taus[3], "knee_drop": 0.01}
    second = {**first, "accuracy": [0.96, 0.96, 0.955, 0.9, 0.4, 0.1], "baseline_accuracy": 0.96,
              "knee_index": 2, "knee_tau": taus[2]}
    seeds = [{**base, "sweep": first}, {**base, "config": {**base["config"], "seed": 1}, "sweep": second}]
    published = publish({**base, "seeds": {"seeds": [0, 1], "run_ids": ["a", "b"], "per_seed": seeds}})
    sweep = published["sweep"]
    mean_base = (0.95 + 0.96) / 2
    within = [i for i, a in enumerate(sweep["accuracy"]) if mean_base - a <= 0.01 + 1e-9]
    assert sweep["knee_index"] == max(within) == 2 != first["knee_index"]
    assert sweep["knee_tau"] == taus[2] and "knee_tau" not in published["seeds"]["values"]["sweep"]
    # one knee: the facts the pages quote are read at the mean curve's knee, in every seed
    knee, values = published["facts"]["knee"], published["seeds"]["values"]["facts"]["knee"]
    assert knee["index"] == 2 and knee["tau"] == taus[2]
    assert values["accuracy"] == [0.95, 0.955] and values["drop"] == pytest.approx([0.0, 0.005])
    assert knee["sparsity"]["global"] == 0.3 and "sparsity" not in values  # the same in both seeds
