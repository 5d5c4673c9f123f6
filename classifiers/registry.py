"""Versioned model store.

Layout (root defaults to ``<project>/var/models/classifier``; a process of
the bot sets it once from its settings with :func:`configure`, the only place
the root comes from: this package reads no environment variable)::

    <root>/
      CURRENT                      # one line: the promoted version id
      promotion_log.jsonl          # one JSON line per promotion / rollback (fallback history)
      .gitignore                   # "*": model artefacts never enter git
      <version-id>/
        model/                     # spaCy pipeline (spacy/), sklearn (lr.pkl), params
        config.json                # training config, data hash, counts, created_at, library versions
        metrics.json               # dev + test metrics, thresholds, coverage
        datacard.json, DATACARD.md # what went in: corpus, person labels, hashes, conflicts
        training_labels.jsonl      # the person labels trained on (prepared text, dedup key)
        promotion.json             # how it was promoted (gate decision, override reason)

Version ids are ``YYYYmmddTHHMMSSZ-<first 8 hex of the data hash>``. A version
directory is written under a temporary name and renamed when complete, and
``CURRENT`` is replaced atomically, so a reader never sees half a model.

Which version is promoted may be recorded elsewhere (the bot keeps a history
in its database): :func:`configure` takes a ``current_version`` callable that
is asked first (``CURRENT`` is the fallback when it answers ``None`` or
fails) and an ``on_promote`` callable that :func:`promote` hands promotions
to instead of writing ``CURRENT`` itself. Both apply to the configured root
only, so a temporary root (tests, experiments) stays a plain directory.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = PROJECT_ROOT / "var" / "models" / "classifier"
TRAIN_COMMAND = "feedbackbot classifier ensure"  # also: python -m bot.cli.main classifier train --promote

_VERSION_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}(?:-[0-9]+)?$")


class ModelNotAvailableError(RuntimeError):
    """No promoted cause-classifier model exists (or it cannot be read)."""


class PromotionRecorder(Protocol):
    """Records a promotion (and makes it current) instead of a plain ``CURRENT`` write."""

    def __call__(self, version: str, *, action: str = "promote", actor: str | None = None,
                 why: str | None = None, report: dict[str, Any] | None = None) -> None: ...


@dataclass(frozen=True)
class StoreConfiguration:
    """Where this process's model store is and who knows which version is promoted.

    Attributes:
        root: Directory of the versions and ``CURRENT``.
        current_version: Asked for the promoted version before ``CURRENT`` is read;
            ``None`` from it means "no record, use the file".
        on_promote: Called by :func:`promote` for the configured root instead of
            writing ``CURRENT`` (it must write it, see :func:`write_current`).
    """

    root: Path = DEFAULT_ROOT
    current_version: Callable[[], str | None] | None = None
    on_promote: PromotionRecorder | None = None


_configuration = StoreConfiguration()


def configure(root: Path | str | None = None, *, current_version: Callable[[], str | None] | None = None,
              on_promote: PromotionRecorder | None = None) -> StoreConfiguration:
    """Set this process's model store once, at its entry point; returns the previous configuration.

    Args:
        root: Model directory (default: ``<project>/var/models/classifier``).
        current_version: Source of truth for the promoted version (see :class:`StoreConfiguration`).
        on_promote: Recorder of promotions (see :class:`StoreConfiguration`).
    """
    global _configuration
    previous = _configuration
    _configuration = StoreConfiguration(Path(root) if root is not None else DEFAULT_ROOT, current_version, on_promote)
    return previous


def restore(configuration: StoreConfiguration) -> None:
    """Put back a configuration returned by :func:`configure` (tests)."""
    global _configuration
    _configuration = configuration


def configuration() -> StoreConfiguration:
    """The store configuration of this process."""
    return _configuration


def model_root() -> Path:
    """The configured model directory."""
    return _configuration.root


def _ensure_root(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    gi = root / ".gitignore"
    if not gi.exists():
        gi.write_text("*\n", encoding="utf-8")


def new_version_id(data_hash: str, root: Path | None = None) -> str:
    root = root or model_root()
    base = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + data_hash[:8]
    vid, n = base, 1
    while (root / vid).exists():
        n += 1
        vid = f"{base}-{n}"
    return vid


def staging_dir(root: Path | None = None) -> Path:
    root = root or model_root()
    _ensure_root(root)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=root))


def commit_version(staging: Path, version: str, root: Path | None = None) -> Path:
    root = root or model_root()
    final = root / version
    os.rename(staging, final)
    return final


def list_versions(root: Path | None = None) -> list[str]:
    root = root or model_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _VERSION_RE.match(p.name))


def current_version(root: Path | None = None) -> str | None:
    """The promoted version: the configured record first (for the configured root), else ``CURRENT``."""
    cfg = _configuration
    root = root or cfg.root
    if cfg.current_version is not None and Path(root) == cfg.root:
        try:
            recorded = cfg.current_version()
        except Exception as exc:  # noqa: BLE001 - a record that cannot be read must not stop classifying
            log.warning("promoted version record unreadable, using %s/CURRENT: %s", root, exc)
            recorded = None
        if recorded:
            return recorded
    return read_current_file(root)


def read_current_file(root: Path | None = None) -> str | None:
    """The version named by ``<root>/CURRENT``, or ``None``."""
    root = root or model_root()
    try:
        v = (root / "CURRENT").read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return v or None


def version_dir(version: str, root: Path | None = None) -> Path:
    root = root or model_root()
    d = root / version
    if not (d / "model").is_dir():
        raise ModelNotAvailableError(f"model version {version!r} not found under {root}")
    return d


def resolve(version: str | None, root: Path | None = None) -> str:
    """``None``/``"current"`` → promoted version, ``"latest"`` → newest; else as given."""
    root = root or model_root()
    if version in (None, "current", "CURRENT"):
        v = current_version(root)
        if not v:
            raise ModelNotAvailableError(
                f"no promoted cause-classifier model under {root}; train one with `{TRAIN_COMMAND}` "
                f"(or `feedbackbot classifier train --promote`)"
            )
        return v
    if version == "latest":
        vs = list_versions(root)
        if not vs:
            raise ModelNotAvailableError(f"no model versions under {root}; run `{TRAIN_COMMAND}`")
        return vs[-1]
    return version


def promote(version: str, root: Path | None = None, *, action: str = "promote", actor: str | None = None,
            why: str | None = None, report: dict[str, Any] | None = None) -> None:
    """Make ``version`` the promoted one.

    For the configured root with an ``on_promote`` recorder, the recorder does
    it (and records ``action``, ``actor``, ``why`` and ``report``); otherwise
    ``CURRENT`` is written here and the keyword arguments are not kept.
    """
    cfg = _configuration
    root = root or cfg.root
    version_dir(version, root)  # must exist
    if cfg.on_promote is not None and Path(root) == cfg.root:
        cfg.on_promote(version, action=action, actor=actor, why=why, report=report)
        return
    write_current(version, root)


def write_current(version: str, root: Path | None = None) -> None:
    """Replace ``<root>/CURRENT`` atomically with ``version`` (which must exist)."""
    root = root or model_root()
    version_dir(version, root)  # must exist
    _ensure_root(root)
    fd, tmp = tempfile.mkstemp(prefix=".CURRENT-", dir=root)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(version + "\n")
    os.replace(tmp, root / "CURRENT")


PROMOTION_LOG = "promotion_log.jsonl"


def append_promotion_log(entry: dict, root: Path | None = None) -> None:
    """Append one promotion/rollback record to ``<root>/promotion_log.jsonl`` (adds ``at``)."""
    root = root or model_root()
    _ensure_root(root)
    entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
    with open(root / PROMOTION_LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def read_promotion_log(root: Path | None = None) -> list[dict]:
    """All records of ``promotion_log.jsonl``, oldest first (unreadable lines skipped)."""
    root = root or model_root()
    path = root / PROMOTION_LOG
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def read_json(version: str, name: str, root: Path | None = None) -> dict:
    path = version_dir(version, root) / name
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
