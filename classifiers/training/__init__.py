"""Training the cause classifier, kept apart from inference.

* :mod:`.dataset` — loading, cleaning, de-duplicating and splitting the items;
* :mod:`.fit` — fitting the LR and spaCy models;
* :mod:`.thresholds` — ensemble weight and decision thresholds on dev;
* :mod:`.metrics` — the shared evaluation metrics;
* :mod:`.pipeline` — the declared steps (data → train → evaluate → promote);
* :mod:`.datacard` — the count tables of ``classifiers/data/DATACARD.md``;
* :mod:`.labels` — person-given labels (:class:`~.labels.PersonLabel`) as training input;
* :mod:`.words` — new jieba words learned from the labels;
* :mod:`.frozen` — hash-pinned evaluation sets and :func:`~.frozen.evaluate_frozen`;
* :mod:`.gate` — the promotion gate (:func:`~.gate.compare`);
* :mod:`.promotion` — gated promotion, rollback, the promotion log;
* :mod:`.version_card` — the Markdown data card of a version.

Nothing under ``classifiers/`` outside this package imports it at module level
(the CLI imports it inside the commands that train or evaluate).
"""
