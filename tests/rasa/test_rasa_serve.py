"""The Rasa start-up shim (deploy/rasa_serve.py), checked inside the Rasa environment.

Fails when a Rasa or jsonschema upgrade makes the shim obsolete (it no longer
applies) or wrong (the patched check disagrees with Rasa's own on any
response, valid or not, or raises a different message).
"""
from __future__ import annotations

import json
import subprocess

import pytest

from bot.ops.stack import RASA_PYTHON, RASA_SERVE, _rasa_env, have_rasa
from bot.settings import ROOT
from tests.conftest import unavailable

# Action server responses: what our actions send, what a no-op action sends, and broken ones.
RESPONSES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "timestamp": None, "name": "stage", "value": "awaiting_reason"}],
     "responses": [{"text": None, "buttons": [], "elements": [], "custom": {}, "template": "utter_ask_reason",
                    "response": "utter_ask_reason", "image": None, "attachment": None}]},
    {"events": [{"event": "slot", "name": "retries", "value": 1.0},
                {"event": "followup", "name": "action_listen"}], "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": {"event": "slot"}, "responses": []},
    {"events": [], "responses": ["utter_ask_reason"]},
    {"events": [{"event": "slot"}], "responses": []},
    {"events": [{"event": "user", "text": 5}]},
]

CHECK = r"""
import json, runpy, sys
shim = runpy.run_path(sys.argv[1])
from rasa.core.actions.action import RemoteAction
from jsonschema import ValidationError

def outcome(validate, response):
    try:
        return ["ok", validate(RemoteAction("action_handle_reply", None), response)]
    except ValidationError as e:
        return ["error", e.message]

print(json.dumps({"why_not": shim["why_not_applicable"](), "applied": shim["apply"](),
                  "patched": RemoteAction._validate_action_result is not getattr(
                      RemoteAction, "_feedbackbot_original_validate", None)}))
original = getattr(RemoteAction, "_feedbackbot_original_validate", RemoteAction._validate_action_result)
for response in json.loads(sys.argv[2]):
    print(json.dumps([outcome(original, response), outcome(RemoteAction._validate_action_result, response)]))
"""


@pytest.fixture(scope="module")
def checked() -> tuple[dict, list]:
    why = have_rasa()
    if why:
        unavailable(why)
    proc = subprocess.run([str(RASA_PYTHON), "-c", CHECK, str(RASA_SERVE), json.dumps(RESPONSES)], cwd=ROOT,
                          env={**_rasa_env(), "RASA_SCHEMA_SHIM": "on"}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith(("{", "["))]
    return lines[0], lines[1:]


def test_the_shim_still_applies_to_this_rasa(checked):
    status, _ = checked
    assert status["why_not"] is None, f"deploy/rasa_serve.py is obsolete for this Rasa: {status['why_not']}"
    assert status["applied"] is True and status["patched"] is True


def test_the_patched_check_agrees_with_rasas_own_on_every_response(checked):
    _, outcomes = checked
    assert len(outcomes) == len(RESPONSES)
    for response, (original, patched) in zip(RESPONSES, outcomes, strict=True):
        assert patched == original, response
    # Not vacuous: the set holds valid and invalid responses.
    kinds = [original[0] for original, _ in outcomes]
    assert kinds.count("ok") >= 3 and kinds.count("error") >= 3, kinds
    assert all("Failed to validate Action server response" in o[1] for o, _ in outcomes if o[0] == "error")


def test_rasa_starts_through_the_shim():
    from bot.ops.stack import Stack

    cmd = Stack(database_url="sqlite://", log_dir=ROOT / "var").rasa_cmd(5005, ROOT / "model.tar.gz")
    assert cmd[:3] == [str(RASA_PYTHON), str(RASA_SERVE), "run"]
