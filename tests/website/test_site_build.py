"""The strict build of the site, checked from the outside.

Expectations are derived independently of the site code: figure names from the
reference study's naming rule, weight counts from the model's layer shapes, numbers on
pages re-parsed from the HTML and compared with ``metrics.json`` and the CSV files.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from page_reading import first_seed, read_csv, table_rows, text_of
from pruning_pipeline.jobs.plan import KIND_ORDER

pytestmark = pytest.mark.site

LAYER_OF = {"ffnn": "ffnn1", "cls-head": "cls_head", "cls": "cls_head", "": "global"}
ANALYSIS_STEMS = [
    "threshold-sweep", "accuracy-vs-sparsity", "layer-sensitivity", "threshold-vs-percentile",
    "threshold-vs-percentile-distributions",
    "in-loop-dynamics-ffnn", "in-loop-dynamics-cls-head", "stage-comparison-ffnn",
    "stage-comparison-cls-head", "stage-comparison-global", "training-curves", "compression-payoff",
    "methods-at-matched-sparsity",
]


def histogram_stems(config: dict) -> dict[str, tuple[str, str]]:
    """stem -> (stage, layer), by the reference study's naming rule."""
    tau, p = f"{config['tau_post']:g}", f"{config['percentile']:g}"
    out = {}
    for suffix in ("cls-head", "ffnn"):
        out[f"initialization-{suffix}"] = ("init", LAYER_OF[suffix])
        out[f"before-pruning-distribution-{suffix}"] = ("trained", LAYER_OF[suffix])
        out[f"at-prune-{tau}-{suffix}"] = ("post", LAYER_OF[suffix])
        out[f"percentile-{p}-{suffix}"] = ("percentile", LAYER_OF[suffix])
    for suffix in ("cls", "ffnn"):
        out[f"threshold-inside-the-training-loop-{suffix}"] = ("in_loop", LAYER_OF[suffix])
    out[f"at-prune-{tau}"] = ("post", "global")
    out[f"percentile-{p}"] = ("percentile", "global")
    return out


def weight_count(metrics: dict, layer: str) -> int:
    """Weights of a Linear layer from its shape (global: both layers)."""
    if layer == "global":
        return weight_count(metrics, "ffnn1") + weight_count(metrics, "cls_head")
    rows, cols = metrics["model"]["layers"][layer]["shape"]
    return rows * cols


class Links(HTMLParser):
    """Collects href/src attributes and element ids of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text())
    return parser


# ----------------------------------------------------------------------------- pages


def test_every_nav_page_is_built(nav_pages):
    missing = [src for src, html in nav_pages if not html.is_file()]
    assert not missing, f"nav pages without HTML: {missing}"
    assert len(nav_pages) >= 15


def test_build_log_has_no_warning(site):
    log = (site / "build.log").read_text() if (site / "build.log").exists() else ""
    assert not re.search(r"^WARNING", log, flags=re.M), log


def test_no_number_typed_by_hand_in_docs(repo_root):
    """Prose in the page templates carries no digits: numbers come through placeholders."""
    allowed = {"CC BY-SA 3.0", "Share Alike 3.0", "1/√"}
    offenders = []
    for path in sorted((repo_root / "pruning_pipeline" / "site").rglob("*.md")):  # pages/ and sections/
        text = path.read_text()
        text = re.sub(r"```.*?```", " ", text, flags=re.S)   # code blocks
        text = re.sub(r"`[^`\n]*`", " ", text)               # inline code
        text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)  # placeholders
        text = re.sub(r"\]\([^)]*\)", "]", text)              # link targets
        text = re.sub(r"<[^>]+>", " ", text)                  # HTML tags
        text = re.sub(r"^\s*\d+\. ", " ", text, flags=re.M)     # ordered-list markers
        for token in allowed:
            text = text.replace(token, " ")
        for line in text.splitlines():
            if re.search(r"\d", line):
                offenders.append(f"{path.relative_to(repo_root)}: {line.strip()}")
    assert not offenders, "digits typed by hand:\n" + "\n".join(offenders)


def test_configuration_page_documents_every_option(site, metrics):
    text = text_of(site / "reproduce" / "configuration" / "index.html")
    for option in metrics["config"]:
        assert option in text, option


def test_metrics_json_page_describes_every_path(site, metrics):
    from pruning_pipeline.site.schema import UNDESCRIBED, schema_rows

    assert [path for path, _, text in schema_rows(metrics) if text == UNDESCRIBED] == []
    text = text_of(site / "reproduce" / "metrics-json" / "index.html")
    assert UNDESCRIBED not in text
    for section in metrics:
        assert section in text, section


# ----------------------------------------------------------------------------- figures


def test_catalog_has_the_reference_names(catalog, metrics):
    stems = {entry["stem"] for entry in catalog}
    expected = set(histogram_stems(metrics["config"])) | set(ANALYSIS_STEMS)
    assert expected <= stems, f"missing: {sorted(expected - stems)}"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_figures_json_gives_absolute_urls_and_the_run(site, catalog, metrics, mkdocs_config):
    base = mkdocs_config["site_url"].rstrip("/")
    for entry in catalog:
        assert entry["run_id"] == metrics["manifest"]["config_hash"]
        assert entry["urls"][f"{entry['stem']}.png"] == f"{base}/static/{entry['stem']}.png"
        assert set(entry["urls"]) == {p.name for p in (site / "static").glob(f"{entry['stem']}.*")} | {
            p.name for p in (site / "static").glob(f"{entry['stem']}-dark.*")}
    figures_page = text_of(site / "figures" / "index.html")
    stem = next(e["stem"] for e in catalog if e["group"] == "post" and e["layer"] == "global")
    assert f"run {metrics['manifest']['config_hash']}, {base}/static/{stem}.png" in figures_page


def test_every_figure_file_exists_and_is_valid(site, catalog):
    static = site / "static"
    for entry in catalog:
        stem = entry["stem"]
        assert set(entry["formats"]) >= {"png", "svg", "pdf", "csv"}, stem
        for name in (f"{stem}.png", f"{stem}-dark.png"):
            width, height = _png_size((static / name).read_bytes())
            assert width >= 600 and height >= 200, (name, width, height)
        for name in (f"{stem}.svg", f"{stem}-dark.svg"):
            root = ET.parse(static / name).getroot()
            assert root.tag.endswith("svg"), name
        pdf = (static / f"{stem}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:], stem
        header, rows = read_csv(static / f"{stem}.csv")
        assert header and rows, stem
        for row in rows:
            assert len(row) == len(header), stem


def test_histogram_csv_counts_sum_to_the_layer_weight_count(site, metrics):
    for stem, (stage, layer) in histogram_stems(metrics["config"]).items():
        header, rows = read_csv(site / "static" / f"{stem}.csv")
        assert header == ["bin_left", "bin_right", "count"], stem
        total = sum(int(row[2]) for row in rows)
        assert total == weight_count(metrics, layer), (stem, total)


def _on_grid(value: float, grid: dict) -> bool:
    position = (value - grid["low"]) / (grid["high"] - grid["low"]) * grid["bins"]
    return abs(position - round(position)) < 1e-6 and 0 <= round(position) <= grid["bins"]


def test_metrics_json_agrees_with_the_csvs(site, metrics):
    metrics = first_seed(metrics)
    for stem, (stage, layer) in histogram_stems(metrics["config"]).items():
        _, rows = read_csv(site / "static" / f"{stem}.csv")
        bins = [(float(a), float(b), int(n)) for a, b, n in rows]
        stats = metrics["stages"][stage]["layers"][layer]
        assert sum(n for _, _, n in bins) == stats["count"], stem
        # every exact zero sits in the bin that holds 0
        zero_bin = next(n for a, b, n in bins if a <= 0.0 <= b)
        assert zero_bin >= stats["zeros"], stem
        # occupied bins lie within [min, max]; the extreme bins are occupied
        occupied = [(a, b) for a, b, n in bins if n]
        assert occupied[0][0] <= stats["min"] <= occupied[0][1] + 1e-12, stem
        assert occupied[-1][0] - 1e-12 <= stats["max"] <= occupied[-1][1], stem
        # every stage of a layer is binned on one shared grid, a stage made by a cut on bins
        # with edges at ±τ; a figure merges whole bins of them
        cut = metrics["histogram_cut"].get(stage, {}).get(layer)
        if cut is None:
            grid = metrics["histogram_grid"][layer]
            assert all(_on_grid(a, grid) and _on_grid(b, grid) for a, b, _ in bins), stem
        else:
            side = {"low": cut["tau"], "high": cut["high"], "bins": cut["bins_per_side"]}
            assert all(_on_grid(abs(a), side) and _on_grid(abs(b), side) for a, b, _ in bins), stem
            inside = [(a, b, n) for a, b, n in bins if -cut["tau"] <= a and b <= cut["tau"]]
            assert inside == [(-cut["tau"], cut["tau"], stats["zeros"])], stem  # the cut, exactly


# ----------------------------------------------------------------------------- numbers on pages


def test_claims_on_pages_match_metrics(site, metrics, nav_pages):
    """Every claim is shown somewhere with the finding and verdict of metrics.json."""
    claims = metrics["claims"]
    assert claims, "metrics.json has no claims"
    shown = " ".join(text_of(html) for _, html in nav_pages)
    for name, claim in claims.items():
        finding = re.sub(r"\s+", " ", claim["finding"].replace("`", "").replace("**", ""))
        assert finding in shown, f"claim {name}: finding not on any page"
        assert f"— {claim['verdict']}" in shown or f"{claim['verdict'].capitalize()}." in shown, name


def test_notebook_page_shows_this_run(site, metrics):
    page = site / "percentile-pruning" / "index.html"
    text = text_of(page)
    assert metrics["manifest"]["config_hash"] in text
    assert "Traceback" not in text
    assert "<img" in page.read_text()


def test_every_figure_is_shown_on_its_page(site, catalog):
    for entry in catalog:
        content = (site / entry["page"] / "index.html").read_text()
        assert f"static/{entry['stem']}.png" in content, (entry["stem"], entry["page"])


# ----------------------------------------------------------------------------- links


def test_no_broken_internal_link(site):
    # 404.html links from the site root ("/..."), wherever it is served: not checked
    pages = sorted(p for p in site.rglob("*.html") if p.name != "404.html")
    ids = {page: parse(page).ids for page in pages}
    broken = []
    for page in pages:
        for link in parse(page).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "data:")):
                continue
            if not parts.path:
                target = page
            else:
                target = (page.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
            elif parts.fragment and target.suffix == ".html" and target in ids:
                if unquote(parts.fragment) not in ids[target]:
                    broken.append(f"{page.relative_to(site)} -> {link} (no such anchor)")
    assert not broken, "\n".join(broken)


def test_pages_link_nothing_on_another_host(site):
    external = []
    for page in site.rglob("*.html"):
        html = page.read_text()
        for tag in re.findall(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="(?:https?:)?//[^"]*"[^>]*>', html):
            if 'rel="canonical"' not in tag:  # names the published address; nothing is loaded
                external.append(f"{page.relative_to(site)}: {tag}")
    assert not external, external


def test_reproduce_page_shows_the_build_phases(site, metrics):
    phases = metrics["manifest"]["build"]
    assert phases[-1]["phase"] == "figures" and sum(p["seconds"] for p in phases) > 0
    rows = [row for row in table_rows(site / "reproduce" / "index.html") if row and row[0] != "phase"]
    listed = [row for row in rows if row[0] in {p["phase"].replace("_", " ") for p in phases} | {"total"}]
    assert [row[0] for row in listed] == [p["phase"].replace("_", " ") for p in phases] + ["total"]  # in order
    for row, p in zip(listed, phases):
        assert row[1:] == [f"{p['seconds']:.2f} s", "cache" if p["cached"] else "computed"]
    # the training jobs by kind, below the phases, in the plan's order; none where the
    # build found every seed's results in the cache (a warm local cache) and planned nothing
    jobs = metrics["manifest"]["build_jobs"]  # the quick profile has every kind, the lottery rounds too
    assert [job["kind"] for job in jobs] in (list(KIND_ORDER), [])
    assert [row for row in rows if row[0] in KIND_ORDER] == [
        [job["kind"], str(job["run"]), str(job["reused"]), f"{job['seconds']:.2f} s"] for job in jobs]


