"""The lottery ticket's pure parts: the masks of each round, the control's own initial
weights, its jobs, its verdict, its section, tables and figure entry."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from handmade import STEPS, fake_results
from pruning_pipeline.config import make_config
from pruning_pipeline.figures.catalog import catalog
from pruning_pipeline.figures.lottery import lottery_table
from pruning_pipeline.jobs.plan import KIND_ORDER, plan
from pruning_pipeline.site import claims
from pruning_pipeline.site.facts import derive_facts
from pruning_pipeline.site.lottery import lottery_rows
from pruning_pipeline.site.placeholders import SiteRenderer
from pruning_pipeline.train import lottery
from pruning_pipeline.train.model import build_model, subject_for, weight_key
from pruning_pipeline.train.runs import initial_state


def _weights(seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {"a": torch.randn(10, 10, generator=generator), "b": torch.randn(4, 5, generator=generator)}


def test_each_round_keeps_the_largest_survivors_at_its_rate_and_the_masks_nest():
    first = _weights()
    one = lottery.round_masks(first, None, ("a", "b"), 1)
    assert int(one["a"].sum()) == 80 and int(one["b"].sum()) == 18  # b, the last layer, at half the rate
    for name, keep in one.items():
        magnitude = first[name].abs()
        assert magnitude[keep].min() > magnitude[~keep].max()  # the smallest went
    # round 2 ranks round 1's training among round 1's survivors: a weight it pruned stays
    # pruned, however large it is now
    trained = {name: torch.where(one[name], w, torch.full_like(w, 100.0)) for name, w in _weights(1).items()}
    two = lottery.round_masks(trained, one, ("a", "b"), 2)
    assert int(two["a"].sum()) == round(100 * 0.8 ** 2) and int(two["b"].sum()) == round(20 * 0.9 ** 2)
    for name in two:
        assert not (two[name] & ~one[name]).any()
        survivors = trained[name].abs()[one[name]]
        assert trained[name].abs()[two[name]].min() >= survivors.sort().values[-int(two[name].sum())]
    assert int(lottery.round_masks(first, None, ("a",), 1)["a"].sum()) == 80  # one layer alone: the full rate


def test_a_control_starts_from_a_fresh_draw_of_the_same_initialisation():
    config = make_config({"profile": "quick"})
    subject = subject_for(config, build_model(config))
    own, other_seed = initial_state(config, subject), initial_state(replace(config, seed=1), subject)
    first, again, second = (lottery.control_start(config, subject, k) for k in (1, 1, 2))
    assert own.keys() == first.keys()
    for key in own:
        assert first[key].shape == own[key].shape and torch.equal(first[key], again[key])
    for key in (weight_key(name, own) for name in subject.layers):
        assert not torch.equal(first[key], own[key]) and not torch.equal(first[key], other_seed[key])
        assert not torch.equal(first[key], second[key])
        bound = own[key].abs().max()  # the same uniform initialisation: the same bound, about
        assert first[key].abs().max() == pytest.approx(float(bound), rel=0.05)


def test_each_round_is_a_job_that_needs_the_previous_rounds_ticket():
    config = make_config({"profile": "quick", "seeds": 1, "lottery_rounds": 3})
    jobs = plan([config], "cpu")
    trained = next(job for job in jobs if job.kind == "trained")
    tickets = {job.target: job for job in jobs if job.kind == "lottery"}
    controls = {job.target: job for job in jobs if job.kind == "lottery_control"}
    assert sorted(tickets) == sorted(controls) == [1, 2, 3]
    assert tickets[1].needs == controls[1].needs == trained.entry
    for k in (2, 3):
        assert tickets[k].needs == controls[k].needs == tickets[k - 1].entry
    assert [KIND_ORDER.index(job.kind) for job in jobs] == sorted(KIND_ORDER.index(job.kind) for job in jobs)
    assert tickets[2].name == "seed 0: lottery ticket, round 2"
    assert not [job for job in plan([replace(config, lottery_rounds=0)], "cpu") if "lottery" in job.kind]


def test_the_verdict_follows_the_numbers_and_is_absent_without_rounds():
    metrics = fake_results().metrics
    judged = claims.evaluate(metrics)["lottery_ticket"]
    assert judged["verdict"] == "confirmed" and "round 2" in judged["finding"]  # 0.895 of 0.9, 2.5 over its control
    metrics["lottery"]["accuracy"]["control"] = list(metrics["lottery"]["accuracy"]["ticket"])
    assert claims.evaluate(metrics)["lottery_ticket"]["verdict"] == "partly confirmed"
    metrics["lottery"]["accuracy"]["ticket"] = [0.85, 0.8]
    assert claims.evaluate(metrics)["lottery_ticket"]["verdict"] == "refuted"
    del metrics["lottery"]
    assert "lottery_ticket" not in claims.evaluate(metrics) and "lottery" not in derive_facts(metrics)


def test_the_section_shows_only_where_the_run_has_rounds():
    metrics = fake_results().metrics
    sections = {"lottery": "## Lottery\n\n{{ lottery.rounds | len }} rounds"}
    page = "{{ section: lottery }}"
    assert SiteRenderer(metrics, [], sections=sections).render(page, "p.md") == "## Lottery\n\n2 rounds"
    without = {key: value for key, value in metrics.items() if key != "lottery"}
    assert SiteRenderer(without, [], sections=sections).render(page, "p.md") == ""
    with pytest.raises(ValueError, match="no section 'lotto'"):
        SiteRenderer(metrics, [], sections=sections).render("{{ section: lotto }}", "p.md")
    broken = SiteRenderer(metrics, [], sections={"lottery": "{{ lottery.nope }}"})
    with pytest.raises(ValueError, match="in section 'lottery'"):
        broken.render(page, "p.md")


def test_the_tables_give_every_round_and_the_figure_only_where_rounds_ran():
    results = fake_results()
    metrics = {**results.metrics, "facts": derive_facts(results.metrics)}
    header, rows = lottery_rows(metrics)
    assert len(rows) == 1 + len(metrics["lottery"]["rounds"])
    assert [row[4] for row in rows] == ["—", "+0.5", "+2.5"]  # ticket minus control, in points
    assert [row[1] for row in rows] == ["100%", "80.0%", "64.0%"]
    columns, data = lottery_table(results)
    assert len(data) == len(STEPS) * (1 + 2 * 2)  # the plain run and two rounds of ticket and control
    final = {(row[0], row[1]): row[4] for row in data if row[3] == STEPS[-1]}
    assert final[("ticket", 2)] == 0.895 and final[("control", 1)] == 0.9 and final[("unpruned", 0)] == 0.9
    assert "lottery-ticket" in {info.stem for info in catalog(results)}
    off = replace(results, metrics={k: v for k, v in results.metrics.items() if k != "lottery"})
    assert "lottery-ticket" not in {info.stem for info in catalog(off)}
