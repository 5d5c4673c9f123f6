"""Neutral Chinese-text utilities: normalisation and PII redaction.

Shared by the rating parser (``bot``) and the cause classifier
(``classifiers``); imports nothing from either, so both can depend on it.
"""
