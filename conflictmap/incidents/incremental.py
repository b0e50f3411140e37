"""Which stored reports an ingest's new reports can change the grouping of, found without
reading the whole store.

Why this is exact and not a heuristic: ``dedupe.cluster_incidents`` is single-link over a graph
whose edges are the candidate pairs that ``dedupe.link`` accepts, plus the hand-made groups
(reference facts of one incident, reports of one analyst's review). It takes links in an order
fixed by each pair itself, roots a group at its earliest report and names an incident after
it, so every connected component of that graph gets a result that depends on that component
alone. Reports whose component holds no new report are grouped exactly as before.

``reach`` therefore starts from the new reports and grows: the stored reports each one links to
(compared as ``cluster_incidents`` would compare them: same type, dates within the looser
precision's tolerance, the same or a neighbouring cell of the same grid, or the same place name
when there is no point), every report of the incident each reached report is in now, and every
report of the review it belongs to, until nothing more is added. What it returns is a union of
whole components and whole current incidents: reclustering it gives what a full regrouping
would give those reports, and keeping incident ids (``pipeline.keep_incident_ids``) sees every
old id of the reports it regroups and no other.

The store is reached through ``ReportSource`` (``pipeline`` adapts ``EventStore``), so this module
knows nothing of SQL. Rows of imported datasets never take part in grouping and must not be
returned by the source.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from conflictmap.incidents.dedupe import (
    DAYS,
    DEFAULT_MAX_KM,
    cell_key,
    grid,
    link,
    neighbour_cells,
)
from conflictmap.models import Event

# The widest date tolerance of any precision: two reports further apart never link.
MAX_DAYS = max(DAYS.values())
# Reports of one cell whose dates are closer than this share one query for their neighbours.
_RUN_GAP_DAYS = 2 * MAX_DAYS + 1
# Cell edges widened by this much in the box asked of the store; the exact cell test follows.
_EPS = 1e-9
# The fields of a report that the link test reads (``dedupe.link``, ``cell_key``, the date
# tolerance) and ``reach`` itself (its incident): all a neighbour is read with. A busy town's
# window holds thousands of reports of which a few link; reading each whole (its evidence,
# notes, URL...) was most of an ingest's regrouping. Those that link are then read whole.
LINK_FIELDS = (
    "event_id",
    "article_id",
    "event_date",
    "event_type",
    "sub_event_type",
    "date_precision",
    "actor1",
    "actor2",
    "location",
    "place_id",
    "latitude",
    "longitude",
    "geo_precision",
    "confidence",
    "origin",
    "source",
    "incident_id",
)


class ReportSource(Protocol):
    """Stored reports of ours (never rows of an imported dataset), as ``Event``s with their
    current ``incident_id``."""

    def in_window(
        self,
        event_type: str,
        start: date,
        end: date,
        box: tuple[float, float, float, float] | None,
        narrow: tuple[date, date, tuple[str, ...]] | None = None,
        fields: tuple[str, ...] | None = None,
    ) -> list[Event]:
        """Reports of ``event_type`` dated ``start``..``end``: with ``box`` (lat_min, lat_max,
        lon_min, lon_max) those with a point inside it, with None those without a usable point.
        With ``narrow`` (first, last, precisions): only those dated first..last, or of one of
        those (wider) date precisions. With ``fields``: only those fields read, the others left
        at their defaults."""
        ...

    def of_incidents(self, incident_ids: set[str]) -> list[Event]:
        """Every report currently in one of these incidents."""
        ...

    def by_ids(self, event_ids: set[str]) -> list[Event]:
        """The reports of these ids."""
        ...


@dataclass
class Reach:
    """What ``reach`` found: the reports to recluster, and how much asking it took."""

    events: dict[str, Event] = field(default_factory=dict)
    rounds: int = 0
    queries: int = 0
    compared: int = 0


def _tol(e: Event) -> int:
    return DAYS.get(e.date_precision, 1)


def reach(
    new: Iterable[Event],
    source: ReportSource,
    *,
    ref_lat: float,
    reviewed: Mapping[str, str] | None = None,
    max_km: float = DEFAULT_MAX_KM,
) -> Reach:
    """The new reports plus every stored report whose grouping they can change (module docstring).

    ``ref_lat``: the largest |latitude| over every report a full regrouping would cluster (new
    and stored), so the grid's cells are the full regrouping's cells. ``reviewed``: event_id ->
    review id of every report an analyst's review holds (``review.anchors.grouping_constraints``,
    imported rows left out), whose reports must stay together."""
    reviewed = reviewed or {}
    by_review: dict[str, list[str]] = defaultdict(list)
    for event_id, review in reviewed.items():
        by_review[review].append(event_id)
    cell_lat, cell_lon = grid(max_km, ref_lat)
    out = Reach()
    found = out.events
    frontier: list[Event] = []
    incidents_seen: set[str] = set()
    reviews_seen: set[str] = set()

    def take(reports: Iterable[Event]) -> None:
        for e in reports:
            if e.event_id not in found:
                found[e.event_id] = e
                frontier.append(e)

    take(new)
    while frontier:
        out.rounds += 1
        batch, frontier = frontier, []
        # Whole current incidents and whole reviews: must-link groups, and the old ids to keep.
        incidents = {e.incident_id for e in batch if e.incident_id} - incidents_seen
        if incidents:
            incidents_seen |= incidents
            out.queries += 1
            take(source.of_incidents(incidents))
        reviews = {reviewed[e.event_id] for e in batch if e.event_id in reviewed} - reviews_seen
        if reviews:
            reviews_seen |= reviews
            missing = {i for r in reviews for i in by_review[r] if i not in found}
            if missing:
                out.queries += 1
                take(source.by_ids(missing))
        # Reports the batch links to: grouped by cell, dates in runs, one query per run, each
        # neighbour read with the link's fields only; those that link are read whole at the end.
        linked: set[str] = set()
        by_cell: dict[tuple, list[Event]] = defaultdict(list)
        for e in batch:
            by_cell[cell_key(e, cell_lat, cell_lon)].append(e)
        for key, group in by_cell.items():
            group.sort(key=lambda e: e.event_date)
            run: list[Event] = []
            for e in group:
                if run and (e.event_date - run[-1].event_date).days > _RUN_GAP_DAYS:
                    _link_run(key, run, source, found, linked, out, cell_lat, cell_lon, max_km)
                    run = []
                run.append(e)
            _link_run(key, run, source, found, linked, out, cell_lat, cell_lon, max_km)
        if linked:  # read under the caller's write lock: every id is still there
            out.queries += 1
            take(source.by_ids(linked))
    return out


def _link_run(
    key: tuple,
    run: list[Event],
    source: ReportSource,
    found: dict[str, Event],
    linked: set[str],
    out: Reach,
    cell_lat: float,
    cell_lon: float,
    max_km: float,
) -> None:
    """Ask the store for the neighbours of one cell's run of reports (their ``LINK_FIELDS``)
    and add the ids of those that link to ``linked``."""
    start = run[0].event_date - timedelta(days=MAX_DAYS)
    end = run[-1].event_date + timedelta(days=MAX_DAYS)
    box = None
    if key[1] == "p":
        row, col = key[2], key[3]
        box = (
            (row - 1) * cell_lat - _EPS,
            (row + 2) * cell_lat + _EPS,
            (col - 1) * cell_lon - _EPS,
            (col + 2) * cell_lon + _EPS,
        )
    # A stored report further from the run than the run's own tolerance links only if its own
    # tolerance is wider (``link``: within the larger of the two), so the store is asked for
    # the run's narrow window plus reports of a wider precision in the wide one: most reports
    # are dated to the day, and a month-wide window of a busy town read thousands of them.
    own = max(_tol(e) for e in run)
    narrow = (
        run[0].event_date - timedelta(days=own),
        run[-1].event_date + timedelta(days=own),
        tuple(sorted(p for p, days in DAYS.items() if days > own)),
    )
    out.queries += 1
    near = set(neighbour_cells(key))
    # The run is in date order: only its reports within max(own, other's tolerance) days of a
    # neighbour can pass the date test, found by bisection instead of comparing the whole run.
    days = [e.event_date.toordinal() for e in run]
    tols = [_tol(e) for e in run]
    for other in source.in_window(key[0], start, end, box, narrow, LINK_FIELDS):
        if (
            other.event_id in found
            or other.event_id in linked
            or cell_key(other, cell_lat, cell_lon) not in near
        ):
            continue
        day, tol = other.event_date.toordinal(), _tol(other)
        reach_days = max(own, tol)
        for i in range(bisect_left(days, day - reach_days), bisect_right(days, day + reach_days)):
            out.compared += 1
            # the candidate test of ``dedupe._candidate_pairs``, then the link itself
            if abs(days[i] - day) > max(tols[i], tol):
                continue
            if link(run[i], other, max_km)[0]:
                linked.add(other.event_id)
                break
