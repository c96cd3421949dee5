"""Which layers a `layers` rule selects, and the one-line errors of a bad rule or a bad
model, on small models built here."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pruning_pipeline.config import ConfigError, LayerRule, make_config
from pruning_pipeline.train.model import Net, parameter_summary, prunable_weights, select_layers, weight_key


def blocks(count: int = 3) -> nn.Module:
    """conv stem, then blocks each with fc and proj Linear layers, then a head."""
    model = nn.Module()
    model.stem = nn.Conv2d(1, 4, 3)
    model.blocks = nn.ModuleList()
    for i in range(count):
        block = nn.Module()
        block.fc = nn.Linear(8 + i, 16)
        block.proj = nn.Linear(16, 8 + i + 1)
        block.norm = nn.LayerNorm(16)
        model.blocks.append(block)
    model.head = nn.Linear(11, 5)
    return model


def rule(**parts) -> LayerRule:
    return make_config({"layers": parts}).layers


@pytest.mark.parametrize("parts, expected", [
    ({}, ["blocks.0.fc", "blocks.0.proj", "blocks.1.fc", "blocks.1.proj", "blocks.2.fc", "blocks.2.proj", "head"]),
    ({"types": ["Conv2d"]}, ["stem"]),
    ({"types": ["Linear", "Conv2d"], "names": ["stem", "head"]}, ["stem", "head"]),
    ({"names": ["re:blocks\\.\\d+\\.fc"]}, ["blocks.0.fc", "blocks.1.fc", "blocks.2.fc"]),
    ({"names": ["re:blocks\\..*"], "exclude": ["blocks.0.fc", "re:.*proj"]}, ["blocks.1.fc", "blocks.2.fc"]),
    ({"types": ["LayerNorm"], "exclude": ["blocks.1.norm"]}, ["blocks.0.norm", "blocks.2.norm"]),
])
def test_selection_by_type_name_regex_and_exclude(parts, expected):
    model, layer_rule = blocks(), rule(**parts)
    chosen = select_layers(model, layer_rule)
    assert list(chosen) == expected  # in model order
    modules = dict(model.named_modules())
    for name in chosen:  # what gets pruned is exactly each selected module's weight
        assert isinstance(modules[name], tuple(getattr(nn, kind) for kind in layer_rule.types))
    counts = {name: modules[name].weight.numel() for name in chosen}
    assert sum(counts.values()) == sum(p.numel() for n, p in model.named_parameters()
                                       if n.endswith(".weight") and n[:-len(".weight")] in chosen)


def test_the_default_rule_selects_the_reference_layers():
    assert select_layers(Net(), LayerRule()) == ("ffnn1", "cls_head")


@pytest.mark.parametrize("parts, message", [
    ({"types": ["Conv3d"]}, "layers.types entry 'Conv3d' matches no module"),
    ({"names": ["blocks.7.fc"]}, "layers.names entry 'blocks.7.fc' matches no module of type Linear"),
    ({"names": ["re:decoder\\..*"]}, "layers.names entry 're:decoder\\\\..*' matches no module"),
    ({"exclude": ["stem"]}, "layers.exclude entry 'stem' matches no module of type Linear"),
    ({"names": ["head"], "exclude": ["head"]}, "layers selects no module"),
    ({"types": ["Sequential"]}, "layers.types entry 'Sequential' matches no module"),
])
def test_a_rule_that_matches_nothing_is_one_line(parts, message):
    with pytest.raises(ConfigError) as caught:
        select_layers(blocks(), rule(**parts), "blocks")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_module_without_a_weight_cannot_be_selected():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
    with pytest.raises(ConfigError, match="'1' \\(ReLU\\), which has no weight"):
        select_layers(model, rule(types=["ReLU"]))


@pytest.mark.parametrize("value, message", [
    ({"types": "Linear", "bogus": []}, "layers={"),
    ({"names": ["re:("]}, "layers.names='re:('; allowed: a valid regular expression"),
    ({"types": []}, "layers.types=[]"),
    ({"types": ["nn.Linear"]}, "layers.types='nn.Linear'"),
    ('{"types": ["Linear"', "layers='{"),
])
def test_a_malformed_rule_is_rejected_by_the_config(value, message):
    with pytest.raises(ConfigError) as caught:
        make_config({"layers": value})
    assert str(caught.value).startswith("invalid config: ") and message in str(caught.value)


def test_a_rule_can_come_as_json_text():
    assert make_config({"layers": '{"types": ["Conv2d"], "exclude": ["re:x.*"]}'}).layers == \
        LayerRule(types=("Conv2d",), exclude=("re:x.*",))


class Encoder(nn.Module):
    """Two of torch's own encoder layers and a head: attention's out_proj is a subclass
    of Linear, its in_proj_weight a parameter of MultiheadAttention itself."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
                                    for _ in range(2))
        self.head = nn.Linear(8, 3)


def test_a_type_matches_its_subclasses():
    model = Encoder()
    chosen = select_layers(model, rule(types=["Linear"]))
    modules = dict(model.named_modules())
    expected = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    assert list(chosen) == expected and "layers.0.self_attn.out_proj" in chosen
    assert type(modules["layers.0.self_attn.out_proj"]) is not nn.Linear  # matched as a subclass


def test_parameters_are_selected_by_qualified_name_beside_modules():
    model = Encoder()
    chosen = select_layers(model, rule(types=["Linear"], params=["re:.*in_proj_weight"],
                                       exclude=["layers.1.self_attn.in_proj_weight", "head"]))
    assert chosen == ("layers.0.self_attn.in_proj_weight", "layers.0.self_attn.out_proj", "layers.0.linear1",
                      "layers.0.linear2", "layers.1.self_attn.out_proj", "layers.1.linear1", "layers.1.linear2")
    weights = prunable_weights(model, chosen)
    assert weights["layers.0.self_attn.in_proj_weight"] is model.layers[0].self_attn.in_proj_weight
    assert weights["layers.0.linear1"] is model.layers[0].linear1.weight
    state = model.state_dict()  # the same tensors by their state-dict keys
    assert all(torch.equal(state[weight_key(name, state)], w) for name, w in weights.items())
    summary = parameter_summary(model, chosen)["layers"]["layers.0.self_attn.in_proj_weight"]
    assert summary == {"type": "MultiheadAttention", "shape": [24, 8], "fan_in": 8, "weights": 192,
                       "parameters": 192}


def test_parameters_alone_and_a_module_weight_named_twice_is_selected_once():
    model = Encoder()
    assert select_layers(model, rule(types=[], params=["re:layers\\.\\d\\.self_attn\\.in_proj_weight"])) == \
        ("layers.0.self_attn.in_proj_weight", "layers.1.self_attn.in_proj_weight")
    assert select_layers(model, rule(types=["Linear"], names=["head"], params=["head.weight", "head.bias"])) == \
        ("head", "head.bias")


@pytest.mark.parametrize("parts, message", [
    ({"params": ["re:.*out_weight"]}, "layers.params entry 're:.*out_weight' matches no parameter of encoder"),
    ({"types": [], "params": ["head.weight"], "exclude": ["head.weight"]}, "layers selects no module or parameter"),
    ({"types": [], "params": ["head.weight"], "exclude": ["stem"]},
     "layers.exclude entry 'stem' matches no module of type (none) or selected parameter"),
])
def test_a_parameter_rule_that_matches_nothing_is_one_line(parts, message):
    with pytest.raises(ConfigError) as caught:
        select_layers(Encoder(), rule(**parts), "encoder")
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("value, message", [
    ({"types": [], "names": ["head"], "params": ["x"]}, "layers.names=['head']; allowed: names of modules"),
    ({"params": ["re:["]}, "layers.params='re:['; allowed: a valid regular expression"),
    ({"params": "in_proj_weight"}, None),  # one string is a list of one
])
def test_a_malformed_parameter_rule_is_rejected(value, message):
    if message is None:
        assert make_config({"layers": value}).layers.params == ("in_proj_weight",)
        return
    with pytest.raises(ConfigError) as caught:
        make_config({"layers": value})
    assert message in str(caught.value)


def test_excluding_a_module_or_its_weight_excludes_that_one_tensor():
    model = Encoder()
    everything = rule(types=["Linear"], params=["re:.*weight"], exclude=["head", "layers.0.linear1.weight"])
    chosen = select_layers(model, everything)
    assert "head" not in chosen and "head.weight" not in chosen
    assert "layers.0.linear1" not in chosen and "layers.0.linear1.weight" not in chosen
    assert "layers.1.linear1" in chosen and "layers.0.norm1.weight" in chosen  # a LayerNorm weight, by name
