"""``pruning-pipeline init``: the files of a new project whose site is the experiment.

A minimal ``mkdocs.yml`` (the ``pruning`` plugin) and ``docs/index.md`` that build at
once; ``--eject`` copies every page template into ``docs/`` instead of the index, to
edit (a project's own page wins over the plugin's). Existing files are never
overwritten unless forced, and nothing is written before every target is checked.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..config import PipelineError
from . import templates


class InitError(PipelineError):
    """The project directory holds files ``init`` would overwrite."""


def starter_files(site_name: str, eject: bool) -> dict[str, bytes]:
    """Relative path -> contents of what ``init`` writes."""
    out = {"mkdocs.yml": templates.INIT_CONFIG.format(site_name=site_name).encode()}
    if eject:
        out.update({f"docs/{path}": templates.page_bytes(path, resource, mkdocstrings=False)
                    for path, resource in templates.template_files().items()})
    else:
        out["docs/index.md"] = templates.INIT_INDEX.format(site_name=site_name).encode()
    return out


def init_project(directory: Path, force: bool = False, eject: bool = False) -> list[Path]:
    """Write the starter files into ``directory`` (made if missing); returns their paths."""
    directory = Path(directory)
    name = directory.resolve().name.replace("-", " ").replace("_", " ").strip() or "pruning experiment"
    wanted = {directory / path: data for path, data in starter_files(name.capitalize(), eject).items()}
    existing = sorted(str(path) for path in wanted if path.exists())
    if existing and not force:
        shown = ", ".join(existing[:3]) + (f", … ({len(existing)} in all)" if len(existing) > 3 else "")
        raise InitError(f"init would overwrite {shown}; pass --force to replace them")
    for path, data in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # the umask's usual mode
        temporary.write_bytes(data)
        os.replace(temporary, path)
    return list(wanted)
