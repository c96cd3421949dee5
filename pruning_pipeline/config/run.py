"""The run's configuration as one frozen object, its profiles, and the options of it
that name a cached result (`key_fields`, `run_key`). Build it with
`pruning_pipeline.config.options.make_config`. No I/O and no torch here.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping

from .tensor_data import TensorData

DATASETS = ("mnist-5k", "mnist")
REFERENCE_MODEL = "reference"
# `package.module:callable`, the entry-point syntax `pkgutil.resolve_name` reads
IMPORT_STRING = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
REGEX_PREFIX = "re:"
IN_LOOP_RULES = ("threshold", "percentile")
BATCH_SEEDS = ("auto", "true", "false")
PROFILES = ("default", "quick", "curve")
DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")
EXECUTORS = ("auto", "serial", "dask")
# a Dask scheduler's address: tcp://host:8786, tls://host:8786, ...
SCHEDULER_ADDRESS = re.compile(r"(tcp|tls|inproc|ucx|ws|wss)://\S+")


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
    finetune_lr: float | None = None  # its learning rate; none: a tenth of lr (Han et al. 2015)
    gmp_sparsities: tuple[float, ...] = (0.95,)  # targets that also get a gradual run (a full run each)
    gmp_start: int | None = None  # step of the first gradual prune; none: a tenth of the run's steps
    gmp_end: int | None = None  # step the target is reached; none: three quarters of the run's steps
    gmp_every: int = 50  # steps between gradual prunes
    lottery_rounds: int = 0  # rounds of lottery-ticket pruning with rewinding (Frankle & Carbin 2019); 0: off
    device: str = "auto"
    threads: int = 1  # per training run (and job); the jobs fill the cores with runs of this many threads
    nproc_per_node: int = 1  # training processes per machine (torchrun + DDP when the world is > 1)
    nnodes: int = 1  # machines of a torchrun job
    dist_timeout: int = 600  # seconds a collective may wait for another rank before failing
    # what runs the training jobs (`pruning_pipeline.jobs`): worker processes here (auto),
    # this process (serial), or a Dask cluster at ``scheduler`` (dask); never the numbers
    executor: str = "auto"
    workers: int | None = None  # worker processes of auto (none: usable cores / threads, or one per GPU)
    scheduler: str | None = None  # the Dask scheduler of executor dask (none: DASK_SCHEDULER_ADDRESS, or a LocalCluster)
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
    # the full gradual curve: a whole training run per target and seed
    "curve": {"seeds": 5, "gmp_sparsities": (0.8, 0.9, 0.95, 0.98)},
    "quick": {"steps": 300, "record_every": 25, "sweep_points": 31, "seeds": 2,
              "target_sparsities": (0.5, 0.9, 0.99), "finetune_steps": 25, "gmp_sparsities": (0.9,), "gmp_every": 10,
              "lottery_rounds": 2},
}

# Options that never change a number in the results (where things live, what to call it).
# ``seeds`` names which runs are summarised, not what one seed's run computes (see `key_fields`).
_NOT_IN_KEY = {"cache_dir", "profile", "download", "data_dir", "dist_timeout", "nproc_per_node", "nnodes", "seeds",
               "executor", "workers", "scheduler"}

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
    from .. import __version__

    fields = key_fields(config)
    chosen = {k: fields[k] for k in options if k in fields} if options is not None else fields
    return stable_hash({**chosen, "device": device_key, "version": __version__, "code": code})
