"""Summary numbers of weight tensors and the bins they are counted on, computed with
torch on the device (the counting itself is training's: `pruning_pipeline.train.counting`).
Pure: tensors in, numbers and numpy arrays out.

No float64 on the device (MPS has none): float32 sums and integer counts go to the
host, which combines them in float64.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..train.counting import Parts, chunks


def count(parts: Parts) -> int:
    return parts.numel() if isinstance(parts, torch.Tensor) else sum(p.numel() for p in parts)


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


def widen_counts(counts: np.ndarray, factor: int) -> np.ndarray:
    """Counts (last axis: bins) on ``edges`` re-counted exactly on ``widen_edges(edges,
    factor)``: empty bins padded on both sides to ``factor`` times the range, then each
    run of ``factor`` adjacent bins summed into one."""
    counts = np.asarray(counts)
    bins, pad = counts.shape[-1], (factor - 1) // 2 * counts.shape[-1]
    padded = np.pad(counts, [(0, 0)] * (counts.ndim - 1) + [(pad, pad)])
    return padded.reshape(*counts.shape[:-1], bins, factor).sum(axis=-1)
