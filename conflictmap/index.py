"""An in-memory index of incidents, built once per store version, that answers filters fast.

Why not SQL per filter change: the dashboard asks for the same frame with a dozen predicates on
every interaction, and numpy masks over ~100k rows take a few milliseconds where a round-trip
through SQLAlchemy plus a DataFrame build takes hundreds. The index is rebuilt only when the
store's version counter moves.

One row per incident (reports of one incident grouped by ``incident_id``): counts on the map and
the timeline are incidents, not reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .models import ZoneVersion
from .query import EventFilter

log = logging.getLogger(__name__)

NO_ZONE = "none"


@dataclass
class MapGroup:
    """Incidents drawn as one marker: same place, type and precision."""

    frame: pd.DataFrame  # columns: latitude, longitude, event_type, geo_precision, count, fatalities, ...


def _zone_controllers(frame: pd.DataFrame, versions: list[ZoneVersion]) -> np.ndarray:
    """Controller of the zone each event's point lay in on the event's own date."""
    from .zones import assign_zones, zones_as_of

    out = np.full(len(frame), NO_ZONE, dtype=object)
    if not versions or frame.empty:
        return out
    has_point = frame["latitude"].notna() & frame["longitude"].notna()
    # Control changes on a handful of dates: assign once per span between changes.
    bounds = sorted({v.valid_from for v in versions} | {v.valid_to for v in versions if v.valid_to})
    days = frame["event_date"].dt.date
    edges = [date.min, *bounds, date.max]
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (has_point & (days >= lo) & (days < hi)).to_numpy()
        if not sel.any():
            continue
        probe = lo if lo != date.min else (days[sel].min())
        active = zones_as_of(versions, probe)
        if not active:
            continue
        ids = assign_zones(active, frame.loc[sel, "longitude"].to_numpy(), frame.loc[sel, "latitude"].to_numpy())
        by_id = {z.zone_id: z.controller for z in active}
        out[sel] = [by_id.get(i, NO_ZONE) if i else NO_ZONE for i in ids]
    return out


def build_incidents(reports: pd.DataFrame, versions: list[ZoneVersion]) -> pd.DataFrame:
    """Collapse report rows into one row per incident, keeping every outlet and all evidence."""
    if reports.empty:
        cols = [
            "incident_id",
            "event_id",
            "event_date",
            "event_type",
            "sub_event_type",
            "actor1",
            "actor2",
            "location",
            "latitude",
            "longitude",
            "geo_precision",
            "fatalities",
            "origin",
            "source",
            "outlets",
            "n_reports",
            "search",
            "zone",
            "confidence",
        ]
        empty = pd.DataFrame({c: [] for c in cols})
        empty["event_date"] = pd.to_datetime(empty["event_date"])
        return empty
    df = reports.copy()
    df["incident_id"] = df["incident_id"].fillna("inc:" + df["event_id"])
    df = df.sort_values(["incident_id", "confidence", "event_id"], ascending=[True, False, True])
    grouped = df.groupby("incident_id", sort=False)
    rep = grouped.head(1).set_index("incident_id")
    agg = grouped.agg(
        n_reports=("event_id", "size"),
        # ACLED: code the most conservative number stated across reports.
        fatalities_min=("fatalities", "min"),
        outlets=("source", lambda s: "|".join(sorted({str(x) for x in s if x}))),
        search=("evidence", lambda s: " ".join(str(x) for x in s if x).lower()),
    )
    out = rep.join(agg)
    out["fatalities"] = out["fatalities_min"]
    out = out.drop(columns=["fatalities_min"]).reset_index()
    out["search"] = (
        out["search"]
        + " "
        + out["location"].fillna("").str.lower()
        + " "
        + out["actor1"].fillna("").str.lower()
        + " "
        + out["actor2"].fillna("").str.lower()
    )
    out["zone"] = _zone_controllers(out, versions)
    out = out.sort_values(["event_date", "incident_id"]).reset_index(drop=True)
    return out


class EventIndex:
    """Incidents plus the zones they fell in, ready for fast filtering."""

    def __init__(self, incidents: pd.DataFrame) -> None:
        self.frame = incidents
        f = incidents
        self._dates = f["event_date"].to_numpy(dtype="datetime64[ns]")
        self._types = f["event_type"].to_numpy(dtype=object)
        self._a1 = f["actor1"].fillna("").to_numpy(dtype=object)
        self._a2 = f["actor2"].fillna("").to_numpy(dtype=object)
        self._fat = f["fatalities"].fillna(0).to_numpy(dtype=float)
        self._prec = f["geo_precision"].to_numpy(dtype=float)
        self._zone = f["zone"].to_numpy(dtype=object)
        self._origin = f["origin"].to_numpy(dtype=object)
        self._outlets = f["outlets"].fillna("").to_numpy(dtype=object)
        self._search = f["search"].fillna("").to_numpy(dtype=object)

    def __len__(self) -> int:
        return len(self.frame)

    def span(self) -> tuple[date, date] | None:
        if self.frame.empty:
            return None
        return self.frame["event_date"].min().date(), self.frame["event_date"].max().date()

    def choices(self, column: str) -> list[str]:
        if column == "actors":
            vals = set(self._a1) | set(self._a2)
        elif column == "outlets":
            vals = {o for s in self._outlets for o in str(s).split("|")}
        else:
            vals = set(self.frame[column].dropna())
        return sorted(str(v) for v in vals if v)

    def mask(self, flt: EventFilter) -> np.ndarray:
        m = np.ones(len(self.frame), dtype=bool)
        if flt.start:
            m &= self._dates >= np.datetime64(flt.start, "ns")
        if flt.end:
            m &= self._dates <= np.datetime64(flt.end, "ns")
        if flt.types:
            m &= np.isin(self._types, list(flt.types))
        if flt.actors:
            wanted = list(flt.actors)
            m &= np.isin(self._a1, wanted) | np.isin(self._a2, wanted)
        if flt.min_fatalities:
            m &= self._fat >= flt.min_fatalities
        if flt.precisions:
            m &= np.isin(self._prec, list(flt.precisions))
        if flt.zones:
            m &= np.isin(self._zone, list(flt.zones))
        if flt.origins:
            m &= np.isin(self._origin, list(flt.origins))
        if flt.outlets:
            wanted_outlets = set(flt.outlets)
            m &= np.fromiter(
                (bool(wanted_outlets & set(str(s).split("|"))) for s in self._outlets), bool, len(self._outlets)
            )
        if flt.text:
            needle = flt.text.lower()
            idx = np.flatnonzero(m)
            hits = np.fromiter((needle in self._search[i] for i in idx), bool, len(idx))
            m[idx[~hits]] = False
        return m

    def select(self, flt: EventFilter) -> pd.DataFrame:
        """Incidents matching the filter, oldest first."""
        return self.frame[self.mask(flt)]


def map_groups(selected: pd.DataFrame) -> pd.DataFrame:
    """Incidents at the same point, of the same type and precision, drawn as one marker.

    Points come from a gazetteer and are never jittered, so incidents at one village would
    otherwise stack invisibly; one marker with a count says what is there.
    """
    located = selected[selected["latitude"].notna() & selected["longitude"].notna()]
    if located.empty:
        return pd.DataFrame(
            columns=[
                "latitude",
                "longitude",
                "event_type",
                "geo_precision",
                "count",
                "fatalities",
                "incident_id",
                "location",
                "first",
                "last",
                "actors",
            ]
        )
    ordered = located.sort_values(["event_date", "incident_id"], ascending=[False, True])
    keys = ["latitude", "longitude", "event_type", "geo_precision"]
    g = ordered.groupby(keys, sort=True)
    out = g.agg(
        count=("incident_id", "size"),
        fatalities=("fatalities", "sum"),
        incident_id=("incident_id", "first"),
        location=("location", "first"),
        first=("event_date", "min"),
        last=("event_date", "max"),
        actor1=("actor1", "first"),
        actor2=("actor2", "first"),
    ).reset_index()
    out["actors"] = [" / ".join(x for x in (a, b) if isinstance(x, str) and x) for a, b in zip(out["actor1"], out["actor2"], strict=True)]
    return out.drop(columns=["actor1", "actor2"])


def timeline_bins(selected: pd.DataFrame, start: date | None, end: date | None) -> tuple[pd.DataFrame, str]:
    """Incidents per bin and type, and fatalities per bin; weeks when the range is long.

    Returns a frame with columns bin, event_type, count, fatalities and the bin unit ("day"/"week").
    """
    if selected.empty:
        return pd.DataFrame(columns=["bin", "event_type", "count", "fatalities"]), "day"
    lo = pd.Timestamp(start) if start else selected["event_date"].min()
    hi = pd.Timestamp(end) if end else selected["event_date"].max()
    days = max(1, (hi - lo).days)
    unit = "day" if days <= 120 else ("week" if days <= 1500 else "month")
    dates = selected["event_date"]
    if unit == "day":
        bins = dates.dt.normalize()
    elif unit == "week":
        bins = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.normalize()
    else:
        bins = dates.dt.to_period("M").dt.start_time
    frame = pd.DataFrame({"bin": bins, "event_type": selected["event_type"], "fat": selected["fatalities"].fillna(0)})
    out = frame.groupby(["bin", "event_type"], sort=True).agg(count=("fat", "size"), fatalities=("fat", "sum")).reset_index()
    return out, unit


def summary(selected: pd.DataFrame) -> dict[str, int]:
    return {
        "incidents": int(len(selected)),
        "reports": int(selected["n_reports"].sum()) if len(selected) else 0,
        "fatalities": int(selected["fatalities"].fillna(0).sum()) if len(selected) else 0,
    }
