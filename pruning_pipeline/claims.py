"""The reference study's claims, judged against this run's numbers.

Pure: a metrics tree (the schema of ``static/metrics.json``) in, plain dicts out.
`derive_facts` computes the derived numbers the pages quote (kept shares,
accuracy drops, the knee of the sweep, ...); `evaluate` turns each sentence of
the reference into a claim with a verdict word (``confirmed``, ``refuted`` or
``partly confirmed``), the criterion used, a one-paragraph finding and its evidence.
Pages show claims through ``{{ claim: name }}``, so when a rebuild with other settings
flips a verdict, the page flips with it.

A claim whose inputs are missing from the metrics (an analysis not run) is left out;
a page that names it then fails the build with an unknown-claim error.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from .results import PRUNABLE_LAYERS as LAYERS
from .results import drop_within
from .formatting import fmt_fixed, fmt_int, fmt_pct, fmt_pp, fmt_ratio, fmt_sig, fmt_tau

CONFIRMED, REFUTED, PARTLY = "confirmed", "refuted", "partly confirmed"
# A uniform distribution on ±a has standard deviation a/√3; the share of a Gaussian with
# that standard deviation lying beyond ±a is P(|z| > √3).
_GAUSS_BEYOND_UNIFORM_EDGE = math.erfc(math.sqrt(3) / math.sqrt(2))
MIN_LOBES = 10  # survivors a layer needs before its histogram can be called bimodal


# --------------------------------------------------------------------------- helpers


def _below_tau(layer: Mapping[str, Any], tau: float) -> float:
    """Share of |w| < tau from ``below_tau``, whose keys are thresholds as text."""
    for key, value in layer["below_tau"].items():
        if math.isclose(float(key), tau, rel_tol=1e-9, abs_tol=1e-15):
            return value
    raise KeyError(f"below_tau has no entry for tau={tau:g}")


def _verdict(flags: list[bool]) -> str:
    if all(flags):
        return CONFIRMED
    return PARTLY if any(flags) else REFUTED


TONES = {CONFIRMED: "success", REFUTED: "failure", PARTLY: "warning"}


def _claim(reference: str, criterion: str, verdict: str, finding: str, evidence: dict, tone: str | None = None) -> dict:
    """One judged claim; ``tone`` (success/failure/warning/info) colours its box on the page."""
    return {
        "reference": reference,
        "criterion": criterion,
        "verdict": verdict,
        "tone": tone or TONES.get(verdict, "info"),
        "finding": finding,
        "evidence": evidence,
    }


def _each(values: Mapping[str, Any], fmt: Callable[[Any], str]) -> str:
    """'0.1 (ffnn1) and 0.2 (cls_head)'."""
    return " and ".join(f"{fmt(values[layer])} (`{layer}`)" for layer in LAYERS)


def _knee(metrics: Mapping[str, Any]) -> dict:
    sweep = metrics["sweep"]
    i = sweep["knee_index"]
    base = sweep["baseline_accuracy"]
    return {
        "index": i,
        "tau": sweep["taus"][i],
        "accuracy": sweep["accuracy"][i],
        "drop": base - sweep["accuracy"][i],
        "sparsity": {layer: values[i] for layer, values in sweep["sparsity"].items()},
    }


def _tolerance(metrics: Mapping[str, Any]) -> dict:
    """Per layer: the largest one-layer sparsity whose accuracy drop is <= one point."""
    sens = metrics["sensitivity"]
    base = sens["baseline_accuracy"]
    out = {}
    for layer, accuracy in sens["accuracy"].items():
        ok = [s for s, a in zip(sens["sparsities"], accuracy) if drop_within(base - a)]
        out[layer] = max(ok) if ok else 0.0
    return out


# --------------------------------------------------------------------------- facts


def derive_facts(metrics: Mapping[str, Any]) -> dict:
    """Numbers the pages quote that are not stored as such in the metrics."""
    cfg = metrics["config"]
    stages = metrics["stages"]
    base = stages["trained"]["accuracy"]
    facts: dict[str, Any] = {
        "tau": {"loop": cfg["tau_loop"], "post": cfg["tau_post"]},
        "percentile": cfg["percentile"],
        "percentile_share": cfg["percentile"] / 100,
        "steps": metrics["manifest"].get("steps", cfg["steps"]),
    }
    for stage, data in stages.items():
        facts[stage] = {
            "kept": {layer: 1 - data["layers"][layer]["sparsity"] for layer in data["layers"]},
            "accuracy_drop": base - data["accuracy"],
        }
    facts["init"]["bound"] = {
        layer: 1 / math.sqrt(metrics["model"]["layers"][layer]["shape"][1]) for layer in LAYERS
    }
    facts["init"]["fan_in"] = {layer: metrics["model"]["layers"][layer]["shape"][1] for layer in LAYERS}
    facts["trained"]["std_ratio"] = {
        layer: stages["trained"]["layers"][layer]["std"] / stages["init"]["layers"][layer]["std"]
        for layer in LAYERS
    }
    facts["trained"]["below_tau_post"] = {
        layer: _below_tau(stages["trained"]["layers"][layer], cfg["tau_post"])
        for layer in (*LAYERS, "global")
    }
    facts["trained"]["below_tau_loop"] = {
        layer: _below_tau(stages["trained"]["layers"][layer], cfg["tau_loop"])
        for layer in (*LAYERS, "global")
    }
    _optional(facts, "knee", lambda: _knee(metrics))
    _optional(facts, "tolerance", lambda: _tolerance(metrics))
    _optional(facts, "regrowth", lambda: _regrowth(metrics))
    _optional(facts, "compression", lambda: _compression(metrics))
    _optional(facts, "threshold_vs_percentile", lambda: _tvp(metrics))
    _optional(facts, "curves", lambda: _curves(metrics))
    return facts


def _optional(facts: dict, key: str, compute: Callable[[], Any]) -> None:
    try:
        facts[key] = compute()
    except (KeyError, IndexError, ValueError, ZeroDivisionError):
        pass


def _regrowth(metrics: Mapping[str, Any]) -> dict:
    out = {}
    for layer, d in metrics["dynamics"]["layers"].items():
        pruned, regrown = sum(d["pruned_prev"]), sum(d["regrowth"])
        out[layer] = {
            "share": regrown / pruned if pruned else 0.0,
            "records_with_regrowth": sum(1 for r in d["regrowth"] if r > 0) / len(d["regrowth"]),
            "final_sparsity": d["sparsity"][-1],
            "max_sparsity": max(d["sparsity"]),
            "total_regrown": regrown,
            "total_pruned": pruned,
        }
    return out


def _compression(metrics: Mapping[str, Any]) -> dict:
    out = {}
    for stage, s in metrics["compression"]["stages"].items():
        out[stage] = {
            "csr_vs_dense": s["csr_bytes"] / s["dense_bytes"],
            "bitmask_vs_dense": s["bitmask_bytes"] / s["dense_bytes"],
            "latency_ratio": s["sparse_vs_dense_latency"],
        }
    return out


def _tvp(metrics: Mapping[str, Any]) -> dict:
    tvp = metrics["threshold_vs_percentile"]
    return {"accuracy_gap": tvp["global_threshold"]["accuracy"] - tvp["layerwise_percentile"]["accuracy"]}


def _curves(metrics: Mapping[str, Any]) -> dict:
    return {run: {"final_test_accuracy": c["test_accuracy"][-1], "final_train_loss": c["train_loss"][-1]}
            for run, c in metrics["curves"].items()}


# --------------------------------------------------------------------------- claims


def _init_symmetric(m, f):
    layers = m["stages"]["init"]["layers"]
    flags = [abs(layers[l]["skew"]) <= 0.1 and abs(layers[l]["mean"]) <= 0.1 * layers[l]["std"] for l in LAYERS]
    return _claim(
        "Symmetric around zero",
        "|skewness| ≤ 0.1 and |mean| ≤ 0.1 standard deviations, in each layer.",
        _verdict(flags),
        f"Skewness is {_each({l: layers[l]['skew'] for l in LAYERS}, lambda v: fmt_sig(v, '2'))}; "
        f"the mean is {_each({l: layers[l]['mean'] / layers[l]['std'] for l in LAYERS}, lambda v: fmt_sig(v, '2'))} "
        "standard deviations from zero.",
        {l: {"skew": layers[l]["skew"], "mean": layers[l]["mean"], "std": layers[l]["std"]} for l in LAYERS},
    )


def _init_gaussian(m, f):
    layers = m["stages"]["init"]["layers"]
    kurt = {l: layers[l]["kurtosis"] for l in LAYERS}
    bound = f["init"]["bound"]
    inside = {l: layers[l]["abs_max"] <= bound[l] * (1 + 1e-6) for l in LAYERS}
    uniform = all(abs(kurt[l] + 1.2) <= 0.1 and inside[l] for l in LAYERS)
    flags = [abs(kurt[l]) <= 0.3 for l in LAYERS]
    verdict = _verdict(flags)
    text = f"Excess kurtosis is {_each(kurt, lambda v: fmt_fixed(v, '2'))}, against 0 for a Gaussian and −1.2 for a uniform distribution. "
    if uniform:
        text += (
            "The weights are uniform on ±1/√fan_in — PyTorch's default initialisation of a Linear layer: "
            f"no weight exceeds {_each(bound, lambda v: fmt_sig(v, '3'))}, whereas a Gaussian with the same "
            f"standard deviation would put {fmt_pct(_GAUSS_BEYOND_UNIFORM_EDGE)} of its weights beyond that bound."
        )
    elif verdict != CONFIRMED:
        text += "The shape is not Gaussian."
    else:
        text += "The shape is close to Gaussian."
    return _claim(
        "Typically Gaussian-like",
        "A Gaussian has excess kurtosis 0: the claim holds for a layer when |excess kurtosis| ≤ 0.3.",
        verdict,
        text,
        {l: {"kurtosis": kurt[l], "abs_max": layers[l]["abs_max"], "bound": bound[l]} for l in LAYERS},
    )


def _init_uniform(m, f):
    layers = m["stages"]["init"]["layers"]
    bound = f["init"]["bound"]
    flags = [abs(layers[l]["kurtosis"] + 1.2) <= 0.1 and layers[l]["abs_max"] <= bound[l] * (1 + 1e-6) for l in LAYERS]
    return _claim(
        "Uniform, symmetric, dense",
        "Uniform on ±1/√fan_in: excess kurtosis within 0.1 of −1.2 and no |w| above the bound, in each layer.",
        _verdict(flags),
        f"Excess kurtosis is {_each({l: layers[l]['kurtosis'] for l in LAYERS}, lambda v: fmt_fixed(v, '2'))}; "
        f"the largest |w| is {_each({l: layers[l]['abs_max'] for l in LAYERS}, lambda v: fmt_sig(v, '4'))} "
        f"for bounds {_each(bound, lambda v: fmt_sig(v, '4'))}.",
        {l: {"kurtosis": layers[l]["kurtosis"], "abs_max": layers[l]["abs_max"], "bound": bound[l]} for l in LAYERS},
    )


def _init_dense(m, f):
    layers = m["stages"]["init"]["layers"]
    flags = [layers[l]["zeros"] == 0 for l in LAYERS]
    return _claim(
        "No sparsity present",
        "No weight is exactly zero.",
        _verdict(flags),
        f"Exact zeros: {_each({l: layers[l]['zeros'] for l in LAYERS}, fmt_int)}.",
        {l: {"zeros": layers[l]["zeros"]} for l in LAYERS},
    )


def _trained_near_zero(m, f):
    share = f["trained"]["below_tau_post"]
    tau = m["config"]["tau_post"]
    flags = [share[l] >= 0.5 for l in LAYERS]
    return _claim(
        "Many weights remain near zero — pruning candidates",
        f"At least half of a layer's trained weights lie below the post-training threshold τ = {fmt_tau(tau)}.",
        _verdict(flags),
        f"Below τ = {fmt_tau(tau)} lie {_each(share, fmt_pct)} of the trained weights.",
        {l: {"below_tau_post": share[l]} for l in LAYERS},
    )


def _trained_long_tail(m, f):
    layers = m["stages"]["trained"]["layers"]
    kurt = {l: layers[l]["kurtosis"] for l in LAYERS}
    reach = {l: layers[l]["abs_max"] / layers[l]["std"] for l in LAYERS}
    flags = [kurt[l] > 1 and reach[l] >= 5 for l in LAYERS]
    return _claim(
        "A long tail of large-magnitude weights emerges",
        "Excess kurtosis above 1 (tails heavier than a Gaussian's) and a largest |w| at least 5 standard deviations out.",
        _verdict(flags),
        f"Excess kurtosis is {_each(kurt, lambda v: fmt_fixed(v, '1'))}; the largest |w| lies "
        f"{_each(reach, lambda v: fmt_fixed(v, '1'))} standard deviations from zero.",
        {l: {"kurtosis": kurt[l], "abs_max_over_std": reach[l]} for l in LAYERS},
    )


def _trained_wider(m, f):
    ratio = f["trained"]["std_ratio"]
    flags = [ratio[l] > 1 for l in LAYERS]
    return _claim(
        "The distribution widens relative to initialization",
        "The standard deviation after training exceeds the one at initialization.",
        _verdict(flags),
        f"Training multiplies the standard deviation by {_each(ratio, lambda v: fmt_ratio(v, '1'))}.",
        {l: {"std_ratio": ratio[l]} for l in LAYERS},
    )


def _in_loop_spike(m, f):
    layers = m["stages"]["in_loop"]["layers"]
    sp = {l: layers[l]["sparsity"] for l in LAYERS}
    strong = [sp[l] >= 0.05 for l in LAYERS]
    visible = [sp[l] >= 0.01 for l in LAYERS]
    verdict = CONFIRMED if all(strong) else (PARTLY if any(visible) else REFUTED)
    tau = m["config"]["tau_loop"]
    return _claim(
        "A strong spike of weights exactly at zero",
        "Strong: at least 5% of each layer exactly zero after in-loop training; at least 1% in some layer counts as partly.",
        verdict,
        f"With τ = {fmt_tau(tau)} applied after every step, {_each(sp, lambda v: fmt_pct(v, '2'))} of the weights "
        "end exactly at zero.",
        {l: {"sparsity": sp[l]} for l in LAYERS},
    )


def _in_loop_regrowth(m, f):
    reg = f["regrowth"]
    flags = [reg[l]["records_with_regrowth"] >= 0.5 for l in LAYERS if l in reg]
    return _claim(
        "Training repeatedly tries to regrow some weights",
        "At half or more of the recorded steps, some weights zeroed by the previous prune are non-zero again before the next.",
        _verdict(flags),
        f"Of the weights zeroed by a prune, {_each({l: reg[l]['share'] for l in LAYERS}, fmt_pct)} are non-zero again "
        f"one step later; regrowth shows at {_each({l: reg[l]['records_with_regrowth'] for l in LAYERS}, lambda v: fmt_pct(v, '0'))} "
        "of the recorded steps.",
        {l: reg[l] for l in LAYERS},
    )


def _in_loop_asymmetric(m, f):
    skew = {l: m["stages"]["in_loop"]["layers"][l]["skew"] for l in LAYERS}
    plain = {l: m["stages"]["trained"]["layers"][l]["skew"] for l in LAYERS}
    flags = [abs(skew[l]) >= 0.2 and abs(skew[l]) > abs(plain[l]) for l in LAYERS]
    return _claim(
        "The distribution becomes asymmetric",
        "|skewness| ≥ 0.2 after in-loop training and larger than after plain training.",
        _verdict(flags),
        f"Skewness is {_each(skew, lambda v: fmt_fixed(v, '2'))} with pruning in the loop and "
        f"{_each(plain, lambda v: fmt_fixed(v, '2'))} without.",
        {l: {"skew_in_loop": skew[l], "skew_trained": plain[l]} for l in LAYERS},
    )


def _post_dead_zone(m, f):
    layers = m["stages"]["post"]["layers"]
    tau = m["config"]["tau_post"]
    # Below-τ share equal to the zero share: no survivor sits inside (−τ, τ).
    clean = {l: abs(_below_tau(layers[l], tau) - layers[l]["sparsity"]) * layers[l]["count"] < 0.5 for l in LAYERS}
    flags = [clean[l] and layers[l]["sparsity"] >= 0.5 for l in LAYERS]
    return _claim(
        "A large dead zone around zero",
        f"Nothing survives inside (−τ, τ) and at least half of each layer is zero, τ = {fmt_tau(tau)}.",
        _verdict(flags),
        f"Sparsity after the cut is {_each({l: layers[l]['sparsity'] for l in LAYERS}, lambda v: fmt_pct(v, '2'))}.",
        {l: {"sparsity": layers[l]["sparsity"], "no_survivor_below_tau": clean[l]} for l in LAYERS},
    )


def _post_bimodal(m, f):
    layers = m["stages"]["post"]["layers"]
    tau = m["config"]["tau_post"]
    alive = {l: layers[l]["nonzeros"] for l in LAYERS}
    kept = {l: alive[l] / layers[l]["count"] for l in LAYERS}
    two = {l: layers[l]["min"] <= -tau and layers[l]["max"] >= tau and alive[l] >= MIN_LOBES for l in LAYERS}

    def lobes(l: str) -> str:
        if not alive[l]:
            return f"nothing survives in `{l}`"
        lo, hi = layers[l]["min"], layers[l]["max"]  # over all weights, zeros included
        where = (f"from {fmt_sig(lo, '3')} to {fmt_sig(hi, '3')}" if lo < 0 < hi else
                 f"all positive, up to {fmt_sig(hi, '3')}" if hi > 0 else f"all negative, down to {fmt_sig(lo, '3')}")
        noun = "weight survives" if alive[l] == 1 else "weights survive"
        return f"{fmt_int(alive[l])} {noun} ({fmt_pct(kept[l], '2')}) in `{l}`, {where}"

    return _claim(
        "Truncated and often bimodal",
        "Two lobes in each layer: survivors on both sides of the cut (some w ≤ −τ and some w ≥ τ), "
        f"and at least {MIN_LOBES} survivors so that there is a distribution to speak of.",
        _verdict([two[l] for l in LAYERS]),
        "; ".join(lobes(l) for l in LAYERS) + ".",
        {l: {"nonzeros": alive[l], "kept": kept[l], "min": layers[l]["min"], "max": layers[l]["max"]} for l in LAYERS},
    )


def _post_final_model(m, f):
    acc = m["stages"]["post"]["accuracy"]
    base = m["stages"]["trained"]["accuracy"]
    drop = base - acc
    kept = f["post"]["kept"]
    tau = m["config"]["tau_post"]
    verdict = CONFIRMED if drop_within(drop) else REFUTED
    text = (
        f"At τ = {fmt_tau(tau)} the model keeps {_each(kept, lambda v: fmt_pct(v, '2'))} of its weights "
        f"and its test accuracy goes from {fmt_pct(base)} to {fmt_pct(acc)}, "
        f"{'a loss' if drop >= 0 else 'a gain'} of {fmt_pp(abs(drop))} points."
    )
    if verdict == REFUTED and "knee" in f:
        text += (
            f" The threshold sweep's knee, τ = {fmt_sig(f['knee']['tau'], '3')}, keeps "
            f"{fmt_pct(1 - f['knee']['sparsity']['global'], '2')} of the weights within one point of accuracy."
        )
    return _claim(
        "This is the final compressed model",
        "A usable compressed model loses at most one point of test accuracy against the trained model.",
        verdict,
        text,
        {"accuracy_trained": base, "accuracy_post": acc, "drop": drop, "kept": kept},
    )


def _post_dramatic(m, f):
    before = m["stages"]["trained"]["layers"]["global"]["sparsity"]
    after = m["stages"]["post"]["layers"]["global"]["sparsity"]
    return _claim(
        "Sparsity increases dramatically",
        "Global sparsity rises by at least 50 points through the cut.",
        CONFIRMED if after - before >= 0.5 else REFUTED,
        f"Global sparsity goes from {fmt_pct(before, '2')} to {fmt_pct(after, '2')}.",
        {"sparsity_before": before, "sparsity_after": after},
    )


def _percentile_exact(m, f):
    layers = m["stages"]["percentile"]["layers"]
    target = m["config"]["percentile"] / 100
    g = layers["global"]
    off = abs(g["sparsity"] - target) * g["count"]
    return _claim(
        "A global percentile removes exactly p% of the weights",
        "Global sparsity within one weight of p% (ties at the threshold aside).",
        CONFIRMED if off <= 1.0 + 1e-9 else REFUTED,
        f"The cut at the {fmt_sig(m['config']['percentile'], '3')}th percentile removes "
        f"{fmt_pct(g['sparsity'], '2')} of all prunable weights, unevenly: "
        f"{_each({l: layers[l]['sparsity'] for l in LAYERS}, lambda v: fmt_pct(v, '2'))}.",
        {"target": target, "global": g["sparsity"], **{l: layers[l]["sparsity"] for l in LAYERS}},
    )


# Diagnoses: the "what these visuals help diagnose" list, with measured verdicts.


def _diag_over_pruning(m, f):
    drop = f["post"]["accuracy_drop"]
    knee = f["knee"]
    tau = m["config"]["tau_post"]
    over = not drop_within(drop)
    return _claim(
        "The visuals help diagnose over-pruning (threshold too large)",
        "Over-pruned: the configured τ costs more than one point of accuracy; the knee is the largest "
        "sparsity of the sweep within one point.",
        "over-pruned" if over else "not over-pruned",
        (f"τ = {fmt_tau(tau)} is past the knee: it costs {fmt_pp(drop)} points of accuracy, while τ = "
         f"{fmt_sig(knee['tau'], '3')} reaches {fmt_pct(knee['sparsity']['global'], '2')} sparsity for "
         f"{fmt_pp(max(knee['drop'], 0))} points." if over else
         f"τ = {fmt_tau(tau)} costs {fmt_pp(drop)} points of accuracy: not over-pruned. "
         f"The knee is τ = {fmt_sig(knee['tau'], '3')} at {fmt_pct(knee['sparsity']['global'], '2')} sparsity."),
        {"drop": drop, "knee": knee, "tau_post": tau},
        tone="failure" if over else "success",
    )


def _diag_under_pruning(m, f):
    knee = f["knee"]
    sp_loop = m["stages"]["in_loop"]["layers"]["global"]["sparsity"]
    under = sp_loop < knee["sparsity"]["global"] / 2
    return _claim(
        "The visuals help diagnose under-pruning (threshold too small)",
        "Under-pruned: the in-loop threshold leaves less than half the sparsity the knee reaches at no real cost.",
        "under-pruned" if under else "not under-pruned",
        f"The in-loop τ = {fmt_tau(m['config']['tau_loop'])} ends at {fmt_pct(sp_loop, '2')} sparsity, "
        f"the knee at {fmt_pct(knee['sparsity']['global'], '2')}.",
        {"in_loop_sparsity": sp_loop, "knee_sparsity": knee["sparsity"]["global"]},
        tone="warning" if under else "success",
    )


def _diag_sensitivity(m, f):
    tol = f["tolerance"]
    names = list(tol)
    fragile = min(names, key=lambda l: tol[l])
    robust = max(names, key=lambda l: tol[l])
    same = tol[fragile] == tol[robust]
    return _claim(
        "The visuals help diagnose layer-specific sensitivity",
        "Per layer, the largest one-layer sparsity whose accuracy drop is at most one point.",
        "equally sensitive" if same else f"{fragile} more sensitive",
        ("Both layers tolerate the same sparsity: " if same else
         f"`{fragile}` is the more sensitive layer: ")
        + " and ".join(f"{fmt_pct(tol[l], '0')} (`{l}`)" for l in names) + " of a layer can go within one point.",
        {"tolerance": tol},
        tone="info",
    )


def _diag_stability(m, f):
    drop = f["in_loop"]["accuracy_drop"]
    stable = drop_within(drop)
    return _claim(
        "The visuals help diagnose training stability under live pruning",
        "Stable: the run pruned in the loop ends within one point of the plain run's accuracy.",
        "stable" if stable else "unstable",
        f"Pruned in the loop, the model ends at {fmt_pct(m['stages']['in_loop']['accuracy'])} against "
        f"{fmt_pct(m['stages']['trained']['accuracy'])} without pruning.",
        {"drop": drop},
        tone="success" if stable else "failure",
    )


def _compression_payoff(m, f):
    stages = m["compression"]["stages"]
    names = [st for st in ("init", "trained", "in_loop", "post", "percentile") if st in stages]
    smaller = [st for st in names if stages[st]["csr_bytes"] < stages[st]["dense_bytes"]]
    faster = [st for st in names if stages[st]["sparse_vs_dense_latency"] < 1]
    post = stages["post"]
    flags = [post["csr_bytes"] < post["dense_bytes"], post["sparse_vs_dense_latency"] < 1]
    listed = lambda items: ", ".join(f"`{st}`" for st in items) or "no stage"  # noqa: E731
    return _claim(
        "The pruned model is the compressed model",
        "At the post-training stage, CSR storage is smaller than dense storage and sparse inference "
        "is faster than dense inference on the CPU.",
        _verdict(flags),
        f"CSR storage is smaller than dense at {listed(smaller)}; `torch.sparse` inference beats dense at "
        f"{listed(faster)}. After the cut at τ = {fmt_tau(m['config']['tau_post'])}, CSR needs "
        f"{fmt_ratio(f['compression']['post']['csr_vs_dense'])} the dense bytes and sparse inference takes "
        f"{fmt_ratio(post['sparse_vs_dense_latency'])} the dense time.",
        {"smaller": smaller, "faster": faster},
    )


def _diag_threshold_vs_percentile(m, f):
    tvp = m["threshold_vs_percentile"]
    g, lw = tvp["global_threshold"], tvp["layerwise_percentile"]
    gap = g["accuracy"] - lw["accuracy"]
    if drop_within(abs(gap)):
        verdict, text = "no real difference", "within one point of each other"
    elif gap > 0:
        verdict, text = "global threshold better", f"{fmt_pp(gap)} points apart, the global threshold ahead"
    else:
        verdict, text = "per-layer percentile better", f"{fmt_pp(-gap)} points apart, the per-layer percentile ahead"
    return _claim(
        "Layer-specific sensitivity matters when choosing how to prune",
        "At equal global sparsity, compare one global magnitude threshold with the same percentile "
        "applied to each layer; a gap of at most one point counts as no real difference.",
        verdict,
        f"At {fmt_pct(tvp['sparsity'], '0')} global sparsity the two rules reach {fmt_pct(g['accuracy'])} and "
        f"{fmt_pct(lw['accuracy'])} test accuracy, {text}. The global threshold prunes "
        f"{_each(g['sparsity'], lambda v: fmt_pct(v, '2'))}.",
        {"gap": gap, "global_threshold": g["accuracy"], "layerwise_percentile": lw["accuracy"]},
        tone="info",
    )


CLAIMS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], dict]] = {
    "init_symmetric": _init_symmetric,
    "init_gaussian": _init_gaussian,
    "init_uniform": _init_uniform,
    "init_dense": _init_dense,
    "trained_near_zero": _trained_near_zero,
    "trained_long_tail": _trained_long_tail,
    "trained_wider": _trained_wider,
    "in_loop_spike": _in_loop_spike,
    "in_loop_regrowth": _in_loop_regrowth,
    "in_loop_asymmetric": _in_loop_asymmetric,
    "post_dead_zone": _post_dead_zone,
    "post_bimodal": _post_bimodal,
    "post_final_model": _post_final_model,
    "post_dramatic": _post_dramatic,
    "percentile_exact": _percentile_exact,
    "over_pruning": _diag_over_pruning,
    "under_pruning": _diag_under_pruning,
    "layer_sensitivity": _diag_sensitivity,
    "live_stability": _diag_stability,
    "compression_payoff": _compression_payoff,
    "threshold_vs_percentile": _diag_threshold_vs_percentile,
}


def evaluate(metrics: Mapping[str, Any], facts: Mapping[str, Any] | None = None) -> dict[str, dict]:
    """Every claim whose inputs exist in ``metrics``, by name."""
    facts = derive_facts(metrics) if facts is None else facts
    out = {}
    for name, judge in CLAIMS.items():
        try:
            out[name] = judge(metrics, facts)
        except (KeyError, IndexError, ZeroDivisionError):
            continue
    return out


def publish(metrics: Mapping[str, Any]) -> dict:
    """The tree published as ``static/metrics.json``: metrics plus ``facts`` and ``claims``."""
    facts = derive_facts(metrics)
    return {**metrics, "facts": facts, "claims": evaluate(metrics, facts)}
