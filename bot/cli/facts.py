"""``feedbackbot facts rebuild|verify``: the KPI fact table ``survey_facts``.

``rebuild`` re-materialises every row from the canonical per-survey query
(after bulk SQL written outside the application, or to be sure). ``verify``
scores a period both from the fact table and straight from the source
tables and reports any field that differs (exit 1), without changing
anything.
"""
from __future__ import annotations

import argparse
import sys
import time

HELP = "The KPI fact table survey_facts: rebuild it, or verify it against the source tables."


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
    """Rebuild ``survey_facts`` in one transaction."""
    from sqlalchemy import func, select

    from bot.db.session import open_session
    from bot.db.survey_facts import SurveyFact
    from bot.ledger.fact_table import refresh_facts
    from bot.settings import Settings

    t = time.perf_counter()
    with open_session(Settings.from_env().database_url) as s, s.begin():
        refresh_facts(s, None)
        n = s.scalar(select(func.count()).select_from(SurveyFact))
    print(f"survey_facts rebuilt: {n} surveys in {time.perf_counter() - t:.1f} s")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 when every row and field agrees, 1 (with the differences) otherwise, 2 on a bad period."""
    from bot.db.session import open_session
    from bot.scoring.board import _score_direct, score_period
    from bot.scoring.periods import PeriodError
    from bot.settings import Settings

    settings = Settings.from_env()
    try:
        with open_session(settings.database_url) as s:
            tz, n = settings.timezone, settings.min_sample
            stored = {(k.level, k.id): k.to_dict() for k in score_period(s, args.period, tz=tz, min_sample=n).rows()}
            direct = {(k.level, k.id): k.to_dict()
                      for k in _score_direct(s, args.period, tz=tz, min_sample=n).rows()}
    except PeriodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bad = [f"{key[0]} {key[1]}: {name} table={stored.get(key, {}).get(name)!r} direct={row.get(name)!r}"
           for key, row in direct.items() for name in row if stored.get(key, {}).get(name) != row[name]]
    bad += [f"{key[0]} {key[1]}: only in the table" for key in stored.keys() - direct.keys()]
    for line in bad:
        print(line)
    print(f"{len(direct)} rows compared, {len(bad)} differences")
    return 1 if bad else 0
