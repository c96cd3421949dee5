"""A transformer of your own, for pruning-pipeline: the files a user writes.

``encoder:load`` draws sequences of tokens and labels each by the group of tokens it
holds most of (four groups; ties go to the lower group); ``encoder:build`` is a token
embedding with learned positions, two of torch's own ``nn.TransformerEncoderLayer`` and
a Linear head on the mean over positions. Plain PyTorch: nothing here knows about the
pipeline, which imports both from ``mkdocs.yml``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import TensorDataset

GROUPS = 4  # classes: tokens 0..vocab-1 fall into GROUPS groups by token % GROUPS


def _draw(count: int, length: int, vocab: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` token sequences (count, length) and their labels (count,): the group
    that most of a sequence's tokens belong to."""
    tokens = torch.randint(vocab, (count, length), generator=generator)
    per_group = torch.nn.functional.one_hot(tokens % GROUPS, GROUPS).sum(dim=1)  # (count, GROUPS)
    return tokens, per_group.argmax(dim=1)  # argmax takes the first of equal counts


def load(n_train: int = 2000, n_test: int = 500, length: int = 12, vocab: int = 16,
         seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """(train, test) datasets of token sequences; the same for the same arguments."""
    generator = torch.Generator().manual_seed(seed)
    return (TensorDataset(*_draw(n_train, length, vocab, generator)),
            TensorDataset(*_draw(n_test, length, vocab, generator)))


class EncoderClassifier(nn.Module):
    """embedding + positions → ``depth`` encoder layers → mean over positions → head."""

    def __init__(self, vocab: int = 16, length: int = 12, width: int = 32, heads: int = 4, depth: int = 2,
                 classes: int = GROUPS) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.position = nn.Parameter(torch.zeros(length, width))
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width, dropout=0.0, batch_first=True)
            for _ in range(depth))
        self.head = nn.Linear(width, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # tokens: (B, T) int64
        x = self.embed(tokens) + self.position  # (B, T, width)
        for layer in self.layers:
            x = layer(x)
        return self.head(x.mean(dim=1))  # (B, classes)


def build(**options) -> EncoderClassifier:
    """A new, randomly initialised classifier (``options``: EncoderClassifier's arguments)."""
    return EncoderClassifier(**options)
