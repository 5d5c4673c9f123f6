"""The cause model: spaCy textcat (jieba words) + TF-IDF char n-gram LR + rules.

``CauseModel`` holds

* ``nlp`` — ``spacy.blank("zh")`` with the jieba segmenter and an exclusive
  ``textcat`` over the 12 training labels (11 causes + ``unclear``);
* ``vec``/``lr`` — a TF-IDF vectoriser over character 1–3-grams and a
  multinomial logistic regression over the same labels;
* ``params`` — ensemble weight, rule factors and decision thresholds chosen on
  the dev split by :func:`classifiers.training.fit.fit`;
* ``seg`` — its own ``jieba.Tokenizer`` over the user dictionary saved with it
  (see ``classifiers/tokenize.py``).

Decision (``decide``): probabilities of the two models are averaged with
weight ``w_lr``; the rule layer re-weights them; then

* top label ``unclear`` → provisional non-staff cause, ``needs_confirmation``;
* top label a staff cause → ``attribution="staff"``, automatic only if the
  summed staff probability ≥ ``staff_threshold`` and no rule vetoes it;
* otherwise the non-staff/none cause, confirmed only if its probability ≥
  ``other_threshold``.
"""
from __future__ import annotations

import json
import logging
import pickle
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils.extmath import safe_sparse_dot, softmax
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from . import rules
from .config import DEFAULT_CONFIG, merge_config
from .labels import ATTRIBUTION, LABELS, NON_STAFF_CAUSES, STAFF_CAUSES, UNCLEAR
from .tokenize import MODEL_USERDICT, USERDICT, register_spacy_tokenizer, segmenter

log = logging.getLogger(__name__)


def _fast_tfidf_applies(vec) -> bool:
    """True for the fitted TfidfVectorizer layouts ``CauseModel.lr_features`` computes itself."""
    tfidf = getattr(vec, "_tfidf", None)
    return (isinstance(vec, TfidfVectorizer) and tfidf is not None and tfidf.norm in (None, "l2")
            and vec.dtype == np.float64)

_IDX = {lab: i for i, lab in enumerate(LABELS)}
_STAFF_IDX = np.array([_IDX[c] for c in STAFF_CAUSES])
_STAFF_SET = frozenset(STAFF_CAUSES)
_UNCLEAR_IDX = _IDX[UNCLEAR]
# Provisional cause for an unclear text: the best *dissatisfaction* code that
# blames no-one in particular (never staff, never "none").
_PLACEHOLDER_IDX = np.array([_IDX[c] for c in NON_STAFF_CAUSES if c != "none"])
_NONSTAFF_IDX = np.array([_IDX[c] for c in NON_STAFF_CAUSES])


@dataclass
class Decision:
    label_probs: np.ndarray  # (12,) after rules
    cause: str
    attribution: str
    confidence: float
    needs_confirmation: bool
    evidence: str
    top_label: str
    staff_prob: float


class CauseModel:
    """The trained ensemble with its decision rules; see the module docstring.

    Args:
        nlp: spaCy pipeline with a ``textcat`` (or ``None``).
        vec: Fitted TF-IDF vectoriser (or ``None``).
        lr: Fitted logistic regression (or ``None``).
        params: Ensemble weight and thresholds chosen on dev.
        config: The model configuration (``DEFAULT_CONFIG`` merged with overrides).
        userdict: The jieba user dictionary this model segments with; saved with it.
        seg: The ``jieba.Tokenizer`` for ``userdict`` (default: built from it).
    """

    def __init__(self, nlp, vec, lr, params: dict, config: dict, userdict: Path | None = USERDICT, seg=None):
        self.userdict = Path(userdict) if userdict else None
        self.seg = seg if seg is not None else segmenter(self.userdict)
        if nlp is not None:
            # The pipeline segments with this model's dictionary, never another's.
            nlp.tokenizer.use(self.seg)
        self.nlp = nlp
        self.vec = vec
        self.lr = lr
        self.params = params
        self.config = config
        self._feat_names: np.ndarray | None = None
        # LR classes are in sorted order; map them to LABELS order.
        if lr is not None:
            self._lr_order = np.array([list(lr.classes_).index(lab) if lab in lr.classes_ else -1 for lab in LABELS])

    # ---------------------------------------------------------------- probs
    def _clip(self, texts: Sequence[str]) -> list[str]:
        n = self.config.get("max_chars", 400)
        return [t[:n] for t in texts]

    def spacy_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.nlp is None:
            return np.full((len(texts), len(LABELS)), 1.0 / len(LABELS))
        out = np.full((len(texts), len(LABELS)), 1.0 / len(LABELS))
        clipped = self._clip(texts)
        # An empty doc breaks thinc's n-gram extraction for the whole batch: skip those.
        idx = [i for i, t in enumerate(clipped) if t.strip()]
        for i, doc in zip(idx, self.nlp.pipe([clipped[i] for i in idx], batch_size=512)):
            cats = doc.cats
            out[i] = [cats.get(lab, 0.0) for lab in LABELS]
        s = out.sum(axis=1, keepdims=True)
        s[s == 0] = 1.0
        return out / s

    def lr_features(self, texts: Sequence[str]):
        docs = [t.lower() for t in self._clip(texts)]
        if not _fast_tfidf_applies(self.vec):
            return self.vec.transform(docs)
        # What TfidfVectorizer.transform computes, without scikit-learn's input
        # checks on every call (about half of a one-text prediction, mostly
        # dataframe detection); tests/unit/test_classifier_fast_path.py holds
        # the two equal on every evaluation text.
        X = CountVectorizer.transform(self.vec, docs)
        tfidf = self.vec._tfidf
        if tfidf.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        if hasattr(tfidf, "idf_"):
            X.data *= tfidf.idf_[X.indices]
        if tfidf.norm == "l2":
            inplace_csr_row_normalize_l2(X)
        return X

    def lr_proba(self, texts: Sequence[str], X=None) -> np.ndarray:
        if self.lr is None:
            return np.full((len(texts), len(LABELS)), 1.0 / len(LABELS))
        if X is None:
            X = self.lr_features(texts)
        if len(self.lr.classes_) > 2 and sp.issparse(X):
            # LogisticRegression.predict_proba for more than two classes, without its input checks.
            raw = softmax(safe_sparse_dot(X, self.lr.coef_.T, dense_output=True) + self.lr.intercept_, copy=False)
        else:
            raw = self.lr.predict_proba(X)
        out = np.zeros((len(texts), len(LABELS)))
        for j, k in enumerate(self._lr_order):
            if k >= 0:
                out[:, j] = raw[:, k]
        return out

    def proba(self, texts: Sequence[str], X=None) -> np.ndarray:
        w = self.params.get("w_lr", 0.5)
        if w >= 1.0:
            return self.lr_proba(texts, X)
        if w <= 0.0:
            return self.spacy_proba(texts)
        return w * self.lr_proba(texts, X) + (1 - w) * self.spacy_proba(texts)

    # ------------------------------------------------------------- decision
    def rule_factors(self, texts: Sequence[str]) -> tuple[np.ndarray, list]:
        """Multiplicative factors (n, 12) from the rule layer, and the signals per text."""
        n = len(texts)
        F = np.ones((n, len(LABELS)))
        rc = self.config["rules"]
        if not rc.get("enabled", True):
            return F, [None] * n
        sigs = [rules.detect(t) for t in texts]
        for i, s in enumerate(sigs):
            staff = 1.0
            if s.exonerate:
                staff = rc["exonerate_staff_factor"]
            elif s.praise_contrast and not s.staff_cue:
                staff = rc["praise_staff_factor"]
            elif s.praise:
                staff = rc["praise_only_staff_factor"]
            elif s.staff_cue:
                # Taxonomy rule 1: a clearly stated staff complaint wins over other reasons.
                staff = rc["staff_cue_factor"]
            if (s.misreply or s.survey) and not s.staff_cue:
                staff *= rc["veto_staff_factor"]
            if staff != 1.0:
                F[i, _STAFF_IDX] = staff
            for lab in s.boosts:
                F[i, _IDX[lab]] *= rc["boost"]
        return F, sigs

    def decide_batch(self, texts: Sequence[str], P: np.ndarray, X=None) -> list[Decision]:
        """Turn ensemble probabilities into decisions (rules, thresholds, evidence)."""
        F, sigs = self.rule_factors(texts)
        Q = P * F
        tot = Q.sum(axis=1, keepdims=True)
        tot[tot == 0] = 1.0
        Q = Q / tot
        tops = Q.argmax(axis=1).tolist()
        staff_probs = Q[:, _STAFF_IDX].sum(axis=1).tolist()
        unclear_probs = Q[:, _UNCLEAR_IDX].tolist()
        placeholders = _PLACEHOLDER_IDX[Q[:, _PLACEHOLDER_IDX].argmax(axis=1)].tolist()
        t_staff = self.params.get("staff_threshold", 1.01)
        t_other = self.params.get("other_threshold", 0.0)
        t_unclear = self.params.get("unclear_threshold", 1.01)
        t_unclear_staff = self.config["decision"].get("unclear_staff_threshold", 1.01)
        out = []
        for i, text in enumerate(texts):
            q = Q[i]
            top, sig, staff_prob = tops[i], sigs[i], staff_probs[i]
            top_label = LABELS[top]
            # An uncertain staff guess on a text that may well be "unclear" is treated as
            # unclear: the provisional cause must not point at the agent (taxonomy rule 2).
            treat_unclear = top_label == UNCLEAR or (
                top_label in _STAFF_SET
                and unclear_probs[i] >= t_unclear_staff
                and not (staff_prob >= t_staff and sig is not None and sig.staff_cue)
            )
            if treat_unclear:
                k = placeholders[i]
                cause = LABELS[k]
                out.append(Decision(q, cause, ATTRIBUTION[cause], float(q[k]), True, "", top_label, staff_prob))
                continue
            cause = top_label
            conf = float(q[top])
            is_staff = cause in _STAFF_SET
            if is_staff:
                auto = staff_prob >= t_staff and not (sig is not None and sig.no_auto_staff)
            else:
                auto = conf >= t_other
            # A text the model also finds plausibly "unclear" is asked about.
            if unclear_probs[i] >= t_unclear:
                auto = False
            evidence = ""
            if sig is not None:
                # A rule's phrase is the evidence only when it points at the returned cause.
                evidence = {
                    "customer.misreply": sig.misreply,
                    "survey.issue": sig.survey,
                    "none": sig.praise,
                }.get(cause, sig.staff_cue if is_staff else "")
            if not evidence:
                row = None
                if X is not None:
                    a, b = X.indptr[i], X.indptr[i + 1]
                    row = (X.indices[a:b], X.data[a:b])
                evidence = self.evidence(text, cause, row)
            if not evidence and sig is not None and not is_staff:
                evidence = sig.exonerate or sig.praise_contrast
            out.append(Decision(q, cause, ATTRIBUTION[cause], conf, not auto, evidence, top_label, staff_prob))
        return out

    def decide(self, text: str, p: np.ndarray) -> Decision:
        return self.decide_batch([text], p[None, :])[0]

    def evidence(self, text: str, label: str, X_row=None, top_k: int = 4, max_len: int = 16) -> str:
        """Span of ``text`` covered by the char n-grams that pushed the LR towards ``label``."""
        if self.lr is None or not text:
            return ""
        if X_row is None:
            X = self.lr_features([text])
            X_row = (X.indices, X.data)
        if self._feat_names is None:
            self._feat_names = self.vec.get_feature_names_out()
            self._class_index = {c: i for i, c in enumerate(self.lr.classes_)}
        feat_names = self._feat_names
        k = self._class_index[label]
        idx, data = X_row
        if len(idx) == 0:
            return ""
        contrib = data * self.lr.coef_[k, idx]
        order = np.argsort(-contrib)[:top_k]
        low = text[: self.config.get("max_chars", 400)].lower()
        weight = np.zeros(len(low))
        for o in order:
            if contrib[o] <= 0:
                break
            gram = feat_names[idx[o]]
            if not gram.strip() or not any(ch.isalnum() for ch in gram):
                continue
            start = low.find(gram)
            while start >= 0:
                weight[start : start + len(gram)] = np.maximum(weight[start : start + len(gram)], contrib[o])
                start = low.find(gram, start + 1)
        if not weight.any():
            return ""
        # Best contiguous run of covered characters.
        best, best_span, cur, cur_start = 0.0, (0, 0), 0.0, 0
        for i, w in enumerate(weight):
            if w > 0:
                if cur == 0.0:
                    cur_start = i
                cur += w
                if cur > best:
                    best, best_span = cur, (cur_start, i + 1)
            else:
                cur = 0.0
        a, b = best_span
        b = min(b, a + max_len)
        # Snap the edges to whole words ("餐太贵" → "套餐太贵") with this model's dictionary.
        freq = self.seg.FREQ
        for _ in range(2):
            if a > 0 and freq.get(text[a - 1 : a + 1], 0) > 0:
                a -= 1
            if b < len(text) and freq.get(text[b - 1 : b + 1], 0) > 0:
                b += 1
        return text[a:b]

    def predict(self, texts: Sequence[str]) -> list[Decision]:
        if not texts:
            return []
        texts = self._clip(texts)
        X = self.lr_features(texts) if self.lr is not None else None
        P = self.proba(texts, X)
        return self.decide_batch(texts, P, X)

    # ------------------------------------------------------------- storage
    def save(self, directory: Path) -> None:
        """Write the model to ``directory``, with its own copy of the user dictionary (:data:`MODEL_USERDICT`)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self.nlp is not None:
            self.nlp.to_disk(directory / "spacy")
        if self.lr is not None:
            with open(directory / "lr.pkl", "wb") as fh:
                pickle.dump({"vec": self.vec, "lr": self.lr}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        if self.userdict is not None and self.userdict.is_file():
            (directory / MODEL_USERDICT).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.userdict, directory / MODEL_USERDICT)
        (directory / "params.json").write_text(json.dumps(self.params, indent=2, ensure_ascii=False), encoding="utf-8")
        (directory / "model_config.json").write_text(json.dumps(self.config, indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> CauseModel:
        """Load a model written by :meth:`save`.

        The model segments with the dictionary saved inside ``directory``. Models
        saved before dictionaries were copied into them fall back to the project
        dictionary (logged), which is what they were trained with unless it changed.
        """
        directory = Path(directory)
        userdict = directory / MODEL_USERDICT
        if not userdict.is_file():
            log.info("model %s has no own jieba user dictionary; using the project's %s", directory, USERDICT)
            userdict = USERDICT
        nlp = vec = lr = None
        if (directory / "spacy").exists():
            register_spacy_tokenizer()
            import spacy

            nlp = spacy.load(directory / "spacy")
        if (directory / "lr.pkl").exists():
            with open(directory / "lr.pkl", "rb") as fh:
                obj = pickle.load(fh)  # our own artefact, written by save()
            vec, lr = obj["vec"], obj["lr"]
        params = json.loads((directory / "params.json").read_text(encoding="utf-8"))
        config = merge_config(DEFAULT_CONFIG, json.loads((directory / "model_config.json").read_text(encoding="utf-8")))
        return cls(nlp, vec, lr, params, config, userdict=userdict)
