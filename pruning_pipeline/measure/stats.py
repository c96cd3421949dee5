"""Summary numbers and fixed-bin histograms of weight tensors, computed with torch on
the device. Pure: tensors in, numbers and numpy arrays out."""

from __future__ import annotations

import numpy as np
import torch


def layer_stats(weight: torch.Tensor, taus: tuple[float, ...]) -> dict:
    """Count, zeros, moments (excess kurtosis: 0 for a Gaussian, -1.2 for a uniform;
    skew and kurtosis are None when every weight is equal, e.g. all pruned) and the
    share of ``|w| < tau`` for every ``tau``."""
    w = weight.detach().flatten().double()
    mean, std = w.mean(), w.std(unbiased=False)
    z = (w - mean) / std if std > 0 else torch.zeros_like(w)
    zeros = int((w == 0).sum())
    magnitude = w.abs()
    return {
        "count": w.numel(),
        "zeros": zeros,
        "nonzeros": w.numel() - zeros,
        "sparsity": zeros / w.numel(),
        "mean": float(mean),
        "std": float(std),
        "min": float(w.min()),
        "max": float(w.max()),
        "abs_max": float(magnitude.max()),
        "skew": float((z**3).mean()) if std > 0 else None,
        "kurtosis": float((z**4).mean() - 3.0) if std > 0 else None,
        "below_tau": {f"{tau:g}": float((magnitude < tau).double().mean()) for tau in taus},
    }


def symmetric_edges(max_abs: float, bins: int) -> np.ndarray:
    """``bins + 1`` equal-width edges on [-r, r] with r a little above ``max_abs``.

    An odd ``bins`` puts a bin centred on zero, where pruned weights pile up.
    """
    half = 1.02 * max_abs if max_abs > 0 else 1.0
    return np.linspace(-half, half, bins + 1)


def histogram(weight: torch.Tensor, edges: np.ndarray) -> np.ndarray:
    """Counts per bin (int64, sums to ``weight.numel()``); values outside the edges
    are counted in the outermost bins."""
    low, high = float(edges[0]), float(edges[-1])
    w = weight.detach().flatten().float().clamp(low, high)
    counts = torch.histc(w, bins=len(edges) - 1, min=low, max=high)
    return counts.round().to(torch.int64).cpu().numpy()


def flat_global(weights: dict[str, torch.Tensor]) -> torch.Tensor:
    """All prunable weights as one flat tensor: the ``global`` layer."""
    return torch.cat([w.detach().flatten() for w in weights.values()])


def with_global(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The per-layer weights plus their concatenation under ``global``."""
    return {**weights, "global": flat_global(weights)}
