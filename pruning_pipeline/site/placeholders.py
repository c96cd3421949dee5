"""Named placeholders that put this run's numbers, figures and tables into Markdown.

Pure: text and plain data in, text out (no I/O, no torch, no MkDocs). The MkDocs plugin
builds one `SiteRenderer` per build from the published ``metrics.json`` and the
figure catalog, then renders every page with it.

Syntax (inside a page)::

    {{ stages.post.accuracy | pct }}        a value from the namespace, formatted
    {{ facts.post.kept.ffnn1 | pct:2 }}     a format with an argument
    {{ figure: post/ffnn }}                 a figure, by stage/layer alias or by stem
    {{ stem: post/ffnn }}                   just its stem, e.g. ``at-prune-0.4-ffnn``
    {{ url: post/ffnn }}                    its permalink (absolute under ``site_url``)
    {{ gallery: post }}                     a figure per layer (a stage alias, ``dynamics``
                                            or ``comparison``), paged when there are many
    {{ each: facts.post.kept | pct:2 }}     one value per pruned layer in a sentence; a
                                            ``*`` in the path stands for the layer
    {{ layer: first }}                      a pruned layer's name: ``first`` or ``last``
    {{ explorer: full }}                    the τ explorer (``full`` or ``compact``)
    {{ claim: init_gaussian }}              a reference claim and its measured verdict
    {{ table: stats post }}                 a generated table
    {{ section: lottery }}                  an optional section, rendered where the run
                                            has its metrics (``lottery``), else nothing
    \\{{ ... }}                              a literal ``{{ ... }}`` (escaped)

An unknown name, format, figure, claim or table raises `PlaceholderError`
naming the page and the placeholder, so a typo fails the build instead of printing
nothing. Any other exception is a bug of the pipeline and propagates as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ..figures.spec import FigureInfo
from ..formatting import FormatError, format_value
from ..names import layer_by_slug, layers_of, stage_by_alias
from . import lottery, schema, tables
from .markdown import claim_block, explorer_block, figure_block, gallery_block
from .verdicts import each
from .versions import Publication, changes_block, publication_block

PLACEHOLDER = re.compile(r"(\\?)\{\{(.*?)\}\}", re.S)


class PlaceholderError(ValueError):
    """A placeholder cannot be rendered; the message names the page and the placeholder."""


# --------------------------------------------------------------------------- lookup


def lookup(namespace: Mapping[str, Any], path: str) -> Any:
    """Resolve a dotted path; list items by index, keys that contain dots greedily.

    Raises ``KeyError`` with a message that says where the path stops matching.
    """
    parts = [part.strip() for part in path.split(".")]
    value: Any = namespace
    done: list[str] = []
    i = 0
    while i < len(parts):
        if isinstance(value, Mapping):
            for j in range(len(parts), i, -1):  # longest key first: "below_tau.0.4"
                key = ".".join(parts[i:j])
                if key in value:
                    value, i = value[key], j
                    done.append(key)
                    break
            else:
                where = ".".join(done) or "the namespace"
                known = ", ".join(sorted(map(str, value))[:20])
                raise KeyError(f"no '{parts[i]}' under {where} (known: {known})")
        elif isinstance(value, (list, tuple)):
            try:
                value = value[int(parts[i])]
            except (ValueError, IndexError):
                where = ".".join(done)
                raise KeyError(f"'{parts[i]}' is not an index of {where} (length {len(value)})")
            done.append(parts[i])
            i += 1
        else:
            raise KeyError(f"{'.'.join(done)} is a value, not a section; it has no '{parts[i]}'")
    return value


# --------------------------------------------------------------------------- figures


def resolve_figure(ref: str, catalog: Iterable[FigureInfo], metrics: Mapping[str, Any]) -> FigureInfo:
    """Find a figure by stem, or by ``stage/layer`` alias (so τ is never typed).

    ``post/ffnn`` is the stem the names table builds for (post, ffnn1) under this
    configuration, e.g. ``at-prune-0.4-ffnn``; nothing is parsed back from a stem.
    """
    by_stem = {fig.stem: fig for fig in catalog}
    if ref in by_stem:
        return by_stem[ref]
    alias, slash, slug = ref.partition("/")
    try:
        stem = (stage_by_alias(alias).figure_stem(layer_by_slug(slug, layers_of(metrics)), metrics["config"])
                if slash else None)
    except KeyError as err:
        raise KeyError(f"no figure '{ref}': use a stem from the catalog or STAGE/LAYER ({err.args[0]})") from None
    if stem not in by_stem:
        raise KeyError(f"no figure '{ref}' in the catalog (it would be '{stem}')" if stem else
                       f"no figure '{ref}': use a stem from the catalog or STAGE/LAYER")
    return by_stem[stem]


# --------------------------------------------------------------------------- renderer


@dataclass
class SiteRenderer:
    """Renders placeholders of every page of one build.

    Parameters
    ----------
    metrics
        The published metrics tree (``static/metrics.json``: metrics, ``claims``, ``facts``).
    catalog
        The figure catalog (``static/figures.json`` entries).
    pages
        Page id (``"visualizations/initialization"``) -> source path (``"...md"``).
    publication
        Where the site is published (its URL and version), for the figures' permalinks.
    directory_urls
        MkDocs' ``use_directory_urls``: where a page's HTML lands, for raw-HTML links.
    sections
        Optional section name -> its Markdown with placeholders (`templates.section_texts`).
    """

    metrics: Mapping[str, Any]
    catalog: list[FigureInfo]
    pages: Mapping[str, str] = field(default_factory=dict)
    publication: Publication = Publication()
    directory_urls: bool = True
    sections: Mapping[str, str] = field(default_factory=dict)

    def render(self, text: str, page: str, on_error: Callable[[str], None] | None = None) -> str:
        """Replace every placeholder of ``text``; ``page`` is the source path for errors/links.

        A placeholder that cannot be rendered (an unknown name, a value its format
        cannot write) raises `PlaceholderError`; with ``on_error``, its message goes
        there instead and the placeholder stays as written (the plugin logs it as a
        warning, which fails a ``--strict`` build). A bug behind a placeholder raises.
        """
        out: list[str] = []
        last = 0
        for match in PLACEHOLDER.finditer(text):
            out.append(text[last:match.start()])
            last = match.end()
            escaped, body = match.group(1), match.group(2).replace("\\|", "|")
            if escaped:
                out.append("{{" + body + "}}")
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            indent = re.match(r"[ \t]*", text[line_start:match.start()]).group(0)
            try:
                value = self.expand(body.strip(), page)
            except (KeyError, FormatError) as err:  # a page's mistake; anything else is a bug and raises
                message = err.args[0] if err.args else repr(err)
                problem = f"{page}: cannot render {{{{ {body.strip()} }}}}: {message}"
                if on_error is None:
                    raise PlaceholderError(problem) from None
                on_error(problem)
                out.append(match.group(0))
                continue
            out.append(value.replace("\n", "\n" + indent) if "\n" in value else value)
        out.append(text[last:])
        return "".join(out)

    def expand(self, body: str, page: str) -> str:
        kind, colon, rest = body.partition(":")
        kind = kind.strip()
        if colon and kind in ("figure", "stem", "url", "claim", "table", "explorer", "gallery", "each", "layer",
                              "section"):
            arg = rest.strip()
            if kind == "section":
                return self.section(arg, page)
            if kind == "gallery":
                return gallery_block(self.gallery(arg), page, self.publication)
            if kind == "each":
                return self.each(arg)
            if kind == "layer":
                positions = {"first": 0, "last": -1}
                if arg not in positions:
                    raise KeyError(f"no layer position '{arg}' (known: first, last)")
                return self.metrics["prunable_layers"][positions[arg]]
            if kind in ("figure", "stem", "url"):
                fig = resolve_figure(arg, self.catalog, self.metrics)
                if kind == "url":
                    return self.publication.permalink(f"{fig.stem}.png")
                return figure_block(fig, page, self.publication) if kind == "figure" else fig.stem
            if kind == "explorer":
                return explorer_block(arg, page, self.directory_urls)
            if kind == "claim":
                claims = self.metrics.get("claims", {})
                if arg not in claims:
                    raise KeyError(f"no claim '{arg}' (known: {', '.join(sorted(claims))})")
                return claim_block(arg, claims[arg])
            return self.table(arg, page)
        path, _, spec = body.partition("|")
        value = lookup(self.metrics, path.strip())
        return format_value(value, spec.strip() or None)

    SECTION_NEEDS = {"lottery": "lottery"}  # optional section -> the metrics section it shows

    def section(self, name: str, page: str) -> str:
        """An optional section, rendered where the run has what it shows; else nothing."""
        if name not in self.SECTION_NEEDS or name not in self.sections:
            raise KeyError(f"no section '{name}' (known: {', '.join(sorted(self.sections)) or 'none given'})")
        if self.SECTION_NEEDS[name] not in self.metrics:
            return ""
        try:
            return self.render(self.sections[name], page)
        except PlaceholderError as err:  # the outer placeholder reports it, as any other
            raise KeyError(f"in section '{name}': {err.args[0]}") from None

    GALLERIES = ("dynamics", "comparison")

    def gallery(self, name: str) -> list[FigureInfo]:
        """The figures of a gallery, in layer order: a stage's histograms of every layer
        (by the stage's alias), or a per-layer analysis group."""
        try:
            group = name if name in self.GALLERIES else stage_by_alias(name).key
        except KeyError:
            raise KeyError(f"no gallery '{name}' (known: stage aliases and {', '.join(self.GALLERIES)})") from None
        figures = [fig for fig in self.catalog if fig.group == group and fig.layer != "global"] + \
                  [fig for fig in self.catalog if fig.group == group and fig.layer == "global"]
        if not figures:
            raise KeyError(f"gallery '{name}' has no figures in the catalog")
        return figures

    def each(self, spec: str) -> str:
        """``path | format`` with ``*`` for the layer, or a path to a mapping by layer."""
        path, _, fmt = spec.partition("|")
        path, fmt = path.strip(), fmt.strip() or None
        layers = self.metrics["prunable_layers"]
        if "*" in path:
            values = {layer: lookup(self.metrics, path.replace("*", layer)) for layer in layers}
        else:
            mapping = lookup(self.metrics, path)
            if not isinstance(mapping, Mapping) or not all(layer in mapping for layer in layers):
                raise KeyError(f"'{path}' is not a mapping with a value per layer")
            values = {layer: mapping[layer] for layer in layers}
        return each(values, lambda value: format_value(value, fmt))

    def table(self, spec: str, page: str) -> str:
        name, _, arg = spec.partition(" ")
        arg = arg.strip()
        facts = self.metrics.get("facts", {})
        builders: dict[str, Callable[[], str]] = {
            "stages": lambda: tables.table_stages(self.metrics, page, self.pages),
            "stats": lambda: tables.table_stats(self.metrics, arg),
            "layers": lambda: tables.table_layers(self.metrics, facts),
            "config": lambda: schema.table_config(self.metrics),
            "manifest": lambda: schema.table_manifest(self.metrics),
            "schema": lambda: schema.table_schema(self.metrics),
            "figures": lambda: tables.table_figures(self.catalog, page, self.pages, self.publication),
            "changes": lambda: changes_block(self.metrics),
            "publication": lambda: publication_block(
                self.metrics, f"{resolve_figure(arg, self.catalog, self.metrics).stem}.png"),
            "compression": lambda: tables.table_compression(self.metrics),
            "sensitivity": lambda: tables.table_sensitivity(self.metrics, facts),
            "methods": lambda: tables.table_methods(self.metrics),
            "collapse": lambda: tables.table_collapse(self.metrics),
            "lottery": lambda: lottery.table_lottery(self.metrics),
            "finetuning": lambda: tables.table_finetuning(self.metrics),
            "sweep": lambda: tables.table_sweep(self.metrics, facts),
            "dynamics": lambda: tables.table_dynamics(self.metrics),
            "threshold-vs-percentile": lambda: tables.table_threshold_vs_percentile(self.metrics),
            "warnings": lambda: tables.warnings_block(self.metrics),
            "build": lambda: tables.table_build(self.metrics),
        }
        if name not in builders:
            raise KeyError(f"no table '{name}' (known: {', '.join(builders)})")
        if name == "stats" and arg not in self.metrics["stages"]:
            raise KeyError(f"table 'stats' needs a stage, one of {', '.join(self.metrics['stages'])}")
        return builders[name]()
