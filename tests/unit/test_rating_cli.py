"""The ``parse-rating`` sub-command: JSON lines in, JSON lines out."""
from __future__ import annotations

import argparse
import io
import json
import sys

import pytest

from bot.cli import rating


class _RecordingStdout(io.StringIO):
    """A stdout stand-in that remembers whether it was flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed = False

    def flush(self) -> None:
        self.flushed = True
        super().flush()


def _run(monkeypatch: pytest.MonkeyPatch, stdin_text: str) -> tuple[int, list[str], _RecordingStdout]:
    out = _RecordingStdout()
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin_text))
    monkeypatch.setattr(sys, "stdout", out)
    code = rating.run(argparse.Namespace())
    return code, out.getvalue().splitlines(), out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedbackbot")
    sub = parser.add_subparsers(dest="command", required=True)
    rating.register(sub)
    return parser


def test_register_adds_parse_rating_with_run_as_handler():
    parser = _parser()
    args = parser.parse_args(["parse-rating"])
    assert args.command == "parse-rating"
    assert args.func is rating.run


def test_help_text_is_present(capsys):
    parser = _parser()
    assert "parse-rating" in parser.format_help()
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["parse-rating", "--help"])
    assert exc.value.code == 0
    assert "JSON" in capsys.readouterr().out


def test_exact_output_including_malformed_lines(monkeypatch):
    stdin = "\n".join(
        [
            '{"id": 1, "text": "5分"}',
            '{"id": "b-2", "text": "2 等太久了"}',
            "this is not json",
            "",
            "   ",
            '{"id": 3}',
            '{"id": 4, "text": 5}',
            '{"id": 5, "text": null}',
            '["not", "an", "object"]',
            '{"id": "六", "text": "刚才按错了，应该是5"}',
            '{"id": 7, "text": "TD"}',
            '{"id": 8, "text": "5是满意吗"}',
            '{"id": 9, "text": "1 非常满意"}',
            '{"text": "滿意"}',
            '{"id": 11, "text": "5 别再发了"}',
            '{"id": 12, "text": "刚才按错了"}',
        ]
    ) + "\n"
    code, lines, out = _run(monkeypatch, stdin)
    assert code == 0
    assert lines == [
        '{"id": 1, "score": 5, "kind": "rating"}',
        '{"id": "b-2", "score": 2, "kind": "rating"}',
        '{"id": null, "score": null, "kind": "unparseable", "error": "invalid JSON"}',
        '{"id": 3, "score": null, "kind": "unparseable", "error": "missing text"}',
        '{"id": 4, "score": null, "kind": "unparseable", "error": "text must be a string"}',
        '{"id": 5, "score": null, "kind": "unparseable", "error": "text must be a string"}',
        '{"id": null, "score": null, "kind": "unparseable", "error": "expected a JSON object"}',
        '{"id": "六", "score": 5, "kind": "correction"}',
        '{"id": 7, "score": null, "kind": "optout"}',
        '{"id": 8, "score": null, "kind": "question"}',
        '{"id": 9, "score": null, "kind": "unparseable"}',
        '{"id": null, "score": 4, "kind": "rating"}',
        '{"id": 11, "score": 5, "kind": "rating"}',
        '{"id": 12, "score": null, "kind": "correction"}',
    ]
    assert out.flushed


def test_every_output_line_is_json_with_the_contract_keys(monkeypatch):
    _, lines, _ = _run(monkeypatch, '{"id": 1, "text": "五星"}\n{"id": 2, "text": ""}\n')
    records = [json.loads(line) for line in lines]
    assert records == [
        {"id": 1, "score": 5, "kind": "rating"},
        {"id": 2, "score": None, "kind": "unparseable"},
    ]


def test_empty_input_writes_nothing_and_still_flushes(monkeypatch):
    code, lines, out = _run(monkeypatch, "")
    assert (code, lines, out.flushed) == (0, [], True)


def test_blank_lines_only(monkeypatch):
    code, lines, _ = _run(monkeypatch, "\n\n  \n\t\n")
    assert (code, lines) == (0, [])


def test_no_trailing_newline_and_crlf(monkeypatch):
    _, lines, _ = _run(monkeypatch, '{"id": 1, "text": "4"}\r\n{"id": 2, "text": "3"}')
    assert lines == ['{"id": 1, "score": 4, "kind": "rating"}', '{"id": 2, "score": 3, "kind": "rating"}']


def test_byte_order_mark_on_first_line(monkeypatch):
    _, lines, _ = _run(monkeypatch, '\ufeff{"id": 1, "text": "非常满意"}\n')
    assert lines == ['{"id": 1, "score": 5, "kind": "rating"}']


def test_non_ascii_output_is_not_escaped(monkeypatch):
    _, lines, _ = _run(monkeypatch, '{"id": "客户-甲", "text": "差评"}\n')
    assert lines == ['{"id": "客户-甲", "score": 1, "kind": "rating"}']


def test_truncated_json_and_bad_values_do_not_stop_the_run(monkeypatch):
    stdin = (
        '{"id": 1, "text": "5"\n'
        '{"id": 2, "text": ["5"]}\n'
        '"just a string"\n'
        "42\n"
        "null\n"
        '{"id": 3, "text": "<script>alert(1)</script>"}\n'
        '{"id": 4, "text": "' + "5" * 5000 + '"}\n'
        '{"id": 5, "text": "1"}\n'
    )
    _, lines, _ = _run(monkeypatch, stdin)
    assert lines == [
        '{"id": null, "score": null, "kind": "unparseable", "error": "invalid JSON"}',
        '{"id": 2, "score": null, "kind": "unparseable", "error": "text must be a string"}',
        '{"id": null, "score": null, "kind": "unparseable", "error": "expected a JSON object"}',
        '{"id": null, "score": null, "kind": "unparseable", "error": "expected a JSON object"}',
        '{"id": null, "score": null, "kind": "unparseable", "error": "expected a JSON object"}',
        '{"id": 3, "score": null, "kind": "unparseable"}',
        '{"id": 4, "score": null, "kind": "unparseable"}',
        '{"id": 5, "score": 1, "kind": "rating"}',
    ]
