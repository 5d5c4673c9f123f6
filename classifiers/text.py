"""The canonical form of a text, identical for training and inference."""
from __future__ import annotations

from zhtext.normalize import normalize
from zhtext.redact import redact


def prepare_text(text: str | None) -> str:
    """Canonical form used for training and inference: normalise, then redact.

    Args:
        text: Raw customer text; ``None`` becomes ``""``.

    Returns:
        Normalised text with personal data replaced by placeholders.
    """
    return redact(normalize(text))
