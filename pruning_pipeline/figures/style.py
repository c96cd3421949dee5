"""The one figure style: colour-blind-safe colours per role, light and dark, and the
matplotlib settings every figure is drawn and saved with."""

from __future__ import annotations

import contextlib
import math
from functools import wraps

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

# Okabe & Ito (2008), the colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
DARK_BACKGROUND = "#1e2129"  # Material for MkDocs' slate background

# Colour of each role; the dark palette swaps in colours that keep their contrast.
LIGHT_COLOURS = {
    "ink": "#000000", "muted": "#666666", "weights": OKABE_ITO["blue"],
    "threshold": OKABE_ITO["vermillion"], "knee": OKABE_ITO["green"],
    "global": "#000000",
    "layers": [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow")],
    "init": OKABE_ITO["orange"], "trained": OKABE_ITO["blue"],
    "in_loop": OKABE_ITO["green"], "post": OKABE_ITO["vermillion"],
    "percentile": OKABE_ITO["purple"], "heatmap": matplotlib.colormaps["cividis"],
}
DARK_COLOURS = {
    **LIGHT_COLOURS, "ink": "#e6e6e6", "muted": "#a0a0a0", "weights": OKABE_ITO["sky"],
    "global": "#e6e6e6", "trained": OKABE_ITO["sky"],
    "layers": [OKABE_ITO[c] for c in ("sky", "orange", "green", "vermillion", "purple", "yellow", "blue")],
    # cividis without its darkest fifth, which vanishes into the dark background
    "heatmap": ListedColormap(matplotlib.colormaps["cividis"](np.linspace(0.2, 1, 256))),
}

def layer_colours(colour: dict, layers) -> dict[str, object]:
    """A colour per pruned layer, in model order (the palette's own colours up to its
    length, else the heat-map scale from first to last layer), and ``global``."""
    layers = list(layers)
    if len(layers) <= len(colour["layers"]):
        out = dict(zip(layers, colour["layers"]))
    else:
        out = {layer: colour["heatmap"](i / (len(layers) - 1)) for i, layer in enumerate(layers)}
    return {**out, "global": colour["global"]}


BASE_RC = {
    "font.size": 7.5, "axes.titlesize": 8, "axes.labelsize": 7.5, "legend.fontsize": 6.5,
    "xtick.labelsize": 6.5, "ytick.labelsize": 6.5, "axes.linewidth": 0.6,
    "lines.linewidth": 1.2, "grid.linewidth": 0.4, "grid.alpha": 0.5, "axes.grid": True,
    "axes.spines.top": False, "axes.spines.right": False, "axes.axisbelow": True,
    "legend.frameon": False,
    "figure.dpi": 100, "savefig.dpi": 300, "figure.constrained_layout.use": True,
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.hashsalt": "pruning-pipeline",
}
DARK_RC = {
    "figure.facecolor": DARK_BACKGROUND, "axes.facecolor": DARK_BACKGROUND,
    "savefig.facecolor": DARK_BACKGROUND, "text.color": DARK_COLOURS["ink"],
    "axes.labelcolor": DARK_COLOURS["ink"], "axes.edgecolor": DARK_COLOURS["muted"],
    "xtick.color": DARK_COLOURS["ink"], "ytick.color": DARK_COLOURS["ink"],
    "grid.color": "#4a4f5c",
}

@contextlib.contextmanager
def style(dark: bool = False):
    """Apply the one figure style (light or dark) to everything drawn or saved inside."""
    with matplotlib.rc_context({**BASE_RC, **(DARK_RC if dark else {})}):
        yield


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(value: float, _position=None) -> str:
    """``10³`` for a power of ten (``0`` for zero, on a symlog axis), nothing otherwise."""
    if value == 0:
        return "0"
    exponent = math.log10(abs(value))
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return ("−" if value < 0 else "") + "10" + str(round(exponent)).translate(SUPERSCRIPTS)


def label_decades(axis, quiet_up_to: float = 0.0) -> None:
    """Label a log or symlog axis ``10³`` in plain text, minor ticks unlabelled.

    matplotlib's own labels are mathtext, parsed again on every draw of every format:
    a tenth of the time of rendering the figures here. Ticks with ``0 < |value| <=
    quiet_up_to`` stay unlabelled: on a symlog axis the first decade sits too close to
    the ``0`` label to be read.
    """
    axis.set_major_formatter(FuncFormatter(
        lambda value, position: "" if 0 < abs(value) <= quiet_up_to else decade_label(value)))
    axis.set_minor_formatter(NullFormatter())


def colours(dark: bool) -> dict:
    """Colour (or colour map) of each role: layer, stage, threshold... in either style."""
    return DARK_COLOURS if dark else LIGHT_COLOURS


def _styled(builder):
    """Run a figure builder inside `style` for its ``dark`` keyword."""

    @wraps(builder)
    def styled(*args, dark: bool = False, **kwargs) -> Figure:
        with style(dark):
            return builder(*args, colour=colours(dark), **kwargs)

    return styled


def retention(sparsity):
    """The x axis of sparsities: -log10(1 - s), so 90%, 99% and 99.9% are evenly spaced."""
    return -np.log10(1 - np.clip(sparsity, 0, 1 - 1e-9))


def retention_inverse(y):
    return 1 - 10.0 ** -np.asarray(y, float)
