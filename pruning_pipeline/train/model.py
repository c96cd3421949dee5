"""The reference CNN (215,418 parameters) and the list of layers that get pruned."""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from ..results import PRUNABLE_LAYERS as PRUNABLE  # Linear weights only; biases, convs and LayerNorm stay dense

LEAKY_SLOPE = 1e-4


class Net(nn.Module):
    """conv1 → pool → conv2 → pool → ffnn1 → LayerNorm → cls_head, as in the reference."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=7)
        self.conv2 = nn.Conv2d(32, 48, kernel_size=3)
        self.ffnn1 = nn.Linear(48 * 4 * 4, 256)
        self.norm1 = nn.LayerNorm(256, eps=1e-5)
        self.cls_head = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 1, 28, 28)
        return self.head(self.features(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The convolutional part, which pruning never touches: (B, 1, 28, 28) -> (B, 768)."""
        x = F.max_pool2d(F.leaky_relu(self.conv1(x), LEAKY_SLOPE), 2)  # (B, 32, 11, 11)
        x = F.max_pool2d(F.leaky_relu(self.conv2(x), LEAKY_SLOPE), 2)  # (B, 48, 4, 4)
        return x.flatten(1)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """The prunable part: (B, 768) -> (B, 10) logits."""
        x = F.leaky_relu(self.ffnn1(features), LEAKY_SLOPE)  # (B, 256)
        return self.cls_head(self.norm1(x))


def prunable_weights(model: Net) -> dict[str, nn.Parameter]:
    """The weight tensors pruning acts on, by layer name."""
    return {name: getattr(model, name).weight for name in PRUNABLE}


def parameter_summary(model: nn.Module) -> dict:
    """Parameter count in total and per top-level layer, with weight shapes."""
    layers = {
        name: {
            "shape": list(module.weight.shape),
            "parameters": sum(p.numel() for p in module.parameters()),
        }
        for name, module in model.named_children()
    }
    return {"parameters": sum(p.numel() for p in model.parameters()), "layers": layers}
