"""New words for the jieba dictionary, learned from a centre's person labels.

A centre in a new industry writes words jieba's main dictionary does not know
(抽卡, 补单, 充电枪 …); jieba then cuts them into characters and the spaCy
word model sees noise. :func:`learn_words` runs jieba's HMM new-word discovery
over the label texts once, at training time, and keeps the unknown words found
in at least ``min_docs`` different texts; :func:`write_userdict` writes the
project dictionary plus these words, which the version keeps as its own
dictionary (inference never runs the HMM).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

_WORD = re.compile(r"^(?:[\u4e00-\u9fff]{2,6}|[A-Za-z]{2,10})$")
# HMM artefacts glue a pronoun, a number word or a particle to a neighbour ("我要", "一到", "充了").
_EDGE_JUNK = re.compile(r"^[我你您他她它这那一就都也还又]|[了的着过吗呢吧啊呀]$")
#: Frequency given to a learned word: high enough that jieba keeps it whole.
WORD_FREQ = 1000


def learn_words(texts: Iterable[str], seg, min_docs: int = 2, max_words: int = 300) -> list[str]:
    """Words unknown to ``seg`` that jieba's HMM finds in at least ``min_docs`` of ``texts``.

    Args:
        texts: Prepared label texts.
        seg: The ``jieba.Tokenizer`` the model would use.
        min_docs: Minimum number of distinct texts a word must occur in.
        max_words: Keep at most this many (most frequent first).

    Returns:
        The words, most frequent first (ties in alphabetical order).
    """
    docs: Counter[str] = Counter()
    for text in texts:
        found = {w for w in seg.cut(text, HMM=True) if _WORD.match(w) and not _EDGE_JUNK.search(w)
                 and seg.FREQ.get(w, 0) == 0}
        docs.update(found)
    words = [w for w, n in docs.items() if n >= min_docs]
    words.sort(key=lambda w: (-docs[w], w))
    return words[:max_words]


def write_userdict(base: Path | None, words: Iterable[str], out: Path) -> Path:
    """Write ``base`` (if any) followed by ``words`` as a jieba userdict at ``out``."""
    lines = []
    if base is not None and Path(base).is_file():
        lines.append(Path(base).read_text(encoding="utf-8").rstrip("\n"))
    lines += [f"{w} {WORD_FREQ} n" for w in words]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
