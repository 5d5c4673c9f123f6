"""The survey page, the team page and the admin page with channels, in Debian's Chromium.

A supervisor opens an SMS survey from the agent's feedback list, reads it, and looks at the team page's channel
table and its own non-staff causes; the admin reads the centre's channels; a panel member sees the survey blind.
Screenshots go to ``var/screenshots/`` for a person to look at.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import serve_web
from tests.browser.test_staff_browser import desktop, log_in, shot  # noqa: F401 - the desktop fixture
from tests.channel_data import PHONE, SMS_WORDS, add_channel_surveys
from tests.staff_data import build


@pytest.fixture(scope="module")
def channel_site(tmp_path_factory) -> Iterator[tuple[str, dict[str, int]]]:
    from bot.db.migrate import upgrade

    base = tmp_path_factory.mktemp("channel-site")
    db = f"sqlite:///{base / 'feedbackbot.db'}"
    upgrade(db)
    ids = add_channel_surveys(db, build(db, base))
    with serve_web(base, db) as url:
        yield url, ids


def test_supervisor_reads_an_sms_survey_and_the_channel_figures(channel_site, desktop, phone):  # noqa: F811
    url, ids = channel_site
    page = desktop()
    log_in(page, url, "S1")
    page.wait_for_url("**/team")
    rates = page.get_by_test_id("channel-rates").first
    assert "短信" in rates.inner_text() and "微信" in rates.inner_text()
    non_staff = page.get_by_test_id("non-staff")
    assert "全中心本期" in non_staff.inner_text()
    shot(page, "supervisor-team-channels")

    page.goto(f"{url}/team/agent/A1")
    row = page.locator("table.feedback tbody tr", has_text="138****5678")
    assert "短信" in row.inner_text()
    row.get_by_role("link").first.click()
    page.wait_for_url(f"**/surveys/{ids['sms']}")
    assert page.get_by_test_id("channel").inner_text() == "短信"
    assert page.get_by_test_id("masked").inner_text().startswith("138****5678")
    assert "张三" in page.get_by_test_id("agent").inner_text()
    transcript = page.locator("ol.chat-transcript")
    assert SMS_WORDS in transcript.inner_text() and PHONE not in page.content()
    assert page.locator("table.reasons tbody tr").count() == 2
    shot(page, "supervisor-survey-sms")
    assert page.errors == []

    small = phone()
    log_in(small, url, "S1")
    small.wait_for_url("**/team")
    small.goto(f"{url}/surveys/{ids['sms']}")
    assert small.get_by_test_id("channel").inner_text() == "短信"
    shot(small, "supervisor-survey-sms-phone")
    assert small.errors == []


def test_admin_sees_the_centres_channels_and_a_panel_member_sees_the_survey_blind(channel_site, desktop):  # noqa: F811
    url, ids = channel_site
    page = desktop()
    log_in(page, url, "ADM")
    page.wait_for_url("**/admin")
    assert "微信" in page.get_by_test_id("channel-rates").inner_text()
    shot(page, "admin-channels")
    assert page.errors == []

    blind = desktop()
    log_in(blind, url, "R2")
    blind.wait_for_url("**/review")
    blind.goto(f"{url}/surveys/{ids['sms']}")
    assert blind.get_by_test_id("agent").count() == 0 and "张三" not in blind.locator("main").inner_text()
    shot(blind, "panel-survey-blind")
    assert blind.errors == []
