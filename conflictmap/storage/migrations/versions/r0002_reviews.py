"""Analysts' reviews: review state per incident, the reports it covers, and the audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02

Only new tables: the machine's rows in ``events`` are never rewritten by a review (corrections
are laid over them when read), so this revision touches no existing data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``reviews``, ``review_members`` and the append-only ``review_audit``."""
    op.create_table(
        "reviews",
        sa.Column("review_id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("corrections", sa.Text),
        sa.Column("reject_reason", sa.String(20)),
        sa.Column("reject_note", sa.Text),
        sa.Column("merged_into", sa.String(40)),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "review_members",
        sa.Column("event_id", sa.String(80), primary_key=True),
        sa.Column("review_id", sa.String(40), nullable=False),
        sa.Column("article_id", sa.String(200)),
        sa.Column("evidence_start", sa.Integer),
        sa.Column("evidence_end", sa.Integer),
        sa.Column("event_type", sa.String(40)),
        sa.Column("sub_event_type", sa.String(60)),
        sa.Column("event_date", sa.String(10)),
        sa.Column("date_precision", sa.String(8)),
        sa.Column("place_id", sa.String(80)),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("origin", sa.String(20)),
        sa.Column("extractor_version", sa.String(40)),
        sa.Column("attached_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_review_members_review_id", "review_members", ["review_id"])
    op.create_table(
        "review_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("incident_id", sa.String(80)),
        sa.Column("review_id", sa.String(40), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("field", sa.String(40)),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("reason", sa.String(20)),
        sa.Column("note", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
    )
    for column in ("at", "incident_id", "review_id"):
        op.create_index(f"ix_review_audit_{column}", "review_audit", [column])


def downgrade() -> None:
    """Drop the review tables (every decision and its history with them)."""
    for table in ("review_audit", "review_members", "reviews"):
        op.drop_table(table)
