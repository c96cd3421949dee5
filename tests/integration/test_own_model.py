"""A model and a dataset of the user's own, named by import strings: the lifecycle runs
over the selected layers, both feeds give the same numbers, editing the user's code
retrains, and every bad input is one line that leaves the cache empty."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

from pruning_pipeline import api
from pruning_pipeline.keys.store import Cache
from pruning_pipeline.config import PipelineError, make_config
from pruning_pipeline.figures.catalog import catalog
from pruning_pipeline.train.keyed import training_keys

USER_MODULE = textwrap.dedent('''
    """A user's project: a small MLP and a linearly separable dataset, made here."""
    import torch
    from torch import nn
    from torch.utils.data import Dataset, TensorDataset

    from user_helpers import WIDTH


    def tensors(n_train=96, n_test=48, features=6, classes=3, seed=0):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(n_train + n_test, features, generator=g)
        y = (x @ torch.randn(features, classes, generator=g)).argmax(1)
        return {"train_x": x[:n_train], "train_y": y[:n_train], "test_x": x[n_train:], "test_y": y[n_train:]}


    def pairs(**kwargs):
        t = tensors(**kwargs)
        return TensorDataset(t["train_x"], t["train_y"]), TensorDataset(t["test_x"], t["test_y"])


    class Items(Dataset):
        def __init__(self, x, y):
            self.x, self.y = x, y

        def __len__(self):
            return len(self.y)

        def __getitem__(self, i):
            return self.x[i], int(self.y[i])


    def items(**kwargs):
        t = tensors(**kwargs)
        return Items(t["train_x"], t["train_y"]), Items(t["test_x"], t["test_y"])


    def mlp(width=WIDTH, classes=3, features=6):
        return nn.Sequential(nn.Linear(features, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                             nn.Linear(width, classes))


    NOT_CALLABLE = 3


    def not_a_module():
        return "mlp"


    def raises():
        raise ValueError("no weights file")


    def float_labels():
        t = tensors()
        t["train_y"] = t["train_y"].float()
        return t


    def short_labels():
        t = tensors()
        t["train_y"] = t["train_y"][:-1]
        return t


    def negative_labels():
        t = tensors()
        t["test_y"][0] = -1
        return t


    def not_datasets():
        return [1, 2]
''')

TINY = {"profile": "quick", "seeds": 1, "steps": 40, "record_every": 10, "sweep_points": 30, "batch_size": 16,
        "eval_batch_size": 32, "tau_post": 0.05, "model": "user_mod:mlp", "dataset": "user_mod:pairs"}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with the user's modules, importable and the working directory."""
    (tmp_path / "user_mod.py").write_text(USER_MODULE)
    (tmp_path / "user_helpers.py").write_text("WIDTH = 12\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for name in ("user_mod", "user_helpers"):
        sys.modules.pop(name, None)


def config(project, **values):
    return make_config({**TINY, "cache_dir": str(project / "cache"), **values})


def test_a_user_model_runs_the_whole_lifecycle_over_its_layers(project):
    results = api.run(config(project), progress=False)
    assert results.layers == ("0", "2", "4")  # the Linear layers of the Sequential, in order
    sizes = {"0": 6 * 12, "2": 12 * 12, "4": 12 * 3}
    for stage in ("init", "trained", "in_loop", "post", "percentile"):
        layers = results.stage(stage)["layers"]
        assert {k: layers[k]["count"] for k in sizes} == sizes
        assert layers["global"]["count"] == sum(sizes.values())
    assert results.metrics["model"]["layers"]["2"]["fan_in"] == 12
    assert results.metrics["manifest"]["dataset"]["classes"] == 3
    assert set(results.metrics["sensitivity"]["accuracy"]) == set(sizes)
    stems = {info.stem for info in catalog(results)}
    # figures named from a slug of the qualified name; no reference override ("-cls")
    assert {"initialization-0", "at-prune-0.05-4", "threshold-inside-the-training-loop-4",
            "in-loop-dynamics-2", "stage-comparison-global", "percentile-20"} <= stems


def test_a_plain_dataset_through_a_dataloader_trains_like_preloaded_tensors(project):
    """Same batches in the same order whichever feed: the trained weights are equal."""
    trained = {}
    for dataset in ("user_mod:pairs", "user_mod:items", "user_mod:tensors"):
        results = api.run(config(project, dataset=dataset), progress=False)
        trained[dataset] = api.stage_weights(results, "trained")
        feed = results.metrics["manifest"]["dataset"]["feed"]
        assert feed == ("DataLoader" if dataset == "user_mod:items" else "tensors")
    for dataset in ("user_mod:items", "user_mod:tensors"):
        for name, value in trained["user_mod:pairs"].items():
            torch.testing.assert_close(trained[dataset][name], value, rtol=0, atol=0, msg=name)


def test_editing_the_users_code_changes_the_keys(project):
    cfg = config(project)
    before = api.run_id(cfg), training_keys(cfg, "cpu")
    (project / "user_helpers.py").write_text("WIDTH = 12  # same value, edited file\n")  # imported by user_mod
    after_helper = api.run_id(cfg), training_keys(cfg, "cpu")
    (project / "unrelated.py").write_text("x = 1\n")  # not imported: no effect
    assert (api.run_id(cfg), training_keys(cfg, "cpu")) == after_helper
    with open(project / "user_mod.py", "a") as handle:
        handle.write("\n# edited\n")
    after_model = api.run_id(cfg), training_keys(cfg, "cpu")
    assert len({before[0], after_helper[0], after_model[0]}) == 3
    assert len({before[1]["trained"], after_helper[1]["trained"], after_model[1]["trained"]}) == 3
    assert api.run_id(config(project, model_args={"width": 8})) != after_model[0]


@pytest.mark.parametrize("values, message", [
    ({"model": "user_mod:missing"}, "model='user_mod:missing' does not import (AttributeError"),
    ({"model": "no_such_package.models:build"}, "does not import (ModuleNotFoundError"),
    ({"model": "user_mod:NOT_CALLABLE"}, "names a int, not a callable"),
    ({"model": "user_mod:not_a_module"}, "returned a str; expected a torch.nn.Module"),
    ({"model": "user_mod:raises"}, "model='user_mod:raises' raised ValueError: no weights file"),
    ({"model_args": {"depth": 3}}, "model_args={'depth': 3} raised TypeError"),
    ({"model_args": {"classes": 4}}, "outputs (2, 4) for a batch of 2; expected (2, 3) logits"),
    ({"dataset": "user_mod:not_datasets"}, "returned a list; expected (train, test) torch.utils.data.Dataset"),
    ({"dataset": "user_mod:short_labels"}, "train_x has 96 examples but train_y has 95 labels"),
    ({"dataset": "user_mod:float_labels"}, "train labels are torch.float32"),
    ({"dataset": "user_mod:negative_labels"}, "test label -1 is out of range"),
    ({"layers": {"names": ["re:encoder.*"]}}, "layers.names entry 're:encoder.*' matches no module"),
])
def test_bad_user_input_is_one_line_and_caches_nothing(project, values, message):
    cfg = config(project, **values)
    with pytest.raises(PipelineError) as caught:
        api.run(cfg, progress=False)
    text = str(caught.value)
    assert text.startswith("invalid config: ") and message in text and "\n" not in text
    assert Cache(cfg.cache_dir).entries() == []


def test_a_bad_import_string_is_rejected_before_anything_runs():
    with pytest.raises(PipelineError, match="model='mlp'; allowed: reference or an import string"):
        make_config({"model": "mlp"})


def test_the_cli_exits_2_with_the_users_error(project):
    result = subprocess.run(
        [sys.executable, "-m", "pruning_pipeline", "run", "--quiet", "--set", "model=user_mod:raises",
         "--set", "dataset=user_mod:pairs", "--set", f"cache_dir={project / 'cache'}"],
        cwd=project, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("raised ValueError: no weights file")
    assert "Traceback" not in result.stderr


def test_tensors_given_from_python_are_keyed_by_their_content(project):
    import user_mod

    data = user_mod.tensors()
    results = api.run(config(project, dataset=data), progress=False)
    assert results.metrics["manifest"]["dataset"]["name"].startswith("tensors:")
    assert results.metrics["manifest"]["dataset"]["classes"] == 3
    same = api.run_id(config(project, dataset={k: v.clone() for k, v in data.items()}))
    assert same == results.run_id  # equal contents, equal key
    changed = dict(data, train_y=data["train_y"].roll(1))
    assert api.run_id(config(project, dataset=changed)) != results.run_id
    with pytest.raises(PipelineError, match="dataset='tensors:.*'; allowed: an import string when training on"):
        config(project, dataset=data, nproc_per_node=2)


def test_an_edited_module_is_imported_again_and_keys_never_run_user_code(project):
    from pruning_pipeline.imports import resolve
    from pruning_pipeline.keys.code import user_code_digest

    (project / "pkg").mkdir()
    (project / "pkg" / "__init__.py").write_text("open('imported.flag', 'w').close()\n")
    (project / "pkg" / "helpers.py").write_text("VALUE = 1\n")
    (project / "edited.py").write_text("from pkg.helpers import VALUE\n\n\ndef value():\n    return 'one'\n")
    cfg = config(project, model="edited:value")
    first = user_code_digest(cfg)
    assert not (project / "imported.flag").exists()  # hashing the sources ran none of them
    assert resolve("model", "edited:value")() == "one"
    (project / "edited.py").write_text("from pkg.helpers import VALUE\n\n\ndef value():\n    return 'two, edited'\n")
    assert user_code_digest(cfg) != first
    assert resolve("model", "edited:value")() == "two, edited"  # not the module imported before
    (project / "pkg" / "__init__.py").write_text("# the flag is gone\n")
    assert user_code_digest(cfg) not in (first,)  # the parent package is part of the digest
    for name in ("edited", "pkg", "pkg.helpers"):
        sys.modules.pop(name, None)
