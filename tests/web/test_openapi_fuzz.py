"""schemathesis over the OpenAPI spec: generated requests, valid and invalid, on both databases.

Bounded for ``make test``: ``MAX_EXAMPLES`` cases per operation and mode
(five operations, positive and negative data, SQLite and PostgreSQL:
several hundred requests). Every answer must be below 500 and match the
documented status codes, content types, headers and response schemas, and
every other check schemathesis has (``CHECKS.get_all()``: positive data
accepted, negative data rejected, no ignored auth, allowed methods ...).
The app runs in-process (ASGI) with Rasa absent; chat requests for
generated tokens are unknown links and answer 404 before Rasa would be asked.

JSON Schema cannot compare a date-time with "now": ``ended_at`` declares
its bounds as ``x-not-before`` and ``x-max-seconds-after-now``, and positive
cases are drawn within them (:func:`within_declared_bounds`), so a refused
call in the future is not mistaken for valid data refused.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from bot.ops.stack import free_port
from bot.settings import DEV_INTEGRATION_TOKEN, Settings
from bot.web.app import create_app

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25  # per operation and mode, on each backend
AUTH = {"Authorization": f"Bearer {DEV_INTEGRATION_TOKEN}"}
load_all_checks()
ALL_CHECKS = CHECKS.get_all()


def _date_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def within_declared_bounds(body: Any, schema: dict[str, Any]) -> bool:
    """Whether every date-time of ``body`` is within its property's ``x-not-before`` / ``x-max-seconds-after-now``."""
    if not isinstance(body, dict):
        return True
    for name, prop in schema.get("properties", {}).items():
        value = _date_time(body.get(name)) if name in body else None
        if value is None:
            continue
        if "x-not-before" in prop and value < datetime.fromisoformat(prop["x-not-before"]):
            return False
        # A margin for the time between drawing the case and the server reading it.
        latest = datetime.now(UTC) + timedelta(seconds=prop.get("x-max-seconds-after-now", 10**9) - 60)
        if "x-max-seconds-after-now" in prop and value > latest:
            return False
    return True


#: A valid identity of each kind ``x-identity-by-channel`` names (the server checks the form, not the person).
VALID_IDENTITY = {"sms": "+86 138 0013 8000", "wechat": "oAbCdEfGhIjKlMnOpQrStUvWxyz"}


def with_declared_identity(case: Any, schema: dict[str, Any]) -> Any:
    """The case with an identity of the form ``x-identity-by-channel`` declares for its channel."""
    body = case.body
    for name, prop in schema.get("properties", {}).items():
        by_channel = prop.get("x-identity-by-channel")
        if by_channel and isinstance(body, dict) and body.get("channel") in by_channel:
            body[name] = VALID_IDENTITY[body["channel"]]
    return case


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_no_server_error_and_no_schema_violation(db_url, mode):
    app = create_app(Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}"))
    # schemathesis' own pytest plugin cannot load a schema from a fixture under pytest 9: drive it by hand.
    with TestClient(app):  # runs the lifespan (the Rasa client), as uvicorn does
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} == {"/api/calls", "/api/chat/{token}", "/api/chat/{token}/start",
                                                  "/api/chat/{token}/history", "/api/opt-outs/{customer_channel_id}"}
        for operation in operations:
            if mode is GenerationMode.NEGATIVE and not operation.body:
                continue  # only a free-text path parameter: nothing can be generated that the schema forbids

            strategy = operation.as_strategy(generation_mode=mode)
            if mode is GenerationMode.POSITIVE and operation.body:
                body_schema = _body_schema(schema.raw_schema, operation)
                strategy = strategy.filter(lambda case, bs=body_schema: within_declared_bounds(case.body, bs))
                strategy = strategy.map(lambda case, bs=body_schema: with_declared_identity(case, bs))

            @given(case=strategy)
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
            def call(case):
                case.call_and_validate(headers=AUTH, checks=ALL_CHECKS)

            call()


def _body_schema(raw: dict[str, Any], operation) -> dict[str, Any]:
    """The JSON body schema of ``operation`` with its ``$ref`` resolved (our bodies are one component each)."""
    ref = raw["paths"][operation.path][operation.method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    name = ref["$ref"].rsplit("/", 1)[1] if "$ref" in ref else None
    return raw["components"]["schemas"][name] if name else ref
