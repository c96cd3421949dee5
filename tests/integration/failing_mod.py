"""A user's model that cannot be built on rank 1: the distributed tests' failing rank."""
import os
import torch
from torch import nn


def build():
    if os.environ.get("RANK") == "1":
        raise ValueError("rank one cannot build its model")
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 4, generator=g)
    y = x[:, :3].argmax(1)
    return {"train_x": x[:64], "train_y": y[:64], "test_x": x[64:], "test_y": y[64:]}
