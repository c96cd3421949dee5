"""The lifecycle itself, on one device from one seed:

init → trained (plain run) → post (threshold τ_post) and percentile (global p%),
init → in_loop (re-pruned after every step), each stage measured on the test split.
The two training runs are cache entries of their own, so options that only change
what happens after training (τ_post, p, histogram bins, ...) never retrain.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from . import __version__, analysis
from .cache import Cache, source_digest
from .config import Config, run_key
from .data import load_dataset
from .device import environment, prepare
from .model import PRUNABLE, Net, parameter_summary, prunable_weights
from .pruning import InLoopPruner, prune_global_percentile_, prune_threshold_, regrowth
from .results import LAYER_KEYS, STAGES, Results
from .stats import histogram, layer_stats, symmetric_edges, with_global
from .training import Tensors, evaluate, steps_for, train

STATE_FILE = "state.safetensors"
INIT_FILE = "init.safetensors"
CURVES_FILE = "curves.json"
DYNAMICS_FILE = "dynamics.npz"

# Options each training run depends on; everything else is applied after training.
_TRAIN_OPTIONS = ("dataset", "seed", "steps", "epochs", "lr", "batch_size", "record_every",
                  "eval_batch_size", "device", "threads")
_IN_LOOP_RULE_OPTIONS = {"threshold": ("tau_loop",), "percentile": ("percentile",)}
# The source each training run depends on: editing any of these retrains.
TRAINING_MODULES = ("data", "device", "experiment", "model", "pruning", "stats", "training")


@contextmanager
def timed(timings: dict, name: str):
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 3)


def initial_state(config: Config) -> dict[str, torch.Tensor]:
    """The seeded initial weights, built on the CPU so every device starts the same."""
    torch.manual_seed(config.seed)
    return {k: v.clone() for k, v in Net().state_dict().items()}


def model_from(state: dict[str, torch.Tensor], device: torch.device) -> Net:
    model = Net()
    model.load_state_dict(state)
    return model.to(device).eval()


def cpu_state(model: Net) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}


class Lifecycle:
    """Holds what every stage shares (config, device, data, cache) for one run."""

    def __init__(self, config: Config, cache: Cache, device_key: str, run_id: str, progress: bool) -> None:
        self.config, self.cache, self.progress = config, cache, progress
        self.device_key, self.run_id = device_key, run_id
        self.reused: list[str] = []  # training runs found in the cache
        self.timings: dict[str, float] = {}
        self.device = prepare(config)
        with timed(self.timings, "data"):
            self.dataset = load_dataset(config)
            self.data = Tensors.from_dataset(self.dataset, self.device)
        self.steps = steps_for(config, len(self.dataset.train_labels))

    # -- the two training runs, each a cache entry ---------------------------------
    def plain_run(self, init: dict) -> tuple[dict, dict]:
        """Trained weights and curves of the run without pruning."""
        def fill(directory: Path) -> None:
            model = model_from(init, self.device)
            start = time.perf_counter()
            curves = train(model, self.data, self.config, desc="trained", progress=self.progress)
            curves["seconds"] = round(time.perf_counter() - start, 3)
            save_file(cpu_state(model), directory / STATE_FILE)
            (directory / CURVES_FILE).write_text(json.dumps(curves))

        entry = self._entry("trained", _TRAIN_OPTIONS, fill)
        return load_file(entry / STATE_FILE), json.loads((entry / CURVES_FILE).read_text())

    def in_loop_run(self, init: dict, edges: dict[str, np.ndarray]) -> tuple[dict, dict, dict]:
        """Weights, curves and recorded dynamics of the run re-pruned after every step."""
        def fill(directory: Path) -> None:
            model = model_from(init, self.device)
            recorder = DynamicsRecorder(model, self.config, edges)
            start = time.perf_counter()
            curves = train(model, self.data, self.config, recorder.after_step,
                           desc="in_loop", progress=self.progress)
            curves["seconds"] = round(time.perf_counter() - start, 3)
            save_file(cpu_state(model), directory / STATE_FILE)
            (directory / CURVES_FILE).write_text(json.dumps(curves))
            recorder.save(directory / DYNAMICS_FILE)

        options = _TRAIN_OPTIONS + ("in_loop_rule", "hist_bins") + _IN_LOOP_RULE_OPTIONS[self.config.in_loop_rule]
        entry = self._entry("in_loop", options, fill)
        with np.load(entry / DYNAMICS_FILE, allow_pickle=False) as saved:
            dynamics = {k: saved[k] for k in saved.files}
        curves = json.loads((entry / CURVES_FILE).read_text())
        return load_file(entry / STATE_FILE), curves, dynamics

    def _entry(self, kind: str, options: tuple[str, ...], fill) -> Path:
        key = run_key(self.config, self.device_key, source_digest(*TRAINING_MODULES), options)
        entry = self.cache.get(kind, key)
        if entry is not None:
            self.reused.append(kind)
            return entry
        return self.cache.put(kind, key, fill)

    # -- stages after training -------------------------------------------------------
    def pruned_states(self, trained: dict) -> tuple[dict, dict, float]:
        """(post, percentile, percentile threshold) from the trained weights."""
        post = model_from(trained, self.device)
        prune_threshold_(_modules(post), self.config.tau_post)
        percentile = model_from(trained, self.device)
        threshold = prune_global_percentile_(_modules(percentile), self.config.percentile)
        return cpu_state(post), cpu_state(percentile), threshold

    def measure(self, state: dict, edges: dict[str, np.ndarray]) -> tuple[dict, dict]:
        """Accuracy, loss and per-layer stats of one stage, and its histograms."""
        model = model_from(state, self.device)
        accuracy, loss = evaluate(model, self.data.test_x, self.data.test_y, self.config.eval_batch_size)
        layers = with_global({k: w.detach() for k, w in prunable_weights(model).items()})
        stats = {name: layer_stats(w, self.config.taus) for name, w in layers.items()}
        counts = {name: histogram(w, edges[name]) for name, w in layers.items()}
        return {"accuracy": accuracy, "loss": loss, "layers": stats}, counts


def _modules(model: Net) -> dict[str, torch.nn.Module]:
    return {name: getattr(model, name) for name in PRUNABLE}


class DynamicsRecorder:
    """The in-loop pruner plus, every ``record_every`` steps, sparsity, regrowth and a
    histogram per layer (regrowth: zeroed by the previous prune, non-zero again now)."""

    def __init__(self, model: Net, config: Config, edges: dict[str, np.ndarray]) -> None:
        self.pruner = InLoopPruner(prunable_weights(model), config.in_loop_rule, config.tau_loop,
                                   config.percentile)
        self.every, self.edges = config.record_every, edges
        self.rows: dict[str, list] = {"steps": [], "thresholds": []}
        self.zeroed: dict[str, torch.Tensor] = {}  # zeros right after the prune before a record

    def after_step(self, step: int) -> None:
        recording = step % self.every == 0
        regrown = regrowth(self.zeroed, self.pruner.weights) if recording else {}
        self.pruner.prune_()
        if (step + 1) % self.every == 0:
            self.zeroed = self.pruner.zero_masks()
        if recording:
            self._record(step, regrown)

    def _record(self, step: int, regrown: dict[str, tuple[int, int]]) -> None:
        layers = with_global(self.pruner.weights)
        if regrown:
            regrown["global"] = tuple(sum(pair[i] for pair in regrown.values()) for i in (0, 1))
        self.rows["steps"].append(step)
        self.rows["thresholds"].append(self.pruner.threshold)
        for name, w in layers.items():
            previous, regrown_count = regrown.get(name, (0, 0))
            self.rows.setdefault(f"zeros/{name}", []).append(int((w == 0).sum()))
            self.rows.setdefault(f"pruned_prev/{name}", []).append(previous)
            self.rows.setdefault(f"regrowth/{name}", []).append(regrown_count)
            self.rows.setdefault(f"hist/{name}", []).append(histogram(w, self.edges[name]))

    def save(self, path: Path) -> None:
        np.savez(path, **{k: np.asarray(v) for k, v in self.rows.items()})


EDGE_HEADROOM = 1.25  # the in-loop run (binned on the same edges) may outgrow the plain one


def layer_edges(states: list[dict], bins: int) -> dict[str, np.ndarray]:
    """Fixed, symmetric bin edges per layer covering every given state, with headroom."""
    edges = {}
    for name in LAYER_KEYS:
        keys = PRUNABLE if name == "global" else (name,)
        max_abs = max(float(s[f"{k}.weight"].abs().max()) for s in states for k in keys)
        edges[name] = symmetric_edges(EDGE_HEADROOM * max_abs, bins)
    return edges


def compute(life: Lifecycle) -> tuple[Results, dict]:
    """Run (or reuse) both trainings, derive and measure every stage, analyse.

    Returns the results and the CPU state dict of every stage.
    """
    config = life.config
    init = initial_state(config)
    trained, trained_curves = life.plain_run(init)
    edges = layer_edges([init, trained], config.hist_bins)
    in_loop, in_loop_curves, dynamics = life.in_loop_run(init, edges)
    with timed(life.timings, "prune_post_and_percentile"):
        post, percentile, percentile_threshold = life.pruned_states(trained)
    states = {"init": init, "trained": trained, "in_loop": in_loop, "post": post, "percentile": percentile}

    histograms = {f"edges/{name}": e for name, e in edges.items()}
    stages = {}
    with timed(life.timings, "measure"):
        for stage in STAGES:
            stages[stage], counts = life.measure(states[stage], edges)
            histograms.update({f"counts/{stage}/{name}": c for name, c in counts.items()})
    stages["post"]["threshold"] = config.tau_post
    stages["percentile"]["threshold"] = percentile_threshold
    histograms.update({f"dynamics/{name}": dynamics[f"hist/{name}"] for name in LAYER_KEYS})
    histograms["dynamics_steps"] = dynamics["steps"]

    metrics = {
        "config": config.to_dict(),
        "model": parameter_summary(Net()),
        "prunable_layers": list(PRUNABLE),
        "stages": stages,
        "curves": {"trained": trained_curves, "in_loop": in_loop_curves},
        "dynamics": _dynamics_metrics(config, dynamics),
        # the fine grid every stage of a layer is binned on; figures merge adjacent bins
        "histogram_grid": {name: {"bins": len(e) - 1, "low": float(e[0]), "high": float(e[-1])}
                           for name, e in edges.items()},
    }
    with timed(life.timings, "analysis"):
        analysed, analysis_counts = analysis.analyse(config, life.device, life.data, states, stages, edges)
    metrics.update(analysed)
    histograms.update(analysis_counts)
    metrics["manifest"] = {
        "package_version": __version__,
        "config_hash": life.run_id,
        **environment(life.device, config.threads),
        "dataset": life.dataset.summary(),
        "steps": life.steps,
        # training seconds are those of the run that made the (possibly reused) entry
        "timings_s": {"train_trained": trained_curves["seconds"], "train_in_loop": in_loop_curves["seconds"],
                      **life.timings},
        "reused_training": life.reused,
    }
    metrics["warnings"] = analysis.warnings(metrics) + [
        f"{stage} weights of {name} reach {stages[stage]['layers'][name]['abs_max']:.3g}, beyond the "
        f"histogram range ±{edges[name][-1]:.3g}: the outermost bins also hold those weights"
        for stage in STAGES for name in LAYER_KEYS
        if stages[stage]["layers"][name]["abs_max"] > edges[name][-1]
    ]
    return Results(metrics=metrics, histograms=histograms), states


def _dynamics_metrics(config: Config, dynamics: dict) -> dict:
    layers = {}
    for name in LAYER_KEYS:
        zeros = dynamics[f"zeros/{name}"]
        count = int(dynamics[f"hist/{name}"][0].sum())
        layers[name] = {
            "sparsity": (zeros / count).tolist(),
            "zeros": zeros.tolist(),
            "pruned_prev": dynamics[f"pruned_prev/{name}"].tolist(),
            "regrowth": dynamics[f"regrowth/{name}"].tolist(),
        }
    return {
        "rule": config.in_loop_rule,
        "threshold": config.tau_loop if config.in_loop_rule == "threshold" else None,
        "thresholds": dynamics["thresholds"].tolist(),
        "steps": dynamics["steps"].tolist(),
        "layers": layers,
    }
