"""One frozen, validated configuration object for the whole lifecycle.

Everything that changes a result lives here; `make_config` is the only way in
from the outside world (CLI flags, a YAML/JSON file, ``mkdocs.yml``) and it rejects
bad input with one line that names the key, the value and what is allowed.
No I/O and no torch here.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping

from .tensor_data import TENSOR_KEYS, TensorData
from .values import (ConfigError, PipelineError, as_bool, as_choice, as_float, as_int, as_mapping,  # noqa: F401
                     fail)

DATASETS = ("mnist-5k", "mnist")
REFERENCE_MODEL = "reference"
# `package.module:callable`, the entry-point syntax `pkgutil.resolve_name` reads
IMPORT_STRING = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
REGEX_PREFIX = "re:"
IN_LOOP_RULES = ("threshold", "percentile")
BATCH_SEEDS = ("auto", "true", "false")
PROFILES = ("default", "quick")
DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")


def is_import_string(value: Any) -> bool:
    return isinstance(value, str) and IMPORT_STRING.fullmatch(value) is not None


@dataclass(frozen=True)
class LayerRule:
    """What is pruned: the ``weight`` of modules that are instances of a class in
    ``types`` (subclasses included), whose qualified name matches one of ``names`` (all
    when empty); beside them the parameters whose qualified name matches one of
    ``params`` (MultiheadAttention's ``in_proj_weight`` is no module's weight); none
    that matches ``exclude``. A name is exact, or a regular expression after ``re:``
    (full match)."""

    types: tuple[str, ...] = ("Linear",)
    names: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """Every option of a run. Build it with `make_config`, never by hand."""

    profile: str = "default"
    model: str = REFERENCE_MODEL  # or an import string `package.module:callable` -> nn.Module
    model_args: Mapping[str, Any] = field(default_factory=dict)  # keyword arguments of that callable
    # mnist-5k, mnist, an import string whose callable returns (train, test) datasets or a
    # mapping of tensors, or (from Python) that mapping itself: {train_x, train_y, test_x, test_y}
    dataset: Any = "mnist-5k"
    dataset_args: Mapping[str, Any] = field(default_factory=dict)
    layers: LayerRule = LayerRule()
    data_dir: str | None = None  # directory with the four MNIST IDX files
    download: bool = True  # fetch full MNIST into cache_dir when data_dir lacks it
    seed: int = 0  # the first seed; the run covers seed .. seed + seeds - 1
    seeds: int = 5  # seeds trained and summarised
    # train the seeds as one batched ensemble: auto = on an accelerator (on a CPU it was
    # slower than the seeds one after another, benchmarks/README.md), true, false
    batch_seeds: str = "auto"
    steps: int = 5625  # the reference's budget: 3 epochs x 60k images / batch 32
    epochs: int | None = None  # when set, overrides steps (epochs x batches per epoch)
    lr: float = 5e-3
    batch_size: int = 32
    tau_loop: float = 0.001
    tau_post: float = 0.4
    percentile: float = 20.0
    in_loop_rule: str = "threshold"
    report_taus: tuple[float, ...] = (0.05, 0.2)
    hist_bins: int = 2025  # fine shared bins (3^4 * 5^2: many odd merge factors for display)
    record_every: int = 125  # optimizer steps between dynamics/curve records
    eval_batch_size: int = 250  # cache-sized batches: 0.09 s per evaluation of the test split, 0.16 s at 1000
    sweep_points: int = 101  # a smooth walk for the explorer's slider
    # methods compared at the same sparsity of the selected layers (`measure.methods`)
    target_sparsities: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99)
    finetune_steps: int = 125  # training of a one-shot prune afterwards, its mask held fixed
    finetune_lr: float | None = None  # its learning rate; none: lr, the plain run's
    gmp_sparsities: tuple[float, ...] = (0.95,)  # targets that also get a gradual run (a full run each)
    gmp_start: int | None = None  # step of the first gradual prune; none: a tenth of the run's steps
    gmp_end: int | None = None  # step the target is reached; none: three quarters of the run's steps
    gmp_every: int = 50  # steps between gradual prunes
    device: str = "auto"
    threads: int = 1  # per training run; the two runs train side by side where cores allow
    nproc_per_node: int = 1  # training processes per machine (torchrun + DDP when the world is > 1)
    nnodes: int = 1  # machines of a torchrun job
    dist_timeout: int = 600  # seconds a collective may wait for another rank before failing
    cache_dir: str = ".cache/pruning"

    @property
    def taus(self) -> tuple[float, ...]:
        """All thresholds whose below-τ share is reported, sorted and unique."""
        return tuple(sorted({self.tau_loop, self.tau_post, *self.report_taus}))

    @property
    def seed_values(self) -> tuple[int, ...]:
        """The seeds of the run, the first (``seed``) the one whose figures are cited."""
        return tuple(range(self.seed, self.seed + self.seeds))

    def batches_seeds(self, device_type: str) -> bool:
        """Whether the seeds are to train together on this kind of device
        (`pruning_pipeline.train.ensemble`): with more than one seed, on one process
        (several processes train each seed through DDP), where ``batch_seeds`` asks."""
        wanted = self.batch_seeds == "true" or (self.batch_seeds == "auto" and device_type != "cpu")
        return wanted and self.seeds > 1 and self.world_size == 1

    def for_seed(self, seed: int) -> "Config":
        """This run's configuration for one of its seeds (``seeds`` kept: it decides
        whether the seed trains with the others, see `key_fields`)."""
        return replace(self, seed=seed)

    @property
    def world_size(self) -> int:
        """Training processes in all: the global batch is split among them."""
        return self.nproc_per_node * self.nnodes

    @property
    def reference(self) -> bool:
        """Whether this is the reference study's model (its figure names are kept)."""
        return self.model == REFERENCE_MODEL

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (tuples become lists; tensors given as data become a digest)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("report_taus", "target_sparsities", "gmp_sparsities"):
            out[key] = list(getattr(self, key))
        out["layers"] = {k: list(v) for k, v in asdict(self.layers).items()}
        out["model_args"], out["dataset_args"] = dict(self.model_args), dict(self.dataset_args)
        if isinstance(self.dataset, TensorData):
            out["dataset"] = self.dataset.digest
        return out


# Profile defaults: applied before the user's keys, which always win.
PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "default": {"seeds": 5},
    "quick": {"steps": 300, "record_every": 25, "sweep_points": 31, "seeds": 2,
              "target_sparsities": (0.5, 0.9, 0.99), "finetune_steps": 25, "gmp_sparsities": (0.9,), "gmp_every": 10},
}

# Options that never change a number in the results (where things live, what to call it).
# ``seeds`` names which runs are summarised, not what one seed's run computes (see `key_fields`).
_NOT_IN_KEY = {"cache_dir", "profile", "download", "data_dir", "dist_timeout", "nproc_per_node", "nnodes", "seeds"}

_FIELD_TYPES = {f.name: f.type for f in fields(Config)}


def _as_device(value: Any) -> str:
    allowed = "auto, cpu, cuda, cuda:N or mps"
    if not isinstance(value, str):
        fail("device", value, allowed)
    name, _, index = value.partition(":")
    if name not in DEVICE_NAMES or (index and (name != "cuda" or not index.isdigit())):
        fail("device", value, allowed)
    return value


def _as_numbers(key: str, value: Any, allowed: str, ok) -> tuple[float, ...]:
    """A list of numbers (also as comma-separated text), each passing ``ok``."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        fail(key, value, allowed)
    try:
        return tuple(as_float(key, item, allowed, ok) for item in items
                     if not (isinstance(item, str) and not item.strip()))
    except ConfigError:
        fail(key, value, allowed)


def _as_sparsities(key: str, value: Any) -> tuple[float, ...]:
    allowed = "a non-empty list of fractions strictly between 0 and 1, e.g. [0.5, 0.9, 0.99]"
    numbers = _as_numbers(key, value, allowed, lambda x: 0 < x < 1)
    if not numbers:
        fail(key, value, allowed)
    return tuple(sorted(set(numbers)))


def _as_model(value: Any) -> str:
    if value == REFERENCE_MODEL or is_import_string(value):
        return value
    fail("model", value, f"{REFERENCE_MODEL} or an import string package.module:callable")


def _as_dataset(value: Any) -> Any:
    allowed = "mnist-5k, mnist, an import string package.module:callable, or a mapping of tensors " \
              + "{" + ", ".join(TENSOR_KEYS) + "}"
    if isinstance(value, Mapping):
        if sorted(value) != sorted(TENSOR_KEYS) or not all(hasattr(v, "shape") for v in value.values()):
            fail("dataset", {k: type(v).__name__ for k, v in value.items()}, allowed)
        return value if isinstance(value, TensorData) else TensorData(value)
    if value in DATASETS or is_import_string(value):
        return value
    fail("dataset", value, allowed)


def _as_layers(value: Any) -> LayerRule:
    allowed = ("a mapping with types, names, params and exclude, each a list of strings "
               "(names, params, exclude: exact or re:<regex>)")
    parts = tuple(f.name for f in fields(LayerRule))
    try:
        raw = as_mapping("layers", value)
    except ConfigError:
        fail("layers", value, allowed)
    if set(raw) - set(parts):
        fail("layers", value, allowed)
    rule = {}
    for part in parts:
        items = raw.get(part, list(getattr(LayerRule(), part)))
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
            fail(f"layers.{part}", items, "a list of non-empty strings")
        for item in items:
            if part == "types" and not item.isidentifier():
                fail("layers.types", item, "module class names such as Linear or Conv2d")
            if part != "types" and item.startswith(REGEX_PREFIX):
                try:
                    re.compile(item[len(REGEX_PREFIX):])
                except re.error as error:
                    fail(f"layers.{part}", item, f"a valid regular expression after re: ({error})")
        rule[part] = tuple(items)
    if not rule["types"] and not rule["params"]:
        fail("layers.types", [], "at least one module class name, unless layers.params selects parameters")
    if rule["names"] and not rule["types"]:
        fail("layers.names", list(rule["names"]), "names of modules of layers.types, which is empty")
    return LayerRule(**rule)


def _validate(key: str, value: Any) -> Any:
    """Coerce one raw value (e.g. the string of ``--set key=value``) or raise."""
    if key == "dataset":
        return _as_dataset(value)
    if key == "model":
        return _as_model(value)
    if key in ("model_args", "dataset_args"):
        return as_mapping(key, value)
    if key == "layers":
        return _as_layers(value)
    if key == "profile":
        return as_choice(key, value, PROFILES)
    if key == "batch_seeds":  # true/false as YAML booleans or as text
        return as_choice(key, str(value).lower() if isinstance(value, (bool, str)) else value, BATCH_SEEDS)
    if key == "in_loop_rule":
        return as_choice(key, value, IN_LOOP_RULES)
    if key == "device":
        return _as_device(value)
    if key == "download":
        return as_bool(key, value)
    if key in ("data_dir", "cache_dir"):
        if value is None and key == "data_dir":
            return None
        if not isinstance(value, str) or not value.strip():
            fail(key, value, "a directory path")
        return value
    if key == "epochs":
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            return None
        return as_int(key, value, 1, "an integer >= 1, or none")
    if key in ("steps", "batch_size", "record_every", "eval_batch_size", "threads", "nproc_per_node", "nnodes",
               "seeds", "finetune_steps", "gmp_every"):
        return as_int(key, value, 1, "an integer >= 1")
    if key == "dist_timeout":
        return as_int(key, value, 10, "a number of seconds >= 10")
    if key == "seed":
        return as_int(key, value, 0, "an integer >= 0")
    if key == "hist_bins":
        return as_int(key, value, 3, "an integer >= 3")
    if key == "sweep_points":
        return as_int(key, value, 30, "an integer >= 30")
    if key == "lr":
        return as_float(key, value, "a number > 0", lambda x: x > 0)
    if key == "finetune_lr":
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            return None
        return as_float(key, value, "a number > 0, or none (lr)", lambda x: x > 0)
    if key in ("tau_loop", "tau_post"):
        return as_float(key, value, "a number >= 0", lambda x: x >= 0)
    if key == "percentile":
        return as_float(key, value, "a number in (0, 100)", lambda x: 0 < x < 100)
    if key == "report_taus":
        return _as_numbers(key, value, "a list of numbers >= 0", lambda x: x >= 0)
    if key in ("target_sparsities", "gmp_sparsities"):
        return _as_sparsities(key, value)
    if key in ("gmp_start", "gmp_end"):
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            return None
        return as_int(key, value, 0 if key == "gmp_start" else 1, "a step number, or none (a share of the run's steps)")
    raise AssertionError(key)  # every field is handled above


def make_config(values: Mapping[str, Any] | None = None) -> Config:
    """Validate raw user values over the chosen profile's defaults.

    Raises
    ------
    ConfigError
        On an unknown key or a value outside what the key allows.
    """
    values = dict(values or {})
    for key in values:
        if key not in _FIELD_TYPES:
            fail(key, values[key], "known keys are " + ", ".join(sorted(_FIELD_TYPES)))
    profile = _validate("profile", values.get("profile", "default"))
    merged = {**PROFILE_DEFAULTS[profile], **values, "profile": profile}
    config = replace(Config(), **{key: _validate(key, value) for key, value in merged.items()})
    if config.batch_size % config.world_size:
        fail("batch_size", config.batch_size, f"a multiple of the world size nproc_per_node x nnodes = "
              f"{config.world_size} (each process takes an equal share of the global batch)")
    _check_gradual(config)
    if config.world_size > 1 and ":" in config.device:
        fail("device", config.device, "cuda, cpu or auto when training on several processes (each takes the GPU "
              "of its local rank)")
    if config.world_size > 1 and isinstance(config.dataset, Mapping):
        fail("dataset", config.dataset.digest, "an import string when training on several processes "
              "(tensors given from Python cannot reach the torchrun processes)")
    return config


def _check_gradual(config: Config) -> None:
    """The gradual-pruning options against each other and the run (with ``epochs`` the
    run's length is known only with the data: `train.methods` checks it then)."""
    if not set(config.gmp_sparsities) <= set(config.target_sparsities):
        fail("gmp_sparsities", list(config.gmp_sparsities),
             f"some of target_sparsities {list(config.target_sparsities)}")
    start, end = config.gmp_start, config.gmp_end
    if start is not None and end is not None and start >= end:
        fail("gmp_start", start, f"a step before gmp_end ({end})")
    if config.epochs is None:
        for key, value in (("gmp_start", start), ("gmp_end", end)):
            if value is not None and value > config.steps - (key == "gmp_start"):
                fail(key, value, f"a step within the run's steps ({config.steps})")


def stable_hash(payload: Any) -> str:
    """Short content hash of a JSON-serialisable payload (sorted keys)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def key_fields(config: Config) -> dict[str, Any]:
    """The options that change one seed's results (the cache key hashes them). The world
    size (gradients summed in another order) and ``batch_seeds`` (an ensemble's float
    noise) count only where they apply; the number of seeds never: adding one reuses
    the others."""
    fields = {k: v for k, v in config.to_dict().items() if k not in _NOT_IN_KEY}
    if config.seeds == 1 or config.world_size > 1:
        del fields["batch_seeds"]
    return fields if config.world_size == 1 else {**fields, "world_size": config.world_size}


def run_key(config: Config, device_key: str, code: str, options: tuple[str, ...] | None = None) -> str:
    """Cache key: the chosen options (all that change results by default), the device
    kind, the package version and ``code``, a digest of the source that computes them."""
    from . import __version__

    fields = key_fields(config)
    chosen = {k: fields[k] for k in options if k in fields} if options is not None else fields
    return stable_hash({**chosen, "device": device_key, "version": __version__, "code": code})
