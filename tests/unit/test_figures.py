"""Figure catalog, export and cache, checked on a tiny fabricated but schema-complete run."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pruning_pipeline.figures import export as figures
from pruning_pipeline.figures.catalog import catalog
from pruning_pipeline.figures.spec import FigureInfo
from handmade import PAGES, STEMS_AT_04, WEIGHTS, fake_results

@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, list[FigureInfo]]:
    out = tmp_path_factory.mktemp("figures")
    return out, figures.export_figures(fake_results(), out)


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a figure's CSV, below its comment line naming the run."""
    with path.open(newline="") as handle:
        about = handle.readline()
        header, *rows = list(csv.reader(handle))
    assert about.startswith("# ") and f"run {fake_results().run_id}" in about, about
    return header, rows


def _layer_of_stem(stem: str) -> str:
    if stem.endswith(("-cls-head", "-cls")):
        return "cls_head"
    return "ffnn1" if stem.endswith("-ffnn") else "global"


# -------------------------------------------------------------------------------- catalog


def test_catalog_names_every_published_figure_once():
    infos = catalog(fake_results())
    stems = [info.stem for info in infos]
    assert set(stems) == STEMS_AT_04 and len(stems) == len(STEMS_AT_04)
    assert {info.page for info in infos} <= PAGES
    assert {info.kind for info in infos} == {"histogram", "analysis"}
    assert sum(info.kind == "histogram" for info in infos) == 12
    assert all(info.title and info.caption.endswith(".") for info in infos)


def test_at_prune_stems_follow_the_configured_tau():
    infos = catalog(fake_results(tau_post=0.25))
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


def test_every_file_names_its_run_and_release_in_its_own_metadata(exported):
    from PIL import Image

    from pruning_pipeline import __version__

    out, infos = exported
    run = fake_results().run_id
    made_by = f"pruning-pipeline {__version__}, run {run}"
    for info in infos:
        for name in (f"{info.stem}.png", f"{info.stem}-dark.png"):
            with Image.open(out / name) as image:
                assert image.text["Source"] == made_by and image.text["Title"] == info.title, name
        for name in (f"{info.stem}.svg", f"{info.stem}-dark.svg"):
            svg = (out / name).read_text()
            assert f"<dc:identifier>{run}</dc:identifier>" in svg and f"<dc:source>{made_by}</dc:source>" in svg, name
        pdf = (out / f"{info.stem}.pdf").read_bytes()
        assert f"/Keywords ({made_by})".encode() in pdf, info.stem
        assert (out / f"{info.stem}.csv").read_text().splitlines()[0] == f"# {info.title}: {made_by}"


def test_dark_variant_differs_from_light(exported):
    out, infos = exported
    for info in infos:
        light, dark = (out / f"{info.stem}.png", out / f"{info.stem}-dark.png")
        assert light.read_bytes() != dark.read_bytes()


def test_histogram_csv_holds_every_weight_on_the_stored_bins(exported):
    """Every CSV bin is a run of whole stored bins: its edges are stored edges (the
    shared grid, or for the post stage, which has a cut, its cut-aligned bins)."""
    out, infos = exported
    results = fake_results()
    for info in (i for i in infos if i.kind == "histogram"):
        header, rows = _read_csv(out / f"{info.stem}.csv")
        layer = _layer_of_stem(info.stem)
        assert header == ["bin_left", "bin_right", "count"]
        table = np.array(rows, float)
        assert table[:, 2].sum() == WEIGHTS[layer], info.stem
        cut = results.cut("post", layer)
        stored = set((cut[0] if info.stem.startswith("at-prune-") else results.edges(layer)).tolist())
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
        "from test_figures import fake_results; from pruning_pipeline.figures import export as figures;"
        "specs = figures.specs; figures.specs = lambda results: specs(results)[::3];"
        "figures.export_figures(fake_results(), Path(sys.argv[1]))"
    )
    second = tmp_path / "second"
    subprocess.run([sys.executable, "-c", script, str(second), str(Path(__file__).parent)],
                   check=True, cwd=Path(__file__).parents[2])
    names = sorted(p.name for p in second.iterdir())
    assert len(names) == 9 * 6  # 24 figures, every third, 6 files each
    assert [n for n in names if (out / n).read_bytes() != (second / n).read_bytes()] == []


def test_figure_modules_do_not_import_torch():
    code = ("import sys, pruning_pipeline.figures.export, pruning_pipeline.site.publish;"
            "sys.exit('torch' in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# ---------------------------------------------------------------------------------- cache


@pytest.fixture
def counted_renders(monkeypatch):
    """Count full renders; keep them cheap by exporting only the first two figures."""
    calls = []
    specs = figures.specs
    monkeypatch.setattr(figures, "specs", lambda results: specs(results)[:2])
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


def test_a_site_rebuilt_from_the_cache_does_not_import_matplotlib():
    """Publishing and rendering pages read the catalog; only drawing needs matplotlib."""
    code = ("import sys, pruning_pipeline.site.publish, pruning_pipeline.site.placeholders;"
            "sys.exit('matplotlib' in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_log_axes_are_labelled_in_plain_text_decades():
    """Tick labels of the log axes: powers of ten as plain text (no mathtext to parse on
    every draw), nothing between decades, and a symlog axis quiet near its zero."""
    from matplotlib.figure import Figure

    from pruning_pipeline.figures.style import decade_label, label_decades

    assert [decade_label(v) for v in (1.0, 1000.0, 1e-2, 0.0, 2.0, 0.05, -10.0)] == [
        "10⁰", "10³", "10⁻²", "0", "", "", "−10¹"]
    fig = Figure()
    ax = fig.subplots()
    ax.set_xscale("symlog", linthresh=1e-5)
    ax.set_xlim(0, 1)
    label_decades(ax.xaxis, quiet_up_to=1e-5)
    formatter = ax.xaxis.get_major_formatter()
    assert [formatter(v, None) for v in (0.0, 1e-5, 1e-4, 1.0)] == ["0", "", "10⁻⁴", "10⁰"]
    fig.draw_without_rendering()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all("$" not in text for text in labels)


def test_the_methods_csv_gives_each_layers_sparsity_and_dead_units(exported):
    out, _ = exported
    header, rows = _read_csv(out / "methods-at-matched-sparsity.csv")
    methods = fake_results().metrics["methods"]
    assert header[5:] == [f"{key}_{layer}" for layer in methods["units"] for key in ("sparsity", "dead_units")]
    for name, target, _, _, _, *cells in rows:
        ranking, i = name.removesuffix("_finetuned"), methods["targets"].index(float(target))
        for j, layer in enumerate(methods["units"]):
            assert float(cells[2 * j + 1]) == methods["layers"][ranking][layer]["dead_units"][i], (name, layer)
