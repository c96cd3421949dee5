"""Every option of a run as data: what it allows and what it means, beside the coercion
that enforces it, and `make_config`, the only way in from the outside world (CLI flags,
a YAML/JSON file, ``mkdocs.yml``). A bad value stops with one line naming the key, the
value and what is allowed; the Configuration page prints the same ``allowed`` text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from .run import BATCH_SEEDS, EXECUTORS, IN_LOOP_RULES, PROFILE_DEFAULTS, PROFILES, REFERENCE_MODEL, Config
from .tensor_data import TENSOR_KEYS
from .values import (Coerce, as_batch_seeds, as_dataset, as_device, as_layers, as_model, as_sparsities, boolean,
                     choice, fail, integer, mapping, numbers, optional, path, real,
                     scheduler_address)


@dataclass(frozen=True)
class Option:
    """One option: what it ``allowed`` (in the words of its error), how a raw value is
    coerced (``coerce(key, value, allowed)``), and its ``help`` for the Configuration page."""

    allowed: str
    coerce: Coerce
    help: str


MAPPING = "a mapping of name: value (JSON text where a string is expected)"
SPARSITIES = "a non-empty list of fractions strictly between 0 and 1, e.g. [0.5, 0.9, 0.99]"

OPTIONS: dict[str, Option] = {
    "profile": Option(
        "one of " + ", ".join(PROFILES),
        choice(PROFILES),
        'Named set of defaults applied before your keys (`quick` is for previews and tests; `curve` adds '
        'gradual runs at four targets, a whole training run each, for the full gradual curve).'),
    "model": Option(
        f"{REFERENCE_MODEL} or an import string package.module:callable",
        as_model,
        "`reference` is the study's CNN; an import string `package.module:callable` names your own model "
        '(a callable returning a `torch.nn.Module`), imported from the project folder.'),
    "model_args": Option(
        MAPPING,
        mapping,
        "Keyword arguments of your model's callable (JSON values)."),
    "dataset": Option(
        "mnist-5k, mnist, an import string package.module:callable, or a mapping of tensors {" + ", ".join(TENSOR_KEYS) + "}",
        as_dataset,
        '`mnist-5k` is the 5,000-image MNIST subset embedded in the package; `mnist` is the full set; an '
        'import string names a callable returning `(train, test)` datasets or a mapping of tensors '
        '`{train_x, train_y, test_x, test_y}`.'),
    "dataset_args": Option(
        MAPPING,
        mapping,
        "Keyword arguments of your dataset's callable (JSON values)."),
    "layers": Option(
        "a mapping with types, names, params and exclude, each a list of strings (names, params, exclude: exact or re:<regex>)",
        as_layers,
        "Which modules' weights are pruned: `types` (class names), `names` (qualified names or "
        '`re:<regex>`; empty means all of those types) and `exclude`. The default selects every Linear '
        'layer: `ffnn1` and `cls_head` of the reference model.'),
    "data_dir": Option(
        "a directory path, or none",
        optional(path),
        'Directory holding the four MNIST IDX files (only for `dataset: mnist`).'),
    "download": Option(
        "true or false",
        boolean,
        'Whether full MNIST may be downloaded into the cache when `data_dir` lacks it.'),
    "seed": Option(
        "an integer >= 0",
        integer(0),
        "Seed of the split, the initial weights and the batch order; the first of the run's seeds, whose "
        'figures are the published ones.'),
    "seeds": Option(
        "an integer >= 1",
        integer(1),
        'Seeds the run trains (`seed` to `seed + seeds - 1`), each a cache entry of its own: adding one '
        'trains only that one. Every number a page quotes is then the mean ± the standard deviation over '
        'them, every verdict counts them.'),
    "batch_seeds": Option(
        "one of " + ", ".join(BATCH_SEEDS),
        as_batch_seeds,
        "Train the seeds as one batched ensemble (`torch.func.vmap`), each seed's plain, in-loop and "
        "gradual runs as its members, then every one-shot prune's fine-tuning in a second ensemble: "
        '`auto` does on an accelerator; on a CPU the seeds train one after another, which measured faster '
        'here (benchmarks/README.md). A model vmap cannot take trains alone, with the reason logged.'),
    "steps": Option(
        "an integer >= 1",
        integer(1),
        'Optimizer steps of each training run (the plain one and the one pruned in the loop).'),
    "epochs": Option(
        "an integer >= 1, or none",
        optional(integer(1)),
        'When set, replaces `steps` by whole passes over the training split.'),
    "lr": Option(
        "a number > 0",
        real(lambda x: x > 0),
        'AdamW learning rate.'),
    "batch_size": Option(
        "an integer >= 1",
        integer(1),
        'Training batch size.'),
    "tau_loop": Option(
        "a number >= 0",
        real(lambda x: x >= 0),
        'Threshold applied after every optimizer step of the in-loop run (|w| ≤ τ becomes 0).'),
    "tau_post": Option(
        "a number >= 0",
        real(lambda x: x >= 0),
        'Threshold of the one-off cut after training (|w| < τ becomes 0).'),
    "percentile": Option(
        "a number in (0, 100)",
        real(lambda x: 0 < x < 100),
        'Percentile p of |w| over all prunable layers for the global percentile cut.'),
    "in_loop_rule": Option(
        "one of " + ", ".join(IN_LOOP_RULES),
        choice(IN_LOOP_RULES),
        'Pruning rule inside the loop: a fixed threshold or a global percentile.'),
    "report_taus": Option(
        "a list of numbers >= 0",
        numbers(lambda x: x >= 0),
        'Extra thresholds whose below-τ share is reported for every stage.'),
    "hist_bins": Option(
        "an integer >= 3",
        integer(3),
        'Number of histogram bins (edges shared by all stages of a layer).'),
    "record_every": Option(
        "an integer >= 1",
        integer(1),
        'Optimizer steps between two records of curves and in-loop dynamics.'),
    "eval_batch_size": Option(
        "an integer >= 1",
        integer(1),
        'Batch size for evaluation (250 keeps a batch in cache on a CPU; it can move the last digits of a '
        'loss, so it is part of the cache key).'),
    "sweep_points": Option(
        "an integer >= 30",
        integer(30),
        'Thresholds in the post-training sweep, about: it spans four decades below the largest weight at '
        '(`sweep_points` − 1) / 4 thresholds a decade, plus 0.'),
    "target_sparsities": Option(
        SPARSITIES,
        as_sparsities,
        'Sparsities of the selected layers at which the pruning methods are compared (Methods at the same '
        'sparsity): one-shot global, per layer and random, each as pruned and fine-tuned.'),
    "finetune_steps": Option(
        "an integer >= 1",
        integer(1),
        'Optimizer steps of training after a one-shot prune, its mask held fixed (a pruned weight stays '
        'exactly zero).'),
    "finetune_lr": Option(
        "a number > 0, or none (a tenth of lr)",
        optional(real(lambda x: x > 0)),
        'Learning rate of that fine-tuning (a fresh AdamW), held over its steps; none: a tenth of `lr`, as '
        'Han et al. (2015) retrain a pruned network. On a validation split it never cost a light prune '
        'accuracy, where the full rate did, and a cosine decay of it recovered less (the methods page).'),
    "gmp_sparsities": Option(
        SPARSITIES,
        as_sparsities,
        'The targets that also get a run pruned gradually inside the loop (one full training run each, so '
        'the default has one).'),
    "gmp_start": Option(
        "a step number, or none (a share of the run's steps)",
        optional(integer(0)),
        "Step of the first gradual prune; none: a tenth of the run's steps."),
    "gmp_end": Option(
        "a step number, or none (a share of the run's steps)",
        optional(integer(1)),
        'Step at which the gradual run reaches its target (cubic schedule of Zhu & Gupta); none: three '
        "quarters of the run's steps. The mask is held from there to the end."),
    "gmp_every": Option(
        "an integer >= 1",
        integer(1),
        'Steps between two gradual prunes.'),
    "lottery_rounds": Option(
        "an integer from 0 (off) to 30",
        integer(0, 30),
        'Rounds of iterative magnitude pruning with rewinding (the lottery ticket of Frankle & Carbin '
        "2019): each round removes 20% of every pruned layer's surviving weights, the smallest after the "
        'previous round\'s training (the last pruned layer at half that rate), rewinds the rest to their '
        'initial values and trains again; beside it, the same masks on re-initialised weights. Two whole '
        'training runs per round and seed; 0: off (the quick profile runs 2).'),
    "device": Option(
        "auto, cpu, cuda, cuda:N or mps",
        as_device,
        'Where to train: `auto` takes CUDA, then MPS, then the CPU.'),
    "threads": Option(
        "an integer >= 1",
        integer(1),
        'CPU threads of each training run; pinned because the thread count changes results bit for bit. '
        'The jobs run on as many worker processes as the cores hold runs of this many threads (one-thread '
        'runs side by side: 0.62× the time of one two-thread run after the other, and no spin-waiting).'),
    "nproc_per_node": Option(
        "an integer >= 1",
        integer(1),
        'Training processes on this machine. Above one, the build runs the training under `torchrun` '
        '(DDP: Gloo on CPUs, NCCL on GPUs); each process takes an equal share of every global batch of '
        '`batch_size`, which must divide evenly.'),
    "nnodes": Option(
        "an integer >= 1",
        integer(1),
        'Machines of a `torchrun` job. Above one, run the job on the cluster with a shared `cache_dir` '
        'first; the build then reads its cached run.'),
    "dist_timeout": Option(
        "a number of seconds >= 10",
        integer(10),
        'Seconds a training process waits for the others in a collective (a gradient average, a cache '
        'decision) before the job fails instead of hanging. After training no process waits for another.'),
    "executor": Option(
        "one of " + ", ".join(EXECUTORS),
        choice(EXECUTORS),
        'What runs the training jobs (every run of every seed, and each fine-tuning): `auto`, worker '
        'processes on this machine (`workers`); `serial`, the build\'s own process; `dask`, a '
        'dask.distributed cluster at `scheduler` (`pip install "pruning-pipeline[dask]"`). The numbers '
        'are the same bit for bit whichever runs them.'),
    "workers": Option(
        "an integer >= 1, or none",
        optional(integer(1)),
        'Worker processes of `executor: auto`; none: the usable cores divided by `threads` on a CPU, '
        'one per GPU on CUDA. Each trains one job at a time on `threads` threads.'),
    "scheduler": Option(
        "none, or a Dask scheduler address such as tcp://host:8786",
        optional(scheduler_address),
        'The Dask scheduler of `executor: dask`; none: `DASK_SCHEDULER_ADDRESS` if set, else a '
        '`LocalCluster` of `workers` processes listening on localhost only.'),
    "cache_dir": Option(
        "a directory path",
        path,
        'Where finished runs are cached (relative to the working directory).'),
}


def make_config(values: Mapping[str, Any] | None = None) -> Config:
    """Validate raw user values over the chosen profile's defaults.

    Raises
    ------
    ConfigError
        On an unknown key or a value outside what the key allows.
    """
    values = dict(values or {})
    for key in values:
        if key not in OPTIONS:
            fail(key, values[key], "known keys are " + ", ".join(sorted(OPTIONS)))
    profile = _coerce("profile", values.get("profile", "default"))
    merged = {**PROFILE_DEFAULTS[profile], **values, "profile": profile}
    config = replace(Config(), **{key: _coerce(key, value) for key, value in merged.items()})
    if config.batch_size % config.world_size:
        fail("batch_size", config.batch_size, f"a multiple of the world size nproc_per_node x nnodes = "
              f"{config.world_size} (each process takes an equal share of the global batch)")
    _check_gradual(config)
    if config.world_size > 1 and ":" in config.device:
        fail("device", config.device, "cuda, cpu or auto when training on several processes (each takes the GPU "
              "of its local rank)")
    if config.scheduler is not None and config.executor != "dask":
        fail("scheduler", config.scheduler, f"none unless executor is dask (executor={config.executor!r})")
    if config.world_size > 1 and isinstance(config.dataset, Mapping):
        fail("dataset", config.dataset.digest, "an import string when training on several processes "
              "(tensors given from Python cannot reach the torchrun processes)")
    return config


def _coerce(key: str, value: Any) -> Any:
    """One raw value (e.g. the text of ``--set key=value``) as its option takes it, or raise."""
    option = OPTIONS[key]
    return option.coerce(key, value, option.allowed)


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
