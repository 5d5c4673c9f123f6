"""The model trained by the real pipeline on exactly today's corpus, for tests of its behaviour.

``make setup`` trains and promotes that model (``feedbackbot classifier
ensure``) before the suite runs; training it again in a test costs minutes
and gives the same model. :func:`corpus_model_into` copies the promoted
version of the project's store when its record proves it is that model (same
corpus hash, no person labels, same configuration, jieba dictionary and
library versions), and trains one otherwise.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from functools import lru_cache
from pathlib import Path

from classifiers import registry
from classifiers.config import DEFAULT_CONFIG, merge_config
from classifiers.tokenize import USERDICT
from classifiers.training.dataset import DEFAULT_DATA_DIR, load_dataset
from classifiers.training.pipeline import library_versions, train


@lru_cache(maxsize=1)
def _corpus_hash() -> str:
    return load_dataset(None, strict_splits=False).data_hash


def _is_corpus_model(config: dict) -> bool:
    return (config.get("data_dir") == str(DEFAULT_DATA_DIR)
            and config.get("labels_hash") is None
            and config.get("data_hash") == _corpus_hash()
            and json.dumps(config.get("model_config"), sort_keys=True)
            == json.dumps(merge_config(DEFAULT_CONFIG, {}), sort_keys=True)
            and config.get("libraries") == library_versions()
            and config.get("jieba_userdict_sha256") == hashlib.sha256(USERDICT.read_bytes()).hexdigest())


def corpus_model_into(root: Path) -> tuple[str, bool]:
    """Put the corpus-only model into the empty store ``root`` as its promoted version.

    Returns:
        The version id, and whether it was copied (False: trained here).
    """
    current = registry.DEFAULT_ROOT / "CURRENT"
    if current.exists():
        version = current.read_text(encoding="utf-8").strip()
        source = registry.DEFAULT_ROOT / version
        config_file = source / "config.json"
        if config_file.exists() and _is_corpus_model(json.loads(config_file.read_text(encoding="utf-8"))):
            shutil.copytree(source, root / version)
            (root / "CURRENT").write_text(version + "\n", encoding="utf-8")
            return version, True
    return train(None, root=root, promote=True, progress=lambda m: None), False
