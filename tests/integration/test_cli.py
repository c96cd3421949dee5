"""The command line end to end, through a real subprocess."""

import itertools
import subprocess
import sys

from pruning_pipeline.config import make_config


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pruning_pipeline", *args], capture_output=True, text=True)


def test_run_prints_a_summary_table(tmp_path):
    out = _cli("run", "--quiet", "--set", "profile=quick", "--set", "seeds=1", "--set", "steps=40", "--set", "record_every=20",
               "--set", f"cache_dir={tmp_path}")
    assert out.returncode == 0, out.stderr
    for stage in ("init", "trained", "in_loop", "post", "percentile"):
        assert any(line.startswith(stage) for line in out.stdout.splitlines())
    assert "ffnn1 sparsity" in out.stdout
    phase_table, job_table = out.stdout.split("where the time went:")[1].strip().split("\n\n")
    phases = [line.rsplit(None, 2)[0] if line.split()[-1] in ("cache", "computed") else line.split()[0]
              for line in phase_table.splitlines()[2:]]
    # trained, in_loop, one entry per method target and a ticket and a control per lottery round (and results)
    quick = make_config({"profile": "quick", "seeds": 1})
    jobs = 2 + len(quick.target_sparsities) + len(quick.gmp_sparsities) + 2 * quick.lottery_rounds
    assert phases[0].startswith(f"training jobs: {jobs} on ") and phases[-1] == "total"
    assert "data" in phases and "analysis" in phases
    runs = {line.split()[0]: int(line.split()[1]) for line in job_table.splitlines()[1:]}
    assert runs == {"trained": 1, "in_loop": 1, "gradual": len(quick.gmp_sparsities),
                    "finetuned": len(quick.target_sparsities), "lottery": quick.lottery_rounds,
                    "lottery_control": quick.lottery_rounds}
    # the lottery table the methods page gives: the unpruned run and every round
    lottery = out.stdout.split("lottery tickets (Frankle & Carbin 2019), by round:\n")[1].splitlines()[2:]
    rounds = [line.split()[0] for line in itertools.takewhile(lambda line: line[:1].isdigit(), lottery)]
    assert rounds == [str(k) for k in range(quick.lottery_rounds + 1)]
    info = _cli("info", "--set", f"cache_dir={tmp_path}")
    assert info.returncode == 0
    assert info.stdout.count(" ok") == 1 + jobs


def test_bad_value_exits_2_with_one_line_and_writes_nothing(tmp_path):
    cache = tmp_path / "cache"
    out = _cli("run", "--set", "tau_post=-1", "--set", f"cache_dir={cache}")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: invalid config: tau_post='-1'; allowed: a number >= 0"
    assert not cache.exists()


def test_absent_device_is_an_error_naming_what_is_present(tmp_path):
    import torch

    if torch.cuda.is_available():
        return
    out = _cli("run", "--set", "device=cuda", "--set", f"cache_dir={tmp_path / 'c'}")
    assert out.returncode == 2 and "devices present here: " in out.stderr and "cpu" in out.stderr
    assert not (tmp_path / "c").exists()


def test_bad_config_files_are_one_line_errors(tmp_path):
    cases = {"broken.json": "{not json", "broken.yml": "a: [1, 2", "scalar.yml": "pruning: 5",
             "unknown.yml": "pruning:\n  tau: 0.1\n"}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        out = _cli("run", "--config", str(path), "--set", f"cache_dir={tmp_path / 'c'}")
        assert out.returncode == 2, name
        assert len(out.stderr.strip().splitlines()) == 1 and "invalid config" in out.stderr, out.stderr
    assert not (tmp_path / "c").exists()


def test_run_over_seeds_prints_the_means_and_spreads_the_site_gives(tmp_path):
    import statistics

    from pruning_pipeline.api import run

    options = ["profile=quick", "seeds=2", "steps=40", "record_every=20", "tau_post=0.1", f"cache_dir={tmp_path}"]
    out = _cli("run", "--quiet", *[arg for option in options for arg in ("--set", option)])
    assert out.returncode == 0, out.stderr
    assert "over 2 seeds (0, 1): mean ± sd" in out.stdout
    per_seed = run(make_config(dict(option.split("=", 1) for option in options)), progress=False).per_seed
    (post,) = [line for line in out.stdout.splitlines() if line.startswith("post ")]
    for values, cell in ((([m["stages"]["post"]["accuracy"] for m in per_seed]), 1),
                         ([m["stages"]["post"]["layers"]["global"]["sparsity"] for m in per_seed], -1)):
        mean, sd = statistics.fmean(values) * 100, statistics.stdev(values) * 100
        expected = f"{mean:.2f}% ± {sd:.2f}%" if round(sd, 2) else f"{mean:.2f}%"
        assert expected in post, (expected, post)
