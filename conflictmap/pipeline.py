"""The pipeline, end to end: read articles -> extract events -> store -> group reports into incidents.

Every step is a function of the previous one's output; only ``EventStore`` touches the database
and only ``ingest`` reads files or the network. One bad item is recorded in the report and the
rest goes on: an analyst's feed always has some junk in it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .models import Event
from .store import EventStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None, str], None]


@dataclass
class Unresolved:
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
    errors: list[str] = field(default_factory=list)

    def merge(self, other: IngestReport) -> None:
        self.articles_read += other.articles_read
        self.articles_added += other.articles_added
        self.articles_skipped += other.articles_skipped
        self.events_added += other.events_added
        self.unresolved += other.unresolved
        self.errors += other.errors


def _unresolved(found: Iterable[Event]) -> list[Unresolved]:
    out = []
    for e in found:
        if e.place_id is None or e.geo_method.startswith(("fallback", "unresolved")):
            out.append(
                Unresolved(e.article_id, e.location or "(no place named)", e.geo_method or "no place found")
            )
    return out


def ingest_paths(
    store: EventStore,
    paths: Iterable[str | Path],
    progress: Progress | None = None,
    fetch: Callable[[str], bytes] | None = None,
) -> IngestReport:
    """Read, extract and store every article under ``paths``; articles seen before are skipped."""
    from .extract import extract_article
    from .gazetteer import load_gazetteer
    from .ingest import count_items, iter_articles

    gazetteer = load_gazetteer()
    report = IngestReport()
    for path in paths:
        try:
            total = count_items(path)
        except Exception:  # noqa: BLE001 - a count is only for the progress bar
            total = None
        done = 0
        try:
            items = iter_articles(path, fetch=fetch) if fetch else iter_articles(path)
            for item in items:
                done += 1
                if progress:
                    progress(done, total, str(path))
                if item.article is None:
                    report.errors.append(item.error or f"{item.origin}: unreadable item")
                    continue
                report.articles_read += 1
                article = item.article
                why = store.seen(article)
                if why:
                    report.articles_skipped.append((item.origin, why))
                    continue
                try:
                    found = extract_article(article, gazetteer)
                except Exception as exc:  # noqa: BLE001 - one article's failure must not stop the feed
                    log.exception("extraction failed for %s", item.origin)
                    report.errors.append(f"{item.origin}: extraction failed: {exc}")
                    continue
                result = store.add_article(article, found, origin=item.origin)
                if result.added:
                    report.articles_added += 1
                    report.events_added += result.events
                    report.unresolved += _unresolved(found)
                else:
                    report.articles_skipped.append((item.origin, result.reason))
        except Exception as exc:  # noqa: BLE001 - an unreadable path is reported, the next one goes on
            log.exception("cannot ingest %s", path)
            report.errors.append(f"{path}: {exc}")
    if report.articles_added:
        report.incidents = regroup_incidents(store)
    return report


def regroup_incidents(store: EventStore) -> int:
    """Group reports of one incident across articles and origins; returns the number of incidents.

    Reference facts take part: the bundled report is both extracted and coded by hand, and
    counting it twice doubled its incidents and fatalities. Their hand-made grouping is kept
    (``dedupe.cluster_incidents``); an extracted report joins the reference incident it matches.
    """
    from .dedupe import cluster_incidents

    reports = store.all_events()
    hand_ids = {e.incident_id for e in reports if e.origin == "reference" and e.incident_id}
    assignment = keep_incident_ids(
        cluster_incidents(reports), {e.event_id: e.incident_id for e in reports}, prefer=hand_ids
    )
    store.set_incidents(assignment)
    return len({inc for inc, _ in assignment.values()})


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
            {previous[e] for e in members[incident] if previous.get(e)} - taken,
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
    from .zones import ZonesError, load_zones

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
        report = ingest_paths(store, sorted(sample.glob("*.jsonl")), progress=progress)
        problems += report.errors
        added = report.articles_added
    if reloaded and not added:
        # Fresh reference rows carry only their own grouping: link them to the extracted
        # reports again (an ingest that added articles has just done so).
        regroup_incidents(store)
    return problems
