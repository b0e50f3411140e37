"""Scale: an index for the incremental regrouping's neighbour query, and incident ids that fit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

* ``ix_events_type_date`` on (``event_type``, ``event_date``): after an ingest run only the new
  reports' neighbours are regrouped (``conflictmap.incidents.incremental``), found by type and a
  date window. On the date index alone each lookup read every type's rows of the window (about
  6,500 rows at 300,000 events); with the type first it reads only its own.
* ``incident_id`` 80 -> 120 characters, in ``events`` and ``review_audit``: an incident id is
  ``inc:`` + a report id (up to 80) and may carry a ``~n`` suffix, so the longest ids did not
  fit. SQLite never enforced the length; PostgreSQL refused the write.

Existing rows are kept as they are: SQLite copies the table (batch mode), PostgreSQL widens the
column in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Widen ``incident_id`` and add the (type, date) index."""
    for table in ("events", "review_audit"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("incident_id", existing_type=sa.String(80), type_=sa.String(120))
    # A store from before migrations that lacked the events table got it from today's schema
    # (``migrate.adopt_legacy``), index included.
    have = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("events")}
    if "ix_events_type_date" not in have:
        op.create_index("ix_events_type_date", "events", ["event_type", "event_date"])


def downgrade() -> None:
    """Drop the index and narrow ``incident_id`` back (ids longer than 80 would not fit)."""
    op.drop_index("ix_events_type_date", table_name="events")
    for table in ("events", "review_audit"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("incident_id", existing_type=sa.String(120), type_=sa.String(80))
