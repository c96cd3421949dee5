"""Datasets: the only module that reads dataset files.

``mnist-5k`` is the real 5,000-image MNIST subset shipped with this package
(``datasets/mnist_5k.npz``, CC BY-SA 3.0, attribution beside it); ``mnist``
is full MNIST from the four standard IDX files, found in ``data_dir`` or downloaded once
into the cache with checksums verified.
"""

from __future__ import annotations

import gzip
import hashlib
from importlib import resources
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config, PipelineError

MEAN, STD = 0.5, 0.5  # the reference's Normalize((0.5,), (0.5,))
MNIST_5K_RESOURCE = "pruning_pipeline/train/datasets/mnist_5k.npz"
TRAIN_PER_CLASS = 400  # of 500 images per class in mnist-5k; the rest is the test split

# Full MNIST: file name -> sha256 of the gzipped IDX file.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaaee5bf9fd7b6b7ed1",
}
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"


class DataError(PipelineError, RuntimeError):
    """A dataset cannot be found or read; the message says how to get it."""


@dataclass(frozen=True)
class Dataset:
    """Images as uint8 (N, 28, 28) and labels as int64 (N,), split into train and test."""

    name: str
    source: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def summary(self) -> dict:
        return {
            "name": self.name,
            "source": self.source,
            "n_train": int(len(self.train_labels)),
            "n_test": int(len(self.test_labels)),
        }


def load_dataset(config: Config) -> Dataset:
    """The dataset the config names, split deterministically from ``config.seed``."""
    if config.dataset == "mnist-5k":
        return _load_mnist_5k(config.seed)
    return _load_mnist(config)


def _load_mnist_5k(seed: int) -> Dataset:
    resource = resources.files(__package__) / "datasets" / "mnist_5k.npz"
    try:
        with resource.open("rb") as handle, np.load(handle, allow_pickle=False) as saved:
            images, labels = saved["images"], saved["labels"].astype(np.int64)  # (5000, 28, 28), (5000,)
    except (OSError, KeyError, ValueError) as error:
        raise DataError(f"dataset mnist-5k: the bundled file {MNIST_5K_RESOURCE} cannot be read ({error}); "
                        "reinstall the package") from None
    train_idx, test_idx = stratified_split(labels, TRAIN_PER_CLASS, seed)
    return Dataset(
        "mnist-5k", MNIST_5K_RESOURCE,
        images[train_idx], labels[train_idx], images[test_idx], labels[test_idx],
    )


def stratified_split(labels: np.ndarray, train_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled indices with ``train_per_class`` of every class in train, the rest in test.

    The mnist-5k file is sorted by label, so a head/tail split would test on 8s and 9s.
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        train.append(idx[:train_per_class])
        test.append(idx[train_per_class:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _load_mnist(config: Config) -> Dataset:
    directory = _find_or_download_mnist(config)
    read = lambda name: _read_idx(directory / name)  # noqa: E731
    return Dataset(
        "mnist", str(directory),
        read("train-images-idx3-ubyte.gz"), read("train-labels-idx1-ubyte.gz").astype(np.int64),
        read("t10k-images-idx3-ubyte.gz"), read("t10k-labels-idx1-ubyte.gz").astype(np.int64),
    )


def _has_mnist_files(directory: Path) -> bool:
    return all((directory / name).is_file() for name in MNIST_FILES)


def _find_or_download_mnist(config: Config) -> Path:
    how = (
        "put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz "
        "and t10k-labels-idx1-ubyte.gz in a directory and set data_dir=DIR"
    )
    if config.data_dir is not None:  # the user's own files: never replaced by a download
        if _has_mnist_files(Path(config.data_dir)):
            return Path(config.data_dir)
        missing = [name for name in MNIST_FILES if not (Path(config.data_dir) / name).is_file()]
        raise DataError(f"dataset mnist: data_dir={config.data_dir!r} lacks {', '.join(missing)}; {how}")
    cached = Path(config.cache_dir) / "datasets" / "mnist"
    if _has_mnist_files(cached):
        return cached
    if not config.download:
        raise DataError(f"dataset mnist: IDX files not found (data_dir={config.data_dir!r}); {how}")
    try:
        _download_mnist(cached)
    except OSError as error:
        if _has_mnist_files(cached):  # another process (a torchrun rank) put it there first
            return cached
        raise DataError(f"dataset mnist: download from {MNIST_MIRROR} failed ({error}); {how}") from None
    return cached


def _download_mnist(target: Path) -> None:
    """Fetch the four files into a temp dir, verify sha256, then move the dir into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".mnist-"))
    try:
        for name, sha256 in MNIST_FILES.items():
            with urllib.request.urlopen(MNIST_MIRROR + name, timeout=30) as response:
                payload = response.read()
            if hashlib.sha256(payload).hexdigest() != sha256:
                raise OSError(f"checksum mismatch for {name}")
            (staging / name).write_bytes(payload)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_idx(path: Path) -> np.ndarray:
    """Parse a gzipped IDX file (big-endian header: magic, then one uint32 per dim).

    A truncated or corrupt file is a `DataError` that names it."""
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read()
        ndim = raw[3]
        shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
        return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    except (OSError, EOFError, IndexError, ValueError) as error:
        raise DataError(f"dataset mnist: {path} is not a readable IDX file ({error}); replace it with "
                        f"the original (sha256 {MNIST_FILES.get(path.name, 'see MNIST_FILES')})") from None


def normalise(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) scaled to [0, 1] then (x - 0.5) / 0.5."""
    return ((images.astype(np.float32) / 255.0 - MEAN) / STD)[:, None]
