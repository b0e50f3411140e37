"""Reviews: the one way a person's decision about an incident reaches the store.

Why it is built this way:

* **Decisions attach to reports, not to incident ids.** An incident id is a label de-duplication
  gives a group of reports, and the group is recomputed after every ingest and re-extraction.
  A review is therefore its own row (``reviews``) tied to the reports it covers
  (``review_members``, with an anchor of each report so a re-extracted successor is found, see
  ``review.anchors``). Reading finds the incident that holds those reports today.
* **Corrections are laid over the machine's rows, never written into them** (see
  ``storage.effective``): the machine's reading stays comparable, and the correction survives
  any rewrite of the row.
* **Merges and splits are constraints, not only ids.** The reports of one review always stay in
  one incident and reports of two reviews never join, whatever the linking rules say later
  (``incidents.dedupe.cluster_incidents(groups=...)``). Merge and split change grouping, not the
  status: an unreviewed incident stays unreviewed after a merge (nobody said its fields are
  right); the audit records the grouping decision.
* **Optimistic concurrency.** Each review has a version (0 = never reviewed); every decision
  names the version its author saw and is refused with ``ChangedMeanwhile`` (who, when) if it
  moved. The check and the write are one transaction under the writer's lock (``BEGIN
  IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so two reviewers cannot both pass it.
* **Nothing is deleted.** A rejection is a status; the audit table is append-only; each decision
  moves ``store.version()`` once so the dashboard's caches see it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, insert, select, text, update

from conflictmap.review.errors import ChangedMeanwhile, InvalidValue, UnknownIncident
from conflictmap.review.fields import (
    PlaceLookup,
    check_correction,
    check_new_event,
    check_reject_reason,
)
from conflictmap.storage.effective import CORRECTABLE
from conflictmap.storage.schema import articles, events, review_audit, review_members, reviews
from conflictmap.storage.store import EventStore

ORIGIN_ANALYST = "analyst"
REVIEW_LOCK_KEY = 0x636D7276  # "cmrv": PostgreSQL advisory lock taken by every decision
_DATE_RANK = case({"day": 0, "week": 1, "month": 2}, value=events.c.date_precision, else_=3)


def utc_now() -> str:
    """Now, UTC, ISO 8601 to the second: the time stamp of decisions and audit rows."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ReviewState:
    """An incident's review as it stands after a decision (or as read by ``Reviews.state``)."""

    incident_id: str
    status: str
    version: int
    reviewed_by: str | None
    reviewed_at: str | None
    review_id: str | None
    event_ids: tuple[str, ...]
    reject_reason: str | None = None
    corrections: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Open:
    """One incident inside a decision's transaction: its reports (best first) and its review."""

    incident_id: str
    reports: list[dict[str, Any]]
    review: dict[str, Any] | None

    @property
    def version(self) -> int:
        return int(self.review["version"]) if self.review else 0

    @property
    def corrections(self) -> dict[str, Any]:
        raw = self.review.get("corrections") if self.review else None
        return json.loads(raw) if raw else {}

    def shown(self) -> dict[str, Any]:
        """The incident's fields as the map shows them: best report with corrections laid over."""
        head = {k: self.reports[0].get(k) for k in CORRECTABLE}
        day = head.get("event_date")
        if isinstance(day, date):
            head["event_date"] = day.isoformat()
        return head | self.corrections


def _jsonable(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str, ensure_ascii=False)


def _anchor(report: Mapping[str, Any], now: str) -> dict[str, Any]:
    day = report.get("event_date")
    return {
        "event_id": report["event_id"],
        "article_id": report.get("article_id"),
        "evidence_start": report.get("evidence_start"),
        "evidence_end": report.get("evidence_end"),
        "event_type": report.get("event_type"),
        "sub_event_type": report.get("sub_event_type"),
        "event_date": day.isoformat() if isinstance(day, date) else day,
        "date_precision": report.get("date_precision"),
        "place_id": report.get("place_id"),
        "latitude": report.get("latitude"),
        "longitude": report.get("longitude"),
        "origin": report.get("origin"),
        "extractor_version": report.get("extractor_version"),
        "attached_at": now,
    }


class Reviews:
    """The decisions an analyst makes on incidents; every method takes ``who`` (the person, as
    the web layer or CLI identified them) and the ``expected_version`` they saw."""

    def __init__(
        self,
        store: EventStore,
        places: PlaceLookup | None = None,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.store = store
        self._places = places
        self._clock = clock

    @property
    def places(self) -> PlaceLookup:
        """The gazetteer, loaded on the first decision that names a place_id."""
        if self._places is None:
            from conflictmap.geo.gazetteer import load_gazetteer

            self._places = load_gazetteer()
        return self._places

    # ---- reading ----------------------------------------------------------------------------
    def state(self, incident_id: str) -> ReviewState:
        """The incident's review status and version now (version 0: never reviewed)."""
        with self.store.engine.connect() as conn:
            return self._state(self._open(conn, incident_id))

    def history(self, incident_id: str) -> list[dict[str, Any]]:
        """Every decision on the incident, oldest first (for the detail panel)."""
        from conflictmap.review.audit import history

        return history(self.store, incident_id)

    # ---- decisions --------------------------------------------------------------------------
    def confirm(self, incident_id: str, *, who: str, expected_version: int, note: str = "") -> ReviewState:
        """The machine's incident is right as shown (with any corrections made before)."""
        with self._decision(who, {incident_id}) as (conn, now, who):
            inc = self._checked(conn, incident_id, expected_version)
            status = "corrected" if inc.corrections else "confirmed"
            review = self._save(conn, inc, who, now, status=status, reject_reason=None, reject_note=None)
            self._audit(
                conn,
                inc,
                review,
                who,
                now,
                "confirm",
                "status",
                inc.review["status"] if inc.review else "unreviewed",
                status,
                note=note,
            )
            return self._state(self._open(conn, inc.incident_id))

    def correct(
        self,
        incident_id: str,
        changes: Mapping[str, Any],
        *,
        who: str,
        expected_version: int,
        note: str = "",
    ) -> ReviewState:
        """Set fields of the incident (see ``fields.CORRECTION_FIELDS``); one audit row per field
        whose shown value changes. A correction that changes nothing is refused by name."""
        with self._decision(who, {incident_id}) as (conn, now, who):
            inc = self._checked(conn, incident_id, expected_version)
            shown = inc.shown()
            checked = check_correction(changes, shown, self.places if "place_id" in changes else self._places)
            moved = {k: v for k, v in checked.items() if shown.get(k) != v}
            if not moved:
                first = sorted(changes)[0]
                raise InvalidValue(
                    first, changes[first], "is what the incident already shows: nothing to correct"
                )
            corrections = inc.corrections | checked
            review = self._save(
                conn, inc, who, now, status="corrected", corrections=json.dumps(corrections, default=str)
            )
            for name, value in sorted(moved.items()):
                self._audit(conn, inc, review, who, now, "correct", name, shown.get(name), value, note=note)
            return self._state(self._open(conn, inc.incident_id))

    def reject(
        self, incident_id: str, reason: str, *, who: str, expected_version: int, note: str = ""
    ) -> ReviewState:
        """Not an incident to map (``fields.REJECT_REASONS``); it stays in the store, hidden by default."""
        reason = check_reject_reason(reason, note)
        with self._decision(who, {incident_id}) as (conn, now, who):
            inc = self._checked(conn, incident_id, expected_version)
            before = inc.review["status"] if inc.review else "unreviewed"
            review = self._save(
                conn, inc, who, now, status="rejected", reject_reason=reason, reject_note=note or None
            )
            self._audit(
                conn, inc, review, who, now, "reject", "status", before, "rejected", reason=reason, note=note
            )
            return self._state(self._open(conn, inc.incident_id))

    def merge(
        self,
        incident_id: str,
        into: str,
        *,
        who: str,
        expected_version: int,
        into_version: int,
        note: str = "",
    ) -> ReviewState:
        """Incident ``incident_id`` is the same as ``into``: its reports join it for good.

        ``into``'s review (status, corrections) governs the merged incident; the merged one's
        review is closed (``merged_into``) and its history stays readable from ``into``."""
        if incident_id == into:
            raise InvalidValue("into", into, "is the incident itself: pick another incident to merge with")
        with self._decision(who, {incident_id, into}) as (conn, now, who):
            src = self._checked(conn, incident_id, expected_version)
            dst = self._checked(conn, into, into_version)
            dst_review = self._save(conn, dst, who, now)
            moved = [r["event_id"] for r in src.reports]
            if src.review:
                conn.execute(
                    update(reviews)
                    .where(reviews.c.review_id == src.review["review_id"])
                    .values(
                        merged_into=dst_review["review_id"],
                        version=src.version + 1,
                        updated_by=who,
                        updated_at=now,
                    )
                )
                conn.execute(
                    update(review_members)
                    .where(review_members.c.review_id == src.review["review_id"])
                    .values(review_id=dst_review["review_id"])
                )
            self._attach(conn, dst_review["review_id"], src.reports, now)
            conn.execute(
                update(events)
                .where(events.c.event_id.in_(moved))
                .values(incident_id=into, merge_reason=f"merged into {into} by {who}")
            )
            src_review = src.review or dst_review
            self._audit(
                conn,
                src,
                src_review,
                who,
                now,
                "merge",
                "incident_id",
                incident_id,
                into,
                note=note,
                version=src.version + 1,
            )
            self._audit(conn, dst, dst_review, who, now, "merge", "reports", None, moved, note=note)
            return self._state(self._open(conn, into))

    def split(
        self, incident_id: str, event_id: str, *, who: str, expected_version: int, note: str = ""
    ) -> tuple[ReviewState, ReviewState]:
        """One report is another incident: it leaves ``incident_id`` for good and becomes an
        unreviewed incident of its own (the incident's corrections no longer apply to it).
        Returns the incident's state and the new incident's."""
        touched = {incident_id}
        with self._decision(who, touched) as (conn, now, who):
            inc = self._checked(conn, incident_id, expected_version)
            ids = [r["event_id"] for r in inc.reports]
            if event_id not in ids:
                raise InvalidValue("event_id", event_id, f"is not a report of incident {incident_id}")
            if len(ids) == 1:
                raise InvalidValue(
                    "event_id",
                    event_id,
                    f"is the only report of incident {incident_id}: nothing to split from",
                )
            review = self._save(conn, inc, who, now)
            new_id = f"inc:{event_id}" if f"inc:{event_id}" != incident_id else f"inc:split:{event_id}"
            touched.add(new_id)
            report = next(r for r in inc.reports if r["event_id"] == event_id)
            single = _Open(new_id, [report], None)
            new_review = self._save(conn, single, who, now, status="unreviewed")
            conn.execute(  # the report's anchor moves with it: the new review pins it apart
                update(review_members)
                .where(review_members.c.event_id == event_id)
                .values(review_id=new_review["review_id"])
            )
            conn.execute(
                update(events)
                .where(events.c.event_id == event_id)
                .values(incident_id=new_id, merge_reason=f"split out of {incident_id} by {who}")
            )
            self._audit(
                conn,
                inc,
                review,
                who,
                now,
                "split",
                "reports",
                ids,
                [i for i in ids if i != event_id],
                note=note,
            )
            self._audit(
                conn, single, new_review, who, now, "split", "incident_id", incident_id, new_id, note=note
            )
            return self._state(self._open(conn, incident_id)), self._state(self._open(conn, new_id))

    def add_event(
        self,
        fields: Mapping[str, Any],
        *,
        who: str,
        article_id: str | None = None,
        evidence_start: int | None = None,
        evidence_end: int | None = None,
        source_url: str | None = None,
        note: str = "",
    ) -> ReviewState:
        """An incident the machine missed, added by hand (origin "analyst", status confirmed).

        Either from a stored article, with the character span of its evidence (the evidence
        text is taken from the article, so it is exactly what the article says), or with no
        article: a source URL (http/https) and a note saying what supports it."""
        checked = check_new_event(fields, self.places if fields.get("place_id") else self._places)
        touched: set[str] = set()
        with self._decision(who, touched) as (conn, now, who):
            row = self._new_row(
                conn, checked, who, now, article_id, evidence_start, evidence_end, source_url, note
            )
            touched.add(row["incident_id"])
            conn.execute(insert(events).values(**row))
            inc = _Open(row["incident_id"], [row], None)
            review = self._save(conn, inc, who, now, status="confirmed")
            self._audit(conn, inc, review, who, now, "add", "event_id", None, row["event_id"], note=note)
            return self._state(self._open(conn, inc.incident_id))

    # ---- the transaction ----------------------------------------------------------------------
    @contextmanager
    def _decision(self, who: str, touched: set[str]) -> Iterator[tuple[Any, str, str]]:
        """One decision's transaction: check, write, audit and one version move, all or nothing.

        ``touched`` holds the incident ids the decision changes (the caller may add to it while
        the decision runs, a split's new incident); the incidents of every report anchored to a
        review held by one of them are added, since a review reaches all its reports' incidents
        (``storage.effective``). They are recorded with the version move, so readers derive the
        new incident table from the previous one (``EventStore.bump_version``).

        On PostgreSQL the store's writer has taken its write lock at BEGIN (``storage.store``),
        so the version check cannot interleave with another process's write; the review lock
        taken next (always second, so the two cannot deadlock) keeps decisions serialised even
        for code that opens a writer transaction some other way."""
        if not isinstance(who, str) or not who.strip():
            raise InvalidValue("who", who, "is empty: a decision is recorded under a person's name")
        with self.store.writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REVIEW_LOCK_KEY})
            yield conn, self._clock(), who.strip()
            self.store.bump_version(conn, touched=touched | _review_neighbours(conn, touched))

    def _open(self, conn: Any, incident_id: str) -> _Open:
        q = (
            select(events)
            .where(events.c.incident_id == incident_id)
            .order_by(events.c.confidence.desc(), _DATE_RANK, events.c.event_id)
        )
        reports = [dict(r) for r in conn.execute(q).mappings()]
        if not reports:
            raise UnknownIncident(incident_id)
        ids = [r["event_id"] for r in reports]
        q2 = (
            select(reviews)
            .join(review_members, review_members.c.review_id == reviews.c.review_id)
            .where(review_members.c.event_id.in_(ids), reviews.c.merged_into.is_(None))
            .order_by(reviews.c.updated_at.desc(), reviews.c.review_id.desc())
        )
        found = conn.execute(q2).mappings().first()
        return _Open(incident_id, reports, dict(found) if found else None)

    def _checked(self, conn: Any, incident_id: str, expected_version: int) -> _Open:
        if (
            isinstance(expected_version, bool)
            or not isinstance(expected_version, int)
            or expected_version < 0
        ):
            raise InvalidValue(
                "expected_version", expected_version, "is not a version (0 for never reviewed)"
            )
        inc = self._open(conn, incident_id)
        if inc.version != expected_version:
            who = inc.review["updated_by"] if inc.review else None
            when = inc.review["updated_at"] if inc.review else None
            raise ChangedMeanwhile(incident_id, expected_version, inc.version, who, when)
        return inc

    def _save(self, conn: Any, inc: _Open, who: str, now: str, **values: Any) -> dict[str, Any]:
        """Create or update the incident's review (version + 1) and attach all its reports."""
        if inc.review is None:
            row = {
                "review_id": "rev:" + uuid.uuid4().hex[:16],
                "status": values.pop("status", "unreviewed"),
                "version": 1,
                "corrections": values.pop("corrections", None),
                "reject_reason": values.pop("reject_reason", None),
                "reject_note": values.pop("reject_note", None),
                "merged_into": None,
                "created_by": who,
                "created_at": now,
                "updated_by": who,
                "updated_at": now,
            }
            conn.execute(insert(reviews).values(**row))
        else:
            row = (
                dict(inc.review) | values | {"version": inc.version + 1, "updated_by": who, "updated_at": now}
            )
            conn.execute(
                update(reviews)
                .where(reviews.c.review_id == row["review_id"])
                .values(**{k: v for k, v in row.items() if k != "review_id"})
            )
        self._attach(conn, row["review_id"], inc.reports, now)
        return row

    def _attach(self, conn: Any, review_id: str, reports: list[dict[str, Any]], now: str) -> None:
        ids = [r["event_id"] for r in reports]
        have = set(
            conn.execute(
                select(review_members.c.event_id).where(review_members.c.event_id.in_(ids))
            ).scalars()
        )
        rows = [_anchor(r, now) | {"review_id": review_id} for r in reports if r["event_id"] not in have]
        if rows:
            conn.execute(insert(review_members), rows)

    def _audit(
        self,
        conn: Any,
        inc: _Open,
        review: Mapping[str, Any],
        who: str,
        now: str,
        action: str,
        name: str | None,
        before: Any,
        after: Any,
        reason: str | None = None,
        note: str = "",
        version: int | None = None,
    ) -> None:
        conn.execute(
            insert(review_audit).values(
                at=now,
                who=who,
                incident_id=inc.incident_id,
                review_id=review["review_id"],
                action=action,
                field=name,
                before=_jsonable(before),
                after=_jsonable(after),
                reason=reason,
                note=note or None,
                version=version if version is not None else review["version"],
            )
        )

    def _state(self, inc: _Open) -> ReviewState:
        r = inc.review
        return ReviewState(
            incident_id=inc.incident_id,
            status=r["status"] if r else "unreviewed",
            version=inc.version,
            reviewed_by=r["updated_by"] if r else None,
            reviewed_at=r["updated_at"] if r else None,
            review_id=r["review_id"] if r else None,
            event_ids=tuple(x["event_id"] for x in inc.reports),
            reject_reason=r["reject_reason"] if r else None,
            corrections=inc.corrections,
        )

    def _new_row(
        self,
        conn: Any,
        checked: dict[str, Any],
        who: str,
        now: str,
        article_id: str | None,
        start: int | None,
        end: int | None,
        source_url: str | None,
        note: str,
    ) -> dict[str, Any]:
        """The events row of an added event, its evidence cut from the article."""
        if article_id is not None:
            art = conn.execute(select(articles).where(articles.c.id == article_id)).mappings().first()
            if art is None:
                raise InvalidValue("article_id", article_id, "is not an article of the store")
            n = len(art["text"])
            for name, value in (("evidence_start", start), ("evidence_end", end)):
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= n:
                    raise InvalidValue(name, value, f"is not a character offset in the article (0..{n})")
            assert start is not None and end is not None
            evidence = art["text"][start:end]
            if not evidence.strip():
                raise InvalidValue(
                    "evidence_end", end, "leaves no text between the offsets: select the evidence"
                )
            key = f"{article_id}|{start}:{end}|{checked['event_type']}|{checked['place_id'] or ''}"
            source, url = art["source"], art["url"]
        else:
            if start is not None or end is not None:
                raise InvalidValue(
                    "article_id", None, "is missing: evidence offsets need the article they point into"
                )
            if not source_url or not str(source_url).lower().startswith(("http://", "https://")):
                raise InvalidValue(
                    "source_url",
                    source_url,
                    "is not an http(s) address: an event with no article needs its source",
                )
            if not note.strip():
                raise InvalidValue(
                    "note", note, "is empty: an event with no article says in a note what supports it"
                )
            evidence, source, url = "", None, str(source_url)
            key = f"{source_url}|{checked['event_date']}|{checked['event_type']}|{uuid.uuid4().hex}"
        event_id = "an:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]  # noqa: S324 - an id
        if conn.execute(select(events.c.event_id).where(events.c.event_id == event_id)).first():
            raise InvalidValue(
                "evidence_start", start, f"this evidence already holds this event ({event_id})"
            )
        return checked | {
            "event_id": event_id,
            "article_id": article_id,
            "incident_id": f"inc:{event_id}",
            "merge_reason": "added by hand",
            "event_date": date.fromisoformat(checked["event_date"]),
            "evidence": evidence,
            "evidence_start": start,
            "evidence_end": end,
            "confidence": 1.0,
            "source": source,
            "url": url,
            "origin": ORIGIN_ANALYST,
            "extractor_version": None,
            "notes": f"added by {who} at {now}" + (f": {note}" if note else ""),
        }


def _incident_of(incident_id: Any, event_id: str) -> str:
    """A report's incident as the incident table names it (``inc:<event id>`` when ungrouped)."""
    return str(incident_id) if incident_id else f"inc:{event_id}"


def _review_neighbours(conn: Any, touched: set[str]) -> set[str]:
    """The incidents of every report anchored to a review that anchors a report of ``touched``."""
    own = [i[4:] for i in touched if i.startswith("inc:")]
    held = select(events.c.event_id).where(
        events.c.incident_id.in_(sorted(touched))
        | (events.c.incident_id.is_(None) & events.c.event_id.in_(own))
    )
    their_reviews = select(review_members.c.review_id).where(review_members.c.event_id.in_(held))
    rows = conn.execute(
        select(events.c.incident_id, events.c.event_id)
        .join(review_members, review_members.c.event_id == events.c.event_id)
        .where(review_members.c.review_id.in_(their_reviews))
    )
    return {_incident_of(incident_id, event_id) for incident_id, event_id in rows}
