"""The tables of the store, declared once for the queries and checked against the migrations.

The schema is *made* by the Alembic revisions in ``migrations/versions`` (so a store from an
earlier release upgrades in place); these Table objects are what the code queries with. A test
compares the two (Alembic's ``compare_metadata`` on a freshly migrated store must find nothing),
so a column added here without a revision, or the other way round, fails at once.

Why the review tables look as they do:

* ``reviews`` holds one row per incident a person has decided on. Incident ids are not stable
  (de-duplication may regroup reports, and a new extractor makes new event ids), so the review
  is keyed by its own id and reaches its incident through its reports.
* ``review_members`` ties reports to a review, one review per report at most (the primary key).
  Each row keeps an *anchor* of the report as the reviewer saw it (article, evidence span, type,
  date, place, extractor version): when re-extraction replaces the report with a new event id,
  the anchor finds its successor, and the quality figures judge the version that was reviewed.
  Reports of one review are kept together by regrouping (must-link); reports of two reviews are
  never joined by it (cannot-link).
* ``review_audit`` is append-only: the code never updates or deletes its rows.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

articles = Table(
    "articles",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("url", Text, index=True),
    Column("source", String(200)),
    Column("title", Text),
    Column("published", Date),
    Column("text", Text, nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Column("ingested_at", String(32), nullable=False),
    Column("origin", Text),  # where it was read from: file:line or feed address
    Column("language", String(16)),  # "ar", "en", ...: which extractor read it (None: not recorded)
)

events = Table(
    "events",
    metadata,
    Column("event_id", String(80), primary_key=True),
    Column("article_id", String(200), index=True),
    Column("incident_id", String(120), index=True),  # "inc:" + a report id (80), maybe "~n"
    Column("merge_reason", Text),
    Column("event_date", Date, nullable=False, index=True),
    Column("date_precision", String(8), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("sub_event_type", String(60), nullable=False),
    Column("actor1", String(120)),
    Column("actor2", String(120)),
    Column("location", Text),
    Column("place_id", String(80)),
    Column("admin1", String(80)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("geo_precision", Integer, nullable=False),
    Column("geo_method", Text),
    Column("fatalities", Integer),
    Column("civilian_targeting", Boolean, nullable=False),
    Column("evidence", Text),
    Column("evidence_start", Integer),
    Column("evidence_end", Integer),
    Column("confidence", Float, nullable=False),
    Column("source", String(200)),
    Column("url", Text),
    Column("origin", String(20), nullable=False, index=True),
    Column("extractor_version", String(40)),
    Column("notes", Text),
    # The incremental regrouping's neighbour query: one type, a date window, then a precision
    # and a box tested in the index itself (migration 0004; 0003 had type and date only).
    Index("ix_events_neighbours", "event_type", "event_date", "date_precision", "latitude", "longitude"),
)

zones = Table(
    "zones",
    metadata,
    Column("zone_id", String(120), primary_key=True),
    Column("controller", String(120), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("label", Text),
    Column("source", Text),
    Column("confidence", String(40)),
    Column("notes", Text),
    Column("geometry", Text, nullable=False),  # GeoJSON geometry, WGS84
    Column("loaded_from", Text),
    # The feature's other properties (status, sources, change_label ...) as JSON: the zones file
    # may carry more than the columns above, and the timeline and detail panel cite them.
    Column("properties", Text),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text),
)

reviews = Table(
    "reviews",
    metadata,
    Column("review_id", String(40), primary_key=True),
    Column("status", String(12), nullable=False),  # unreviewed / confirmed / corrected / rejected
    Column("version", Integer, nullable=False),  # moves by one with every decision
    Column("corrections", Text),  # JSON {field: value} laid over the machine's fields
    Column("reject_reason", String(20)),
    Column("reject_note", Text),
    Column("merged_into", String(40)),  # a review whose reports were merged into another one
    Column("created_by", String(200), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

review_members = Table(
    "review_members",
    metadata,
    Column("event_id", String(80), primary_key=True),
    Column("review_id", String(40), nullable=False, index=True),
    # the anchor: the report as the reviewer saw it
    Column("article_id", String(200)),
    Column("evidence_start", Integer),
    Column("evidence_end", Integer),
    Column("event_type", String(40)),
    Column("sub_event_type", String(60)),
    Column("event_date", String(10)),
    Column("date_precision", String(8)),
    Column("place_id", String(80)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("origin", String(20)),
    Column("extractor_version", String(40)),
    Column("attached_at", String(32), nullable=False),
)

review_audit = Table(
    "review_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False, index=True),  # UTC, ISO 8601
    Column("who", String(200), nullable=False),
    Column("incident_id", String(120), index=True),
    Column("review_id", String(40), nullable=False, index=True),
    Column("action", String(20), nullable=False),
    Column("field", String(40)),
    Column("before", Text),  # JSON
    Column("after", Text),  # JSON
    Column("reason", String(20)),
    Column("note", Text),
    Column("version", Integer, nullable=False),  # the review's version after this decision
)

EVENT_COLUMNS = [c.name for c in events.columns]
REVIEW_STATUSES: tuple[str, ...] = ("unreviewed", "confirmed", "corrected", "rejected")
