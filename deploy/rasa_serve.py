"""Start Rasa 3.6 with one start-up patch: the action-response schema check compiled once, not per turn.

Run with the Rasa environment's Python in place of the ``rasa`` script, with
the same arguments (``bot.ops.stack`` does so for every Rasa server it starts):

    .venv-rasa/bin/python deploy/rasa_serve.py run -m var/rasa-models/feedbackbot.tar.gz ...

Why: Rasa 3.6 checks every action server response with
``jsonschema.validate(result, schema)``
(``rasa.core.actions.action.RemoteAction._validate_action_result``). That
function first re-checks the schema, a large constant (every event type),
against jsonschema's meta-schema and builds a new validator, on every turn:
1.4 ms of Rasa's CPU per custom-action turn here, about a fifth of the
no-op-action turn (docs/performance.md). The patch builds the validator once
at start-up, checking the schema once, and validates each response with it.
A valid response passes as before; an invalid one is handed to Rasa's own
method, which raises the very error and message it always did.

The patch is applied only to the Rasa and jsonschema versions it was written
for and only while Rasa's method is the one it replaces (its source hash);
otherwise Rasa starts unpatched and the log says why, and
``tests/rasa/test_rasa_serve.py`` fails so that an upgrade revisits the
shim. ``RASA_SCHEMA_SHIM=off`` starts Rasa unpatched (for comparisons).
Nothing of ours imports this file: it runs inside the Rasa environment.
"""
from __future__ import annotations

import hashlib
import inspect
import os
import sys

PATCHED_FOR = {"rasa": "3.6.21", "jsonschema": "3.2.0"}
# sha256 of the source of RemoteAction._validate_action_result in Rasa 3.6.21.
REPLACED_SOURCE_SHA256 = "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42"


def _say(message: str) -> None:
    # Rasa sets up logging itself once its command line runs; before that, plain stderr.
    print(f"rasa_serve: {message}", file=sys.stderr, flush=True)


def why_not_applicable() -> str | None:
    """None when the patch fits this Rasa; otherwise the reason it does not."""
    import jsonschema
    import rasa
    from rasa.core.actions.action import RemoteAction

    found = {"rasa": rasa.__version__, "jsonschema": jsonschema.__version__}
    if found != PATCHED_FOR:
        return f"written for {PATCHED_FOR}, found {found}"
    source = inspect.getsource(RemoteAction._validate_action_result)
    if hashlib.sha256(source.encode()).hexdigest() != REPLACED_SOURCE_SHA256:
        return "RemoteAction._validate_action_result is not the method the patch replaces"
    return None


def apply() -> bool:
    """Patch ``RemoteAction._validate_action_result``; True when applied."""
    if os.environ.get("RASA_SCHEMA_SHIM", "on").lower() in ("off", "0", "false", "no"):
        _say("action-response schema shim off (RASA_SCHEMA_SHIM)")
        return False
    reason = why_not_applicable()
    if reason is not None:
        _say(f"action-response schema shim NOT applied: {reason}")
        return False
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, here, instead of on every response
    validator = cls(schema)
    original = RemoteAction._validate_action_result

    def _validate_action_result(self, result):
        if best_match(validator.iter_errors(result)) is None:
            return True
        return original(self, result)  # raises Rasa's own error and message

    _validate_action_result.__doc__ = original.__doc__
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction._feedbackbot_original_validate = original
    return True


def main() -> None:
    """Apply the patch, then run Rasa's command line with this process's arguments."""
    if apply():
        _say("action-response schema check compiled once (shim applied)")
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
