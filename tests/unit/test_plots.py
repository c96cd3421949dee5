"""Figure builders: the decisions they make from the data, on tiny hand-made inputs."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from pruning_pipeline.figures import analysis_plots, plots
from pruning_pipeline.figures.binning import stage_threshold
from pruning_pipeline.figures.style import DARK_BACKGROUND
from handmade import fake_results


@pytest.mark.parametrize("counts, expected", [
    ([0, 3, 5, 4000, 6, 2, 0], True),     # pruned: the zero bin dwarfs the tails
    ([10, 40, 90, 100, 90, 40, 10], False),  # a bell: no bin flattens the rest
    ([0, 0, 50, 60, 55, 0, 0], False),    # initialization: a few equal bins
    ([0, 0, 0, 7, 0, 0, 0], False),       # one occupied bin: nothing to flatten
])
def test_spike_dominates(counts, expected):
    assert plots.spike_dominates(np.array(counts)) is expected


def test_occupied_limits_pad_the_occupied_bins_by_one_and_stay_inside_the_edges():
    edges = np.linspace(-1.0, 1.0, 11)  # bins 0.2 wide
    centre = [0, 0, 0, 0, 5, 5, 0, 0, 0, 0]
    assert plots.occupied_limits(edges, centre) == pytest.approx((-0.4, 0.4))
    edge = [1, 0, 0, 0, 5, 5, 0, 0, 0, 0]
    assert plots.occupied_limits(edges, edge) == pytest.approx((-1.0, 1.0))
    two_rows = [[0, 0, 0, 0, 5, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 3, 0, 0]]
    assert plots.occupied_limits(edges, two_rows) == pytest.approx((-0.8, 0.8))


def test_stage_threshold_reads_each_stage_s_own_threshold():
    results = fake_results(tau_post=0.25)
    assert stage_threshold(results, "init") is None
    assert stage_threshold(results, "trained") is None
    assert stage_threshold(results, "in_loop") == 0.001
    assert stage_threshold(results, "post") == 0.25
    assert stage_threshold(results, "percentile") == 0.02


def test_histogram_goes_log_only_for_a_spike_and_marks_the_threshold():
    results = fake_results()
    pruned = plots.histogram(results, "post", "ffnn1")
    trained = plots.histogram(results, "trained", "ffnn1")
    assert isinstance(pruned, Figure)
    assert pruned.axes[0].get_yscale() == "log" and "log" in pruned.axes[0].get_ylabel()
    assert trained.axes[0].get_yscale() == "linear"
    lines = pruned.axes[0].get_lines()
    marks = [line.get_xdata()[0] for line in lines if line.get_linestyle() == "--"]
    assert sorted(marks) == [-0.4, 0.4]
    zero_marker = [line for line in lines if line.get_marker() == "D"]
    zeros = results.stage("post")["layers"]["ffnn1"]["zeros"]
    assert [(m.get_xdata()[0], m.get_ydata()[0]) for m in zero_marker] == [(0, zeros)]
    assert not trained.axes[0].get_lines()


def test_histogram_draws_the_stored_counts_on_the_stored_edges():
    results = fake_results()
    ax = plots.histogram(results, "percentile", "cls_head").axes[0]
    (stairs,) = ax.patches
    values, edges, _ = stairs.get_data()
    assert np.array_equal(values, results.counts("percentile", "cls_head"))
    assert np.array_equal(edges, results.edges("cls_head"))


def test_dark_style_uses_the_dark_background():
    figure = analysis_plots.threshold_sweep(fake_results(), dark=True)
    assert to_hex(figure.get_facecolor()) == DARK_BACKGROUND
    assert to_hex(analysis_plots.threshold_sweep(fake_results()).get_facecolor()) == "#ffffff"


def test_a_cut_figure_draws_no_bar_inside_the_cut():
    """The post figure of a hand-made cut: ±τ are edges of the drawn bins and nothing is
    drawn between them; the zeros are the stem at 0."""
    results = fake_results()
    tau = results.stage("post")["threshold"]
    ax = plots.histogram(results, "post", "ffnn1").axes[0]
    stairs = next(p for p in ax.patches if hasattr(p, "get_data"))
    values, edges = stairs.get_data().values, stairs.get_data().edges
    assert -tau in edges and tau in edges
    inside = [v for v, left, right in zip(values, edges[:-1], edges[1:]) if left >= -tau and right <= tau]
    assert inside == [0]
    assert values.sum() == results.stage("post")["layers"]["ffnn1"]["nonzeros"] == sum(
        results.cut("post", "ffnn1")[1]) - results.stage("post")["layers"]["ffnn1"]["zeros"]
