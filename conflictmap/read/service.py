"""Read-side facade for the dashboard and exports: one object, read-only, cached by store version.

Callbacks and export routes ask this for frames and GeoJSON; they never open the store or read
files themselves. Everything here is derived from the store and the bundled files, rebuilt only
when the store's version counter moves, so a filter change costs a mask and a group-by.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from conflictmap.config import Settings
from conflictmap.models import ZoneVersion
from conflictmap.read.columnar import ChildBuildFailed, build_table, open_version
from conflictmap.read.index import (
    VIEW_COLUMNS,
    EventIndex,
    map_groups,
    summary,
    timeline_bins,
)
from conflictmap.read.query import EventFilter, params_of
from conflictmap.storage.store import EventStore

log = logging.getLogger(__name__)

# Reports above which a new version's incident table is built in a child process rather than a
# thread of the server (10,000 reports build in about half a second; 100,000 in five).
CHILD_BUILD_ABOVE = 20_000


class SelectedRows:
    """The incidents a filter keeps, as a frame made only when someone asks for it.

    The map, timeline and counts read a few columns; copying every column of every matching
    row for them was a third of a filter change at 300k incidents. The table, detail panel and
    exports still get the whole rows, made once per view and shared by every copy of it."""

    def __init__(self, frame: pd.DataFrame, mask: np.ndarray) -> None:
        self._source = frame
        self._mask = mask
        self._frame: pd.DataFrame | None = None
        self._lock = threading.Lock()

    def frame(self) -> pd.DataFrame:
        """Every column of the kept incidents, oldest first (the index's order)."""
        with self._lock:
            if self._frame is None:
                self._frame = self._source[self._mask]
            return self._frame


@dataclass
class ViewData:
    """Everything the screen needs for one filter."""

    flt: EventFilter
    rows: SelectedRows
    groups: pd.DataFrame
    bins: pd.DataFrame
    unit: str
    counts: dict[str, int]
    as_of: date
    zones_fc: dict | None
    start: date | None
    end: date | None

    @property
    def selected(self) -> pd.DataFrame:
        """The kept incidents with every column (made on first use, then shared)."""
        return self.rows.frame()


@dataclass
class DataService:
    """The dashboard's and exports' only way to the data: read-only, everything derived from the
    store cached until its ``version`` moves. ``problems`` collects what the page should say is
    missing (basemap, key sites, place labels). Get it through ``get_service``, one per settings."""

    settings: Settings
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.store = EventStore(self.settings.db_url)
        self._lock = threading.Lock()
        self._version = -1
        self._index: EventIndex | None = None
        self._zones: list[ZoneVersion] = []
        self._zones_fc: dict[str, dict] = {}
        self._basemap: dict[str, dict | None] | None = None
        self._sites: pd.DataFrame | None = None
        self._settlements: pd.DataFrame | None = None
        self._views: dict[tuple[int, str], ViewData] = {}
        self._building: threading.Event | None = None  # set when a rebuild in the background ends
        self._building_since = 0.0  # time.monotonic() when that rebuild began
        self._warned_no_files = False

    # ---- cached, rebuilt when the store changes ---------------------------------------------
    def _refresh(self) -> None:
        """Take in a new store version: built beside the index in use, then swapped in.

        The first index is built before anything is answered (there is nothing else to show).
        After that, a request waits at most ``settings.refresh_wait`` seconds for the new one and
        is otherwise answered from the previous version: a rebuild of a large store (seconds,
        per worker) once held every request of the worker behind it. A small store's rebuild
        ends well within the wait, so an analyst's decision shows on the next answer."""
        version = self.store.version()
        if version == self._version and self._index is not None:
            return
        with self._lock:
            if self._index is None:
                self._take_in(*self._build(version))
                return
            if version == self._version:
                return
            if self._building is None:
                self._building = threading.Event()
                self._building_since = time.monotonic()
                threading.Thread(target=self._rebuild, args=(self._building,), daemon=True).start()
            building, deadline = self._building, self._building_since + self.settings.refresh_wait
        # Counted from the rebuild's start, not per call: one request asks for the index several
        # times (the view, its default range ...), and a wait per call once made a filter change
        # wait three times 1.5 s while a million-incident table was being derived.
        building.wait(max(0.0, deadline - time.monotonic()))

    def _build(self, version: int) -> tuple[int, list[ZoneVersion], EventIndex]:
        """The index of ``version``: mapped from the machine's shared file of that version,
        which the first process to need it builds (``read.columnar``). A folder that cannot be
        written (a read-only install) falls back to a table built in this process's memory."""
        zones = self.store.zone_versions()
        shown = self.settings.show_reference
        try:
            frame, version, how, words = open_version(
                self.settings.effective_index_dir, self.store, shown, version, child_above=CHILD_BUILD_ABOVE
            )
            if how != "mapped":
                log.info("incident table of store version %d %s", version, how)
        except (OSError, ChildBuildFailed) as exc:
            # A folder that cannot be written, or a child build that failed: this process
            # builds its own copy, so the map still answers (slower, and said in the log).
            if not self._warned_no_files:
                log.warning(
                    "cannot use the shared incident index in %s (%s); building this process's own "
                    "copy in memory (set CONFLICTMAP_INDEX_DIR to a writable folder)",
                    self.settings.effective_index_dir,
                    exc,
                )
                self._warned_no_files = True
            version = self.store.version()
            frame, words = build_table(self.settings.db_url, shown), None  # text search scans
        index = EventIndex(frame, words)
        warm(index)
        # The map's fixed layers are read once per process; read here, beside the index, so the
        # first map a worker draws does not pay for them (0.5 s of its first 0.7 s at 1M).
        self.basemap(), self.sites(), self.settlements()
        return version, zones, index

    def _take_in(self, version: int, zones: list[ZoneVersion], index: EventIndex) -> None:
        """Swap a built index in (under the lock)."""
        self._index, self._zones, self._zones_fc, self._version = index, zones, {}, version
        # Views of older versions are never asked for again, and each holds the old table
        # (a mapped file a newer one retired: its disk space is freed only once unmapped).
        self._views = {k: v for k, v in self._views.items() if k[0] == version}
        log.info(
            "index rebuilt: %d incidents, %d zone versions (store version %d)",
            len(index),
            len(zones),
            version,
        )

    def _rebuild(self, done: threading.Event) -> None:
        """Build the index of the store's newest version beside the one in use, until the store
        stops moving, then let the waiting requests go. A failed build keeps the index in use
        (logged); the next request tries again."""
        try:
            while True:
                built = self._build(self.store.version())
                version = built[0]  # the version mapped: a newer one if it was already written
                with self._lock:
                    if version != self._version:
                        self._take_in(*built)
                if self.store.version() <= version:
                    break
        except Exception:
            log.exception(
                "rebuilding the incident index failed; answering from store version %d", self._version
            )
        finally:
            with self._lock:
                self._building = None
            done.set()

    def version(self) -> int:
        """The store version the caches were built from (refreshed first): a figure drawn at one
        version is stale at another, even for the same filter (an analyst's decision)."""
        self._refresh()
        return self._version

    def index(self) -> EventIndex:
        """The incidents index, rebuilt first if the store changed since it was built."""
        self._refresh()
        assert self._index is not None
        return self._index

    def zones(self) -> list[ZoneVersion]:
        """Every zone version in the store (all dates), as of the last rebuild."""
        self._refresh()
        return self._zones

    def zones_geojson(self, as_of: date) -> dict:
        """The zones in force on ``as_of`` as a FeatureCollection (empty when none are).

        Cached per set of zone versions, since many days share one set. The zones and their
        cache are taken together under the lock: a reload between the two would otherwise file
        the old version's shapes in the new version's cache under the same zone ids."""
        from conflictmap.geo.zones import zones_as_of, zones_geojson

        self._refresh()
        with self._lock:
            zones, cache = self._zones, self._zones_fc
        active = zones_as_of(zones, as_of)
        # Keyed by which versions hold, not by the date: any date can be asked for (it comes
        # from the URL), but only a handful of distinct zone sets exist.
        key = ",".join(z.zone_id for z in active)
        fc = cache.get(key)
        if fc is None:
            fc = zones_geojson(active) if active else {"type": "FeatureCollection", "features": []}
            cache[key] = fc
        return fc

    def zone_changes(self) -> list[date]:
        """The days on which control changed (``geo.zones.zone_changes``), for /api/meta."""
        from conflictmap.geo.zones import zone_changes

        return zone_changes(self.zones())

    def basemap(self) -> dict[str, dict | None]:
        """The basemap layers by name (None for a layer that could not be read), loaded once per
        service; read errors are added to ``problems``."""
        if self._basemap is None:
            from conflictmap.geo.basemap import load_basemap

            bm = load_basemap(self.settings.bundled_dir)
            self.problems += bm.errors
            self._basemap = {
                "countries": bm.countries,
                "governorates": bm.governorates,
                "deir_ez_zor": bm.deir_ez_zor,
                "rivers": bm.rivers,
                "lakes": bm.lakes,
            }
        return self._basemap

    def sites(self) -> pd.DataFrame:
        """Key sites (fields, bases, crossings ...) for the map layer, loaded once per service.

        A gazetteer that cannot be read gives an empty frame and a line in ``problems``, not an error."""
        if self._sites is None:
            from conflictmap.geo.gazetteer import GazetteerError, load_gazetteer

            try:
                places = load_gazetteer(self.settings.bundled_dir).key_sites()
            except (GazetteerError, OSError) as exc:
                self.problems.append(f"Key sites unavailable: {exc}")
                places = []
            self._sites = pd.DataFrame(
                {
                    "place_id": [p.place_id for p in places],
                    "name": [p.name for p in places],
                    # the first Arabic spelling, for the map's Arabic place-name layer
                    "name_ar": [(p.name_ar or "").split("|")[0] or None for p in places],
                    "kind": [p.kind for p in places],
                    "latitude": [p.latitude for p in places],
                    "longitude": [p.longitude for p in places],
                }
            )
        return self._sites

    def settlements(self) -> pd.DataFrame:
        """Cities, towns and villages of the curated gazetteer, biggest first: the map's labels.

        Why a ranked list: the map labels the events' own places first, then these in order,
        and MapLibre drops a label that would collide with one placed before it, so the order
        is the decluttering rule (cities survive at every zoom, villages appear when zoomed in).
        """
        if self._settlements is None:
            from conflictmap.geo.gazetteer import GazetteerError, load_gazetteer

            rank = {"city": 0, "town": 1, "village": 2}
            try:
                places = [p for p in load_gazetteer(self.settings.bundled_dir).places if p.kind in rank]
            except (GazetteerError, OSError) as exc:
                self.problems.append(f"Place labels unavailable: {exc}")
                places = []
            places.sort(key=lambda p: (rank[p.kind], p.name))
            self._settlements = pd.DataFrame(
                {
                    "name": [p.name for p in places],
                    # the first Arabic spelling, for the map's Arabic place-name layer
                    "name_ar": [(p.name_ar or "").split("|")[0] or None for p in places],
                    "kind": [p.kind for p in places],
                    "latitude": [p.latitude for p in places],
                    "longitude": [p.longitude for p in places],
                }
            )
        return self._settlements

    # ---- per filter ---------------------------------------------------------------------------
    def default_range(self) -> tuple[date, date]:
        """The date range a view without dates shows: the span of all incidents (candidates included).

        A store with no incident yet (a team's first day) shows the zones' history, from the first
        version to the last change, so the map opens on the newest control; with no zones either,
        today (the machine's date: the store is new, so the present is what there is to see)."""
        span = self.index().span()
        if span is not None:
            return span
        days = [d for z in self.zones() for d in (z.valid_from, z.valid_to) if d is not None]
        if days:
            return min(days), max(days)
        today = date.today()
        return today, today

    def view(self, flt: EventFilter) -> ViewData:
        """The data of one view; the last few are memoised, as four panels ask for the same one."""
        index = self.index()
        key = (self._version, flt.without_view().to_query())
        with self._lock:
            hit = self._views.get(key)
        if hit is not None:
            return replace(hit, flt=flt)
        data = self._compute_view(index, flt)
        with self._lock:
            self._views[key] = data
            while len(self._views) > 32:
                self._views.pop(next(iter(self._views)))
        return data

    def _compute_view(self, index: EventIndex, flt: EventFilter) -> ViewData:
        lo, hi = self.default_range()
        start, end = flt.start or lo, flt.end or hi
        as_of = flt.as_of or end
        mask = index.mask(flt)
        # Only the columns the map, timeline and counts read: see SelectedRows.
        wanted = [c for c in VIEW_COLUMNS if c in index.frame.columns]
        # Every row kept (the default view of a store): the columns as they are, no row copy.
        few = index.frame[wanted] if mask.all() else index.frame.loc[mask, wanted]
        bins, unit = timeline_bins(few, start, end)
        return ViewData(
            flt=flt,
            rows=SelectedRows(index.frame, mask),
            groups=map_groups(few),
            bins=bins,
            unit=unit,
            counts=summary(few),
            as_of=as_of,
            zones_fc=self.zones_geojson(as_of),
            start=start,
            end=end,
        )

    def incident(self, incident_id: str) -> list[dict]:
        """The reports of one incident, the same ones its counts were made from."""
        reports = self.store.incident_reports(incident_id)
        if not self.settings.show_reference:
            reports = [r for r in reports if r.get("origin") != "reference"]
        return reports


def warm(index: EventIndex) -> None:
    """Make what every view and page load reads before the index is swapped in: the column
    arrays the default filter masks with, and the filter controls' option lists. Done here (a
    rebuild runs beside the index in use) so the first request after a swap does not pay it;
    at 300k incidents that first filter change took 470 ms, the next ones 140."""
    index.mask(EventFilter())
    for _, param in params_of():
        kind = param.control.options_from if param.control is not None else ""
        if kind in ("actors", "outlets"):  # "zones" come from the zone versions, not the index
            index.choices(kind)


@lru_cache(maxsize=4)
def get_service(settings: Settings) -> DataService:
    """One service per settings object (the app has one; tests may make more)."""
    return DataService(settings)
