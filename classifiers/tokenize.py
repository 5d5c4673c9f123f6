"""jieba segmentation with the project's user dictionary, and the blank spaCy pipeline.

The user dictionary ``classifiers/resources/jieba/userdict.txt`` is a plain
jieba userdict (``word [freq] [tag]`` per line). The Rasa ``JiebaTokenizer``
loads the same directory (every file in it), so keep only that file there.

Loading a user dictionary changes jieba's global state for the whole
process; :func:`ensure_jieba` does it once, under a lock.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

USERDICT_DIR = Path(__file__).resolve().parent / "resources" / "jieba"
USERDICT = USERDICT_DIR / "userdict.txt"

_lock = threading.Lock()
_loaded = False


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


def cut(text: str) -> list[str]:
    """Segment ``text`` with jieba (precise mode), dropping whitespace tokens."""
    ensure_jieba()
    import jieba

    return [t for t in jieba.cut(text) if t.strip()]


def blank_nlp():
    """``spacy.blank("zh")`` segmenting with jieba (user dictionary loaded)."""
    ensure_jieba()
    import spacy

    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
