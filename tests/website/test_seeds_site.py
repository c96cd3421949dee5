"""A site of several seeds: every quoted number that differs across seeds is its mean ±
its spread (the per-seed values in metrics.json), every verdict counts its seeds."""

import json
import re

from page_reading import read_csv

from pruning_pipeline.seeds.value import per_seed


def test_a_site_of_two_seeds_quotes_spreads_and_counts_seeds(tmp_path, build_site):
    site = tmp_path / "site"
    result = build_site(site, PRUNING_SEEDS="2", PRUNING_STEPS="60", PRUNING_RECORD_EVERY="20",
                        PRUNING_CACHE_DIR=str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((site / "static" / "metrics.json").read_text())
    assert metrics["seeds"]["seeds"] == [0, 1] and len(set(metrics["seeds"]["run_ids"])) == 2
    # the published accuracy is the mean of the seeds' own, which metrics.json also holds
    own = [per_seed(metrics, metrics["seeds"]["values"], i)["stages"]["trained"]["accuracy"] for i in (0, 1)]
    assert metrics["stages"]["trained"]["accuracy"] == sum(own) / 2
    verdicts = [claim["verdict"] for claim in metrics["claims"].values()]
    assert all(re.fullmatch(r"(?!split).+ in 2 of 2 seeds|split across seeds: .+ in \d of 2 seeds.*", v) for v in verdicts), verdicts
    for claim in metrics["claims"].values():
        assert len(claim["per_seed"]) == 2 and claim["unanimous"] == (len(set(claim["per_seed"])) == 1)
    page = (site / "what-the-visuals-reveal" / "index.html").read_text()
    assert "of 2 seeds" in page
    home = (site / "index.html").read_text()
    if own[0] != own[1]:
        assert re.search(r"\d%\s*±\s*\d", home), "a number that differs across seeds is quoted with its spread"
    # the sweep is on the seeds' common grid: the explorer's means are metrics.json's,
    # each the mean of the seeds' own values, which explorer.json carries for its band
    explorer = json.loads((site / "static" / "explorer.json").read_text())
    sweep = metrics["sweep"]
    assert explorer["taus"] == sweep["taus"] and explorer["accuracy"] == sweep["accuracy"]
    assert explorer["spread"]["seeds"] == [0, 1]
    for i, tau in enumerate(sweep["taus"]):
        seeds = [row[i] for row in explorer["spread"]["accuracy"]]
        assert sweep["accuracy"][i] == sum(seeds) / 2, tau
        assert len(explorer["counts"]["global"]) == len(sweep["taus"])
    header, _ = read_csv(site / "static" / "threshold-sweep.csv")
    assert header[-2:] == ["test_accuracy_seed_0", "test_accuracy_seed_1"]
