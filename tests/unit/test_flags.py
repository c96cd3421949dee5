"""The pipeline's warnings: what one run flags, and over seeds what any seed flags,
with the seeds' spread and the count of seeds it holds in."""

import statistics

from pruning_pipeline.seeds.flags import warnings, warnings_over_seeds
from pruning_pipeline.seeds.value import combine, with_seeds


def _run(ffnn1: float, trained: float, post: float) -> dict:
    return {"config": {"tau_post": 0.4}, "prunable_layers": ["ffnn1", "cls_head"],
            "stages": {"trained": {"accuracy": trained},
                       "post": {"accuracy": post, "layers": {"ffnn1": {"sparsity": ffnn1}, "cls_head": {"sparsity": 0.5}}}}}


def test_one_run_flags_a_wiped_out_layer_and_a_broken_model():
    assert warnings(_run(0.5, 0.95, 0.94)) == []
    assert warnings(_run(0.9999, 0.95, 0.10)) == ["tau_post=0.4 zeroes 99.99% of ffnn1",
                                                  "tau_post=0.4 drops test accuracy from 95.0% to 10.0%"]


def test_over_seeds_a_flag_counts_its_seeds_and_quotes_the_spread():
    seeds = [_run(0.9999, 0.95, 0.10), _run(0.98, 0.97, 0.12)]
    spread = with_seeds(*combine(seeds))
    wiped, broken = warnings_over_seeds(spread, seeds)
    sd = statistics.stdev([0.9999, 0.98]) * 100
    mean = (0.9999 + 0.98) / 2 * 100
    assert wiped == f"tau_post=0.4 zeroes {mean:.2f}% ±\u00a0{sd:.2f}% of ffnn1 (in 1 of 2 seeds)"
    assert broken == "tau_post=0.4 drops test accuracy from 96.0% ±\u00a01.4% to 11.0% ±\u00a01.4% (in 2 of 2 seeds)"
    assert warnings_over_seeds(with_seeds(*combine([_run(0.5, 0.95, 0.94)] * 2)), [_run(0.5, 0.95, 0.94)] * 2) == []
