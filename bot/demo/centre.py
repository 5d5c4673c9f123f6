"""A demo call centre for development: three teams, a dozen agents, two months of calls, the loop, demo logins.

Everything goes through the real paths: the roster through ``roster``, the
calls and replies through ``import_ratings`` (so through the dialogue core and
the classifier), cases through the case workflow, appeals through
``appeals.do_file_appeal``. Calls are generated day by day from a seed of the
date, so loading again the same day adds nothing and a later day only adds
the new days. Each team's customers speak of its own industry
(``sentences.INDUSTRY_REASONS``).

The loop the demo shows (``_loop``): two complaints a day (09:15 and 16:40,
one of them naming a regulator every other day) open cases; those older
than a week were answered and resolved by their handler, the rest escalate
by their deadlines, so there are cases at every level; each team has one
open appeal (信用卡二组's waits for a blind panel of reviewers); the
uncertain reasons wait in the review queue. Calls start 60 days back (and
no later than the first of last month) so that "较上期" of 近30天 and of a
month compares whole periods.

Demo accounts have a known password: they are marked, and refused at
login outside development; this module refuses to run there at all.
"""
from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import workflow
from bot.cases.policy import levels_of
from bot.clock import as_utc, utcnow
from bot.db.cases import RUNNING, Case
from bot.db.migrate import upgrade
from bot.db.models import Agent
from bot.db.session import open_session
from bot.db.staff import Account, Appeal
from bot.db.survey_facts import SurveyFact
from bot.demo.sentences import INDUSTRY_REASONS, REASONS, SCORE_FORMS, UNCLEAR
from bot.domain import AppealMode
from bot.importing import history
from bot.notifications import digest, owners
from bot.settings import Settings
from bot.staff import accounts, appeals, roster

DEMO_PASSWORD = "demo-password-2026"
ADMIN = ("admin", "系统管理员")
# team → (supervisor id, name), agents (id, name, share of low scores they caused, call weight)
TEAMS: dict[str, tuple[tuple[str, str], tuple[tuple[str, str, float, float], ...]]] = {
    "宽带一组": (("9001", "周敏"), (("1001", "陈晓燕", 0.15, 1.0), ("1002", "刘洋", 0.30, 1.0),
                                   ("1003", "王磊", 0.55, 1.0), ("1004", "赵婷", 0.20, 0.15))),
    "信用卡二组": (("9002", "吴强"), (("1005", "孙丽", 0.10, 1.0), ("1006", "李俊", 0.35, 1.0),
                                    ("1007", "郑佳", 0.25, 1.0), ("1008", "黄凯", 0.45, 1.0))),
    "物流三组": (("9003", "何静"), (("1009", "高峰", 0.20, 1.0), ("1010", "林芳", 0.30, 1.0),
                                   ("1011", "马超", 0.15, 1.0), ("1012", "罗雪", 0.40, 1.0))),
}
TEAM_INDUSTRY = {"宽带一组": "broadband", "信用卡二组": "card", "物流三组": "logistics"}
REVIEWERS = (("8001", "钱晨"), ("8002", "孔丽娟"), ("8003", "曹宇"))
HISTORY_DAYS = 60  # 近30天 and the 30 days before it, whole
COMPLAINT_TIMES = (time(9, 15), time(16, 40))  # local: the newest complaint is never 24 h old (a level-1 case)
CASES_SETTLED_AFTER = timedelta(days=7)  # older complaints were answered and resolved by their handler
# Appeals: one per team, by the first agent of the team who has a standing staff attribution in the window.
APPEALS: dict[str, tuple[AppealMode, str]] = {
    "宽带一组": (AppealMode.SUPERVISOR, "客户家那片小区是整体断网，我当时就报了故障单，客户把断网的火撒到我身上，"
                                      "通话里我一直在解释进度，不是我的服务问题，请听一下录音。"),
    "信用卡二组": (AppealMode.PANEL, "客户要求当场免掉年费，这不在我的权限里，我按规定帮他提交了减免申请，"
                                   "也告诉了他三个工作日内有结果，通话里我没有不耐烦。"),
    "物流三组": (AppealMode.SUPERVISOR, "包裹延误是网点爆仓造成的，我当天就催了网点，下午也回电告诉了客户，"
                                      "客户说我没跟进不符合事实，麻烦复核。"),
}
CASE_NOTES = (
    "已致电客户道歉，故障已修复，并按断网天数减免了月租",
    "已联系客户核实，多收的费用原路退回，客户表示接受",
    "已安排网点主管上门处理，破损物品按保价赔付",
    "已回电说明处理结果，客户同意撤诉",
    "已复核通话录音，对相关员工进行了辅导，并向客户致歉",
)
NON_STAFF_WEIGHTS = {"company.policy": 4, "company.product": 4, "company.system": 5, "company.network": 4,
                     "survey.issue": 2, "customer.misreply": 2, "customer.other": 2}
SCORE_WEIGHTS = {5: 50, 4: 17, 3: 9, 2: 9, 1: 15}
CALLS_PER_DAY = {True: 24, False: 11}  # weekday, weekend


class DemoRefused(RuntimeError):
    """The demo centre only exists in development."""


@dataclass(frozen=True)
class DemoLogin:
    """One demo account to print."""

    agent_id: str
    name: str
    role: str
    team: str


def _pick(rng: random.Random, weights: dict) -> str | int:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _sentences(industry: str | None, cause: str) -> tuple[str, ...]:
    """The customers' sentences for ``cause``: the industry's own when it has them."""
    return INDUSTRY_REASONS.get(industry or "", {}).get(cause) or REASONS[cause]


def survey_row(rng: random.Random, call_id: str, agent_id: str, team: str, ended_at: datetime,
               staff_share: float, window_minutes: int, industry: str | None = None) -> dict[str, str]:
    """One row of ``import-ratings`` input: a call and what its customer replied, if anything.

    Args:
        rng: Source of randomness (seeded by the caller for repeatability).
        call_id: The call's id.
        agent_id: The credited agent.
        team: The agent's team name.
        ended_at: When the call ended (aware).
        staff_share: Share of the low scores this agent causes.
        window_minutes: The survey window (a few replies are made after it).
        industry: A key of ``INDUSTRY_REASONS`` (None: sentences of every industry).
    """
    row = dict.fromkeys(history.COLUMNS, "")
    row.update(call_id=call_id, agent_id=agent_id, team=team, ended_at=ended_at.isoformat())
    if rng.random() < 0.15:
        return row  # never replied
    late = rng.random() < 0.04
    delay = window_minutes + rng.randint(5, 600) if late else rng.choice((1, 1, 2, 3, 5, 8, 15, 30))
    row["replied_at"] = (ended_at + timedelta(minutes=delay, seconds=rng.randint(0, 59))).isoformat()
    score = int(_pick(rng, SCORE_WEIGHTS))
    said = rng.choice(SCORE_FORMS).format(n=score)
    if score >= 4:
        row["reply"] = said + (f"，{rng.choice(_sentences(industry, 'none'))}" if rng.random() < 0.3 else "")
        return row
    unclear = rng.random() < 0.1
    cause = "staff." if rng.random() < staff_share else ""
    if unclear:
        text = rng.choice(UNCLEAR)
    elif cause:
        cause = rng.choice(("staff.attitude", "staff.competence", "staff.resolution"))
        text = rng.choice(_sentences(industry, cause))
    else:
        cause = str(_pick(rng, NON_STAFF_WEIGHTS))
        text = rng.choice(_sentences(industry, cause))
    if cause == "customer.misreply" or rng.random() < 0.5:
        row["reply"], row["reason"] = said, text  # the reason as a second message
    else:
        row["reply"] = f"{said}，{text}"
    if cause and not unclear and rng.random() < 0.05:
        row["cause"] = cause  # a quality reviewer's verdict recorded in the old system
    return row


def _agents() -> Iterator[tuple[str, str, str, float, float]]:
    for team, (_sup, members) in TEAMS.items():
        for agent_id, name, share, weight in members:
            yield team, agent_id, name, share, weight


def day_rows(day: date, tz: ZoneInfo, window_minutes: int) -> list[dict[str, str]]:
    """The demo calls of ``day``, always the same for the same day (the complaints last)."""
    rng = random.Random(day.toordinal())
    agents = list(_agents())
    rows = []
    for i in range(CALLS_PER_DAY[day.weekday() < 5]):
        team, agent_id, _name, share, _w = rng.choices(agents, weights=[a[4] for a in agents])[0]
        ended = datetime.combine(day, time(8, 0), tz) + timedelta(minutes=rng.randint(0, 13 * 60 - 1))
        rows.append(survey_row(rng, f"demo-{day:%Y%m%d}-{i:03d}", agent_id, team, ended, share, window_minutes,
                               TEAM_INDUSTRY[team]))
    return rows + complaint_rows(day, tz, rng, agents)


def complaint_rows(day: date, tz: ZoneInfo, rng: random.Random, agents: list) -> list[dict[str, str]]:
    """The day's two complaints, answered two minutes after the call; every other day the first names a regulator."""
    rows = []
    for n, at in enumerate(COMPLAINT_TIMES):
        team, agent_id, _name, _share, _w = rng.choice(agents)
        ended = datetime.combine(day, at, tz)
        kind = "regulator" if n == 0 and day.toordinal() % 2 == 0 else "complaint"
        row = dict.fromkeys(history.COLUMNS, "")
        row.update(call_id=f"demo-{day:%Y%m%d}-c{n}", agent_id=agent_id, team=team, ended_at=ended.isoformat(),
                   replied_at=(ended + timedelta(minutes=2)).isoformat(),
                   reply=f"{rng.choice(('1', '1分', '给1分'))}，{rng.choice(INDUSTRY_REASONS[TEAM_INDUSTRY[team]][kind])}")
        rows.append(row)
    return rows


def first_day(today: date) -> date:
    """The demo's first day: 60 days back, and no later than the first of last month (both periods whole)."""
    return min(today - timedelta(days=HISTORY_DAYS - 1), (today.replace(day=1) - timedelta(days=1)).replace(day=1))


def month_rows(now: datetime, tz: ZoneInfo, window_minutes: int) -> list[dict[str, str]]:
    """Calls from :func:`first_day` until a few hours before ``now`` (replies all in the past).

    A complaint's reply comes two minutes after its call: it counts once the reply is in the past.
    """
    today = now.astimezone(tz).date()
    cutoff, complaint_cutoff = now - timedelta(minutes=window_minutes + 600), now - timedelta(minutes=5)
    rows = []
    day = first_day(today)
    while day <= today:
        rows += [r for r in day_rows(day, tz, window_minutes)
                 if datetime.fromisoformat(r["ended_at"]) < (complaint_cutoff if "-c" in r["call_id"] else cutoff)]
        day += timedelta(days=1)
    return rows


def roster_rows() -> list[dict[str, str]]:
    """The demo roster in ``roster import`` columns."""
    rows = [{"agent_id": ADMIN[0], "name": ADMIN[1], "team": "", "supervisor_id": "", "role": "admin"}]
    for (sup_id, sup_name), _members in TEAMS.values():
        rows.append({"agent_id": sup_id, "name": sup_name, "team": "", "supervisor_id": "", "role": "supervisor"})
    for agent_id, name in REVIEWERS:
        rows.append({"agent_id": agent_id, "name": name, "team": "", "supervisor_id": "", "role": "reviewer"})
    for team, agent_id, name, _share, _w in _agents():
        rows.append({"agent_id": agent_id, "name": name, "team": team, "supervisor_id": TEAMS[team][0][0],
                     "role": "agent"})
    return rows


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    """Write ``rows`` as UTF-8 CSV with a header."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)


def logins() -> list[DemoLogin]:
    """The demo accounts: the admin, a reviewer, each supervisor, the first agent of each team."""
    out = [DemoLogin(ADMIN[0], ADMIN[1], "admin", ""), DemoLogin(REVIEWERS[0][0], REVIEWERS[0][1], "reviewer", "")]
    for team, ((sup_id, sup_name), members) in TEAMS.items():
        out.append(DemoLogin(sup_id, sup_name, "supervisor", team))
        out.append(DemoLogin(members[0][0], members[0][1], "agent", team))
    return out


def load(settings: Settings, *, progress: bool = True) -> list[DemoLogin]:
    """Load (or top up) the demo centre into ``settings.database_url``; returns the demo logins.

    Raises:
        DemoRefused: outside development.
    """
    if settings.env != "development":
        raise DemoRefused("the demo centre (known passwords) is refused outside development")
    upgrade(settings.database_url)
    now = utcnow()
    with tempfile.TemporaryDirectory() as tmp:
        roster_csv, calls_csv = Path(tmp) / "roster.csv", Path(tmp) / "calls.csv"
        write_csv(roster_csv, roster.COLUMNS, roster_rows())
        with open_session(settings.database_url) as s, s.begin():
            roster.import_roster(s, roster_csv, now=now, actor="demo-centre")
            for row in roster_rows():
                if s.get(Account, row["agent_id"]) is None:
                    accounts.set_password(s, row["agent_id"], DEMO_PASSWORD, now=now, actor="demo-centre",
                                          demo=True)
        write_csv(calls_csv, history.COLUMNS,
                  month_rows(now, ZoneInfo(settings.timezone), settings.survey_window_minutes))
        history.import_file(settings, calls_csv, progress=progress)
    with open_session(settings.database_url) as s, s.begin():
        _owners(s, now)
        _loop(s, settings, utcnow())
        # Last week's digest, as Monday's job would have queued it: the admin's inbox shows one. Its deliveries
        # go nowhere in development (no SMTP server configured; the demo addresses are .example ones).
        digest.do_queue_digests(s, now, settings.timezone)
    return logins()


#: Owners of the non-staff causes the centre can act on (customers' own mistakes have none).
DEMO_OWNERS = {
    "company.policy": ("业务运营部", "policy@demo.example"),
    "company.product": ("产品与资费部", "product@demo.example"),
    "company.system": ("IT与流程部", "it@demo.example"),
    "company.network": ("网络运维部", "noc@demo.example"),
    "survey.issue": ("质检办", "qa@demo.example"),
}


def _owners(s: Session, now: datetime) -> None:
    """Give each cause of :data:`DEMO_OWNERS` its owner unless it has one (an admin's choice is kept)."""
    current = owners.all_owners(s)
    for cause, (department, email) in DEMO_OWNERS.items():
        if cause not in current:
            refusal = owners.do_set_owner(s, owners.OwnerInput(cause=cause, department=department, emails=email),
                                          actor="demo-centre", now=now)
            assert refusal is None, refusal



def _loop(s: Session, settings: Settings, now: datetime) -> None:
    """Cases for the new complaints (the old ones settled, the rest escalated on time) and one appeal per team."""
    levels = levels_of(settings)
    workflow.do_open_cases_for_new_flags(s, now, levels=levels, tz=settings.timezone)
    roles = {agent_id: role for agent_id, role in s.execute(select(Agent.id, Agent.role))}
    settled = s.scalars(select(Case).where(Case.status.in_(RUNNING), Case.opened_at < now - CASES_SETTLED_AFTER)
                        .order_by(Case.id)).all()
    for case in settled:
        handler = case.handler_id or ADMIN[0]
        at = as_utc(case.opened_at) + timedelta(hours=5)
        note = CASE_NOTES[case.id % len(CASE_NOTES)]
        for action in ("acknowledge", "answer", "resolve"):
            workflow.act(s, case, action, actor=handler, role=roles.get(handler, "admin"), now=at, note=note)
            at += timedelta(hours=2)
    workflow.do_escalate_overdue_cases(s, now, levels=levels, tz=settings.timezone)
    policy = appeals.AppealPolicy.from_settings(settings)
    for team, (mode, text) in APPEALS.items():
        _appeal_once(s, team, text, appeals.AppealPolicy(policy.window_days, mode, policy.panel_size,
                                                         policy.deadline_workdays, policy.tz), now)


def _appeal_once(s: Session, team: str, text: str, policy: appeals.AppealPolicy, now: datetime) -> None:
    """File the team's demo appeal, unless one of its agents has one pending: the newest staff attribution first."""
    members = [m[0] for m in TEAMS[team][1]]
    pending = s.scalar(select(Appeal.id).where(Appeal.agent_id.in_(members),
                                               Appeal.status.in_(("open", "escalated", "review"))).limit(1))
    if pending is not None:
        return
    for agent_id in members:
        candidates = s.scalars(select(SurveyFact.reason_id)
                               .where(SurveyFact.credited_agent_id == agent_id, SurveyFact.bucket == "staff_low",
                                      SurveyFact.ended_at >= now - timedelta(days=policy.window_days))
                               .order_by(SurveyFact.ended_at.desc()).limit(3)).all()
        for reason_id in candidates:
            if reason_id is not None and appeals.do_file_appeal(
                    s, agent_id=agent_id, reason_id=reason_id, text=text, now=now, policy=policy,
                    rng=random.Random(reason_id)).appeal is not None:
                return


def describe_logins(demo: list[DemoLogin], base_url: str) -> str:
    """The demo logins as lines for the terminal."""
    names = {"admin": "admin", "supervisor": "supervisor", "agent": "agent"}
    lines = [f"demo logins at {base_url}/login (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {names[d.role]:<10} {d.agent_id:<6} {d.name}{'  ' + d.team if d.team else ''}" for d in demo]
    return "\n".join(lines)
