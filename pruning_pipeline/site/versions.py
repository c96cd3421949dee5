"""Every published run at a URL of its own.

A site deployed with mike (https://github.com/jimporter/mike) keeps each version on its
pages branch at ``<site>/<version>/`` and moves the alias `LATEST`, which the root
redirects to. This module names the version a run is deployed as, builds the
permalink and the newest-version URL of a published file, and says how a run's
configuration differs from the version deployed before it. Pure: the pages branch is
read by `pruning_pipeline.site.deployed`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..figures.spec import stable_url

LATEST = "latest"  # the alias the Pages workflow moves to every new version
VERSION_VARIABLE = "MIKE_DOCS_VERSION"  # what `mike deploy` sets for the build it runs


def version_name(package_version: str, run_id: str) -> str:
    """The version a run is deployed as: a new run never overwrites a cited one, and the
    same run redeployed lands where it was."""
    return f"{package_version}-{run_id}"


def unversioned_root(site_url: str | None, version: str | None) -> str | None:
    """The site's root without the version that mike's own plugin appends to
    ``site_url`` (``https://host/project/0.1.0-ab`` -> ``https://host/project/``)."""
    if not site_url:
        return None
    if version and site_url.rstrip("/").endswith("/" + version):
        return site_url.rstrip("/")[: -len(version)]
    return site_url.rstrip("/") + "/"


@dataclass(frozen=True)
class Publication:
    """Where a build's files are published.

    ``site_url`` is the site's root (the one mike deploys versions under; None when
    unknown: URLs are then relative to it). ``version`` is this build's mike version,
    None for a site published without versions, whose files each have one stable URL.
    ``previous`` is what the version deployed before this one published: its
    ``version``, ``package_version`` and ``config`` (None for the first).
    """

    site_url: str | None = None
    version: str | None = None
    previous: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def root(self) -> str | None:
        """The URL this build's site is served at: its version's folder when versioned
        (relative to the site's root when its URL is unknown)."""
        if not self.version:
            return self.site_url
        return f"{self.site_url or ''}{self.version}/"

    def permalink(self, name: str) -> str:
        """The URL of a published file (``static/<name>``) that no later deploy changes."""
        return stable_url(name, self.root)

    def latest(self, name: str) -> str | None:
        """The URL of the same file in the newest version; None without versions."""
        return stable_url(name, self.version_root(LATEST)) if self.version else None

    def version_root(self, version: str) -> str:
        """Where a version of the site is served (relative to this version's home page
        when the site's URL is unknown)."""
        return f"{self.site_url or '../'}{version}/"

    def summary(self, config: Mapping[str, Any], package_version: str) -> dict:
        """``publication`` of ``metrics.json``: this version, its URLs' roots, and the
        options that differ from the version deployed before it."""
        previous = None
        if self.version and self.previous:
            name = self.previous["version"]
            previous = {"version": name, "url": self.version_root(name),
                        "changes": config_changes(self.previous, {"config": config,
                                                                  "package_version": package_version})}
        return {"version": self.version, "permalink_root": self.root,
                "latest_root": self.version_root(LATEST) if self.version else None, "previous": previous}


PACKAGE = "package version"  # the name a change of the package's release is listed under


def config_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict]:
    """``{option, before, after}`` for every option whose value differs between two
    published runs (``config`` and ``package_version`` of each), options in name order,
    the package's release last. An option one of them lacks reads None there."""
    old, new = (json.loads(json.dumps(side.get("config", {}))) for side in (before, after))  # tuples as lists
    changes = [{"option": key, "before": old.get(key), "after": new.get(key)}
               for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
    if before.get("package_version") != after.get("package_version"):
        changes.append({"option": PACKAGE, "before": before.get("package_version"),
                        "after": after.get("package_version")})
    return changes


def previous_version(versions: list[Mapping[str, Any]], version: str) -> str | None:
    """Of mike's ``versions.json``, the version deployed before ``version``: the one
    `LATEST` points at, since deploying moves it; None when nothing holds it or it is
    ``version`` itself (a redeploy, which `pruning_pipeline.site.deployed` compares as
    its first deploy did)."""
    holder = next((entry["version"] for entry in versions if LATEST in entry.get("aliases", [])), None)
    return holder if holder != version else None


# ------------------------------------------------------------------------------ pages


def changes_block(metrics: Mapping[str, Any]) -> str:
    """The home page's note on this version: what changed since the version deployed
    before it, read from ``publication`` of ``metrics.json``; nothing for a site
    published without versions."""
    section = metrics.get("publication") or {}
    version, previous = section.get("version"), section.get("previous")
    if not version:
        return ""
    if previous is None:
        body = ["The first run published on this site: no earlier version to compare it with."]
    else:
        body = [f"Compared with the version deployed before it, [{previous['version']}]({previous['url']}):", ""]
        body += [f"- `{change['option']}`: `{json.dumps(change['before'])}` → `{json.dumps(change['after'])}`"
                 for change in previous["changes"]]
        if not previous["changes"]:
            body[0] += " the same configuration and release; only the code behind the run differs."
    lines = [f'!!! info "Version {version}"', ""] + [("    " + line) if line else "" for line in body]
    return "\n".join(lines)


def publication_block(metrics: Mapping[str, Any], example: str) -> str:
    """How long the URLs of this build's files hold, for the Figures page; ``example``
    is a file name to show the newest version's URL with."""
    section = metrics.get("publication") or {}
    if not section.get("version"):
        return ("This build is published without versions: a URL above names a file, and the next published "
                "build replaces what it holds (the run id then tells a reader it is not the one cited). "
                "Publishing with `mike` (the README's *Publish*) keeps every run at an address of its own.")
    latest = stable_url(example, section["latest_root"])
    return (f"This site keeps every published run at an address of its own: this is version "
            f"`{section['version']}`, and a permalink points into its folder, which no later deploy changes. "
            f"The same file in the newest version, whichever run that is: `{latest}`.")
