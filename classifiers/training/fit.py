"""Fitting the cause model: TF-IDF char n-gram LR, spaCy textcat, then thresholds on dev.

Inference (:class:`classifiers.model.CauseModel`) never imports this module.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..config import DEFAULT_CONFIG, merge_config
from ..labels import LABELS
from ..model import CauseModel
from ..tokenize import USERDICT, segmenter
from .thresholds import choose_thresholds, macro_f1


def _textcat_config(cfg: dict) -> dict:
    arch = cfg["architecture"]
    bow = {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": True,
        "ngram_size": cfg["ngram_size"],
        "no_output_layer": False,
        "length": 262144,
    }
    if arch == "bow":
        return {"model": bow, "threshold": 0.0}
    if arch == "ensemble":
        return {
            "model": {
                "@architectures": "spacy.TextCatEnsemble.v2",
                "nO": None,
                "linear_model": bow,
                "tok2vec": {
                    "@architectures": "spacy.Tok2Vec.v2",
                    "embed": {
                        "@architectures": "spacy.MultiHashEmbed.v2",
                        "width": 64,
                        "rows": [2000, 2000, 1000, 1000],
                        "attrs": ["ORTH", "LOWER", "PREFIX", "SUFFIX"],
                        "include_static_vectors": False,
                    },
                    "encode": {
                        "@architectures": "spacy.MaxoutWindowEncoder.v2",
                        "width": 64,
                        "window_size": 1,
                        "maxout_pieces": 3,
                        "depth": 2,
                    },
                },
            },
            "threshold": 0.0,
        }
    raise ValueError(f"unknown spaCy textcat architecture {arch!r}")


def _train_lr(texts, labels, cfg, weights=None):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    tc = dict(cfg["tfidf"])
    tc["ngram_range"] = tuple(tc["ngram_range"])
    vec = TfidfVectorizer(lowercase=False, **tc)
    X = vec.fit_transform([t.lower() for t in texts])
    lr = LogisticRegression(random_state=cfg["seed"], **cfg["lr"])
    lr.fit(X, labels, sample_weight=None if weights is None else np.asarray(weights, dtype=float))
    return vec, lr


def _train_lr_timed(texts, labels, cfg, weights=None):
    """:func:`_train_lr` and its own duration (run in a worker process)."""
    t0 = time.perf_counter()
    vec, lr = _train_lr(texts, labels, cfg, weights)
    return vec, lr, round(time.perf_counter() - t0, 2)


def _end_with(parent: int) -> None:
    """In the LR process: exit when the training that started it is gone (a killed job would leave it idle forever)."""
    import os
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="end-with-parent").start()


def _lr_in_background(texts, labels, cfg, weights):
    """Start the LR fit in a second process, or return ``None`` where one cannot be started.

    The two models are independent, and on a machine with two cores fitting them side by
    side is the difference between a retraining of ~60 s and of ~40 s. ``spawn`` (not
    ``fork``): training also runs inside the job worker, whose threads a fork would copy
    mid-lock. The result is the same LR as in-process (same data, same seed).
    """
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    if (os.cpu_count() or 1) < 2 or not cfg.get("parallel_fit", True):
        return None
    try:
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_end_with, initargs=(os.getpid(),))
        return pool, pool.submit(_train_lr_timed, list(texts), list(labels), cfg,
                                 None if weights is None else list(weights))
    except (OSError, RuntimeError):  # no processes here (sandbox, resource limits): fit in-process
        return None


def _copies(weights, n: int) -> list[int]:
    """How many times each training text is shown to spaCy per epoch (its weight, rounded, at least 1).

    ``nlp.update`` has no per-example weight; repeating an example is its equivalent for SGD.
    """
    if weights is None:
        return [1] * n
    return [max(1, int(round(float(w)))) for w in weights]


def _train_spacy(texts, labels, dev_texts, dev_labels, cfg, progress: Callable[[str], None], seg,
                 weights=None, on_epoch: Callable[[int, int], None] | None = None):
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    from ..tokenize import blank_nlp

    sc = cfg["spacy"]
    fix_random_seed(cfg["seed"])
    rng = random.Random(cfg["seed"])
    nlp = blank_nlp(hmm=sc.get("hmm", False), seg=seg)
    textcat = nlp.add_pipe("textcat", config=_textcat_config(sc))
    present = [lab for lab in LABELS if lab in set(labels)]
    for lab in LABELS:
        textcat.add_label(lab)
    examples = [
        Example.from_dict(nlp.make_doc(t), {"cats": {lab: float(lab == y) for lab in LABELS}})
        for t, y in zip(texts, labels)
    ]
    optimizer = nlp.initialize(lambda: examples)
    examples = [ex for ex, k in zip(examples, _copies(weights, len(examples))) for _ in range(k)]
    dev_docs = [nlp.make_doc(t) for t in dev_texts]
    best_f1, best_bytes, best_epoch, bad = -1.0, None, 0, 0
    n_epochs = sc["epochs"]
    if sc.get("example_budget"):
        # Where the time goes with many labels: each spaCy epoch costs time in proportion
        # to the texts; a fixed number of example updates keeps retraining within budget.
        n_epochs = min(n_epochs, max(3, -(-int(sc["example_budget"]) // max(1, len(examples)))))
    for epoch in range(1, n_epochs + 1):
        t0 = time.perf_counter()
        rng.shuffle(examples)
        losses: dict = {}
        for batch in minibatch(examples, size=sc["batch_size"]):
            nlp.update(batch, drop=sc["dropout"], sgd=optimizer, losses=losses)
        if dev_docs:
            preds = []
            for doc in textcat.pipe((d.copy() for d in dev_docs), batch_size=512):
                preds.append(max(doc.cats, key=doc.cats.get))
            f1 = macro_f1(dev_labels, preds, [lab for lab in present])
        else:
            f1 = 0.0
        if on_epoch is not None:
            on_epoch(epoch, n_epochs)
        progress(
            f"  spacy epoch {epoch:2d}/{n_epochs}  loss {losses.get('textcat', 0.0):8.3f}  "
            f"dev macro-F1 {f1:.4f}  ({time.perf_counter() - t0:.1f}s)"
        )
        if not dev_docs:
            # Nothing to stop on (refit on train+dev): run the epochs asked for.
            best_epoch = epoch
            continue
        if f1 > best_f1:
            best_f1, best_bytes, best_epoch, bad = f1, textcat.to_bytes(), epoch, 0
        else:
            bad += 1
            if bad >= sc["patience"]:
                progress(f"  early stop (best epoch {best_epoch})")
                break
    if best_bytes is not None:
        textcat.from_bytes(best_bytes)
    return nlp, best_epoch, best_f1


def fit(
    train: tuple[list[str], list[str]],
    dev: tuple[list[str], list[str]],
    config: dict | None = None,
    progress: Callable[[str], None] = print,
    components: Sequence[str] = ("spacy", "lr"),
    userdict: Path | None = USERDICT,
    weights: Sequence[float] | None = None,
    on_progress: Callable[[float, str], None] | None = None,
) -> tuple[CauseModel, dict]:
    """Train the ensemble on ``train`` and choose weights/thresholds on ``dev``.

    Args:
        train: Training texts (prepared) and labels.
        dev: Dev texts and labels for early stopping, the ensemble weight and thresholds.
        config: Overrides of :data:`classifiers.config.DEFAULT_CONFIG`.
        progress: Called with one line of progress at a time.
        components: Which models to fit (``"spacy"``, ``"lr"``).
        userdict: jieba user dictionary to segment with; the model keeps it.
        weights: Training weight of each training text (default: all 1). The LR takes
            them as sample weights; spaCy sees each text ``round(weight)`` times per epoch.
        on_progress: Called with (fraction of the fit done, message) at each stage.

    Returns:
        The model and a dict of timings.
    """
    cfg = merge_config(DEFAULT_CONFIG, config or {})
    seg = segmenter(userdict)
    texts, labels = train
    dev_texts, dev_labels = dev
    timings: dict = {}
    vec = lr = nlp = None
    params: dict = {}

    def stage(fraction: float, message: str) -> None:
        if on_progress is not None:
            on_progress(round(fraction, 3), message)

    if weights is not None and len(weights) != len(texts):
        raise ValueError(f"{len(weights)} weights for {len(texts)} training texts")
    stage(0.0, "training the character n-gram model")
    background = _lr_in_background(texts, labels, cfg, weights) if {"lr", "spacy"} <= set(components) else None
    if "lr" in components and background is None:
        t0 = time.perf_counter()
        progress(f"  training TF-IDF char n-gram LR on {len(texts)} texts ...")
        vec, lr = _train_lr(texts, labels, cfg, weights)
        timings["lr_s"] = round(time.perf_counter() - t0, 2)
        progress(f"  LR done ({timings['lr_s']}s, {len(vec.vocabulary_)} features)")
    elif background is not None:
        progress(f"  training TF-IDF char n-gram LR on {len(texts)} texts in a second process ...")
    if "spacy" in components:
        t0 = time.perf_counter()
        progress(f"  training spaCy textcat ({cfg['spacy']['architecture']}) on {len(texts)} texts ...")
        stage(0.2, "training the word model")
        nlp, best_epoch, best_f1 = _train_spacy(
            texts, labels, dev_texts, dev_labels, cfg, progress, seg, weights,
            on_epoch=lambda e, n: stage(0.2 + 0.7 * e / n, f"word model epoch {e}/{n}"),
        )
        timings["spacy_s"] = round(time.perf_counter() - t0, 2)
        params["spacy_best_epoch"] = best_epoch
    if background is not None:
        pool, future = background
        t0 = time.perf_counter()
        try:
            vec, lr, timings["lr_s"] = future.result()
        finally:
            pool.shutdown(wait=True)
        timings["lr_wait_s"] = round(time.perf_counter() - t0, 2)
        progress(f"  LR done ({timings['lr_s']}s in the second process, waited {timings['lr_wait_s']}s, "
                 f"{len(vec.vocabulary_)} features)")
    model = CauseModel(nlp, vec, lr, params, cfg, userdict=userdict, seg=seg)
    t0 = time.perf_counter()
    stage(0.9, "choosing the decision thresholds on dev")
    if dev_texts:
        choose_thresholds(model, dev_texts, dev_labels, cfg, progress)
    else:
        model.params.update({"w_lr": 0.5, "staff_threshold": 0.9, "other_threshold": 0.5})
    timings["calibrate_s"] = round(time.perf_counter() - t0, 2)
    stage(1.0, "fitted")
    return model, timings
