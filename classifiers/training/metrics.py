"""Evaluation metrics shared by ``classifier evaluate``, the tests and the benchmark."""
from __future__ import annotations

from collections.abc import Sequence

from ..labels import ATTRIBUTION, CAUSES, UNCLEAR, gold_attribution


def evaluate(
    gold: Sequence[str],
    causes: Sequence[str],
    attributions: Sequence[str],
    needs_confirmation: Sequence[bool],
) -> dict:
    """Score predictions against gold labels (11 causes or ``unclear``).

    * ``binary_macro_f1`` — staff vs not-staff, over texts with one of the 11 gold causes,
      from the predicted *attribution* (whether or not it needs confirmation);
    * ``cause_macro_f1`` — macro-F1 over the 11 causes, same texts;
    * ``false_blame_rate`` — share of gold non-staff, none and unclear texts that were
      attributed to staff *without* confirmation;
    * ``unclear_not_blamed`` — share of gold unclear texts whose attribution is not staff
      (strict: a staff guess counts as blame even with confirmation);
    * ``unclear_confirmation_rate`` — share of gold unclear texts with needs_confirmation;
    * ``coverage`` — share of all texts decided without confirmation;
      ``staff_coverage`` — share of gold staff texts auto-attributed to staff.
    """
    from sklearn.metrics import f1_score

    n = len(gold)
    idx11 = [i for i, g in enumerate(gold) if g != UNCLEAR]
    g11 = [gold[i] for i in idx11]
    c11 = [causes[i] for i in idx11]
    gb = [ATTRIBUTION[g] == "staff" for g in g11]
    pb = [attributions[i] == "staff" for i in idx11]
    out: dict = {"n": n, "n_causes": len(idx11), "n_unclear": n - len(idx11)}
    out["binary_macro_f1"] = float(f1_score(gb, pb, average="macro", zero_division=0)) if idx11 else 0.0
    out["cause_macro_f1"] = float(f1_score(g11, c11, labels=list(CAUSES), average="macro", zero_division=0)) if idx11 else 0.0
    out["cause_accuracy"] = sum(a == b for a, b in zip(g11, c11)) / max(1, len(g11))
    neg = [i for i, g in enumerate(gold) if gold_attribution(g) != "staff"]
    fb = [i for i in neg if attributions[i] == "staff" and not needs_confirmation[i]]
    out["false_blame"] = len(fb)
    out["false_blame_rate"] = len(fb) / max(1, len(neg))
    unc = [i for i, g in enumerate(gold) if g == UNCLEAR]
    out["unclear_not_blamed"] = sum(attributions[i] != "staff" for i in unc) / max(1, len(unc))
    auto_blamed = sum(attributions[i] == "staff" and not needs_confirmation[i] for i in unc)
    out["unclear_not_auto_blamed"] = 1 - auto_blamed / max(1, len(unc))
    out["unclear_confirmation_rate"] = sum(bool(needs_confirmation[i]) for i in unc) / max(1, len(unc))
    out["coverage"] = sum(not c for c in needs_confirmation) / max(1, n)
    pos = [i for i, g in enumerate(gold) if gold_attribution(g) == "staff"]
    out["staff_coverage"] = sum(attributions[i] == "staff" and not needs_confirmation[i] for i in pos) / max(1, len(pos))
    auto = [i for i in idx11 if not needs_confirmation[i]]
    out["auto_cause_accuracy"] = sum(causes[i] == gold[i] for i in auto) / max(1, len(auto))
    per = f1_score(g11, c11, labels=list(CAUSES), average=None, zero_division=0) if idx11 else [0.0] * len(CAUSES)
    out["per_cause_f1"] = {c: round(float(f), 4) for c, f in zip(CAUSES, per)}
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def format_metrics(m: dict) -> str:
    lines = [
        f"n={m['n']} (causes {m['n_causes']}, unclear {m['n_unclear']})",
        f"binary staff/non-staff macro-F1 {m['binary_macro_f1']:.4f}",
        f"11-cause macro-F1               {m['cause_macro_f1']:.4f}  (accuracy {m['cause_accuracy']:.4f})",
        f"false blame                     {m['false_blame']} = {m['false_blame_rate']:.4f}",
        f"unclear not blamed on staff     {m['unclear_not_blamed']:.4f} "
        f"(confirmation asked {m['unclear_confirmation_rate']:.4f})",
        f"coverage (no confirmation)      {m['coverage']:.4f}  staff coverage {m['staff_coverage']:.4f}",
        "per-cause F1: " + "  ".join(f"{k}={v:.2f}" for k, v in m["per_cause_f1"].items()),
    ]
    return "\n".join(lines)
