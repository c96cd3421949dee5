"""The diagnoses beyond the reference's sentences, judged from the run: over- and
under-pruning, layer sensitivity, stability of in-loop pruning, the compression payoff,
one global threshold against per-layer percentiles, pruning methods at the same sparsity,
layer collapse and, where the run has it, the lottery ticket."""

from __future__ import annotations

from ..formatting import fmt_int, fmt_pct, fmt_pp, fmt_ratio, fmt_sig, fmt_tau, signed_pp
from ..names import RANKING_LABEL
from ..results import drop_within
from ..seeds.value import Seeds, mean
from .verdicts import CONFIRMED, PARTLY, REFUTED, each, judged, verdict_of


def diag_over_pruning(m, f):
    drop = f["post"]["accuracy_drop"]
    knee = f["knee"]
    tau = m["config"]["tau_post"]
    over = not drop_within(mean(drop))
    return judged(
        "The visuals help diagnose over-pruning (threshold too large)",
        "Over-pruned: the configured τ costs more than one point of accuracy; the knee is the largest "
        "sparsity of the sweep within one point.",
        "over-pruned" if over else "not over-pruned",
        (f"τ = {fmt_tau(tau)} is past the knee: it costs {fmt_pp(drop)} points of accuracy, while τ = "
         f"{fmt_sig(knee['tau'], '3')} reaches {fmt_pct(knee['sparsity']['global'], '2')} sparsity for "
         f"{fmt_pp(knee['loss'])} points." if over else
         f"τ = {fmt_tau(tau)} costs {fmt_pp(drop)} points of accuracy: not over-pruned. "
         f"The knee is τ = {fmt_sig(knee['tau'], '3')} at {fmt_pct(knee['sparsity']['global'], '2')} sparsity."),
        {"drop": drop, "knee": knee, "tau_post": tau},
        tone="failure" if over else "success",
    )


def diag_under_pruning(m, f):
    knee = f["knee"]
    sp_loop = m["stages"]["in_loop"]["layers"]["global"]["sparsity"]
    under = mean(sp_loop) < mean(knee["sparsity"]["global"]) / 2
    return judged(
        "The visuals help diagnose under-pruning (threshold too small)",
        "Under-pruned: the in-loop threshold leaves less than half the sparsity the knee reaches at no real cost.",
        "under-pruned" if under else "not under-pruned",
        f"The in-loop τ = {fmt_tau(m['config']['tau_loop'])} ends at {fmt_pct(sp_loop, '2')} sparsity, "
        f"the knee at {fmt_pct(knee['sparsity']['global'], '2')}.",
        {"in_loop_sparsity": sp_loop, "knee_sparsity": knee["sparsity"]["global"]},
        tone="warning" if under else "success",
    )


def diag_sensitivity(m, f):
    tol = f["tolerance"]
    names = list(tol)
    fragile = min(names, key=lambda l: mean(tol[l]))
    robust = max(names, key=lambda l: mean(tol[l]))
    same = mean(tol[fragile]) == mean(tol[robust])
    return judged(
        "The visuals help diagnose layer-specific sensitivity",
        "Per layer, the largest one-layer sparsity whose accuracy drop is at most one point.",
        "equally sensitive" if same else f"{fragile} {'more' if len(names) == 2 else 'most'} sensitive",
        ("Every layer tolerates the same sparsity: " if same else
         f"`{fragile}` is the {'more' if len(names) == 2 else 'most'} sensitive layer: ")
        + each(tol, lambda v: fmt_pct(v, '0')) + " of a layer can go within one point.",
        {"tolerance": tol},
        tone="info",
    )


def diag_stability(m, f):
    drop = f["in_loop"]["accuracy_drop"]
    stable = drop_within(mean(drop))
    return judged(
        "The visuals help diagnose training stability under live pruning",
        "Stable: the run pruned in the loop ends within one point of the plain run's accuracy.",
        "stable" if stable else "unstable",
        f"Pruned in the loop, the model ends at {fmt_pct(m['stages']['in_loop']['accuracy'])} against "
        f"{fmt_pct(m['stages']['trained']['accuracy'])} without pruning.",
        {"drop": drop},
        tone="success" if stable else "failure",
    )


def compression_payoff(m, f):
    stages = m["compression"]["stages"]
    names = [st for st in ("init", "trained", "in_loop", "post", "percentile") if st in stages]
    smaller = [st for st in names if mean(stages[st]["csr_bytes"]) < mean(stages[st]["dense_bytes"])]
    faster = [st for st in names if mean(stages[st]["sparse_vs_dense_latency"]) < 1]
    post = stages["post"]
    flags = ["post" in smaller, "post" in faster]
    listed = lambda items: ", ".join(f"`{st}`" for st in items) or "no stage"  # noqa: E731
    return judged(
        "The pruned model is the compressed model",
        "At the post-training stage, CSR storage is smaller than dense storage and sparse inference "
        "is faster than dense inference on the CPU.",
        verdict_of(flags),
        f"CSR storage is smaller than dense at {listed(smaller)}; `torch.sparse` inference beats dense at "
        f"{listed(faster)}. After the cut at τ = {fmt_tau(m['config']['tau_post'])}, CSR needs "
        f"{fmt_ratio(f['compression']['post']['csr_vs_dense'])} the dense bytes and sparse inference takes "
        f"{fmt_ratio(post['sparse_vs_dense_latency'])} the dense time. That is storage and speed only: the model "
        f"so cut scores {fmt_pct(m['stages']['post']['accuracy'])} test accuracy.",
        {"smaller": smaller, "faster": faster},
    )


def diag_threshold_vs_percentile(m, f):
    tvp = m["threshold_vs_percentile"]
    g, lw = tvp["global_threshold"], tvp["layerwise_percentile"]
    gap = f["threshold_vs_percentile"]["accuracy_gap"]
    if drop_within(abs(mean(gap))):
        verdict, text = "no real difference", "within one point of each other"
    elif mean(gap) > 0:
        verdict, text = "global threshold better", f"{fmt_pp(gap)} points apart, the global threshold ahead"
    else:
        verdict, text = ("per-layer percentile better", f"{fmt_pp(f['threshold_vs_percentile']['layerwise_lead'])} "
                         "points apart, the per-layer percentile ahead")
    return judged(
        "Layer-specific sensitivity matters when choosing how to prune",
        "At equal global sparsity, compare one global magnitude threshold with the same percentile "
        "applied to each layer; a gap of at most one point counts as no real difference.",
        verdict,
        f"At {fmt_pct(tvp['sparsity'], '0')} global sparsity the two rules reach {fmt_pct(g['accuracy'])} and "
        f"{fmt_pct(lw['accuracy'])} test accuracy, {text}. The global threshold prunes "
        f"{each(g['sparsity'], lambda v: fmt_pct(v, '2'))}.",
        {"gap": gap, "global_threshold": g["accuracy"], "layerwise_percentile": lw["accuracy"]},
        tone="info",
    )


def diag_matched_sparsity(m, f):
    meth = m["methods"]
    target = f["methods"]["compared_target"]
    acc = {name: series[meth["targets"].index(target)] for name, series in meth["accuracy"].items()}
    gap = f["methods"]["gradual_lead"]
    if drop_within(abs(mean(gap))):
        verdict, text = "no real difference", (f"gradual pruning and one-shot pruning with fine-tuning end within "
                                               f"one point of each other, {fmt_pp(gap)} points apart")
    elif mean(gap) > 0:
        verdict, text = "gradual pruning ahead", (f"gradual pruning keeps {fmt_pp(gap)} points more accuracy than "
                                                  f"one-shot pruning with fine-tuning")
    else:
        verdict, text = "one-shot pruning ahead", (f"one-shot pruning with fine-tuning keeps "
                                                   f"{fmt_pp(f['methods']['one_shot_lead'])} points more accuracy "
                                                   "than gradual pruning")
    over_random = f["methods"]["magnitude_over_random"]
    return judged(
        "Pruning inside the training loop or after it, at the same sparsity",
        f"At {fmt_pct(target, '0')} sparsity of the selected layers, gradual magnitude pruning inside the loop "
        f"against one-shot magnitude pruning of the trained weights, each layer to that sparsity, fine-tuned for "
        f"{meth['finetune_steps']:,} steps with its mask fixed; a gap of at most one point counts as no real difference.",
        verdict,
        f"At {fmt_pct(target, '0')} sparsity {text} "
        f"({fmt_pct(acc['gradual'])} gradual against {fmt_pct(acc['layer_finetuned'])}; {fmt_pct(acc['layer'])} before "
        f"fine-tuning, {fmt_pct(acc['global_finetuned'])} with one global ranking). Random pruning at the same "
        f"sparsity, fine-tuned alike, reaches {fmt_pct(acc['random_finetuned'])}: magnitude ranking is worth "
        f"{fmt_pp(over_random)} points over it. Unpruned: {fmt_pct(meth['dense_accuracy'])}." + _over_the_curve(m, f),
        {"target": target, "gap": gap, **acc, "dense": meth["dense_accuracy"]},
        tone="info",
    )


def _over_the_curve(m, f) -> str:
    """With gradual runs at several targets: gradual minus one-shot (per layer, fine-tuned)
    at each, and from which target on the two part by more than one point."""
    leads = [(target, lead) for target, lead in zip(m["methods"]["targets"], f["methods"]["gradual_leads"])
             if lead is not None]
    if len(leads) < 2:
        return ""
    said = ", ".join(f"{signed_pp(lead)} at {fmt_pct(target, '0')}" for target, lead in leads)
    apart = next((target for target, lead in leads if not drop_within(abs(mean(lead)))), None)
    return (f" Over the gradual curve, gradual minus one-shot with fine-tuning is {said} (points); "
            + (f"the two part by more than a point from {fmt_pct(apart, '0')}." if apart is not None else
               "they stay within a point of each other at every target."))




def diag_layer_collapse(m, f):
    meth = m["methods"]
    targets, last = meth["targets"], m["prunable_layers"][-1]
    found = [(ranking, layer, next(i for i, dead in enumerate(series["dead_units"]) if _some(dead)))
             for ranking in RANKING_LABEL for layer, series in meth["layers"][ranking].items()
             if any(_some(dead) for dead in series["dead_units"])]  # each layer's lightest collapsing target
    if not found:
        return judged(
            "Layer collapse: a ranking that empties a layer's output unit",
            _COLLAPSE_CRITERION, "no layer collapses",
            f"Up to {fmt_pct(targets[-1], '0')} sparsity every pruned layer keeps at least one weight for each "
            "of its output units, under every ranking.",
            {"collapsed": []}, tone="success")
    # the classes first (the last layer), under one global ranking first, at the lightest target
    ranking, layer, i = min(found, key=lambda hit: (hit[1] != last, hit[0] != "global", hit[2]))
    dead = meth["layers"][ranking][layer]["dead_units"][i]
    what = "classes the model can no longer predict from its input" if layer == last else \
        "units that pass on nothing but their bias"
    text = (f"Under {RANKING_LABEL[ranking]}, `{layer}` keeps no weight for {_counts(dead)} of its "
            f"{meth['units'][layer]:,} output units ({what}) at {fmt_pct(targets[i], '0')} sparsity, "
            f"{_in_seeds(dead)}.")
    if ranking == "global":
        ahead, behind = f["methods"]["layer_over_global"][i], f["methods"]["global_over_layer"][i]
        text += (" There ranking each layer on its own, which leaves every layer the same share of its weights, "
                 + (f"ends {fmt_pp(ahead)} points ahead of" if mean(ahead) >= 0 else f"ends {fmt_pp(behind)} points behind")
                 + " one global ranking after fine-tuning.")
    also = [f"{RANKING_LABEL[r]}: `{name}` from {fmt_pct(targets[k], '0')}" for r, name, k in found if (r, name) != (ranking, layer)]
    text += (" Also: " + "; ".join(also) + ".") if also else ""
    return judged(
        "Layer collapse: a ranking that empties a layer's output unit",
        _COLLAPSE_CRITERION, f"{layer} collapses", text,
        {"collapsed": [{"ranking": r, "layer": name, "target": targets[k]} for r, name, k in found]}, tone="failure")


_COLLAPSE_CRITERION = ("A layer collapses at a target when pruning leaves one of its output units (a row of its "
                       "weight) without a single weight, in some seed (Tanaka et al. 2020); read at each ranking's "
                       "lightest such target, the last layer's (whose units are the classes) first, then one "
                       "global ranking's.")


def _some(dead) -> bool:
    """Whether a dead-unit count (over seeds: any seed's) is above zero; None: no run."""
    return dead is not None and (any(v > 0 for v in dead.values) if isinstance(dead, Seeds) else dead > 0)


def _counts(dead) -> str:
    """'2' or, over seeds, the counts of the seeds that have any: '2 or 3'."""
    if not isinstance(dead, Seeds):
        return fmt_int(dead)
    return " or ".join(fmt_int(v) for v in sorted({v for v in dead.values if v > 0}))


def _in_seeds(dead) -> str:
    if not isinstance(dead, Seeds):
        return "in every seed"
    return f"in {sum(v > 0 for v in dead.values)} of {len(dead.values)} seeds"


def diag_lottery_ticket(m, f):
    lot, facts = m["lottery"], f["lottery"]
    rounds, sparsity, dense = lot["rounds"], lot["sparsity"], lot["dense_accuracy"]
    ticket, control = lot["accuracy"]["ticket"], lot["accuracy"]["control"]
    # per round, in every seed: whether the ticket is a winning one (the criterion)
    winning = [[drop_within(drop) and lead > 0 and not drop_within(lead) for drop, lead in
                zip(_seed_values(drop_at), _seed_values(lead_at))]
               for drop_at, lead_at in zip(facts["ticket_drop"], facts["ticket_lead"])]
    matches = [drop_within(mean(drop)) for drop in facts["ticket_drop"]]
    verdict = CONFIRMED if any(map(any, winning)) else PARTLY if any(matches) else REFUTED
    at = lambda i: f"{fmt_pct(facts['remaining'][i])} of the weights left (round {rounds[i]})"  # noqa: E731
    if any(matches):
        last = max(i for i, match in enumerate(matches) if match)
        text = (f"The rewound ticket ends within a point of the unpruned model ({fmt_pct(dense)}) as "
                f"late as {at(last)}: {fmt_pct(ticket[last])}.")
    else:
        text = f"No round's ticket ends within a point of the unpruned model ({fmt_pct(dense)})."
    seeds = len(winning[0])
    found = [f"round {k}" + (f" in {sum(won)} of {seeds} seeds" if seeds > 1 else "")
             for k, won in zip(rounds, winning) if any(won)]
    text += (f" Ticket minus re-initialised control, round by round: "
             f"{', '.join(signed_pp(lead) for lead in facts['ticket_lead'])} points. A winning ticket (within a point "
             "of the unpruned model and more than a point above its control): "
             + ("; ".join(found) if found else "at no round") + "."
             + f" After the last round ({fmt_pct(sparsity[-1], '2')} sparse) the ticket ends at {fmt_pct(ticket[-1])}, "
             f"its control at {fmt_pct(control[-1])}.")
    return judged(
        "Iterative pruning with rewinding finds a winning ticket (Frankle & Carbin 2019)",
        "Each round prunes 20% of every pruned layer's surviving weights (the last at half that rate), rewinds "
        "the rest to their initial values and trains again; a round is a winning ticket when it ends within one "
        "point of the unpruned model, or above it, and more than one point above the same mask trained from "
        "re-initialised weights. Confirmed: some round is one; partly: the ticket matches the unpruned model "
        "somewhere but never leads its control by more than a point; refuted: it never matches.",
        verdict, text,
        {"rounds": rounds, "sparsity": sparsity, "ticket": ticket, "control": control, "dense": dense})


def _seed_values(value) -> tuple:
    """A number's value in every seed (one, where it is not over seeds)."""
    return value.values if isinstance(value, Seeds) else (value,)
