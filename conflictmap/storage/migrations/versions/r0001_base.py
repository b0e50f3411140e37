"""The schema as it stood before migrations: articles, events, zones, meta.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written out column by column rather than from ``schema.metadata``: a revision is history and must
not change when the tables of today's code do. A store made before Alembic is stamped at this
revision (see ``migrate.adopt_legacy``) and upgraded from here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables of the pre-migration store, with their indexes."""
    op.create_table(
        "articles",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("url", sa.Text),
        sa.Column("source", sa.String(200)),
        sa.Column("title", sa.Text),
        sa.Column("published", sa.Date),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("ingested_at", sa.String(32), nullable=False),
        sa.Column("origin", sa.Text),
        sa.Column("language", sa.String(16)),
    )
    op.create_index("ix_articles_url", "articles", ["url"])
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(80), primary_key=True),
        sa.Column("article_id", sa.String(200)),
        sa.Column("incident_id", sa.String(80)),
        sa.Column("merge_reason", sa.Text),
        sa.Column("event_date", sa.Date, nullable=False),
        sa.Column("date_precision", sa.String(8), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("sub_event_type", sa.String(60), nullable=False),
        sa.Column("actor1", sa.String(120)),
        sa.Column("actor2", sa.String(120)),
        sa.Column("location", sa.Text),
        sa.Column("place_id", sa.String(80)),
        sa.Column("admin1", sa.String(80)),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("geo_precision", sa.Integer, nullable=False),
        sa.Column("geo_method", sa.Text),
        sa.Column("fatalities", sa.Integer),
        sa.Column("civilian_targeting", sa.Boolean, nullable=False),
        sa.Column("evidence", sa.Text),
        sa.Column("evidence_start", sa.Integer),
        sa.Column("evidence_end", sa.Integer),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("url", sa.Text),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("extractor_version", sa.String(40)),
        sa.Column("notes", sa.Text),
    )
    for column in ("event_date", "origin", "article_id", "incident_id"):
        op.create_index(f"ix_events_{column}", "events", [column])
    op.create_table(
        "zones",
        sa.Column("zone_id", sa.String(120), primary_key=True),
        sa.Column("controller", sa.String(120), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("label", sa.Text),
        sa.Column("source", sa.Text),
        sa.Column("confidence", sa.String(40)),
        sa.Column("notes", sa.Text),
        sa.Column("geometry", sa.Text, nullable=False),
        sa.Column("loaded_from", sa.Text),
        sa.Column("properties", sa.Text),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("value", sa.Text),
    )


def downgrade() -> None:
    """Drop the four tables (and everything in them)."""
    for table in ("meta", "zones", "events", "articles"):
        op.drop_table(table)
