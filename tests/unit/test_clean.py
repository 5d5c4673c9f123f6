"""Tests of zhtext.clean: the one control-character rule for every door, and Excel-safe cells."""
from __future__ import annotations

import io

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhtext.clean import REFUSAL_MESSAGE, clean_text, excel_safe, forbidden_characters, has_forbidden

CONTROLS = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))]


@pytest.mark.parametrize("raw, multiline, expected", [
    ("客服\x00很好", False, "客服很好"),
    ("客服\x1b[31m很好", False, "客服[31m很好"),  # the escape goes, the printable rest is text
    ("第一行\n第二行", False, "第一行 第二行"),
    ("第一行\n第二行", True, "第一行\n第二行"),
    ("第一行\r\n第二行\r第三行", True, "第一行\n第二行\n第三行"),
    ("a\tb", True, "a\tb"),
    ("a\tb", False, "a b"),
    ("退款\x85没到\x9f", True, "退款没到"),  # C1 controls (NEL, APC)
    ("删除\x7f键", True, "删除键"),
    ("", True, ""),
    (None, False, ""),
    ("全角　空格和emoji😀都保留", False, "全角　空格和emoji😀都保留"),
])
def test_clean_text(raw, multiline, expected):
    assert clean_text(raw, multiline=multiline) == expected


@given(st.text(alphabet=st.sampled_from(CONTROLS + list("好差五分 \n\tab")), max_size=40), st.booleans())
def test_clean_text_leaves_no_control_character(text, multiline):
    out = clean_text(text, multiline=multiline)
    allowed = {"\t", "\n"} if multiline else set()
    assert not any(ch in CONTROLS and ch not in allowed for ch in out)
    assert not has_forbidden(out, multiline=multiline)
    assert clean_text(out, multiline=multiline) == out


def test_has_forbidden_and_what_it_names():
    assert has_forbidden("好\x00") and forbidden_characters("好\x00\x07\x00") == ["U+0000", "U+0007"]
    assert not has_forbidden("第一行\r\n第二行", multiline=True)
    assert has_forbidden("第一行\n第二行")  # one-line field
    assert not has_forbidden("很满意，给5分")
    assert "控制字符" in REFUSAL_MESSAGE


@pytest.mark.parametrize("raw, expected", [
    ("正常文本", "正常文本"),
    ("含\x00NUL\x0b和\x1f", "含NUL和"),
    ("多行\n保留\t制表", "多行\n保留\t制表"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("=", "="),
    (None, None),
])
def test_excel_safe(raw, expected):
    assert excel_safe(raw) == expected


def test_every_control_character_fits_an_openpyxl_cell_after_excel_safe():
    wb = openpyxl.Workbook()
    ws = wb.active
    text = "客服" + "".join(CONTROLS) + "=态度" + "长" * 40000
    with pytest.raises(openpyxl.utils.exceptions.IllegalCharacterError):
        ws["A1"] = text  # what an export does today with a stored NUL
    ws["A1"] = excel_safe(text)
    assert ws["A1"].value.startswith("客服\t\n\r=态度长")
    ws["A2"] = excel_safe("=1+1")
    assert ws["A2"].data_type == "s"  # text, not a formula
    buffer = io.BytesIO()
    wb.save(buffer)
    again = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert len(again["A1"].value) == 32767 and again["A2"].value == "'=1+1"  # (XML reads \r back as \n)
