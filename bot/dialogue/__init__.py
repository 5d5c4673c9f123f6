"""Pure dialogue core of the survey: decides what to store and what to say.

Rasa custom actions are thin adapters around :func:`bot.dialogue.engine.start`
and :func:`bot.dialogue.engine.handle_reply`; everything here is testable
without Rasa.
"""
from bot.dialogue.state import DialogueState, Outcome  # noqa: F401
