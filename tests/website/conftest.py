"""Shared fixtures of the site tests: one strict build of the site, on the quick profile.

The build runs ``mkdocs build --strict`` in a subprocess exactly as a user would, into a
temporary directory, once per test session. Set ``SITE_DIR`` to test an existing build
instead (it must have been built with the quick profile's configuration).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def mkdocs_env(**extra: str) -> dict[str, str]:
    """The environment of a test build: quick profile, no MkDocs 2.0 banner."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRUNING_")}
    env.update(PRUNING_PROFILE="quick", NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def build_site():
    """``build_site(site_dir, *extra_args, cwd=ROOT, **env)``: a strict build in a subprocess."""
    def build(site_dir: Path, *args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site_dir), *args],
            cwd=cwd, env=mkdocs_env(**env), capture_output=True, text=True, timeout=1800,
        )
    return build


# nbconvert's templates are data files of this environment (sys.prefix), which the
# package's own environment finds only when told
JUPYTER_DATA = str(Path(sys.prefix) / "share" / "jupyter")


@pytest.fixture(scope="session")
def installed_package(tmp_path_factory) -> Path:
    """The package as a user gets it: built into a wheel from a copy of the sources and
    installed into a virtual environment of its own, whose other libraries are this
    environment's (a path in a ``.pth`` file: the repository's editable install is not
    seen there). Returns that environment's Python."""
    def pip(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]

    sources = tmp_path_factory.mktemp("sources") / "pruning-pipeline"  # no build/ left in the repository
    built = shutil.ignore_patterns(".git", ".venv", ".cache", "build", "*.egg-info", "__pycache__")
    shutil.copytree(ROOT, sources, ignore=lambda folder, names: built(folder, names)
                    | ({"site", "examples"} & set(names) if Path(folder) == ROOT else set()))
    wheels, env = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("user") / "env"
    pip("wheel", "--no-deps", "-w", str(wheels), str(sources))
    (wheel,) = wheels.glob("pruning_pipeline-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    packages = env / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (packages / "libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip("install", "--no-deps", "--target", str(packages), str(wheel))
    return env / "bin" / "python"


@pytest.fixture(scope="session")
def build_example(tmp_path_factory, installed_package):
    """``build_example(name)``: ``examples/{name}`` copied to a folder outside the
    repository and built strict on the quick profile by the installed package, with a
    cache of its own; fails on a failed build or a WARNING line. Returns the site, with
    the verbose build log as ``build.log``."""
    def build(name: str) -> Path:
        project = tmp_path_factory.mktemp(name) / name
        shutil.copytree(ROOT / "examples" / name, project, ignore=shutil.ignore_patterns("site", ".cache"))
        site_dir = tmp_path_factory.mktemp(f"{name}-site")
        result = subprocess.run([str(installed_package), "-m", "mkdocs", "build", "--strict", "-v", "-d", str(site_dir)],
                                cwd=project, env=mkdocs_env(JUPYTER_PATH=JUPYTER_DATA), capture_output=True,
                                text=True, timeout=1800)
        if result.returncode != 0:
            pytest.fail(f"{name} build failed ({result.returncode}):\n{result.stderr[-6000:]}")
        assert not re.search(r"^WARNING", result.stderr, flags=re.M), result.stderr[-3000:]
        (site_dir / "build.log").write_text(result.stderr)
        return site_dir
    return build


@pytest.fixture(scope="session")
def site(tmp_path_factory, build_site) -> Path:
    """Directory of the built site."""
    if os.environ.get("SITE_DIR"):
        return Path(os.environ["SITE_DIR"])
    site_dir = tmp_path_factory.mktemp("site")
    result = build_site(site_dir)
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-6000:]}")
    (site_dir / "build.log").write_text(result.stderr)
    return site_dir


@pytest.fixture(scope="session")
def metrics(site) -> dict:
    return json.loads((site / "static" / "metrics.json").read_text())


@pytest.fixture(scope="session")
def catalog(site) -> list[dict]:
    return json.loads((site / "static" / "figures.json").read_text())


class _Loader(yaml.SafeLoader):
    """Reads mkdocs.yml, ignoring the Python-object tags some configs use."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


@pytest.fixture(scope="session")
def mkdocs_config() -> dict:
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)


def page_html(site: Path, source: str) -> Path:
    """Built HTML file of a nav source (directory URLs)."""
    stem = source.rsplit(".", 1)[0]
    if stem == "index":
        return site / "index.html"
    if stem.endswith("/index"):
        return site / stem[: -len("/index")] / "index.html"
    return site / stem / "index.html"


@pytest.fixture(scope="session")
def nav_pages(site) -> list[tuple[str, Path]]:
    """(source, built HTML) for every page in the nav (the plugin's: the site has none of
    its own, and renders the notebook)."""
    from pruning_pipeline.site.templates import nav_paths, study_nav

    return [(src, page_html(site, src)) for src in nav_paths(study_nav(notebook=True))]


# ------------------------------------------------------------------------- browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(directory: Path):
    """A static HTTP server of ``directory`` on 127.0.0.1; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def server(site):
    with serving(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:  # Playwright gives it a fresh profile
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def open_page(browser):
    """``open_page(url, host, width=, js=)``: a page in a fresh context, with the console
    errors and the requests to hosts other than ``host`` collected as it loads."""
    def open_(url: str, host: str, *, width: int = 1280, js: bool = True):
        """Open ``url`` in a fresh context; return (context, page, console errors, foreign requests)."""
        context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=js)
        page = context.new_page()
        errors: list[str] = []
        foreign: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def check(request):
            parts = urlsplit(request.url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != host:
                foreign.append(request.url)

        page.on("request", check)
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        return context, page, errors, foreign

    return open_

