"""Which rows of an imported dataset (ACLED, UCDP) are incidents the tool already read from the news.

Imported rows are never merged into extracted incidents: they keep their own origin, id and
incident, so an analyst always knows which dataset said what. This module only *links* them:
``link_to_incidents`` returns (our incident id <-> their row id and origin) pairs, and nothing
here changes an incident id or writes anywhere. The detail panel shows the links ("also in
ACLED: SYR90001"); a wrong link costs a misleading line, so the rule is strict.

An imported row and one of our incidents are the same incident when all of these hold:

* **date**: at most the looser date precision of the two apart (day 1, week 7, month 31 days;
  the same tolerances as ``dedupe`` and the corpus scorer: "overnight" puts a day between them);
* **place**: points within ``max_km`` (3 km) when both name a town (geo_precision 1: villages
  along the Euphrates lie 3-5 km apart and both datasets code per village), within ``NEAR_KM``
  (10 km) when one is "near" a town (precision 2) or both give the same place name (letters
  compared, the Arabic article dropped: two gazetteers may place one village a few km apart).
  A name alone decides only when a point is missing, since villages far apart share names.
  A governorate-level row (precision 3) links only at the same point (1 km, or 10 km with the
  same name), at most one day apart, and not of the unspecific sub-type "other": with no
  town, date and type would be all that is left to match on;
* **type**: ACLED speaks our vocabulary, so the event type must be equal and the sub-types
  compatible (``dedupe.types_agree``). UCDP only knows battles and one-sided violence and does
  not tell a strike or shelling from ground fighting: its "battle" matches our battles and our
  explosions/remote violence, its "violence against civilians" our violence against civilians
  and our explosions/remote violence aimed at civilians;
* **actors**: compatible as in ``dedupe.actors_agree`` (an unknown or unidentified actor agrees
  with anyone; known ones must belong to the same class).

Matching is one to one per origin: a dataset codes one event per place and day, as we do, so a
row links to at most one incident and an incident to at most one row of each dataset. Pairs are
taken best first (same place name, fewer days, fewer km, then ids, so the result does not
depend on input order); a pair whose row or incident is already linked is passed over.

Imported events carry ``event_id`` ``<origin>:<row id>`` (``ingest.acled``, ``ingest.ucdp``); the
row id cited in a link is the part after the colon.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from conflictmap.confidence import is_candidate
from conflictmap.incidents.dedupe import DAYS, actors_agree, norm_name, types_agree
from conflictmap.models import IMPORTED_DATASETS, Event, km_between

IMPORTED_ORIGINS = frozenset({"acled", "ucdp"})
ORIGIN_LABELS = {origin: name for origin, (name, _licence) in IMPORTED_DATASETS.items()}
DEFAULT_MAX_KM = 3.0  # both name a town
NEAR_KM = 10.0  # one is "near" a town (geo_precision 2)
SAME_PLACE_KM = 1.0  # governorate level: the same coded point
_WINDOW = max(DAYS.values())

# UCDP's coarse types -> the event types of ours that the same incident may carry.
UCDP_TYPES: dict[str, frozenset[str]] = {
    "battle": frozenset({"battle", "explosion_remote_violence"}),
    "violence_against_civilians": frozenset({"violence_against_civilians", "explosion_remote_violence"}),
}


@dataclass(frozen=True)
class CrossLink:
    """One of our incidents is also a row of an imported dataset."""

    incident_id: str  # ours, unchanged
    origin: str  # "acled" or "ucdp"
    row_id: str  # their id (ACLED event_id_cnty, UCDP GED id): what an analyst cites
    event_id: str  # the imported row as stored ("acled:SYR90001")
    report_id: str  # which of our reports of the incident matched
    days: int
    km: float | None
    reason: str

    @property
    def label(self) -> str:
        """ "ACLED SYR90001": how the detail panel names the row."""
        return f"{ORIGIN_LABELS.get(self.origin, self.origin)} {self.row_id}"

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for JSON answers and frames."""
        return {
            "incident_id": self.incident_id,
            "origin": self.origin,
            "row_id": self.row_id,
            "event_id": self.event_id,
            "report_id": self.report_id,
            "days": self.days,
            "km": None if self.km is None else round(self.km, 2),
            "reason": self.reason,
        }


def row_id(e: Event) -> str:
    """The imported dataset's own id: the part of ``event_id`` after ``<origin>:``."""
    prefix = f"{e.origin}:"
    return e.event_id[len(prefix) :] if e.event_id.startswith(prefix) else e.event_id


def _point(e: Event) -> tuple[float, float] | None:
    if e.latitude is None or e.longitude is None:
        return None
    lat, lon = float(e.latitude), float(e.longitude)
    return (lat, lon) if math.isfinite(lat) and math.isfinite(lon) else None


def _types_match(theirs: Event, ours: Event) -> bool:
    if theirs.origin == "ucdp":
        allowed = UCDP_TYPES.get(theirs.event_type, frozenset({theirs.event_type}))
        if ours.event_type not in allowed:
            return False
        if theirs.event_type == "violence_against_civilians" and ours.event_type != theirs.event_type:
            return bool(ours.civilian_targeting)
        return True
    return types_agree(theirs, ours)


def match(theirs: Event, ours: Event, max_km: float = DEFAULT_MAX_KM) -> tuple[bool, int, float | None, str]:
    """Whether an imported row and one of our reports are one incident: (ok, days, km, reason)."""
    days = abs((theirs.event_date - ours.event_date).days)
    precision = max(theirs.date_precision, ours.date_precision, key=lambda p: DAYS.get(p, 1))
    tol = DAYS.get(precision, 1)
    if days > tol:
        return False, days, None, "dates too far apart"
    if not _types_match(theirs, ours):
        return False, days, None, "types differ"
    name = norm_name(theirs.location)
    same_name = len(name) >= 3 and name == norm_name(ours.location)
    pa, pb = _point(theirs), _point(ours)
    km = km_between(pa[0], pa[1], pb[0], pb[1]) if pa and pb else None
    vague = theirs.geo_precision >= 3 or ours.geo_precision >= 3
    if vague:
        subs = {(theirs.sub_event_type or "").lower(), (ours.sub_event_type or "").lower()}
        if days > 1 or "other" in subs:
            return False, days, km, "governorate level and not the same day and kind"
        limit = NEAR_KM if same_name else SAME_PLACE_KM
    else:
        limit = max_km if theirs.geo_precision == 1 and ours.geo_precision == 1 else max(max_km, NEAR_KM)
        if same_name:  # two gazetteers may put one village's point a few km apart
            limit = max(limit, NEAR_KM)
    # A name alone decides only without points: villages far apart share names (al-Salihiyah).
    place_ok = km <= limit if km is not None else same_name
    if not place_ok:
        return False, days, km, "places differ"
    ok, actors_why = actors_agree(theirs, ours)
    if not ok:
        return False, days, km, actors_why
    when = "same day" if days == 0 else f"{days} day{'s' if days > 1 else ''} apart"
    where = f"same place name ({ours.location})" if same_name else f"{km:.1f} km apart"
    return True, days, km, f"{when} (±{tol}, {precision}), {where}, {ours.event_type}, {actors_why}"


def reports_of(frame: pd.DataFrame) -> list[Event]:
    """Our reports (or incidents) from a frame: the store's ``events_frame`` or the read index's
    incidents. Needs ``incident_id`` or ``event_id``; missing columns take the Event defaults."""
    out = []
    known = set(Event.__dataclass_fields__)
    for rec in frame.to_dict("records"):
        d: dict[str, Any] = {k: (None if _missing(v) else v) for k, v in rec.items() if k in known}
        when = d.get("event_date")
        if isinstance(when, datetime):  # pandas Timestamps too
            d["event_date"] = when.date()
        d["event_id"] = d.get("event_id") or d.get("incident_id")
        d["article_id"] = d.get("article_id") or d["event_id"]
        for key, default in (("event_type", ""), ("sub_event_type", ""), ("geo_precision", 3)):
            if d.get(key) is None:
                d[key] = default
        d["geo_precision"] = int(d["geo_precision"])
        # Absent values take the Event's defaults rather than None.
        for key in [k for k, v in d.items() if v is None and k not in ("actor1", "actor2", "incident_id")]:
            del d[key]
        out.append(Event.from_dict(d))
    return out


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def link_to_incidents(
    imported: Iterable[Event],
    ours: pd.DataFrame | Iterable[Event],
    *,
    max_km: float = DEFAULT_MAX_KM,
) -> list[CrossLink]:
    """Links between imported rows and our incidents (see the module docstring for the rule).

    ``imported``: events of origin "acled"/"ucdp" (``read_acled(...).events`` or the store's rows
    of those origins). ``ours``: our reports, each with its ``incident_id`` (a list of Events or
    a frame such as ``EventStore.events_frame()``); rows of an imported origin in it are ignored,
    so the whole store can be passed, and so are low-confidence candidates
    (``confidence.is_candidate``). Returns links sorted by incident id, origin and row id."""
    theirs = [e for e in imported if e.origin in IMPORTED_ORIGINS]
    mine = reports_of(ours) if isinstance(ours, pd.DataFrame) else list(ours)
    # A low-confidence candidate is shown only on request and never merged (``dedupe``): it is
    # not an incident to cite a dataset beside, and it must not take a row from one that is.
    mine = [e for e in mine if e.origin not in IMPORTED_ORIGINS and not is_candidate(e.confidence)]
    if not theirs or not mine:
        return []
    mine.sort(key=lambda e: (e.event_date, e.event_id))
    lats = [abs(p[0]) for e in (*theirs, *mine) if (p := _point(e))]
    index = _Index(mine, max(max_km, NEAR_KM), max(lats, default=0.0))
    candidates = []
    for t in theirs:
        for j in index.near(t):
            ok, days, km, why = match(t, mine[j], max_km)
            if ok:
                same = norm_name(t.location) == norm_name(mine[j].location)
                incident = mine[j].incident_id or f"inc:{mine[j].event_id}"
                candidates.append(
                    (not same, days, km or 0.0, t.event_id, mine[j].event_id, t, j, incident, why)
                )
    candidates.sort(key=lambda c: c[:5])
    taken_rows: set[str] = set()
    taken_incidents: set[tuple[str, str]] = set()
    links = []
    for *_, t, j, incident, why in candidates:
        if t.event_id in taken_rows or (incident, t.origin) in taken_incidents:
            continue
        taken_rows.add(t.event_id)
        taken_incidents.add((incident, t.origin))
        days = abs((t.event_date - mine[j].event_date).days)
        pa, pb = _point(t), _point(mine[j])
        km = km_between(pa[0], pa[1], pb[0], pb[1]) if pa and pb else None
        links.append(CrossLink(incident, t.origin, row_id(t), t.event_id, mine[j].event_id, days, km, why))
    return sorted(links, key=lambda lk: (lk.incident_id, lk.origin, lk.row_id))


def links_by_incident(links: Sequence[CrossLink]) -> dict[str, list[CrossLink]]:
    """incident id -> its links, for the detail panel's "also in ACLED / UCDP" line."""
    out: dict[str, list[CrossLink]] = defaultdict(list)
    for lk in links:
        out[lk.incident_id].append(lk)
    return dict(out)


def links_frame(links: Sequence[CrossLink]) -> pd.DataFrame:
    """The links as a table (one row each), e.g. for an export or a cached lookup."""
    columns = ["incident_id", "origin", "row_id", "event_id", "report_id", "days", "km", "reason"]
    return pd.DataFrame([lk.to_dict() for lk in links], columns=columns)


class _Index:
    """Our reports by grid cell (at least ``cell_km`` wide) and by place name, each list in date
    order, so a row is compared only with reports a month and a cell away, not with all."""

    def __init__(self, reports: list[Event], cell_km: float, max_lat: float) -> None:
        self.cell_lat = cell_km / 111.0
        self.cell_lon = self.cell_lat / math.cos(math.radians(min(max_lat, 85.0)))
        self.cells: dict[tuple[Any, ...], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for i, e in enumerate(reports):  # reports come sorted by date
            day = e.event_date.toordinal()
            for key in self._keys(e):
                idx, days = self.cells[key]
                idx.append(i)
                days.append(day)

    def _keys(self, e: Event) -> list[tuple[Any, ...]]:
        keys: list[tuple[Any, ...]] = []
        p = _point(e)
        if p:
            keys.append(("p", math.floor(p[0] / self.cell_lat), math.floor(p[1] / self.cell_lon)))
        if name := norm_name(e.location):
            keys.append(("n", name))
        return keys

    def near(self, e: Event) -> list[int]:
        """Indexes of reports that might match ``e``: same place name, or a neighbouring cell,
        and at most the loosest date tolerance apart."""
        day = e.event_date.toordinal()
        keys = []
        for key in self._keys(e):
            if key[0] == "p":
                keys += [("p", key[1] + dy, key[2] + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
            else:
                keys.append(key)
        found: set[int] = set()
        for key in keys:
            if key in self.cells:
                idx, days = self.cells[key]
                found.update(idx[bisect_left(days, day - _WINDOW) : bisect_right(days, day + _WINDOW)])
        return sorted(found)
