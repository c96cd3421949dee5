"""The package layout is the data flow, and each folder is a cache-key boundary.

Keys are computed from the imports; these tests edit a copy of the package and check
which keys move, an expectation written from the stage each folder owns.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from pruning_pipeline.keys import code
from pruning_pipeline.api import RESULTS_SOURCE
from pruning_pipeline.figures.export import FIGURES_SOURCE
from pruning_pipeline.train.keyed import TRAINING_SOURCE

PACKAGE = code.PACKAGE_ROOT
SUBPACKAGES = ("config", "keys", "seeds", "train", "jobs", "measure", "figures", "site")


@pytest.fixture
def package_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the package that the key functions read instead of the real one."""
    copy = tmp_path / "pruning_pipeline"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(code, "PACKAGE_ROOT", copy)
    return copy


def _keys() -> dict[str, str]:
    return {name: code.source_digest(source) for name, source in
            (("training", TRAINING_SOURCE), ("results", RESULTS_SOURCE), ("figures", FIGURES_SOURCE))}


def _edit(file: Path) -> None:
    file.write_text(file.read_text() + "\n# an edit\n")


def test_editing_a_site_module_keeps_every_cached_key(package_copy):
    before = _keys()
    for module in (package_copy / "site").glob("*.py"):
        _edit(module)
    assert _keys() == before


def test_editing_a_train_module_changes_the_training_and_results_keys(package_copy):
    before = _keys()
    _edit(package_copy / "train" / "training.py")
    after = _keys()
    assert after["training"] != before["training"]
    assert after["results"] != before["results"]
    assert after["figures"] == before["figures"]


def test_editing_the_analysis_keeps_the_training_key(package_copy):
    before = _keys()
    _edit(package_copy / "measure" / "analysis.py")
    after = _keys()
    assert after["training"] == before["training"] and after["results"] != before["results"]


def test_editing_a_statistics_formula_keeps_the_training_key(package_copy):
    before = _keys()
    _edit(package_copy / "measure" / "stats.py")
    after = _keys()
    assert after["training"] == before["training"] and after["results"] != before["results"]


def test_editing_a_plot_changes_only_the_figures_key(package_copy):
    before = _keys()
    _edit(package_copy / "figures" / "plots.py")
    after = _keys()
    assert after["figures"] != before["figures"]
    assert (after["training"], after["results"]) == (before["training"], before["results"])


def test_a_new_import_is_followed_without_any_list_to_update(package_copy):
    """A module that starts importing the names table pulls it into its key."""
    before = _keys()
    runs = package_copy / "train" / "runs.py"
    runs.write_text(runs.read_text().replace("from ..config import Config",
                                             "from ..config import Config\nfrom ..names import STAGE  # noqa"))
    assert "pruning_pipeline.names" in code.source_closure(TRAINING_SOURCE)
    before_names = _keys()["training"]
    _edit(package_copy / "names.py")
    assert _keys()["training"] != before_names != before["training"]


def test_closures_follow_the_data_flow():
    closure = {name: set(code.source_closure(source)) for name, source in
               (("training", TRAINING_SOURCE), ("results", RESULTS_SOURCE), ("figures", FIGURES_SOURCE))}
    assert not any(m.startswith(("pruning_pipeline.site", "pruning_pipeline.figures")) for m in closure["training"])
    assert not any(m.startswith("pruning_pipeline.site") for m in closure["results"] | closure["figures"])
    assert not any(m.startswith(("pruning_pipeline.train", "pruning_pipeline.measure")) for m in closure["figures"])
    assert not any(m.startswith("pruning_pipeline.measure") for m in closure["training"])  # no import runs back up
    assert "pruning_pipeline.train.device" in closure["training"]  # a folder counts as a whole
    assert closure["training"] < closure["results"]


# What each folder may import of the package: the stages downstream of it never.
UPSTREAM_ONLY = {
    "config": (),
    "keys": ("config", "imports"),
    "seeds": ("formatting", "names", "results"),
    "train": ("config", "imports", "keys"),
}


@pytest.mark.parametrize("folder", UPSTREAM_ONLY)
def test_no_import_runs_back_up(folder):
    allowed = {f"pruning_pipeline.{name}" for name in (folder, *UPSTREAM_ONLY[folder])} | {"pruning_pipeline"}
    reached = {name for name in code.source_closure(f"pruning_pipeline.{folder}")
               if not any(name == a or name.startswith(a + ".") for a in allowed)}
    assert reached == set(), f"{folder} imports {sorted(reached)}"


def test_lazy_imports_inside_functions_count():
    assert "pruning_pipeline.measure.lifecycle" in code.source_closure("pruning_pipeline.api")


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_every_subpackage_says_what_it_owns(subpackage):
    doc = ast.get_docstring(ast.parse((PACKAGE / subpackage / "__init__.py").read_text()))
    assert doc and 2 <= len(doc.splitlines()) <= 4


def test_no_module_is_over_300_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 300}
    assert long == {}
