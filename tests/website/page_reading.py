"""Reading what a built page and its files show: CSV rows, a page's visible text and its
table cells, and a number shown as a mean with the spread over the seeds."""

from __future__ import annotations

import csv
import io
import re
import statistics
from html import unescape
from pathlib import Path

from pruning_pipeline.seeds.value import per_seed


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a published CSV, below its first line: a comment naming the
    release and the run that made it."""
    about, _, table = path.read_text().partition("\n")
    assert re.fullmatch(r"# .+: pruning-pipeline \S+, run [0-9a-f]{16}", about), about
    rows = list(csv.reader(io.StringIO(table)))
    return rows[0], rows[1:]


def text_of(path: Path) -> str:
    """Visible text of a page, tags stripped, entities decoded, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(), flags=re.S)
    html = re.sub(r"<(code|span|strong|em|a)\b[^>]*>|</(code|span|strong|em|a)>", "", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def table_rows(path: Path) -> list[list[str]]:
    """Cells of every table row of a page (text only)."""
    html = path.read_text()
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        rows.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def seed_values(metrics: dict, *path) -> list | None:
    """The per-seed values metrics.json holds for the number at ``path`` (None where it
    is the same in every seed, or the run has one seed)."""
    values = metrics.get("seeds", {}).get("values")
    for key in path:
        if not isinstance(values, dict):
            return None
        values = values.get(key)
    return values


def assert_shown(text: str, mean: float, values: list | None) -> None:
    """A number on a page is ``mean`` (to the digits shown) and, where the seeds differ,
    ``± sd`` of their own ``values``, the sample standard deviation (to its digits)."""
    found = re.fullmatch(r"\s*([\d.,]+)(%?)(?:\s*±\s*([\d.,]+)%?)?\s*", text)
    assert found, text
    scale = 100 if found.group(2) else 1

    def close(shown: str, expected: float) -> bool:
        digits = len(shown.split(".")[1]) if "." in shown else 0
        return abs(float(shown.replace(",", "")) / scale - expected) <= 0.5 * 10 ** -digits / scale + 1e-9

    assert close(found.group(1), mean), (text, mean)
    if values is None or len(set(values)) == 1:
        assert found.group(3) is None, text
    else:
        assert found.group(3) is not None and close(found.group(3), statistics.stdev(values)), (text, values)


def first_seed(metrics: dict) -> dict:
    """The first seed's own numbers, which its figures and their CSVs show."""
    return per_seed(metrics, metrics["seeds"]["values"], 0) if "seeds" in metrics else metrics
