import math

import torch

from pruning_pipeline.train.model import PRUNABLE, Net, parameter_summary


def test_parameter_count_matches_the_layer_shapes():
    # conv1 32x1x7x7+32, conv2 48x32x3x3+48, LayerNorm 2x256, ffnn1 768x256+256, cls_head 256x10+10
    expected = (32 * 49 + 32) + (48 * 32 * 9 + 48) + 2 * 256 + (768 * 256 + 256) + (256 * 10 + 10)
    assert expected == 215_418
    assert parameter_summary(Net())["parameters"] == expected


def test_layer_names_and_output_shape():
    model = Net()
    assert [name for name, _ in model.named_children()] == ["conv1", "conv2", "ffnn1", "norm1", "cls_head"]
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert model.features(torch.zeros(3, 1, 28, 28)).shape == (3, 768)


def test_default_init_is_uniform_within_one_over_sqrt_fan_in():
    torch.manual_seed(0)
    model = Net()
    for name in PRUNABLE:
        weight = getattr(model, name).weight
        bound = 1 / math.sqrt(weight.shape[1])
        assert weight.abs().max() <= bound
        assert weight.abs().max() > 0.95 * bound  # it fills the interval, not a bell
