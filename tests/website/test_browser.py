"""The built site in a real browser: Debian's Chromium driven by Playwright.

The site is served on 127.0.0.1; on every page every image must load, the console must
stay free of errors and no request may leave for another host. Search must find
"pruning". One screenshot per page is saved (``SITE_SCREENSHOTS`` or a temporary
directory, printed).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.site, pytest.mark.browser]

if (shutil.which("chromium") or shutil.which("chromium-browser")) is None:
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium); .ci/run installs it",
                allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    directory = Path(os.environ.get("SITE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {directory}")
    return directory


def test_every_page_loads_cleanly(open_page, server, nav_pages, site, screenshots):
    host = urlsplit(server).netloc
    problems = []
    for source, html in nav_pages:
        path = html.relative_to(site).as_posix().removesuffix("index.html")
        _, page, errors, foreign = open_page(f"{server}/{path}", host)
        page.evaluate(  # figures load lazily, as the reader scrolls: load them all now
            "() => Promise.all(Array.from(document.images).map(img => { img.loading = 'eager';"
            " return img.complete ? null : new Promise(done => { img.onload = img.onerror = done; }); }))"
        )
        broken = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(img => !(img.complete && img.naturalWidth > 0))"
            ".map(img => img.getAttribute('src'))"
        )
        count = page.evaluate("() => document.images.length")
        name = source.rsplit(".", 1)[0].replace("/", "__")
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
        page.close()
        if broken:
            problems.append(f"{source}: images not loaded: {broken}")
        if errors:
            problems.append(f"{source}: console errors: {errors}")
        if foreign:
            problems.append(f"{source}: requests to other hosts: {foreign}")
        if source.startswith("visualizations/") and source != "visualizations/index.md":
            assert count >= 4, f"{source}: expected light and dark figures, found {count} images"
    assert not problems, "\n".join(problems)


def test_dark_palette_shows_the_dark_figures(open_page, server):
    host = urlsplit(server).netloc
    _, page, errors, foreign = open_page(f"{server}/visualizations/initialization/", host)
    visible = lambda: page.evaluate(  # noqa: E731
        "() => Array.from(document.querySelectorAll('figure img'))"
        ".filter(img => img.offsetParent !== null).map(img => img.getAttribute('src'))"
    )
    light = visible()
    assert light and all("-dark." not in src for src in light)
    page.locator("label[for='__palette_1']").first.click()
    page.wait_for_timeout(300)
    dark = visible()
    page.close()
    assert dark and all("-dark." in src for src in dark), dark
    assert not errors and not foreign


def test_search_finds_pruning(open_page, server, screenshots):
    host = urlsplit(server).netloc
    _, page, errors, foreign = open_page(f"{server}/", host)
    page.locator("input.md-search__input").click()
    page.keyboard.type("pruning")
    page.wait_for_selector(".md-search-result__item", timeout=15000)
    hits = page.locator(".md-search-result__item").count()
    page.screenshot(path=str(screenshots / "search.png"))
    page.close()
    assert hits > 0
    assert not errors and not foreign
