"""What the staff pages share: the period filter, the explanation of raw vs attributed CSAT, formatting filters.

Routers build their pages from these; nothing here touches a request's
authorisation (see ``bot.web.access``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Query

from bot.scoring.kpi import Counts
from bot.scoring.periods import Period, PeriodError, parse_period
from bot.web import display, messages
from bot.web.deps import SettingsDep
from bot.web.formatting import local_time  # noqa: F401 - pages and tables import it from here

RECENT_DAYS = 30


@dataclass(frozen=True)
class PeriodChoice:
    """The period a page shows and the state of its filter form."""

    period: Period
    kind: str
    values: dict[str, str]
    error: str | None = None

    def query(self) -> dict[str, str]:
        """Query parameters that select this period again (for links and exports)."""
        return {"kind": self.kind, **{k: v for k, v in self.values.items() if v}}


def today(tz: str):
    """Today's date in the centre's zone."""
    return datetime.now(ZoneInfo(tz)).date()


def recent(tz: str) -> Period:
    """The last 30 local days, today included."""
    end = today(tz)
    return Period("range", end - timedelta(days=RECENT_DAYS - 1), end)


def choose_period(tz: str, kind: str = "recent", month: str = "", week: str = "", day: str = "",
                  start: str = "", end: str = "") -> PeriodChoice:
    """The period of the filter form's fields (``kind`` picks which field counts); bad input → 近30天 + a message."""
    values = {"month": month.strip(), "week": week.strip(), "day": day.strip(), "from": start.strip(),
              "to": end.strip()}
    text = {"month": values["month"], "week": values["week"], "day": values["day"],
            "range": f"{values['from']}..{values['to']}"}.get(kind)
    if kind == "recent" or text is None:
        return PeriodChoice(recent(tz), "recent", {})
    try:
        period = parse_period(text)
    except PeriodError:
        return PeriodChoice(recent(tz), "recent", {}, messages.PERIOD_INVALID)
    if period.days > 400:
        return PeriodChoice(recent(tz), "recent", {}, messages.PERIOD_INVALID)
    return PeriodChoice(period, kind, values)


def explain(counts: Counts, whose: str = "您的") -> str:
    """One sentence on why attributed CSAT differs from raw CSAT, from the row's own counts."""
    if counts.responses == 0:
        return messages.NO_RESPONSES
    low = counts.responses - counts.satisfied
    if low == 0:
        return messages.ALL_SATISFIED.format(n=counts.responses)
    if counts.staff_low == low:
        return messages.ALL_STAFF.format(low=low, whose=whose)
    parts = []
    if counts.non_staff_low:
        detail = "、".join(f"{display.cause_name(code)} {n}" for code, n in
                          sorted(counts.by_cause().items(), key=lambda kv: -kv[1]) if n)
        parts.append(messages.EXPLAIN_NON_STAFF.format(n=counts.non_staff_low, whose=whose, detail=detail))
    unclear = counts.unattributed_low - counts.appeal_upheld
    if unclear:
        parts.append(messages.EXPLAIN_UNATTRIBUTED.format(n=unclear))
    if counts.appeal_upheld:
        parts.append(messages.EXPLAIN_UPHELD.format(n=counts.appeal_upheld))
    return messages.EXPLAIN_PARTS.format(low=low) + "，".join(parts) + messages.EXPLAIN_TAIL






def period_query(
    settings: SettingsDep,
    kind: str = "recent",
    month: str = "",
    week: str = "",
    day: str = "",
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
) -> PeriodChoice:
    """The ``kind``/``month``/``week``/``day``/``from``/``to`` query parameters as a :class:`PeriodChoice`."""
    return choose_period(settings.timezone, kind, month, week, day, start, end)


PeriodDep = Annotated[PeriodChoice, Depends(period_query)]


def cause_filter(cause: str = "") -> str | None:
    """The ``cause`` query parameter when it is a known cause code (anything else: no filter)."""
    return cause if cause in display.CAUSE_NAMES else None


CauseDep = Annotated[str | None, Depends(cause_filter)]

#: The last page a list may be asked for (an offset beyond any month's replies; bounds the database's skip).
MAX_PAGE = 1000


def page_number(page: str = "") -> int:
    """The ``page`` query parameter (1, 2, …) of a paged list; anything else, or beyond :data:`MAX_PAGE`: 1."""
    return int(page) if page.isascii() and page.isdigit() and 1 <= int(page) <= MAX_PAGE else 1


PageDep = Annotated[int, Depends(page_number)]
