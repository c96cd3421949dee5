"""Feeding a run: the dataset the config names, as batches on the device.

Two ways in, with the same batches in the same order:

- `Tensors`: the whole dataset preloaded on the device once and indexed per step
  (MNIST, a mapping of tensors, a pair of ``TensorDataset``s): the fast path;
- `Loaded`: any other ``torch.utils.data.Dataset``, read through a ``DataLoader``.

The contract, checked before anything trains: classification with integer labels
0..C-1, the model's output is (batch, C) logits, the loss is cross-entropy.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from ..config import DATASETS, TENSOR_KEYS, Config
from ..imports import UserCodeError, call
from .data import load_dataset, normalise

Batch = tuple[torch.Tensor, torch.Tensor]


def batch_order(n: int, batch_size: int, total: int, seed: int) -> Iterator[torch.Tensor]:
    """The index batches of ``total`` steps: reshuffled passes over ``n`` examples from
    ``seed``, dropping each pass's ragged last batch. Both feeds follow it."""
    generator = torch.Generator(device="cpu").manual_seed(seed)
    order, cursor = torch.randperm(n, generator=generator), 0
    for _ in range(total):
        if cursor + batch_size > n:
            order, cursor = torch.randperm(n, generator=generator), 0
        yield order[cursor:cursor + batch_size]
        cursor += batch_size


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    """Images (N, C, H, W) in channels-last memory: the faster layout for convolutions
    (0.76x the step time on this CPU); any other shape as it is."""
    return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x


@dataclass(frozen=True)
class Tensors:
    """A dataset moved to the device once: inputs and labels of both splits (int64 once
    `load_data` has checked them)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    summary: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def on(cls, device: torch.device, summary: Mapping[str, Any], **splits: torch.Tensor) -> "Tensors":
        put = {k: torch.as_tensor(v).to(device) for k, v in splits.items()}
        return cls(_channels_last(put["train_x"]), put["train_y"], _channels_last(put["test_x"]), put["test_y"],
                   summary)

    @property
    def n_train(self) -> int:
        return len(self.train_y)

    def train_batches(self, order: Iterable[torch.Tensor]) -> Iterator[Batch]:
        for index in order:
            index = index.to(self.train_x.device)
            yield self.train_x[index], self.train_y[index]

    def test_batches(self, size: int) -> Iterator[Batch]:
        for start in range(0, len(self.test_y), size):
            yield self.test_x[start:start + size], self.test_y[start:start + size]

    def labels(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.train_y, self.test_y


@dataclass(frozen=True)
class Loaded:
    """A map-style ``Dataset`` per split, read through a ``DataLoader`` (no workers:
    the order and the numbers stay the ones `batch_order` gives)."""

    train: Dataset
    test: Dataset
    device: torch.device
    summary: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_train(self) -> int:
        return len(self.train)

    def _to_device(self, loader: DataLoader) -> Iterator[Batch]:
        for x, y in loader:
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True).long()

    def train_batches(self, order: Iterable[torch.Tensor]) -> Iterator[Batch]:
        sampler = (index.tolist() for index in order)
        return self._to_device(DataLoader(self.train, batch_sampler=sampler, pin_memory=self.device.type == "cuda"))

    def test_batches(self, size: int) -> Iterator[Batch]:
        return self._to_device(DataLoader(self.test, batch_size=size, shuffle=False))

    def labels(self) -> tuple[torch.Tensor, torch.Tensor]:
        return _dataset_labels(self.train, "train"), _dataset_labels(self.test, "test")


def _dataset_labels(dataset: Dataset, split: str) -> torch.Tensor:
    """Every label of a split: its ``targets`` when it has them, else read item by item."""
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return torch.as_tensor(targets)
    labels = []
    for i in range(len(dataset)):
        item = dataset[i]
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise UserCodeError(f"invalid config: dataset {split} item {i} is a {type(item).__name__}; "
                                "expected an (input, label) pair")
        labels.append(torch.as_tensor(item[1]))
    return torch.stack(labels) if labels else torch.zeros(0, dtype=torch.long)


Feed = Tensors | Loaded


def _user_data(config: Config, device: torch.device) -> Feed:
    if isinstance(config.dataset, Mapping):
        source, made = "tensors given to make_config", config.dataset
    else:  # seeded first: a callable that draws at random gives every run (and rank) the same data
        random.seed(config.seed)
        np.random.seed(config.seed)
        torch.manual_seed(config.seed)
        source, made = config.dataset, call("dataset", config.dataset, dict(config.dataset_args))
    name = config.to_dict()["dataset"]
    if isinstance(made, Mapping):
        if sorted(made) != sorted(TENSOR_KEYS):
            raise UserCodeError(f"invalid config: dataset={source!r} returned a mapping with keys {sorted(made)}; "
                                f"expected exactly {', '.join(TENSOR_KEYS)}")
        _check_lengths(source, {k: len(v) for k, v in made.items()})
        return Tensors.on(device, _summary(name, source, len(made["train_y"]), len(made["test_y"]), "tensors"),
                          **made)
    if not (isinstance(made, (tuple, list)) and len(made) == 2 and all(isinstance(d, Dataset) for d in made)):
        raise UserCodeError(f"invalid config: dataset={source!r} returned a {type(made).__name__}; expected "
                            f"(train, test) torch.utils.data.Dataset objects or a mapping {{{', '.join(TENSOR_KEYS)}}}")
    train, test = made
    if all(type(d) is TensorDataset and len(d.tensors) == 2 for d in made):  # a subclass may transform items
        _check_lengths(source, {"train_x": len(train.tensors[0]), "train_y": len(train.tensors[1]),
                                "test_x": len(test.tensors[0]), "test_y": len(test.tensors[1])})
        return Tensors.on(device, _summary(name, source, len(train), len(test), "tensors"),
                          train_x=train.tensors[0], train_y=train.tensors[1],
                          test_x=test.tensors[0], test_y=test.tensors[1])
    for split, dataset in (("train", train), ("test", test)):
        if len(dataset) == 0:
            raise UserCodeError(f"invalid config: dataset={source!r}: the {split} split is empty")
    return Loaded(train, test, device, _summary(name, source, len(train), len(test), "DataLoader"))


def _check_lengths(source: str, lengths: dict[str, int]) -> None:
    for split in ("train", "test"):
        if lengths[f"{split}_x"] != lengths[f"{split}_y"]:
            raise UserCodeError(f"invalid config: dataset={source!r}: {split}_x has {lengths[f'{split}_x']} "
                                f"examples but {split}_y has {lengths[f'{split}_y']} labels; expected equal lengths")
        if lengths[f"{split}_x"] == 0:
            raise UserCodeError(f"invalid config: dataset={source!r}: the {split} split is empty")


def _summary(name: str, source: str, n_train: int, n_test: int, feed: str) -> dict:
    return {"name": name, "source": source, "n_train": n_train, "n_test": n_test, "feed": feed}


def load_data(config: Config, device: torch.device) -> Feed:
    """The configured dataset, ready to feed on ``device``, its labels checked; its
    summary (for the manifest) counts the classes."""
    if config.dataset in DATASETS:
        data = load_dataset(config)
        feed = Tensors.on(device, {**data.summary(), "feed": "tensors"},
                          train_x=normalise(data.train_images), train_y=data.train_labels,
                          test_x=normalise(data.test_images), test_y=data.test_labels)
    else:
        feed = _user_data(config, device)
    summary = {**feed.summary, "classes": check_labels(feed, config)}
    if isinstance(feed, Tensors):  # checked as given, then the int64 that cross-entropy takes
        return replace(feed, train_y=feed.train_y.long(), test_y=feed.test_y.long(), summary=summary)
    return replace(feed, summary=summary)


def check_labels(feed: Feed, config: Config) -> int:
    """The number of classes C, after checking that every label is an integer in 0..C-1."""
    source = "tensors" if isinstance(config.dataset, Mapping) else config.dataset
    seen = []
    for split, labels in zip(("train", "test"), feed.labels()):
        if labels.dim() != 1 or labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
            raise UserCodeError(f"invalid config: dataset={source!r}: {split} labels are {labels.dtype} of shape "
                                f"{tuple(labels.shape)}; expected one integer class index per example")
        if len(labels) and int(labels.min()) < 0:
            raise UserCodeError(f"invalid config: dataset={source!r}: {split} label {int(labels.min())} is out of "
                                "range; expected class indices 0..C-1")
        seen.append(int(labels.max()) + 1 if len(labels) else 0)
    return max(seen)


def check_model(model: torch.nn.Module, feed: Feed, config: Config) -> None:
    """The model maps a batch of this data to (batch, C) logits, or a one-line error."""
    x, y = next(iter(feed.test_batches(2)))
    classes = feed.summary["classes"]
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as error:
        raise UserCodeError(f"invalid config: model={config.model!r} fails on a batch of dataset "
                            f"{tuple(x.shape)}: {type(error).__name__}: {str(error).splitlines()[0]}") from None
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != len(y) or out.shape[1] != classes:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise UserCodeError(f"invalid config: model={config.model!r} outputs {shape} for a batch of {len(y)}; "
                            f"expected ({len(y)}, {classes}) logits, one per class of the dataset (labels 0..{classes - 1})")
