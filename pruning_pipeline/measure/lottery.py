"""The lottery ticket measured (`train.lottery`, on when ``lottery_rounds`` > 0): at
every round the sparsity of the pruned layers, the test accuracy of the rewound ticket
and of its re-initialised control after training, their test accuracy along training,
and each layer's sparsity and dead units. Each round's two runs are cache entries
trained as jobs before this reads them (by rank 0, or in this process, where not)."""

from __future__ import annotations

from safetensors.torch import load_file

from ..train import lottery, runs
from ..train.keyed import CONTROL_KIND, LOTTERY_KIND
from ..train.methods import layer_collapse, selected_sparsity
from ..train.model import weight_key

ROLES = {"control": CONTROL_KIND, "ticket": LOTTERY_KIND}  # the keys of ``lottery.accuracy``, by entry kind


def rounds(life, init: dict, trained: dict, dense_accuracy: float) -> dict:
    """The ``lottery`` section of a seed's metrics: round k's ticket and control prune
    what round k - 1's ticket trained (the plain run, for the first)."""
    config, subject = life.config, life.subject
    previous, kept = trained, None
    section = {"rounds": list(range(1, config.lottery_rounds + 1)), "rate": lottery.LOTTERY_RATE,
               "rates": lottery.rates(subject.layers),
               "steps": life.steps, "dense_accuracy": dense_accuracy, "sparsity": [],
               "accuracy": {role: [] for role in ROLES}, "curves": {role: [] for role in ROLES},
               "layers": {name: {"sparsity": [], "dead_units": []} for name in subject.layers}}
    for k in section["rounds"]:
        for role, kind in ROLES.items():  # the ticket last: the next round starts from it
            entry = life.cached(kind, k, lambda directory, previous=previous, kept=kept, k=k, control=role == "control":
                                lottery.round_into(directory, init, previous, kept, subject, life.data, config,
                                                   life.device, k, control, life.progress))
            state, curves = runs.load_run(entry)
            section["accuracy"][role].append(curves["test_accuracy"][-1])
            section["curves"][role].append(curves["test_accuracy"])
        weights = {name: state[weight_key(name, state)] for name in subject.layers}
        section["sparsity"].append(selected_sparsity(weights))
        collapse = layer_collapse(weights)
        for name, layer in collapse.items():
            for key in ("sparsity", "dead_units"):
                section["layers"][name][key].append(layer[key])
        previous, kept = state, load_file(entry / lottery.MASK_FILE)
    section["units"] = {name: layer["units"] for name, layer in collapse.items()}
    section["curves"]["steps"] = curves["steps"]
    return section
