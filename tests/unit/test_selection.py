"""Which layers a `layers` rule selects, and the one-line errors of a bad rule or a bad
model, on small models built here."""

from __future__ import annotations

import pytest
from torch import nn

from pruning_pipeline.config import ConfigError, LayerRule, make_config
from pruning_pipeline.train.model import Net, select_layers


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
        assert type(modules[name]).__name__ in layer_rule.types
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
        LayerRule(("Conv2d",), (), ("re:x.*",))
