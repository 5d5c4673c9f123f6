"""The floor of any Rasa bot with one custom action: a minimal rasa-sdk action server whose actions do nothing.

It serves our two action names (``action_start_survey``,
``action_handle_reply``), so the same model, domain, rules and endpoints file
call it exactly as they call ours, but each action returns no events, says
nothing and touches no database or classifier. ``turn_latency.py`` runs a
second Rasa server pointed at it, in the same run as the real stack.

Run: ``.venv/bin/python benchmarks/noop_actions.py -p 5056``
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker, endpoint
from rasa_sdk.executor import CollectingDispatcher

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actions.server import DomainOptionalExecutor  # noqa: E402 - the same domain-less request handling as ours


class _Noop(Action):
    action_name = ""

    def name(self) -> str:
        return self.action_name

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        return []


class NoopStartSurvey(_Noop):
    action_name = "action_start_survey"


class NoopHandleReply(_Noop):
    action_name = "action_handle_reply"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-p", "--port", type=int, default=5056)
    args = parser.parse_args()
    executor = DomainOptionalExecutor()
    executor.register_action(NoopStartSurvey())
    executor.register_action(NoopHandleReply())
    endpoint.run(executor, port=args.port)


if __name__ == "__main__":
    main()
