"""The pipeline, end to end: read articles -> extract events -> store -> group reports into incidents.

Every step is a function of the previous one's output; only ``EventStore`` touches the database
and only ``ingest`` reads files or the network. One bad item is recorded in the report and the
rest goes on: an analyst's feed always has some junk in it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from conflictmap.config import IngestLimits, Settings
from conflictmap.incidents.crossref import CrossLink
from conflictmap.models import Event
from conflictmap.storage.store import EventStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None, str], None]


@dataclass
class Unresolved:
    """An event whose place was not resolved to a town (no place, or only a fallback), for the ingest
    report: an analyst can add the name to the gazetteer. ``why`` is the event's ``geo_method``."""

    article_id: str
    location: str
    why: str


@dataclass
class IngestReport:
    """What an ingest run did, for the closing report of ``conflictmap ingest``."""

    articles_read: int = 0
    articles_added: int = 0
    articles_skipped: list[tuple[str, str]] = field(default_factory=list)  # (origin, why)
    events_added: int = 0
    incidents: int = 0
    unresolved: list[Unresolved] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # items refused or not written, each named
    events_refused: list[str] = field(default_factory=list)  # events dated outside the window
    stopped: str | None = None  # why the run stopped before the end (disk full, --max-errors)
    not_stored: int = 0  # articles read after a storage failure, so not written
    first_not_stored: str | None = None  # where the rerun picks up
    paths_not_read: list[str] = field(default_factory=list)  # after --max-errors stopped the run
    incidents_pending: bool = False  # reports stored but not grouped yet (the next ingest does it)
    # language ("ar", "en", "unknown") -> {"articles": n, "events": n} over the articles added
    by_language: dict[str, dict[str, int]] = field(default_factory=dict)
    # saved views' webhook after the run (conflictmap.notify): one line per view sent or not
    webhook: list[str] = field(default_factory=list)
    regrouping: Regrouping | None = None  # how the run's reports were grouped, when they were

    def count_language(self, language: str | None, events: int) -> None:
        """One added article and its events, under its language."""
        row = self.by_language.setdefault(language or "unknown", {"articles": 0, "events": 0})
        row["articles"] += 1
        row["events"] += events

    @property
    def unread_languages(self) -> dict[str, int]:
        """Languages of added articles that no extractor reads, with their article counts: those
        articles yield no events because nothing read them, not because nothing happened."""
        from conflictmap.language import EXTRACTOR_LANGUAGES

        return {
            lang: row["articles"]
            for lang, row in sorted(self.by_language.items())
            if lang not in EXTRACTOR_LANGUAGES and row["articles"]
        }

    def language_lines(self) -> list[str]:
        """Plain lines for the closing report: counts per language, then each unread language."""
        lines = [
            f"{lang}: {row['articles']} article(s), {row['events']} event(s)"
            for lang, row in sorted(self.by_language.items())
        ]
        for lang, n in self.unread_languages.items():
            what = "in an unknown language" if lang == "unknown" else f"in {lang!r}"
            lines.append(f"{n} article(s) {what}: no extractor for this language, no events read")
        return lines

    @property
    def refused(self) -> int:
        """Items and events refused: the number ``--max-errors`` counts."""
        return len(self.errors) + len(self.events_refused)

    @property
    def complete(self) -> bool:
        """Everything named was read and everything readable was stored."""
        return self.stopped is None and not self.not_stored and not self.paths_not_read

    def merge(self, other: IngestReport) -> None:
        """Add another run's counts and lists to this one, in place.

        ``incidents`` is left as it is: it is a store total after regrouping, not a count of a run."""
        self.articles_read += other.articles_read
        self.articles_added += other.articles_added
        self.articles_skipped += other.articles_skipped
        self.events_added += other.events_added
        self.unresolved += other.unresolved
        self.errors += other.errors
        self.events_refused += other.events_refused
        self.stopped = self.stopped or other.stopped
        self.not_stored += other.not_stored
        self.first_not_stored = self.first_not_stored or other.first_not_stored
        self.paths_not_read += other.paths_not_read
        self.incidents_pending = self.incidents_pending or other.incidents_pending
        self.webhook += other.webhook
        for lang, row in other.by_language.items():
            mine = self.by_language.setdefault(lang, {"articles": 0, "events": 0})
            mine["articles"] += row["articles"]
            mine["events"] += row["events"]


def _unresolved(found: Iterable[Event]) -> list[Unresolved]:
    out = []
    for e in found:
        if e.place_id is None or e.geo_method.startswith(("fallback", "unresolved")):
            out.append(
                Unresolved(e.article_id, e.location or "(no place named)", e.geo_method or "no place found")
            )
    return out


# A write the store cannot make at all (disk or database full, I/O error, read-only, locked past
# its timeout): every later write would fail the same way, so the run stops instead.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, sqlite3.OperationalError, OSError)
REGROUP_PENDING = "ingest_regroup_pending"


# ``meta`` key: the store version the last regrouping left. When the version is still that at the
# end of an ingest run (the run's own article writes do not move it), nothing but this run's
# reports changed since, so regrouping only what they reach gives what a full regrouping would.
GROUPED_AT = "incidents_grouped_at_version"


@dataclass
class Regrouping:
    """How one regrouping went: for the ingest report, the log and ``benchmarks/bench_ingest.py``."""

    mode: str  # "incremental" or "full"
    incidents: int  # incidents in the store afterwards
    reports: int  # reports reclustered
    rows_written: int  # reports whose incident id or reason changed
    why_full: str = ""  # why the full regrouping was needed, when it was
    seconds: float = 0.0


def _storage_message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).splitlines()[0]


def split_by_window(found: Iterable[Event], window: tuple[date, date]) -> tuple[list[Event], list[Event]]:
    """Events dated inside the accepted window, and those outside it (never stored)."""
    lo, hi = window
    kept: list[Event] = []
    out: list[Event] = []
    for e in found:
        day = e.event_date if isinstance(e.event_date, date) else date.fromisoformat(str(e.event_date))
        (kept if lo <= day <= hi else out).append(e)
    return kept, out


def ingest_paths(
    store: EventStore,
    paths: Iterable[str | Path],
    progress: Progress | None = None,
    fetch: Callable[[str], bytes] | None = None,
    limits: IngestLimits | None = None,
    max_errors: int | None = None,
    settings: Settings | None = None,
) -> IngestReport:
    """Read, extract and store every article under ``paths``; articles seen before are skipped.

    Each item stands alone: a bad one is refused by name and the next one is read. Two things
    stop the run early, and the report says where: a write the store cannot make (disk full:
    what was stored stays, the articles after it are counted as not stored, and running the same
    command again finishes the job since stored articles are skipped), and more than
    ``max_errors`` refusals (``--strict`` is 0).

    With a webhook configured (``settings``, else the environment's), the incidents this run
    added are posted to each saved view that shows them (``conflictmap.notify``); how that went
    is in ``report.webhook``, and it never fails the run.
    """
    from conflictmap.extract import extract_article_all  # candidates too: stored, shown only on request
    from conflictmap.geo.gazetteer import load_gazetteer
    from conflictmap.ingest.readers import count_items, iter_articles
    from conflictmap.notify import IngestWatch

    limits = limits or IngestLimits()
    window = limits.window()
    gazetteer = load_gazetteer()
    report = IngestReport()
    # REGROUP_PENDING holds this run's token from its first write until its regrouping commits:
    # any other value found then ("1", another run's token) means a run died before grouping its
    # reports or another one is writing, and the regrouping is then done in full.
    pending = store.get_meta(REGROUP_PENDING) not in (None, "0")
    run_token: str | None = None
    new_ids: list[str] = []
    watch = IngestWatch.start(store, settings)  # None when no webhook is configured
    paths = list(paths)
    for n_path, path in enumerate(paths):
        if report.stopped and report.not_stored == 0 and report.first_not_stored is None:
            report.paths_not_read += [str(p) for p in paths[n_path:]]
            break
        try:
            total = count_items(path, limits)
        except Exception:  # noqa: BLE001 - a count is only for the progress bar
            total = None
        done = 0
        try:
            items = iter_articles(path, fetch=fetch, limits=limits)
            for item in items:
                done += 1
                if progress:
                    progress(done, total, str(path))
                if report.stopped:
                    if report.first_not_stored is None:  # --max-errors: read no further
                        report.paths_not_read.append(f"{path} (from {item.origin} on)")
                        break
                    if item.article is not None:  # storage failed: count what is left
                        report.not_stored += 1
                    continue
                if item.article is None:
                    report.errors.append(item.error or f"{item.origin}: unreadable item")
                    _check_max_errors(report, max_errors)
                    continue
                report.articles_read += 1
                article = item.article
                try:
                    why = store.seen(article)
                except STORAGE_ERRORS as exc:
                    _storage_failed(report, item.origin, exc)
                    continue
                if why:
                    report.articles_skipped.append((item.origin, why))
                    continue
                try:
                    found = extract_article_all(article, gazetteer)
                except Exception as exc:  # noqa: BLE001 - one article's failure must not stop the feed
                    log.exception("extraction failed for %s", item.origin)
                    report.errors.append(f"{item.origin}: extraction failed: {exc}")
                    _check_max_errors(report, max_errors)
                    continue
                found, outside = split_by_window(found, window)
                for e in outside:
                    report.events_refused.append(
                        f"{item.origin}: event dated {e.event_date} ({e.event_type} at "
                        f"{e.location or 'no place named'}) is outside the accepted {window[0]} to "
                        f"{window[1]} (CONFLICTMAP_INGEST_DATE_MIN/MAX); not stored"
                    )
                try:
                    if not pending:
                        run_token = begin_run(store)
                        pending = True
                    # no version move per article: the regrouping below moves it once for the run
                    result = store.add_article(article, found, origin=item.origin, bump=False)
                except STORAGE_ERRORS as exc:
                    _storage_failed(report, item.origin, exc)
                    continue
                except Exception as exc:  # noqa: BLE001 - this article cannot be written, the next may
                    log.exception("cannot store %s", item.origin)
                    report.errors.append(f"{item.origin}: could not be stored ({type(exc).__name__}: {exc})")
                    _check_max_errors(report, max_errors)
                    continue
                if result.added:
                    new_ids += [e.event_id for e in found]
                    report.articles_added += 1
                    report.events_added += result.events
                    report.count_language(article.language, result.events)
                    report.unresolved += _unresolved(found)
                else:
                    report.articles_skipped.append((item.origin, result.reason))
                if outside:
                    _check_max_errors(report, max_errors)
        except Exception as exc:  # noqa: BLE001 - an unreadable path is reported, the next one goes on
            log.exception("cannot ingest %s", path)
            report.errors.append(f"{path}: {exc}")
            _check_max_errors(report, max_errors)
    if report.articles_added or pending:
        try:
            report.regrouping = regroup_after_ingest(store, new_ids, run_token)
            report.incidents = report.regrouping.incidents
        except STORAGE_ERRORS as exc:
            log.error("incidents not regrouped: %s", _storage_message(exc))
            report.incidents_pending = True
            if report.stopped is None:
                report.stopped = f"reports could not be grouped into incidents ({_storage_message(exc)})"
    if watch is not None and report.articles_added and not report.incidents_pending:
        report.webhook = watch.finish(store)
    return report


def _check_max_errors(report: IngestReport, max_errors: int | None) -> None:
    if max_errors is not None and report.stopped is None and report.refused > max_errors:
        report.stopped = f"more than {max_errors} item(s) refused (--max-errors {max_errors})"


def _storage_failed(report: IngestReport, origin: str, exc: BaseException) -> None:
    """The store refused a write: stop storing, keep reading only to count what was not stored."""
    message = _storage_message(exc)
    log.error("%s: cannot write to the store: %s", origin, message)
    report.stopped = f"the store cannot be written ({message}) at {origin}"
    report.first_not_stored = origin
    report.not_stored += 1


IMPORTED_OWN_INCIDENT = "imported dataset row: its own incident (linked to ours, never merged)"


def regroup_incidents(store: EventStore) -> int:
    """Group reports of one incident across articles and origins; returns the number of incidents.

    Reference facts take part: the bundled report is both extracted and coded by hand, and
    counting it twice doubled its incidents and fatalities. Their hand-made grouping is kept
    (``dedupe.cluster_incidents``); an extracted report joins the reference incident it matches.
    Analysts' merges and splits are kept the same way (``review.anchors.grouping_constraints``).

    Rows of an imported dataset (origins ``acled``, ``ucdp``: ``crossref.IMPORTED_ORIGINS``) take
    no part: each stays its own incident under its own id (``inc:acled:SYR90001``, the id every
    report gets before it is grouped), so what a dataset said is never silently merged into what
    the tool read. One that an older grouping put elsewhere gets its own id back, unless an
    analyst grouped it by hand (a review). Their links to our incidents are then worked out
    again and stored (``refresh_cross_links``), since our incident ids may have changed.
    """
    return regroup_all(store).incidents


def regroup_all(store: EventStore, why: str = "") -> Regrouping:
    """``regroup_incidents``, saying what it did: every report reclustered, the rows that changed
    written in one transaction with the relinked imported rows, the version moved once.

    It also records the version it leaves (``GROUPED_AT``), unless another write landed between
    its reading the reports and its writing, which it would not have grouped: the next ingest
    then regroups in full again rather than trust a grouping that is not whole."""
    from conflictmap.incidents.crossref import IMPORTED_ORIGINS
    from conflictmap.incidents.dedupe import cluster_incidents
    from conflictmap.review.anchors import grouping_constraints

    started = time.perf_counter()
    version_read = store.get_meta("version")
    reports = store.all_events()
    imported = [e for e in reports if e.origin in IMPORTED_ORIGINS]
    ours = [e for e in reports if e.origin not in IMPORTED_ORIGINS]
    reviewed = grouping_constraints(store)
    imported_ids = {e.event_id for e in imported}
    own_ids = {f"inc:{e.event_id}" for e in imported}
    hand_ids = {e.incident_id for e in ours if e.origin == "reference" and e.incident_id}
    assignment = keep_incident_ids(
        cluster_incidents(ours, groups={k: v for k, v in reviewed.items() if k not in imported_ids}),
        # An imported row's own id is never carried over to a group of ours.
        {e.event_id: e.incident_id for e in ours if e.incident_id not in own_ids},
        prefer=hand_ids,
    )
    for e in imported:
        if e.incident_id != f"inc:{e.event_id}" and e.event_id not in reviewed:
            assignment[e.event_id] = (f"inc:{e.event_id}", IMPORTED_OWN_INCIDENT)
    with store.writer.begin() as conn:
        whole = store.meta_in(conn, "version") == version_read
        written = store.write_incidents(conn, assignment)
        _relink(store, conn)
        version = store.bump_version(conn)
        store.put_meta(conn, GROUPED_AT, str(version) if whole else "")
        store.put_meta(conn, REGROUP_PENDING, "0")
    untouched = {e.incident_id or f"inc:{e.event_id}" for e in imported if e.event_id not in assignment}
    return Regrouping(
        mode="full",
        incidents=len({inc for inc, _ in assignment.values()} | untouched),
        reports=len(ours),
        rows_written=written,
        why_full=why,
        seconds=time.perf_counter() - started,
    )


def begin_run(store: EventStore) -> str | None:
    """Mark the store as holding reports not grouped yet, before a run's first write; returns
    the run's token for ``regroup_after_ingest``, or None when another run's mark was there (one
    died before grouping, or one is writing now): that run's reports then need a full regrouping.
    """
    token = f"run:{uuid.uuid4().hex}"
    claimed = store.update_meta(REGROUP_PENDING, lambda cur: token if cur in (None, "0") else "1")
    return token if claimed == token else None


def regroup_after_ingest(store: EventStore, new_ids: list[str], token: str | None) -> Regrouping:
    """Group an ingest run's new reports (``new_ids``) into incidents: incrementally when that is
    sure to give what a full regrouping would, else in full (``regroup_all``).

    Incremental (``incidents.incremental``) needs the store to be exactly what the last
    regrouping left plus this run's reports: the version unmoved since (``GROUPED_AT``; the
    run's article writes do not move it) and ``REGROUP_PENDING`` still holding this run's
    ``token`` (None: another run's mark was found, so one died or is running). The check, the
    reads and the writes happen under one write transaction, so no other writer comes between."""
    started = time.perf_counter()
    why = "a previous ingest run stopped before grouping its reports, or another one is writing"
    if token is not None:
        with store.writer.begin() as conn:
            if store.meta_in(conn, REGROUP_PENDING) != token:
                why = "another ingest run wrote to the store meanwhile"
            elif store.meta_in(conn, "version") != store.meta_in(conn, GROUPED_AT):
                why = (
                    "the store changed since its reports were last grouped (a review, an import, "
                    "a re-extraction, reference facts, or the first ingest since upgrading)"
                )
            else:
                done = _regroup_reached(store, conn, new_ids)
                if done is not None:
                    done.seconds = time.perf_counter() - started
                    return done
                why = "an incident id the new grouping needs is held elsewhere in the store"
    log.info("regrouping every report: %s", why)
    return regroup_all(store, why)


class _StoreSource:
    """``incidents.incremental.ReportSource`` over an ``EventStore``, imported rows left out."""

    def __init__(self, store: EventStore, exclude: frozenset[str]) -> None:
        self.store = store
        self.exclude = exclude

    def in_window(
        self,
        event_type: str,
        start: date,
        end: date,
        box: tuple[float, float, float, float] | None,
        narrow: tuple[date, date, tuple[str, ...]] | None = None,
        fields: tuple[str, ...] | None = None,
    ) -> list[Event]:
        return self.store.events_in_window(
            event_type, start, end, box, exclude_origins=self.exclude, narrow=narrow, fields=fields
        )

    def of_incidents(self, incident_ids: set[str]) -> list[Event]:
        return self.store.events_of_incidents(incident_ids, exclude_origins=self.exclude)

    def by_ids(self, event_ids: set[str]) -> list[Event]:
        return self.store.events_by_ids(event_ids, exclude_origins=self.exclude)


def _regroup_reached(store: EventStore, conn: Any, new_ids: list[str]) -> Regrouping | None:
    """The incremental regrouping, inside the caller's write transaction; None when it cannot
    match a full regrouping (an id ``keep_incident_ids`` would choose is held by a report it did
    not read), and nothing is written then.

    Reads go through the store's reading connections: every writer takes the write lock the
    caller holds, so they see exactly the state the transaction will write over."""
    from conflictmap.incidents.crossref import IMPORTED_ORIGINS
    from conflictmap.incidents.dedupe import cluster_incidents
    from conflictmap.incidents.incremental import reach
    from conflictmap.review.anchors import grouping_constraints

    reviewed = grouping_constraints(store)
    imported_reviewed = {i for i, origin in store.origins_of(reviewed).items() if origin in IMPORTED_ORIGINS}
    groups = {k: v for k, v in reviewed.items() if k not in imported_reviewed}
    ref_lat = store.max_abs_latitude(exclude_origins=IMPORTED_ORIGINS)
    new = store.events_by_ids(new_ids, exclude_origins=IMPORTED_ORIGINS)
    found = reach(new, _StoreSource(store, IMPORTED_ORIGINS), ref_lat=ref_lat, reviewed=groups)
    ours = list(found.events.values())
    previous_ids = {e.incident_id for e in ours if e.incident_id}
    # An imported row's own id (inc:<its event id>) is never carried over to a group of ours.
    named = {inc[4:]: inc for inc in previous_ids if inc.startswith("inc:")}
    own_ids = {named[i] for i, origin in store.origins_of(named).items() if origin in IMPORTED_ORIGINS}
    hand_ids = {e.incident_id for e in ours if e.origin == "reference" and e.incident_id}
    assignment = keep_incident_ids(
        cluster_incidents(ours, groups=groups, ref_lat=ref_lat),
        {e.event_id: e.incident_id for e in ours if e.incident_id not in own_ids},
        prefer=hand_ids,
    )
    # keep_incident_ids hands out ids store-wide: an id it gives that none of these reports held
    # must be free in the rest of the store, or a full regrouping would have chosen otherwise.
    fresh = {inc for inc, _ in assignment.values()} - previous_ids
    if any("~" in inc for inc in fresh) or store.incidents_held(fresh, besides=set(found.events)):
        return None
    written = store.write_incidents(conn, assignment, store.incident_rows(assignment, conn=conn))
    _relink(store, conn)
    # Every incident this write changed: the ids the reached reports held (a report not grouped
    # yet is its own incident, inc:<event id>) and the ids they hold now. Nothing outside the
    # reached reports was written, so readers derive the new incident table from these alone.
    touched = previous_ids | {inc for inc, _ in assignment.values()}
    touched |= {f"inc:{e.event_id}" for e in ours if not e.incident_id}
    version = store.bump_version(conn, touched=touched)
    store.put_meta(conn, GROUPED_AT, str(version))
    store.put_meta(conn, REGROUP_PENDING, "0")
    log.info(
        "regrouped %d report(s) reached from %d new in %d round(s), %d queries; %d row(s) written",
        len(ours),
        len(new),
        found.rounds,
        found.queries,
        written,
    )
    return Regrouping(
        mode="incremental",
        incidents=store.incident_count(conn),
        reports=len(ours),
        rows_written=written,
    )


def _relink(store: EventStore, conn: Any) -> None:
    """Relink imported rows to our incidents inside a regrouping's write transaction.

    With no imported row stored (the usual case) this is one indexed look-up, and the stored
    links are emptied only if some are left. With imported rows the matching is redone whole: it
    is one to one across a dataset (a row takes its best incident, an incident one row per
    dataset), so a regrouped incident can move a link to or from an incident far from it."""
    from conflictmap.incidents.crossref import IMPORTED_ORIGINS

    if store.has_origin(IMPORTED_ORIGINS, conn):
        links = _cross_links(store, conn)
        store.write_cross_links(conn, [{**lk.to_dict(), "label": lk.label} for lk in links])
    elif store.cross_links_stored(conn):
        store.write_cross_links(conn, [])


def _cross_links(store: EventStore, conn: Any | None = None) -> list[CrossLink]:
    """The links of every stored imported row to our incidents, read through ``conn`` if given."""
    from conflictmap.incidents.crossref import IMPORTED_ORIGINS, link_to_incidents

    imported = [e for origin in sorted(IMPORTED_ORIGINS) for e in store.all_events(origin=origin, conn=conn)]
    if not imported:
        return []
    frame = store.events_frame() if conn is None else store.events_frame_in(conn)
    frame = frame[~frame["origin"].isin(IMPORTED_ORIGINS)]
    if "review_status" in frame.columns:
        frame = frame[frame["review_status"] != "rejected"]
    return link_to_incidents(imported, frame)


def refresh_cross_links(store: EventStore) -> list[CrossLink]:
    """Link the stored rows of imported datasets to our incidents and store the links
    (``EventStore.set_cross_links``, read back by ``EventStore.cross_links``).

    Run after an import and after each regrouping. "Ours" are the reports as the dashboard sees
    them (``events_frame``: analysts' corrections applied); incidents an analyst rejected are
    left out, and so are low-confidence candidates (``crossref``). With no imported rows the
    stored set is emptied. Writes, and moves the store's version, only when the links changed."""
    links = _cross_links(store)
    store.set_cross_links([{**lk.to_dict(), "label": lk.label} for lk in links])
    return links


def keep_incident_ids(
    assignment: dict[str, tuple[str, str]],
    previous: dict[str, str | None],
    prefer: set[str] | frozenset[str] = frozenset(),
) -> dict[str, tuple[str, str]]:
    """Carry over incident ids that links already point at (``?event=...``).

    A new grouping that still contains reports of an old incident keeps the old id (one in
    ``prefer`` first, else the smallest, when it joined several), so a shared link survives the
    next ingest; each old id goes to one new incident at most. The hand-coded ids of reference
    facts are preferred because they are the same on every install and for every extractor
    version, while an extracted report's id changes when the extractor reads it differently.
    """
    members: dict[str, list[str]] = {}
    for event_id, (incident, _why) in assignment.items():
        members.setdefault(incident, []).append(event_id)
    rename: dict[str, str] = {}
    taken: set[str] = set()
    for incident in sorted(members):
        olds = sorted(
            {old_id for e in members[incident] if (old_id := previous.get(e))} - taken,
            key=lambda old: (old not in prefer, old),
        )
        chosen = olds[0] if olds else incident
        if chosen in taken:  # rare: its own id already went to the group that kept that old id
            chosen = f"{incident}~{len(taken)}"
        if chosen != incident:
            rename[incident] = chosen
        taken.add(chosen)
    return {e: (rename.get(inc, inc), why) for e, (inc, why) in assignment.items()}


def load_reference_events(store: EventStore, path: Path) -> int:
    """Load curated reference facts (origin ``reference``); replaces earlier ones, idempotent."""
    rows: list[Event] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(Event.from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:
                log.error("%s:%d: skipped reference event: %s", path, n, exc)
    return store.replace_origin("reference", rows)


def load_zones_into(store: EventStore, path: Path) -> list[str]:
    """Validate a zones file and swap it in; on any error the stored zones stay as they were.

    Returns the messages (warnings or the refusal) for the log and the UI.
    """
    from conflictmap.geo.zones import ZonesError, load_zones

    try:
        stat = path.stat()
        signature = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        signature = None
    if signature and store.get_meta("zones_signature") == signature and store.counts()["zones"]:
        # Same file as last time: nothing to do, and no version bump to empty every cache.
        return []
    try:
        loaded = load_zones(path)
    except ZonesError as exc:
        log.error("zones refused: %s", exc)
        return [f"Zones file refused, keeping the zones already loaded: {exc}"]
    except OSError as exc:
        log.error("zones unreadable: %s", exc)
        return [f"Zones file {path} cannot be read ({exc}); keeping the zones already loaded"]
    store.replace_zones(loaded.zones, str(path))
    if signature:
        store.set_meta("zones_signature", signature)
    return list(loaded.warnings)


def prepare(settings: Settings, progress: Progress | None = None) -> list[str]:
    """First-run setup (and refresh on each start): store, zones, reference facts, sample feed.

    Idempotent: run it twice and nothing changes the second time. Returns problems to show.
    """
    problems: list[str] = []
    store = EventStore(settings.db_url)
    problems += load_zones_into(store, settings.effective_zones_path)
    ref = settings.bundled_dir / "reference_events.jsonl"
    reloaded = False
    if ref.exists():
        if store.get_meta("reference_loaded_from") != f"{ref}:{ref.stat().st_mtime_ns}":
            n = load_reference_events(store, ref)
            store.set_meta("reference_loaded_from", f"{ref}:{ref.stat().st_mtime_ns}")
            log.info("loaded %d reference events", n)
            reloaded = True
    else:
        problems.append(f"Reference events file missing: {ref}")
    added = 0
    sample = settings.bundled_dir / "sample_feed"
    if sample.is_dir():
        report = ingest_paths(
            store, sorted(sample.glob("*.jsonl")), progress=progress, limits=settings.ingest_limits
        )
        problems += report.errors
        added = report.articles_added
    if reloaded and not added:
        # Fresh reference rows carry only their own grouping: link them to the extracted
        # reports again (an ingest that added articles has just done so).
        regroup_incidents(store)
    return problems
