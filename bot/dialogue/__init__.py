"""Database-free dialogue core of the survey: decides what to store and what to say.

:func:`bot.dialogue.engine.start` and :func:`bot.dialogue.engine.handle_reply`
take a snapshot of the survey and return a decision (effects, responses, next
state); ``bot.conversation.turns`` loads the snapshot and applies the effects, and
the Rasa custom actions call that service. Everything here is testable without
Rasa or a database.
"""
from bot.dialogue.state import DialogueState, Outcome  # noqa: F401
