"""The cause-classifier model store: versions on disk (``Settings.model_dir``), the promoted one in the database.

* :mod:`.promotions` — ``do_promote``, ``do_rollback``, ``current_version``, ``history``
  over an open session (the history table ``model_promotions``).
* :mod:`.setup` — ``configure_classifier(settings)``, called once by every entry
  point, so ``classifiers`` reads its models from ``Settings.model_dir``, follows
  the database's record and records promotions made through its own CLI.
"""
from bot.model_store.promotions import RollbackError, current_version, do_promote, do_rollback, history
from bot.model_store.setup import configure_classifier

__all__ = ["RollbackError", "configure_classifier", "current_version", "do_promote", "do_rollback", "history"]
