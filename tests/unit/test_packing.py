"""Parameters packed into one buffer: same values and layouts, and AdamW over the buffer
steps exactly as AdamW over the separate tensors."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from pruning_pipeline.train.model import Net
from pruning_pipeline.train.packing import AdamW, pack_, pack_parameters_, packed


def _storage(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


def test_packing_keeps_values_and_layouts_and_puts_the_first_tensors_at_the_start():
    torch.manual_seed(0)
    model = Net().to(memory_format=torch.channels_last)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    strides = {name: p.stride() for name, p in model.named_parameters()}
    first = [model.ffnn1.weight, model.cls_head.weight]

    assert pack_parameters_(model, first)

    params = dict(model.named_parameters())
    assert len({_storage(p) for p in params.values()}) == 1
    for name, p in params.items():
        assert torch.equal(p, before[name]) and p.stride() == strides[name], name
    assert model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert model.ffnn1.weight.storage_offset() == 0
    assert model.cls_head.weight.storage_offset() == model.ffnn1.weight.numel()
    flat = packed(first)
    assert flat is not None and flat.numel() == 768 * 256 + 256 * 10
    flat.zero_()  # the buffer is the weights' memory, not a copy of it
    assert not model.cls_head.weight.any() and model.conv1.weight.abs().sum() > 0


def test_packed_sees_only_tensors_that_tile_one_buffer_in_order():
    a, b = torch.randn(3, 4), torch.randn(5)
    assert packed([a, b]) is None  # separate memory
    buffer = pack_([a, b])
    assert torch.equal(packed([a, b]), buffer)
    assert packed([b, a]) is None  # not in this order
    assert packed([a]) is not None and packed([a]).numel() == 12
    strided = torch.randn(6, 4)[::2]  # not dense: packed as a contiguous copy
    pack_([strided])
    assert strided.is_contiguous()


def test_parameters_of_two_dtypes_stay_unpacked_and_still_train():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2).double())
    assert not pack_parameters_(model)
    optimizer = AdamW(model, 1e-2, whole=True)
    assert not optimizer.one_tensor
    before = model[1].weight.detach().clone()
    model[1](model[0](torch.randn(8, 4)).double()).sum().backward()
    optimizer.step()
    assert not torch.equal(model[1].weight, before)


def test_packed_adamw_steps_exactly_like_adamw_over_separate_tensors():
    """Ten steps on the same batches: bit for bit the same weights, whether each step is
    `step` or the training loop's `update` (torch's step only to create the state, then
    the fused kernel called directly). One step clears the gradients through
    ``model.zero_grad()``, which drops them; the optimizer must still see the next
    gradients."""
    torch.manual_seed(0)
    separate = Net()
    together, updated = copy.deepcopy(separate), copy.deepcopy(separate)
    for model in (together, updated):
        assert pack_parameters_(model, [model.ffnn1.weight])
    optimizers = [torch.optim.AdamW(separate.parameters(), lr=5e-3, fused=True), AdamW(together, 5e-3, whole=True),
                  AdamW(updated, 5e-3, whole=True)]
    assert optimizers[1].one_tensor and len(optimizers[1].param_groups[0]["params"]) == 1
    assert not optimizers[2].in_one_call()  # no state before the first step
    torch_steps = []
    optimizers[2].step = lambda: torch_steps.append(AdamW.step(optimizers[2]))
    for step in range(10):
        x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
        for model, optimizer in zip((separate, together, updated), optimizers):
            if step == 4:
                model.zero_grad(set_to_none=True)
            else:
                optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.update() if model is updated else optimizer.step()
    assert len(torch_steps) == 1 and optimizers[2].in_one_call()  # the other nine were one kernel call each
    for (name, a), b, c in zip(separate.named_parameters(), together.parameters(), updated.parameters()):
        assert torch.equal(a, b), name
        assert torch.equal(a, c), name
    assert len({_storage(p) for p in together.parameters()}) == len({_storage(p) for p in updated.parameters()}) == 1


def test_a_parameter_moved_out_of_the_buffer_stops_the_step():
    """Its updates would land in the buffer, not in the model: no silent non-training."""
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    assert pack_parameters_(model)
    optimizer = AdamW(model, 1e-2, whole=True)
    model[1].weight.data = model[1].weight.detach().clone()
    model(torch.randn(8, 4)).sum().backward()
    with pytest.raises(RuntimeError, match="'1.weight' was moved out of the packed buffer"):
        optimizer.step()


def test_weights_tied_through_their_memory_stay_tied():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    model[1].weight.data = model[0].weight.data  # two parameters, one memory
    assert not pack_parameters_(model)
    assert model[1].weight.data_ptr() == model[0].weight.data_ptr()


class _PartlyUsed(nn.Module):
    """A classifier with a layer that its forward never calls."""

    def __init__(self) -> None:
        super().__init__()
        self.used = nn.Linear(6, 3)
        self.unused = nn.Linear(6, 3)

    def forward(self, x):
        return self.used(x)


def test_training_a_model_of_ones_own_leaves_parameters_without_gradients_alone():
    """AdamW skips a parameter that has no gradient; one update of a packed buffer would
    decay it and move it by its momentum. Training packs a user's model in memory but
    optimizes its parameters one by one."""
    from pruning_pipeline.config import make_config
    from pruning_pipeline.train.feed import Tensors
    from pruning_pipeline.train.training import train

    torch.manual_seed(0)
    model = _PartlyUsed()
    assert pack_parameters_(model, [model.used.weight])
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    data = Tensors.on(torch.device("cpu"), {}, train_x=torch.randn(64, 6), train_y=torch.randint(0, 3, (64,)),
                      test_x=torch.randn(16, 6), test_y=torch.randint(0, 3, (16,)))
    config = make_config({"model": "tests.unit.test_packing:_PartlyUsed", "steps": 6, "record_every": 3,
                          "batch_size": 16})
    assert not config.reference
    train(model, data, config, progress=False)
    for name, p in model.named_parameters():
        assert torch.equal(p, before[name]) == name.startswith("unused"), name


def test_a_frozen_parameter_keeps_the_optimizer_per_parameter():
    model = nn.Sequential(nn.Linear(4, 4).requires_grad_(False), nn.Linear(4, 2))
    assert pack_parameters_(model)
    frozen = model[0].weight.detach().clone()
    optimizer = AdamW(model, 1e-2, whole=True)
    assert not optimizer.one_tensor
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.randn(8, 4)).sum().backward()
        optimizer.step()
    assert torch.equal(model[0].weight, frozen)
