"""Neutral Chinese-text utilities: normalisation, PII redaction and the control-character rule.

* :mod:`zhtext.normalize`: full-width, Traditional/regional wording, Cantonese → canonical text.
* :mod:`zhtext.redact`: :func:`~zhtext.redact.redact`, the one entry point of redaction, built from
  :mod:`zhtext.textview` (folded search view with offsets back), :mod:`zhtext.recognizers`
  (recognisers with context words), :mod:`zhtext.validators` (check digits, Luhn, number plans)
  and :mod:`zhtext.anonymize` (overlaps and placeholders).
* :mod:`zhtext.clean`: :func:`~zhtext.clean.clean_text` for every door, :func:`~zhtext.clean.excel_safe`
  for exports.

Shared by the rating parser (``bot``) and the cause classifier
(``classifiers``); imports nothing from either, so both can depend on it.
"""
