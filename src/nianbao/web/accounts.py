"""Accounts and sessions: argon2 password hashes, server-side sessions, CSRF tokens, login rate limit."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from nianbao.store.app_schema import sessions, users

ROLES = ("admin", "reviewer")
SESSION_HOURS = 12
_hasher = PasswordHasher()


class AccountError(Exception):
    """A user cannot be added (one line, Chinese)."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(conn: sa.Connection, name: str, role: str, password: str) -> int:
    name = name.strip()
    if not name:
        raise AccountError("用户名不能为空")
    if role not in ROLES:
        raise AccountError(f"角色只能是 {' 或 '.join(ROLES)}，不是“{role}”")
    if len(password) < 8:
        raise AccountError("密码至少 8 个字符")
    if conn.execute(sa.select(users.c.id).where(users.c.name == name)).scalar() is not None:
        raise AccountError(f"用户“{name}”已存在")
    return int(conn.execute(users.insert().values(
        name=name, role=role, password_hash=_hasher.hash(password),
        created_at=_now().isoformat(timespec="seconds")).returning(users.c.id)).scalar_one())


def authenticate(conn: sa.Connection, name: str, password: str) -> User | None:
    row = conn.execute(sa.select(users).where(users.c.name == name.strip())).first()
    if row is None:
        _hasher.hash(password)  # the same work whether or not the name exists
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(row.id, row.name, row.role)


def open_session(conn: sa.Connection, user: User) -> str:
    """A new session for the user; returns the cookie's token (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    expires = (_now() + timedelta(hours=SESSION_HOURS)).isoformat(timespec="seconds")
    conn.execute(sessions.delete().where(sessions.c.expires_at < _now().isoformat(timespec="seconds")))
    conn.execute(sessions.insert().values(token_hash=_digest(token), user_id=user.id,
                                          csrf=secrets.token_urlsafe(32), expires_at=expires))
    return token


def session_of(conn: sa.Connection, token: str | None) -> Session | None:
    if not token:
        return None
    row = conn.execute(sa.select(sessions.c.csrf, sessions.c.expires_at, users.c.id, users.c.name, users.c.role)
                       .join(users, users.c.id == sessions.c.user_id)
                       .where(sessions.c.token_hash == _digest(token))).first()
    if row is None or row.expires_at < _now().isoformat(timespec="seconds"):
        return None
    return Session(User(row.id, row.name, row.role), row.csrf)


def close_session(conn: sa.Connection, token: str | None) -> None:
    if token:
        conn.execute(sessions.delete().where(sessions.c.token_hash == _digest(token)))


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(str(given), expected)


class LoginLimiter:
    """At most ``attempts`` failed logins per client address and per user name in ``window`` seconds."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window]
        self._failures[key] = kept
        return kept

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.attempts for k in keys)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
