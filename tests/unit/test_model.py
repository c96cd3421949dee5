import math

import pytest
import torch

from pruning_pipeline.config import LayerRule
from pruning_pipeline.train.model import Net, Subject, parameter_summary, select_layers

PRUNABLE = select_layers(Net(), LayerRule())


def test_parameter_count_matches_the_layer_shapes():
    # conv1 32x1x7x7+32, conv2 48x32x3x3+48, LayerNorm 2x256, ffnn1 768x256+256, cls_head 256x10+10
    expected = (32 * 49 + 32) + (48 * 32 * 9 + 48) + 2 * 256 + (768 * 256 + 256) + (256 * 10 + 10)
    assert expected == 215_418
    assert parameter_summary(Net(), PRUNABLE)["parameters"] == expected


def test_the_default_rule_selects_the_reference_linear_layers():
    assert PRUNABLE == ("ffnn1", "cls_head")


def test_layer_names_and_output_shape():
    model = Net()
    assert [name for name, _ in model.named_children()] == ["conv1", "conv2", "ffnn1", "norm1", "cls_head"]
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert model.features(torch.zeros(3, 1, 28, 28)).shape == (3, 768)
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):  # images of another size fail
        model(torch.zeros(3, 1, 32, 32))


def test_default_init_is_uniform_within_one_over_sqrt_fan_in():
    torch.manual_seed(0)
    model = Net()
    for name in PRUNABLE:
        weight = getattr(model, name).weight
        bound = 1 / math.sqrt(weight.shape[1])
        assert weight.abs().max() <= bound
        assert weight.abs().max() > 0.95 * bound  # it fills the interval, not a bell


def test_pooling_before_the_activation_on_the_seen_pixels_is_the_reference_exactly():
    """`Net.features` crops the image to the pixels that reach the logits, pools, then
    applies LeakyReLU; the reference convolves the whole image and activates before
    pooling. The logits agree bit for bit (max commutes with an increasing function; the
    crop drops only what floor pooling drops); so do the gradients, except in a window
    where two negative inputs round to the same activation (no such tie in these inputs)."""
    import torch.nn.functional as F

    from pruning_pipeline.train.model import LEAKY_SLOPE, seen_pixels

    def reference_features(model: Net, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.leaky_relu(model.conv1(x), LEAKY_SLOPE), 2)
        return F.max_pool2d(F.leaky_relu(model.conv2(x), LEAKY_SLOPE), 2).flatten(1)

    torch.manual_seed(0)
    model = Net()
    x = torch.randn(16, 1, 28, 28)
    y = torch.randint(0, 10, (16,))
    image = x.clone().requires_grad_()  # which pixels reach the reference's logits
    F.cross_entropy(model.head(reference_features(model, image)), y).backward()
    seen = seen_pixels(28)
    assert bool(image.grad[..., :seen, :seen].all())
    assert torch.count_nonzero(image.grad[..., seen:, :]) == torch.count_nonzero(image.grad[..., seen:]) == 0
    for size in range(26, 34):  # other image sizes: the same features as the whole image gives
        other = torch.randn(2, 1, size, size + 1)
        assert torch.equal(model.features(other), reference_features(model, other)), size
    grads = []
    for features in (model.features, lambda images: reference_features(model, images)):
        model.zero_grad()
        logits = model.head(features(x))
        F.cross_entropy(logits, y).backward()
        grads.append((logits.detach(), {name: p.grad.clone() for name, p in model.named_parameters()}))
    (ours, our_grads), (reference, reference_grads) = grads
    with torch.no_grad():  # the inputs have no tie, so the gradients must agree exactly
        activated = F.leaky_relu(model.conv1(x), LEAKY_SLOPE)
        window_max = F.interpolate(F.max_pool2d(activated, 2), scale_factor=2.0, mode="nearest")
        maxima_per_window = F.avg_pool2d((activated == window_max).float(), 2) * 4
        assert torch.equal(maxima_per_window, torch.ones_like(maxima_per_window))
    assert torch.equal(ours, reference)
    for name, grad in reference_grads.items():
        assert torch.equal(our_grads[name], grad), name
    assert our_grads["conv1.weight"].abs().sum() > 0  # the gradient reaches the first layer


def test_the_fast_layout_computes_the_reference_forward_and_update():
    """Channels-last convolutions and the fused AdamW (the training loop's choices for
    speed) give the plain layout's logits and gradients, and the plain AdamW step, within
    float32 rounding."""
    import torch.nn.functional as F

    from pruning_pipeline.train.runs import model_from
    from pruning_pipeline.train.packing import AdamW

    torch.manual_seed(0)
    plain = Net()
    fast = model_from(plain.state_dict(), Subject(Net, PRUNABLE, "reference"), torch.device("cpu")).train()
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    assert fast.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(fast(x.contiguous(memory_format=torch.channels_last)), plain(x), rtol=1e-5, atol=1e-5)
    for model in (plain, fast):
        F.cross_entropy(model(x), y).backward()
    for (name, a), b in zip(plain.named_parameters(), fast.parameters()):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-6, msg=name)
        # the same gradients into both optimizers, in the parameter's own layout as
        # autograd gives them (the fused CPU kernel assumes it: a contiguous gradient on a
        # channels-last weight is misread)
        b.grad = torch.empty_like(b).copy_(a.grad)
    torch.optim.AdamW(plain.parameters(), lr=5e-3).step()
    AdamW(fast, 5e-3, whole=True).step()
    for (name, a), b in zip(plain.named_parameters(), fast.parameters()):
        torch.testing.assert_close(b, a, rtol=1e-6, atol=1e-7, msg=name)
