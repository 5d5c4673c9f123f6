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

**A file is checked whole before anything of it is written, then written
resumably.** Policy for a file of a million rows:

1. *Check* (one streamed pass, ``bot.importing.file_check``): every row is
   decoded and validated; a byte that is not UTF-8, a cell over the CSV
   reader's field limit, a bad value, or a call id repeated with other data
   anywhere in the file is reported with its line (and column). Any problem:
   the file is refused and **nothing** is written.
2. *Write*: rows are decided in worker processes (the dialogue core and the
   classifier, loaded once per worker, on a
   ``bot.conversation.records.SurveyRecord``; no database), each reading its
   batch from the file itself (the check noted where each batch starts), and
   written by this process in order, one transaction per batch
   (``bot.importing.bulk_store``: COPY on PostgreSQL, multi-row inserts on
   SQLite; ``survey_facts`` refreshed in the same transaction). A batch is all
   or nothing. The workers may decide the first batches while the check still
   runs; those wait, unwritten, until it passes.

An import stopped during the write (killed, Ctrl-C, power cut) leaves whole
batches committed and says so; running the same command again finishes it:
rows whose call is stored identically count as "already present", so every
row ends up stored once. One transaction per file was rejected: a million rows
would hold SQLite's write lock (and the live chat) for minutes and a stop at
99 % would throw everything away. A row whose call id is already stored with
other data (agent, end time, score, reply or its time, cause) is a conflict,
reported line by line (``bot.importing.stored_calls``); the stored call is
kept and the rest of the file imported.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Dialect, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import utcnow
from bot.conversation import records
from bot.csvfile import (
    CONTROL_CHARACTER,
    BadRow,
    CsvFormatError,
    Cursor,
    Problems,
    control_character,
    parse_time,
    read_records,
)
from bot.db.connection import engine_for, make_engine
from bot.db.session import open_session
from bot.db.staff import Team, TeamMembership
from bot.dialogue.state import DONE
from bot.domain import ATTRIBUTION, CAUSES, ReasonSource, SurveyStatus
from bot.importing import bulk_store, file_check, stored_calls
from bot.rating import parse_reply
from bot.settings import Settings
from bot.staff import roster
from classifiers import CauseResult
from zhtext import normalize as normalize_module
from zhtext import redact as redact_module

COLUMNS = ("call_id", "agent_id", "team", "ended_at", "replied_at", "reply", "reason", "cause")
REQUIRED = ("call_id", "agent_id", "ended_at", "replied_at", "reply")
ACTOR = "import"
MAX_ID_CHARS = 64
MAX_TEXT_CHARS = 5000


# --- rows ------------------------------------------------------------------------

class ImportRow(NamedTuple):
    """One validated row of the file (a tuple: the workers send it back to the writer with the decided rows)."""

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
    if CONTROL_CHARACTER.search("".join(raw.values())):  # one search per row; the column is found only when needed
        for column in COLUMNS:
            bad = control_character(raw[column])
            if bad is not None:
                return f"{column} contains the control character {bad}"
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
    bad_more: int = 0  # bad rows beyond those listed in ``bad``
    refused: bool = False  # the file had problems: nothing was written
    conflicts: Problems = field(default_factory=Problems)

    def describe(self) -> str:
        """One line for the terminal."""
        if self.refused:
            return (f"rows read: {self.read}; nothing imported: {len(self.bad) + self.bad_more} problem(s) in the "
                    f"file (listed above with their lines); fix them and run the same command again")
        return (f"rows read: {self.read}, imported: {self.imported}, skipped as already present: "
                f"{self.already_present}, conflicts (not imported): {len(self.conflicts)}, "
                f"bad: {len(self.bad) + self.bad_more}, late: {self.late}, no reply: {self.no_reply}, "
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
    dialect: Dialect | None = None  # the database's, for the values a worker converts

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


class RowOutcome(NamedTuple):
    """What one imported row turned out to be, for the summary."""

    no_reply: bool = False
    late: bool = False
    for_review: bool = False


def token_prefix(ended_at: datetime) -> str:
    """What goes before an imported survey's random token: its call's end in milliseconds, 11 hex digits.

    A survey token is 128 random bits, so each new one lands at a random place of the tokens' unique index;
    a million imported surveys made every batch of 2,000 rewrite about as many scattered index pages (400,000
    rows: 19.9 KB read and 16.7 KB written per row by the writer, 10.5 and 11.4 KB with this prefix, its CPU
    111 → 95 µs per row). An imported survey's link is never sent (its call is history), so its token may carry
    the call's end in front of the same 128 random bits: tokens of a file in time order then go in at the
    index's end. Live surveys keep their short tokens (a link in an SMS).
    """
    return f"{max(0, int(ended_at.timestamp() * 1000)):011x}"


def import_row(ctx: _Context, row: ImportRow, team_id: int | None) -> tuple[records.SurveyRecord, RowOutcome]:
    """Replay one row through the survey core, in memory (``bot.conversation.records``); written with its batch."""
    d = records.new_survey(row.call_id, [row.agent_id], row.ended_at, team_id,
                          window_minutes=ctx.settings.survey_window_minutes,
                          template_version=ctx.settings.greeting_version, now=row.ended_at,
                          token_prefix=token_prefix(row.ended_at))
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

def file_check_row(line: int, raw: dict[str, str]) -> file_check.Checked | str:
    """``check_row`` for the file's first pass: the row with its times normalised, or why it is bad."""
    checked = check_row(line, raw)
    if isinstance(checked, str):
        return checked
    replied = checked.replied_at.isoformat() if checked.replied_at is not None else ""
    return file_check.Checked(line, checked.call_id, (checked.agent_id, checked.team, checked.ended_at.isoformat(),
                                                      replied, checked.reply, checked.reason, checked.cause or ""))


#: How much lower the workers' scheduling priority is than the writer's (``os.nice``).
WORKER_NICENESS = 10

# Each worker process's own context (the classifier is loaded once per worker, on its first batch).
_worker: _Context | None = None


def _start_worker(settings: Settings, now: datetime,
                  classify_many: Callable[[list[str]], list[CauseResult]] | None) -> None:
    global _worker
    if multiprocessing.parent_process() is not None:  # a worker: the parent handles Ctrl-C and ends the pool
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # The writer is the import's one serial process: with both workers as eager as it on two cores, it got
        # about 60 % of a core (300,000 rows: 186 µs of wall time per row for 115 µs of its CPU) while the workers
        # decided batches it could not take yet. Yielding to it keeps the pipeline's narrow end busy, and to a
        # live server on the same machine too.
        os.nice(WORKER_NICENESS)
        threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
        # Repeated short replies are normalised and redacted once; the worker ends with the import, so the
        # customers' words it remembers end with it (an in-process import may run inside a server: not there).
        normalize_module.remember_short_texts()
        redact_module.remember_short_texts()
    if classify_many is None:
        from classifiers import classify_many as model_many

        classify_many = model_many
    classify_many(["预热"])  # load the model now, then keep its objects out of the garbage collector's scans
    _spare_the_collector()
    _worker = _Context(settings=settings, classify=BatchClassifier(classify_many), now=now,
                       dialect=engine_for(settings.database_url).dialect)


def _exit_with_parent(parent: int) -> None:
    """End this worker when the import that started it is gone (killed): nothing would read its results."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _spare_the_collector() -> None:
    """Fewer garbage-collector passes: the import allocates millions of short-lived objects (drafts hold
    reference cycles, so the collector stays on), while a full pass over the loaded model costs milliseconds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)


Decided = tuple[ImportRow, bulk_store.FlatRecord, RowOutcome]
_FOOTPRINT = bulk_store.FlatRecord._fields.index("footprint")


Sent = tuple[tuple[Any, ...], ...]  # a Decided row as plain tuples (_plain)


def _plain(item: Decided) -> Sent:
    """A decided row as plain tuples, for its trip from a worker to the writer (:func:`_revived` undoes it).

    The pickler writes a ``NamedTuple`` by calling its Python ``__getnewargs__``, and the unpickler calls its
    Python ``__new__``: a worker spent 18 % of its time pickling its results, 7.5 % in ``__getnewargs__``
    alone (py-spy, 200,000 rows on PostgreSQL), where a plain tuple is written and read in C.
    """
    row, flat, outcome = item
    return tuple(row), (*flat[:_FOOTPRINT], tuple(flat.footprint), *flat[_FOOTPRINT + 1:]), tuple(outcome)


def _revived(item: Sent | BadRow) -> Decided | BadRow:
    """A row sent by :func:`_plain` as the named tuples again."""
    if isinstance(item, BadRow):
        return item
    row, flat, outcome = item
    return (ImportRow._make(row),
            bulk_store.FlatRecord._make((*flat[:_FOOTPRINT], stored_calls.Footprint._make(flat[_FOOTPRINT]),
                                         *flat[_FOOTPRINT + 1:])),
            RowOutcome._make(outcome))


def decide_batch(raws: list[tuple[int, dict[str, str]]]) -> list[Sent | BadRow]:
    """Decide a batch of rows in memory, in a worker process (no database); teams are resolved by the writer."""
    ctx = _worker
    assert ctx is not None, "decide_batch runs in a process started by _start_worker"
    rows: list[ImportRow] = []
    out: list[Sent | BadRow] = []
    for line, raw in raws:
        checked = check_row(line, raw)
        if isinstance(checked, str):  # the file was checked first: only if it changed since
            out.append(BadRow(line, checked))
        else:
            rows.append(checked)
    ctx.classify.prefetch(texts_to_classify(rows))
    assert ctx.dialect is not None
    for row in rows:
        try:
            d, outcome = import_row(ctx, row, None)
            # Sent to the writer as the rows to insert: converting and pickling plain tuples here costs the
            # writer (the import's one serial process) nothing.
            out.append(_plain((row, bulk_store.flatten(d, ctx.dialect), outcome)))
        except Exception as exc:  # noqa: BLE001 - any failure of one row is reported, the batch goes on
            out.append(BadRow(row.line, f"could not import: {type(exc).__name__}: {exc}"[:300]))
    return out


Span = tuple[int, int, int]  # a batch of the file: byte offset, line and number of records (bot.csvfile.Cursor)


def decide_span(path: str, span: Span) -> list[Sent | BadRow]:
    """Read one batch of the file (``span``, found by the file check) and decide it, in a worker process."""
    raws: list[tuple[int, dict[str, str]]] = []
    for item in read_records(path, COLUMNS, REQUIRED, span=span):
        if isinstance(item, BadRow):  # the file was checked whole first: only if it changed since
            raise CsvFormatError(f"the file changed while it was imported ({item})")
        raws.append(item)
    return decide_batch(raws)


class _Decider:
    """Batches of the file read and decided by worker processes, in file order, with a bounded number in flight
    (memory stays flat). The writer sends each worker a span of the file (offset, line, count), not its rows:
    the worker reads them itself, so the writer reads the file once (the check) and pickles no rows."""

    def __init__(self, workers: int, settings: Settings, now: datetime,
                 classify_many: Callable[[list[str]], list[CauseResult]] | None, path: str):
        self._pool: ProcessPoolExecutor | None = None
        self._start = (settings, now, classify_many)
        self._path = path
        self._queue: deque[tuple[int, Future[list[Sent | BadRow]]]] = deque()
        if workers > 0:
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_start_worker, initargs=self._start)
            self._pool.submit(int)  # forks the workers now: they load the classifier while the file is checked
            self._ahead = 2 * workers + 1

    def early(self, span: Span) -> bool:
        """Start deciding ``span`` now, while the file is still being checked (nothing is written before the
        check passes; then these batches are written first). False when :data:`EARLY_BATCHES` already wait, or
        there are no workers: the span is then decided in :meth:`decided`."""
        if self._pool is None or len(self._queue) >= EARLY_BATCHES:
            return False
        self._queue.append((span[2], self._pool.submit(decide_span, self._path, span)))
        return True

    def decided(self, spans: Iterable[Span]) -> Iterator[tuple[int, list[Decided | BadRow]]]:
        """``(rows read, decided rows)`` per batch in order: those started :meth:`early`, then ``spans``."""
        for n, sent in self._sent(spans):
            yield n, [_revived(item) for item in sent]

    def _sent(self, spans: Iterable[Span]) -> Iterator[tuple[int, list[Sent | BadRow]]]:
        if self._pool is None:
            _start_worker(*self._start)
            for span in spans:
                yield span[2], decide_span(self._path, span)
            return
        queue = self._queue
        for span in spans:
            queue.append((span[2], self._pool.submit(decide_span, self._path, span)))
            if len(queue) >= self._ahead:
                n, future = queue.popleft()
                yield n, future.result()
        while queue:
            n, future = queue.popleft()
            yield n, future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


#: Batches the workers may decide ahead while the file is still being checked (then written first). The check
#: is the writer's alone (13–18 s for a million rows), while the workers, their classifier loaded, would wait;
#: decided batches wait in this process's memory, so a bound (this process's peak at 1,000,000 rows on SQLite:
#: 266 MiB before, 400 MiB with 24).
EARLY_BATCHES = 24


# The tables the import writes and then reads back in the same batch (the stored-call lookup, the refresh of
# survey_facts, their day sums and review_items).
_ANALYZED = ("agents", "teams", "team_memberships", "calls", "call_agents", "surveys", "ratings", "reasons",
             "flags", "appeals", "survey_facts", "survey_fact_days", "review_items")


class _Statistics:
    """On PostgreSQL, the planner's statistics of the tables the import fills, kept up to date as they grow.

    Autovacuum analyses a table a minute or more after it grew by a tenth, far behind an import that
    multiplies the tables' size: planned for the tiny tables they saw last, the batch's refresh of
    ``survey_facts`` hashed every stored survey, rating and reason (100,000 rows: 170 µs of server time per
    row, growing with the tables). ``ANALYZE`` (a sample, a fraction of a second) each time the rows written
    by this import double keeps every batch's plans those of an index lookup. A user who does not own a
    table gets a warning from the server and the old statistics, not an error.
    """

    def __init__(self, url: str):
        self._url = url
        self._next = 1000 if url.startswith(("postgresql", "postgres")) else None

    def after(self, written: int) -> None:
        """Call after each committed batch with the number of rows written so far."""
        if self._next is None or written < self._next:
            return
        while self._next <= written:
            self._next *= 2
        with open_session(self._url) as s, s.begin():
            s.execute(text(f"ANALYZE {', '.join(_ANALYZED)}"))


#: The SQLite page cache of the import's writer (KiB). SQLite's default, 2 MB, held fewer pages than the batch's
#: inserts touch in the tables' indexes (the ends of each index's groups): 400,000 rows read 10.5 KB per row back
#: from the file, 5.9 KB with 64 MB (this size was not measured apart: 1,000,000 rows with it and the token
#: prefix, see docs/performance.md).
WRITER_CACHE_KIB = 131_072


#: The PostgreSQL planner's cost of a page read out of order, for the import's writer (the server's default is 4,
#: which suits spinning disks). At 4, the refresh of a batch's 2,000 new surveys hashed every stored call and
#: rating (100,000 rows: the ``survey_facts`` insert's select took 96 ms, growing with the tables); at 1.1, the
#: usual setting for solid-state disks or tables in memory (the import's just-written pages are), it looks up
#: each survey's rows by index (22 ms), whatever the tables' size.
WRITER_RANDOM_PAGE_COST = 1.1


@contextmanager
def _writer_sessions(url: str) -> Iterator[Callable[[], Session]]:
    """Sessions for the import's writer, on an engine of its own (closed with the import).

    * SQLite: its connection keeps a page cache of :data:`WRITER_CACHE_KIB` across the import's batches.
    * PostgreSQL: psycopg never prepares a statement on its connection, so the server plans each of the
      writer's statements for its values and the tables as they are now. Prepared after five runs (psycopg's
      default), a statement kept a generic plan chosen while an empty database's tables were tiny: a
      sequential scan of ``calls`` for the batch's call ids, which grew with every batch (100,000 rows: 1,540
      rows/s over the first 30,000, 788 over all). The earlier cure, ``plan_cache_mode = force_custom_plan``
      for the transaction, also re-planned the foreign-key checks the server runs for every row a ``COPY``
      inserts (eight per imported row): a profile of the server at 200,000 rows found a quarter of its time
      in the planner. Left to the server, those checks keep their cached plans (a primary-key lookup).
    """
    if url.startswith("sqlite"):
        engine = make_engine(url)

        @event.listens_for(engine, "connect")
        def _larger_cache(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    else:
        engine = make_engine(url, connect_args={"prepare_threshold": None,
                                                "options": f"-c random_page_cost={WRITER_RANDOM_PAGE_COST}"})
    try:
        yield sessionmaker(bind=engine, expire_on_commit=False)
    finally:
        engine.dispose()


def _write_batch(s: Session, ctx: _Context, decided: list[Decided | BadRow], summary: ImportSummary,
                 problems: Problems) -> None:
    """Write one decided batch in the caller's transaction: new calls in bulk, stored ones compared."""
    rows: list[Decided] = []
    for item in decided:
        if isinstance(item, BadRow):
            problems.add(item.line, item.reason)
        else:
            rows.append(item)
    present = stored_calls.stored(s, [row.call_id for row, _, _ in rows])
    todo: list[Decided] = []
    in_batch: dict[str, stored_calls.Footprint] = {}
    for row, d, outcome in rows:
        known = present.get(row.call_id) or in_batch.get(row.call_id)
        if known is None:
            in_batch[row.call_id] = d.footprint
            todo.append((row, d, outcome))
            continue
        differ = stored_calls.differences(known, d.footprint)
        if differ:
            summary.conflicts.add(row.line, f"conflict: call id {row.call_id!r} is already stored with another "
                                            f"{', '.join(differ)}; the stored call is kept")
        else:
            summary.already_present += 1
    if not todo:
        return
    first_seen: dict[str, datetime] = {}
    for row, _, _ in todo:
        first_seen.setdefault(row.agent_id, row.ended_at)
    bulk_store.ensure_agents(s, first_seen)
    _write(s, todo, [_call_team(s, ctx, row) for row, _, _ in todo], summary, problems)


def _write(s: Session, decided: list[Decided], team_ids: list[int | None], summary: ImportSummary,
           problems: Problems) -> None:
    """Write the batch at once (its calls in ``team_ids``); if the database refuses it, row by row so only the
    bad rows are lost."""
    try:
        with s.begin_nested():
            bulk_store.write_flat(s, [d for _, d, _ in decided], team_ids)
        done = decided
    except Exception:  # noqa: BLE001 - find the row(s) the database refuses
        done = []
        for item, team_id in zip(decided, team_ids, strict=True):
            try:
                with s.begin_nested():
                    bulk_store.write_flat(s, [item[1]], [team_id])
                done.append(item)
            except Exception as exc:  # noqa: BLE001 - reported, the batch goes on
                problems.add(item[0].line, f"could not import: {type(exc).__name__}: {exc}"[:300])
    for _, _, outcome in done:
        summary.imported += 1
        summary.no_reply += outcome.no_reply
        summary.late += outcome.late
        summary.for_review += outcome.for_review


def _count_rows(path: str | Path) -> int:
    with open(path, "rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)


def _bar(progress: bool, total: int, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="rows", file=sys.stderr, disable=not progress, desc=desc, mininterval=1.0)


#: Rows per batch (one transaction, one task of a worker): a batch's commit and its refresh statements cost
#: the writer less per row in larger batches (2,000 against 500: a fifth less of its CPU on SQLite), while
#: SQLite's write lock is held a fraction of a second.
BATCH_SIZE = 2000


def import_file(settings: Settings, path: str | Path, *, batch_size: int = BATCH_SIZE, progress: bool = True,
                classify_many: Callable[[list[str]], list[CauseResult]] | None = None,
                workers: int | None = None) -> ImportSummary:
    """Import a ratings CSV into ``settings.database_url``: checked whole first, then written batch by batch.

    Args:
        settings: The database and survey settings.
        path: The CSV file.
        batch_size: Rows per transaction (and per worker task).
        progress: Show progress bars on stderr.
        classify_many: The classifier (default: the promoted model, loaded once per worker).
        workers: Worker processes deciding rows (default: one per core; 0 decides in this process).

    Returns:
        The counts; ``refused`` with every problem in ``bad`` when the file had any (nothing written),
        ``conflicts`` for rows whose call id is stored with other data (those rows are not written).

    Raises:
        CsvFormatError: the file cannot be opened or lacks a column (nothing imported).
    """
    summary, problems = ImportSummary(), Problems()
    total = _count_rows(path)
    now = utcnow()
    ctx = _Context(settings=settings, classify=BatchClassifier(lambda texts: []), now=now)
    threshold = gc.get_threshold()
    _spare_the_collector()
    # The workers start (and load the classifier, seconds each) while this process checks the file.
    decider = _Decider((os.cpu_count() or 1) if workers is None else workers, settings, now, classify_many,
                       str(path))
    cursor, spans, early = Cursor(), list[list[int]](), 0
    try:
        with _bar(progress, total, "checking") as bar:

            def checked_row() -> None:
                """Note the row in its batch's span; a whole batch goes to the workers early if all was well."""
                nonlocal early
                bar.update()
                if not spans or spans[-1][2] >= batch_size:
                    spans.append([cursor.record_offset, cursor.record_line, 0])
                spans[-1][2] += 1
                if spans[-1][2] == batch_size and early == len(spans) - 1 and not len(problems) \
                        and decider.early((spans[-1][0], spans[-1][1], batch_size)):
                    early += 1

            summary.read = file_check.check_file(path, COLUMNS, REQUIRED, file_check_row, problems,
                                                 on_row=checked_row, cursor=cursor)
        if len(problems):
            summary.refused = True
            summary.bad, summary.bad_more = problems.rows, problems.more
            return summary
        statistics = _Statistics(settings.database_url)
        with _bar(progress, total, "importing") as bar, _writer_sessions(settings.database_url) as writer:
            for n, decided in decider.decided((a, b, c) for a, b, c in spans[early:]):
                try:
                    with writer() as s, s.begin():
                        _write_batch(s, ctx, decided, summary, problems)
                except BaseException:
                    ctx.forget()  # teams and memberships of a rolled-back batch are gone
                    raise
                statistics.after(summary.imported)
                bar.update(n)
    finally:
        decider.close()
        gc.set_threshold(*threshold)
        gc.unfreeze()
    summary.bad, summary.bad_more = problems.rows, problems.more
    return summary
