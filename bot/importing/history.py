"""Historical import of calls and survey replies, replayed through the same dialogue core as a live survey.

Each row registers its call with the survey window counted from ``ended_at``,
then plays the start turn and the customer's messages (``reply``, then
``reason``) at ``replied_at``: the same parser, window rule, classifier, PII
redaction, storage and audit as a live conversation. Where the live dialogue
would have asked the customer something (whose fault it was, or to confirm a
contradictory score) nobody can answer any more, so the reason is stored
awaiting review and the survey completed (``finish``). A ``cause`` column is
the centre's own verdict and supersedes the model's reason with source
``import``.

Rows are committed in batches. Every row is decided in memory by the dialogue
core on a ``bot.conversation.records.SurveyRecord`` (the same effects, statuses,
redaction and audit rows as a live turn), then the batch is written with a few
bulk inserts (``bot.importing.bulk_store``) and its ``survey_facts`` refreshed.
A row that fails is reported and the rest of its batch kept (if the database
refuses the batch, it is written row by row to find the bad rows). The
classifier runs once per batch over every text the rows are expected to need
(``classify_many``); anything else falls back to one call.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.conversation import records
from bot.csvfile import BadRow, Problems, parse_time, read_rows
from bot.db.models import Call
from bot.db.session import open_session
from bot.db.staff import Team, TeamMembership
from bot.dialogue.state import DONE
from bot.domain import ATTRIBUTION, CAUSES, ReasonSource, SurveyStatus
from bot.importing import bulk_store
from bot.rating import parse_reply
from bot.settings import Settings
from bot.staff import roster
from classifiers import CauseResult

COLUMNS = ("call_id", "agent_id", "team", "ended_at", "replied_at", "reply", "reason", "cause")
REQUIRED = ("call_id", "agent_id", "ended_at", "replied_at", "reply")
ACTOR = "import"
MAX_ID_CHARS = 64
MAX_TEXT_CHARS = 5000


# --- rows ------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportRow:
    """One validated row of the file."""

    line: int
    call_id: str
    agent_id: str
    team: str
    ended_at: datetime
    replied_at: datetime | None
    reply: str
    reason: str
    cause: str | None


def _time(value: str, column: str) -> datetime | str:
    try:
        return parse_time(value).astimezone(UTC)
    except ValueError:
        return f"{column} {value!r} is not an ISO 8601 time with a zone"


def check_row(line: int, raw: dict[str, str]) -> ImportRow | str:
    """The row validated, or why it is bad."""
    for column in ("call_id", "agent_id"):
        if not raw[column]:
            return f"empty {column}"
        if len(raw[column]) > MAX_ID_CHARS:
            return f"{column} longer than {MAX_ID_CHARS} characters"
    if len(raw["team"]) > 64:
        return "team name longer than 64 characters"
    ended = _time(raw["ended_at"], "ended_at")
    if isinstance(ended, str):
        return ended
    replied: datetime | None = None
    if raw["replied_at"]:
        parsed = _time(raw["replied_at"], "replied_at")
        if isinstance(parsed, str):
            return parsed
        replied = parsed
        if replied < ended:
            return "replied_at is before ended_at"
        if not raw["reply"]:
            return "replied_at given but reply is empty"
    elif raw["reply"] or raw["reason"]:
        return "reply given but replied_at is empty"
    cause = raw["cause"] or None
    if cause is not None and cause not in CAUSES:
        return f"unknown cause code {cause!r}"
    if cause is not None and replied is None:
        return "cause given for a call without reply"
    if max(len(raw["reply"]), len(raw["reason"])) > MAX_TEXT_CHARS:
        return f"reply or reason longer than {MAX_TEXT_CHARS} characters"
    return ImportRow(line, raw["call_id"], raw["agent_id"], raw["team"], ended, replied,
                     raw["reply"], raw["reason"], cause)


# --- summary ---------------------------------------------------------------------

@dataclass
class ImportSummary:
    """Counts of one import run."""

    read: int = 0
    imported: int = 0
    already_present: int = 0
    late: int = 0
    no_reply: int = 0
    for_review: int = 0
    bad: list[BadRow] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the terminal."""
        return (f"rows read: {self.read}, imported: {self.imported}, skipped as already present: "
                f"{self.already_present}, bad: {len(self.bad)}, late: {self.late}, no reply: {self.no_reply}, "
                f"stored for review: {self.for_review}")


# --- classification cache --------------------------------------------------------------

class BatchClassifier:
    """``classify`` with results computed in bulk ahead of the turns that will ask for them."""

    def __init__(self, classify_many: Callable[[list[str]], list[CauseResult]]):
        self._many = classify_many
        self._known: dict[str, CauseResult] = {}

    def prefetch(self, texts: Iterable[str]) -> None:
        """Classify every text not known yet in one call."""
        todo = list(dict.fromkeys(t for t in texts if t and t not in self._known))
        if todo:
            self._known.update(zip(todo, self._many(todo)))
        if len(self._known) > 200_000:  # bound memory on huge files
            self._known.clear()

    def __call__(self, text: str) -> CauseResult:
        if text not in self._known:
            self._known[text] = self._many([text])[0]
        return self._known[text]


def texts_to_classify(rows: Iterable[ImportRow]) -> Iterator[str]:
    """The texts the dialogue will most likely classify: the reply's reason part and the second message."""
    for row in rows:
        if row.replied_at is None:
            continue
        rest = parse_reply(row.reply[:MAX_TEXT_CHARS]).reason
        if rest:
            yield rest
        if row.reason:
            yield row.reason.strip()


# --- one row ---------------------------------------------------------------------------

@dataclass
class _Context:
    settings: Settings
    classify: BatchClassifier
    now: datetime
    teams: dict[str, int] = field(default_factory=dict)
    with_team: set[str] = field(default_factory=set)  # agents known to have a membership

    def forget(self) -> None:
        """Drop what a rolled-back transaction may have undone."""
        self.teams.clear()
        self.with_team.clear()


def _team_id(s: Session, ctx: _Context, name: str) -> int:
    if name not in ctx.teams:
        ctx.teams[name] = roster.ensure_team(s, name, ctx.now, ACTOR).id
    return ctx.teams[name]


def _call_team(s: Session, ctx: _Context, row: ImportRow) -> int | None:
    """The call's team: the row's (an agent first seen in the import joins it), else the roster's at the call."""
    if not row.team:
        return roster.team_at(s, row.agent_id, row.ended_at)
    team_id = _team_id(s, ctx, row.team)
    if row.agent_id not in ctx.with_team:
        if s.scalar(select(TeamMembership.id).where(TeamMembership.agent_id == row.agent_id).limit(1)) is None:
            roster.move_to_team(s, row.agent_id, s.get_one(Team, team_id), row.ended_at, ACTOR)
        ctx.with_team.add(row.agent_id)
    return team_id


def _apply_cause(d: records.SurveyRecord, row: ImportRow, at: datetime) -> None:
    """The file's own cause code: supersedes the model's reason, counts as confirmed."""
    rating = d.counted() or d.latest()
    if rating is None or row.cause is None:
        return
    text = row.reason or parse_reply(row.reply).reason or row.reply
    d.record_reason(rating, text, cause=row.cause, attribution=ATTRIBUTION[row.cause], source=ReasonSource.IMPORT,
                    now=at, actor=ACTOR)


@dataclass(frozen=True)
class RowOutcome:
    """What one imported row turned out to be, for the summary."""

    no_reply: bool = False
    late: bool = False
    for_review: bool = False


def import_row(ctx: _Context, row: ImportRow, team_id: int | None) -> tuple[records.SurveyRecord, RowOutcome]:
    """Replay one row through the survey core, in memory (``bot.conversation.records``); written with its batch."""
    d = records.new_survey(row.call_id, [row.agent_id], row.ended_at, team_id,
                          window_minutes=ctx.settings.survey_window_minutes,
                          template_version=ctx.settings.greeting_version, now=row.ended_at)
    if row.replied_at is None:
        if d.expired(ctx.now):
            d.set_status(SurveyStatus.EXPIRED, ctx.now, actor=ACTOR)
        return d, RowOutcome(no_reply=True)
    at = row.replied_at
    late = d.expired(at)
    out = records.start_turn(d, at, ctx.settings.greeting_version)
    for message in (row.reply, row.reason):
        if message:
            out = records.reply_turn(d, message, at, ctx.classify)
    if out.state.stage != DONE:
        # Nobody can answer the dialogue's next question any more: the core's "nobody answered" rule.
        records.finish_turn(d, at, ctx.classify, actor=ACTOR)
    if row.cause:
        _apply_cause(d, row, at)
    rating = d.counted()
    reason = rating.reasons[-1] if rating is not None and rating.reasons else None
    return d, RowOutcome(late=late, for_review=bool(reason is not None and reason.needs_review))


# --- the file ----------------------------------------------------------------------------

def _batches(rows: Iterator[tuple[int, dict[str, str]]], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    batch: list[tuple[int, dict[str, str]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_batch(s: Session, ctx: _Context, raws: list[tuple[int, dict[str, str]]], summary: ImportSummary,
                 problems: Problems, seen: set[str]) -> None:
    """Import one batch in the caller's transaction: decide every row in memory, then write them in bulk."""
    rows: list[ImportRow] = []
    for line, raw in raws:
        checked = check_row(line, raw)
        if isinstance(checked, str):
            problems.add(line, checked)
        else:
            rows.append(checked)
    ids = [r.call_id for r in rows]
    present = set(s.scalars(select(Call.external_id).where(Call.external_id.in_(ids)))) | (seen & set(ids))
    todo = []
    for r in rows:
        if r.call_id in present:
            summary.already_present += 1
        else:
            present.add(r.call_id)
            todo.append(r)
    if not todo:
        return
    ctx.classify.prefetch(texts_to_classify(todo))
    first_seen: dict[str, datetime] = {}
    for r in todo:
        first_seen.setdefault(r.agent_id, r.ended_at)
    bulk_store.ensure_agents(s, first_seen)
    decided: list[tuple[ImportRow, records.SurveyRecord, RowOutcome]] = []
    for row in todo:
        try:
            decided.append((row, *import_row(ctx, row, _call_team(s, ctx, row))))
        except Exception as exc:  # noqa: BLE001 - any failure of one row is reported, the batch goes on
            problems.add(row.line, f"could not import: {type(exc).__name__}: {exc}"[:300])
    _write(s, decided, summary, problems, seen)


def _write(s: Session, decided: list[tuple[ImportRow, records.SurveyRecord, RowOutcome]], summary: ImportSummary,
           problems: Problems, seen: set[str]) -> None:
    """Write the batch at once; if the database refuses it, row by row so only the bad rows are lost."""
    try:
        with s.begin_nested():
            bulk_store.write_records(s, [d for _, d, _ in decided])
        done = decided
    except Exception:  # noqa: BLE001 - find the row(s) the database refuses
        done = []
        for item in decided:
            try:
                with s.begin_nested():
                    bulk_store.write_records(s, [item[1]])
                done.append(item)
            except Exception as exc:  # noqa: BLE001 - reported, the batch goes on
                problems.add(item[0].line, f"could not import: {type(exc).__name__}: {exc}"[:300])
    for row, _, outcome in done:
        summary.imported += 1
        summary.no_reply += outcome.no_reply
        summary.late += outcome.late
        summary.for_review += outcome.for_review
        seen.add(row.call_id)


def _count_rows(path: str | Path) -> int:
    with open(path, "rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)


def import_file(settings: Settings, path: str | Path, *, batch_size: int = 500, progress: bool = True,
                classify_many: Callable[[list[str]], list[CauseResult]] | None = None) -> ImportSummary:
    """Import a ratings CSV into ``settings.database_url``; one transaction per batch.

    Raises:
        CsvFormatError: the file cannot be read or lacks a column (nothing imported).
    """
    from tqdm import tqdm

    if classify_many is None:
        from classifiers import classify_many as model_many

        classify_many = model_many
    ctx = _Context(settings=settings, classify=BatchClassifier(classify_many), now=utcnow())
    summary, problems, seen = ImportSummary(), Problems(), set[str]()
    rows = read_rows(path, COLUMNS, REQUIRED)
    with tqdm(total=_count_rows(path), unit="rows", file=sys.stderr, disable=not progress,
              desc="import-ratings") as bar:
        for batch in _batches(rows, batch_size):
            summary.read += len(batch)
            with open_session(settings.database_url) as s, s.begin():
                import_batch(s, ctx, batch, summary, problems, seen)
            ctx.forget()
            bar.update(len(batch))
    summary.bad = sorted(problems.rows, key=lambda b: b.line)
    return summary
