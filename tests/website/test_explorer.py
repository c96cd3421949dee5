"""The threshold explorer (pruning_pipeline/site/pages/javascripts/tau-explorer.js) in a real browser.

Drives the full widget on /explore/ and the compact one on
/visualizations/post-training-pruning/ with the keyboard and checks every readout
against the sweep in static/metrics.json, the clipping of the histogram at ±τ, the
URL-hash round trip, and the static fallback without JavaScript.

Fixtures: ``site`` and ``metrics`` come from conftest.py; ``server`` (the built site on
127.0.0.1), ``browser`` (Debian's Chromium via Playwright) and ``open_page`` too.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
from urllib.parse import urlsplit

import pytest

from page_reading import assert_shown

pytestmark = [pytest.mark.site, pytest.mark.browser]

if (shutil.which("chromium") or shutil.which("chromium-browser")) is None:
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")

FULL = ".tau-explorer[data-mode='full']"
COMPACT = ".tau-explorer[data-mode='compact']"

# Everything a test needs to know about one widget, read from the DOM in one go.
STATE_JS = """(sel) => {
  const root = document.querySelector(sel);
  const num = (el) => el ? Number(el.getAttribute('data-value')) : null;
  const readouts = {}, texts = {};
  root.querySelectorAll('[data-readout]').forEach(el => {
    readouts[el.dataset.readout] = num(el); texts[el.dataset.readout] = el.textContent; });
  const bars = Array.from(root.querySelectorAll('svg.tau-explorer__histogram rect.bar')).map(r => ({
    count: Number(r.dataset.count), bin: Number(r.dataset.bin),
    left: Number(r.dataset.left), right: Number(r.dataset.right)}));
  const zero = root.querySelector('svg.tau-explorer__histogram rect.zero-bar');
  const layer = root.querySelector('select.tau-explorer__layer');
  const slider = root.querySelector('input.tau-explorer__slider');
  return {
    index: Number(slider.value), valuetext: slider.getAttribute('aria-valuetext'),
    label: slider.getAttribute('aria-label'), layer: layer ? layer.value : null,
    readouts, texts, bars, zeros: zero ? Number(zero.dataset.count) : null,
    cuts: Array.from(root.querySelectorAll('svg.tau-explorer__histogram line.cut')).map(l => Number(l.dataset.value)),
    curve: !!root.querySelector('svg.tau-explorer__curve'),
    current: root.querySelector('svg.tau-explorer__curve circle.current') !== null,
  };
}"""


@pytest.fixture(scope="module")
def explorer(site) -> dict:
    return json.loads((site / "static" / "explorer.json").read_text())


@pytest.fixture(scope="module")
def sweep(metrics, explorer) -> dict:
    sweep = metrics["sweep"]
    assert explorer["taus"] == sweep["taus"], "explorer.json and metrics.json disagree on the taus"
    assert explorer["accuracy"] == sweep["accuracy"]
    return sweep


def _ready(page, sel: str):
    page.wait_for_selector(f"{sel}:not([hidden]) svg.tau-explorer__histogram rect.zero-bar", timeout=15000)


def _check_state(state: dict, i: int, sweep: dict, explorer: dict, layers) -> None:
    """The readouts and the histogram of ``state`` match the sweep at index ``i``."""
    approx = lambda v: pytest.approx(v, rel=1e-12, abs=1e-15)  # noqa: E731
    tau, acc = sweep["taus"][i], sweep["accuracy"][i]
    base = sweep.get("baseline_accuracy", sweep["accuracy"][0])
    r = state["readouts"]
    assert state["index"] == i
    assert r["tau"] == approx(tau)
    assert r["accuracy"] == approx(acc)
    assert r["drop"] == approx(base - acc)
    for layer in layers:
        assert r[f"sparsity-{layer}"] == approx(sweep["sparsity"][layer][i]), layer
    _check_spread(state["texts"], i, explorer, layers)
    assert state["valuetext"].startswith("τ = ") and state["label"]
    layer = state["layer"] or "global"
    zeros = explorer["zeros"][layer][i]
    assert state["zeros"] == zeros
    if "zeros" in r:
        assert r["zeros"] == zeros
    # Every weight is either an exact zero or in one display bin (a bin straddling both
    # cuts is drawn as two rects with the same data-bin).
    bins = {b["bin"]: b["count"] for b in state["bars"]}
    count = {entry["key"]: entry["count"] for entry in explorer["layers"]}[layer]
    assert sum(bins.values()) + zeros == count
    # Nothing but the zero bar inside the dead zone (−τ, τ).
    eps = 1e-12 * max(1.0, tau)
    inside = [b for b in state["bars"] if tau > 0 and not (b["right"] <= -tau + eps or b["left"] >= tau - eps)]
    assert not inside, f"bars inside (−τ, τ) at τ = {tau}: {inside[:5]}"
    if tau > 0:
        assert sorted(state["cuts"]) == [approx(-tau), approx(tau)]


def _check_spread(texts: dict, i: int, explorer: dict, layers) -> None:
    """With several seeds, accuracy, sparsity and drop read mean ± the sample sd of the
    seeds' own values at index ``i`` (no ± where they agree), as the pages quote them."""
    spread = explorer["spread"]
    if spread is None:
        return
    accuracy = [row[i] for row in spread["accuracy"]]
    assert_shown(texts["accuracy"], statistics.fmean(accuracy), accuracy)
    for layer in layers:
        own = [row[i] for row in spread["sparsity"][layer]]
        assert_shown(texts[f"sparsity-{layer}"], statistics.fmean(own), own)
    drops = [(base - own) * 100 for base, own in zip(spread["baseline_accuracy"], accuracy)]
    found = re.fullmatch(r"(−?)([\d.]+)(?: ±\s([\d.]+))? points( \(gain\))?", texts["drop"])
    assert found and bool(found.group(1)) == bool(found.group(4)) == (statistics.fmean(drops) < 0), texts["drop"]
    assert_shown(found.group(2), abs(statistics.fmean(drops)), None)
    assert (found.group(3) is not None) == (len(set(drops)) > 1), texts["drop"]
    if found.group(3) is not None:
        assert_shown(found.group(3), statistics.stdev(drops), None)


def _signature(state: dict):
    return (state["zeros"], tuple(sorted((b["bin"], b["count"]) for b in state["bars"])))


def test_keyboard_moves_readouts_and_histogram(open_page, browser, server, sweep, explorer):
    host = urlsplit(server).netloc
    context, page, errors, foreign = open_page(f"{server}/explore/", host)
    _ready(page, FULL)
    assert page.locator(".tau-explorer-fallback").first.is_hidden()
    n = len(sweep["taus"])
    layers = list(sweep["sparsity"])
    page.locator(f"{FULL} select.tau-explorer__layer").select_option("ffnn1")
    slider = page.locator(f"{FULL} input.tau-explorer__slider")
    slider.focus()
    history_before = page.evaluate("() => history.length")
    expected = {"Home": lambda i: 0, "ArrowRight": lambda i: min(i + 1, n - 1),
                "ArrowLeft": lambda i: max(i - 1, 0), "End": lambda i: n - 1}
    seen: dict[int, tuple] = {}
    i = None
    for key in ["Home", "ArrowRight", "ArrowRight", "End", "ArrowLeft", "ArrowLeft", "Home"]:
        page.keyboard.press(key)
        i = expected[key](i if i is not None else 0)
        state = page.evaluate(STATE_JS, FULL)
        assert state["layer"] == "ffnn1"
        assert state["curve"] and state["current"]
        _check_state(state, i, sweep, explorer, layers)
        seen[i] = _signature(state)
    assert len(seen) >= 3
    # Where the layer's sparsity differs the histogram must differ too.
    sparsity = sweep["sparsity"]["ffnn1"]
    for a in seen:
        for b in seen:
            if sparsity[a] != sparsity[b]:
                assert seen[a] != seen[b], (a, b)
    assert len(set(seen.values())) >= 2
    assert page.evaluate("() => history.length") == history_before, "the hash must be replaced, not pushed"
    context.close()
    assert not errors, errors
    assert not foreign, foreign


def test_no_bar_inside_the_dead_zone(open_page, browser, server, sweep, explorer):
    host = urlsplit(server).netloc
    context, page, errors, foreign = open_page(f"{server}/explore/", host)
    _ready(page, FULL)
    layers = list(sweep["sparsity"])
    for entry in explorer["layers"]:
        page.locator(f"{FULL} select.tau-explorer__layer").select_option(entry["key"])
        page.locator(f"{FULL} input.tau-explorer__slider").focus()
        page.keyboard.press("Home")
        for i in range(len(sweep["taus"])):
            if i:
                page.keyboard.press("ArrowRight")
            _check_state(page.evaluate(STATE_JS, FULL), i, sweep, explorer, layers)
    context.close()
    assert not errors and not foreign, (errors, foreign)


def test_hash_round_trip(open_page, browser, server, sweep, explorer):
    host = urlsplit(server).netloc
    n = len(sweep["taus"])
    context, page, errors, foreign = open_page(f"{server}/explore/", host)
    _ready(page, FULL)
    page.locator(f"{FULL} select.tau-explorer__layer").select_option("ffnn1")
    page.locator(f"{FULL} input.tau-explorer__slider").focus()
    page.keyboard.press("End")
    for _ in range(min(3, n - 1)):
        page.keyboard.press("ArrowLeft")
    before = page.evaluate(STATE_JS, FULL)
    hash_ = page.evaluate("() => location.hash")
    assert re.fullmatch(r"#tau=[-+.0-9eE]+&layer=ffnn1", hash_), hash_

    context2, page2, errors2, foreign2 = open_page(f"{server}/explore/{hash_}", host)
    _ready(page2, FULL)
    after = page2.evaluate(STATE_JS, FULL)
    assert (after["index"], after["layer"]) == (before["index"], before["layer"]) == (n - 1 - min(3, n - 1), "ffnn1")
    context2.close()

    k = sweep.get("knee_index", 1)
    context3, page3, errors3, foreign3 = open_page(f"{server}/explore/#tau={sweep['taus'][k]!r}&layer=cls_head", host)
    _ready(page3, FULL)
    state = page3.evaluate(STATE_JS, FULL)
    assert (state["index"], state["layer"]) == (k, "cls_head")
    _check_state(state, k, sweep, explorer, list(sweep["sparsity"]))
    # A later hash change (e.g. a link on the page) moves the widget too.
    page3.evaluate("() => { location.hash = '#tau=0&layer=global'; }")
    page3.wait_for_function(f"() => document.querySelector(\"{FULL} .tau-explorer__slider\").value === '0'")
    assert page3.evaluate(STATE_JS, FULL)["layer"] == "global"
    context3.close()
    context.close()
    for errs, frgn in [(errors, foreign), (errors2, foreign2), (errors3, foreign3)]:
        assert not errs and not frgn, (errs, frgn)


def test_compact_widget(open_page, browser, server, sweep, explorer):
    host = urlsplit(server).netloc
    context, page, errors, foreign = open_page(f"{server}/visualizations/post-training-pruning/", host,
                                           width=360)
    _ready(page, COMPACT)
    state = page.evaluate(STATE_JS, COMPACT)
    assert {"tau", "accuracy", "drop", "sparsity-global"} <= set(state["readouts"])
    assert not state["curve"]
    page.locator(f"{COMPACT} input.tau-explorer__slider").focus()
    page.keyboard.press("Home")
    _check_state(page.evaluate(STATE_JS, COMPACT), 0, sweep, explorer, ["global"])
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    moved = page.evaluate(STATE_JS, COMPACT)
    _check_state(moved, min(2, len(sweep["taus"]) - 1), sweep, explorer, ["global"])
    page.keyboard.press("End")
    end = page.evaluate(STATE_JS, COMPACT)
    _check_state(end, len(sweep["taus"]) - 1, sweep, explorer, ["global"])
    assert end["readouts"]["tau"] != moved["readouts"]["tau"]
    assert page.evaluate("() => location.hash") == "", "the compact widget must not write the hash"
    context.close()
    assert not errors and not foreign, (errors, foreign)


def test_fallback_without_javascript(open_page, browser, server):
    host = urlsplit(server).netloc
    context, page, errors, foreign = open_page(f"{server}/explore/", host, js=False)
    assert page.locator(".tau-explorer").count() >= 1
    assert page.locator(".tau-explorer").first.is_hidden()
    assert page.locator(".tau-explorer-fallback").first.is_visible()
    context.close()
    assert not foreign, foreign
