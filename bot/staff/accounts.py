"""Local staff accounts: Argon2 password hashes, server-side sessions and login rate limiting.

A session cookie carries a random id; only its SHA-256 is stored, so a leaked
database cannot be replayed as a login. Failed logins are rows of
``login_attempts`` (per login id and per client address), so the limit holds
across every web process. An attempt's row is written as a failure *before*
the slow Argon2 check, under a lock on its keys, and turned into a success
only after it: parallel attempts each see the ones before them, so no more
than ``MAX_FAILURES`` passwords are ever checked per window and key.

A password change or a disabled account ends every session of the account;
a session is also refused at each request when its account is disabled.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pwdlib import PasswordHash
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.db.audit import audit
from bot.db.models import Agent
from bot.db.staff import Account, LoginAttempt, StaffSession
from zhtext.clean import has_forbidden

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256
SESSION_IDLE = timedelta(hours=8)
SESSION_ABSOLUTE = timedelta(hours=12)
# Refreshing the idle deadline on every request would write on every page view.
_REFRESH_AFTER = timedelta(minutes=5)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHash.recommended()  # Argon2id
# Verified when the login id is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-password-" + secrets.token_hex(8))


class PasswordRefused(ValueError):
    """A password that cannot be set."""


class PasswordTooWeak(PasswordRefused):
    """The password is shorter than MIN_PASSWORD_CHARS (or absurdly long)."""


class PasswordHasControlCharacters(PasswordRefused):
    """The password holds a control character (nobody could type it at the login form)."""


class LoginRefusal(StrEnum):
    """Why a login was refused."""

    INVALID = "invalid"  # unknown id or wrong password (never say which)
    RATE_LIMITED = "rate_limited"
    DEMO_OUTSIDE_DEVELOPMENT = "demo_outside_development"
    DISABLED = "disabled"  # right password, account disabled (said only to who knows the password)
    CONTROL_CHARACTERS = "control_characters"  # the id or password typed holds a control character


@dataclass(frozen=True)
class LoginResult:
    """A new session (``session_id`` goes into the cookie) or why there is none."""

    agent: Agent | None = None
    session_id: str | None = None
    refusal: LoginRefusal | None = None


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``."""
    return _hasher.hash(password)


def set_password(s: Session, agent_id: str, password: str, *, now: datetime, actor: str = "cli",
                 demo: bool = False) -> Account:
    """Create or change the local account of an existing staff member; a change ends every session of it.

    Runs in the caller's transaction (the caller commits).

    Raises:
        LookupError: no agent ``agent_id``.
        PasswordTooWeak: shorter than MIN_PASSWORD_CHARS.
        PasswordHasControlCharacters: holds a control character.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordTooWeak(f"password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordTooWeak(f"password must have at most {MAX_PASSWORD_CHARS} characters")
    if has_forbidden(password):
        raise PasswordHasControlCharacters("password must not contain control characters")
    if s.get(Agent, agent_id) is None:
        raise LookupError(f"no agent {agent_id!r} (import the roster first)")
    account = s.get(Account, agent_id)
    if account is None:
        account = Account(agent_id=agent_id, password_hash=hash_password(password), updated_at=now, is_demo=demo)
        s.add(account)
        action = "created"
    else:
        account.password_hash, account.updated_at, account.is_demo = hash_password(password), now, demo
        action = "password_changed"
    s.flush()
    ended = end_sessions(s, agent_id)
    audit(s, at=now, actor=actor, entity="account", entity_id=agent_id, action=action, demo=demo,
          sessions_ended=ended)
    return account


def set_disabled(s: Session, agent_id: str, disabled: bool, *, now: datetime, actor: str = "cli") -> Account:
    """Disable (ending every session) or enable again the account of ``agent_id``; the caller commits.

    Raises:
        LookupError: ``agent_id`` has no account.
    """
    account = s.get(Account, agent_id, with_for_update=True)
    if account is None:
        raise LookupError(f"no account for {agent_id!r} (set a password first)")
    account.disabled, account.updated_at = disabled, now
    ended = end_sessions(s, agent_id) if disabled else 0
    audit(s, at=now, actor=actor, entity="account", entity_id=agent_id,
          action="disabled" if disabled else "enabled", sessions_ended=ended)
    return account


def end_sessions(s: Session, agent_id: str) -> int:
    """Delete every session of ``agent_id`` in the caller's transaction; how many there were."""
    ended = s.scalars(delete(StaffSession).where(StaffSession.agent_id == agent_id)
                      .returning(StaffSession.id_hash)).all()
    return len(ended)


def _hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _failures(s: Session, keys: list[str], now: datetime, *, excluding: list[int]) -> int:
    """The largest count of failed attempts in the window over ``keys`` (rows ``excluding`` not counted)."""
    rows = s.execute(
        select(LoginAttempt.key, func.count()).where(
            LoginAttempt.key.in_(keys), LoginAttempt.at > now - FAILURE_WINDOW, LoginAttempt.succeeded.is_(False),
            LoginAttempt.id.not_in(excluding),
        ).group_by(LoginAttempt.key)
    ).all()
    return max((n for _, n in rows), default=0)


def _advisory_locks(s: Session, keys: list[str]) -> None:
    # Row locks cannot serialise a count of rows that do not exist yet: lock the keys themselves,
    # in one order (sorted) so two attempts never wait on each other crosswise.
    for key in sorted(keys):
        s.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


# How each backend makes attempts on the same keys take turns until commit. SQLite needs nothing
# more: the insert that opens the transaction takes the database's write lock, held until commit.
_SERIALISE_KEYS = {"postgresql": _advisory_locks}


def _take_attempt(s: Session, keys: list[str], now: datetime) -> list[int] | None:
    """Record an attempt on ``keys`` as a failure unless the limit is reached; the ids of its rows, or None.

    Must open the transaction (SQLite: its first statement is the insert, which takes the write lock
    before anything is counted).
    """
    serialise = _SERIALISE_KEYS.get(s.get_bind().dialect.name)
    if serialise is not None:
        serialise(s, keys)
    rows = [LoginAttempt(key=k, at=now, succeeded=False) for k in keys]
    s.add_all(rows)
    s.flush()
    ids = [r.id for r in rows]
    if _failures(s, keys, now, excluding=ids) >= MAX_FAILURES:
        s.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(ids)))
        return None
    # Old rows are useless for the limit; keep the table small.
    s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - 4 * FAILURE_WINDOW))
    return ids


def do_login(s: Session, login_id: str, password: str, *, client: str, now: datetime,
             allow_demo: bool) -> LoginResult:
    """Check a password and open a session.

    Transaction contract: ``s`` must have no transaction open; this commits
    two of its own. The first (short, under a lock on the attempt's keys)
    refuses the attempt when the window already holds ``MAX_FAILURES``
    failures for the login id or the client address, else records it as a
    failure and reads the account. The Argon2 check runs between the two,
    outside any transaction. The second, only for the right password, turns
    the attempt into a success and opens the session (or refuses a disabled
    or, outside development, demo account).

    Args:
        s: Open session without a transaction.
        login_id: The agent id typed.
        password: The password typed.
        client: The client address (a second rate-limit key), as ``bot.web.proxies`` decided it.
        now: Current time (UTC).
        allow_demo: False outside development: demo accounts are refused.
    """
    if has_forbidden(login_id) or has_forbidden(password):
        return LoginResult(refusal=LoginRefusal.CONTROL_CHARACTERS)
    login_id = login_id.strip()[:64]
    keys = [f"id:{login_id}", f"ip:{client[:60]}"]
    with s.begin():
        attempt = _take_attempt(s, keys, now)
        account = s.get(Account, login_id) if attempt is not None and login_id else None
    if attempt is None:
        return LoginResult(refusal=LoginRefusal.RATE_LIMITED)
    ok = _hasher.verify(password[:MAX_PASSWORD_CHARS], account.password_hash if account else _DUMMY_HASH)
    if account is None or not ok:
        return LoginResult(refusal=LoginRefusal.INVALID)
    with s.begin():
        s.execute(update(LoginAttempt).where(LoginAttempt.id.in_(attempt)).values(succeeded=True))
        account = s.get(Account, login_id, populate_existing=True)
        if account is None or account.disabled:
            return LoginResult(refusal=LoginRefusal.DISABLED)
        if account.is_demo and not allow_demo:
            return LoginResult(refusal=LoginRefusal.DEMO_OUTSIDE_DEVELOPMENT)
        session_id = secrets.token_urlsafe(32)
        s.add(StaffSession(id_hash=_hash_id(session_id), agent_id=login_id, csrf_token=secrets.token_urlsafe(32),
                           created_at=now, expires_at=now + SESSION_IDLE))
        audit(s, at=now, actor=f"staff:{login_id}", entity="staff_session", entity_id=login_id, action="login",
              client=client[:60])
        return LoginResult(agent=s.get(Agent, login_id), session_id=session_id)


def session_for(s: Session, session_id: str | None, now: datetime) -> StaffSession | None:
    """The live session of cookie value ``session_id``; extends its idle deadline (up to the absolute one).

    A session past its deadlines, or whose account is gone or disabled, is deleted and None returned.
    """
    if not session_id or len(session_id) > 100:
        return None
    row = s.get(StaffSession, _hash_id(session_id))
    if row is None:
        return None
    if now >= as_utc(row.expires_at) or now >= as_utc(row.created_at) + SESSION_ABSOLUTE:
        s.delete(row)
        return None
    account = s.get(Account, row.agent_id)
    if account is None or account.disabled:
        s.delete(row)
        return None
    deadline = min(now + SESSION_IDLE, as_utc(row.created_at) + SESSION_ABSOLUTE)
    if deadline - as_utc(row.expires_at) > _REFRESH_AFTER:
        row.expires_at = deadline
    return row


def do_logout(s: Session, session_id: str | None, now: datetime) -> None:
    """Delete the session of cookie value ``session_id`` (no-op when unknown), with an audit row.

    Transaction contract: ``s`` must have no transaction open; this commits one.
    """
    if not session_id or len(session_id) > 100:
        return
    with s.begin():
        row = s.get(StaffSession, _hash_id(session_id))
        if row is not None:
            audit(s, at=now, actor=f"staff:{row.agent_id}", entity="staff_session", entity_id=row.agent_id,
                  action="logout")
            s.delete(row)


# --- the admin's accounts page (each write audited; the caller commits) ---------------------------

MAX_ID_CHARS = 64
MAX_NAME_CHARS = 128


class AccountRefusal(StrEnum):
    """Why an account change was not made."""

    BAD_ID = "bad_id"
    EXISTS = "exists"
    UNKNOWN = "unknown"
    BAD_ROLE = "bad_role"
    WEAK_PASSWORD = "weak_password"
    SELF = "self"  # an admin may not demote or disable themselves (nobody would be left to undo it)


def do_add_staff(s: Session, *, agent_id: str, name: str, role: str, password: str, actor: str,
                 now: datetime) -> AccountRefusal | None:
    """Add a staff member with a login (no team: the roster import places agents in teams)."""
    from bot.domain import Role

    agent_id, name = agent_id.strip(), name.strip()
    if not agent_id or len(agent_id) > MAX_ID_CHARS or any(c.isspace() for c in agent_id):
        return AccountRefusal.BAD_ID
    if role not in {r.value for r in Role}:
        return AccountRefusal.BAD_ROLE
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        return AccountRefusal.WEAK_PASSWORD
    if s.get(Agent, agent_id) is not None:
        return AccountRefusal.EXISTS
    s.add(Agent(id=agent_id, name=name[:MAX_NAME_CHARS] or None, role=role, created_at=now))
    s.flush()
    audit(s, at=now, actor=actor, entity="agent", entity_id=agent_id, action="created", name=name, role=role)
    set_password(s, agent_id, password, now=now, actor=actor)
    return None


def do_set_role(s: Session, *, agent_id: str, role: str, actor_id: str, now: datetime) -> AccountRefusal | None:
    """Give ``agent_id`` another role (their sessions end, so every page re-reads it)."""
    from bot.domain import Role

    agent = s.get(Agent, agent_id)
    if agent is None:
        return AccountRefusal.UNKNOWN
    if role not in {r.value for r in Role}:
        return AccountRefusal.BAD_ROLE
    if agent_id == actor_id and role != agent.role:
        return AccountRefusal.SELF
    if role != agent.role:
        audit(s, at=now, actor=f"admin:{actor_id}", entity="agent", entity_id=agent_id, action="role_changed",
              old=agent.role, new=role)
        agent.role = role
        end_sessions(s, agent_id)
    return None


def do_set_disabled(s: Session, *, agent_id: str, disabled: bool, actor_id: str,
                    now: datetime) -> AccountRefusal | None:
    """Disable (every session ends, no login) or enable the account of ``agent_id``."""
    account = s.get(Account, agent_id)
    if account is None:
        return AccountRefusal.UNKNOWN
    if agent_id == actor_id and disabled:
        return AccountRefusal.SELF
    if account.disabled != disabled:
        account.disabled = disabled
        account.updated_at = now
        ended = end_sessions(s, agent_id) if disabled else 0
        audit(s, at=now, actor=f"admin:{actor_id}", entity="account", entity_id=agent_id,
              action="disabled" if disabled else "enabled", sessions_ended=ended)
    return None


def do_set_password(s: Session, *, agent_id: str, password: str, actor_id: str,
                    now: datetime) -> AccountRefusal | None:
    """Set the password of ``agent_id`` (creating the login if there is none); their sessions end."""
    try:
        set_password(s, agent_id, password, now=now, actor=f"admin:{actor_id}")
    except PasswordTooWeak:
        return AccountRefusal.WEAK_PASSWORD
    except LookupError:
        return AccountRefusal.UNKNOWN
    if agent_id != actor_id:
        end_sessions(s, agent_id)
    return None


@dataclass(frozen=True)
class AccountRow:
    agent_id: str
    name: str | None
    role: str
    has_login: bool
    disabled: bool
    updated_at: datetime | None


def account_rows(s: Session) -> list[AccountRow]:
    """Every staff member with their login's state, by id."""
    rows = s.execute(select(Agent.id, Agent.name, Agent.role, Account.agent_id, Account.disabled, Account.updated_at)
                     .outerjoin(Account, Account.agent_id == Agent.id).order_by(Agent.id))
    return [AccountRow(r[0], r[1], r[2], r[3] is not None, bool(r[4]), r[5]) for r in rows]
