"""Parameters as views of one contiguous buffer, and AdamW over that buffer.

A step of a small model is bound by per-tensor overhead as much as by arithmetic: AdamW
groups, checks and launches per parameter, and the percentile rule needs all prunable
weights side by side. With every parameter a view of one buffer (and every gradient a
view of another), the optimizer updates one tensor and the pruner reads one slice.
Where every parameter gets a gradient on every step, elementwise AdamW gives bit for
bit the same weights either way.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch
from torch import nn


def _distinct(tensors: Iterable[torch.Tensor]) -> list[torch.Tensor]:
    """``tensors`` without repeats (a tied weight appears once), first occurrence first."""
    seen: set[int] = set()
    return [t for t in tensors if id(t) not in seen and not seen.add(id(t))]


def _dense(t: torch.Tensor) -> bool:
    """Whether ``t``'s elements fill exactly ``numel`` consecutive slots of its storage
    in some order of its dimensions (contiguous, channels-last, any permutation)."""
    dims = sorted((stride, size) for stride, size in zip(t.stride(), t.shape) if size != 1)
    expected = 1
    for stride, size in dims:
        if stride != expected:
            return False
        expected *= size
    return True


def pack_(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """Move ``tensors``, in place and in this order, into one new contiguous buffer: each
    becomes a view of it with its own shape and strides (so channels-last stays
    channels-last; one that is not dense becomes contiguous). Returns the buffer. All
    must share dtype and device."""
    tensors = _distinct(tensors)
    kinds = {(t.dtype, t.device) for t in tensors}
    if len(kinds) > 1:
        raise ValueError(f"cannot pack tensors of different dtypes or devices into one buffer: {sorted(map(str, kinds))}")
    buffer = torch.empty(sum(t.numel() for t in tensors), dtype=tensors[0].dtype, device=tensors[0].device)
    offset = 0
    for t in tensors:
        view = buffer.as_strided(t.shape, (t if _dense(t) else t.contiguous()).stride(), offset)
        view.copy_(t.detach())
        t.data = view
        offset += t.numel()
    return buffer


def packed(tensors: Sequence[torch.Tensor]) -> torch.Tensor | None:
    """The one buffer that ``tensors`` tile exactly (consecutive, no gaps, no overlaps,
    in the given order), as `pack_` leaves them; None when they do not."""
    tensors = _distinct(tensors)
    if not tensors:
        return None
    first = tensors[0]
    offset = first.storage_offset()
    for t in tensors:
        if (t.untyped_storage().data_ptr() != first.untyped_storage().data_ptr() or t.dtype != first.dtype
                or t.storage_offset() != offset or not _dense(t)):
            return None
        offset += t.numel()
    return first.detach().new_empty(0).set_(first.untyped_storage(), first.storage_offset(),
                                            (offset - first.storage_offset(),))


def pack_parameters_(model: nn.Module, first: Sequence[torch.Tensor] = ()) -> bool:
    """Lay every parameter of ``model`` out in one buffer, ``first`` (the prunable
    weights) at its start in that order. False, and nothing moved, where the parameters
    differ in dtype or device, one is not dense, or two share memory (weights tied
    through ``.data``, which separate slots would untie): each keeps its own memory."""
    params = _distinct([*first, *model.parameters()])
    storages = {p.untyped_storage().data_ptr() for p in params}
    if (not params or len(storages) < len(params)
            or any(p.dtype != params[0].dtype or p.device != params[0].device or not _dense(p) for p in params)):
        return False
    pack_(params)
    return True


FUSED_DEVICES = ("cpu", "cuda")  # a fused AdamW kernel (CPU since torch 2.4; older ones refuse it)


class AdamW(torch.optim.AdamW):
    """``torch.optim.AdamW`` over a model's parameters; with ``whole``, over their packed
    buffer (`pack_parameters_`) as one tensor. Each parameter's gradient is then a view
    of one gradient buffer that autograd accumulates into, and `zero_grad` clears it in
    one pass. Only for a model that gives every parameter a gradient on every step (the
    reference CNN): AdamW leaves a parameter without one untouched, which one update of
    the whole buffer cannot do. Otherwise, or where the parameters are not packed, the
    parameters are optimized one by one, as usual. Uses the fused kernel where the
    device has one; `update` is the training loop's `step`."""

    def __init__(self, model: nn.Module, lr: float, whole: bool = False) -> None:
        params = list(model.parameters())
        buffer = packed(sorted(params, key=lambda p: p.storage_offset())) if whole else None
        self.one_tensor = buffer is not None and all(p.requires_grad for p in params)
        if self.one_tensor:
            buffer.grad = torch.zeros_like(buffer)
            # each parameter, where its values live, and its view of the gradient buffer
            self.slots = [(name, p, p.data_ptr(), buffer.grad.as_strided(
                p.shape, p.stride(), p.storage_offset() - buffer.storage_offset()))
                for name, p in model.named_parameters()]
            self._adopt_grads()
            params = [buffer]
        fused = bool(params) and params[0].device.type in FUSED_DEVICES
        try:
            super().__init__(params, lr=lr, fused=fused or None)
        except RuntimeError:  # a torch older than its fused CPU kernel
            super().__init__(params, lr=lr)
        if self.one_tensor:
            self.register_step_pre_hook(lambda *_: self._adopt_grads())

    def in_one_call(self) -> bool:
        """Whether `update` can be one call of the fused kernel: the packed buffer alone,
        plain fused AdamW, its state made by a first `step`."""
        group = self.param_groups[0]
        return (self.one_tensor and len(self.param_groups) == 1 and len(group["params"]) == 1
                and bool(group["fused"]) and hasattr(torch, "_fused_adamw_")
                and not any(group[flag] for flag in ("amsgrad", "maximize", "capturable", "differentiable"))
                and "step" in self.state.get(group["params"][0], {}))

    @torch.no_grad()
    def update(self) -> None:
        """`step`, for the training loop: over the packed buffer, one call of the fused
        kernel with the arithmetic of `torch.optim.AdamW`'s fused step (a test compares
        the two bit for bit) but without its per-step Python (checks, grouping, profiler
        records), which costs more than the kernel itself on a model this small. Step
        hooks other than the optimizer's own do not run on that path."""
        if not self.in_one_call():
            self.step()
            return
        self._adopt_grads()
        group = self.param_groups[0]
        buffer = group["params"][0]
        state = self.state[buffer]
        state["step"] += 1
        torch._fused_adamw_([buffer], [buffer.grad], [state["exp_avg"]], [state["exp_avg_sq"]], [], [state["step"]],
                            amsgrad=False, maximize=False, lr=group["lr"], beta1=group["betas"][0],
                            beta2=group["betas"][1], weight_decay=group["weight_decay"], eps=group["eps"],
                            grad_scale=None, found_inf=None)

    @torch.no_grad()
    def _adopt_grads(self) -> None:
        """Make each parameter's gradient its view of the buffer again, keeping its
        value, should anything have replaced it (``model.zero_grad()`` sets it to None).
        A parameter moved out of the buffer (``model.to(...)`` after packing) would no
        longer be trained at all: that stops here instead."""
        for name, p, address, view in self.slots:
            if p.data_ptr() != address:
                raise RuntimeError(f"parameter {name!r} was moved out of the packed buffer after the optimizer "
                                   "was made; move the model before packing it")
            if p.grad is view:
                continue
            if p.grad is None:
                view.zero_()
            else:
                view.copy_(p.grad)
            p.grad = view

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients; a packed gradient buffer is zeroed, never dropped, since
        every parameter's gradient is a view of it."""
        if self.one_tensor:
            self.param_groups[0]["params"][0].grad.zero_()
        else:
            super().zero_grad(set_to_none=set_to_none)
