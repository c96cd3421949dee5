"""Counting weights as training records them: zeros, fixed-bin histograms (widened
when weights outgrow the bins), over one layer or all of them. Pure, on the device;
the statistics of a stage (`pruning_pipeline.measure.stats`) build on these.
"""

from __future__ import annotations

from typing import Iterator, Sequence, Union

import numpy as np
import torch

EXACT_COUNT = 1 << 24  # float32 holds every integer up to here, not beyond
CHUNK = 1 << 22  # elements per pass: 16 MB of float32 temporaries however large the layer

# One layer's weight tensor, or several (``global``: every pruned layer together, never
# concatenated): every statistic here streams over them in chunks on their device.
Parts = Union[torch.Tensor, Sequence[torch.Tensor]]


def _flat(weight: torch.Tensor) -> torch.Tensor:
    """The weights as one flat tensor, in memory order: a view, not a copy (a
    channels-last convolution is flattened along its strides)."""
    weight = weight.detach()
    if weight.is_contiguous():
        return weight.view(-1)
    order = sorted(range(weight.dim()), key=lambda d: -weight.stride(d))
    permuted = weight.permute(order)
    return permuted.view(-1) if permuted.is_contiguous() else permuted.reshape(-1)


def chunks(parts: Parts) -> Iterator[torch.Tensor]:
    """Flat float32 pieces of at most `CHUNK` weights covering every weight once."""
    for weight in [parts] if isinstance(parts, torch.Tensor) else parts:
        for piece in _flat(weight).split(CHUNK):
            yield piece.float()


def count_zeros(parts: Parts) -> int:
    return sum(int((piece == 0).sum()) for piece in chunks(parts))


WIDENING = 3  # odd: a bin centred on zero stays centred; old bins merge whole into new ones


def widening(edges: np.ndarray, reach: float) -> int:
    """The power of `WIDENING` by which symmetric ``edges`` must widen to hold every
    magnitude up to ``reach``."""
    factor = 1
    while float(edges[-1]) * factor < reach:
        factor *= WIDENING
    return factor


def widen_edges(edges: np.ndarray, factor: int) -> np.ndarray:
    """The same number of bins over a range ``factor`` (odd) times as wide."""
    return np.linspace(factor * float(edges[0]), factor * float(edges[-1]), len(edges))


def histogram(parts: Parts, edges: np.ndarray, nonzero: bool = False) -> np.ndarray:
    """Counts per bin (int64; sums to the number of weights, or of the non-zero ones
    with ``nonzero``); values outside the edges are counted in the outermost bins.
    ``histc`` counts in float32, exact only up to 2**24: chunks keep under that, and
    the counts add up on the device (O(bins) memory)."""
    assert CHUNK <= EXACT_COUNT
    low, high, bins = float(edges[0]), float(edges[-1]), len(edges) - 1
    counts = None
    for piece in chunks(parts):
        if nonzero:
            piece = piece[piece != 0]
        part = torch.histc(piece.clamp(low, high), bins=bins, min=low, max=high).to(torch.int64)
        counts = part if counts is None else counts + part
    return np.zeros(bins, dtype=np.int64) if counts is None else counts.cpu().numpy()


def with_global(weights: dict[str, torch.Tensor]) -> dict[str, Parts]:
    """The per-layer weights plus ``global``: all of them together, as the list of
    the layers' tensors (never concatenated: a copy of every weight)."""
    return {**weights, "global": list(weights.values())}
