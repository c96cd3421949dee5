"""The finished results of one run, as plain numbers: no torch needed to read them.

A `Results` is what the lifecycle hands to plots, figures and pages:
``metrics`` is the JSON tree published as ``static/metrics.json`` and ``histograms``
holds the binned weight counts (numpy arrays) behind every histogram figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

STAGES = ("init", "trained", "in_loop", "post", "percentile")
GLOBAL = "global"  # all pruned layers together

ONE_POINT = 0.01  # one percentage point of accuracy, as a fraction

METRICS_FILE = "metrics.json"


def drop_within(drop: float, limit: float = ONE_POINT) -> bool:
    """Whether an accuracy drop is at most ``limit``. Accuracies are counts / N, so
    0.98 - 0.97 comes out as 0.0100000009: compare with a tolerance far below 1 / N."""
    return drop <= limit + 1e-9


HISTOGRAMS_FILE = "histograms.npz"


@dataclass(frozen=True)
class Results:
    """Metrics tree plus histogram arrays of one run.

    ``histograms`` keys:

    - ``edges/{layer}``: bin edges, shape (bins + 1,), shared by every stage;
    - ``counts/{stage}/{layer}``: weights per bin, shape (bins,);
    - ``dynamics/{layer}``: counts per recorded in-loop step, shape (records, bins);
    - ``dynamics_steps``: the optimizer step of each record, shape (records,);
    - ``cut_edges/{stage}/{layer}``, ``cut/{stage}/{layer}``: for a stage made by a cut
      at τ (post, percentile, in-loop under the threshold rule), counts on bins with
      edges at ±τ: equal bins on each side and the middle bin (-τ, τ) of its zeros;
    - ``sweep/{layer}``: counts of the non-zero weights after pruning the trained model at
      each τ of ``metrics["sweep"]["taus"]``, shape (taus, bins);
    - ``seed_counts/{stage}/{layer}``, ``seed_outside/{stage}/{layer}`` (several seeds
      only, for the stages drawn together): every seed's counts on these edges, shape
      (seeds, bins), and its weights beyond them, left out of the counts, shape (seeds,).

    ``layer`` is a pruned layer's qualified name (``ffnn1``, ``blocks.0.fc``) or
    ``global`` (all of them together).
    """

    metrics: dict
    histograms: dict[str, np.ndarray] = field(repr=False)
    entry_dir: Path | None = None

    @property
    def run_id(self) -> str:
        """The config hash that names this run's cache entry."""
        return self.metrics["manifest"]["config_hash"]

    @property
    def layers(self) -> tuple[str, ...]:
        """Qualified names of the pruned layers, in model order."""
        return tuple(self.metrics["prunable_layers"])

    @property
    def layer_keys(self) -> tuple[str, ...]:
        """The pruned layers, then ``global``."""
        return (*self.layers, GLOBAL)

    def stage(self, stage: str) -> dict:
        return self.metrics["stages"][stage]

    @property
    def per_seed(self) -> list[dict]:
        """Every seed's own metrics, in seed order (this run's alone with one seed)."""
        return self.metrics["seeds"]["per_seed"] if "seeds" in self.metrics else [self.metrics]

    def edges(self, layer: str) -> np.ndarray:
        return self.histograms[f"edges/{layer}"]

    def counts(self, stage: str, layer: str) -> np.ndarray:
        return self.histograms[f"counts/{stage}/{layer}"]

    def seed_counts(self, stage: str, layer: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(every seed's counts on this run's edges, its weights beyond them), or None
        with one seed."""
        key = f"seed_counts/{stage}/{layer}"
        return (self.histograms[key], self.histograms[f"seed_outside/{stage}/{layer}"]) \
            if key in self.histograms else None

    def cut(self, stage: str, layer: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(edges, counts) of a stage on bins aligned with its cut, or None without a cut."""
        key = f"cut/{stage}/{layer}"
        return (self.histograms[f"cut_edges/{stage}/{layer}"], self.histograms[key]) if key in self.histograms else None

    def save(self, directory: Path) -> None:
        """Write both files into ``directory`` (the caller makes that atomic)."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / METRICS_FILE).write_text(json.dumps(self.metrics, indent=1, sort_keys=True))
        np.savez(directory / HISTOGRAMS_FILE, **self.histograms)

    @classmethod
    def load(cls, directory: Path) -> "Results":
        """Read a saved run; raises on a missing or malformed file."""
        directory = Path(directory)
        metrics = json.loads((directory / METRICS_FILE).read_text())
        with np.load(directory / HISTOGRAMS_FILE, allow_pickle=False) as data:
            histograms = {key: data[key] for key in data.files}
        return cls(metrics=metrics, histograms=histograms, entry_dir=directory)
