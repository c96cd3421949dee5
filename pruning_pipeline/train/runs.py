"""The lifecycle's two training runs, each written into a directory that the caller
publishes as a cache entry: the plain run, and the run re-pruned after every optimizer
step (with its recorded dynamics). Also the seeded initial weights. (The methods' runs
are `methods`'.)
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from ..config import Config
from .counting import chunks, count_zeros, histogram, widen_edges, widening, with_global
from .distributed import SOLO, World
from .feed import Feed
from .model import Subject, prunable_weights
from .packing import pack_parameters_
from .pruning import InLoopPruner, regrowth
from .training import train

STATE_FILE = "state.safetensors"
CURVES_FILE = "curves.json"
DYNAMICS_FILE = "dynamics.npz"

def initial_state(config: Config, subject: Subject) -> dict[str, torch.Tensor]:
    """The seeded initial weights, built on the CPU so every device starts the same."""
    torch.manual_seed(config.seed)
    return {k: v.detach().clone() for k, v in subject.build().state_dict().items()}


def model_from(state: dict[str, torch.Tensor], subject: Subject, device: torch.device) -> torch.nn.Module:
    """The network with ``state``, on ``device``, in eval mode. Channels-last memory for
    its convolutions (and, in `Tensors`, for the images): the faster layout for them on
    CPUs (0.76x the step time here) and GPUs; the numbers are those of the same maths.
    Its parameters packed into one buffer, the prunable weights first (`packing`)."""
    model = subject.build()
    model.load_state_dict(state)
    try:
        model = model.to(device, memory_format=torch.channels_last)
    except RuntimeError:  # a parameter of another rank than 4 (Conv3d): the default layout
        model = model.to(device)
    pack_parameters_(model, first=list(prunable_weights(model, subject.layers).values()))
    return model.eval()


def cpu_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}


def in_loop_pruner(model: torch.nn.Module, layers: tuple[str, ...], config: Config) -> InLoopPruner:
    """The pruner the in-loop run applies after every step, as the config sets it."""
    return InLoopPruner(prunable_weights(model, layers), config.in_loop_rule, config.tau_loop, config.percentile)


class DynamicsRecorder:
    """The in-loop pruner plus, every ``record_every`` steps, sparsity, regrowth, the
    largest magnitude and a histogram per layer (regrowth: zeroed by the previous prune,
    non-zero again now).

    The histograms' ``edges`` come from the trained run, which may still be training
    beside this one: until ``edges`` (a `concurrent.futures.Future`) is done, a record
    keeps a copy of the weights (on their device) and is binned as soon as it is.
    """

    def __init__(self, pruner: InLoopPruner, every: int, edges: Future) -> None:
        self.pruner = pruner
        self.every, self.edges = every, edges
        self.rows: dict[str, list] = {"steps": [], "thresholds": []}
        self.waiting: list[dict[str, torch.Tensor]] = []  # records not yet binned, in order
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
        if regrown:
            regrown["global"] = tuple(sum(pair[i] for pair in regrown.values()) for i in (0, 1))
        self.rows["steps"].append(step)
        self.rows["thresholds"].append(self.pruner.threshold)
        zeros = {name: count_zeros(w) for name, w in self.pruner.weights.items()}
        zeros["global"] = sum(zeros.values())
        for name, zero_count in zeros.items():
            previous, regrown_count = regrown.get(name, (0, 0))
            self.rows.setdefault(f"zeros/{name}", []).append(zero_count)
            self.rows.setdefault(f"pruned_prev/{name}", []).append(previous)
            self.rows.setdefault(f"regrowth/{name}", []).append(regrown_count)
        self.waiting.append({name: w.detach().clone() for name, w in self.pruner.weights.items()})
        if self.edges.done():
            self._bin_waiting()

    def _bin_waiting(self) -> None:
        """Bin the waiting records, each on the trained run's edges widened until it fits
        (`counting.widening`; the factor is kept per record): no record clips, and the
        lifecycle re-counts each exactly on the final, common edges."""
        edges = self.edges.result()  # raises if the trained run failed
        for layers in self.waiting:
            for name, parts in with_global(layers).items():
                reach = max(float(piece.abs().max()) for piece in chunks(parts))
                factor = widening(edges[name], reach)
                self.rows.setdefault(f"hist/{name}", []).append(histogram(parts, widen_edges(edges[name], factor)))
                self.rows.setdefault(f"hist_widened/{name}", []).append(factor)
                self.rows.setdefault(f"abs_max/{name}", []).append(reach)
        self.waiting = []

    def save(self, path: Path) -> None:
        self._bin_waiting()  # waits for the edges if the trained run is still going
        np.savez(path, **{k: np.asarray(v) for k, v in self.rows.items()})


def _train_into(directory: Path, model: torch.nn.Module, data: Feed, config: Config, desc: str,
                progress: bool, after_step=None, world: World = SOLO) -> None:
    start = time.perf_counter()
    curves = train(model, data, config, after_step, desc=desc, progress=progress,
                   position=1 if after_step else 0, world=world)
    curves["seconds"] = round(time.perf_counter() - start, 3)
    write_run(directory, cpu_state(model), curves)


def write_run(directory: Path, state: dict[str, torch.Tensor], curves: dict) -> None:
    """A finished run's weights and curves, as `load_run` reads them."""
    save_file(state, directory / STATE_FILE)
    (directory / CURVES_FILE).write_text(json.dumps(curves))


def plain_run_into(directory: Path, init: dict, subject: Subject, data: Feed, config: Config,
                   device: torch.device, progress: bool, world: World = SOLO) -> None:
    """Train without pruning; write the weights and curves into ``directory``."""
    _train_into(directory, model_from(init, subject, device), data, config, "trained", progress, world=world)


def in_loop_run_into(directory: Path, init: dict, subject: Subject, data: Feed, config: Config,
                     device: torch.device, edges: Future, progress: bool, world: World = SOLO) -> None:
    """Train re-pruning after every step; write weights, curves and dynamics (binned on
    ``edges``, which may be computed while this run trains)."""
    model = model_from(init, subject, device)
    recorder = DynamicsRecorder(in_loop_pruner(model, subject.layers, config), config.record_every, edges)
    _train_into(directory, model, data, config, "in_loop", progress, recorder.after_step, world)
    recorder.save(directory / DYNAMICS_FILE)


def follow_run(kind: str, init: dict, subject: Subject, data: Feed, config: Config, device: torch.device,
               world: World) -> dict[str, torch.Tensor]:
    """A rank other than 0 in training run ``kind``: the same steps, prunes and
    collectives as rank 0, on its own share of each batch; it records and writes nothing.
    Returns the weights it ends with (rank 0's, bit for bit)."""
    model = model_from(init, subject, device)
    after_step = None
    if kind == "in_loop":
        pruner = in_loop_pruner(model, subject.layers, config)
        after_step = lambda step: pruner.prune_()  # noqa: E731
    train(model, data, config, after_step, desc=kind, progress=False, world=world)
    return cpu_state(model)


def load_run(directory: Path) -> tuple[dict, dict]:
    """(weights, curves) of a finished run's directory."""
    return load_file(directory / STATE_FILE), json.loads((directory / CURVES_FILE).read_text())


def load_dynamics(directory: Path) -> dict[str, np.ndarray]:
    with np.load(directory / DYNAMICS_FILE, allow_pickle=False) as saved:
        return {k: saved[k] for k in saved.files}
