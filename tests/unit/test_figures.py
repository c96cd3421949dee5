"""Figure catalog, export and cache, checked on a tiny fabricated but schema-complete run."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pruning_pipeline import figures
from pruning_pipeline.results import LAYER_KEYS, STAGES, Results

WEIGHTS = {"ffnn1": 196_608, "cls_head": 2_560, "global": 199_168}  # 256x768, 10x256, both
BINS = 9
STEPS = [10, 20, 30]
STEMS_AT_04 = {
    "initialization-cls-head", "initialization-ffnn",
    "before-pruning-distribution-cls-head", "before-pruning-distribution-ffnn",
    "threshold-inside-the-training-loop-cls", "threshold-inside-the-training-loop-ffnn",
    "at-prune-0.4-cls-head", "at-prune-0.4-ffnn", "at-prune-0.4",
    "percentile-20-cls-head", "percentile-20-ffnn", "percentile-20",
    "threshold-sweep", "accuracy-vs-sparsity", "layer-sensitivity", "threshold-vs-percentile",
    "threshold-vs-percentile-distributions",
    "in-loop-dynamics-ffnn", "in-loop-dynamics-cls-head",
    "stage-comparison-ffnn", "stage-comparison-cls-head", "stage-comparison-global",
    "training-curves", "compression-payoff",
}
PAGES = {
    "visualizations/initialization", "visualizations/before-pruning",
    "visualizations/threshold-inside-the-training-loop", "visualizations/post-training-pruning",
    "percentile-pruning", "what-the-visuals-reveal", "training-dynamics", "compression-payoff",
}


def _layer_stats(n: int, sparsity: float) -> dict:
    return {"count": n, "zeros": int(n * sparsity), "nonzeros": n - int(n * sparsity),
            "sparsity": sparsity, "mean": 0.001, "std": 0.1, "min": -0.5, "max": 0.5,
            "abs_max": 0.5, "skew": 0.0, "kurtosis": 3.0, "below_tau": {"0.4": sparsity}}


def fake_results(entry_dir: Path | None = None, tau_post: float = 0.4) -> Results:
    """A run with every key the figures read; counts sum to the real layers' sizes."""
    rng = np.random.default_rng(0)
    bell = np.array([1, 2, 6, 15, 30, 15, 6, 2, 1], float)
    spike = np.array([1, 1, 0, 0, 200, 0, 0, 1, 1], float)
    shapes = {"init": np.array([0, 0, 0, 1, 1, 1, 0, 0, 0], float), "trained": bell,
              "in_loop": bell, "post": spike, "percentile": bell}
    histograms = {"dynamics_steps": np.array(STEPS)}
    for layer, n in WEIGHTS.items():
        histograms[f"edges/{layer}"] = np.linspace(-0.9, 0.9, BINS + 1)
        histograms[f"dynamics/{layer}"] = rng.multinomial(n, bell / bell.sum(), size=len(STEPS))
        for stage in (*STAGES, "layerwise_percentile"):
            p = shapes.get(stage, bell) / shapes.get(stage, bell).sum()
            histograms[f"counts/{stage}/{layer}"] = rng.multinomial(n, p)
    sparsity = {"init": 0.0, "trained": 0.0, "in_loop": 0.01, "post": 0.99, "percentile": 0.2}
    stages = {s: {"accuracy": 0.9, "loss": 0.3,
                  "layers": {layer: _layer_stats(n, sparsity[s]) for layer, n in WEIGHTS.items()}}
              for s in STAGES}
    stages["post"]["threshold"] = tau_post
    stages["percentile"]["threshold"] = 0.02
    taus = [0.0, 0.001, 0.01, 0.1, tau_post, 1.0]
    per_layer = {layer: 0.2 for layer in LAYER_KEYS}
    method = {"accuracy": 0.9, "sparsity": per_layer}
    metrics = {
        "manifest": {"config_hash": "fake-run"},
        "config": {"tau_loop": 0.001, "tau_post": tau_post, "percentile": 20.0,
                   "in_loop_rule": "threshold", "hist_bins": BINS},
        "stages": stages,
        "curves": {run: {"steps": STEPS, "train_loss": [2.0, 1.0, 0.5],
                         "test_loss": [2.1, 1.1, 0.6], "test_accuracy": [0.3, 0.8, 0.9]}
                   for run in ("trained", "in_loop")},
        "dynamics": {"rule": "threshold", "threshold": 0.001, "steps": STEPS,
                     "layers": {layer: {"sparsity": [0.01, 0.02, 0.01], "pruned_prev": [5, 6, 7],
                                        "regrowth": [1, 2, 3]} for layer in LAYER_KEYS}},
        "sweep": {"taus": taus, "accuracy": [0.9, 0.9, 0.9, 0.85, 0.3, 0.1],
                  "loss": [0.3] * 6, "sparsity": {layer: [0, 0.01, 0.1, 0.5, 0.9, 1.0]
                                                  for layer in LAYER_KEYS},
                  "configured_tau": tau_post, "configured_index": 4, "knee_index": 2,
                  "baseline_accuracy": 0.9},
        "sensitivity": {"sparsities": [0, 0.5, 0.9], "baseline_accuracy": 0.9,
                        "accuracy": {"ffnn1": [0.9, 0.9, 0.8], "cls_head": [0.9, 0.7, 0.2]}},
        "threshold_vs_percentile": {
            "sparsity": 0.2, "global_threshold": {"threshold": 0.02, **method},
            "layerwise_percentile": {"thresholds": {"ffnn1": 0.01, "cls_head": 0.05}, **method}},
        "compression": {"stages": {s: {"nonzeros": 100, "dense_bytes": 4000, "csr_bytes": 900,
                                       "bitmask_bytes": 600, "dense_latency_ms": 1.0,
                                       "sparse_latency_ms": 2.0, "sparse_vs_dense_latency": 2.0}
                                   for s in STAGES}},
    }
    return Results(metrics=metrics, histograms=histograms, entry_dir=entry_dir)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, list[figures.FigureInfo]]:
    out = tmp_path_factory.mktemp("figures")
    return out, figures.export_figures(fake_results(), out)


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _layer_of_stem(stem: str) -> str:
    if stem.endswith(("-cls-head", "-cls")):
        return "cls_head"
    return "ffnn1" if stem.endswith("-ffnn") else "global"


# -------------------------------------------------------------------------------- catalog


def test_catalog_names_every_published_figure_once():
    infos = figures.catalog(fake_results())
    stems = [info.stem for info in infos]
    assert set(stems) == STEMS_AT_04 and len(stems) == len(STEMS_AT_04)
    assert {info.page for info in infos} <= PAGES
    assert {info.kind for info in infos} == {"histogram", "analysis"}
    assert sum(info.kind == "histogram" for info in infos) == 12
    assert all(info.title and info.caption.endswith(".") for info in infos)


def test_at_prune_stems_follow_the_configured_tau():
    infos = figures.catalog(fake_results(tau_post=0.25))
    at_prune = sorted(info.stem for info in infos if info.stem.startswith("at-prune"))
    assert at_prune == ["at-prune-0.25", "at-prune-0.25-cls-head", "at-prune-0.25-ffnn"]
    assert all("0.25" in info.caption for info in infos if info.stem.startswith("at-prune"))


# --------------------------------------------------------------------------------- export


def test_every_figure_is_exported_in_every_format(exported):
    out, infos = exported
    expected = {f"{i.stem}.{fmt}" for i in infos for fmt in ("png", "svg", "pdf", "csv")}
    expected |= {f"{i.stem}-dark.{fmt}" for i in infos for fmt in ("png", "svg")}
    assert {p.name for p in out.iterdir()} == expected
    assert all(info.formats == ("png", "svg", "pdf", "csv") for info in infos)


def test_exported_files_are_valid(exported):
    out, infos = exported
    for info in infos:
        for name in (info.stem, f"{info.stem}-dark"):
            assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
            svg = (out / f"{name}.svg").read_bytes()
            assert b"<svg" in svg[:500] and svg.rstrip().endswith(b"</svg>")
        pdf = (out / f"{info.stem}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # TrueType font embedded


def test_dark_variant_differs_from_light(exported):
    out, infos = exported
    for info in infos:
        light, dark = (out / f"{info.stem}.png", out / f"{info.stem}-dark.png")
        assert light.read_bytes() != dark.read_bytes()


def test_histogram_csv_holds_every_weight_on_the_stored_bins(exported):
    """Every CSV bin is a run of whole stored bins: its edges are stored edges."""
    out, infos = exported
    results = fake_results()
    for info in (i for i in infos if i.kind == "histogram"):
        header, rows = _read_csv(out / f"{info.stem}.csv")
        layer = _layer_of_stem(info.stem)
        assert header == ["bin_left", "bin_right", "count"]
        table = np.array(rows, float)
        assert table[:, 2].sum() == WEIGHTS[layer], info.stem
        stored = set(results.edges(layer).tolist())
        assert set(table[:, 0]) <= stored and set(table[:, 1]) <= stored
        assert np.array_equal(table[1:, 0], table[:-1, 1])  # contiguous


def test_analysis_csvs_have_a_header_and_rows(exported):
    out, infos = exported
    for info in (i for i in infos if i.kind == "analysis"):
        header, rows = _read_csv(out / f"{info.stem}.csv")
        assert len(header) >= 2 and rows and all(len(row) == len(header) for row in rows)


def test_export_is_byte_reproducible_across_processes(exported, tmp_path):
    """A second process renders every third figure; its files equal the first export's."""
    out, _ = exported
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from test_figures import fake_results; from pruning_pipeline import figures;"
        "specs = figures._specs; figures._specs = lambda results: specs(results)[::3];"
        "figures.export_figures(fake_results(), Path(sys.argv[1]))"
    )
    second = tmp_path / "second"
    subprocess.run([sys.executable, "-c", script, str(second), str(Path(__file__).parent)],
                   check=True, cwd=Path(__file__).parents[2])
    names = sorted(p.name for p in second.iterdir())
    assert len(names) == 8 * 6  # 23 figures, every third, 6 files each
    assert [n for n in names if (out / n).read_bytes() != (second / n).read_bytes()] == []


def test_figure_modules_do_not_import_torch():
    code = ("import sys, pruning_pipeline.figures, pruning_pipeline.plots;"
            "sys.exit('torch' in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# ---------------------------------------------------------------------------------- cache


@pytest.fixture
def counted_renders(monkeypatch):
    """Count full renders; keep them cheap by exporting only the first two figures."""
    calls = []
    specs = figures._specs
    monkeypatch.setattr(figures, "_specs", lambda results: specs(results)[:2])
    export = figures.export_figures

    def counting_export(results, out_dir):
        calls.append(out_dir)
        return export(results, out_dir)

    monkeypatch.setattr(figures, "export_figures", counting_export)
    return calls


def _entry(tmp_path: Path) -> Path:
    """Where a finished run lives in a cache rooted at ``tmp_path``."""
    return tmp_path / "results" / "run"


def test_cache_renders_once_then_reuses(tmp_path, counted_renders):
    results = fake_results(entry_dir=_entry(tmp_path))
    first = figures.cached_figures(results)
    assert first == tmp_path / "figures" / figures.figures_key(results)
    assert (first / "initialization-cls-head.png").is_file()
    assert figures.cached_figures(results) == first
    assert len(counted_renders) == 1
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no scratch left behind


@pytest.mark.parametrize("damage", ["corrupt", "remove"])
def test_cache_rerenders_a_damaged_directory(tmp_path, counted_renders, damage):
    results = fake_results(entry_dir=_entry(tmp_path))
    directory = figures.cached_figures(results)
    victim = directory / "initialization-ffnn.svg"
    original = victim.read_bytes()
    if damage == "corrupt":
        victim.write_bytes(b"garbage")
    else:
        victim.unlink()
    assert figures.cached_figures(results) == directory
    assert len(counted_renders) == 2
    assert victim.read_bytes() == original


def test_cache_renders_again_for_another_run(tmp_path, counted_renders):
    results = fake_results(entry_dir=_entry(tmp_path))
    other = fake_results(entry_dir=_entry(tmp_path))
    other.metrics["manifest"] = {"config_hash": "another-run"}
    assert figures.cached_figures(results) != figures.cached_figures(other)
    assert len(counted_renders) == 2


def test_cache_renders_again_when_the_plotting_code_changes(tmp_path, counted_renders, monkeypatch):
    results = fake_results(entry_dir=_entry(tmp_path))
    first = figures.cached_figures(results)
    monkeypatch.setattr(figures, "source_digest", lambda *modules: "edited")
    second = figures.cached_figures(results)
    assert first != second and len(counted_renders) == 2


def test_cache_without_entry_dir_renders_into_a_fresh_directory(counted_renders):
    directory = figures.cached_figures(fake_results(entry_dir=None))
    assert (directory / "initialization-ffnn.pdf").is_file()
