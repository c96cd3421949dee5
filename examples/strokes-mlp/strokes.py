"""A dataset and a model of your own, for pruning-pipeline: the files a user writes.

``strokes:load`` draws small grey images of one straight stroke each and labels them by
the stroke's direction (eight classes); ``strokes:build`` is a small convolutional front
followed by an MLP of four Linear layers. Both are plain PyTorch: nothing here knows
about the pipeline, which imports them from ``mkdocs.yml``.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils.data import TensorDataset

DIRECTIONS = tuple(22.5 * i for i in range(8))  # degrees; the class is the index


def _draw(count: int, size: int, noise: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` images (count, 1, size, size) of a stroke through a random point, at one
    of `DIRECTIONS` (jittered by up to 10 degrees), plus Gaussian noise."""
    labels = torch.randint(len(DIRECTIONS), (count,), generator=generator)
    angle = torch.tensor(DIRECTIONS)[labels] + (torch.rand(count, generator=generator) - 0.5) * 20
    theta = angle * math.pi / 180
    centre = (torch.rand(count, 2, generator=generator) - 0.5) * size / 3 + size / 2
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                            indexing="ij")
    dx, dy = xs[None] - centre[:, 0, None, None], ys[None] - centre[:, 1, None, None]
    distance = (dx * torch.sin(theta)[:, None, None] - dy * torch.cos(theta)[:, None, None]).abs()
    images = torch.exp(-distance ** 2 / 1.5) + noise * torch.randn(count, size, size, generator=generator)
    return images[:, None], labels


def load(n_train: int = 2000, n_test: int = 500, size: int = 16, noise: float = 0.6,
         seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """(train, test) datasets of stroke images; the same for the same arguments."""
    generator = torch.Generator().manual_seed(seed)
    return (TensorDataset(*_draw(n_train, size, noise, generator)),
            TensorDataset(*_draw(n_test, size, noise, generator)))


class StrokeNet(nn.Module):
    """conv (8 channels) → pool → flatten → four Linear layers with ReLU between."""

    def __init__(self, size: int = 16, hidden: int = 96, classes: int = len(DIRECTIONS)) -> None:
        super().__init__()
        self.front = nn.Sequential(nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.mlp = nn.Sequential(
            nn.Flatten(),
            nn.Linear(8 * (size // 2) ** 2, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden // 2), nn.ReLU(),
            nn.Linear(hidden // 2, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.front(x))


def build(size: int = 16, hidden: int = 96) -> StrokeNet:
    return StrokeNet(size, hidden)
