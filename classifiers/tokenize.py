"""jieba segmentation with the project's user dictionary, and the blank spaCy pipeline.

The user dictionary ``classifiers/resources/jieba/userdict.txt`` is a plain
jieba userdict (``word [freq] [tag]`` per line). The Rasa ``JiebaTokenizer``
loads the same directory (every file in it), so keep only that file there.

Loading a user dictionary changes jieba's global state for the whole
process; :func:`ensure_jieba` does it once, under a lock.

The spaCy pipeline is ``spacy.blank("zh")`` whose tokenizer is jieba in
precise mode (``cut_all=False``) **without HMM new-word discovery**
(registered as ``feedbackbot.jieba_tokenizer.v1``). spaCy's built-in
``segmenter = "jieba"`` always runs the HMM, which costs about 40 % of the
whole classifier's time on one core; the user dictionary supplies the
domain words the HMM would otherwise have to guess, and dev accuracy did not
change (docs/classifier.md).
"""
from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

USERDICT_DIR = Path(__file__).resolve().parent / "resources" / "jieba"
USERDICT = USERDICT_DIR / "userdict.txt"
TOKENIZER_NAME = "feedbackbot.jieba_tokenizer.v1"

_lock = threading.Lock()
_loaded = False
_registered = False


def ensure_jieba() -> None:
    """Initialise jieba once per process and load the domain user dictionary."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        if USERDICT.exists():
            jieba.load_userdict(str(USERDICT))
        _loaded = True


def userdict_sha256() -> str:
    return hashlib.sha256(USERDICT.read_bytes()).hexdigest() if USERDICT.exists() else ""


def cut(text: str, hmm: bool = False) -> list[str]:
    """Segment ``text`` with jieba (precise mode), dropping whitespace tokens."""
    ensure_jieba()
    import jieba

    return [t for t in jieba.cut(text, HMM=hmm) if t.strip()]


class JiebaTokenizer:
    """spaCy tokenizer: jieba precise mode with the user dictionary, HMM configurable."""

    def __init__(self, vocab, hmm: bool = False):
        ensure_jieba()
        import jieba

        self.vocab = vocab
        self.hmm = hmm
        self._cut = jieba.cut

    def __call__(self, text: str):
        from spacy.tokens import Doc
        from spacy.util import get_words_and_spaces

        words = [w for w in self._cut(text, cut_all=False, HMM=self.hmm) if w]
        if any(ch.isspace() for ch in text):
            words, spaces = get_words_and_spaces(words, text)
        else:
            spaces = [False] * len(words)
        return Doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts, batch_size: int = 1000):
        for t in texts:
            yield self(t)

    # Nothing to serialise: the dictionary lives in jieba's global state.
    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs):
        return self

    def to_disk(self, path, **kwargs) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def from_disk(self, path, **kwargs):
        return self


def register_spacy_tokenizer() -> None:
    """Register :class:`JiebaTokenizer` in spaCy's registry (idempotent)."""
    global _registered
    if _registered:
        return
    import spacy

    def create(hmm: bool = False):
        def make(nlp):
            return JiebaTokenizer(nlp.vocab, hmm=hmm)

        return make

    if TOKENIZER_NAME not in spacy.registry.tokenizers:
        spacy.registry.tokenizers.register(TOKENIZER_NAME, func=create)
    _registered = True


def blank_nlp(hmm: bool = False):
    """``spacy.blank("zh")`` segmenting with jieba + the user dictionary."""
    ensure_jieba()
    register_spacy_tokenizer()
    import spacy

    return spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER_NAME, "hmm": hmm}}})
