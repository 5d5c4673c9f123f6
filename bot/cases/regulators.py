"""Regulators a customer may name, and the clock each one starts (the rule applied is configuration here).

The rules below are what the product applies; each states its source so a
centre can check it against its own compliance advice:

==========  ==========================================  ===============================================
code        named as                                    clock
==========  ==========================================  ===============================================
``12315``   12315, 市场监管, 工商                        7 working days: the market regulator decides
                                                        whether to accept a complaint within 7 working
                                                        days of receiving it (《市场监督管理投诉举报处理
                                                        暂行办法》 art. 14)
``cca``     消协, 消费者协会                             7 working days: applied as for 12315 (the
                                                        consumer associations refer to the same
                                                        acceptance practice; an assumption)
``miit``    工信部, 工业和信息化部, 12300, 12381          15 calendar days: the operator's own handling
                                                        period before the 申诉受理机构 takes the case
``nfra``    银保监, 金融监管总局, 金融监管, 12378         15 calendar days: a banking or insurance
                                                        institution decides a simple complaint within 15
                                                        days (《银行保险机构消费投诉处理管理办法》)
``12345``   12345                                       5 working days: local 12345 hotlines set their
                                                        own limits; 5 working days is an assumption a
                                                        centre should replace with its city's rule
==========  ==========================================  ===============================================

Days are counted from the day after the complaint (Beijing date), as Chinese
rules count periods; a working day is one ``chinese_calendar`` says is worked,
so official holidays are skipped and make-up working days (调休上班) count.
Years the package does not know yet fall back to Monday–Friday and the clock
says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from zhtext.normalize import normalize


@dataclass(frozen=True)
class Regulator:
    """A regulator and the rule of its clock."""

    code: str
    name: str
    pattern: re.Pattern[str]
    days: int
    working_days: bool  # False: calendar days
    rule: str  # shown to staff, Chinese


_NUMBER = r"(?<![0-9]){}(?![0-9])"

#: In the order they are looked for: the first one named decides the clock.
REGULATORS: tuple[Regulator, ...] = (
    Regulator("nfra", "金融监管总局", re.compile(r"银保监|金融监管|12378"), 15, False,
              "银行保险机构应自收到投诉之日起15日内作出处理决定"),
    Regulator("miit", "工信部", re.compile(r"工信部|工业和信息化部|" + _NUMBER.format("12300") + "|"
                                         + _NUMBER.format("12381")), 15, False,
              "电信用户申诉前，企业先行处理期限15日"),
    Regulator("12315", "12315", re.compile(_NUMBER.format("12315") + r"|市场监管|工商局"), 7, True,
              "市场监管部门自收到投诉之日起7个工作日内决定是否受理"),
    Regulator("cca", "消协", re.compile(r"消协|消费者协会"), 7, True,
              "比照12315受理时限：7个工作日"),
    Regulator("12345", "12345", re.compile(_NUMBER.format("12345")), 5, True,
              "各地12345热线时限不一，默认5个工作日"),
)
BY_CODE = {r.code: r for r in REGULATORS}


def named_regulator(text: str) -> Regulator | None:
    """The regulator the customer's words name, if any."""
    t = normalize(text or "")
    return next((r for r in REGULATORS if r.pattern.search(t)), None)


def calendar_knows(year: int) -> bool:
    """Whether ``chinese_calendar`` holds the official holiday plan of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: date) -> bool:
    """A Chinese working day: official holidays off, make-up working days on (Mon–Fri for unknown years)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted)."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def due_date(regulator: Regulator, received: date) -> date:
    """The last day of the regulator's clock for a complaint received on ``received`` (Beijing date)."""
    if regulator.working_days:
        return add_working_days(received, regulator.days)
    return received + timedelta(days=regulator.days)


def working_days_left(today: date, due: date) -> int:
    """Working days from tomorrow up to and including ``due`` (0 on the day itself, negative once past)."""
    if due < today:
        return -sum(1 for n in range(1, (today - due).days + 1) if is_workday(due + timedelta(days=n)))
    return sum(1 for n in range(1, (due - today).days + 1) if is_workday(today + timedelta(days=n)))
