"""Training the cause classifier, kept apart from inference.

* :mod:`.dataset` — loading, cleaning, de-duplicating and splitting the items;
* :mod:`.fit` — fitting the LR and spaCy models;
* :mod:`.thresholds` — ensemble weight and decision thresholds on dev;
* :mod:`.metrics` — the shared evaluation metrics;
* :mod:`.pipeline` — the declared steps (data → train → evaluate → promote);
* :mod:`.datacard` — the count tables of ``classifiers/data/DATACARD.md``.

Nothing under ``classifiers/`` outside this package imports it at module level
(the CLI imports it inside the commands that train or evaluate).
"""
