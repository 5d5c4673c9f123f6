"""The Rasa project itself: data validation and test stories, run by Rasa in its own environment."""
from __future__ import annotations

import subprocess

import pytest

from bot.ops.stack import RASA_BIN, _rasa_env, have_rasa, train_rasa
from bot.settings import ROOT
from tests.conftest import unavailable


@pytest.fixture(scope="module")
def rasa() -> str:
    why = have_rasa()
    if why:
        unavailable(why)
    return str(RASA_BIN)


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=_rasa_env(), capture_output=True, text=True, timeout=600)


def test_rasa_data_validate(rasa):
    proc = run([rasa, "data", "validate", "--domain", "domain.yml", "--data", "nlu", "--config", "config.yml"])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_rasa_test_stories(rasa, tmp_path):
    model = train_rasa()
    proc = run([rasa, "test", "core", "--stories", "tests/rasa/test_stories.yml", "-m", str(model),
                "--fail-on-prediction-errors", "--out", str(tmp_path / "results"), "--no-plot"])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    failed = (tmp_path / "results" / "failed_test_stories.yml")
    assert not failed.exists() or "stories:" not in failed.read_text() or failed.read_text().strip().endswith("[]"), \
        failed.read_text()
