"""EventStore: articles, events (one row per report of an incident), incidents and zones in one database.

SQLAlchemy Core keeps one code path for the default SQLite file (WAL) and a shared PostgreSQL.
Geometry is kept as GeoJSON text so the schema needs no spatial extension; PostGIS can index
it later without changing callers.

Why both backends behave alike (the tests run every store test on both, ``tests/conftest.py``):

* **One writer at a time.** SQLite's ``BEGIN IMMEDIATE`` lets one write transaction run at once,
  and the store's writes were written for that: ``replace_zones`` deletes then inserts,
  ``upsert_events`` deletes then inserts the same ids, ``add_article`` checks then inserts. On
  PostgreSQL, whose writers only lock the rows they touch, two workers running ``prepare`` at
  once both inserted the zones and one failed on the primary key. The writer engine therefore
  takes a transaction-scoped advisory lock (``PG_WRITE_LOCK_KEY``) at ``BEGIN``: the same one
  writer at a time, released at commit or rollback, and readers never wait for it.
* **Reads see one moment.** In WAL mode a SQLite read transaction keeps the snapshot of its
  first read; PostgreSQL's default (READ COMMITTED) takes a new one per statement, so
  ``events_frame`` could lay reviews committed after its rows over them. The read engine runs
  at REPEATABLE READ on PostgreSQL: one snapshot per ``with engine.connect()``, as on SQLite.
* **The version moves atomically** (``_bump``: one ``INSERT ... ON CONFLICT DO UPDATE SET value
  = value + 1 RETURNING``) and meta is an upsert, so neither relies on the writer lock alone.

Why events are stored per report and grouped by ``incident_id``: de-duplication across outlets
must be explainable and reversible. The rows each outlet gave stay as they were; a merge is
only a shared ``incident_id`` plus the reason, so undoing it is rewriting two columns.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from shapely.geometry import mapping, shape
from sqlalchemy import (
    Integer,
    Text,
    bindparam,
    case,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from conflictmap.models import Article, Event, ZoneVersion
from conflictmap.storage import migrate
from conflictmap.storage.schema import (  # noqa: F401 - re-exported: callers query these tables
    EVENT_COLUMNS,
    articles,
    events,
    meta,
    metadata,
    zones,
)

log = logging.getLogger(__name__)

# ``meta`` key of the links between imported rows and our incidents (``EventStore.cross_links``).
CROSS_LINKS_KEY = "crosslinks"
_LINK_FIELDS = ("origin", "row_id", "event_id", "report_id", "incident_id", "label", "reason", "days", "km")

# The advisory lock every write transaction takes on PostgreSQL (``_pg_write_lock``): any fixed
# 64-bit number all conflictmap processes agree on, distinct from the migrations' and reviews'.
PG_WRITE_LOCK_KEY = 0x636D7772  # "cmwr"

# Same order as the index uses to pick an incident's representative report.
_DATE_RANK = case({"day": 0, "week": 1, "month": 2}, value=events.c.date_precision, else_=3)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # Switching a new file to WAL needs it alone for a moment, and SQLite answers "database is
    # locked" at once, without its busy wait, when another worker opening it holds it: workers
    # starting together on a new store failed now and then. Asked again until it is free.
    deadline = time.monotonic() + 30
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_manual_transactions(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself


def _sqlite_begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _pg_write_lock(conn: Any) -> None:
    """PostgreSQL's ``BEGIN IMMEDIATE``: wait for the one write lock, held until commit/rollback.

    Taken at the start of the transaction (psycopg opens it with this statement), so a write
    never reads state another writer is about to change. Lock order is always this lock first,
    then the migrations' or the reviews' own key, so they cannot deadlock."""
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK_KEY})")


@dataclass
class AddResult:
    """What ``add_article`` did: stored it (``reason`` "new") or not, and why (the ``seen`` reason)."""

    added: bool
    reason: str  # "new", "same address seen", "same text seen"
    events: int = 0


class EventStore:
    """All reads and writes of the database go through here; every write is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        sqlite = url.startswith("sqlite")
        # Several gunicorn workers share one file: wait for a writer instead of failing at once.
        self.engine: Engine = create_engine(url, future=True, connect_args={"timeout": 30} if sqlite else {})
        self.writer: Engine = self.engine
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # Writes take the lock when they start (BEGIN IMMEDIATE): a deferred transaction that
            # reads and then writes can deadlock with another process and fail however long it
            # waits. Reads keep the plain engine so they never queue behind a writer (WAL).
            self.writer = create_engine(url, future=True, connect_args={"timeout": 30})
            event.listen(self.writer, "connect", _sqlite_pragmas)
            event.listen(self.writer, "connect", _sqlite_manual_transactions)
            event.listen(self.writer, "begin", _sqlite_begin_immediate)
        elif self.engine.dialect.name == "postgresql":
            # Reads: one snapshot per connection block (as SQLite's WAL read transactions).
            # Writes: their own pool, one at a time (see the module's docstring).
            self.engine = create_engine(url, future=True, isolation_level="REPEATABLE READ")
            self.writer = create_engine(url, future=True)
            event.listen(self.writer, "begin", _pg_write_lock)
        # The schema is made and upgraded by the migrations (``storage.migrate``), under the
        # writer's lock, so processes starting together (gunicorn workers) do it one at a time.
        migrate.upgrade(self.writer, self.engine)
        self._cross_links_cache: tuple[str | None, dict[str, list[dict[str, Any]]]] | None = None

    @property
    def shown_url(self) -> str:
        """The store's URL to print or log, its password (a PostgreSQL URL's) shown as ``***``.

        ``conflictmap prepare`` printed ``postgresql+psycopg://conflictmap:secret@db/...`` whole,
        into terminals and CI logs; a SQLite URL has no password and is shown as it is."""
        return self.engine.url.render_as_string(hide_password=True)

    # ---- articles -------------------------------------------------------------------------
    def seen(self, article: Article) -> str | None:
        """Why this article is already stored (same id, address or text), or None if it is new."""
        with self.engine.connect() as conn:
            if conn.execute(select(articles.c.id).where(articles.c.id == article.id)).first():
                return "same id seen"
            if (
                article.url
                and conn.execute(select(articles.c.id).where(articles.c.url == article.url)).first()
            ):
                return "same address seen"
            if conn.execute(select(articles.c.id).where(articles.c.hash == article.hash)).first():
                return "same text seen"
        return None

    def add_article(
        self, article: Article, found: Iterable[Event], origin: str = "", *, bump: bool = True
    ) -> AddResult:
        """Store an article and its events atomically; an article seen before adds nothing.

        ``bump=False`` leaves the version where it is: an ingest run stores many articles and
        then regroups, and moves the version once at the end, in the regrouping's transaction
        (``pipeline.ingest_paths``), instead of once per article and again for the grouping."""
        why = self.seen(article)
        if why:
            return AddResult(False, why)
        rows = [_event_row(e) for e in found]
        try:
            self._insert_article(article, rows, origin, bump=bump)
        except IntegrityError:
            # Another process stored the same article between our check and our write.
            why = self.seen(article)
            if why:
                return AddResult(False, why)
            raise
        return AddResult(True, "new", len(rows))

    def _insert_article(
        self, article: Article, rows: list[dict[str, Any]], origin: str, *, bump: bool = True
    ) -> None:
        with self.writer.begin() as conn:
            conn.execute(
                insert(articles).values(
                    id=article.id,
                    url=article.url,
                    source=article.source,
                    title=article.title,
                    published=article.published,
                    text=article.text,
                    hash=article.hash,
                    ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    origin=origin,
                    language=article.language,
                )
            )
            if rows:
                # The same event id from two articles cannot happen (ids hash the article id); a
                # re-extraction of the same article is excluded above.
                conn.execute(insert(events), rows)
            if bump:
                self._bump(conn)

    def article(self, article_id: str) -> dict[str, Any] | None:
        """The stored row of one article (text included), or None if there is no such id."""
        with self.engine.connect() as conn:
            row = conn.execute(select(articles).where(articles.c.id == article_id)).mappings().first()
        return dict(row) if row else None

    # ---- events ---------------------------------------------------------------------------
    def upsert_events(self, found: Iterable[Event]) -> int:
        """Insert or replace events by id (used for curated reference facts); idempotent."""
        rows = [_event_row(e) for e in found]
        if not rows:
            return 0
        with self.writer.begin() as conn:
            ids = [r["event_id"] for r in rows]
            for chunk in range(0, len(ids), 500):
                conn.execute(delete(events).where(events.c.event_id.in_(ids[chunk : chunk + 500])))
            for chunk in range(0, len(rows), 2000):
                conn.execute(insert(events), rows[chunk : chunk + 2000])
            self._bump(conn)
        return len(rows)

    def replace_origin(self, origin: str, found: Iterable[Event]) -> int:
        """Swap every event of one origin (e.g. the reference facts) in a single transaction."""
        rows = [_event_row(e) for e in found]
        with self.writer.begin() as conn:
            conn.execute(delete(events).where(events.c.origin == origin))
            for chunk in range(0, len(rows), 2000):
                conn.execute(insert(events), rows[chunk : chunk + 2000])
            self._bump(conn)
        return len(rows)

    def all_events(self, origin: str | None = None, conn: Any | None = None) -> list[Event]:
        """Every stored event as an ``Event``, or only those of ``origin`` (e.g. "reference").

        Loads them all into memory: for the dashboard's frames use ``events_frame``."""
        q = select(events)
        if origin:
            q = q.where(events.c.origin == origin)
        with _reading(self, conn) as c:
            rows = c.execute(q).mappings().all()
        return [Event.from_dict(dict(r)) for r in rows]

    def set_incidents(self, assignment: dict[str, tuple[str, str]]) -> None:
        """Write the de-duplication result: event_id -> (incident_id, reason), in one transaction.

        Only rows whose id or reason changes are written, in one batched statement (an
        executemany) instead of one round trip per row: a regrouping of a large store changes a
        handful of rows, and on PostgreSQL each separate UPDATE was a network round trip while
        the write lock was held. The version moves once, as before, whatever changed."""
        with self.writer.begin() as conn:
            self.write_incidents(conn, assignment)
            self._bump(conn)

    def write_incidents(
        self,
        conn: Any,
        assignment: dict[str, tuple[str, str]],
        current: dict[str, tuple[str | None, str | None]] | None = None,
    ) -> int:
        """Inside the caller's write transaction, write the rows of ``assignment`` whose incident
        id or reason differs from what is stored (``current``, read here when not given); returns
        how many rows were written. No version move: the caller moves it once for all its writes.

        Batched (an executemany of one bound UPDATE per chunk), so a regrouping that changes a
        few rows of a large store costs a few statements, not a round trip per row."""
        if current is None:
            if len(assignment) > 5000:  # most of the store: one pass over the table beats chunks
                current = {
                    event_id: (incident_id, reason)
                    for event_id, incident_id, reason in conn.execute(
                        select(events.c.event_id, events.c.incident_id, events.c.merge_reason)
                    )
                }
            else:
                current = self.incident_rows(assignment, conn=conn)
        changed = [
            {"b_event_id": event_id, "b_incident_id": incident_id, "b_reason": reason}
            for event_id, (incident_id, reason) in assignment.items()
            if event_id in current and current[event_id] != (incident_id, reason)
        ]
        stmt = (
            update(events)
            .where(events.c.event_id == bindparam("b_event_id"))
            .values(incident_id=bindparam("b_incident_id"), merge_reason=bindparam("b_reason"))
        )
        for chunk in range(0, len(changed), 5000):
            conn.execute(stmt, changed[chunk : chunk + 5000])
        return len(changed)

    def incident_rows(
        self, event_ids: Iterable[str], conn: Any | None = None
    ) -> dict[str, tuple[str | None, str | None]]:
        """event_id -> (incident_id, merge_reason) as stored, for the ids that exist."""
        ids = sorted(set(event_ids))
        out: dict[str, tuple[str | None, str | None]] = {}
        with _reading(self, conn) as c:
            for chunk in range(0, len(ids), 500):
                q = select(events.c.event_id, events.c.incident_id, events.c.merge_reason).where(
                    events.c.event_id.in_(ids[chunk : chunk + 500])
                )
                out.update({e: (i, r) for e, i, r in c.execute(q)})
        return out

    # ---- reads for an incremental regrouping (``incidents.incremental``) ------------------
    def events_by_ids(self, event_ids: Iterable[str], exclude_origins: Iterable[str] = ()) -> list[Event]:
        """The stored reports of these ids (those that exist), without rows of ``exclude_origins``."""
        return self._events_in(events.c.event_id, event_ids, exclude_origins)

    def events_of_incidents(
        self, incident_ids: Iterable[str], exclude_origins: Iterable[str] = ()
    ) -> list[Event]:
        """Every stored report of these incidents (``ix_events_incident_id``), without rows of
        ``exclude_origins``."""
        return self._events_in(events.c.incident_id, incident_ids, exclude_origins)

    def _events_in(self, column: Any, values: Iterable[str], exclude_origins: Iterable[str]) -> list[Event]:
        """Reports whose ``column`` is one of ``values``, asked 500 values at a time (SQLite's
        bound-parameter limit), without rows of ``exclude_origins``."""
        wanted = sorted(set(values))
        skip = sorted(exclude_origins)
        out: list[Event] = []
        with self.engine.connect() as conn:
            for chunk in range(0, len(wanted), 500):
                q = select(events).where(column.in_(wanted[chunk : chunk + 500]))
                if skip:
                    q = q.where(events.c.origin.not_in(skip))
                out += [Event.from_dict(dict(r)) for r in conn.execute(q).mappings()]
        return out

    def events_in_window(
        self,
        event_type: str,
        start: date,
        end: date,
        box: tuple[float, float, float, float] | None = None,
        *,
        exclude_origins: Iterable[str] = (),
        narrow: tuple[date, date, tuple[str, ...]] | None = None,
        fields: Sequence[str] | None = None,
    ) -> list[Event]:
        """Reports of one type dated ``start``..``end`` (both included): with ``box`` (lat_min,
        lat_max, lon_min, lon_max, all included) those with a point inside it, without one
        those with no usable point (no coordinates, or not finite ones), which de-duplication
        compares by place name instead.

        The neighbours a new report could link to; read through ``ix_events_neighbours``
        (event_type, event_date, then precision and point), so the cost follows the window, not
        the store's size, and a report outside the box costs no table read. With
        ``narrow`` (first, last, precisions): only reports dated first..last, or of one of those
        date precisions (the caller's wider ones). With ``fields``: only those columns read, the
        Events' other fields at their defaults (cheaper by far: most of a row is its texts)."""
        source = select(*(events.c[name] for name in fields)) if fields else select(events)
        q = source.where(events.c.event_type == event_type, events.c.event_date.between(start, end))
        if narrow is not None:
            first, last, wider = narrow
            near = events.c.event_date.between(first, last)
            q = q.where(or_(near, events.c.date_precision.in_(wider)) if wider else near)
        skip = sorted(exclude_origins)
        if skip:
            q = q.where(events.c.origin.not_in(skip))
        if box is not None:
            q = q.where(events.c.latitude.between(box[0], box[1]), events.c.longitude.between(box[2], box[3]))
        else:
            # NULL on either side, or NaN/infinity (outside any finite range on both backends)
            q = q.where(
                or_(
                    events.c.latitude.is_(None),
                    events.c.longitude.is_(None),
                    ~events.c.latitude.between(-_FINITE, _FINITE),
                    ~events.c.longitude.between(-_FINITE, _FINITE),
                )
            )
        with self.engine.connect() as conn:
            if not fields:
                return [Event.from_dict(dict(r)) for r in conn.execute(q).mappings()]
            # Thousands of rows a call: built straight from the tuples (the columns are fields).
            names = tuple(fields)
            return [Event(**dict(zip(names, row, strict=True))) for row in conn.execute(q)]

    def max_abs_latitude(self, exclude_origins: Iterable[str] = ()) -> float:
        """The largest |latitude| of the reports with a usable point (0.0 without any): the width
        of de-duplication's grid cells depends on it (``dedupe.grid``)."""
        q = select(func.max(events.c.latitude), func.min(events.c.latitude)).where(
            events.c.latitude.between(-_FINITE, _FINITE), events.c.longitude.between(-_FINITE, _FINITE)
        )
        skip = sorted(exclude_origins)
        if skip:
            q = q.where(events.c.origin.not_in(skip))
        with self.engine.connect() as conn:
            hi, lo = conn.execute(q).one()
        return max((abs(float(v)) for v in (hi, lo) if v is not None), default=0.0)

    def has_origin(self, origins: Iterable[str], conn: Any | None = None) -> bool:
        """Whether any report of these origins is stored (one indexed look-up)."""
        names = sorted(origins)
        if not names:
            return False
        with _reading(self, conn) as c:
            q = select(events.c.event_id).where(events.c.origin.in_(names)).limit(1)
            return c.execute(q).first() is not None

    def origins_of(self, event_ids: Iterable[str]) -> dict[str, str]:
        """event_id -> origin of the stored reports among ``event_ids``."""
        ids = sorted(set(event_ids))
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in range(0, len(ids), 500):
                q = select(events.c.event_id, events.c.origin).where(
                    events.c.event_id.in_(ids[chunk : chunk + 500])
                )
                out.update({event_id: origin for event_id, origin in conn.execute(q)})
        return out

    def incidents_held(self, incident_ids: Iterable[str], besides: set[str]) -> set[str]:
        """Which of ``incident_ids`` some stored report other than those of ``besides`` holds."""
        ids = sorted(set(incident_ids))
        held: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in range(0, len(ids), 500):
                q = select(events.c.event_id, events.c.incident_id).where(
                    events.c.incident_id.in_(ids[chunk : chunk + 500])
                )
                held |= {inc for event_id, inc in conn.execute(q) if event_id not in besides}
        return held

    def incident_count(self, conn: Any | None = None) -> int:
        """Distinct incidents of the stored reports (a report with no incident id is its own)."""
        key = func.coalesce(events.c.incident_id, literal("inc:") + events.c.event_id)
        with _reading(self, conn) as c:
            return int(c.execute(select(func.count(func.distinct(key)))).scalar_one())

    def split_incident(self, incident_id: str) -> int:
        """Undo a merge: every report of the incident becomes its own incident again.

        One UPDATE (``incident_id = 'inc:' || event_id``) rather than one per report."""
        with self.writer.begin() as conn:
            n = conn.execute(
                update(events)
                .where(events.c.incident_id == incident_id)
                .values(incident_id=literal("inc:") + events.c.event_id, merge_reason="split by hand")
            ).rowcount
            self._bump(conn)
        return int(n)

    def event(self, event_id: str) -> dict[str, Any] | None:
        """The stored row of one event (incident id and merge reason included), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(events).where(events.c.event_id == event_id)).mappings().first()
        return dict(row) if row else None

    def incident_reports(self, incident_id: str) -> list[dict[str, Any]]:
        """Every report of one incident, with its article's title, for the detail panel."""
        q = (
            select(events, articles.c.title, articles.c.text, articles.c.published)
            .select_from(events.outerjoin(articles, events.c.article_id == articles.c.id))
            .where(events.c.incident_id == incident_id)
            .order_by(events.c.confidence.desc(), _DATE_RANK, events.c.event_id)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings().all()]

    def events_frame(self) -> pd.DataFrame:
        """Every report as the dashboard should see it, one row each (the query layer filters and
        groups them in memory).

        People's decisions are applied: a review's corrections replace the machine's fields on
        every report of its incident, hand-added events (origin "analyst") are rows like the
        others, and each row carries ``review_status`` (unreviewed / confirmed / corrected /
        rejected), ``review_version`` (0 when never reviewed), ``reviewed_by``, ``reviewed_at``
        (UTC ISO), ``review_id`` and ``reject_reason``, the same for all reports of an incident.
        Rejected incidents are included: hiding them is the reader's choice. Read in one
        transaction, so the rows and the reviews laid over them are of one moment."""
        with self.engine.connect() as conn, conn.begin():
            return self.events_frame_in(conn)

    def events_frame_in(self, conn: Any) -> pd.DataFrame:
        """``events_frame`` read through the caller's connection: inside a write transaction it
        sees that transaction's own writes (a regrouping relinks imported rows before it commits)."""
        return _as_shown(pd.read_sql(select(events), conn), conn)

    def incidents_frame(self, incident_ids: Iterable[str]) -> pd.DataFrame:
        """``events_frame`` for these incidents only: every report whose incident id is one of
        them, or (a report not grouped yet, whose incident is ``inc:<event id>``) whose own id
        is. Read in one transaction, reviews laid over as in ``events_frame``; the rows of whole
        incidents, so a review reaches every report of its incident as it does there."""
        wanted = sorted(set(incident_ids))
        own = sorted(i[4:] for i in wanted if i.startswith("inc:"))
        parts: list[pd.DataFrame] = []
        with self.engine.connect() as conn, conn.begin():
            for chunk in range(0, len(wanted), 500):
                q = select(events).where(events.c.incident_id.in_(wanted[chunk : chunk + 500]))
                parts.append(pd.read_sql(q, conn))
            for chunk in range(0, len(own), 500):
                q = select(events).where(
                    events.c.incident_id.is_(None) & events.c.event_id.in_(own[chunk : chunk + 500])
                )
                parts.append(pd.read_sql(q, conn))
            frame = (
                pd.concat(parts, ignore_index=True) if parts else pd.read_sql(select(events).limit(0), conn)
            )
            return _as_shown(frame.drop_duplicates("event_id").reset_index(drop=True), conn)

    def touched_between(self, old: int, new: int) -> set[str] | None:
        """The incident ids the writes of versions ``old + 1`` to ``new`` changed, or None when
        any of those writes did not record them (``bump_version(touched=...)``): only then is
        deriving the incident table from the previous version's sure to equal building it."""
        if new <= old or new - old > TOUCHED_KEPT:
            return None
        keys = [f"touched:{v}" for v in range(old + 1, new + 1)]
        with self.engine.connect() as conn:
            found = dict(conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.in_(keys))).all())
        if len(found) != len(keys):
            return None
        return {i for key in keys for i in json.loads(found[key])}

    def machine_frame(self) -> pd.DataFrame:
        """Every report exactly as stored (the machine's reading, no review applied)."""
        with self.engine.connect() as conn:
            frame = pd.read_sql(select(events), conn)
        frame["event_date"] = pd.to_datetime(frame["event_date"])
        return frame

    def report_count(self) -> int:
        """How many reports (event rows) the store holds: one cheap count, no distinct."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(events)).scalar_one())

    def counts(self) -> dict[str, int]:
        """Rows per table for reports and /api/meta; ``incidents`` counts distinct incident ids, so
        reports not grouped yet (no incident id) are not counted as incidents."""
        with self.engine.connect() as conn:
            n_articles = conn.execute(select(func.count()).select_from(articles)).scalar_one()
            n_events = conn.execute(select(func.count()).select_from(events)).scalar_one()
            n_incidents = conn.execute(select(func.count(func.distinct(events.c.incident_id)))).scalar_one()
            n_zones = conn.execute(select(func.count()).select_from(zones)).scalar_one()
        return {"articles": n_articles, "events": n_events, "incidents": n_incidents, "zones": n_zones}

    # ---- zones ----------------------------------------------------------------------------
    def replace_zones(self, versions: list[ZoneVersion], loaded_from: str) -> None:
        """Swap the whole zone set in one transaction: a half-loaded set is never visible."""
        rows = [
            {
                "zone_id": z.zone_id,
                "controller": z.controller,
                "valid_from": z.valid_from,
                "valid_to": z.valid_to,
                "label": z.label,
                "source": z.source,
                "confidence": z.confidence,
                "notes": z.notes,
                "geometry": json.dumps(mapping(z.geometry)),
                "loaded_from": loaded_from,
                "properties": json.dumps(z.extra, default=str),
            }
            for z in versions
        ]
        with self.writer.begin() as conn:
            conn.execute(delete(zones))
            if rows:
                conn.execute(insert(zones), rows)
            self._set_meta(conn, "zones_loaded_from", loaded_from)
            self._bump(conn)

    def zone_versions(self) -> list[ZoneVersion]:
        """Every stored zone version with its geometry rebuilt (shapely), ordered by zone id."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(zones).order_by(zones.c.zone_id)).mappings().all()
        return [
            ZoneVersion(
                zone_id=r["zone_id"],
                controller=r["controller"],
                valid_from=r["valid_from"],
                valid_to=r["valid_to"],
                label=r["label"] or "",
                geometry=shape(json.loads(r["geometry"])),
                source=r["source"] or "",
                confidence=r["confidence"] or "",
                notes=r["notes"] or "",
                extra=json.loads(r["properties"] or "{}"),
            )
            for r in rows
        ]

    # ---- links to imported datasets -------------------------------------------------------
    def set_cross_links(self, links: Iterable[dict[str, Any]]) -> bool:
        """Store the links between imported rows (ACLED, UCDP) and our incidents, replacing the
        previous set, in one transaction that moves ``version`` once; nothing is written (and
        ``False`` returned) when the set is the one already stored, so readers' caches stay valid.

        Each link is a plain dict as ``incidents.crossref.CrossLink.to_dict()`` gives it plus its
        ``label``: ``origin``, ``row_id``, ``event_id`` (the imported row), ``report_id`` (our
        report that matched), ``incident_id``, ``label``, ``reason``, ``days``, ``km``. They are
        kept as JSON in ``meta`` under ``CROSS_LINKS_KEY``: the set is always recomputed whole (the
        matching is one to one across a dataset), so it is written whole, and it holds at most one
        entry per imported row."""
        rows = sorted(
            ({k: lk.get(k) for k in _LINK_FIELDS} for lk in links),
            key=lambda lk: (str(lk["origin"]), str(lk["row_id"]), str(lk["report_id"])),
        )
        value = json.dumps({"format": 1, "links": rows}, ensure_ascii=False, sort_keys=True)
        with self.writer.begin() as conn:
            if not self._write_cross_links(conn, value, bool(rows)):
                return False
            self._bump(conn)
        return True

    def write_cross_links(self, conn: Any, links: Iterable[dict[str, Any]]) -> bool:
        """``set_cross_links`` inside the caller's write transaction, without moving the version
        (the caller moves it once for all its writes); returns whether the stored links changed."""
        rows = sorted(
            ({k: lk.get(k) for k in _LINK_FIELDS} for lk in links),
            key=lambda lk: (str(lk["origin"]), str(lk["row_id"]), str(lk["report_id"])),
        )
        value = json.dumps({"format": 1, "links": rows}, ensure_ascii=False, sort_keys=True)
        return self._write_cross_links(conn, value, bool(rows))

    def _write_cross_links(self, conn: Any, value: str, any_rows: bool) -> bool:
        current = conn.execute(select(meta.c.value).where(meta.c.key == CROSS_LINKS_KEY)).scalar_one_or_none()
        if current == value or (current is None and not any_rows):
            return False
        self._set_meta(conn, CROSS_LINKS_KEY, value)
        return True

    def cross_links_stored(self, conn: Any | None = None) -> bool:
        """Whether any link is stored (a regrouping with no imported rows need only empty them)."""
        with _reading(self, conn) as c:
            raw = c.execute(select(meta.c.value).where(meta.c.key == CROSS_LINKS_KEY)).scalar_one_or_none()
        try:
            return bool(raw and json.loads(raw).get("links"))
        except (ValueError, AttributeError):
            return True  # unreadable: let the next relinking rewrite it

    def cross_links(self) -> dict[str, list[dict[str, Any]]]:
        """Our incident id -> the imported rows that are the same incident, for the detail panel's
        "also in ACLED SYR90001 (same day, 1.2 km)": each ``{origin, row_id, label, reason, days,
        km, event_id, report_id}``, sorted by origin and row id. Imported rows are never merged:
        these are links, stored by the import and by each regrouping (``pipeline``), not worked
        out per request.

        A link names the report of ours that matched; its incident is looked up when read, so an
        analyst's merge or split made since is followed. Links whose report or imported row is no
        longer stored are left out. Cached until ``version`` moves; the caller gets its own copy."""
        with self.engine.connect() as conn, conn.begin():
            version = conn.execute(select(meta.c.value).where(meta.c.key == "version")).scalar_one_or_none()
            cached = self._cross_links_cache
            if cached is None or cached[0] != version:
                raw = conn.execute(
                    select(meta.c.value).where(meta.c.key == CROSS_LINKS_KEY)
                ).scalar_one_or_none()
                cached = (version, self._resolve_links(conn, raw))
                self._cross_links_cache = cached
        return {inc: [dict(lk) for lk in found] for inc, found in cached[1].items()}

    def _resolve_links(self, conn: Any, raw: str | None) -> dict[str, list[dict[str, Any]]]:
        try:
            links = json.loads(raw)["links"] if raw else []
        except (ValueError, KeyError, TypeError):
            log.error("stored cross links cannot be read; none shown until the next import or regrouping")
            return {}
        ids = sorted({str(lk.get(k)) for lk in links for k in ("report_id", "event_id")})
        incident_of: dict[str, str] = {}
        for chunk in range(0, len(ids), 500):
            q = select(events.c.event_id, events.c.incident_id).where(
                events.c.event_id.in_(ids[chunk : chunk + 500])
            )
            for event_id, incident_id in conn.execute(q):
                incident_of[event_id] = incident_id or f"inc:{event_id}"
        out: dict[str, list[dict[str, Any]]] = {}
        for lk in links:
            incident = incident_of.get(str(lk.get("report_id")))
            if incident is None or str(lk.get("event_id")) not in incident_of:
                continue
            out.setdefault(incident, []).append(
                {
                    k: lk.get(k)
                    for k in ("origin", "row_id", "label", "reason", "days", "km", "event_id", "report_id")
                }
            )
        for found in out.values():
            found.sort(key=lambda lk: (str(lk["origin"]), str(lk["row_id"])))
        return out

    # ---- bookkeeping ----------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A bookkeeping value (store version, where zones or reference facts came from), or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()

    def set_meta(self, key: str, value: str) -> None:
        """Write one bookkeeping value in its own transaction.

        Unlike the data writes it does not bump ``version``: readers' caches stay valid."""
        with self.writer.begin() as conn:
            self._set_meta(conn, key, value)

    def update_meta(self, key: str, change: Callable[[str | None], str]) -> str:
        """Read one bookkeeping value and write ``change(value)`` back in one write transaction
        (no version move); returns what was written.

        For values edited in place (a JSON list kept in meta): a read in one call and a write in
        another lose a concurrent edit made between them by another process (a lock inside one
        process does not reach the other gunicorn workers or machines); here both happen under
        the writer's lock (``BEGIN IMMEDIATE`` / the PostgreSQL advisory lock)."""
        with self.writer.begin() as conn:
            current = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()
            new = change(current)
            self._set_meta(conn, key, new)
        return new

    def meta_in(self, conn: Any, key: str) -> str | None:
        """One bookkeeping value read through the caller's connection (inside its transaction)."""
        return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()

    def put_meta(self, conn: Any, key: str, value: str) -> None:
        """Write one bookkeeping value inside the caller's write transaction (no version move)."""
        self._set_meta(conn, key, value)

    def store_id(self) -> str:
        """A random name this store is given the first time it is asked for, kept in meta.

        Caches outside the database (the shared incident-table files, ``read.columnar``) are
        named by it and the version: a store deleted and made again at the same address starts
        its version counter again, and must not be read from the old store's files."""
        found = self.get_meta("store_id")
        if found:
            return found
        return self.update_meta("store_id", lambda current: current or uuid.uuid4().hex[:16])

    def version(self) -> int:
        """A counter bumped by every write, so readers can cache derived frames until it moves."""
        return int(self.get_meta("version") or 0)

    def _set_meta(self, conn: Any, key: str, value: str) -> None:
        """Insert or replace one meta row in a single statement (``ON CONFLICT DO UPDATE``).

        It was a check then an insert: two PostgreSQL writers setting a key nobody had written
        yet both found no row and the second insert failed on the primary key."""
        upsert = _upsert(conn)
        if upsert is None:  # a backend without ON CONFLICT: check then write, under the writer lock
            if conn.execute(select(meta.c.key).where(meta.c.key == key)).first():
                conn.execute(update(meta).where(meta.c.key == key).values(value=value))
            else:
                conn.execute(insert(meta).values(key=key, value=value))
            return
        stmt = upsert(meta).values(key=key, value=value)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": stmt.excluded.value})
        )

    def bump_version(self, conn: Any, touched: Iterable[str] | None = None) -> int:
        """Move ``version`` by one inside a writer's transaction (``store.writer.begin()``);
        returns the new version.

        For writes made by other stages on the store's tables (review decisions, re-extraction),
        so every write moves the counter readers cache by, exactly once. A writer that knows
        every incident id its write changed (the ids reports left and the ids they joined)
        passes them as ``touched``: readers then derive the new version's incident table from
        the previous one (``touched_between``) instead of rebuilding it from every report."""
        version = self._bump(conn)
        if touched is not None:
            self._set_meta(conn, f"touched:{version}", json.dumps(sorted(set(touched))))
            conn.execute(
                delete(meta).where(
                    meta.c.key.like("touched:%")
                    & (cast(func.substr(meta.c.key, 9), Integer) <= version - TOUCHED_KEPT)
                )
            )
        return version

    def _bump(self, conn: Any) -> int:
        """Version + 1 in one statement: ``INSERT ('version', '1') ON CONFLICT DO UPDATE SET value
        = value + 1 RETURNING value``.

        Why not read then write: on PostgreSQL two transactions read the same number and both
        saved number + 1 (30 concurrent writes once moved the version by 10), so a worker that
        had cached the frame of that number never saw the second write. The row lock the
        upsert takes makes the increment atomic on its own; the writer lock orders it too."""
        upsert = _upsert(conn)
        if upsert is None:
            current = conn.execute(select(meta.c.value).where(meta.c.key == "version")).scalar_one_or_none()
            new = int(current or 0) + 1
            self._set_meta(conn, "version", str(new))
            return new
        stmt = upsert(meta).values(key="version", value="1")
        stmt = stmt.on_conflict_do_update(
            index_elements=[meta.c.key], set_={"value": cast(cast(meta.c.value, Integer) + 1, Text)}
        ).returning(meta.c.value)
        return int(conn.execute(stmt).scalar_one())


# How many versions' records of the incidents each write touched are kept (``bump_version``).
TOUCHED_KEPT = 50

# Any finite float is inside this range; NULL, NaN and the infinities are not (SQLite stores NaN
# as NULL; PostgreSQL sorts NaN above every number).
_FINITE = 1e308


def _as_shown(frame: pd.DataFrame, conn: Any) -> pd.DataFrame:
    """Stored report rows as the dashboard reads them: dates as dates, reviews laid over."""
    from conflictmap.storage.effective import apply_reviews

    frame["event_date"] = pd.to_datetime(frame["event_date"])
    return apply_reviews(frame, conn)


@contextmanager
def _reading(store: EventStore, conn: Any | None) -> Iterator[Any]:
    """The caller's connection when it has one (to read inside its transaction), else a new one."""
    if conn is not None:
        yield conn
        return
    with store.engine.connect() as own:
        yield own


def _upsert(conn: Any) -> Any:
    """The dialect's ``insert`` with ``on_conflict_do_update`` (SQLite 3.24+, PostgreSQL), or None."""
    name = conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    return None


def _event_row(e: Event) -> dict[str, Any]:
    d = e.to_dict()
    d["event_date"] = (
        e.event_date if isinstance(e.event_date, date) else date.fromisoformat(str(e.event_date))
    )
    d["incident_id"] = e.incident_id or f"inc:{e.event_id}"
    # An incident id that came with the event (curated reference data) groups reports by hand.
    d["merge_reason"] = "grouped in the source data" if e.incident_id else "single report"
    d["civilian_targeting"] = bool(e.civilian_targeting)
    return {k: d.get(k) for k in EVENT_COLUMNS}
