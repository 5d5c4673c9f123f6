"""The model's own TF-IDF and LR arithmetic equals scikit-learn's, on every text of the training and challenge data.

``CauseModel.lr_features`` and ``lr_proba`` skip scikit-learn's per-call input
checks (docs/performance.md); this holds them to what
``TfidfVectorizer.transform`` and ``LogisticRegression.predict_proba`` return,
so a scikit-learn upgrade that changes either fails here.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from bot.settings import ROOT
from classifiers.api import clean_input
from classifiers.model import CauseModel, _fast_tfidf_applies
from classifiers.registry import version_dir
from tests.unit.test_classifier_behaviour import real_model  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def texts() -> list[str]:
    data = ROOT / "classifiers" / "data"
    rows = [json.loads(line) for path in sorted(data.glob("*/*.jsonl")) for line in path.read_text().splitlines()
            if line.strip()]
    cleaned = [clean_input(r["text"]) for r in rows]
    return [t for t in cleaned if t]


@pytest.fixture(scope="module")
def model(real_model) -> CauseModel:  # noqa: F811
    root, version = real_model
    return CauseModel.load(version_dir(version, root) / "model")


def test_the_trained_model_takes_the_fast_path(model):
    assert _fast_tfidf_applies(model.vec) and len(model.lr.classes_) > 2


def test_tfidf_features_equal_scikit_learns(model, texts):
    assert len(texts) > 3000
    clipped = model._clip(texts)
    ours = model.lr_features(texts).tocsr()
    theirs = model.vec.transform([t.lower() for t in clipped]).tocsr()
    ours.sort_indices()
    theirs.sort_indices()
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.indptr, theirs.indptr) and np.array_equal(ours.indices, theirs.indices)
    np.testing.assert_allclose(ours.data, theirs.data, rtol=1e-12, atol=0)


def test_lr_probabilities_equal_scikit_learns(model, texts):
    X = model.lr_features(texts)
    ours = model.lr_proba(texts, X)
    raw = model.lr.predict_proba(X)
    theirs = np.zeros_like(ours)
    for j, k in enumerate(model._lr_order):
        if k >= 0:
            theirs[:, j] = raw[:, k]
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)
    # Not vacuous: the probabilities differ between texts.
    assert ours.argmax(axis=1).min() != ours.argmax(axis=1).max()
