"""The admin's erasure-on-request page in Debian's Chromium: find a customer, export, erase with a reason.

Screenshots under ``var/screenshots/`` (privacy-*.png) for a person to look at.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.browser.conftest import serve_web
from tests.browser.test_staff_browser import desktop, log_in, shot  # noqa: F401 - the desktop fixture
from tests.staff_data import CUSTOMER_WORDS, add_customer, build


@pytest.fixture(scope="module")
def privacy_site(tmp_path_factory) -> Iterator[str]:
    from bot.db.migrate import upgrade

    base = tmp_path_factory.mktemp("privacy-site")
    db = f"sqlite:///{base / 'feedbackbot.db'}"
    upgrade(db)
    build(db, base)
    add_customer(db)
    with serve_web(base, db) as url:
        yield url


def test_admin_finds_exports_and_erases_a_customer(privacy_site, desktop):  # noqa: F811 - pytest fixture
    page = desktop()
    log_in(page, privacy_site, "ADM")
    page.wait_for_url("**/admin")
    page.get_by_role("link", name="客户个人信息").click()
    page.wait_for_url("**/admin/privacy")
    shot(page, "privacy-ask")

    page.get_by_label("客户标识").fill("12345")
    page.get_by_role("button", name="查看保存的内容").click()
    assert "手机号码" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("客户标识").input_value() == "12345"  # kept, to be corrected
    shot(page, "privacy-bad-number")
    assert page.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.errors.clear()  # the refused form answers 400 (with the page and its message), which Chromium logs

    page.get_by_label("客户标识").fill("+86 139 5555 0123")
    page.get_by_role("button", name="查看保存的内容").click()
    page.wait_for_url("**/admin/privacy/preview")
    assert "139****0123" in page.locator("#held-h").inner_text()
    assert CUSTOMER_WORDS not in page.content()
    shot(page, "privacy-preview")

    with page.expect_download() as info:
        page.get_by_role("button", name="下载该客户的全部内容（JSON）").click()
    download = info.value
    assert download.suggested_filename.endswith(".json")
    held = json.loads(download.path().read_text(encoding="utf-8"))
    assert held["surveys"][0]["ratings"][0]["reasons"][0]["text"] == CUSTOMER_WORDS

    page.get_by_role("button", name="删除", exact=True).click()  # nothing filled in: the browser asks first
    page.wait_for_timeout(200)
    assert page.url.endswith("/admin/privacy/preview")
    page.get_by_label("删除理由").fill("客户来电申请删除，工单 PIPL-2026-118")
    page.get_by_label("我确认删除").check()
    page.get_by_role("button", name="删除", exact=True).click()
    page.wait_for_url("**/admin/privacy/erase")
    assert "已删除" in page.locator("#held-h").inner_text()
    assert CUSTOMER_WORDS not in page.content()
    shot(page, "privacy-done")
    assert page.errors == []
