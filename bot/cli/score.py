"""``feedbackbot score``: attributed KPIs of a period as JSON or CSV.

One row per agent, per team and one for the centre (``level`` =
``agent``/``team``/``centre``, ``id`` = agent id / team name / ``centre``),
with the field names of ``bot.scoring.kpi.Kpi.to_dict``. JSON is an array
of objects (``staff_low_rate_ci`` as ``[low, high]``). CSV flattens nested
fields with dotted column names: ``excluded.late``,
``non_staff_by_cause.company.policy``, ``change.raw_csat`` …, and the
interval as two columns ``staff_low_rate_ci.low`` and
``staff_low_rate_ci.high``; an empty cell is null.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

HELP = "Attributed KPIs per agent, team and centre for a period (JSON or CSV)."


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``score`` sub-command to the main CLI."""
    from bot.scoring.periods import PERIOD_HELP

    p = sub.add_parser("score", help=HELP, description=HELP + " " + " ".join(__doc__.split("\n\n")[1].split()))
    p.add_argument("--period", required=True, help=PERIOD_HELP + ", in the centre's time zone")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--agent", help="one agent's row, plus their team's and the centre's")
    who.add_argument("--team", help="a team's agents and the team row (by team name), plus the centre's")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.set_defaults(func=cmd_score)


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys; the interval as ``.low``/``.high``."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = prefix + key
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif key == "staff_low_rate_ci":
            low, high = value if value else (None, None)
            flat[name + ".low"], flat[name + ".high"] = low, high
        else:
            flat[name] = value
    return flat


def write_csv(rows: list[dict[str, Any]], out) -> None:
    """Write flattened rows as CSV (header from the first row; every row has the same keys)."""
    flat = [flatten(r) for r in rows]
    writer = csv.DictWriter(out, fieldnames=list(flat[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in flat)


def cmd_score(args: argparse.Namespace) -> int:
    from bot.db.session import open_session
    from bot.scoring.board import UnknownEntity, score_period
    from bot.scoring.periods import PeriodError, parse_period
    from bot.settings import Settings

    settings = Settings.from_env()
    try:
        period = parse_period(args.period)
        with open_session(settings.database_url) as s:
            board = score_period(s, period, tz=settings.timezone, min_sample=settings.min_sample)
        rows = [k.to_dict() for k in board.rows(agent_id=args.agent, team=args.team)]
    except (PeriodError, UnknownEntity) as exc:
        print(f"feedbackbot score: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        write_csv(rows, sys.stdout)
    return 0
