"""The first administrator of a new store, made once through the setup page.

Only the first request that finds the user table empty may create a user here. The check and
the insert are one statement (``INSERT … SELECT … WHERE NOT EXISTS``): SQLite runs a write
statement under its single writer lock, so two concurrent setups serialise and the second finds
the first's row; PostgreSQL's default isolation does not see a row committed during the
statement, so the table is locked for the transaction first.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from argon2 import PasswordHasher

from nianbao.store.app_schema import users
from nianbao.web.accounts import AccountError

MIN_PASSWORD = 8
_hasher = PasswordHasher()


def needs_setup(conn: sa.Connection) -> bool:
    """True while the store has no user at all."""
    return conn.execute(sa.select(users.c.id).limit(1)).first() is None


def check_first_admin(name: str, password: str, repeated: str) -> str:
    """The name to create, or AccountError with one Chinese line."""
    name = name.strip()
    if not name:
        raise AccountError("用户名不能为空")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    if password != repeated:
        raise AccountError("两次输入的密码不一致")
    return name


def create_first_admin(conn: sa.Connection, name: str, password: str) -> int | None:
    """Create ``name`` as admin if the store has no user yet; its id, or None when one exists."""
    password_hash = _hasher.hash(password)  # slow on purpose: done before the table is locked
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE web_users IN SHARE ROW EXCLUSIVE MODE")
    values = sa.select(sa.literal(name), sa.literal("admin"), sa.literal(password_hash),
                       sa.literal(datetime.now(UTC).isoformat(timespec="seconds")))
    insert = users.insert().from_select(
        ["name", "role", "password_hash", "created_at"],
        values.where(~sa.exists(sa.select(users.c.id)))).returning(users.c.id)
    created = conn.execute(insert).scalar()
    return None if created is None else int(created)
