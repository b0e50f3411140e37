"""The pipeline, end to end: read articles -> extract events -> store -> group reports into incidents.

Every step is a function of the previous one's output; only ``EventStore`` touches the database
and only ``ingest`` reads files or the network. One bad item is recorded in the report and the
rest goes on: an analyst's feed always has some junk in it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

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
    pending = store.get_meta(REGROUP_PENDING) == "1"
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
                        store.set_meta(REGROUP_PENDING, "1")
                        pending = True
                    result = store.add_article(article, found, origin=item.origin)
                except STORAGE_ERRORS as exc:
                    _storage_failed(report, item.origin, exc)
                    continue
                except Exception as exc:  # noqa: BLE001 - this article cannot be written, the next may
                    log.exception("cannot store %s", item.origin)
                    report.errors.append(f"{item.origin}: could not be stored ({type(exc).__name__}: {exc})")
                    _check_max_errors(report, max_errors)
                    continue
                if result.added:
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
            report.incidents = regroup_incidents(store)
            if pending:
                store.set_meta(REGROUP_PENDING, "0")
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
    from conflictmap.incidents.crossref import IMPORTED_ORIGINS
    from conflictmap.incidents.dedupe import cluster_incidents
    from conflictmap.review.anchors import grouping_constraints

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
    store.set_incidents(assignment)
    refresh_cross_links(store)
    untouched = {e.incident_id or f"inc:{e.event_id}" for e in imported if e.event_id not in assignment}
    return len({inc for inc, _ in assignment.values()} | untouched)


def refresh_cross_links(store: EventStore) -> list[CrossLink]:
    """Link the stored rows of imported datasets to our incidents and store the links
    (``EventStore.set_cross_links``, read back by ``EventStore.cross_links``).

    Run after an import and after each regrouping. "Ours" are the reports as the dashboard sees
    them (``events_frame``: analysts' corrections applied); incidents an analyst rejected are
    left out, and so are low-confidence candidates (``crossref``). With no imported rows the
    stored set is emptied. Writes, and moves the store's version, only when the links changed."""
    from conflictmap.incidents.crossref import IMPORTED_ORIGINS, link_to_incidents

    imported = [e for origin in sorted(IMPORTED_ORIGINS) for e in store.all_events(origin=origin)]
    links: list[CrossLink] = []
    if imported:
        frame = store.events_frame()
        frame = frame[~frame["origin"].isin(IMPORTED_ORIGINS)]
        if "review_status" in frame.columns:
            frame = frame[frame["review_status"] != "rejected"]
        links = link_to_incidents(imported, frame)
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
