"""Findings a reader must not miss, in a warning box on the home and post-training
pages: a post-training cut that wipes out a layer or the accuracy, a fine-tuning that
lowers a prune's accuracy. Over several seeds a flag says in how many it holds, with the
numbers as the seeds' mean ± sd. Pure."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator, Mapping, Sequence

from ..formatting import fmt_pct, fmt_pp
from ..names import ONE_SHOT_RANKINGS, RANKING_LABEL
from .value import Seeds, mean

WIPED_OUT = 0.99  # a layer's sparsity above which the cut has removed it
ACCURACY_LOSS = 0.05  # an accuracy drop above which the cut has broken the model


def _checks(metrics: Mapping[str, Any]) -> Iterator[tuple[str, bool, str]]:
    """Every flag the pipeline knows: its key, whether it holds, and what it says."""
    trained = metrics["stages"]["trained"]["accuracy"]
    tau = metrics["config"]["tau_post"]
    post = metrics["stages"]["post"]
    for name in metrics["prunable_layers"]:
        sparsity = post["layers"][name]["sparsity"]
        yield f"wiped_out/{name}", mean(sparsity) > WIPED_OUT, f"tau_post={tau:g} zeroes {fmt_pct(sparsity, '2')} of {name}"
    yield ("accuracy", mean(trained) - mean(post["accuracy"]) > ACCURACY_LOSS,
           f"tau_post={tau:g} drops test accuracy from {fmt_pct(trained)} to {fmt_pct(post['accuracy'])}")


def warnings(metrics: Mapping[str, Any]) -> list[str]:
    """What one run flags."""
    return [text for _, holds, text in _checks(metrics) if holds]


def warnings_over_seeds(spread: Mapping[str, Any], per_seed: Sequence[Mapping[str, Any]]) -> list[str]:
    """What any of the seeds flags, written from ``spread`` (the means with their
    spreads), each with the count of seeds it holds in."""
    held = Counter(key for metrics in per_seed for key, holds, _ in _checks(metrics) if holds)
    return [f"{text} (in {held[key]} of {len(per_seed)} seeds)" for key, _, text in _checks(spread) if held[key]]


def lowered_by_finetuning(published: Mapping[str, Any]) -> list[str]:
    """Where fine-tuning left a one-shot prune less accurate than it found it beyond the
    seeds' spread (the mean loss above its sd; with one seed, any loss), read from the
    published ``facts.methods.finetune_lost``."""
    lost_at = published["facts"]["methods"]["finetune_lost"]
    out = []
    for ranking in ONE_SHOT_RANKINGS:
        label = RANKING_LABEL[ranking]
        for target, lost in zip(published["methods"]["targets"], lost_at[ranking]):
            spread = lost.sd if isinstance(lost, Seeds) else 0.0
            if mean(lost) - spread > 0:
                held = f" (in {sum(v > 0 for v in lost.values)} of {len(lost.values)} seeds)" if isinstance(lost, Seeds) \
                    else ""
                out.append(f"fine-tuning lowers {label} at {fmt_pct(target, '0')} sparsity by {fmt_pp(lost)} points{held}")
    return out
