"""The model a run trains: the reference CNN (215,418 parameters) or the user's, named
by an import string; and which of its layers get pruned (`select_layers`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

import torch
from torch import nn
import torch.nn.functional as F

from ..config import REGEX_PREFIX, Config, LayerRule
from ..imports import UserCodeError, call

LEAKY_SLOPE = 1e-4


def seen_pixels(size: int) -> int:
    """Of ``size`` rows (or columns) of an image, how many can reach `Net`'s logits: the
    second pooling floors conv2's output to ``pooled`` rows; they read ``2 * pooled + 2``
    rows of the first pooling, which read ``4 * pooled + 4`` conv1 rows, which read six
    image rows more (28 -> 26; 32 -> 30)."""
    pooled = ((size - 6) // 2 - 2) // 2
    return 4 * pooled + 10


class Net(nn.Module):
    """conv1 → pool → conv2 → pool → ffnn1 → LayerNorm → cls_head, as in the reference."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=7)
        self.conv2 = nn.Conv2d(32, 48, kernel_size=3)
        self.ffnn1 = nn.Linear(48 * 4 * 4, 256)
        self.norm1 = nn.LayerNorm(256, eps=1e-5)
        self.cls_head = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 1, 28, 28)
        return self.head(self.features(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The convolutional part, which pruning never touches: (B, 1, 28, 28) -> (B, 768).

        The second pooling floors conv2's 9x9 output to 4x4, dropping its last row and
        column; traced back through conv2, the first pooling and conv1, the image's last
        two rows and columns never reach the logits (`seen_pixels`). Cropping them first
        is the same arithmetic with 17% fewer conv1 and 21% fewer conv2 positions (the
        same logits and gradients bit for bit on this CPU, tested).

        The reference applies LeakyReLU, then pools. A max commutes with an increasing
        function, so pooling first gives exactly the same values while the activation
        and its backward touch a quarter of the elements (the conv1 activation is 2 MiB
        a batch, a whole L2 cache here). The gradient differs only where two negative
        inputs of one window round to the same activation: the reference then routes
        it to the first of them, this order to the larger. Runs are not bit-identical
        to the reference order over thousands of steps, for that reason alone.
        """
        x = x[..., :seen_pixels(x.shape[-2]), :seen_pixels(x.shape[-1])]
        x = F.leaky_relu(F.max_pool2d(self.conv1(x), 2), LEAKY_SLOPE)  # (B, 32, 10, 10)
        x = F.leaky_relu(F.max_pool2d(self.conv2(x), 2), LEAKY_SLOPE)  # (B, 48, 4, 4)
        return x.flatten(1)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """The prunable part: (B, 768) -> (B, 10) logits."""
        x = F.leaky_relu(self.ffnn1(features), LEAKY_SLOPE)  # (B, 256)
        return self.cls_head(self.norm1(x))


@dataclass(frozen=True)
class Subject:
    """What is trained and pruned: a constructor of the model (fresh weights on every
    call) and the names of what is pruned, in model order: modules (their ``weight``)
    and parameters selected by name (`select_layers`)."""

    build: Callable[[], nn.Module]
    layers: tuple[str, ...]
    name: str  # "reference" or the import string


def build_model(config: Config) -> nn.Module:
    """A new model as the config names it; the user's callable gets ``model_args``."""
    if config.reference:
        return Net()
    model = call("model", config.model, dict(config.model_args))
    if not isinstance(model, nn.Module):
        raise UserCodeError(f"invalid config: model={config.model!r} returned a {type(model).__name__}; "
                            "expected a torch.nn.Module")
    return model


def _matches(pattern: str, name: str) -> bool:
    if pattern.startswith(REGEX_PREFIX):
        return re.fullmatch(pattern[len(REGEX_PREFIX):], name) is not None
    return pattern == name


def _listing(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit]) or "none"
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")


def class_names(module: nn.Module) -> set[str]:
    """The names of a module's class and of every class it derives from: a type in a
    rule matches its subclasses, as ``isinstance`` does (MultiheadAttention's
    ``out_proj`` is a ``NonDynamicallyQuantizableLinear``, a ``Linear``)."""
    return {cls.__name__ for cls in type(module).__mro__}


def _typed_modules(modules: dict[str, nn.Module], rule: LayerRule, model_name: str) -> list[str]:
    present = sorted({type(module).__name__ for module in modules.values()})
    for kind in rule.types:
        if not any(kind in class_names(module) for module in modules.values()):
            raise UserCodeError(f"invalid config: layers.types entry {kind!r} matches no module of {model_name}; "
                                f"module types present: {_listing(present)}")
    return [name for name, module in modules.items() if class_names(module) & set(rule.types)]


def _named_parameters(model: nn.Module, rule: LayerRule, model_name: str) -> list[str]:
    names = [name for name, _ in model.named_parameters()]
    for pattern in rule.params:
        if not any(_matches(pattern, name) for name in names):
            raise UserCodeError(f"invalid config: layers.params entry {pattern!r} matches no parameter of "
                                f"{model_name}; its parameters are: {_listing(names)}")
    return [name for name in names if any(_matches(p, name) for p in rule.params)]


def select_layers(model: nn.Module, rule: LayerRule, model_name: str = "the model") -> tuple[str, ...]:
    """Names of what ``rule`` prunes, in the model's order: a selected module by its
    qualified name (its ``weight`` is pruned), a parameter selected by ``params`` by its
    own qualified name (``self_attn.in_proj_weight``). `weight_slot` resolves either.

    Every entry of the rule must match something, so a typo fails instead of silently
    pruning less; a selected module must own a ``weight`` tensor. A parameter that is a
    selected module's weight is selected once, by its module.
    """
    modules = {name: module for name, module in model.named_modules() if name}
    typed = _typed_modules(modules, rule, model_name) if rule.types else []
    parameters = _named_parameters(model, rule, model_name)
    as_weights = [f"{name}.weight" for name in typed]  # a module and its weight are one tensor to exclude
    for part in ("names", "exclude"):
        candidates = typed + parameters + as_weights if part == "exclude" else typed
        for pattern in getattr(rule, part):
            if not any(_matches(pattern, name) for name in candidates):
                raise UserCodeError(f"invalid config: layers.{part} entry {pattern!r} matches no module of type "
                                    f"{'/'.join(rule.types) or '(none)'}{' or selected parameter' * (part == 'exclude')}"
                                    f" in {model_name}; those are: {_listing(typed + parameters)}")
    excluded = lambda name: any(_matches(p, name) for p in rule.exclude)  # noqa: E731
    chosen = {name for name in typed if (not rule.names or any(_matches(p, name) for p in rule.names))
              and not excluded(name) and not excluded(f"{name}.weight")}
    for name in chosen:
        if not isinstance(getattr(modules[name], "weight", None), torch.Tensor):
            raise UserCodeError(f"invalid config: layers selects {name!r} ({type(modules[name]).__name__}), "
                                "which has no weight tensor to prune")
    owner = lambda name: name[:-len(".weight")] if name.endswith(".weight") else None  # noqa: E731
    chosen |= {name for name in parameters
               if not excluded(name) and not (owner(name) and excluded(owner(name))) and owner(name) not in chosen}
    ordered = _in_model_order(model, chosen)
    if not ordered:
        raise UserCodeError(f"invalid config: layers selects no module or parameter of {model_name} (types {list(rule.types)}, "
                            f"names {list(rule.names)}, params {list(rule.params)}, exclude {list(rule.exclude)})")
    if "global" in ordered:
        raise UserCodeError("invalid config: a selected module is named 'global', the name of all layers "
                            "together; exclude or rename it")
    return ordered


def _in_model_order(model: nn.Module, chosen: set[str]) -> tuple[str, ...]:
    """``chosen`` in the order of ``named_modules``: a module, then its own selected parameters."""
    ordered = []
    for prefix, module in model.named_modules():
        if prefix in chosen:
            ordered.append(prefix)
        for attr, _ in module.named_parameters(recurse=False):
            name = f"{prefix}.{attr}" if prefix else attr
            if name in chosen and name not in ordered:
                ordered.append(name)
    return tuple(ordered)


def subject_for(config: Config, model: nn.Module | None = None) -> Subject:
    """The model constructor and its selected layers, looked up on ``model`` (one built
    from ``config``; a new one when not given)."""
    name = "the reference model" if config.reference else config.model
    model = build_model(config) if model is None else model
    return Subject(lambda: build_model(config), select_layers(model, config.layers, name), config.model)


def weight_slot(model: nn.Module, name: str) -> tuple[nn.Module, str]:
    """(module, attribute) of the tensor a selected ``name`` prunes: the parameter of that
    qualified name where there is one, else the ``weight`` of the module of that name. A
    module and a parameter never share a qualified name, so the two cannot be confused."""
    owner, _, attr = name.rpartition(".")
    module = model.get_submodule(owner)
    if attr in dict(module.named_parameters(recurse=False)):
        return module, attr
    return model.get_submodule(name), "weight"


def weight_key(name: str, state: Mapping[str, torch.Tensor]) -> str:
    """The key of a selected ``name``'s pruned tensor in a state dict (see `weight_slot`)."""
    return name if name in state else f"{name}.weight"


def prunable_weights(model: nn.Module, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """The weight tensors pruning acts on, by selected name."""
    return {name: getattr(*weight_slot(model, name)) for name in layers}


HEAD_LAYERS = ("ffnn1", "cls_head")  # the reference model's layers that `Net.head` runs


def split_forward(model: nn.Module, layers: tuple[str, ...]) -> tuple[Callable, Callable]:
    """(features, head) with ``forward = head(features(x))`` and every pruned layer in
    ``head``: evaluations under many pruned weights then compute ``features`` once.
    The reference model has that split when only its head's layers are pruned; any
    other model, or a convolution selected for pruning, is all head."""
    if isinstance(model, Net) and set(layers) <= set(HEAD_LAYERS):
        return model.features, model.head
    return (lambda x: x), model


def parameter_summary(model: nn.Module, layers: tuple[str, ...]) -> dict:
    """Parameter count in total, and per pruned layer its type, weight shape, fan-in
    (inputs per output unit) and parameters (a module's weight and bias; a parameter
    selected by name counts alone)."""
    summary = {}
    for name in layers:
        module, attr = weight_slot(model, name)
        weight = getattr(module, attr)
        owned = module.parameters(recurse=False) if attr == "weight" else [weight]
        summary[name] = {
            "type": type(module).__name__,
            "shape": list(weight.shape),
            "fan_in": int(weight[0].numel()) if weight.dim() > 1 else 1,
            "weights": int(weight.numel()),
            "parameters": sum(p.numel() for p in owned),
        }
    return {"parameters": sum(p.numel() for p in model.parameters()), "layers": summary}
