"""Rasa custom actions: thin adapters from Rasa trackers to the survey core in ``bot.dialogue``."""
