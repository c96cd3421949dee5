import numpy as np

from pruning_pipeline.figures.binning import coarsen, display_histograms, merge_factor, occupied_bins


def test_merge_keeps_every_count_and_the_zero_centred_bin():
    edges = np.linspace(-1, 1, 2026)  # 2025 bins
    counts = np.random.default_rng(0).integers(0, 9, 2025)
    merged_edges, merged = coarsen(edges, counts, 25)
    assert merged.sum() == counts.sum() and len(merged) == 81 and len(merged_edges) == 82
    centre = len(merged) // 2
    assert np.isclose(merged_edges[centre], -merged_edges[centre + 1])
    assert merged[3] == counts[75:100].sum()


def test_factor_is_an_odd_divisor_leaving_enough_bins():
    assert merge_factor(2025, 2025, 60) == 27  # 2025 / 27 = 75 >= 60; 45 would leave 45
    assert merge_factor(2025, 77, 60) == 1
    assert merge_factor(2024, 2024, 60) == 23  # only odd divisors of 2024: 1, 11, 23, ...


def test_narrow_and_wide_histograms_drawn_together_share_edges():
    edges = np.linspace(-1, 1, 2026)
    narrow = np.zeros(2025, int)
    narrow[1000:1025] = 1
    wide = np.ones(2025, int)
    assert occupied_bins(narrow) == 25 and occupied_bins(narrow, wide) == 2025
    merged_edges, (a, b) = display_histograms(edges, narrow, wide)
    assert len(merged_edges) == len(a) + 1 == len(b) + 1 and a.sum() == 25 and b.sum() == 2025
    rows = np.stack([narrow, wide])
    _, (both,) = display_histograms(edges, rows)
    assert both.shape == (2, len(merged_edges) - 1)
