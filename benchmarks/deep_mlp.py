"""A user model of any depth for `bench_layers.py`: ``depth`` Linear layers of equal
width on synthetic tensors, so the number of pruned layers is the only thing that grows."""

from __future__ import annotations

import torch
from torch import nn


def build(depth: int = 8, width: int = 32, features: int = 32, classes: int = 10) -> nn.Module:
    layers: list[nn.Module] = [nn.Linear(features, width), nn.ReLU()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, classes))


def data(n_train: int = 2000, n_test: int = 500, features: int = 32, classes: int = 10) -> dict:
    """Gaussian inputs labelled by a fixed random linear map: learnable, seeded."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n_train + n_test, features, generator=generator)
    y = (x @ torch.randn(features, classes, generator=generator)).argmax(1)
    return {"train_x": x[:n_train], "train_y": y[:n_train], "test_x": x[n_train:], "test_y": y[n_train:]}
