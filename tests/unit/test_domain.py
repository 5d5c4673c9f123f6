"""The vocabulary in bot.domain agrees with Rasa's domain.yml and the classifier's labels."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.dialogue.cues import cause_choice
from bot.domain import ATTRIBUTION, CAUSE_CHOICES, CAUSES, Attribution
from bot.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def _domain() -> dict:
    return YAML(typ="safe").load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_cause_choice_buttons_in_domain_match_the_vocabulary():
    buttons = _domain()["responses"]["utter_ask_cause_choice"][0]["buttons"]
    assert [(b["title"], b["payload"]) for b in buttons] == [(c.title, c.title) for c in CAUSE_CHOICES]


def test_every_choice_maps_to_causes_of_its_attribution():
    for c in CAUSE_CHOICES:
        assert c.default_cause in c.causes
        assert all(ATTRIBUTION[cause] == c.attribution for cause in c.causes)
        assert cause_choice(c.title) == c.key


def test_cause_codes_are_the_taxonomy_contract():
    assert len(CAUSES) == 11 and CAUSES[-1] == "none"
    assert {ATTRIBUTION[c] for c in CAUSES} == {a.value for a in Attribution}


def test_every_response_the_engine_names_exists_in_domain():
    import re

    responses = set(_domain()["responses"])
    engine = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot" / "dialogue").glob("*.py"))
    named = set(re.findall(r'"(utter_[a-z_]+)"', engine))
    assert named and named <= responses


@pytest.mark.parametrize("env_name", ["test", "production"])
@pytest.mark.parametrize("secret", ["FEEDBACKBOT_INTEGRATION_TOKEN", "FEEDBACKBOT_SESSION_SECRET",
                                    "ACTION_SERVER_TOKEN"])
def test_each_development_secret_is_refused_outside_development(env_name, secret):
    real = {"FEEDBACKBOT_INTEGRATION_TOKEN": "i" * 32, "FEEDBACKBOT_SESSION_SECRET": "s" * 32,
            "ACTION_SERVER_TOKEN": "a" * 32}
    Settings.from_env({"FEEDBACKBOT_ENV": env_name, **real})  # real secrets: accepted
    missing = {k: v for k, v in real.items() if k != secret}
    with pytest.raises(SettingsError):
        Settings.from_env({"FEEDBACKBOT_ENV": env_name, **missing})
    with pytest.raises(SettingsError):
        Settings.from_env({"FEEDBACKBOT_ENV": env_name, **missing, secret: "short"})


def test_development_accepts_its_own_secrets_and_paths_derive_from_var_dir(tmp_path):
    s = Settings.from_env({"FEEDBACKBOT_VAR_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'feedbackbot.db'}"
    assert s.model_dir == tmp_path / "models" / "classifier"
    assert s.log_dir == tmp_path / "log" and s.rasa_models_dir == tmp_path / "rasa-models"
    assert Settings.from_env({"RASA_URL": "http://h:1/"}).rasa_url == "http://h:1"
