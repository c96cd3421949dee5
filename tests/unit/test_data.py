import gzip

import numpy as np
import pytest

from pruning_pipeline.train import data as data_module
from pruning_pipeline.config import make_config
from pruning_pipeline.train.data import DataError, _read_idx, load_dataset, normalise, stratified_split


def test_mnist_5k_is_split_400_100_per_class_shuffled_and_disjoint():
    dataset = load_dataset(make_config({"seed": 3}))
    assert dataset.train_images.shape == (4000, 28, 28) and dataset.test_images.shape == (1000, 28, 28)
    assert np.bincount(dataset.train_labels).tolist() == [400] * 10
    assert np.bincount(dataset.test_labels).tolist() == [100] * 10
    assert len(set(dataset.test_labels[:50].tolist())) > 5  # not sorted by label
    train = {im.tobytes() for im in dataset.train_images}
    assert not any(im.tobytes() in train for im in dataset.test_images[:200])


def test_split_depends_only_on_the_seed():
    labels = np.repeat(np.arange(3), 5)
    assert all(np.array_equal(a, b) for a, b in zip(stratified_split(labels, 2, 7), stratified_split(labels, 2, 7)))
    assert not np.array_equal(stratified_split(labels, 2, 7)[0], stratified_split(labels, 2, 8)[0])


def test_normalise_maps_pixels_to_minus_one_one():
    out = normalise(np.array([[[0, 255]]], dtype=np.uint8))
    assert out.shape == (1, 1, 1, 2) and out.tolist() == [[[[-1.0, 1.0]]]]


def test_idx_reader_parses_the_header(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in images.shape)
    path = tmp_path / "x-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + images.tobytes()))
    assert np.array_equal(_read_idx(path), images)


def test_full_mnist_without_files_or_download_says_how_to_get_them(tmp_path):
    config = make_config({"dataset": "mnist", "download": False, "data_dir": str(tmp_path), "cache_dir": str(tmp_path)})
    with pytest.raises(DataError, match="data_dir=DIR") as caught:
        load_dataset(config)
    assert "\n" not in str(caught.value)


def test_full_mnist_download_failure_is_one_clear_line(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(data_module.urllib.request, "urlopen", offline)
    config = make_config({"dataset": "mnist", "cache_dir": str(tmp_path)})
    with pytest.raises(DataError, match="download .* failed .*network is unreachable"):
        load_dataset(config)
    assert not (tmp_path / "datasets" / "mnist").exists()


def test_a_data_dir_without_the_files_is_an_error_not_a_download(tmp_path, monkeypatch):
    monkeypatch.setattr(data_module.urllib.request, "urlopen", lambda *a, **k: pytest.fail("downloaded"))
    config = make_config({"dataset": "mnist", "data_dir": str(tmp_path), "cache_dir": str(tmp_path)})
    with pytest.raises(DataError, match="lacks train-images-idx3-ubyte.gz"):
        load_dataset(config)
