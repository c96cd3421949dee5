import numpy as np
import pytest
import torch

from pruning_pipeline.measure.stages import counts_on
from pruning_pipeline.measure.stats import layer_stats, symmetric_edges, widen_counts
from pruning_pipeline.train.counting import histogram, widen_edges, widening


def test_histogram_counts_every_weight_and_agrees_with_numpy():
    torch.manual_seed(0)
    w = torch.randn(256, 768) * 0.1
    edges = symmetric_edges(float(w.abs().max()), 121)
    counts = histogram(w, edges)
    assert counts.sum() == 196_608
    reference, _ = np.histogram(w.numpy().astype(np.float64), edges)
    assert np.abs(counts - reference).sum() <= 4  # float32 vs float64 rounding at bin edges


def test_values_outside_the_edges_land_in_the_outer_bins():
    counts = histogram(torch.tensor([-5.0, 0.0, 5.0]), np.linspace(-1, 1, 4))
    assert counts.tolist() == [1, 1, 1]


def test_odd_bin_count_centres_a_bin_on_zero():
    edges = symmetric_edges(1.0, 5)
    middle = len(edges) // 2
    assert edges[middle - 1] < 0 < edges[middle]
    assert np.isclose(edges[middle - 1], -edges[middle])


def test_moments_of_known_distributions():
    torch.manual_seed(0)
    uniform = layer_stats(torch.rand(200_000) * 2 - 1, (0.5,))
    gaussian = layer_stats(torch.randn(200_000), (0.5,))
    assert abs(uniform["kurtosis"] + 1.2) < 0.02 and abs(gaussian["kurtosis"]) < 0.05
    assert abs(uniform["skew"]) < 0.02
    assert abs(uniform["below_tau"]["0.5"] - 0.5) < 0.01


def test_sparsity_counts_exact_zeros():
    stats = layer_stats(torch.tensor([0.0, 0.0, 1.0, -2.0]), (1.5,))
    assert (stats["zeros"], stats["nonzeros"], stats["sparsity"]) == (2, 2, 0.5)
    assert stats["below_tau"]["1.5"] == 0.75 and stats["abs_max"] == 2.0


@pytest.mark.parametrize("factor", [1, 3, 9])
def test_widened_counts_are_the_counts_on_the_widened_edges(factor):
    edges = symmetric_edges(1.0, 15)
    centres = (edges[:-1] + edges[1:]) / 2  # one value in the middle of each bin, never on an edge
    values = np.repeat(centres, np.arange(1, 16))
    assert widening(edges, float(np.abs(values).max())) == 1
    assert widening(edges, 1.1 * float(edges[-1])) == 3 and widening(edges, 4 * float(edges[-1])) == 9
    wide = widen_edges(edges, factor)
    assert len(wide) == len(edges) and wide[-1] == pytest.approx(factor * edges[-1])
    counts, _ = np.histogram(values, edges)
    expected, _ = np.histogram(values, wide)
    assert np.array_equal(widen_counts(counts, factor), expected)
    assert np.array_equal(widen_counts(np.stack([counts, counts]), factor), np.stack([expected, expected]))


def test_counts_on_the_first_seeds_bins_leave_out_what_lies_beyond():
    """Two seeds' weights on one set of edges: the weights beyond them are counted apart,
    never piled into the outer bins; the rest match numpy's histogram."""
    edges = np.linspace(-1.0, 1.0, 9)
    first = {"a.weight": torch.tensor([[-0.9, -0.1, 0.0, 0.3]]), "b.weight": torch.tensor([[0.99, 0.5]])}
    second = {"a.weight": torch.tensor([[-1.5, -0.1, 0.2, 2.0]]), "b.weight": torch.tensor([[0.4, -0.6]])}
    found = counts_on([first, second], ("a", "b"), {"a": edges, "b": edges, "global": edges})
    assert found["outside/a"].tolist() == [0, 2] and found["outside/global"].tolist() == [0, 2]
    expected = np.histogram([-0.1, 0.2], edges)[0]
    assert found["counts/a"][1].tolist() == expected.tolist()
    assert found["counts/global"][0].tolist() == np.histogram([-0.9, -0.1, 0.0, 0.3, 0.99, 0.5], edges)[0].tolist()
    assert found["counts/b"].shape == (2, 8) and found["counts/b"].sum(axis=1).tolist() == [2, 2]
