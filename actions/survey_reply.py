"""Every customer reply within a survey: score, reason, cause choice, corrections, opt-out, complaints."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context, turn_runner
from bot.conversation import turns


class ActionHandleReply(Action):
    """Hands the reply to the turn service and relays what it decided."""

    def name(self) -> str:
        return "action_handle_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        return turn_runner.run_turn(dispatcher, tracker, lambda s, token, mid: turns.reply_turn(
            s, token, text, context.now(), context.classify, message_id=mid,
            channel_secret=context.settings().session_secret))
