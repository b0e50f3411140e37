"""Re-run extraction over the stored articles when the rules change, and say what changed.

Every stored event carries the ``extractor_version`` that made it (release + hash of the rule
tables and code, see ``conflictmap.extract``). ``reextract`` reads each stored article again with
the current extractor and compares, article by article, by event id (a hash of the article, the
evidence span, the type and the place):

- **added**: an event the current rules find and the store does not have;
- **removed**: a stored event the current rules no longer find;
- **changed**: the same event id with other content (date, type, actors, place, fatalities,
  confidence, evidence ...); the row is rewritten and keeps its incident id.

Nothing a person decided is lost: reference facts (origin ``reference``) and events added by
analysts are never read or written, and an extracted event whose grouping was set by hand
(``merge_reason`` "... by hand", the older way of splitting) is left as it is (``kept``). An event an
analyst reviewed that the new rules read under another id (a longer evidence span, another place)
is replaced by its successor and the review moves with it (``reattached``, see
``review.anchors``); one with no successor is kept rather than removed, so the decision keeps the
report it was made on. Writes happen in one transaction; incidents are then regrouped as after an
ingest, honouring analysts' merges and splits. ``dry_run`` only counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select, update

from conflictmap.models import ORIGIN_EXTRACTED, Article, Event
from conflictmap.review.anchors import find_successor, reattach, reviewed_event_ids
from conflictmap.storage.store import EVENT_COLUMNS, EventStore, articles, events

log = logging.getLogger(__name__)

# What makes two versions of one event different for an analyst (not the grouping, not the
# version stamp).
CONTENT_FIELDS = (
    "event_date",
    "date_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "location",
    "place_id",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "civilian_targeting",
    "evidence",
    "confidence",
)


@dataclass
class ReextractReport:
    """What a re-extraction found, by event id, for the report of ``conflictmap reextract``.

    ``incidents`` is the incident count after regrouping; None when nothing was regrouped (a dry
    run, or no event changed)."""

    articles: int = 0
    events_before: int = 0
    events_after: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)  # event id, fields changed
    kept: list[str] = field(default_factory=list)  # decided by hand: untouched
    reattached: list[tuple[str, str]] = field(default_factory=list)  # reviewed: (old id, new id)
    failed: list[str] = field(default_factory=list)  # article id: reason
    versions_before: dict[str, int] = field(default_factory=dict)
    version_after: str = ""
    incidents: int | None = None


def _hand_decided(row: dict[str, Any]) -> bool:
    return "by hand" in str(row.get("merge_reason") or "")


def _value(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return round(v, 6)
    return v


def _row(ev: Event) -> dict[str, Any]:
    d = ev.to_dict()
    d["event_date"] = ev.event_date
    d["civilian_targeting"] = bool(ev.civilian_targeting)
    return {k: d.get(k) for k in EVENT_COLUMNS}


def reextract(
    store: EventStore,
    gazetteer: Any = None,
    progress: Callable[[int, int | None, str], None] | None = None,
    dry_run: bool = False,
) -> ReextractReport:
    """Re-extract every stored article (see the module docstring); returns what changed."""
    from conflictmap.extract import EXTRACTOR_VERSION, extract_article_all
    from conflictmap.geo.gazetteer import load_gazetteer

    gaz = gazetteer or load_gazetteer()
    report = ReextractReport(version_after=EXTRACTOR_VERSION)
    with store.engine.connect() as conn:
        stored_articles = [dict(r) for r in conn.execute(select(articles).order_by(articles.c.id)).mappings()]
        old_rows = [
            dict(r)
            for r in conn.execute(select(events).where(events.c.origin == ORIGIN_EXTRACTED)).mappings()
        ]
        reviewed = reviewed_event_ids(conn)
    by_article: dict[str, dict[str, dict[str, Any]]] = {}
    for row in old_rows:
        by_article.setdefault(row["article_id"], {})[row["event_id"]] = row
        v = row.get("extractor_version") or "(none)"
        report.versions_before[v] = report.versions_before.get(v, 0) + 1
    report.events_before = len(old_rows)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    total = len(stored_articles)
    for n, a in enumerate(stored_articles, 1):
        report.articles += 1
        article = Article(a["id"], a["url"], a["source"], a["title"], a["published"], a["text"])
        old = by_article.get(article.id, {})
        try:
            new = {e.event_id: e for e in extract_article_all(article, gaz)}
        except Exception as exc:  # noqa: BLE001 - one article's failure leaves its events as they are
            log.exception("re-extraction failed for %s", article.id)
            report.failed.append(f"{article.id}: {type(exc).__name__}: {exc}")
            continue
        taken = set(new) & set(old)  # events read again under their own id succeed nobody
        inherit: dict[str, str] = {}
        for event_id, row in old.items():
            if _hand_decided(row):
                report.kept.append(event_id)
            elif event_id not in new and event_id in reviewed:
                successor = find_successor(row, new.values(), taken)
                if successor is None:
                    report.kept.append(event_id)  # no new reading of it: the reviewed row stays
                    continue
                taken.add(successor.event_id)
                inherit[successor.event_id] = row["incident_id"] or f"inc:{successor.event_id}"
                report.reattached.append((event_id, successor.event_id))
                report.removed.append(event_id)
            elif event_id not in new:
                report.removed.append(event_id)
        for event_id, ev in new.items():
            stored = old.get(event_id)
            if stored is None:
                report.added.append(event_id)
                fresh = _row(ev)
                fresh["incident_id"] = inherit.get(event_id, f"inc:{event_id}")
                fresh["merge_reason"] = "single report"
                inserts.append(fresh)
            elif not _hand_decided(stored):
                fresh = _row(ev)
                diff = [f for f in CONTENT_FIELDS if _value(fresh.get(f)) != _value(stored.get(f))]
                if diff:
                    report.changed.append((event_id, diff))
                if diff or stored.get("extractor_version") != ev.extractor_version:
                    fresh["incident_id"], fresh["merge_reason"] = (
                        stored["incident_id"],
                        stored["merge_reason"],
                    )
                    updates.append(fresh)
        if progress:
            progress(n, total, article.id)
    report.events_after = report.events_before - len(report.removed) + len(report.added)
    if dry_run or not (inserts or updates or report.removed):
        return report
    with store.writer.begin() as conn:
        for chunk in range(0, len(report.removed), 500):
            ids = report.removed[chunk : chunk + 500]
            conn.execute(delete(events).where(events.c.event_id.in_(ids)))
        for row in updates:
            values = {k: v for k, v in row.items() if k != "event_id"}
            conn.execute(update(events).where(events.c.event_id == row["event_id"]).values(**values))
        for chunk in range(0, len(inserts), 2000):
            conn.execute(insert(events), inserts[chunk : chunk + 2000])
        reattach(conn, dict(report.reattached))
        store.bump_version(conn)
    if report.added or report.removed or report.changed:
        from conflictmap.pipeline import regroup_incidents

        report.incidents = regroup_incidents(store)
    return report
