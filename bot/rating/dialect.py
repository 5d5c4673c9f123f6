"""Bring Cantonese wording and English replies into the scale vocabulary the parser scores.

The parser's conventions are written once, for Mandarin (满意 = 4, 一般 = 3,
非常不满意 = 1 ...). Rather than a second set of rules, replies in Cantonese or
English are rewritten into that vocabulary first, so "唔係好滿意", "not
satisfied" and "不太满意" are scored by the same rule.

Cantonese: ``zhtext.normalize`` converts written Cantonese and Taiwan/Hong
Kong wording (唔 negates like 不, 冇 like 没, 係 is 是); this module only adds
the Cantonese verb of giving a score (畀/俾 → 给).

English: number words count only as a whole clause or with a scale unit
("four", "4 stars", "4 out of 5", "give you five"), never inside a sentence
("took two months"); rating words map to the Chinese scale words of the same
point; "not bad" is read like 不错, which the conventions leave unscored.
"""
from __future__ import annotations

import re

# zhtext.normalize already turns written Cantonese into Mandarin (唔→不, 冇→没, 係→是,
# 麻麻哋→一般般 ...); only the verb of giving a score is left to do here ("畀5分").
_CANTONESE = (("畀", "给"), ("俾", "给"))

_NUMBER_WORDS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                 "seven": "7", "eight": "8", "nine": "9", "ten": "10"}
_NUM = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|[0-9]+)"
# A number word as a whole clause, with a unit, or after "give".
_EN_SCORE_RE = re.compile(
    rf"(?<![a-z])(?:(?P<give>(?:i'?d |i would |i will |i'll )?give(?: you| it| them)?(?: a)? )(?P<n1>{_NUM})"
    rf"|(?P<n2>{_NUM}) ?(?:stars?|points?|out of (?:5|five)|of (?:5|five)|/ ?5)"
    rf"|^(?P<n3>{_NUM})(?=$|[\s,.!?;:~]))(?![a-z])",
    re.I,
)
_EN_CLAUSE_NUM_RE = re.compile(rf"(?<=[,.!?;:] )(?P<n>{_NUM})(?=$|[\s,.!?;:~])", re.I)

# Longest phrases first; each maps to the Chinese scale word of the same point.
_EN_WORDS = (
    ("not bad", "不错"),
    ("very dissatisfied", "非常不满意"), ("very unsatisfied", "非常不满意"), ("very disappointed", "非常不满意"),
    ("very bad", "非常不满意"), ("very poor", "非常不满意"), ("terrible", "非常不满意"),
    ("awful", "非常不满意"), ("horrible", "非常不满意"), ("worst", "非常不满意"),
    ("not satisfied", "不满意"), ("not good", "不满意"), ("dissatisfied", "不满意"), ("unsatisfied", "不满意"),
    ("disappointed", "不满意"), ("unhappy", "不满意"), ("poor", "不满意"), ("bad", "不满意"),
    ("very satisfied", "非常满意"), ("very good", "非常满意"), ("excellent", "非常满意"), ("perfect", "非常满意"),
    ("amazing", "非常满意"), ("awesome", "非常满意"), ("outstanding", "非常满意"), ("fantastic", "非常满意"),
    ("great", "非常满意"), ("superb", "非常满意"),
    ("pretty good", "满意"), ("satisfied", "满意"), ("good", "满意"), ("nice", "满意"), ("happy", "满意"),
    ("so-so", "一般"), ("so so", "一般"), ("average", "一般"), ("mediocre", "一般"), ("fair", "一般"),
    ("neutral", "一般"),
)
_EN_WORD_RE = re.compile(
    r"(?<![a-z])(" + "|".join(re.escape(w) for w, _ in _EN_WORDS) + r")(?![a-z])", re.I
)
_EN_WORD_MAP = {w: zh for w, zh in _EN_WORDS}
_LATIN_RE = re.compile(r"[a-z]{2}", re.I)
# "4/5": a score out of five, in any language.
_OUT_OF_FIVE_RE = re.compile(r"(?<![0-9/.])([1-5]) ?/ ?5(?![0-9/.])")


def _digits(word: str) -> str:
    return _NUMBER_WORDS.get(word.lower(), word)


def _english_score(m: re.Match[str]) -> str:
    if m.group("n1"):
        return m.group("give") + _digits(m.group("n1")) + "分"
    if m.group("n2"):
        return " " + _digits(m.group("n2")) + "分 "
    return _digits(m.group("n3"))


def to_scale_vocabulary(text: str) -> str:
    """Rewrite Cantonese negation and English scale wording of a normalised reply into Mandarin scale words.

    Args:
        text: Output of ``zhtext.normalize.normalize`` (lower-case folding not required).

    Returns:
        The text with the scale-relevant Cantonese characters and English
        phrases replaced; everything else is left as it was.
    """
    for yue, mandarin in _CANTONESE:
        text = text.replace(yue, mandarin)
    text = _OUT_OF_FIVE_RE.sub(r"\1分", text)
    if not _LATIN_RE.search(text):
        return text
    text = _EN_SCORE_RE.sub(_english_score, text)
    text = _EN_CLAUSE_NUM_RE.sub(lambda m: _digits(m.group("n")), text)
    return _EN_WORD_RE.sub(lambda m: _EN_WORD_MAP[m.group(1).lower()], text)
