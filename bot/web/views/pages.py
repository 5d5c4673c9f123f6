"""What the staff pages show: the context builders that routes hand to the templates.

Routes import these (and never each other): the agent page is also the
supervisor's read-only drill-down, and the admin page shows the team page's
cause report.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Agent
from bot.db.staff import Team
from bot.scoring import agent_feedback
from bot.scoring.board import Scoreboard, score_scope
from bot.scoring.cause_report import CauseCount, CauseReport, cause_report, daily_series, non_staff_counts
from bot.scoring.channels import ChannelRate, response_by_channel
from bot.settings import Settings
from bot.web import display
from bot.web.auth import StaffUser, visible_agents
from bot.web.views.appeals import within_window
from bot.web.views.common import PeriodChoice, explain, local_time


def agent_context(s: Session, settings: Settings, agent: Agent, choice: PeriodChoice, cause: str | None, *,
                  own: bool, page: int = 1) -> dict[str, Any]:
    """Everything the agent page shows for ``agent`` (``own``: the agent themselves, who may appeal); ``page``:
    which page of the feedback list (:data:`bot.scoring.agent_feedback.PAGE_SIZE` replies each, newest first)."""
    tz = settings.timezone
    now = datetime.now(UTC)
    # Read only: the request's session rolls back its implicit transaction at the end. Only this agent's row
    # and their team's agents (for the rank) are scored, not the whole centre.
    board = score_scope(s, choice.period, tz=tz, min_sample=settings.min_sample, agent_id=agent.id)
    row = board.rows(agent_id=agent.id)[0]
    series = daily_series(s, choice.period, tz=tz, agent_id=agent.id)
    size = agent_feedback.PAGE_SIZE
    items = agent_feedback.agent_feedback(s, agent.id, choice.period, tz=tz, cause=cause, limit=size + 1,
                                          offset=(page - 1) * size)
    more = len(items) > size
    query = {**choice.query(), **({"cause": cause} if cause else {})}
    return {
        "agent": agent, "row": row, "own": own, "choice": choice, "cause": cause,
        "explanation": explain(row.counts, "您的" if own else "该客服的"), "whose": "您的" if own else "该客服的",
        "series": [p.to_dict() for p in series], "items": items[:size], "page": page,
        "first_item": (page - 1) * size + 1, "more": more, "items_per_page": size,
        "page_query": lambda n: urlencode({**query, **({"page": n} if n > 1 else {})}),
        "min_sample": settings.min_sample, "time": lambda v: local_time(v, tz),
        "export_query": urlencode({**query, "agent": agent.id}),
        "window_open": lambda item: within_window(item.reason_at, settings, now),
        "window_days": settings.appeal_window_days,
    }


def team_blocks(s: Session, settings: Settings, user: StaffUser, board: Scoreboard, choice: PeriodChoice,
                teams: list[str]) -> list[dict[str, Any]]:
    """One table per team: the agents (with whether ``user`` may open them), the team row, its channels.

    ``board`` holds the rows of ``teams`` (:func:`bot.scoring.board.score_scope` with them, or a full board).
    """
    blocks = []
    for team in teams:
        *agents, team_row, _centre = board.rows(team=team)
        seen = visible_agents(user, (k.id for k in agents), s)
        blocks.append({"name": team, "team_row": team_row, "explanation": explain(team_row.counts, "团队的"),
                       "agents": [(k, k.id in seen) for k in agents],
                       "channels": channel_rates(s, settings, choice, [team])})
    return blocks


def team_ids(s: Session, teams: list[str]) -> list[int]:
    """The ids of the named teams."""
    return list(s.scalars(select(Team.id).where(Team.name.in_(teams)))) if teams else []


def team_cause_reports(s: Session, settings: Settings, choice: PeriodChoice, teams: list[str]
                       ) -> tuple[CauseReport, tuple[CauseCount, ...]]:
    """The cause report of ``teams``' calls (non-staff part) and the centre's non-staff counts, for the side column."""
    tz = settings.timezone
    return (cause_report(s, choice.period, tz=tz, team_ids=team_ids(s, teams)),
            non_staff_counts(s, choice.period, tz=tz))


def causes_context(s: Session, settings: Settings, choice: PeriodChoice, teams: list[str], *,
                   scope: str | None = None) -> dict[str, Any]:
    """The cause report of the period, its staff part limited to ``teams``.

    ``scope`` (the team page: the name of what ``teams`` are) makes the non-staff part ``teams``' own, with the
    centre's figures beside it in a labelled column; None (the admin page): the centre's.
    """
    if scope is None:
        report, centre = cause_report(s, choice.period, tz=settings.timezone), None
    else:
        report, centre = team_cause_reports(s, settings, choice, teams)
    return {"report": report, "centre_report": centre is not None, "cause_scope": scope,
            "centre_counts": {c.cause: c for c in centre} if centre else {},
            "staff_teams": [t for t in teams if t in report.staff_by_team]}


def channel_rates(s: Session, settings: Settings, choice: PeriodChoice, teams: list[str] | None
                  ) -> list[ChannelRate]:
    """Response rate per channel of ``teams``' calls (None: the centre), channels in the pages' order."""
    rates = response_by_channel(s, choice.period, tz=settings.timezone,
                                team_ids=None if teams is None else team_ids(s, teams))
    return sorted(rates, key=lambda r: display.channel_order(r.channel))


def cause_scope(teams: list[str]) -> str:
    """What a team page's own figures cover: the team's name, or "您的 N 个团队"."""
    return teams[0] if len(teams) == 1 else f"所列 {len(teams)} 个团队"
