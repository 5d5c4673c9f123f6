"""``feedbackbot facts rebuild|verify``: the KPI fact table ``survey_facts`` and its day sums ``survey_fact_days``
(per day, agent and team) and ``survey_fact_team_days`` (per day and team).

``rebuild`` re-materialises every fact row from the canonical per-survey
query and recounts every day row in the centre's zone (after bulk SQL
written outside the application, after changing the zone, or to be sure).
``verify`` checks, without changing anything: every day row of both tables
against a recount of the fact rows, the team page's rows as served
(``score_scope``: team day sums), and a period's scores as served (day sums), from
the fact rows alone and straight from the source tables; it prints each
difference and exits 1 on any.
"""
from __future__ import annotations

import argparse
import sys
import time

HELP = "The KPI fact table survey_facts and its day sums: rebuild them, or verify them against the source tables."


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``facts`` sub-command to the main CLI."""
    p = sub.add_parser("facts", help=HELP, description=HELP)
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("rebuild", help="re-materialise every row from the canonical query").set_defaults(
        func=cmd_rebuild)
    v = actions.add_parser("verify", help="compare a period's scores from the table with the direct query")
    v.add_argument("--period", required=True, help="period to compare, e.g. 2026-11")
    v.set_defaults(func=cmd_verify)


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild ``survey_facts``, ``survey_fact_days`` and ``survey_fact_team_days`` (in the settings' zone) in one
    transaction."""
    from sqlalchemy import func, select

    from bot.db.session import open_session
    from bot.db.survey_facts import SurveyFact
    from bot.ledger import day_counts
    from bot.ledger.fact_table import refresh_facts
    from bot.settings import Settings

    settings = Settings.from_env()
    t = time.perf_counter()
    with open_session(settings.database_url) as s, s.begin():
        # The zone row first: it is written (locked) before anything else, so a concurrent writer waits.
        day_counts.set_zone(s, settings.timezone)
        refresh_facts(s, None)  # the facts, then the day sums from them
        n = s.scalar(select(func.count()).select_from(SurveyFact))
        days = s.scalar(select(func.count()).select_from(day_counts.D))
        team_days = s.scalar(select(func.count()).select_from(day_counts.T))
    print(f"survey_facts rebuilt: {n} surveys; survey_fact_days: {days} rows, survey_fact_team_days: "
          f"{team_days} rows "
          f"(local days of {settings.timezone}); {time.perf_counter() - t:.1f} s")
    return 0


def _differences(stored: dict, direct: dict, what: str) -> list[str]:
    bad = [f"{key[0]} {key[1]}: {name} {what}={stored.get(key, {}).get(name)!r} direct={row.get(name)!r}"
           for key, row in direct.items() for name in row if stored.get(key, {}).get(name) != row[name]]
    return bad + [f"{key[0]} {key[1]}: only in the {what}" for key in stored.keys() - direct.keys()]


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 when every row and field agrees, 1 (with the differences) otherwise, 2 on a bad period."""
    from sqlalchemy import select

    from bot.db.session import open_session
    from bot.db.staff import Team
    from bot.ledger import day_counts
    from bot.scoring.board import _score_direct, _score_facts, score_period, score_scope
    from bot.scoring.periods import PeriodError
    from bot.settings import Settings

    settings = Settings.from_env()
    try:
        with open_session(settings.database_url) as s:
            tz, n = settings.timezone, settings.min_sample

            def rows(board) -> dict:
                return {(k.level, k.id): k.to_dict() for k in board.rows()}

            served = rows(score_period(s, args.period, tz=tz, min_sample=n))
            # What the staff pages serve: every team's agents and team row scored by score_scope (team day sums).
            teams = list(s.scalars(select(Team.name)))
            scoped = score_scope(s, args.period, tz=tz, min_sample=n, teams=teams)
            pages = {(k.level, k.id): k.to_dict() for team in teams for k in scoped.rows(team=team)}
            direct_board = _score_direct(s, args.period, tz=tz, min_sample=n)
            pages_direct = {(k.level, k.id): k.to_dict() for team in teams for k in direct_board.rows(team=team)}
            facts = rows(_score_facts(s, args.period, tz=tz, min_sample=n))
            direct = rows(direct_board)
            zone = day_counts.built_zone(s)
            days = day_counts.verify(s)
    except PeriodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bad = [line if line.startswith("survey_fact_team_days") else f"survey_fact_days: {line}" for line in days]
    bad += _differences(facts, direct, "table")
    bad += _differences(served, direct, "day-sums")
    bad += _differences(pages, pages_direct, "pages")
    for line in bad:
        print(line)
    if zone is not None and zone != settings.timezone:
        print(f"note: survey_fact_days is keyed by the days of {zone}, the settings say {settings.timezone}: "
              "figures stay exact but read more facts; `feedbackbot facts rebuild` re-keys it")
    print(f"{len(direct)} rows compared, {len(bad)} differences")
    if bad:
        print("MISMATCH: the KPI tables disagree with the source tables; "
              "`feedbackbot facts rebuild` recomputes them", file=sys.stderr)
    return 1 if bad else 0
