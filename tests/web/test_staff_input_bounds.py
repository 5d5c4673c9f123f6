"""Staff forms, ids and exports under hostile input, against the real web server on SQLite and PostgreSQL.

The exports' tests come last: they leave control characters in the module's database.

* Ids from a form, a path or a query string outside their column's range (or with NUL) are 404/422, never 500.
* An appeal text with NUL or another control character is refused with a Chinese message and not stored.
* Exports write any stored text, whatever control characters an old database holds: both formats open.
"""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.db.models import Rating, Reason
from bot.db.session import open_session
from bot.db.staff import Appeal
from bot.web import messages
from bot.web.security import SECURITY_HEADERS
from tests.staff_data import FORMULA_REASON
from tests.webserver import csrf_token


@pytest.fixture()
def centre(server):
    return server.built, server


def _appeals(db_url: str) -> list[Appeal]:
    with open_session(db_url) as s:
        return list(s.scalars(select(Appeal)))


def _assert_safe_answer(r, statuses=(404, 422)) -> None:
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    for name, value in SECURITY_HEADERS:
        assert r.headers.get(name.decode()) == value.decode(), name


# --- ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason_id", [2**31, 2**63, 2**64, -1, 0, -(2**63) - 1, "1e3", "１２"])
def test_an_appeal_on_an_id_outside_the_column_range_is_refused_not_a_500(centre, reason_id):
    _, web = centre
    c = web.logged_in("A1")
    r = c.post("/me/appeals", data={"reason_id": str(reason_id), "text": "不是我的问题",
                                    "csrf_token": csrf_token(c.get("/me").text)})
    _assert_safe_answer(r)
    assert messages.BAD_REQUEST in r.text  # the staff error page, in Chinese
    assert _appeals(web.stack.database_url) == []
    assert c.get("/me").status_code == 200  # the session goes on


@pytest.mark.parametrize("path", [
    "/team/agent/%00", "/team/agent/A1%00", "/team/agent/" + "A" * 65, "/export/feedback?agent=%00&format=csv",
    "/export/feedback?agent=A1%01&format=xlsx",
])
def test_staff_ids_with_nul_or_beyond_the_column_are_refused_not_a_500(centre, path):
    _, web = centre
    _assert_safe_answer(web.logged_in("ADM").get(path))


# --- appeal text --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["不是我\x00的问题", "\x00", "客户挂断\x07了电话", "见附件\x1b[2J", "删\x7f除"])
def test_an_appeal_with_control_characters_is_refused_in_chinese(centre, text):
    built, web = centre
    c = web.logged_in("A1")
    r = c.post("/me/appeals", data={"reason_id": built.a1_attitude_reason, "text": text,
                                    "csrf_token": csrf_token(c.get("/me").text)})
    assert r.status_code == 303 and r.headers["location"].endswith("refused=control_characters")
    assert messages.APPEAL_REFUSALS["control_characters"] in c.get(r.headers["location"]).text
    assert _appeals(web.stack.database_url) == []


def test_an_appeal_keeps_its_line_breaks_and_tabs(centre):
    built, web = centre
    c = web.logged_in("A1")
    text = "第一，客户要求的退款不归我处理；\r\n第二，\t我已经转给了财务。"
    r = c.post("/me/appeals", data={"reason_id": built.a1_attitude_reason, "text": text,
                                    "csrf_token": csrf_token(c.get("/me").text)})
    assert r.headers["location"].endswith("notice=appeal")
    [stored] = _appeals(web.stack.database_url)
    assert stored.text == "第一，客户要求的退款不归我处理；\n第二，\t我已经转给了财务。"


# --- exports ------------------------------------------------------------------------------

# Every C0 control and DEL, as an old database (or another door) may hold them. PostgreSQL cannot store NUL.
CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f"]


def _poison(db_url: str, built) -> str:
    """Write every control character into the stored texts the exports show; the expected visible text."""
    postgres = db_url.startswith("postgresql")
    controls = "".join(ch for ch in CONTROLS if not (postgres and ch == "\x00"))
    poisoned = f"客服{controls}态度很差"
    with open_session(db_url) as s, s.begin():
        for reason_id in (built.a1_attitude_reason, built.a1_policy_reason):
            s.execute(update(Reason).where(Reason.id == reason_id).values(text=poisoned, evidence=f"\x01{controls}"))
        rating_id = s.scalar(select(Reason.rating_id).where(Reason.id == built.a1_attitude_reason))
        s.execute(update(Rating).where(Rating.id == rating_id).values(raw_reply=f"=1+1{controls}"))
        # A text that is only control characters but begins with a formula sign once they are gone.
        s.execute(update(Reason).where(Reason.text == FORMULA_REASON).values(text="\x01\x02=HYPERLINK(\"x\")"))
    return "客服\t\n\n态度很差"  # as read back: see _line_ends


def _line_ends(cell: str) -> str:
    # XML normalises a stored CR to LF when the workbook is read: compare both formats that way.
    return cell.replace("\r", "\n")


def _cells_xlsx(body: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(body))
    return [_line_ends(str(c)) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
            for c in row if c is not None]


def _cells_csv(body: bytes) -> list[str]:
    text = body.decode("utf-8-sig")
    return [_line_ends(c) for row in csv.reader(io.StringIO(text)) for c in row]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exports_write_any_stored_text_whatever_control_characters_it_holds(centre, fmt):
    built, web = centre
    visible = _poison(web.stack.database_url, built)
    read = _cells_xlsx if fmt == "xlsx" else _cells_csv
    downloads = [(web.logged_in("A1"), f"/export/feedback?format={fmt}"),
                 (web.logged_in("ADM"), f"/export/causes?format={fmt}"),
                 (web.logged_in("S1"), f"/export/causes?format={fmt}"),
                 (web.logged_in("ADM"), f"/export/kpi?format={fmt}")]
    for browser, path in downloads:
        r = browser.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["cache-control"] == "no-store"
        cells = read(r.content)
        assert cells, path
        for cell in cells:
            assert not any(ch in cell for ch in CONTROLS if ch not in "\t\n"), (path, cell)
        if "causes" in path:
            assert visible in cells  # the quote of the non-staff reason survives, minus its controls
    feedback = read(downloads[0][0].get(f"/export/feedback?format={fmt}").content)
    assert visible in feedback
    # Formula protection still holds after the controls are gone.
    assert "'=1+1\t\n\n" in feedback and "'=HYPERLINK(\"x\")" in feedback
    assert not any(c.startswith(("=", "+", "@")) for c in feedback)

