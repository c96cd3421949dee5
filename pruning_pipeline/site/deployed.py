"""What a site deployed with mike already holds on its pages branch: the version
deployed before this build and the run it published. Read-only, through ``git show``;
a project that is no git repository, or has no pages branch yet, has no previous
version."""

from __future__ import annotations

import json
import logging
import posixpath
import subprocess
from pathlib import Path
from typing import Any

from ..results import METRICS_FILE
from .versions import previous_version

log = logging.getLogger("mkdocs.plugins.pruning")


def previous_deploy(repo: Path, branch: str, remote: str, prefix: str, version: str) -> dict[str, Any] | None:
    """``{version, package_version, config}`` of the version deployed before
    ``version`` on ``branch`` (mike's ``--branch``, under its ``deploy_prefix``), read
    from that version's ``metrics.json``; None when there is none."""
    def read(path: str) -> Any:
        return _show(repo, (branch, f"{remote}/{branch}"), posixpath.join(prefix, path))

    versions = read("versions.json")
    if versions is None:
        return None
    name = previous_version(versions, version)
    if name is None and any(entry["version"] == version for entry in versions):
        own = read(f"{version}/static/{METRICS_FILE}") or {}
        name = ((own.get("publication") or {}).get("previous") or {}).get("version")
    published = read(f"{name}/static/{METRICS_FILE}") if name else None
    if published is None:
        if name:
            log.info("version %s on %s has no %s: nothing to compare this build with", name, branch, METRICS_FILE)
        return None
    return {"version": name, "package_version": published["manifest"].get("package_version"),
            "config": published["config"]}


def _show(repo: Path, refs: tuple[str, ...], path: str) -> Any:
    """The JSON file at ``path`` of the first of ``refs`` that has it, or None."""
    for ref in refs:
        try:
            shown = subprocess.run(["git", "-C", str(repo), "show", f"{ref}:{path}"],
                                   capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):  # no git on this machine
            return None
        if shown.returncode == 0:
            return json.loads(shown.stdout)
    return None
