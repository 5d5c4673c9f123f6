"""Action server entry point: rasa-sdk's server, adapted to a Rasa 3.6 engine.

Our actions never read the domain, so Rasa is configured with
``enable_selective_domain`` and sends none (less to serialise on every
turn). Rasa 3.6 predates the domain-digest handshake of newer rasa-sdk
releases, which would answer such a request with HTTP 449 that Rasa 3.6 does
not understand; this executor accepts a missing domain instead.

Every request but ``/health`` needs the shared secret (``actions.guard``).

Run: ``python -m actions.server -p 5055``
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from rasa_sdk import endpoint
from rasa_sdk.executor import ActionExecutor

import actions.readiness  # noqa: F401 - adds GET /ready (database and classifier) to the server
from actions import context, guard
from bot.model_store import configure_classifier


class DomainOptionalExecutor(ActionExecutor):
    """Executes actions whether or not the request carries the domain."""

    def update_and_return_domain(self, payload: dict[str, Any], action_name: str) -> dict[str, Any]:
        if payload.get("domain") is None and not payload.get("domain_digest"):
            return self.domain or {}
        return super().update_and_return_domain(payload, action_name)


def _warm_up() -> None:
    """Load the promoted classifier (and jieba's dictionary) before the first customer waits for it."""
    log = logging.getLogger("actions.server")
    try:
        from classifiers import classify

        classify("预热")
    except Exception as exc:  # noqa: BLE001 - serve anyway; the turn will report the problem
        log.warning("classifier not ready at start: %s", exc)


def main(argv: list[str] | None = None) -> None:
    """Serve the actions of the ``actions`` package over HTTP."""
    parser = argparse.ArgumentParser(description="feedbackbot action server")
    parser.add_argument("-p", "--port", type=int, default=5055)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")
    configure_classifier(context.settings(), actor="action-server")  # the model store of the settings
    _warm_up()
    executor = DomainOptionalExecutor()
    executor.register_package("actions")
    context.settings()  # refuse to start on an unsafe configuration (e.g. the dev secret in production)
    # rasa-sdk builds its app through this factory in every worker (pickled by
    # name): route it through ours so each worker is guarded.
    endpoint.create_app_for_serve = guard.create_guarded_app  # type: ignore[assignment]
    endpoint.run(executor, port=args.port)


if __name__ == "__main__":
    main()
