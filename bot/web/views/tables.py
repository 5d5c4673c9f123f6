"""The tables of the staff pages as header + rows, for the CSV and Excel exports (Chinese headers).

Each table is defined once here; the exports write exactly these columns.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain import STAFF_CAUSES
from bot.scoring.agent_feedback import FeedbackItem
from bot.scoring.cause_report import CauseCount, CauseReport
from bot.scoring.channels import ChannelRate
from bot.scoring.kpi import Kpi
from bot.web import display
from bot.web.views.common import local_time

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """A sheet: a title, Chinese headers and rows of plain cells."""

    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[Cell, ...]]


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


LEVEL_NAMES = {"agent": "客服", "team": "团队", "centre": "全中心"}

_KPI: Sequence[tuple[str, Callable[[Kpi], Any]]] = (
    ("层级", lambda k: LEVEL_NAMES[k.level]),
    ("编号", lambda k: k.id if k.level != "centre" else "全中心"),
    ("姓名/团队", lambda k: k.name),
    ("所属团队", lambda k: k.team),
    ("统计期", lambda k: k.period),
    ("邀请数", lambda k: k.counts.invited),
    ("评分数", lambda k: k.counts.responses),
    ("回复率", lambda k: _r(k.counts.response_rate)),
    ("满意数(4-5分)", lambda k: k.counts.satisfied),
    ("一般(3分)", lambda k: k.counts.neutral),
    ("不满意(1-2分)", lambda k: k.counts.dissatisfied),
    ("原始满意度", lambda k: _r(k.counts.raw_csat)),
    ("归因满意度", lambda k: _r(k.counts.attributed_csat)),
    ("服务原因(计入)", lambda k: k.counts.staff_low),
    ("非服务原因", lambda k: k.counts.non_staff_low),
    ("原因不明/待审核", lambda k: k.counts.unattributed_low),
    ("服务原因占比", lambda k: _r(k.counts.staff_low_rate)),
    ("占比95%区间下限", lambda k: _r(k.counts.staff_low_rate_ci[0]) if k.counts.staff_low_rate_ci else None),
    ("占比95%区间上限", lambda k: _r(k.counts.staff_low_rate_ci[1]) if k.counts.staff_low_rate_ci else None),
    ("超时", lambda k: k.counts.late),
    ("已更正", lambda k: k.counts.corrected),
    ("退出评价", lambda k: k.counts.opted_out),
    ("申诉成立", lambda k: k.counts.appeal_upheld),
    ("结论", lambda k: "有效" if k.verdict == "ok" else display.VERDICT_INSUFFICIENT),
    ("排名", lambda k: k.rank),
    ("归因满意度较上期", lambda k: _r(k.change.attributed_csat)),
)


def kpi_table(rows: Sequence[Kpi], title: str = "满意度") -> Table:
    """The KPI table of the team and admin pages."""
    return Table(title, tuple(h for h, _ in _KPI), [tuple(get(k) for _, get in _KPI) for k in rows])


def feedback_table(items: Sequence[FeedbackItem], tz: str) -> Table:
    """An agent's feedback list."""
    headers = ("通话编号", "通话结束时间", "评分", "客户回复", "原因", "原因分类", "依据词", "是否计入", "说明", "申诉状态",
               "渠道", "客户标识(脱敏)", "评价编号")
    rows: list[tuple[Cell, ...]] = [
        (i.call_id, local_time(i.ended_at, tz), i.score, i.reply, i.reason, display.cause_name(i.cause), i.evidence,
         *display.ITEM_STATUS[i.status],
         display.APPEAL_STATUS_NAMES.get(i.appeal_status or "", ""), display.channel_name(i.channel),
         i.channel_masked, i.survey_id) for i in items]
    return Table("评价明细", headers, rows)


def channel_table(rates: Sequence[ChannelRate], title: str = "各渠道回复率") -> Table:
    """Invited, answered and the response rate per channel (``bot.scoring.channels``)."""
    return Table(title, ("渠道", "邀请数", "已评分", "回复率"),
                 [(display.channel_name(r.channel), r.invited, r.answered, _r(r.response_rate)) for r in rates])


def cause_tables(report: CauseReport, teams: Sequence[str], *, centre: Sequence[CauseCount] | None = None,
                 scope: str | None = None) -> list[Table]:
    """The cause report: non-staff causes (count, previous, quotes) and staff causes of ``teams``.

    With ``centre`` (a team-scoped ``report``, ``scope`` naming its teams) the non-staff table gains the centre's
    count and previous count in columns headed 全中心.
    """
    extra: tuple[str, ...] = ("全中心本期", "全中心上期") if centre else ()
    by_code = {c.cause: c for c in centre} if centre else {}
    non_staff = Table(f"非服务原因-{scope or '全中心'}",
                      ("原因", "本期", "上期", "变化", "客户原话1", "客户原话2", "客户原话3", *extra), [
        (display.cause_name(c.cause), c.count, c.previous, c.count - c.previous,
         *(list(c.quotes) + [None] * 3)[:3],
         *((by_code[c.cause].count, by_code[c.cause].previous) if centre else ())) for c in report.non_staff])
    staff_codes = STAFF_CAUSES
    staff = Table("服务原因(按团队)", ("团队", *(display.cause_name(c) for c in staff_codes)), [
        (team, *(report.staff_by_team[team].get(c, 0) for c in staff_codes))
        for team in teams if team in report.staff_by_team])
    return [non_staff, staff]
