"""The regulator clock in Chinese working days, on real 2026 holidays and make-up working days.

Dates checked by hand against the State Council's 2026 plan as ``chinese-calendar`` 1.11.0 holds it:
National Day 10-01..10-07 off, Sunday 09-20 and Saturday 10-10 worked; Spring Festival 02-15..02-23 off,
Saturdays 02-14 and 02-28 worked. The package holds no 2027 plan yet.
"""
from __future__ import annotations

from datetime import date

import pytest

from bot.cases import regulators
from bot.cases.policy import Level, PolicyError, parse_levels


def test_12315_over_national_day_skips_the_holiday_and_counts_the_make_up_saturday():
    # Received Wed 09-30. Working days after it: 10-08 Thu, 10-09 Fri, 10-10 Sat (make-up), 10-12 Mon,
    # 10-13, 10-14, 10-15 → the 7th is 10-15 (Mon–Fri only would say 10-09; holidays without the make-up 10-16).
    assert regulators.due_date(regulators.BY_CODE["12315"], date(2026, 9, 30)) == date(2026, 10, 15)


def test_12315_over_spring_festival():
    # Received Fri 02-13: 02-14 Sat (make-up), 02-24, 02-25, 02-26, 02-27, 02-28 Sat (make-up), 03-02 Mon.
    assert regulators.due_date(regulators.BY_CODE["12315"], date(2026, 2, 13)) == date(2026, 3, 2)


def test_banking_clock_counts_calendar_days():
    assert regulators.due_date(regulators.BY_CODE["nfra"], date(2026, 9, 30)) == date(2026, 10, 15)
    assert regulators.due_date(regulators.BY_CODE["nfra"], date(2026, 9, 20)) == date(2026, 10, 5)


def test_a_year_without_a_published_plan_falls_back_to_weekdays_and_says_so():
    assert regulators.calendar_knows(2026) and not regulators.calendar_knows(2027)
    # 12-31 Thu, 2027-01-01 Fri (no plan known: counted), 01-04 .. 01-08.
    assert regulators.due_date(regulators.BY_CODE["12315"], date(2026, 12, 30)) == date(2027, 1, 8)


def test_working_days_left_is_zero_on_the_day_and_negative_after():
    due = date(2026, 10, 15)
    assert regulators.working_days_left(date(2026, 9, 30), due) == 7
    assert regulators.working_days_left(date(2026, 10, 9), due) == 5  # 10-10, 12, 13, 14, 15
    assert regulators.working_days_left(due, due) == 0
    assert regulators.working_days_left(date(2026, 10, 19), due) == -2  # 10-16 Fri, 10-19 Mon


@pytest.mark.parametrize(("text", "code"), [
    ("1分，我要去12315投诉你们", "12315"),
    ("理赔拖了两个月，再不处理我就去银保监投诉", "nfra"),
    ("我已经向金融监管总局反映了", "nfra"),
    ("宽带老断，我去工信部申诉", "miit"),
    ("我要打12345市民热线", "12345"),
    ("我会去消协投诉", "cca"),
    ("找市场监管局举报你们", "12315"),
    ("我要投诉你们经理", None),
    ("我的订单号是9912315678", None),
])
def test_regulator_named_in_the_customers_words(text, code):
    found = regulators.named_regulator(text)
    assert (found.code if found else None) == code


def test_levels_setting_is_read_and_bad_values_are_explained():
    assert parse_levels("班组长=24，中心经理=48,投诉/质检办=72") == (
        Level("班组长", 24), Level("中心经理", 48), Level("投诉/质检办", 72))
    with pytest.raises(PolicyError, match="NAME=HOURS"):
        parse_levels("班组长=一天,中心经理=48")
    with pytest.raises(PolicyError, match="at least two"):
        parse_levels("班组长=24")


def test_a_bad_levels_setting_stops_the_process_at_start():
    from bot.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="NAME=HOURS"):
        Settings.from_env({"FEEDBACKBOT_CASE_LEVELS": "班组长=24,中心经理"})
