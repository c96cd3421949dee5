"""A dataset given from Python as tensors, named by its content for cache keys and the
manifest (no torch import: any array with ``shape`` and numpy's buffer protocol)."""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

TENSOR_KEYS = ("train_x", "train_y", "test_x", "test_y")


def tensors_digest(data: Mapping[str, Any]) -> str:
    """Names the tensors given as ``dataset`` by their content (for keys and the manifest)."""
    import numpy as np

    digest = hashlib.sha256()
    for name in TENSOR_KEYS:
        value = data[name]
        if hasattr(value, "detach"):  # a torch tensor: on the host, in a dtype numpy has
            value = value.detach().cpu()
            value = value.float() if str(value.dtype) == "torch.bfloat16" else value
        array = np.ascontiguousarray(np.asarray(value))
        digest.update(f"{name}:{array.dtype}:{array.shape}".encode() + array.tobytes())
    return f"tensors:{digest.hexdigest()[:16]}"


class TensorData(dict):
    """The tensors given as ``dataset``, with the digest that names them in keys and the
    manifest, computed once (hashing a large dataset on every `Config.to_dict` would not)."""

    def __init__(self, tensors: Mapping[str, Any]) -> None:
        super().__init__(tensors)
        self.digest = tensors_digest(self)
