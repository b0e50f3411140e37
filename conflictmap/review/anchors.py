"""Keep people's decisions attached to their reports when the machine's rows are remade.

Why anchors: an extracted report's id hashes its article, the first evidence span, its type and
its place (``extract.merge.event_id``). A new extractor that reads the same sentence a little
differently (a longer span, another place) makes a new id for what a reviewer already judged.
Each review member keeps an anchor of the report as it was reviewed; when its id disappears, the
new report of the same article whose evidence overlaps the anchor's span most is its successor
(same type, then same place break ties). A report with no successor is kept as it was rather than
deleted: a decision never loses the report it was made on.

Regrouping reads the reviews as constraints (``grouping_constraints``): reports of one review are
one incident, reports of two reviews never join.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update

from conflictmap.models import Event
from conflictmap.storage.schema import events, review_members, reviews
from conflictmap.storage.store import EventStore


def grouping_constraints(store: EventStore) -> dict[str, str]:
    """event_id -> review_id for every stored report of a review in force (for
    ``cluster_incidents(groups=...)``)."""
    q = (
        select(review_members.c.event_id, review_members.c.review_id)
        .join(reviews, reviews.c.review_id == review_members.c.review_id)
        .join(events, events.c.event_id == review_members.c.event_id)
        .where(reviews.c.merged_into.is_(None))
    )
    with store.engine.connect() as conn:
        return {event_id: review_id for event_id, review_id in conn.execute(q)}


def reviewed_event_ids(conn: Any) -> set[str]:
    """Ids of the reports some review holds (inside the caller's transaction)."""
    return set(conn.execute(select(review_members.c.event_id)).scalars())


def _overlap(a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> int:
    if None in a or None in b:
        return 0
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))  # type: ignore[type-var, operator]


def find_successor(old: Mapping[str, Any], candidates: Iterable[Event], taken: set[str]) -> Event | None:
    """The new report of the same article that stands for ``old`` (a stored row), or None.

    It must share evidence characters with the old span; most shared characters first, then the
    same type, then the same place, then the smaller id (so the choice never depends on order)."""
    span = (old.get("evidence_start"), old.get("evidence_end"))
    best: tuple[tuple[int, bool, bool, str], Event] | None = None
    for ev in candidates:
        if ev.event_id in taken or ev.article_id != old.get("article_id"):
            continue
        shared = _overlap(span, (ev.evidence_start, ev.evidence_end))
        if shared <= 0:
            continue
        rank = (
            -shared,
            ev.event_type != old.get("event_type"),
            ev.place_id != old.get("place_id"),
            ev.event_id,
        )
        if best is None or rank < best[0]:
            best = (rank, ev)
    return best[1] if best else None


def reattach(conn: Any, successors: Mapping[str, str]) -> None:
    """Move review members from old report ids to their successors (the anchor, what the
    reviewer saw, stays as it was), inside the caller's transaction."""
    for old_id, new_id in successors.items():
        conn.execute(
            update(review_members).where(review_members.c.event_id == old_id).values(event_id=new_id)
        )
