"""Choosing the ensemble weight and the decision thresholds on the dev split.

The thresholds are what makes automatic staff attribution safe: the staff
threshold is the smallest one whose dev false blame, by its one-sided upper
confidence bound, stays within ``decision.max_false_blame``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..labels import LABELS, STAFF_CAUSES, UNCLEAR, gold_attribution
from ..model import CauseModel

_UNCLEAR_IDX = LABELS.index(UNCLEAR)


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=list(labels), average="macro", zero_division=0))


def _false_blame_bound(k: int, n: int, level: float | None) -> float:
    """Point estimate k/n, or its one-sided Clopper-Pearson upper bound at ``level``."""
    if not level:
        return k / n
    from scipy.stats import beta

    return 1.0 if k >= n else float(beta.ppf(level, k + 1, n - k))


def choose_thresholds(model: CauseModel, texts, labels, cfg, progress) -> dict:
    """Pick the ensemble weight and the decision thresholds on dev."""
    lr_p = model.lr_proba(texts) if model.lr is not None else None
    sp_p = model.spacy_proba(texts) if model.nlp is not None else None
    w_fixed = cfg["ensemble"]["w_lr"]
    if lr_p is None:
        grid = [0.0]
    elif sp_p is None:
        grid = [1.0]
    elif w_fixed is not None:
        grid = [float(w_fixed)]
    else:
        grid = [round(x, 2) for x in np.linspace(0, 1, 11)]
    best = (-1.0, 0.5)
    for w in grid:
        P = np.asarray((w * lr_p if lr_p is not None else 0) + ((1 - w) * sp_p if sp_p is not None else 0))
        pred = [LABELS[i] for i in P.argmax(axis=1)]
        f1 = macro_f1(labels, pred, LABELS)
        # prefer the middle on ties: more diverse ensembles generalise better
        if f1 > best[0] + 1e-9 or (abs(f1 - best[0]) <= 1e-9 and abs(w - 0.5) < abs(best[1] - 0.5)):
            best = (f1, w)
    model.params["w_lr"] = best[1]
    model.params["dev_label_macro_f1_at_w"] = round(best[0], 4)
    progress(f"  ensemble weight w_lr={best[1]:.2f} (dev 12-label macro-F1 {best[0]:.4f})")

    # Decisions with no thresholds (everything automatic) to read the scores.
    model.params["staff_threshold"] = 0.0
    model.params["other_threshold"] = 0.0
    model.params["unclear_threshold"] = 1.01
    decs = model.predict(texts)
    gold_att = [gold_attribution(y) for y in labels]
    # Unclear threshold: the largest u such that >= unclear_min_confirmation of the
    # dev unclear texts are asked about (top label unclear, or P(unclear) >= u).
    unc = [d for d, y in zip(decs, labels) if y == UNCLEAR]
    target_u = cfg["decision"]["unclear_min_confirmation"]
    u_best = 1.01
    if unc:
        for u in [round(x, 2) for x in np.arange(0.5, 0.04, -0.05)]:
            asked = sum(1 for d in unc if d.top_label == UNCLEAR or d.label_probs[_UNCLEAR_IDX] >= u)
            if asked / len(unc) >= target_u:
                u_best = u
                break
        else:
            u_best = 0.05
    model.params["unclear_threshold"] = u_best
    decs = model.predict(texts)
    progress(
        f"  unclear threshold {u_best:.2f}: dev unclear asked "
        f"{sum(d.needs_confirmation for d in unc)}/{len(unc)}"
    )
    # Staff threshold: smallest t such that the share of non-staff|none|unclear dev
    # texts auto-attributed to staff is <= max_false_blame (by its upper bound).
    neg = [d for d, g in zip(decs, gold_att) if g != "staff"]
    n_neg = max(1, len(neg))
    staff_scores = sorted(
        {round(d.staff_prob, 6) for d in decs if d.top_label in STAFF_CAUSES and not d.needs_confirmation}
    )
    target = cfg["decision"]["max_false_blame"]
    level = cfg["decision"].get("false_blame_confidence")
    t_staff = 1.01
    for t in [0.0] + staff_scores:
        fb = sum(1 for d in neg if d.top_label in STAFF_CAUSES and not d.needs_confirmation and d.staff_prob >= t)
        if _false_blame_bound(fb, n_neg, level) <= target:
            t_staff = t
            break
    # never below 0.5: an automatic staff booking needs the majority of the mass
    t_staff = max(t_staff, 0.5)
    pos = [d for d, g in zip(decs, gold_att) if g == "staff"]
    cov = sum(1 for d in pos if d.top_label in STAFF_CAUSES and not d.needs_confirmation and d.staff_prob >= t_staff)
    fb = sum(1 for d in neg if d.top_label in STAFF_CAUSES and not d.needs_confirmation and d.staff_prob >= t_staff)
    model.params["staff_threshold"] = round(float(t_staff), 6)
    progress(
        f"  staff threshold {t_staff:.3f}: dev false blame {fb}/{len(neg)} = {fb / n_neg:.4f} "
        f"(upper bound {_false_blame_bound(fb, n_neg, level):.4f}), "
        f"staff coverage {cov}/{len(pos)} = {cov / max(1, len(pos)):.3f}"
    )
    # Non-staff threshold: smallest t whose automatic non-staff decisions have
    # attribution precision >= other_min_precision on dev.
    other = [(d.confidence, gold_att[i] == d.attribution) for i, d in enumerate(decs)
             if d.top_label != UNCLEAR and d.top_label not in STAFF_CAUSES]
    other.sort()
    t_other = 0.0
    min_prec = cfg["decision"]["other_min_precision"]
    for j, (c, _) in enumerate(other):
        kept = other[j:]
        prec = sum(ok for _, ok in kept) / len(kept)
        if prec >= min_prec:
            t_other = c
            break
    model.params["other_threshold"] = round(float(t_other), 6)
    progress(f"  non-staff threshold {t_other:.3f} (attribution precision >= {min_prec})")
    return model.params
