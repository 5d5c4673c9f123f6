"""The data card of one trained version: what went into it (JSON + a readable Markdown summary).

Saved as ``datacard.json`` and ``DATACARD.md`` inside the version directory.
"""
from __future__ import annotations

from ..labels import LABELS


def render_markdown(card: dict) -> str:
    """A short Markdown summary of a version's data card."""
    lab = card.get("labels") or {}
    lines = [
        f"# Data card of version `{card.get('version', '?')}`",
        "",
        f"Created {card.get('created_at', '?')}.",
        "",
        "## Hashes",
        "",
        f"- corpus: `{card['corpus']['data_hash']}` ({card['corpus']['items']} items)",
        f"- person labels: `{lab.get('hash') or '-'}`",
    ]
    for name, digest in sorted((card.get("frozen_sets") or {}).items()):
        lines.append(f"- frozen set `{name}`: `{digest}`")
    lines += ["", "## Person labels", ""]
    if not lab.get("trained"):
        lines.append("None: trained on the committed corpus only.")
    else:
        lines.append(
            f"{lab['input']} labels given, {lab['trained']} trained on (weight ×{lab['weight']:g} relative to a "
            f"corpus item), {lab.get('duplicates', 0)} duplicates, {len(card.get('conflicts', []))} conflicting texts, "
            f"{lab.get('not_trained_weight_0', 0)} not trained on (source weight 0), "
            f"{lab.get('not_trained_customer_blame', 0)} customer choices blaming the agent not trained on."
        )
        lines += ["", "| source | given |", "|---|---:|"]
        lines += [f"| {s} | {n} |" for s, n in lab["by_source"].items()]
        sources = list(lab["by_source_cause"])
        lines += ["", "| cause (trained) | " + " | ".join(sources) + " | all |", "|---|" + "---:|" * (len(sources) + 1)]
        for c in LABELS:
            row = [lab["by_source_cause"][s].get(c, 0) for s in sources]
            if sum(row):
                lines.append(f"| `{c}` | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    moved = card.get("corpus_items_replaced") or {}
    if any(moved.values()):
        lines += ["", "Corpus items whose text a person labelled (taken out of their split; the label trains): "
                  + ", ".join(f"{k} {v}" for k, v in moved.items()) + "."]
    if card.get("overrides_corpus"):
        lines += ["", f"{len(card['overrides_corpus'])} person labels contradict the corpus label (the person wins):", ""]
        lines += [f"- {o['text']} — corpus `{o['corpus_cause']}`, person `{o['label_cause']}`"
                  for o in card["overrides_corpus"][:50]]
    if card.get("conflicts"):
        lines += ["", "## Conflicts (listed for review; the latest decision was trained)", ""]
        for c in card["conflicts"][:200]:
            who = "; ".join(f"{d['cause']} by {d['who']} ({d['source']}, {d['at']})" for d in c["decisions"])
            lines.append(f"- {c['text']} → `{c['winner']['cause']}` — {who}")
    if card.get("learned_words"):
        lines += ["", f"## Words added to the jieba dictionary from the labels ({len(card['learned_words'])})", "",
                  "、".join(card["learned_words"])]
    return "\n".join(lines) + "\n"
