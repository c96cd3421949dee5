"""The reference study's CNN in its own layer order, for the loops the benchmarks compare
against (not the package's model).

The package's `Net` pools before its LeakyReLU: the same values, a quarter of the
activation work. A reference-style baseline built on `Net` would get that choice for
free and hide it from the ratio, so the baselines train the network as the reference
writes it: LeakyReLU, then pooling. Parameters, initialization and head are `Net`'s.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pruning_pipeline.train.model import LEAKY_SLOPE, Net


class ReferenceNet(Net):
    """`Net` with the reference's order: conv → LeakyReLU → max-pool, twice."""

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.leaky_relu(self.conv1(x), LEAKY_SLOPE), 2)
        return F.max_pool2d(F.leaky_relu(self.conv2(x), LEAKY_SLOPE), 2).flatten(1)
