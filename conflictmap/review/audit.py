"""The audit trail: read back every decision, per incident or all of them, and write it as CSV.

Why it is read through reviews and not only by incident id: an incident id may change when
reports are regrouped, and a merge closes one review into another, so an incident's history is
that of the reviews holding its reports now, and of every review merged into them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import or_, select

from conflictmap.storage.schema import events, review_audit, review_members, reviews
from conflictmap.storage.store import EventStore

AUDIT_COLUMNS: tuple[str, ...] = (
    "id",
    "at",
    "who",
    "incident_id",
    "review_id",
    "action",
    "field",
    "before",
    "after",
    "reason",
    "note",
    "version",
)
# Cells a spreadsheet would run as a formula (OWASP "CSV injection"); the same rule as the
# event exports: such a cell is written with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _row(r: Any) -> dict[str, Any]:
    d = dict(r)
    for key in ("before", "after"):
        d[key] = json.loads(d[key]) if d[key] is not None else None
    return d


def audit_rows(store: EventStore, incident_id: str | None = None) -> list[dict[str, Any]]:
    """Every decision, oldest first (``before``/``after`` decoded from JSON); with
    ``incident_id``, only that incident's history (``history``)."""
    if incident_id is not None:
        return history(store, incident_id)
    with store.engine.connect() as conn:
        rows = conn.execute(select(review_audit).order_by(review_audit.c.id)).mappings().all()
    return [_row(r) for r in rows]


def history(store: EventStore, incident_id: str) -> list[dict[str, Any]]:
    """The decisions on one incident, oldest first: those recorded under its id, and those of
    the reviews that hold its reports now or were merged into them."""
    with store.engine.connect() as conn:
        ids = list(
            conn.execute(select(events.c.event_id).where(events.c.incident_id == incident_id)).scalars()
        )
        review_ids = set(
            conn.execute(
                select(review_members.c.review_id).where(review_members.c.event_id.in_(ids))
            ).scalars()
        )
        frontier = set(review_ids)
        while frontier:  # reviews merged into these, and into those, ...
            found = set(
                conn.execute(select(reviews.c.review_id).where(reviews.c.merged_into.in_(frontier))).scalars()
            )
            frontier = found - review_ids
            review_ids |= found
        q = (
            select(review_audit)
            .where(or_(review_audit.c.incident_id == incident_id, review_audit.c.review_id.in_(review_ids)))
            .order_by(review_audit.c.id)
        )
        return [_row(r) for r in conn.execute(q).mappings()]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_audit_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write audit rows as CSV (header first, ``AUDIT_COLUMNS``); returns the rows written.

    ``before``/``after`` are written as text (lists and objects as JSON); cells that a
    spreadsheet would take for a formula are guarded."""
    writer = csv.DictWriter(out, fieldnames=list(AUDIT_COLUMNS), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in AUDIT_COLUMNS})
        n += 1
    return n


def audit_csv(store: EventStore, incident_id: str | None = None) -> str:
    """The audit trail as CSV text (for ``api/audit.csv``), optionally of one incident."""
    buf = io.StringIO()
    write_audit_csv(audit_rows(store, incident_id), buf)
    return buf.getvalue()


def write_audit_file(store: EventStore, path: Path, incident_id: str | None = None) -> int:
    """Write the audit trail (or one incident's) to ``path`` as CSV; returns the rows written."""
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        return write_audit_csv(audit_rows(store, incident_id), fh)
