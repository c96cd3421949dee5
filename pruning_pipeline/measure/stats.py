"""Summary numbers and fixed-bin histograms of weight tensors, computed with torch on
the device. Pure: tensors in, numbers and numpy arrays out.

No float64 on the device (MPS has none): float32 sums and integer counts go to the
host, which combines them in float64.
"""

from __future__ import annotations

import math
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


def count(parts: Parts) -> int:
    return parts.numel() if isinstance(parts, torch.Tensor) else sum(p.numel() for p in parts)


def count_zeros(parts: Parts) -> int:
    return sum(int((piece == 0).sum()) for piece in chunks(parts))


def float32_above(tau: float) -> float:
    """The least float32 ``>= tau``: for float32 ``x``, ``x < tau`` exactly when
    ``x < float32_above(tau)``, whereas torch would round ``tau`` to the nearest."""
    nearest = np.float32(tau)
    return float(np.nextafter(nearest, np.float32(np.inf)) if float(nearest) < tau else nearest)


def central_moments(parts: Parts, mean: float) -> tuple[float, float, float, float]:
    """Mean, variance, third and fourth central moments of the weights.

    Sums of powers about a float32 shift near the ``mean`` do not cancel, so float32
    keeps them accurate; each chunk's sums go to the host, which adds them in float64;
    their first moment corrects the shift and the binomial expansion recentres them.
    """
    shift = float(np.float32(mean))
    sums = np.zeros(4)
    for piece in chunks(parts):
        d = piece - shift
        d2 = d * d
        sums += torch.stack([d.sum(), d2.sum(), (d2 * d).sum(), (d2 * d2).sum()]).tolist()
    a1, a2, a3, a4 = sums / count(parts)
    return (shift + a1, a2 - a1**2, a3 - 3 * a1 * a2 + 2 * a1**3,
            a4 - 4 * a1 * a3 + 6 * a1**2 * a2 - 3 * a1**4)


def layer_stats(parts: Parts, taus: tuple[float, ...]) -> dict:
    """Count, zeros, moments (excess kurtosis: 0 for a Gaussian, -1.2 for a uniform;
    skew and kurtosis are None when every weight is equal, e.g. all pruned) and the
    share of ``|w| < tau`` for every ``tau``. Two passes over chunks: O(1) extra memory
    on the device, a handful of numbers per chunk to the host."""
    n = count(parts)
    low, high, abs_max, total = math.inf, -math.inf, 0.0, 0.0
    tallies = np.zeros(1 + len(taus), dtype=np.int64)  # zeros, then below each tau
    limits = [float32_above(t) for t in taus]
    for piece in chunks(parts):
        magnitude = piece.abs()
        lo, hi, top, subtotal = torch.stack([piece.min(), piece.max(), magnitude.max(), piece.sum()]).tolist()
        low, high, abs_max, total = min(low, lo), max(high, hi), max(abs_max, top), total + subtotal
        tallies += np.array(torch.stack([(piece == 0).sum(), *((magnitude < t).sum() for t in limits)]).tolist())
    zeros, below = int(tallies[0]), tallies[1:].tolist()
    mean, var, m3, m4 = central_moments(parts, total / n) if low < high else (low, 0.0, 0.0, 0.0)
    std = math.sqrt(max(var, 0.0))
    return {
        "count": n,
        "zeros": zeros,
        "nonzeros": n - zeros,
        "sparsity": zeros / n,
        "mean": mean,
        "std": std,
        "min": low,
        "max": high,
        "abs_max": abs_max,
        "skew": m3 / std**3 if std > 0 else None,
        "kurtosis": m4 / std**4 - 3.0 if std > 0 else None,
        "below_tau": {f"{tau:g}": k / n for tau, k in zip(taus, below)},
    }


def symmetric_edges(max_abs: float, bins: int) -> np.ndarray:
    """``bins + 1`` equal-width edges on [-r, r] with r a little above ``max_abs``.

    An odd ``bins`` puts a bin centred on zero, where pruned weights pile up.
    """
    half = 1.02 * max_abs if max_abs > 0 else 1.0
    return np.linspace(-half, half, bins + 1)


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


def widen_counts(counts: np.ndarray, factor: int) -> np.ndarray:
    """Counts (last axis: bins) on ``edges`` re-counted exactly on ``widen_edges(edges,
    factor)``: empty bins padded on both sides to ``factor`` times the range, then each
    run of ``factor`` adjacent bins summed into one."""
    counts = np.asarray(counts)
    bins, pad = counts.shape[-1], (factor - 1) // 2 * counts.shape[-1]
    padded = np.pad(counts, [(0, 0)] * (counts.ndim - 1) + [(pad, pad)])
    return padded.reshape(*counts.shape[:-1], bins, factor).sum(axis=-1)


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
