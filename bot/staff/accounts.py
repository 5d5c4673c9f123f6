"""Local staff accounts: Argon2 password hashes, server-side sessions and login rate limiting.

A session cookie carries a random id; only its SHA-256 is stored, so a leaked
database cannot be replayed as a login. Failed logins are rows of
``login_attempts`` (per login id and per client address), so the limit holds
across every web process.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pwdlib import PasswordHash
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.db.audit import audit
from bot.db.models import Agent
from bot.db.staff import Account, LoginAttempt, StaffSession

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


class PasswordTooWeak(ValueError):
    """The password is shorter than MIN_PASSWORD_CHARS (or absurdly long)."""


class LoginRefusal(StrEnum):
    """Why a login was refused."""

    INVALID = "invalid"  # unknown id or wrong password (never say which)
    RATE_LIMITED = "rate_limited"
    DEMO_OUTSIDE_DEVELOPMENT = "demo_outside_development"
    DISABLED = "disabled"  # an admin disabled the account


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
    """Create or change the local account of an existing staff member.

    Raises:
        LookupError: no agent ``agent_id``.
        PasswordTooWeak: shorter than MIN_PASSWORD_CHARS.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordTooWeak(f"password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordTooWeak(f"password must have at most {MAX_PASSWORD_CHARS} characters")
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
    audit(s, at=now, actor=actor, entity="account", entity_id=agent_id, action=action, demo=demo)
    return account


def _hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _failures(s: Session, keys: list[str], now: datetime) -> int:
    """The largest count of failed attempts in the window over ``keys``."""
    rows = s.execute(
        select(LoginAttempt.key, func.count()).where(
            LoginAttempt.key.in_(keys), LoginAttempt.at > now - FAILURE_WINDOW, LoginAttempt.succeeded.is_(False),
        ).group_by(LoginAttempt.key)
    ).all()
    return max((n for _, n in rows), default=0)


def _record_attempt(s: Session, keys: list[str], now: datetime, succeeded: bool) -> None:
    s.add_all(LoginAttempt(key=k, at=now, succeeded=succeeded) for k in keys)
    # Old rows are useless for the limit; keep the table small.
    s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - 4 * FAILURE_WINDOW))


def login(s: Session, login_id: str, password: str, *, client: str, now: datetime,
          allow_demo: bool) -> LoginResult:
    """Check a password and open a session; the caller commits (also on refusal: attempts are recorded).

    Args:
        s: Open session.
        login_id: The agent id typed.
        password: The password typed.
        client: The client address (a second rate-limit key).
        now: Current time (UTC).
        allow_demo: False outside development: demo accounts are refused.
    """
    login_id = login_id.strip()[:64]
    keys = [f"id:{login_id}", f"ip:{client[:60]}"]
    if _failures(s, keys, now) >= MAX_FAILURES:
        return LoginResult(refusal=LoginRefusal.RATE_LIMITED)
    account = s.get(Account, login_id) if login_id else None
    ok = _hasher.verify(password[:MAX_PASSWORD_CHARS], account.password_hash if account else _DUMMY_HASH)
    if account is None or not ok:
        _record_attempt(s, keys, now, succeeded=False)
        return LoginResult(refusal=LoginRefusal.INVALID)
    if account.is_demo and not allow_demo:
        return LoginResult(refusal=LoginRefusal.DEMO_OUTSIDE_DEVELOPMENT)
    if account.disabled:
        return LoginResult(refusal=LoginRefusal.DISABLED)
    _record_attempt(s, keys, now, succeeded=True)
    session_id = secrets.token_urlsafe(32)
    s.add(StaffSession(id_hash=_hash_id(session_id), agent_id=login_id, csrf_token=secrets.token_urlsafe(32),
                       created_at=now, expires_at=now + SESSION_IDLE))
    audit(s, at=now, actor=f"staff:{login_id}", entity="staff_session", entity_id=login_id, action="login",
          client=client[:60])
    return LoginResult(agent=s.get(Agent, login_id), session_id=session_id)


def session_for(s: Session, session_id: str | None, now: datetime) -> StaffSession | None:
    """The live session of cookie value ``session_id``; extends its idle deadline (up to the absolute one)."""
    if not session_id or len(session_id) > 100:
        return None
    row = s.get(StaffSession, _hash_id(session_id))
    if row is None:
        return None
    if now >= as_utc(row.expires_at) or now >= as_utc(row.created_at) + SESSION_ABSOLUTE:
        s.delete(row)
        return None
    account = s.get(Account, row.agent_id)
    if account is not None and account.disabled:
        s.delete(row)  # disabled meanwhile (disabling also ends sessions; this covers a race with it)
        return None
    deadline = min(now + SESSION_IDLE, as_utc(row.created_at) + SESSION_ABSOLUTE)
    if deadline - as_utc(row.expires_at) > _REFRESH_AFTER:
        row.expires_at = deadline
    return row


def logout(s: Session, session_id: str | None, now: datetime) -> None:
    """Delete the session of cookie value ``session_id`` (no-op when unknown)."""
    if not session_id or len(session_id) > 100:
        return
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


def end_sessions(s: Session, agent_id: str) -> int:
    """Delete every login session of ``agent_id``; returns how many."""
    ended = s.scalars(select(StaffSession.id_hash).where(StaffSession.agent_id == agent_id)).all()
    s.execute(delete(StaffSession).where(StaffSession.agent_id == agent_id))
    return len(ended)


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
