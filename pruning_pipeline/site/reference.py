"""The reference study's claims about the weights at each stage (initialization,
training, pruning in the loop, after training and at a percentile), each judged from
the run's numbers: a verdict word, the criterion, a finding and its evidence. Pure; over
several seeds a judge compares the means (`seeds.mean`) and writes the values."""

from __future__ import annotations

import math

from ..formatting import fmt_fixed, fmt_int, fmt_pct, fmt_pp, fmt_ratio, fmt_sig, fmt_tau
from ..results import drop_within
from ..seeds.value import Seeds, mean
from .verdicts import CONFIRMED, PARTLY, REFUTED, each, judged, verdict_of

# A uniform distribution on ±a has standard deviation a/√3; the share of a Gaussian with
# that standard deviation lying beyond ±a is P(|z| > √3).
_GAUSS_BEYOND_UNIFORM_EDGE = math.erfc(math.sqrt(3) / math.sqrt(2))
MIN_LOBES = 10  # survivors a layer needs before its histogram can be called bimodal


def _layers(m) -> list[str]:
    """The run's pruned layers, in model order."""
    return m["prunable_layers"]


def _value(x: float | Seeds | None) -> float | Seeds:
    """A shape statistic that may be undefined (None: every weight of the layer equal)
    as NaN, which fails every comparison and prints as undefined."""
    return math.nan if x is None else x


def _m(x: float | Seeds | None) -> float:
    """What a verdict compares: the seeds' mean of a number (NaN where undefined)."""
    return mean(_value(x))


def init_symmetric(m, f):
    layers = m["stages"]["init"]["layers"]
    in_std = {l: _value(f["init"]["mean_in_std"][l]) for l in _layers(m)}
    flags = [abs(_m(layers[l]["skew"])) <= 0.1 and abs(_m(in_std[l])) <= 0.1 for l in _layers(m)]
    return judged(
        "Symmetric around zero",
        "|skewness| ≤ 0.1 and |mean| ≤ 0.1 standard deviations, in each layer.",
        verdict_of(flags),
        f"Skewness is {each({l: layers[l]['skew'] for l in _layers(m)}, lambda v: fmt_sig(v, '2'))}; "
        f"the mean is {each({l: in_std[l] for l in _layers(m)}, lambda v: fmt_sig(v, '2'))} "
        "standard deviations from zero.",
        {l: {"skew": layers[l]["skew"], "mean": layers[l]["mean"], "std": layers[l]["std"]} for l in _layers(m)},
    )


def init_gaussian(m, f):
    layers = m["stages"]["init"]["layers"]
    kurt = {l: _value(layers[l]["kurtosis"]) for l in _layers(m)}
    bound = f["init"]["bound"]
    inside = {l: _m(layers[l]["abs_max"]) <= bound[l] * (1 + 1e-6) for l in _layers(m)}
    uniform = all(abs(_m(kurt[l]) + 1.2) <= 0.1 and inside[l] for l in _layers(m))
    flags = [abs(_m(kurt[l])) <= 0.3 for l in _layers(m)]
    verdict = verdict_of(flags)
    text = f"Excess kurtosis is {each(kurt, lambda v: fmt_fixed(v, '2'))}, against 0 for a Gaussian and −1.2 for a uniform distribution. "
    if uniform:
        text += (
            "The weights are uniform on ±1/√fan_in — PyTorch's default initialisation of a Linear layer: "
            f"no weight exceeds {each(bound, lambda v: fmt_sig(v, '3'))}, whereas a Gaussian with the same "
            f"standard deviation would put {fmt_pct(_GAUSS_BEYOND_UNIFORM_EDGE)} of its weights beyond that bound."
        )
    elif verdict != CONFIRMED:
        text += "The shape is not Gaussian."
    else:
        text += "The shape is close to Gaussian."
    return judged(
        "Typically Gaussian-like",
        "A Gaussian has excess kurtosis 0: the claim holds for a layer when |excess kurtosis| ≤ 0.3.",
        verdict,
        text,
        {l: {"kurtosis": kurt[l], "abs_max": layers[l]["abs_max"], "bound": bound[l]} for l in _layers(m)},
    )


def init_uniform(m, f):
    layers = m["stages"]["init"]["layers"]
    bound = f["init"]["bound"]
    flags = [abs(_m(layers[l]["kurtosis"]) + 1.2) <= 0.1 and _m(layers[l]["abs_max"]) <= bound[l] * (1 + 1e-6)
             for l in _layers(m)]
    return judged(
        "Uniform, symmetric, dense",
        "Uniform on ±1/√fan_in: excess kurtosis within 0.1 of −1.2 and no |w| above the bound, in each layer.",
        verdict_of(flags),
        f"Excess kurtosis is {each({l: layers[l]['kurtosis'] for l in _layers(m)}, lambda v: fmt_fixed(v, '2'))}; "
        f"the largest |w| is {each({l: layers[l]['abs_max'] for l in _layers(m)}, lambda v: fmt_sig(v, '4'))} "
        f"for bounds {each(bound, lambda v: fmt_sig(v, '4'))}.",
        {l: {"kurtosis": layers[l]["kurtosis"], "abs_max": layers[l]["abs_max"], "bound": bound[l]} for l in _layers(m)},
    )


def init_dense(m, f):
    layers = m["stages"]["init"]["layers"]
    flags = [_m(layers[l]["zeros"]) == 0 for l in _layers(m)]
    return judged(
        "No sparsity present",
        "No weight is exactly zero.",
        verdict_of(flags),
        f"Exact zeros: {each({l: layers[l]['zeros'] for l in _layers(m)}, fmt_int)}.",
        {l: {"zeros": layers[l]["zeros"]} for l in _layers(m)},
    )


def trained_near_zero(m, f):
    share = f["trained"]["below_tau_post"]
    tau = m["config"]["tau_post"]
    flags = [_m(share[l]) >= 0.5 for l in _layers(m)]
    return judged(
        "Many weights remain near zero — pruning candidates",
        f"At least half of a layer's trained weights lie below the post-training threshold τ = {fmt_tau(tau)}.",
        verdict_of(flags),
        f"Below τ = {fmt_tau(tau)} lie {each(share, fmt_pct)} of the trained weights.",
        {l: {"below_tau_post": share[l]} for l in _layers(m)},
    )


def trained_long_tail(m, f):
    layers = m["stages"]["trained"]["layers"]
    kurt = {l: _value(layers[l]["kurtosis"]) for l in _layers(m)}
    reach = {l: _value(f["trained"]["abs_max_in_std"][l]) for l in _layers(m)}
    flags = [_m(kurt[l]) > 1 and _m(reach[l]) >= 5 for l in _layers(m)]
    return judged(
        "A long tail of large-magnitude weights emerges",
        "Excess kurtosis above 1 (tails heavier than a Gaussian's) and a largest |w| at least 5 standard deviations out.",
        verdict_of(flags),
        f"Excess kurtosis is {each(kurt, lambda v: fmt_fixed(v, '1'))}; the largest |w| lies "
        f"{each(reach, lambda v: fmt_fixed(v, '1'))} standard deviations from zero.",
        {l: {"kurtosis": kurt[l], "abs_max_over_std": reach[l]} for l in _layers(m)},
    )


def trained_wider(m, f):
    ratio = {l: _value(f["trained"]["std_ratio"][l]) for l in _layers(m)}
    flags = [_m(ratio[l]) > 1 for l in _layers(m)]
    return judged(
        "The distribution widens relative to initialization",
        "The standard deviation after training exceeds the one at initialization.",
        verdict_of(flags),
        f"Training multiplies the standard deviation by {each(ratio, lambda v: fmt_ratio(v, '1'))}.",
        {l: {"std_ratio": ratio[l]} for l in _layers(m)},
    )


def in_loop_spike(m, f):
    layers = m["stages"]["in_loop"]["layers"]
    sp = {l: layers[l]["sparsity"] for l in _layers(m)}
    strong = [_m(sp[l]) >= 0.05 for l in _layers(m)]
    visible = [_m(sp[l]) >= 0.01 for l in _layers(m)]
    verdict = CONFIRMED if all(strong) else (PARTLY if any(visible) else REFUTED)
    tau = m["config"]["tau_loop"]
    return judged(
        "A strong spike of weights exactly at zero",
        "Strong: at least 5% of each layer exactly zero after in-loop training; at least 1% in some layer counts as partly.",
        verdict,
        f"With τ = {fmt_tau(tau)} applied after every step, {each(sp, lambda v: fmt_pct(v, '2'))} of the weights "
        "end exactly at zero.",
        {l: {"sparsity": sp[l]} for l in _layers(m)},
    )


def in_loop_regrowth(m, f):
    reg = f["regrowth"]
    flags = [_m(reg[l]["records_with_regrowth"]) >= 0.5 for l in _layers(m) if l in reg]
    return judged(
        "Training repeatedly tries to regrow some weights",
        "At half or more of the recorded steps, some weights zeroed by the previous prune are non-zero again before the next.",
        verdict_of(flags),
        f"Of the weights zeroed by a prune, {each({l: reg[l]['share'] for l in _layers(m)}, fmt_pct)} are non-zero again "
        f"one step later; regrowth shows at {each({l: reg[l]['records_with_regrowth'] for l in _layers(m)}, lambda v: fmt_pct(v, '0'))} "
        "of the recorded steps.",
        {l: reg[l] for l in _layers(m)},
    )


def in_loop_asymmetric(m, f):
    skew = {l: _value(m["stages"]["in_loop"]["layers"][l]["skew"]) for l in _layers(m)}
    plain = {l: _value(m["stages"]["trained"]["layers"][l]["skew"]) for l in _layers(m)}
    flags = [abs(_m(skew[l])) >= 0.2 and abs(_m(skew[l])) > abs(_m(plain[l])) for l in _layers(m)]
    return judged(
        "The distribution becomes asymmetric",
        "|skewness| ≥ 0.2 after in-loop training and larger than after plain training.",
        verdict_of(flags),
        f"Skewness is {each(skew, lambda v: fmt_fixed(v, '2'))} with pruning in the loop and "
        f"{each(plain, lambda v: fmt_fixed(v, '2'))} without.",
        {l: {"skew_in_loop": skew[l], "skew_trained": plain[l]} for l in _layers(m)},
    )


def post_dead_zone(m, f):
    layers = m["stages"]["post"]["layers"]
    tau = m["config"]["tau_post"]
    # Below-τ share equal to the zero share: no survivor sits inside (−τ, τ).
    clean = {l: abs(_m(f["post"]["inside_cut"][l])) < 0.5 for l in _layers(m)}
    flags = [clean[l] and _m(layers[l]["sparsity"]) >= 0.5 for l in _layers(m)]
    return judged(
        "A large dead zone around zero",
        f"Nothing survives inside (−τ, τ) and at least half of each layer is zero, τ = {fmt_tau(tau)}.",
        verdict_of(flags),
        f"Sparsity after the cut is {each({l: layers[l]['sparsity'] for l in _layers(m)}, lambda v: fmt_pct(v, '2'))}.",
        {l: {"sparsity": layers[l]["sparsity"], "no_survivor_below_tau": clean[l]} for l in _layers(m)},
    )


def post_bimodal(m, f):
    layers = m["stages"]["post"]["layers"]
    tau = m["config"]["tau_post"]
    alive = {l: layers[l]["nonzeros"] for l in _layers(m)}
    kept = f["post"]["kept"]
    two = {l: _m(layers[l]["min"]) <= -tau and _m(layers[l]["max"]) >= tau and _m(alive[l]) >= MIN_LOBES
           for l in _layers(m)}

    def lobes(l: str) -> str:
        if not _m(alive[l]):
            return f"nothing survives in `{l}`"
        lo, hi = layers[l]["min"], layers[l]["max"]  # over all weights, zeros included; over seeds, the extremes
        seeds = isinstance(lo, Seeds) or isinstance(hi, Seeds)
        lo, hi = getattr(lo, "low", lo), getattr(hi, "high", hi)
        where = (f"from {fmt_sig(lo, '3')} to {fmt_sig(hi, '3')}" if lo < 0 < hi else
                 f"all positive, up to {fmt_sig(hi, '3')}" if hi > 0 else
                 f"all negative, down to {fmt_sig(lo, '3')}") + (" over the seeds" if seeds else "")
        noun = "weight survives" if _m(alive[l]) == 1 else "weights survive"
        return f"{fmt_int(alive[l])} {noun} ({fmt_pct(kept[l], '2')}) in `{l}`, {where}"

    return judged(
        "Truncated and often bimodal",
        "Two lobes in each layer: survivors on both sides of the cut (some w ≤ −τ and some w ≥ τ), "
        f"and at least {MIN_LOBES} survivors so that there is a distribution to speak of.",
        verdict_of([two[l] for l in _layers(m)]),
        "; ".join(lobes(l) for l in _layers(m)) + ".",
        {l: {"nonzeros": alive[l], "kept": kept[l], "min": layers[l]["min"], "max": layers[l]["max"]} for l in _layers(m)},
    )


def post_final_model(m, f):
    acc = m["stages"]["post"]["accuracy"]
    base = m["stages"]["trained"]["accuracy"]
    drop = f["post"]["accuracy_drop"]
    kept = f["post"]["kept"]
    tau = m["config"]["tau_post"]
    verdict = CONFIRMED if drop_within(_m(drop)) else REFUTED
    text = (
        f"At τ = {fmt_tau(tau)} the model keeps {each(kept, lambda v: fmt_pct(v, '2'))} of its weights "
        f"and its test accuracy goes from {fmt_pct(base)} to {fmt_pct(acc)}, "
        + (f"a loss of {fmt_pp(drop)} points." if _m(drop) >= 0 else f"a gain of {fmt_pp(f['post']['accuracy_gain'])} points.")
    )
    if verdict == REFUTED and "knee" in f:
        text += (
            f" The threshold sweep's knee, τ = {fmt_sig(f['knee']['tau'], '3')}, keeps "
            f"{fmt_pct(f['knee']['kept_global'], '2')} of the weights within one point of accuracy."
        )
    return judged(
        "This is the final compressed model",
        "A usable compressed model loses at most one point of test accuracy against the trained model.",
        verdict,
        text,
        {"accuracy_trained": base, "accuracy_post": acc, "drop": drop, "kept": kept},
    )


def post_dramatic(m, f):
    before = m["stages"]["trained"]["layers"]["global"]["sparsity"]
    after = m["stages"]["post"]["layers"]["global"]["sparsity"]
    return judged(
        "Sparsity increases dramatically",
        "Global sparsity rises by at least 50 points through the cut.",
        CONFIRMED if _m(f["post"]["sparsity_rise"]) >= 0.5 else REFUTED,
        f"Global sparsity goes from {fmt_pct(before, '2')} to {fmt_pct(after, '2')}.",
        {"sparsity_before": before, "sparsity_after": after},
    )


def percentile_exact(m, f):
    layers = m["stages"]["percentile"]["layers"]
    target = m["config"]["percentile"] / 100
    g = layers["global"]
    return judged(
        "A global percentile removes exactly p% of the weights",
        "Global sparsity within one weight of p% (ties at the threshold aside).",
        CONFIRMED if _m(f["percentile_off"]) <= 1.0 + 1e-9 else REFUTED,
        f"The cut at the {fmt_sig(m['config']['percentile'], '3')}th percentile removes "
        f"{fmt_pct(g['sparsity'], '2')} of all prunable weights, unevenly: "
        f"{each({l: layers[l]['sparsity'] for l in _layers(m)}, lambda v: fmt_pct(v, '2'))}.",
        {"target": target, "global": g["sparsity"], **{l: layers[l]["sparsity"] for l in _layers(m)}},
    )
