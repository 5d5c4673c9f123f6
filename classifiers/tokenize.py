"""jieba segmentation with a user dictionary, one segmenter per dictionary, and the blank spaCy pipeline.

The project's user dictionary ``classifiers/resources/jieba/userdict.txt`` is a
plain jieba userdict (``word [freq] [tag]`` per line). The Rasa
``JiebaTokenizer`` loads the same directory (every file in it), so keep only
that file there.

Each model version carries its own copy of the dictionary it was trained with
(``model/jieba/userdict.txt``, see :data:`MODEL_USERDICT`) and segments with
its own ``jieba.Tokenizer`` instance from :func:`segmenter`: the state lives in
the instance, not in jieba's module globals (``jieba.dt``), so loading one
version never changes how another loaded version segments. Instances are shared
between models whose dictionaries have the same content (same sha256): a
segmenter holds jieba's whole main dictionary (~350,000 words).

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
from typing import Any

USERDICT_DIR = Path(__file__).resolve().parent / "resources" / "jieba"
USERDICT = USERDICT_DIR / "userdict.txt"
# Where a saved model keeps its copy of the user dictionary, relative to the model directory.
MODEL_USERDICT = Path("jieba") / "userdict.txt"
TOKENIZER_NAME = "feedbackbot.jieba_tokenizer.v1"

_lock = threading.Lock()
_segmenters: dict[str, Any] = {}  # sha256 of the user dictionary ("" = none) → jieba.Tokenizer
_registered = False


def file_sha256(path: Path | None) -> str:
    """sha256 (hex) of a file's bytes; ``""`` when there is no such file.

    Args:
        path: File to hash, or ``None``.
    """
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path and Path(path).is_file() else ""


def userdict_sha256(path: Path | None = USERDICT) -> str:
    """sha256 of a user dictionary (default: the project's); ``""`` if it does not exist."""
    return file_sha256(path)


def segmenter(userdict: Path | None = USERDICT):
    """A ready ``jieba.Tokenizer`` with jieba's main dictionary plus ``userdict``.

    One instance per distinct dictionary content, created on first use under a
    lock; jieba's module-level default tokenizer is never touched.

    Args:
        userdict: A jieba userdict file; ``None`` or a missing file means none.

    Returns:
        The shared ``jieba.Tokenizer`` for that dictionary content.
    """
    key = file_sha256(userdict)
    tk = _segmenters.get(key)
    if tk is not None:
        return tk
    with _lock:
        tk = _segmenters.get(key)
        if tk is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.initialize()
            if key:
                tk.load_userdict(str(userdict))
            _segmenters[key] = tk
        return tk


def cut(text: str, hmm: bool = False, seg=None) -> list[str]:
    """Segment ``text`` with jieba (precise mode), dropping whitespace tokens.

    Args:
        text: Text to segment.
        hmm: Use jieba's HMM new-word discovery.
        seg: The ``jieba.Tokenizer`` to use (default: the project dictionary's).
    """
    seg = seg or segmenter()
    return [t for t in seg.cut(text, HMM=hmm) if t.strip()]


class JiebaTokenizer:
    """spaCy tokenizer: jieba precise mode with a model's own segmenter, HMM configurable.

    Built without a segmenter (spaCy creates it while loading a pipeline from
    its config); :class:`~classifiers.model.CauseModel` then hands it the
    model's segmenter with :meth:`use`. Until then the project dictionary's
    segmenter is used.
    """

    def __init__(self, vocab, hmm: bool = False, seg=None):
        self.vocab = vocab
        self.hmm = hmm
        self._seg = seg

    def use(self, seg) -> None:
        """Segment with ``seg`` (a ``jieba.Tokenizer``) from now on."""
        self._seg = seg

    @property
    def seg(self):
        if self._seg is None:
            self._seg = segmenter()
        return self._seg

    def __call__(self, text: str):
        from spacy.tokens import Doc
        from spacy.util import get_words_and_spaces

        words = [w for w in self.seg.cut(text, cut_all=False, HMM=self.hmm) if w]
        if any(ch.isspace() for ch in text):
            words, spaces = get_words_and_spaces(words, text)
        else:
            spaces = [False] * len(words)
        return Doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts, batch_size: int = 1000):
        for t in texts:
            yield self(t)

    # Nothing to serialise here: the model saves its dictionary itself (MODEL_USERDICT).
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


def blank_nlp(hmm: bool = False, seg=None):
    """``spacy.blank("zh")`` segmenting with jieba and ``seg`` (default: the project dictionary's).

    Args:
        hmm: Use jieba's HMM new-word discovery.
        seg: The ``jieba.Tokenizer`` to segment with.
    """
    register_spacy_tokenizer()
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER_NAME, "hmm": hmm}}})
    tokenizer = nlp.tokenizer
    assert isinstance(tokenizer, JiebaTokenizer)  # built by the registered factory above
    tokenizer.use(seg or segmenter())
    return nlp
