"""The transformer example (``examples/attention-encoder``): two of torch's own
``nn.TransformerEncoderLayer`` built strict on the quick profile, with attention pruned:
``out_proj`` selected by ``types: [Linear]`` as a subclass, ``in_proj_weight`` by
``params``, a parameter that is no module's weight."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT
from page_reading import read_csv

pytestmark = pytest.mark.site

EXAMPLE = ROOT / "examples" / "attention-encoder"
ATTENTION = ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.out_proj",
             "layers.1.self_attn.in_proj_weight", "layers.1.self_attn.out_proj"]


@pytest.fixture(scope="module")
def encoder_site(build_example) -> Path:
    return build_example(EXAMPLE.name)


@pytest.fixture(scope="module")
def encoder_metrics(encoder_site) -> dict:
    return json.loads((encoder_site / "static" / "metrics.json").read_text())


@pytest.fixture(scope="module")
def model():
    from torch import nn

    from pruning_pipeline.imports import project_on_path

    project_on_path(EXAMPLE)
    import encoder

    built = encoder.build(width=32, heads=4, depth=2)
    assert isinstance(built.layers[0], nn.TransformerEncoderLayer)
    return built


def test_attention_is_selected_and_counted_from_the_model(encoder_metrics, model):
    from torch import nn

    layers = encoder_metrics["prunable_layers"]
    linear = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    assert set(layers) == set(linear) | {ATTENTION[0], ATTENTION[2]}  # every Linear, subclasses too
    assert [name for name in layers if "self_attn" in name] == ATTENTION  # in model order
    tensors = {**{f"{name}.weight": p for name, p in model.named_parameters()}, **dict(model.named_parameters())}
    for layer in layers:
        size = (tensors[layer] if layer.endswith("in_proj_weight") else tensors[f"{layer}.weight"]).numel()
        assert encoder_metrics["model"]["layers"][layer]["weights"] == size
        assert encoder_metrics["stages"]["trained"]["layers"][layer]["count"] == size
    types = {layer: encoder_metrics["model"]["layers"][layer]["type"] for layer in ATTENTION}
    assert types == {ATTENTION[0]: "MultiheadAttention", ATTENTION[1]: "NonDynamicallyQuantizableLinear",
                     ATTENTION[2]: "MultiheadAttention", ATTENTION[3]: "NonDynamicallyQuantizableLinear"}


def test_attention_is_pruned_as_the_trained_weights_say(encoder_metrics):
    tau = f"{encoder_metrics['config']['tau_post']:g}"
    stages = encoder_metrics["stages"]
    for layer in ATTENTION:  # the cut zeroes exactly the trained weights below τ
        below = stages["trained"]["layers"][layer]["below_tau"][tau]
        assert below > 0 and stages["post"]["layers"][layer]["sparsity"] == pytest.approx(below)
        assert stages["in_loop"]["layers"][layer]["sparsity"] > 0


def test_figures_of_attention_count_every_weight(encoder_site, encoder_metrics):
    tau = f"{encoder_metrics['config']['tau_post']:g}"
    for layer in ATTENTION:
        slug = re.sub(r"[^a-z0-9]+", "-", layer.lower())
        for stem in (f"before-pruning-distribution-{slug}", f"at-prune-{tau}-{slug}", f"stage-comparison-{slug}"):
            assert (encoder_site / "static" / f"{stem}.png").is_file(), stem
        header, rows = read_csv(encoder_site / "static" / f"before-pruning-distribution-{slug}.csv")
        total = sum(int(row[header.index("count")]) for row in rows)
        assert total == encoder_metrics["model"]["layers"][layer]["weights"]


def test_the_layer_table_names_each_class(encoder_site):
    page = (encoder_site / "visualizations" / "index.html").read_text()
    rows = {re.sub(r"<[^>]+>", "", cells[0]): re.sub(r"<[^>]+>", "", cells[1])
            for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S))
            if len(cells) > 1}
    assert rows[ATTENTION[0]] == "MultiheadAttention" and rows[ATTENTION[1]] == "NonDynamicallyQuantizableLinear"
