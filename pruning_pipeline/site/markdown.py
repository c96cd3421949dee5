"""Markdown building blocks of the pages: pipe tables, relative links, a figure with
its light and dark image and downloads, a claim as a coloured admonition. Pure."""

from __future__ import annotations

import posixpath
from typing import Any, Iterable, Mapping

from ..figures.spec import FigureInfo
from .versions import Publication


def md_table(headers: list[str], rows: Iterable[list[str]], align: str | None = None) -> str:
    """A Markdown pipe table; ``align`` is one letter per column (l/r/c)."""
    align = align or "l" + "r" * (len(headers) - 1)
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    cells = lambda row: "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"  # noqa: E731
    return "\n".join([cells(headers), "| " + " | ".join(marks[a] for a in align) + " |", *map(cells, rows)])


def relative(from_page: str, target: str) -> str:
    """Relative link from a page's source path to another source path."""
    return posixpath.relpath(target, posixpath.dirname(from_page) or ".")


def figure_block(fig: FigureInfo, page: str, publication: Publication = Publication(), static: str = "static") -> str:
    """A Material ``<figure>``: light image, dark image, caption with download links, the
    figure's permalink (absolute when the site's URL is known) and, on a versioned site,
    the same figure's URL in the newest version."""
    def url(name: str) -> str:
        return relative(page, f"{static}/{name}")

    alt = fig.title.replace("[", "(").replace("]", ")")
    light = f"![{alt}]({url(fig.stem + '.png')}#only-light){{ loading=lazy }}"
    dark = (
        f"![{alt}]({url(fig.stem + '-dark.png')}#only-dark){{ loading=lazy }}"
        if "png" in fig.formats else ""
    )
    links = " · ".join(f"[{ext.upper()}]({url(fig.stem + '.' + ext)})" for ext in fig.formats)
    caption = (f"**{fig.title}.** {fig.caption} <span class=\"figure-downloads\">{links} · "
               f"{cite_urls(publication, fig.stem + '.png')}</span>")
    return "\n".join([
        f'<figure markdown="span" id="{fig.stem}">',
        f"  {light}",
        f"  {dark}" if dark else "",
        f'  <figcaption markdown="span">{caption}</figcaption>',
        "</figure>",
    ]).replace("\n\n", "\n")


GALLERY_PAGE = 4  # figures per page of a gallery; up to this many, no pager at all


def cite_urls(publication: Publication, name: str) -> str:
    """The permalink of a published file and, on a versioned site, its newest version's URL."""
    latest = publication.latest(name)
    return f"permalink <code>{publication.permalink(name)}</code>" + (
        f" · newest version <code>{latest}</code>" if latest else "")


def gallery_block(figures: list[FigureInfo], page: str, publication: Publication = Publication()) -> str:
    """Figures of every layer. Up to `GALLERY_PAGE` they simply follow each other; beyond,
    they sit in a gallery that ``figure-gallery.js`` pages through (with a layer menu),
    and a reader without JavaScript sees them all."""
    blocks = [figure_block(fig, page, publication) for fig in figures]
    if len(figures) <= GALLERY_PAGE:
        return "\n\n".join(blocks)
    items = [f'<div class="figure-gallery__item" data-layer="{fig.layer}" markdown="block">\n\n{block}\n\n</div>'
             for fig, block in zip(figures, blocks)]
    return (f'<div class="figure-gallery" data-page-size="{GALLERY_PAGE}" markdown="block">\n\n'
            + "\n\n".join(items) + "\n\n</div>")


def claim_block(name: str, claim: Mapping[str, Any]) -> str:
    """An admonition whose colour and title follow the measured verdict."""
    verdict = claim["verdict"]
    kind = claim.get("tone", "note")
    said = claim["reference"].replace('"', "'")
    title = f"Reference: “{said}” — {verdict}"
    body = [claim["finding"], "", f"*How this is judged:* {claim['criterion']}"]
    lines = [f'!!! {kind} "{title}"', ""] + [("    " + line) if line else "" for line in body]
    return "\n".join(lines)


EXPLORER_MODES = ("full", "compact")


def explorer_block(mode: str, page: str, directory_urls: bool = True, static: str = "static") -> str:
    """The τ explorer's container, filled by ``tau-explorer.js``; hidden until it runs, so
    a reader without JavaScript sees the ``tau-explorer-fallback`` that follows it.

    Its ``data-src`` is raw HTML, which MkDocs does not rewrite: it is made relative to
    the URL the page is served at (``a/b.md`` -> ``a/b/`` with directory URLs).
    """
    if mode not in EXPLORER_MODES:
        raise KeyError(f"no explorer mode '{mode}' (known: {', '.join(EXPLORER_MODES)})")
    stem = page.rsplit(".", 1)[0]
    served = posixpath.dirname(stem) if not directory_urls or posixpath.basename(stem) == "index" else stem
    src = posixpath.relpath(f"{static}/explorer.json", served or ".")
    return f'<div class="tau-explorer" data-src="{src}" data-mode="{mode}" hidden></div>'

