"""The lifecycle itself, on one device from one seed:

init → trained (plain run) → post (threshold τ_post) and percentile (global p%),
init → in_loop (re-pruned after every step), each stage measured on the test split.
The two training runs are cache entries of their own, so options that only change
what happens after training (τ_post, p, histogram bins, ...) never retrain.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .. import __version__
from ..config import Config
from ..keys.store import Cache
from ..report import Report
from ..results import GLOBAL, STAGES, Results
from ..train import ensemble, runs
from ..train.device import environment, prepare
from ..train.distributed import SOLO, World
from ..train.feed import check_model, load_data
from ..train.keyed import ALONE, BATCHED, IN_LOOP, TRAINED, method_keys, training_keys
from ..train.model import build_model, parameter_summary, subject_for
from ..train.training import steps_for
from ..seeds import flags
from . import analysis, lottery, methods
from .stages import covering_edges, cut_histograms, layer_edges, measure, pruned_states
from .stats import widen_counts
from .together import train_together

log = logging.getLogger(__name__)

METHODS_PHASE = "methods at matched sparsity"


@contextmanager
def timed(timings: dict, name: str):
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 3)


class Lifecycle:
    """Holds what every stage shares (config, device, data, cache) for one run."""

    def __init__(self, config: Config, cache: Cache, device_key: str, run_id: str, progress: bool,
                 world: World = SOLO) -> None:
        self.config, self.cache, self.progress, self.world = config, cache, progress, world
        self.device_key, self.run_id = device_key, run_id
        self.reused: list[str] = []  # training runs found in the cache
        self.timings: dict[str, float] = {}
        self.phases: dict[str, float] = {}  # this call's seconds per phase, trainings included
        self.device = prepare(config, world.local_rank)
        with timed(self.timings, "data"):
            self.data = load_data(config, self.device)
            model = build_model(config)
            self.subject = subject_for(config, model)
            check_model(model.to(self.device), self.data, config)
            self.model_summary = {"name": config.model, **parameter_summary(model, self.subject.layers)}
        self.trainer = ALONE
        if config.batches_seeds(self.device.type):
            reason = ensemble.problem(self.subject, self.data, self.device)
            if reason:
                log.info("seed %d trains without the other seeds: %s", config.seed, reason)
            self.trainer = BATCHED if reason is None else ALONE
        self.keys = training_keys(config, device_key, self.trainer)  # reads the sources once: keys, not per lookup
        self.method_keys = method_keys(config, device_key, self.trainer)
        self.made: set[str] = set()  # training runs this call trained before measuring (as jobs, or batched)
        self.computed_methods = False  # whether a method compared at matched sparsity was computed here
        self.steps = steps_for(config, self.data.n_train)

    def note_made(self, entries: set[tuple[str, str]]) -> None:
        """The entries (kind, key) this build trained as jobs: not reused, though found
        in the cache when measured."""
        self.made |= {kind for kind, key in self.keys.items() if (kind, key) in entries}
        self.computed_methods |= any((kind, key) in entries for (kind, _), key in self.method_keys.items())

    # -- the two training runs, each a cache entry ---------------------------------
    def plain_run(self, init: dict) -> tuple[dict, dict]:
        """Trained weights and curves of the run without pruning."""
        entry = self._entry("trained", lambda d: runs.plain_run_into(
            d, init, self.subject, self.data, self.config, self.device, self.progress, self.world))
        return runs.load_run(entry)

    def in_loop_run(self, init: dict, edges: Future) -> tuple[dict, dict, dict]:
        """Weights, curves and recorded dynamics of the run re-pruned after every step;
        ``edges`` (from the trained run) may still be coming."""
        entry = self._entry("in_loop", lambda d: runs.in_loop_run_into(
            d, init, self.subject, self.data, self.config, self.device, edges, self.progress, self.world))
        return (*runs.load_run(entry), runs.load_dynamics(entry))

    def cached(self, kind: str, target: float, fill) -> Path:
        """The entry of one method compared at ``target`` (`method_keys`), filled where
        missing. Rank 0 alone computes these: no collective, unlike `_entry`."""
        key = self.method_keys[(kind, target)]
        entry = self.cache.get(kind, key)
        if entry is not None:
            return entry
        self.computed_methods = True
        return self.cache.put(kind, key, fill)

    def _entry(self, kind: str, fill) -> Path:
        key = self.keys[kind]
        entry = self.cache.get(kind, key)
        if self.world.agree(entry is not None):  # the other ranks train with rank 0, or skip with it
            if kind not in self.made:
                self.reused.append(kind)
            return entry
        return self.cache.put(kind, key, fill)


def train_both(life: Lifecycle, init: dict) -> tuple[tuple, dict, tuple]:
    """The trained run, the shared histogram edges, and the in-loop run: from the cache
    where the jobs trained them (`pruning_pipeline.jobs`), else in the batched ensemble
    where the seed trains in one (`train_together`), else (the ranks of a torchrun job)
    one after the other. The numbers are the same (each run is its own deterministic
    sequence)."""
    edges: Future = Future()
    if life.trainer == BATCHED:
        report = Report()
        train_together([life], report)  # nothing to do where the run's seeds trained together
        life.phases.update({name: phase["seconds"] for name, phase in report.phases.items()})
    with timed(life.phases, TRAINED):
        trained = life.plain_run(init)
    edges.set_result(layer_edges([init, trained[0]], life.subject.layers, life.config.hist_bins))
    with timed(life.phases, IN_LOOP):
        return trained, edges.result(), life.in_loop_run(init, edges)


def compute(life: Lifecycle) -> tuple[Results, dict]:
    """Run (or reuse) both trainings, derive and measure every stage, analyse.

    Returns the results and the CPU state dict of every stage.
    """
    config, layers = life.config, life.subject.layers
    keys = (*layers, GLOBAL)
    init = runs.initial_state(config, life.subject)
    (trained, trained_curves), edges, (in_loop, in_loop_curves, dynamics) = train_both(life, init)
    recorded = {name: float(dynamics[f"abs_max/{name}"].max()) for name in layers}
    edges, widened = covering_edges(edges, [init, trained, in_loop], layers, recorded)
    with timed(life.timings, "prune_post_and_percentile"):
        post, percentile, percentile_threshold = pruned_states(trained, life.subject, config, life.device)
    states = {"init": init, "trained": trained, "in_loop": in_loop, "post": post, "percentile": percentile}

    histograms = {f"edges/{name}": e for name, e in edges.items()}
    stages = {}
    with timed(life.timings, "measure"):
        for stage in STAGES:
            stages[stage], counts = measure(states[stage], life.subject, edges, life.data, config, life.device)
            histograms.update({f"counts/{stage}/{name}": c for name, c in counts.items()})
    stages["post"]["threshold"] = config.tau_post
    stages["percentile"]["threshold"] = percentile_threshold
    cuts = {"post": config.tau_post, "percentile": percentile_threshold,
            "in_loop": config.tau_loop if config.in_loop_rule == "threshold" else 0.0}
    cut_grid = {}
    for stage, tau in cuts.items():
        if tau > 0:  # a figure of a cut draws it exactly: bins with edges at ±τ
            cut = cut_histograms(states[stage], layers, tau, edges, config.hist_bins - 1)
            histograms.update({key.replace("/", f"/{stage}/", 1): value for key, value in cut.items()})
            cut_grid[stage] = {name: {"tau": tau, "high": float(cut[f"cut_edges/{name}"][-1]),
                                      "bins_per_side": config.hist_bins - 1} for name in keys}
    histograms.update({f"dynamics/{name}": on_final_edges(dynamics, name, widened[name]) for name in keys})
    histograms["dynamics_steps"] = dynamics["steps"]

    metrics = {
        "config": config.to_dict(),
        "model": life.model_summary,
        "prunable_layers": list(layers),
        "stages": stages,
        "curves": {"trained": trained_curves, "in_loop": in_loop_curves},
        "dynamics": _dynamics_metrics(config, dynamics, keys),
        # the fine grid every stage of a layer is binned on; figures merge adjacent bins
        "histogram_grid": {name: {"bins": len(e) - 1, "low": float(e[0]), "high": float(e[-1]),
                                  "widened": widened[name]} for name, e in edges.items()},
        # a stage made by a cut is also counted on bins with edges at ±τ; its figure uses them
        "histogram_cut": cut_grid,
    }
    with timed(life.timings, METHODS_PHASE):
        metrics["methods"] = methods.compare(life, init, trained, stages["trained"]["accuracy"])
        if config.lottery_rounds:
            metrics["lottery"] = lottery.rounds(life, init, trained, stages["trained"]["accuracy"])
    if not life.computed_methods:
        life.reused.append(METHODS_PHASE)
    with timed(life.timings, "analysis"):
        analysed, analysis_counts = analysis.analyse(config, life.subject, life.device, life.data, states,
                                                     stages, edges)
    metrics.update(analysed)
    histograms.update(analysis_counts)
    metrics["manifest"] = {
        "package_version": __version__,
        "config_hash": life.run_id,
        **environment(life.device, config.threads),
        "dataset": dict(life.data.summary),
        "steps": life.steps,
        # training seconds are those of the run that made the (possibly reused) entry
        "timings_s": {"train_trained": trained_curves["seconds"], "train_in_loop": in_loop_curves["seconds"],
                      **life.timings},
        "reused_training": life.reused,
        "world_size": life.world.size,
    }
    metrics["warnings"] = flags.warnings(metrics)
    return Results(metrics=metrics, histograms=histograms), states


def on_final_edges(dynamics: dict, name: str, factor: int) -> np.ndarray:
    """The in-loop records of ``name`` (one row each, binned on the trained run's edges
    widened by that row's own factor) re-counted exactly on the final edges, which are
    the trained run's widened by ``factor``, a multiple of every row's."""
    rows = zip(dynamics[f"hist/{name}"], dynamics[f"hist_widened/{name}"])
    return np.stack([widen_counts(row, factor // int(own)) for row, own in rows])


def follow(life: Lifecycle) -> None:
    """A rank other than 0: train each run rank 0 trains, in the same order (it says,
    run by run, whether it found the run in the cache instead)."""
    init = runs.initial_state(life.config, life.subject)
    for kind in ("trained", "in_loop"):
        if not life.world.agree(None):
            runs.follow_run(kind, init, life.subject, life.data, life.config, life.device, life.world)


def _dynamics_metrics(config: Config, dynamics: dict, keys: tuple[str, ...]) -> dict:
    layers = {}
    for name in keys:
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
