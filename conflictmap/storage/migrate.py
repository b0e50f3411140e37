"""Bring a store's schema to the newest revision, in place, whoever opens it first.

Why programmatic Alembic and not ``create_all``: ``create_all`` makes missing tables but never
alters one, so every column added after a release needed a hand-written patch (the former
``_add_missing_columns``). With revisions, ``EventStore(url)`` (and so ``conflictmap prepare``,
the app's start and every CLI command) upgrades any older store the same way on SQLite and
PostgreSQL.

Why a lock: several gunicorn workers open the store at once. The check ("which revision?") and
the upgrade run in one transaction that holds the writer's lock: ``BEGIN IMMEDIATE`` on SQLite,
a transaction-scoped advisory lock on PostgreSQL (DDL is transactional on both), so the second
worker waits, then finds the store at head and does nothing.
(On PostgreSQL the store's writer engine already holds its write lock, ``PG_WRITE_LOCK_KEY``, when
this lock is taken; ``tests/test_migrations.py`` opens a fresh database from four threads at once.)

Stores made before migrations existed have the tables but no ``alembic_version``: they are
*adopted*: given the two columns that older releases lacked (what ``_add_missing_columns`` did),
stamped at the base revision, then upgraded like any other store.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASE_REVISION = "0001"
# Any fixed 64-bit number: the advisory lock all conflictmap processes agree on.
PG_LOCK_KEY = 0x636D6170  # "cmap"
LEGACY_TABLES = frozenset({"articles", "events", "zones", "meta"})


class StoreSchemaError(RuntimeError):
    """The store's schema cannot be brought to this release's revision; the message says why."""


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision this release knows (read from the revision files once a process)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise StoreSchemaError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision a store is stamped at, or None (a new store, or one made before migrations)."""
    return MigrationContext.configure(conn).get_current_revision()


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        return False


def adopt_legacy(conn: Connection) -> bool:
    """Stamp a store made before migrations at the base revision; True if it was one.

    Stores of still older releases lack two columns of the base schema (or a whole table); they
    gain them (empty) first, so the stamp tells the truth. A missing table is made from today's
    ``schema`` (``create_all``), so later revisions must accept a table already in their shape
    (0003 creates its index only if it is missing; widening a column again changes nothing)."""
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" in tables or not LEGACY_TABLES & tables:
        return False
    missing = LEGACY_TABLES - tables
    if missing:  # as create_all did before migrations: a missing table is made, empty
        from conflictmap.storage.schema import metadata

        metadata.create_all(conn, tables=[metadata.tables[name] for name in sorted(missing)])
    have = {c["name"] for c in inspect(conn).get_columns("zones")}
    if "properties" not in have:
        conn.execute(text("ALTER TABLE zones ADD COLUMN properties TEXT"))
    have = {c["name"] for c in inspect(conn).get_columns("articles")}
    if "language" not in have:
        conn.execute(text("ALTER TABLE articles ADD COLUMN language VARCHAR(16)"))
    command.stamp(_config(conn), BASE_REVISION)
    log.info("store made before migrations: stamped at revision %s", BASE_REVISION)
    return True


def upgrade(writer: Engine, reader: Engine | None = None) -> str | None:
    """Upgrade the store to ``head_revision()``; returns the revision it was at before.

    ``reader`` (a plain connection pool) answers the common case, a store already at head,
    without taking the writer's lock."""
    head = head_revision()
    if reader is not None:
        with reader.connect() as conn:
            if _at(conn) == head:
                return head
    with writer.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        before = current_revision(conn)
        if before == head:
            return before
        if before is not None and not _known(before):
            raise StoreSchemaError(
                f"the store is at schema revision {before!r}, which this release does not know "
                f"(its newest is {head!r}): it was made by a newer conflictmap; upgrade conflictmap"
            )
        adopt_legacy(conn)
        command.upgrade(_config(conn), "head")
        log.info("store schema upgraded from %s to %s", before or "nothing", head)
        return before


def _at(conn: Any) -> str | None:
    """The stamped revision, or None when there is no version table yet (read without locking)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return current_revision(conn)
