"""Summary numbers and fixed-bin histograms of weight tensors, computed with torch on
the device. Pure: tensors in, numbers and numpy arrays out.

No float64 on the device (MPS has none): float32 sums and integer counts go to the
host, which combines them in float64.
"""

from __future__ import annotations

import math

import numpy as np
import torch

EXACT_COUNT = 1 << 24  # float32 holds every integer up to here, not beyond


def float32_above(tau: float) -> float:
    """The least float32 ``>= tau``: for float32 ``x``, ``x < tau`` exactly when
    ``x < float32_above(tau)``, whereas torch would round ``tau`` to the nearest."""
    nearest = np.float32(tau)
    return float(np.nextafter(nearest, np.float32(np.inf)) if float(nearest) < tau else nearest)


def central_moments(w: torch.Tensor) -> tuple[float, float, float, float]:
    """Mean, variance, third and fourth central moments of a flat float32 tensor.

    Sums of powers about a float32 mean (``shift``) do not cancel, so float32 keeps
    them accurate; their first moment corrects ``shift`` and the binomial expansion
    recentres them in float64 on the host.
    """
    shift = w.mean()
    d = w - shift
    d2 = d * d
    shift, *sums = torch.stack([shift, d.sum(), d2.sum(), (d2 * d).sum(), (d2 * d2).sum()]).tolist()
    a1, a2, a3, a4 = (s / w.numel() for s in sums)
    return (shift + a1, a2 - a1**2, a3 - 3 * a1 * a2 + 2 * a1**3,
            a4 - 4 * a1 * a3 + 6 * a1**2 * a2 - 3 * a1**4)


def layer_stats(weight: torch.Tensor, taus: tuple[float, ...]) -> dict:
    """Count, zeros, moments (excess kurtosis: 0 for a Gaussian, -1.2 for a uniform;
    skew and kurtosis are None when every weight is equal, e.g. all pruned) and the
    share of ``|w| < tau`` for every ``tau``."""
    w = weight.detach().flatten().float()
    n, magnitude = w.numel(), w.abs()
    low, high, abs_max = torch.stack([w.min(), w.max(), magnitude.max()]).tolist()
    zeros, *below = torch.stack([(w == 0).sum(), *((magnitude < float32_above(t)).sum() for t in taus)]).tolist()
    mean, var, m3, m4 = central_moments(w) if low < high else (low, 0.0, 0.0, 0.0)
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
        "below_tau": {f"{tau:g}": count / n for tau, count in zip(taus, below)},
    }


def symmetric_edges(max_abs: float, bins: int) -> np.ndarray:
    """``bins + 1`` equal-width edges on [-r, r] with r a little above ``max_abs``.

    An odd ``bins`` puts a bin centred on zero, where pruned weights pile up.
    """
    half = 1.02 * max_abs if max_abs > 0 else 1.0
    return np.linspace(-half, half, bins + 1)


def histogram(weight: torch.Tensor, edges: np.ndarray) -> np.ndarray:
    """Counts per bin (int64, sums to ``weight.numel()``); values outside the edges
    are counted in the outermost bins. ``histc`` counts in float32, so it runs on
    chunks small enough to count exactly."""
    low, high = float(edges[0]), float(edges[-1])
    w = weight.detach().flatten().float().clamp(low, high)
    counts = sum(torch.histc(part, bins=len(edges) - 1, min=low, max=high).to(torch.int64)
                 for part in w.split(EXACT_COUNT))
    return counts.cpu().numpy()


def flat_global(weights: dict[str, torch.Tensor]) -> torch.Tensor:
    """All prunable weights as one flat tensor: the ``global`` layer."""
    return torch.cat([w.detach().flatten() for w in weights.values()])


def with_global(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The per-layer weights plus their concatenation under ``global``."""
    return {**weights, "global": flat_global(weights)}
