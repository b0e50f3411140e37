"""Alembic's entry point: run the revisions on the connection ``migrate.upgrade`` hands over.

Only the programmatic path is supported: the caller opens the transaction (``BEGIN IMMEDIATE``
on SQLite, an advisory lock on PostgreSQL) and passes the connection in ``config.attributes``,
so the upgrade and the check before it happen under one lock. Importing this module outside
Alembic (the layering test imports every module) does nothing.
"""

from __future__ import annotations

from alembic import context

from conflictmap.storage.schema import metadata


def run_migrations_online() -> None:
    """Run the pending revisions on the caller's connection, inside the caller's transaction."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "the store's migrations run through conflictmap.storage.migrate, not the alembic CLI"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # inside Alembic; a plain import finds no proxy and does nothing
    run_migrations_online()
