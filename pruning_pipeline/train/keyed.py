"""What each kind of training run is called, which options it depends on and its cache
key (those options, the device kind and the source of train/). No torch here, so the
plan of a build's runs is made without importing it."""

from __future__ import annotations

from dataclasses import replace

from ..config import Config, run_key
from ..keys.code import source_digest, user_code_digest

# the kinds of training run, each a cache entry (and a job) of its own
TRAINED, IN_LOOP = "trained", "in_loop"  # the plain run; the run re-pruned after every step
ONE_SHOT_KIND, GRADUAL_KIND = "finetuned", "gradual"  # the methods compared at one sparsity
LOTTERY_KIND, CONTROL_KIND = "lottery", "lottery_control"  # a lottery round: rewound ticket, re-initialised control
ALONE, BATCHED = "alone", "batched"  # how a seed's runs train: on their own, or batched with the other seeds'

TRAIN_OPTIONS = ("model", "model_args", "dataset", "dataset_args", "seed", "steps", "epochs", "lr",
                 "batch_size", "record_every", "eval_batch_size", "device", "threads", "world_size")
ONE_SHOT_OPTIONS = TRAIN_OPTIONS + ("layers", "finetune_steps", "finetune_lr", "target_sparsities")
GRADUAL_OPTIONS = TRAIN_OPTIONS + ("layers", "gmp_start", "gmp_end", "gmp_every", "gmp_sparsities")
LOTTERY_OPTIONS = TRAIN_OPTIONS + ("layers", "lottery_rounds")  # lottery_rounds: the round's own number
_IN_LOOP_RULE_OPTIONS = {"threshold": ("tau_loop",), "percentile": ("percentile",)}

# The training runs are keyed by the source of train/ and what it imports, so editing
# a measurement, a figure or a page never retrains.
TRAINING_SOURCE = "pruning_pipeline.train"


def _training_code(config: Config, trainer: str) -> str:
    """What the training runs' keys hold of the code: the source of train/ with what it
    imports and the user's code; for a seed trained with the others, that it was."""
    return source_digest(TRAINING_SOURCE) + user_code_digest(config) + (f":{trainer}" if trainer == BATCHED else "")


def training_keys(config: Config, device_key: str, trainer: str = ALONE) -> dict[str, str]:
    """Cache key of each training run (``trained``, ``in_loop``): the options it depends
    on, the device kind and the code (`_training_code`)."""
    code = _training_code(config, trainer)
    return {TRAINED: run_key(config, device_key, code, TRAIN_OPTIONS),
            IN_LOOP: run_key(config, device_key, code, in_loop_options(config))}


def method_keys(config: Config, device_key: str, trainer: str = ALONE) -> dict[tuple[str, float], str]:
    """Cache key of each entry of the methods compared at one sparsity: (kind, target)
    for the one-shot prunes with their fine-tuning at every target, and the gradual runs
    at theirs; each holds the options its kind depends on and that one target. And
    (kind, round) for each lottery round's ticket and control, which hold the round's
    number: more rounds reuse the ones before."""
    code = _training_code(config, trainer)
    keys = {(ONE_SHOT_KIND, target): run_key(replace(config, target_sparsities=(target,)), device_key, code,
                                             ONE_SHOT_OPTIONS)
            for target in config.target_sparsities}
    keys.update({(GRADUAL_KIND, target): run_key(replace(config, gmp_sparsities=(target,)), device_key, code,
                                                 GRADUAL_OPTIONS)
                 for target in config.gmp_sparsities})
    keys.update({(kind, k): run_key(replace(config, lottery_rounds=k), device_key, code, LOTTERY_OPTIONS)
                 for k in range(1, config.lottery_rounds + 1) for kind in (LOTTERY_KIND, CONTROL_KIND)})
    return keys


def in_loop_options(config: Config) -> tuple[str, ...]:
    """The options the in-loop run depends on: training, binning and its own rule's."""
    return TRAIN_OPTIONS + ("layers", "in_loop_rule", "hist_bins") + _IN_LOOP_RULE_OPTIONS[config.in_loop_rule]
