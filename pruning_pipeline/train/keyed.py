"""What each kind of training run is called and which options it depends on: the
options a run's cache key holds (everything else is applied after training). No torch
here, so the plan of a build's runs is made without importing it."""

from __future__ import annotations

from ..config import Config

# the kinds of training run, each a cache entry (and a job) of its own
TRAINED, IN_LOOP = "trained", "in_loop"  # the plain run; the run re-pruned after every step
ONE_SHOT_KIND, GRADUAL_KIND = "finetuned", "gradual"  # the methods compared at one sparsity
ALONE, BATCHED = "alone", "batched"  # how a seed's runs train: on their own, or batched with the other seeds'

TRAIN_OPTIONS = ("model", "model_args", "dataset", "dataset_args", "seed", "steps", "epochs", "lr",
                 "batch_size", "record_every", "eval_batch_size", "device", "threads", "world_size")
ONE_SHOT_OPTIONS = TRAIN_OPTIONS + ("layers", "finetune_steps", "finetune_lr", "target_sparsities")
GRADUAL_OPTIONS = TRAIN_OPTIONS + ("layers", "gmp_start", "gmp_end", "gmp_every", "gmp_sparsities")
_IN_LOOP_RULE_OPTIONS = {"threshold": ("tau_loop",), "percentile": ("percentile",)}


def in_loop_options(config: Config) -> tuple[str, ...]:
    """The options the in-loop run depends on: training, binning and its own rule's."""
    return TRAIN_OPTIONS + ("layers", "in_loop_rule", "hist_bins") + _IN_LOOP_RULE_OPTIONS[config.in_loop_rule]
