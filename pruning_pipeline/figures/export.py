"""Rendering the catalog: every figure in every format, light and dark, with its CSV,
byte-reproducible; one render per run and per version of the plotting source, kept as a
cache entry of its own."""

from __future__ import annotations

import contextlib
import csv
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path

from .. import __version__
from ..config import stable_hash
from ..keys.code import source_digest
from ..keys.store import Cache
from ..results import Results
from .catalog import specs
from .spec import DARK_FORMATS, LIGHT_FORMATS, FigureInfo, Spec

def file_metadata(fmt: str, title: str, run_id: str) -> dict:
    """What a figure file says of itself: its title, and the release and run that made
    it (PNG text chunks, the SVG's Dublin Core ``<metadata>``, the PDF's document
    information). No dates, so every file is byte-identical across runs."""
    made_by = provenance(run_id)
    return {"png": {"Software": None, "Title": title, "Source": made_by},
            "svg": {"Date": None, "Title": title, "Source": made_by, "Identifier": run_id},
            "pdf": {"CreationDate": None, "Title": title, "Subject": made_by,
                    "Keywords": f"pruning-pipeline {__version__}, run {run_id}"}}[fmt]


def provenance(run_id: str) -> str:
    """``pruning-pipeline 0.1.0, run 497dd20512bd6359``: what made a published file."""
    return f"pruning-pipeline {__version__}, run {run_id}"



def export_figures(results: Results, out_dir: Path) -> list[FigureInfo]:
    """Write every catalogued figure into ``out_dir``.

    Per stem: ``.png`` (300 dpi), ``.svg``, ``.pdf`` (TrueType fonts embedded), ``.csv``
    (the data behind it), ``-dark.png`` and ``-dark.svg``. Byte-reproducible. Figures
    are independent, so where processes can be forked they render on every core.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    every = specs(results)
    workers = min(os.cpu_count() or 1, len(every))
    global _EXPORTING
    _EXPORTING = (results, out_dir)  # forked workers inherit it: only indices cross over
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                list(pool.map(_export_one, range(len(every))))
        else:
            for index in range(len(every)):
                _export_one(index)
    finally:
        _EXPORTING = None
    return [spec.info for spec in every]


_EXPORTING: tuple[Results, Path] | None = None


def _export_one(index: int) -> None:
    """Every file of the ``index``-th figure of the catalog being exported."""
    results, out_dir = _EXPORTING
    spec = specs(results)[index]
    _save_variant(spec, out_dir / spec.info.stem, results.run_id, dark=False)
    _save_variant(spec, out_dir / f"{spec.info.stem}-dark", results.run_id, dark=True)
    _write_csv(out_dir / f"{spec.info.stem}.csv", f"{spec.info.title}: {provenance(results.run_id)}", *spec.table())


def _save_variant(spec: Spec, base: Path, run_id: str, dark: bool) -> None:
    from .style import style  # matplotlib only when drawing: a cached render needs none

    # Saved inside the style: matplotlib styles lazily created ticks at draw time.
    with style(dark), _fonts_subset_without_layout_tables():
        figure = spec.draw(dark=dark)
        for fmt in DARK_FORMATS if dark else LIGHT_FORMATS:
            figure.savefig(base.with_name(f"{base.name}.{fmt}"), metadata=file_metadata(fmt, spec.info.title, run_id))
            figure.set_layout_engine("none")  # laid out once: every format gets the same layout


# OpenType layout tables: ligatures, kerning pairs, glyph classes. A PDF draws its text
# by glyph index with the advances matplotlib computed, so a viewer never reads them.
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF")


@contextlib.contextmanager
def _fonts_subset_without_layout_tables():
    """Leave the layout tables out of the fonts embedded in PDFs.

    matplotlib embeds a subset of each TrueType font made by fontTools, which decodes
    and subsets those tables for every file: a third of the time of a PDF here. The
    embedded glyphs and everything drawn stay the same. Where fontTools keeps its
    defaults elsewhere (its list is not public API), nothing changes but the time.
    """
    from fontTools import subset

    default = getattr(subset.Options, "_drop_tables_default", None)
    if not isinstance(default, list):
        yield
        return
    subset.Options._drop_tables_default = default + [tag for tag in LAYOUT_TABLES if tag not in default]
    try:
        yield
    finally:
        subset.Options._drop_tables_default = default


CSV_COMMENT = "# "  # the first line of every CSV: what it is and what made it


def _write_csv(path: Path, about: str, header: list[str], rows: list[list]) -> None:
    """The data behind a figure, under one comment line naming it and its run (read it
    with ``pandas.read_csv(path, comment="#")``)."""
    with path.open("w", newline="") as handle:
        handle.write(CSV_COMMENT + about.replace("\n", " ") + "\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)




FIGURES_KIND = "figures"
FIGURES_SOURCE = "pruning_pipeline.figures"  # figures/ and what it imports; never site/


def figures_key(results: Results) -> str:
    """Cache key of a render: the run, the source this module imports (figures/ and what
    it uses, read from the imports), the matplotlib version and the release every file
    names in its metadata."""
    return render_key(results.run_id)


def render_key(run_id: str) -> str:
    """`figures_key` of the run named ``run_id``, without loading it."""
    return stable_hash({"run": run_id, "code": source_digest(FIGURES_SOURCE), "matplotlib": version("matplotlib"),
                        "release": __version__})


def render_cached(results: Results) -> bool:
    """Whether ``results`` already has an intact render in the cache."""
    return results.entry_dir is not None and Cache(Path(results.entry_dir).parent.parent).problem(
        FIGURES_KIND, figures_key(results)) is None


def cached_figures(results: Results) -> Path:
    """Directory holding every rendered figure file of ``results``.

    A finished run lives in ``<cache>/results/<run id>``; its render is an entry of its
    own, ``<cache>/figures/<key>``, written and checked like every cache entry (atomic,
    checksummed, a damaged one re-rendered). Without a cache entry, render into a fresh
    temporary directory.
    """
    if results.entry_dir is None:
        directory = Path(tempfile.mkdtemp(prefix="figures-"))
        export_figures(results, directory)
        return directory
    cache = Cache(Path(results.entry_dir).parent.parent)
    key = figures_key(results)
    return cache.get(FIGURES_KIND, key) or cache.put(FIGURES_KIND, key, lambda d: export_figures(results, d))
