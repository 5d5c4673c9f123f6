"""Public API: attribute a customer's dissatisfaction reason to a cause code.

>>> from classifiers import classify
>>> r = classify("小姑娘挺好的，就是套餐太贵")
>>> r.cause, r.attribution, r.needs_confirmation       # doctest: +SKIP
('company.product', 'non_staff', False)

Contract
--------
* ``cause`` is always one of the 11 codes in :data:`CAUSES`; ``attribution`` is
  ``ATTRIBUTION[cause]``.
* ``needs_confirmation=True`` means: book nothing yet, ask the customer
  (客服人员的服务 / 公司业务或规定 / 网络或系统 / 其他). ``cause`` is then only the
  best provisional guess. For texts that do not say whose fault it is
  ("问题没解决", "不满意") the provisional cause is never a staff cause.
* ``attribution == "staff"`` with ``needs_confirmation=False`` happens only when
  the model's staff probability is above the threshold chosen on the dev split
  (false blame ≤ 1 % there) and no rule vetoes it (explicit exoneration of the
  agent, survey complaint, score correction).
* ``confidence`` is the model's probability of the returned cause (after the rule layer).
* Bad input never raises. ``None``, empty or whitespace-only text, and text
  without any Chinese character (emoji only, English only, digits only, HTML
  with no text) return ``cause="none"``, ``attribution="none"``,
  ``confidence=0.0``, ``needs_confirmation=True``, ``evidence=""``: nothing is
  booked and the dialogue asks. HTML tags and entities are stripped, PII is
  redacted and long texts are cut to their first 400 characters before classifying.
* With no promoted model, :class:`ModelNotAvailableError` is raised; its message
  names the command that trains one (``feedbackbot classifier ensure``).

The promoted model is loaded once and hot-swapped when the promoted version
changes (checked at most every 2 seconds: the record configured with
:func:`classifiers.registry.configure`, else ``CURRENT``); a version that
cannot be loaded leaves the previous model serving. All functions are thread-safe.
"""
from __future__ import annotations

import html
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .labels import ATTRIBUTION, CAUSES
from .registry import ModelNotAvailableError, model_root, resolve, version_dir
from .text import prepare_text

__all__ = [
    "CauseResult",
    "classify",
    "classify_many",
    "classify_many_with",
    "CAUSES",
    "ATTRIBUTION",
    "ModelNotAvailableError",
    "current_model_version",
]

log = logging.getLogger(__name__)
RELOAD_CHECK_SECONDS = 2.0
MAX_INPUT_CHARS = 2000  # raw characters looked at (before normalisation)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TAG = re.compile(r"<[^<>]{0,500}>")


@dataclass(frozen=True)
class CauseResult:
    cause: str  # one of the 11 codes
    attribution: str  # "staff" | "non_staff" | "none"
    confidence: float  # 0-1
    needs_confirmation: bool
    evidence: str  # the words/phrase that drove the decision ("" if none)
    model_version: str


def clean_input(text) -> str:
    """Coerce anything to text, strip HTML, normalise and redact; ``""`` if unusable."""
    if text is None:
        return ""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = str(text)
    text = text[:MAX_INPUT_CHARS]
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    text = prepare_text(text)
    return text if _CJK.search(text) else ""


def results_for(model, version: str, texts: list) -> list[CauseResult]:
    """Classify raw ``texts`` with a loaded :class:`~classifiers.model.CauseModel`."""
    cleaned = [clean_input(t) for t in texts]
    todo = [i for i, t in enumerate(cleaned) if t]
    out: list[CauseResult | None] = [None] * len(texts)
    if todo:
        decisions = model.predict([cleaned[i] for i in todo])
        for i, d in zip(todo, decisions):
            out[i] = CauseResult(
                cause=d.cause,
                attribution=d.attribution,
                confidence=round(min(1.0, max(0.0, d.confidence)), 4),
                needs_confirmation=bool(d.needs_confirmation),
                evidence=d.evidence,
                model_version=version,
            )
    empty = CauseResult("none", "none", 0.0, True, "", version)
    return [r if r is not None else empty for r in out]


class _Holder:
    """The loaded model and its version, swapped atomically under a lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.root: Path | None = None
        self.version: str | None = None
        self.model = None
        self.checked_at = 0.0

    def get(self):
        now = time.monotonic()
        root = model_root()
        if self.model is not None and root == self.root and now - self.checked_at < RELOAD_CHECK_SECONDS:
            return self.version, self.model
        with self.lock:
            now = time.monotonic()
            if self.model is not None and root == self.root and now - self.checked_at < RELOAD_CHECK_SECONDS:
                return self.version, self.model
            version = resolve(None, root)  # raises ModelNotAvailableError with the command to run
            if version != self.version or root != self.root or self.model is None:
                from .model import CauseModel

                try:
                    model = CauseModel.load(version_dir(version, root) / "model")
                except Exception as exc:  # missing or corrupt artefacts: keep serving the old model if any
                    if self.model is not None and root == self.root:
                        log.warning("model %s not loadable from %s, still serving %s: %s", version, root, self.version, exc)
                        self.checked_at = now
                        return self.version, self.model
                    if isinstance(exc, ModelNotAvailableError):
                        raise
                    raise ModelNotAvailableError(f"cannot load model {version!r} from {root}: {exc}") from exc
                self.model, self.version, self.root = model, version, root
            self.checked_at = now
            return self.version, self.model

    def reset(self):
        with self.lock:
            self.root = self.version = self.model = None
            self.checked_at = 0.0


_holder = _Holder()


def classify(text: str) -> CauseResult:
    """Attribute one customer message; see the module docstring for the contract."""
    return classify_many([text])[0]


def classify_many(texts: list[str]) -> list[CauseResult]:
    """Attribute many messages at once (much faster than calling :func:`classify` in a loop)."""
    version, model = _holder.get()
    return results_for(model, version, list(texts))


_named_lock = threading.Lock()
_named: dict[tuple[Path, str], object] = {}  # at most two versions besides the promoted one (shadow readings)


def classify_many_with(version: str, texts: list[str]) -> list[CauseResult]:
    """Attribute messages with a named version of the store, promoted or not (a shadow version's readings).

    The version is loaded once per process and kept (the two most recently used).

    Raises:
        ModelNotAvailableError: ``version`` is not in the store or cannot be loaded.
    """
    from .model import CauseModel

    key = (model_root(), version)
    with _named_lock:
        model = _named.get(key)
        if model is None:
            try:
                model = CauseModel.load(version_dir(version, key[0]) / "model")
            except ModelNotAvailableError:
                raise
            except Exception as exc:  # noqa: BLE001 - corrupt artefacts are "not available" to the caller
                raise ModelNotAvailableError(f"cannot load model {version!r} from {key[0]}: {exc}") from exc
            while len(_named) >= 2:
                _named.pop(next(iter(_named)))
            _named[key] = model
    return results_for(model, version, list(texts))


def current_model_version() -> str:
    """Version id of the model :func:`classify` uses now (loads it if needed)."""
    return _holder.get()[0]


def _reset_for_tests() -> None:
    _holder.reset()
    with _named_lock:
        _named.clear()


def ranked_causes(texts: list[str], top: int = 3) -> tuple[str, list[list[tuple[str, float]]]]:
    """The model's ``top`` training labels for each text with their probabilities (after the rule layer).

    For people checking the model (the review queue): the labels are the 11
    cause codes and ``unclear``; an unusable text gets an empty list.

    Returns:
        The model version and, per text, ``[(label, probability), ...]`` best first.
    """
    from .labels import LABELS

    version, model = _holder.get()
    cleaned = [clean_input(t) for t in texts]
    todo = [i for i, t in enumerate(cleaned) if t]
    out: list[list[tuple[str, float]]] = [[] for _ in texts]
    if todo:
        for i, d in zip(todo, model.predict([cleaned[i] for i in todo])):
            order = sorted(range(len(LABELS)), key=lambda k: -float(d.label_probs[k]))[:top]
            out[i] = [(LABELS[k], round(float(d.label_probs[k]), 4)) for k in order]
    return version, out


def staff_threshold() -> float | None:
    """The promoted model's staff-probability threshold (chosen on dev), read from its params; None without a model."""
    try:
        version = resolve(None, model_root())
        params = version_dir(version, model_root()) / "model" / "params.json"
        import json

        value = json.loads(params.read_text(encoding="utf-8")).get("staff_threshold")
    except (ModelNotAvailableError, OSError, ValueError):
        return None
    return float(value) if isinstance(value, (int, float)) and value <= 1.0 else None


def model_loaded() -> bool:
    """Whether a model is loaded in this process already (a caller that must not wait for the first load asks)."""
    return _holder.model is not None
