"""Where a build's (or a run's) time went: seconds per phase and which phases came from
the cache, printed as a short table at the end and published in the manifest."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator


@dataclass
class Report:
    """Phases in the order they ran: name -> {"seconds", "cached"}; and the training
    jobs by kind: kind -> {"run", "reused", "seconds"} (seconds summed over the jobs,
    against the wall seconds of the phase that ran them)."""

    phases: dict[str, dict] = field(default_factory=dict)
    jobs: dict[str, dict] = field(default_factory=dict)

    def add(self, name: str, seconds: float, cached: bool = False) -> None:
        self.phases[name] = {"seconds": round(seconds, 3), "cached": cached}

    def add_job(self, kind: str, reused: bool = False, seconds: float | None = None) -> None:
        """A job of ``kind`` found in the cache (``reused``), or run in ``seconds``."""
        row = self.jobs.setdefault(kind, {"run": 0, "reused": 0, "seconds": 0.0})
        if reused:
            row["reused"] += 1
        elif seconds is not None:
            row["run"] += 1
            row["seconds"] = round(row["seconds"] + seconds, 3)

    @contextmanager
    def phase(self, name: str, cached: bool = False) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.add(name, time.perf_counter() - start, cached)

    def to_list(self) -> list[dict]:
        """The phases in order, for JSON (whose objects a sorted dump would reorder)."""
        return [{"phase": name, **p} for name, p in self.phases.items()]

    def table(self) -> str:
        """A plain-text table for the end of a build or a ``run``."""
        width = max([len(name) for name in self.phases] + [5])
        lines = [f"{'phase':<{width}}  {'seconds':>8}  source", "-" * (width + 20)]
        lines += [f"{name:<{width}}  {p['seconds']:>8.2f}  {'cache' if p['cached'] else 'computed'}"
                  for name, p in self.phases.items()]
        total = sum(p["seconds"] for p in self.phases.values())
        lines.append(f"{'total':<{width}}  {total:>8.2f}")
        if self.jobs:
            lines += ["", f"{'training jobs':<16}{'run':>5}{'reused':>8}{'seconds summed':>16}"]
            lines += [f"{kind:<16}{row['run']:>5}{row['reused']:>8}{row['seconds']:>16.2f}"
                      for kind, row in self.jobs.items()]
        return "\n".join(lines)
