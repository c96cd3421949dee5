"""The methods compared at the same sparsity: masks, the cubic schedule, fixed masks
through fine-tuning, the gradual pruner, and the cache keys of each entry."""

from dataclasses import replace

import pytest
import torch
from torch import nn

from pruning_pipeline.config import ConfigError, make_config
from pruning_pipeline.train.methods import FixedMask, GradualPruner, cubic_sparsity, gradual_bounds
from pruning_pipeline.train.pruning import random_masks, smallest_masks


def _weights():
    torch.manual_seed(0)  # two layers on different scales: a global ranking prunes them unequally
    return {"big": torch.randn(40, 30), "small": 0.1 * torch.randn(10, 30)}


def _pruned(masks):
    return {name: int((~keep).sum()) for name, keep in masks.items()}


@pytest.mark.parametrize("sparsity", [0.5, 0.9, 0.99])
def test_per_layer_masks_prune_each_layers_own_smallest_share(sparsity):
    weights = _weights()
    masks = smallest_masks(weights, sparsity, "layer")
    for name, w in weights.items():
        keep = masks[name]
        assert int((~keep).sum()) == round(sparsity * w.numel())
        assert w.abs()[~keep].max() <= w.abs()[keep].min()


def test_a_global_ranking_prunes_the_smallest_share_of_all_layers_together():
    weights = _weights()
    masks = smallest_masks(weights, 0.5, "global")
    total = sum(w.numel() for w in weights.values())
    assert sum(_pruned(masks).values()) == round(0.5 * total)
    pruned = torch.cat([w.abs()[~masks[n]] for n, w in weights.items()])
    kept = torch.cat([w.abs()[masks[n]] for n, w in weights.items()])
    assert pruned.max() <= kept.min()
    # the layer of small weights loses far more than half, the other far less
    assert _pruned(masks)["small"] > 0.9 * 300 and _pruned(masks)["big"] < 0.5 * 1200


def test_exactly_the_share_goes_even_when_every_weight_ties():
    masks = smallest_masks({"flat": torch.ones(7, 3)}, 0.5, "layer")
    assert _pruned(masks)["flat"] == round(0.5 * 21)


def test_random_masks_hit_the_share_ignore_magnitude_and_repeat_with_the_seed():
    weights = _weights()
    first = random_masks(weights, 0.8, torch.Generator().manual_seed(3))
    again = random_masks(weights, 0.8, torch.Generator().manual_seed(3))
    other = random_masks(weights, 0.8, torch.Generator().manual_seed(4))
    for name, w in weights.items():
        assert int((~first[name]).sum()) == round(0.8 * w.numel())
        assert torch.equal(first[name], again[name]) and not torch.equal(first[name], other[name])
        assert w.abs()[~first[name]].max() > w.abs()[first[name]].min()  # not a magnitude rule


def test_the_cubic_schedule_of_zhu_and_gupta():
    assert cubic_sparsity(10, 0.9, 10, 110) == 0.0
    assert cubic_sparsity(5, 0.9, 10, 110) == 0.0
    assert cubic_sparsity(110, 0.9, 10, 110) == 0.9
    assert cubic_sparsity(500, 0.9, 10, 110) == 0.9
    assert cubic_sparsity(60, 0.9, 10, 110) == pytest.approx(0.9 * (1 - 0.5 ** 3))
    values = [cubic_sparsity(step, 0.9, 10, 110) for step in range(0, 130)]
    assert values == sorted(values)
    steps = [values[i + 1] - values[i] for i in range(10, 109)]
    assert steps == sorted(steps, reverse=True)  # fast first, slow near the end


def test_gradual_pruning_follows_the_schedule_and_never_lets_a_weight_back():
    weight = torch.randn(20, 50)
    pruner = GradualPruner({"w": weight}, 0.9, start=4, end=40, every=8)
    zero_before = torch.zeros_like(weight, dtype=torch.bool)
    for step in range(1, 61):
        weight.add_(0.01 * torch.randn_like(weight))  # an optimizer step moves every weight
        pruner.after_step(step)
        zero = weight == 0
        assert not (zero_before & ~zero).any(), f"a pruned weight came back at step {step}"
        expected = round(cubic_sparsity(max(s for s in pruner.schedule["steps"]), 0.9, 4, 40) * weight.numel()) \
            if step >= 4 else 0
        assert int(zero.sum()) == expected, step
        zero_before = zero
    assert pruner.schedule["steps"] == [4, 12, 20, 28, 36, 40]
    assert int((weight == 0).sum()) == round(0.9 * weight.numel())


def test_default_gradual_bounds_are_shares_of_the_run_and_set_ones_are_kept():
    config = make_config({"profile": "quick", "steps": 200})
    assert gradual_bounds(config, 200) == (20, 150)
    assert gradual_bounds(replace(config, gmp_start=5, gmp_end=50), 200) == (5, 50)


class _Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden, self.out = nn.Linear(6, 16), nn.Linear(16, 3)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def test_fine_tuning_with_a_fixed_mask_keeps_every_pruned_weight_exactly_zero_at_every_step():
    from pruning_pipeline.train.feed import Tensors
    from pruning_pipeline.train.training import train

    torch.manual_seed(0)
    model = _Tiny()
    weights = {"hidden": model.hidden.weight, "out": model.out.weight}
    mask = FixedMask(weights, smallest_masks(weights, 0.7, "layer"))
    mask.apply_()
    start = {name: w.detach().clone() for name, w in weights.items()}
    seen = []

    def after_step(step):
        mask.after_step(step)
        for name, w in weights.items():
            assert torch.equal(w[~mask.keep[name]], torch.zeros_like(w[~mask.keep[name]])), (name, step)
        seen.append(step)

    data = Tensors.on(torch.device("cpu"), {}, train_x=torch.randn(64, 6), train_y=torch.randint(0, 3, (64,)),
                      test_x=torch.randn(16, 6), test_y=torch.randint(0, 3, (16,)))
    config = make_config({"model": "tests.unit.test_methods:_Tiny", "steps": 12, "record_every": 6, "batch_size": 16})
    train(model, data, config, after_step, progress=False)
    assert seen == list(range(1, 13))
    for name, w in weights.items():  # the survivors did train
        assert not torch.equal(w[mask.keep[name]], start[name][mask.keep[name]])


@pytest.mark.parametrize("values, key", [
    ({"target_sparsities": [0.5, 1.0]}, "target_sparsities"),
    ({"target_sparsities": "0.5,nope"}, "target_sparsities"),
    ({"target_sparsities": []}, "target_sparsities"),
    ({"gmp_sparsities": [0.93]}, "gmp_sparsities"),
    ({"finetune_steps": 0}, "finetune_steps"),
    ({"finetune_lr": 0}, "finetune_lr"),
    ({"finetune_lr": "fast"}, "finetune_lr"),
    ({"gmp_every": "x"}, "gmp_every"),
    ({"gmp_start": 100, "gmp_end": 50}, "gmp_start"),
    ({"gmp_end": 6000}, "gmp_end"),
    ({"gmp_start": -1}, "gmp_start"),
    ({"lottery_rounds": -1}, "lottery_rounds"),
    ({"lottery_rounds": 31}, "lottery_rounds"),
    ({"lottery_rounds": "many"}, "lottery_rounds"),
    ({"lottery_rounds": True}, "lottery_rounds"),
])
def test_each_new_option_fails_in_one_line_naming_it(values, key):
    with pytest.raises(ConfigError) as error:
        make_config(values)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"invalid config: {key}=")


def test_sparsities_are_read_as_text_and_sorted():
    config = make_config({"target_sparsities": "0.9, 0.5", "gmp_sparsities": "0.9"})
    assert config.target_sparsities == (0.5, 0.9) and config.gmp_sparsities == (0.9,)


def test_each_entry_is_keyed_by_exactly_what_changes_it():
    from pruning_pipeline.train.keyed import method_keys, training_keys

    base = make_config({"profile": "quick"})
    keys = method_keys(base, "cpu")
    rounds = [(kind, k) for k in range(1, base.lottery_rounds + 1) for kind in ("lottery", "lottery_control")]
    assert sorted(keys) == sorted([("finetuned", t) for t in base.target_sparsities] + [("gradual", 0.9)] + rounds)

    def changed(**values):
        other = method_keys(replace(base, **values), "cpu")
        return {name for name in keys if name in other and other[name] != keys[name]}, other

    assert changed(finetune_steps=99)[0] == {("finetuned", t) for t in base.target_sparsities}
    assert changed(finetune_lr=1e-4)[0] == {("finetuned", t) for t in base.target_sparsities}
    assert changed(gmp_every=7)[0] == {("gradual", 0.9)}
    differs, more = changed(lottery_rounds=base.lottery_rounds + 1)  # one more round: only it is new
    assert differs == set() and set(more) - set(keys) == {("lottery", 3), ("lottery_control", 3)}
    assert len({keys[entry] for entry in rounds}) == base.lottery_rounds  # a round's ticket and control share it
    assert set(method_keys(replace(base, lottery_rounds=0), "cpu")) == set(keys) - set(rounds)
    assert changed(tau_post=0.1, percentile=30.0, sweep_points=40)[0] == set()
    differs, more = changed(target_sparsities=(0.5, 0.8, 0.9, 0.99))
    assert differs == set() and set(more) - set(keys) == {("finetuned", 0.8)}
    assert changed(lr=1e-3)[0] == set(keys)  # a new plain run: everything after it changes
    assert training_keys(replace(base, finetune_steps=99, finetune_lr=1e-4, gmp_every=7), "cpu") == \
        training_keys(base, "cpu")


def test_fine_tuning_runs_at_a_tenth_of_the_training_rate_unless_told():
    from pruning_pipeline.train.methods import finetuning

    base = make_config({"lr": 2e-3, "finetune_steps": 7})
    assert finetuning(base).lr == pytest.approx(2e-4) and finetuning(base).steps == 7
    assert finetuning(base).record_every == 7
    assert finetuning(replace(base, finetune_lr=5e-3)).lr == 5e-3
    assert make_config({"finetune_lr": "none"}).finetune_lr is None


@pytest.mark.parametrize("gradual, verdict", [(0.8, "gradual pruning ahead"), (0.725, "no real difference"),
                                              (0.6, "one-shot pruning ahead")])
def test_the_matched_sparsity_verdict_reads_the_gap_at_the_gradual_target(gradual, verdict):
    from handmade import fake_results

    from pruning_pipeline.site import claims

    metrics = fake_results().metrics
    metrics["methods"]["accuracy"]["gradual"] = [None, gradual]
    judged = claims.evaluate(metrics)["matched_sparsity"]
    assert judged["verdict"] == verdict
    assert judged["evidence"]["gap"] == pytest.approx(gradual - 0.72)  # against per layer + fine-tuning
    assert "at 90% sparsity" in judged["finding"].lower() and "40.0%" in judged["finding"]  # random + fine-tuning


def test_layer_collapse_counts_the_output_units_left_without_a_weight():
    from pruning_pipeline.train.methods import layer_collapse

    linear = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 3.0]])  # units 0, 2 dead
    conv = torch.zeros(3, 2, 2, 2)
    conv[1, 1, 0, 1] = 0.3  # channels 0 and 2 have no weight left
    found = layer_collapse({"fc": linear, "conv": conv})
    assert found["fc"] == {"sparsity": 8 / 12, "dead_units": 2, "units": 4}
    assert found["conv"] == {"sparsity": 23 / 24, "dead_units": 2, "units": 3}


def test_the_layer_collapse_diagnosis_names_the_layer_the_target_the_seeds_and_the_cost():
    from handmade import SHAPES, fake_results

    from pruning_pipeline.site.claims import evaluate
    from pruning_pipeline.site.published import publish

    last = list(SHAPES)[-1]
    judged = evaluate(fake_results().metrics)["layer_collapse"]  # handmade: global empties 2 units of the last layer at 90%
    assert judged["verdict"] == f"{last} collapses" and judged["tone"] == "failure"
    units = SHAPES[last][0]
    assert (f"Under one global ranking, `{last}` keeps no weight for 2 of its {units:,} output units (classes the "
            "model can no longer predict from its input) at 90% sparsity, in every seed.") in judged["finding"]
    assert "ends 2.0 points ahead of one global ranking" in judged["finding"]  # 0.72 per layer against 0.70

    metrics = fake_results().metrics
    second = fake_results().metrics
    second["config"] = {**second["config"], "seed": 1}
    second["methods"]["layers"]["global"][last]["dead_units"] = [0, 0]  # the other seed keeps every class
    two = publish({**metrics, "seeds": {"seeds": [0, 1], "run_ids": ["a", "b"], "per_seed": [metrics, second]}})
    claim = two["claims"]["layer_collapse"]
    assert claim["verdict"].startswith("split across seeds") and "in 1 of 2 seeds" in claim["finding"]
    for seed in (metrics, second):
        for ranking in seed["methods"]["layers"].values():
            for series in ranking.values():
                series["dead_units"] = [None if d is None else 0 for d in series["dead_units"]]
    clean = evaluate(metrics)["layer_collapse"]
    assert clean["verdict"] == "no layer collapses" and clean["tone"] == "success"


def test_the_collapse_table_gives_each_rankings_layer_sparsity_and_dead_units():
    from handmade import SHAPES, fake_results

    from pruning_pipeline.site.tables import table_collapse

    last, units = list(SHAPES)[-1], list(SHAPES.values())[-1][0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table_collapse(fake_results().metrics).splitlines()[2:]]
    assert len(rows) == 4 * len(SHAPES)  # every ranking, every pruned layer
    assert ["one global ranking", f"`{last}`", f"50.0% · 0 of {units} dead", f"90.0% · 2 of {units} dead"] in rows
    assert ["gradual pruning", f"`{last}`", "—", f"90.0% · 0 of {units} dead"] in rows


def test_a_fine_tuning_that_lowers_accuracy_beyond_the_seeds_spread_is_a_warning():
    from handmade import fake_results

    from pruning_pipeline.site.published import publish

    metrics = fake_results().metrics
    assert not [w for w in publish(metrics)["warnings"] if "fine-tuning" in w]  # handmade: it always helps
    metrics["methods"]["accuracy"]["layer_finetuned"] = [0.84, 0.72]  # 0.86 as pruned at 50%: 2 points lost
    assert "fine-tuning lowers each layer ranked on its own at 50% sparsity by 2.0 points" in publish(metrics)["warnings"]
    second = fake_results().metrics
    second["config"] = {**second["config"], "seed": 1}
    for lost, flagged in ((0.01, True), (-0.03, False)):  # the other seed loses a point / gains three
        second["methods"]["accuracy"]["layer_finetuned"] = [0.86 - lost, 0.72]
        two = publish({**metrics, "seeds": {"seeds": [0, 1], "run_ids": ["a", "b"], "per_seed": [metrics, second]}})
        said = [w for w in two["warnings"] if w.startswith("fine-tuning lowers each layer")]
        assert bool(said) == flagged, said
        if flagged:
            assert said[0].endswith("(in 2 of 2 seeds)") and "1.5 ±\u00a00.7 points" in said[0]


def test_the_matched_sparsity_verdict_reads_the_whole_gradual_curve_where_there_is_one():
    from handmade import fake_results

    from pruning_pipeline.site.claims import evaluate

    metrics = fake_results().metrics
    assert "Over the gradual curve" not in evaluate(metrics)["matched_sparsity"]["finding"]  # one gradual target
    metrics["methods"]["gradual"]["targets"] = [0.5, 0.9]
    metrics["methods"]["accuracy"]["gradual"] = [0.885, 0.8]  # against per layer + fine-tuning 0.88, 0.72
    found = evaluate(metrics)["matched_sparsity"]["finding"]
    assert ("Over the gradual curve, gradual minus one-shot with fine-tuning is +0.5 at 50%, +8.0 at 90% (points); "
            "the two part by more than a point from 90%.") in found
