"""A cold default build of this checkout against the same build of another revision
(issue 32: the default build within 1.35x of the one before the change), one after the
other on this machine, each from an empty cache in a git worktree of its own.

    python benchmarks/bench_revisions.py BASE [--set KEY=VALUE ...]

BASE is any git revision (``7b89d8a``, ``origin/main``); ``--set`` becomes
``PRUNING_<KEY>`` for both builds (``--set seeds=1`` for a shorter check). Each
revision is built into a wheel and installed into a virtual environment of its own whose
other libraries are this environment's (as the tests' installed package is), so the two
builds differ only in the package's code.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from site_build import ROOT, build_env, finish, start_build


def _environment(tree: Path, scratch: Path) -> Path:
    """A virtual environment with the package of ``tree`` installed; its Python."""
    wheels, env = scratch / f"{tree.name}-wheel", scratch / f"{tree.name}-env"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(tree)], check=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    packages = env / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (packages / "libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = wheels.glob("*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(packages), str(wheel)],
                   check=True)
    return env / "bin" / "python"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base", help="the revision to compare this checkout with")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    options = {f"PRUNING_{key.upper()}": value for key, value in (item.split("=", 1) for item in args.set)}
    with tempfile.TemporaryDirectory() as scratch:
        seconds = {}
        for name, revision in (("base", args.base), ("this checkout", "HEAD")):
            tree = Path(scratch) / name.replace(" ", "-")
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), revision], check=True)
            try:
                python = _environment(tree, Path(scratch))
                env = build_env(PRUNING_CACHE_DIR=str(Path(scratch) / f"{tree.name}-cache"),
                                JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"), **options)
                start = time.perf_counter()
                seconds[name] = finish(start_build(Path(scratch) / f"{tree.name}-site", env, cwd=tree, python=python),
                                       start)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)
            print(f"{name:<14} {revision:<12} {seconds[name]:7.1f} s", flush=True)
    print(f"{'ratio':<27} {seconds['this checkout'] / seconds['base']:7.2f}x (this checkout / base)")


if __name__ == "__main__":
    main()
