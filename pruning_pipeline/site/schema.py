"""What the Reproduce pages document: every configuration option with its allowed values
and this run's value, the manifest, and the meaning of every path of ``metrics.json``."""

from __future__ import annotations

import json
from typing import Any, Mapping

from ..config import OPTIONS, PROFILE_DEFAULTS, Config
from ..formatting import fmt_code, fmt_seconds
from ..seeds.value import Seeds
from .markdown import md_table


def table_config(metrics: Mapping[str, Any]) -> str:
    """Every option: default, quick-profile value, this run's value, allowed values."""
    defaults = Config().to_dict()
    quick = PROFILE_DEFAULTS.get("quick", {})
    used = metrics["config"]
    rows = []
    for key, default in defaults.items():
        rows.append([
            f"`{key}`",
            fmt_code(_json(default)),
            fmt_code(_json(quick[key])) if key in quick else "",
            fmt_code(_json(used.get(key))),
            OPTIONS[key].allowed,
            OPTIONS[key].help,
        ])
    return md_table(["option", "default", "`quick`", "this build", "allowed", "meaning"], rows, "llllll")


def _json(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value) if not isinstance(value, str) else value


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, Mapping):
        out = []
        for key in data:
            out += _flatten(data[key], f"{prefix}.{key}" if prefix else str(key))
        return out
    return [(prefix, data)]


def table_manifest(metrics: Mapping[str, Any]) -> str:
    """The run's manifest flattened into key/value rows."""
    rows = []
    for key, value in _flatten(metrics["manifest"]):
        if key in ("build", "build_jobs"):  # this build's tables, which `table_build` shows
            rows.append([f"`{key}`", f"{len(value):,} {'phases' if key == 'build' else 'kinds of training job'}"
                                     " (the build's tables of seconds)"])
            continue
        if "timings" in key and isinstance(value, (int, float, Seeds)):
            shown = fmt_seconds(value, "2")
        else:  # a number that differs across seeds as its mean ± sd
            shown = fmt_code(value if isinstance(value, Seeds) else _json(value))
        rows.append([f"`{key}`", shown])
    return md_table(["manifest key", "value"], rows, "ll")


# Descriptions of metrics.json paths; {stage}, {layer}, {tau}, {claim}, ... stand for keys.
SCHEMA_HELP = {
    "config": "The validated configuration of the run (see the options table).",
    "manifest": "Provenance: versions, device, threads, dataset, timings, config hash.",
    "manifest.config_hash": "Hash of every option that changes a number; names the run.",
    "model.name": "The `model` option: `reference` or the import string of your model.",
    "model.parameters": "Parameters of the whole network.",
    "model.layers.{name}.type": "Module class of a pruned layer.",
    "model.layers.{name}.shape": "Weight shape of a pruned layer.",
    "model.layers.{name}.fan_in": "Inputs per output unit: the weight's size over its first dimension.",
    "model.layers.{name}.weights": "Number of weights of a pruned layer.",
    "model.layers.{name}.parameters": "Parameters of a pruned layer (weight and bias).",
    "prunable_layers": "Qualified names of the layers whose weights are pruned, in model order (biases never are).",
    "stages.{stage}.accuracy": "Test accuracy (fraction) of the model at that stage.",
    "stages.{stage}.loss": "Mean cross-entropy on the test split.",
    "stages.{stage}.threshold": "The magnitude cut used by that stage.",
    "stages.{stage}.layers.{layer}.count": "Number of weights (`global`: both layers together).",
    "stages.{stage}.layers.{layer}.zeros": "Weights exactly equal to zero.",
    "stages.{stage}.layers.{layer}.nonzeros": "Weights not equal to zero.",
    "stages.{stage}.layers.{layer}.sparsity": "zeros / count.",
    "stages.{stage}.layers.{layer}.mean": "Mean weight.",
    "stages.{stage}.layers.{layer}.std": "Standard deviation (population).",
    "stages.{stage}.layers.{layer}.min": "Smallest weight.",
    "stages.{stage}.layers.{layer}.max": "Largest weight.",
    "stages.{stage}.layers.{layer}.abs_max": "Largest magnitude.",
    "stages.{stage}.layers.{layer}.skew": "Skewness (0 for a symmetric distribution).",
    "stages.{stage}.layers.{layer}.kurtosis": "Excess kurtosis (0 Gaussian, −1.2 uniform, > 0 heavy tails); null when all weights are equal.",
    "stages.{stage}.layers.{layer}.below_tau.{tau}": "Share of weights with |w| < τ, for every configured τ.",
    "curves.{run}.steps": "Optimizer steps at which the curves were recorded.",
    "curves.{run}.train_loss": "Training loss at those steps.",
    "curves.{run}.test_loss": "Test loss at those steps.",
    "curves.{run}.test_accuracy": "Test accuracy at those steps.",
    "dynamics.rule": "In-loop pruning rule.",
    "dynamics.threshold": "In-loop threshold.",
    "dynamics.steps": "Optimizer steps of the in-loop records.",
    "dynamics.layers.{layer}.sparsity": "Sparsity right after the prune of each recorded step.",
    "dynamics.layers.{layer}.pruned_prev": "Weights zeroed by the previous prune.",
    "dynamics.layers.{layer}.regrowth": "Of those, how many were non-zero again before the next prune.",
    "sweep.taus": "Post-training thresholds of the sweep: 0, then τ_post · 10^(k/d) from max |w| / 10⁴ to max |w|, d = (`sweep_points` − 1) / 4 a decade. Every seed's sweep lies on these same thresholds; over several seeds, the grid from the highest of the seeds' lowest τ to the highest of their highest (a seed above its own largest weight has pruned every weight, so it keeps its last τ's numbers).",
    "sweep.accuracy": "Test accuracy after pruning the trained model at each τ.",
    "sweep.loss": "Test loss at each τ.",
    "sweep.sparsity.{layer}": "Sparsity at each τ.",
    "sweep.configured_tau": "The configured post-training τ.",
    "sweep.configured_index": "Index of the configured τ in `sweep.taus`.",
    "sweep.knee_index": "Index of the knee: the largest sparsity whose accuracy drop is ≤ 1 point (over several seeds, the knee of the mean curve: facts.knee reads every seed there, so the pages, the figures and the explorer quote one knee).",
    "sweep.baseline_accuracy": "Accuracy of the unpruned trained model.",
    "sensitivity.sparsities": "Sparsities imposed on one layer at a time.",
    "sensitivity.accuracy.{layer}": "Test accuracy with only that layer pruned to each sparsity.",
    "sensitivity.baseline_accuracy": "Accuracy of the unpruned trained model.",
    "threshold_vs_percentile.sparsity": "The common sparsity of the comparison.",
    "compression.stages.{stage}.nonzeros": "Non-zero prunable weights.",
    "compression.stages.{stage}.dense_bytes": "Bytes of the prunable weights stored dense (float32).",
    "compression.stages.{stage}.csr_bytes": "Bytes stored as CSR (values, column indices, row pointers).",
    "compression.stages.{stage}.bitmask_bytes": "Bytes stored as a bitmask plus the non-zero values.",
    "compression.stages.{stage}.dense_latency_ms": "Measured dense inference time of the prunable layers.",
    "compression.stages.{stage}.sparse_latency_ms": "Measured `torch.sparse` inference time.",
    "compression.stages.{stage}.sparse_vs_dense_latency": "sparse / dense time (< 1: sparse is faster).",
    "claims.{claim}.verdict": "confirmed, refuted or partly confirmed — computed from the numbers; over several seeds with their count (`confirmed in 5 of 5 seeds`), or `split across seeds: ...` with each verdict's count.",
    "claims.{claim}.per_seed": "The verdict in each seed, in seed order (several seeds only).",
    "claims.{claim}.unanimous": "Whether every seed gave the same verdict (several seeds only).",
    "seeds.seeds": "The run's seeds, in order (several seeds only).",
    "seeds.run_ids": "Each seed's own cache entry (several seeds only).",
    "seeds.values": "Per-seed values of every number that differs across seeds, at the path it has in this file (a list per number, in seed order); every other number is the same in all seeds. The published numbers are the means (the sweep's at each τ of the seeds' common grid); `config` and indexes are the first seed's.",
    "claims.{claim}.reference": "What the reference study says.",
    "claims.{claim}.criterion": "How the claim is judged.",
    "claims.{claim}.finding": "The measured finding, in one or two sentences.",
    "claims.{claim}.evidence": "The numbers behind the verdict.",
    "facts": "Numbers derived from the metrics for the pages (kept shares, drops, knee, ...).",
    "claims.{claim}.tone": "Colour of the claim's box: success, failure, warning or info.",
    "compression.batch_size": "Inputs per timed call (the test split).",
    "compression.threads": "CPU threads used for the timings.",
    "compression.stages.{stage}.count": "Prunable weights in all (dense entries).",
    "curves.{run}.seconds": "Wall time of that training run.",
    "dynamics.layers.{layer}.zeros": "Exact zeros at each record.",
    "dynamics.thresholds": "The in-loop threshold in force at each record (varies under the percentile rule).",
    "sweep.knee_drop": "Largest accuracy drop the knee may cost (fraction).",
    "sweep.knee_tau": "τ at the knee (over several seeds, the mean curve's).",
    "threshold_vs_percentile.global_threshold.accuracy": "Test accuracy with one global magnitude threshold.",
    "threshold_vs_percentile.global_threshold.sparsity.{layer}": "Sparsity per layer under the global threshold.",
    "threshold_vs_percentile.global_threshold.threshold": "The global threshold.",
    "threshold_vs_percentile.layerwise_percentile.accuracy": "Test accuracy with the same percentile in every layer.",
    "threshold_vs_percentile.layerwise_percentile.sparsity.{layer}": "Sparsity per layer under per-layer percentiles.",
    "threshold_vs_percentile.layerwise_percentile.thresholds.{layer}": "Each layer's own threshold.",
    "histogram_grid.{layer}.bins": "Fine bins every stage of the layer is counted on (shared by all stages).",
    "histogram_grid.{layer}.low": "Left edge of that grid; the grid is symmetric around zero.",
    "histogram_cut.{stage}.{layer}.tau": "The cut of that stage: its figure's bins have edges at ±τ.",
    "histogram_cut.{stage}.{layer}.high": "Outer end of those bins (the grid's end, or 2τ if larger).",
    "histogram_cut.{stage}.{layer}.bins_per_side": "Equal bins on each side of the cut, merged for display; the bin (−τ, τ) holds the zeros.",
    "histogram_grid.{layer}.high": "Right edge of that grid. Each figure merges whole runs of its bins.",
    "histogram_grid.{layer}.widened": "How many times wider the grid is than the one made from the initial and trained weights (1, 3, 9, …): widened until it holds every weight of every stage and of the in-loop records, so no histogram clips.",
    "manifest.world_size": "Training processes of the run (1 without torchrun); part of the cache key, since the gradients' summation order changes the numbers.",
    "manifest.reused_training": "Training runs taken from the cache instead of being run (their seconds are from when they ran); `methods at matched sparsity` where every method compared there was.",
    "methods.targets": "Target sparsities of the selected layers (the `target_sparsities` option); every list below has one item per target.",
    "methods.finetune_steps": "Steps of fine-tuning after each one-shot prune, mask held fixed.",
    "methods.finetune_lr": "Learning rate of that fine-tuning.",
    "methods.dense_accuracy": "Test accuracy of the trained, unpruned model.",
    "methods.gradual.targets": "The targets with a gradual run (`gmp_sparsities`).",
    "methods.gradual.start": "Step of the first gradual prune.",
    "methods.gradual.end": "Step at which the target is reached; the mask is held after it.",
    "methods.gradual.every": "Steps between gradual prunes.",
    "methods.gradual.steps": "Steps of each gradual run: those of the plain run.",
    "methods.accuracy.{method}": "Test accuracy at each target: `global`, `layer` and `random` one-shot prunes as pruned, the same `_finetuned`, and `gradual` (null where that target has no gradual run).",
    "methods.layers.{ranking}.{layer}.sparsity": "That layer's sparsity at each target under that ranking (`global`, `layer`, `random`, `gradual`; a fine-tuned prune keeps its mask; null where the ranking has no run).",
    "methods.layers.{ranking}.{layer}.dead_units": "Output units of that layer (rows of its weight) left without a single non-zero weight at each target: for the last layer, classes the model can no longer predict (layer collapse, Tanaka et al. 2020).",
    "methods.units.{layer}": "Output units of each pruned layer (its weight's first dimension).",
    "methods.sparsity.{method}": "Measured sparsity of the selected layers at each target (a fine-tuned prune keeps its one-shot mask).",
    "lottery.rounds": "The lottery rounds, 1 to `lottery_rounds` (present only when that option is above 0); every list under `lottery` has one item per round.",
    "lottery.rate": "Share of the surviving weights a round prunes (Frankle & Carbin 2019: 20%).",
    "lottery.rates.{layer}": "Share of that layer's surviving weights each round prunes: 20%, the last pruned layer (the output) at half of it, as Frankle & Carbin (2019) prune LeNet.",
    "lottery.steps": "Steps of each round's training: the plain run's, with its batches, from the rewound (ticket) or re-initialised (control) weights.",
    "lottery.dense_accuracy": "Test accuracy of the trained, unpruned model (round 0).",
    "lottery.sparsity": "Measured sparsity of the pruned layers after each round (ticket and control share one mask).",
    "lottery.accuracy.ticket": "Test accuracy after each round's training from the initial weights, rewound, under the round's mask.",
    "lottery.accuracy.control": "Test accuracy after each round's training of the same mask from weights drawn afresh from the initial distribution (the control).",
    "lottery.curves.steps": "Steps at which each round's test accuracy was recorded.",
    "lottery.curves.ticket": "Test accuracy along each round's training of the ticket: a list per round.",
    "lottery.curves.control": "Test accuracy along each round's training of the control: a list per round.",
    "lottery.layers.{layer}.sparsity": "That layer's sparsity after each round.",
    "lottery.layers.{layer}.dead_units": "Output units of that layer left without a single weight after each round (for the last layer, classes the model cannot predict).",
    "lottery.units.{layer}": "Output units of each pruned layer (its weight's first dimension).",
    "warnings": "What the pipeline flagged about this run (e.g. a threshold that removes almost everything).",
    "publication.version": "The version this build is deployed as with mike (`<release>-<run id>`, its folder on the site); null for a site published without versions.",
    "publication.permalink_root": "Where this version's pages are served: a figure's permalink is this, then `static/<file>` (null without versions or a site URL).",
    "publication.latest_root": "Where the newest published version is served (the `latest` alias); null without versions.",
    "publication.previous": "The version deployed before this one (`version`, `url`) and every option that differs from it (`changes`: `option`, `before`, `after`, the release as `package version`); null for the first version and without versions.",
}

# Sections (as path patterns) whose keys are names (stages, layers, ...), not fixed fields.
_NAMED_KEYS = {
    "stages": "{stage}",
    "stages.{stage}.layers": "{layer}",
    "histogram_grid": "{layer}",
    "histogram_cut": "{stage}",
    "histogram_cut.{stage}": "{layer}",
    "stages.{stage}.layers.{layer}.below_tau": "{tau}",
    "curves": "{run}",
    "methods.accuracy": "{method}",
    "methods.sparsity": "{method}",
    "methods.layers": "{ranking}",
    "methods.layers.{ranking}": "{layer}",
    "methods.units": "{layer}",
    "lottery.rates": "{layer}",
    "lottery.layers": "{layer}",
    "lottery.units": "{layer}",
    "claims": "{claim}",
    "model.layers": "{name}",
    "dynamics.layers": "{layer}",
    "sweep.sparsity": "{layer}",
    "sensitivity.accuracy": "{layer}",
    "compression.stages": "{stage}",
    "threshold_vs_percentile.global_threshold.sparsity": "{layer}",
    "threshold_vs_percentile.layerwise_percentile.sparsity": "{layer}",
    "threshold_vs_percentile.layerwise_percentile.thresholds": "{layer}",
}
# Sections documented as one object rather than leaf by leaf.
_OPAQUE = {"config", "manifest", "facts", "claims.{claim}.evidence", "seeds.values", "publication.previous"}


UNDESCRIBED = "(not yet described)"  # a path SCHEMA_HELP lacks: the site tests fail on it


def schema_rows(metrics: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(path pattern, JSON type, description) for every leaf of the metrics tree."""
    seen: dict[str, tuple[str, str]] = {}

    def walk(data: Any, path: str) -> None:
        if path in _OPAQUE or not isinstance(data, Mapping):
            if isinstance(data, list):
                kind = f"list of {_kind(data[0])}" if data else "list"
            else:
                kind = _kind(data)
            seen.setdefault(path, (kind, SCHEMA_HELP.get(path, UNDESCRIBED)))
            return
        for key, value in data.items():
            part = _NAMED_KEYS.get(path, str(key))
            walk(value, f"{path}.{part}" if path else part)

    walk(metrics, "")
    return [(path, kind, text) for path, (kind, text) in seen.items()]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Seeds)):  # over seeds: its mean, with the values in seeds.values
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    return "null" if value is None else type(value).__name__


def table_schema(metrics: Mapping[str, Any]) -> str:
    rows = [[f"`{path}`", kind, text] for path, kind, text in schema_rows(metrics)]
    return md_table(["path", "type", "meaning"], rows, "lll")
