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
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from conflictmap.confidence import CONFIDENCE_THRESHOLD
from conflictmap.models import EVENT_TYPES, ZoneVersion
from conflictmap.read.query import EventFilter
from conflictmap.read.words import WORDS_OF, WordIndex

log = logging.getLogger(__name__)

NO_ZONE = "none"
UNKNOWN_ZONE = "unknown"  # only the governorate or a region is known: no zone can be claimed
OUTLET_SEP = "\x1f"  # joins an incident's outlets; a character no outlet name contains


def split_outlets(value: object) -> list[str]:
    """The outlets of an incident, from the joined ``outlets`` column."""
    return [o for o in str(value or "").split(OUTLET_SEP) if o]


_TYPE_CODE = {t: i for i, t in enumerate(EVENT_TYPES)}


def _zone_controllers(frame: pd.DataFrame, versions: list[ZoneVersion]) -> np.ndarray:
    """Controller of the zone each event's point lay in on the event's own date."""
    from conflictmap.geo.zones import assign_zones, zones_as_of

    out = np.full(len(frame), NO_ZONE, dtype=object)
    if not versions or frame.empty:
        return out
    has_point = frame["latitude"].notna() & frame["longitude"].notna()
    # A governorate-level report sits on the capital's point; the zone under it says nothing.
    out[(frame["geo_precision"] >= 3).to_numpy()] = UNKNOWN_ZONE
    has_point &= frame["geo_precision"] < 3
    # Control changes on a handful of dates: assign once per span between changes.
    # valid_to is the last day a version holds, so the next span starts the day after it.
    bounds = sorted(
        {v.valid_from for v in versions} | {v.valid_to + timedelta(days=1) for v in versions if v.valid_to}
    )
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
        ids = assign_zones(
            active, frame.loc[sel, "longitude"].to_numpy(), frame.loc[sel, "latitude"].to_numpy()
        )
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
            "origins",
            "n_reports",
            "search",
            "zone",
            "confidence",
            "candidate",
            "review_status",
            "review_version",
            "reviewed",
        ]
        empty = pd.DataFrame({c: [] for c in cols})
        empty["event_date"] = pd.to_datetime(empty["event_date"])
        empty["candidate"] = empty["candidate"].astype(bool)
        empty["reviewed"] = empty["reviewed"].astype(bool)
        return empty
    df = reports.copy()
    df["incident_id"] = df["incident_id"].fillna("inc:" + df["event_id"])
    # The report that speaks for the incident: most confident, then the most precise date.
    df["_date_rank"] = df["date_precision"].map({"day": 0, "week": 1, "month": 2}).fillna(3)
    df = df.sort_values(
        ["incident_id", "confidence", "_date_rank", "event_id"], ascending=[True, False, True, True]
    )
    df = df.drop(columns=["_date_rank"])
    out = df.drop_duplicates("incident_id", keep="first").set_index("incident_id")
    sizes = df["incident_id"].value_counts()
    out["n_reports"] = sizes.reindex(out.index).to_numpy()
    out["outlets"] = out["source"].fillna("")
    out["origins"] = out["origin"].fillna("")
    out["search"] = (out["evidence"].fillna("") + " " + out["notes"].fillna("")).str.lower()
    # Only incidents told by several reports need aggregating; most have one report.
    multi = df[df["incident_id"].isin(sizes.index[sizes > 1])]
    if not multi.empty:
        # ACLED: code the most conservative number stated across reports.
        least = multi.groupby("incident_id", sort=False)["fatalities"].min()
        out.loc[least.index, "fatalities"] = least
        # One pass over the reports in plain lists: a pandas apply per incident was two thirds
        # of building the index (5 s of 7.5 at 100k events, 6,132 incidents of several reports).
        merged: dict[str, tuple[set[str], set[str], list[str], list[str]]] = {}
        for iid, source, origin, evidence, notes in zip(
            multi["incident_id"].tolist(),
            multi["source"].tolist(),
            multi["origin"].tolist(),
            multi["evidence"].tolist(),
            multi["notes"].tolist(),
            strict=True,
        ):
            outlets, origins, sentences, remarks = merged.setdefault(iid, (set(), set(), [], []))
            if isinstance(source, str) and source:
                outlets.add(source)
            # An incident both read from an article and coded by hand belongs to both sources.
            if isinstance(origin, str) and origin:
                origins.add(origin)
            if isinstance(evidence, str) and evidence:
                sentences.append(evidence)
            if isinstance(notes, str) and notes:
                remarks.append(notes)
        ids = list(merged)
        out.loc[ids, "outlets"] = [OUTLET_SEP.join(sorted(m[0])) for m in merged.values()]
        out.loc[ids, "origins"] = [OUTLET_SEP.join(sorted(m[1])) for m in merged.values()]
        # A hand-coded fact usually speaks for the incident but carries no sentence: the
        # incident's evidence is then the first sentence any of its reports gave.
        out.loc[ids, "evidence"] = [m[2][0] if m[2] else "" for m in merged.values()]
        out.loc[ids, "search"] = [" ".join(m[2] + m[3]).lower() for m in merged.values()]
    out = out.reset_index()
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
    # The incident speaks through its most confident report: below the threshold it is only a
    # low-confidence candidate (conflictmap.confidence), hidden unless the view asks for them.
    if "review_status" not in out:  # a frame from before reviews (tests, old exports)
        out["review_status"], out["review_version"] = "unreviewed", 0
    out["review_status"] = out["review_status"].fillna("unreviewed")
    out["review_version"] = out["review_version"].fillna(0).astype(int)
    # An analyst who confirmed or corrected a reading has made it more than a candidate.
    out["candidate"] = (out["confidence"].astype(float) < CONFIDENCE_THRESHOLD) & ~out["review_status"].isin(
        ["confirmed", "corrected"]
    )
    out["reviewed"] = out["review_status"].isin(["confirmed", "corrected"])
    out = out.sort_values(["event_date", "incident_id"]).reset_index(drop=True)
    out["marker_key"] = marker_keys(out)
    out["type_code"] = type_codes(out["event_type"])
    return out


# What a column an index frame lacks means (frames built before candidates or reviews existed).
ABSENT_MEANS: dict[str, object] = {"candidate": False, "review_status": "unreviewed"}


class EventIndex:
    """Incidents plus the zones they fell in, ready for fast filtering.

    Filters read columns as numpy arrays (``column``, built once per index) and joined-list
    columns through ``any_of``, which tests each distinct list once rather than each row: the
    declarations in ``EventFilter`` say which column each filter reads."""

    def __init__(self, incidents: pd.DataFrame, words: WordIndex | None = None) -> None:
        self.frame = incidents
        # The word index of the search column (read.words), when the table came from a file.
        self.words = words if words is not None and words.n_rows == len(incidents) else None
        self._columns: dict[str, np.ndarray] = {}
        self._lists: dict[str, tuple[np.ndarray, list[set[str]]]] = {}
        self._positions: dict[str, int | None] = {}  # the ids looked up lately
        self._choices: dict[str, list[str]] = {}
        # (codes, lookup) of each categorical column asked for (None: not one), made once per
        # index: every filter change tests a few of them
        self._coded_columns: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}

    def column(self, name: str) -> np.ndarray:
        """``name`` as an array in frame order: dates as datetime64, numbers as float with an
        unknown count as 0, text with blanks as ""; a column the frame lacks as ``ABSENT_MEANS``.

        A repeated text of a mapped index (a categorical, see ``read.columnar``) is better asked
        through ``isin``, ``any_of`` or ``choices``, which work on its codes: as an array here it
        costs eight bytes a row in each worker."""
        if name not in self._columns:
            f = self.frame
            if name not in f:
                if name not in ABSENT_MEANS:
                    raise KeyError(f"the incident index has no column {name!r}")
                arr = np.full(len(f), ABSENT_MEANS[name], dtype=object if name == "review_status" else bool)
            elif name == "event_date":
                arr = f[name].to_numpy(dtype="datetime64[ns]")
            elif name == "candidate":
                arr = f[name].to_numpy(dtype=bool)
            elif (coded := self._coded(name)) is not None:
                codes, lookup = coded
                arr = lookup[codes]
            elif pd.api.types.is_numeric_dtype(f[name]):
                arr = f[name].fillna(0).to_numpy(dtype=float)
            else:
                arr = f[name].fillna("").to_numpy(dtype=object)
            self._columns[name] = arr
        return self._columns[name]

    def _coded(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A categorical column as (codes, lookup): row ``i`` holds ``lookup[codes[i]]``, a blank
        row's code being -1, the lookup's last item (""). None for any other column."""
        if name not in self._coded_columns:
            series = self.frame[name] if name in self.frame else None
            if series is None or not isinstance(series.dtype, pd.CategoricalDtype):
                self._coded_columns[name] = None
            else:
                cat = series.array
                lookup = np.append(np.asarray(cat.categories, dtype=object), "")
                self._coded_columns[name] = (np.asarray(cat.codes), lookup)
        return self._coded_columns[name]

    def isin(self, name: str, values: Sequence[Any]) -> np.ndarray:
        """Rows whose column ``name`` equals any of ``values`` (a blank equals ""). A categorical
        column is tested once per distinct value and read through its codes, never widened to one
        object per row."""
        coded = self._coded(name)
        if coded is None:
            return np.isin(self.column(name), list(values))
        codes, lookup = coded
        return np.isin(lookup, list(values))[codes]

    def any_of(self, name: str, values: Sequence[str]) -> np.ndarray:
        """Rows whose joined list column (``OUTLET_SEP`` between items) holds any of ``values``."""
        if name not in self._lists:
            coded = self._coded(name)
            codes, uniques = coded if coded is not None else pd.factorize(self.column(name))
            self._lists[name] = (codes, [set(split_outlets(u)) for u in uniques])
        codes, items = self._lists[name]
        wanted = set(values)
        hit_unique = np.fromiter((bool(wanted & s) for s in items), bool, len(items))
        return hit_unique[codes] if len(items) else np.zeros(len(codes), dtype=bool)

    def contains(self, name: str, needle: str, within: np.ndarray) -> np.ndarray:
        """Rows of ``within`` whose text column ``name`` holds ``needle`` (case as given).

        The search column is looked up in its word index when the table has one (``read.words``):
        only a needle of several words, or one too short to narrow anything, reads text.

        The test runs in Arrow's string kernels on the column as stored (mapped in place, see
        ``read.columnar``), not as a Python loop over one string object per row: over a million
        incidents the loop took most of a second and every row's text had to be a Python object
        in each worker. When other filters kept few rows, only those are tested."""
        series = self.frame[name]
        hit = np.zeros(len(series), dtype=bool)
        if self.words is not None and name == WORDS_OF:
            found = self.words.candidates(needle)
            if found is not None:
                rows, certain = found
                hit[rows] = True
                hit &= within
                if certain:
                    return hit
                within, hit = hit, np.zeros(len(series), dtype=bool)  # scan only the rows found
        rows = np.flatnonzero(within)
        if not len(rows):
            return hit
        if len(rows) * 4 < len(series):
            part = series.iloc[rows].str.contains(needle, regex=False, na=False)
            hit[rows] = part.to_numpy(dtype=bool)
            return hit
        return series.str.contains(needle, regex=False, na=False).to_numpy(dtype=bool) & within

    def rows_of(self, incident_id: str | None) -> pd.DataFrame:
        """The incident's row (an empty frame when it is not in the index). The detail, review
        and map panels each look the selected incident up on every URL change: the positions
        of the ids asked for lately are remembered, and a new id is found by one comparison of
        the stored id column (in C)."""
        if not incident_id:
            return self.frame.iloc[[]]
        iid = str(incident_id)
        if iid not in self._positions:
            if len(self._positions) >= 256:  # a few selections per URL change; keep it small
                self._positions.clear()
            hit = np.flatnonzero(self._ids() == iid)
            self._positions[iid] = int(hit[0]) if len(hit) else None
        pos = self._positions[iid]
        return self.frame.iloc[[] if pos is None else [pos]]

    def _ids(self) -> np.ndarray | pd.api.extensions.ExtensionArray:
        """The id column as it is stored: mapped Arrow strings compare in C, a few milliseconds
        over a million rows, where a dict of every id cost a worker over 100 MB."""
        return self.frame["incident_id"].array

    def __len__(self) -> int:
        return len(self.frame)

    def span(self) -> tuple[date, date] | None:
        """First and last incident day in the index (candidates included), or None when it is empty."""
        if self.frame.empty:
            return None
        return self.frame["event_date"].min().date(), self.frame["event_date"].max().date()

    def choices(self, column: str) -> list[str]:
        """The distinct values a filter control offers for ``column``, sorted as text, blanks dropped.

        "actors" joins both actor columns and "outlets" splits the joined outlet lists. Worked out
        once per index (an index is one store version): every page load asks for each list, and
        over a million incidents one list took seconds."""
        if column not in self._choices:
            self._choices[column] = self._distinct(column)
        return list(self._choices[column])

    def _distinct(self, column: str) -> list[str]:
        if column == "actors":
            vals = set(self._used("actor1")) | set(self._used("actor2"))
        elif column == "outlets":
            vals = {o for s in self._used("outlets") for o in split_outlets(s)}
        else:
            vals = set(pd.unique(self.frame[column].dropna()))
        return sorted(str(v) for v in vals if v)

    def _used(self, name: str) -> np.ndarray:
        """The distinct values rows of ``name`` hold (a categorical's categories may include
        values no row holds any more, after a derived table dropped them)."""
        coded = self._coded(name)
        if coded is None:
            return pd.unique(self.column(name))
        codes, lookup = coded
        seen = np.zeros(len(lookup), dtype=bool)
        seen[codes] = True
        return lookup[seen]

    def mask(self, flt: EventFilter) -> np.ndarray:
        """Which incidents of the index the filter keeps, as a boolean array in frame order
        (each filter's declaration in ``EventFilter`` says how it matches)."""
        return flt.mask(self)

    def select(self, flt: EventFilter) -> pd.DataFrame:
        """Incidents matching the filter, oldest first."""
        return self.frame[self.mask(flt)]


# The columns map_groups, timeline_bins and summary read: a view copies only these.
VIEW_COLUMNS = (
    "latitude",
    "longitude",
    "event_type",
    "geo_precision",
    "marker_key",
    "type_code",
    "event_date",
    "fatalities",
    "incident_id",
    "location",
    "actor1",
    "actor2",
    "candidate",
    "reviewed",
    "n_reports",
)


def map_groups(selected: pd.DataFrame) -> pd.DataFrame:
    """Incidents at the same point, of the same type and precision, drawn as one marker.

    Points come from a gazetteer and are never jittered, so incidents at one village would
    otherwise stack invisibly; one marker with a count says what is there. Groups use the
    integer ``marker_key`` computed once per index build, so a filter change costs no string
    factorising over the whole selection.
    """
    cols = [
        "latitude",
        "longitude",
        "event_type",
        "geo_precision",
        "count",
        "fatalities",
        "fatalities_stated",
        "incident_id",
        "location",
        "first",
        "last",
        "actors",
        "candidate",
        "reviewed",
    ]
    ok = selected["latitude"].notna().to_numpy() & selected["longitude"].notna().to_numpy()
    if not ok.any():
        return pd.DataFrame(columns=cols)
    # Rows are addressed by position, never copied as a frame: filtering every column of a
    # million incidents to drop the unplaced ones was a third of a filter change.
    located = selected if ok.all() else selected.iloc[np.flatnonzero(ok)]
    if "marker_key" not in located.columns:
        located = located.assign(marker_key=marker_keys(located))
    # Newest first, so the first row of each group is the most recent incident (the one a click opens).
    # Compared as integers in the column's own unit (a mapped table keeps seconds): no
    # conversion of a million dates.
    when = _datetimes(located["event_date"].to_numpy())
    dates = when.view("int64")
    order = newest_first(dates)
    keys = located["marker_key"].to_numpy()[order]
    uniq, first_pos, inverse, counts = _groups(keys)
    raw_fat = located["fatalities"].to_numpy(dtype=float)[order]
    unstated = np.isnan(raw_fat)
    fat = np.where(unstated, 0.0, raw_fat)
    # How many incidents under the marker state a toll: "not stated" must never print as 0.
    stated = np.bincount(inverse[~unstated], minlength=len(uniq))
    d = dates[order]
    first_date = np.full(len(uniq), np.iinfo(np.int64).max)
    last_date = np.full(len(uniq), np.iinfo(np.int64).min)
    np.minimum.at(first_date, inverse, d)
    np.maximum.at(last_date, inverse, d)
    # Strings are taken by position once, never grouped: pandas string group-bys dominate otherwise.
    head = located.iloc[order[first_pos]]
    out = pd.DataFrame(
        {
            "latitude": head["latitude"].to_numpy(),
            "longitude": head["longitude"].to_numpy(),
            "event_type": head["event_type"].to_numpy(dtype=object),
            "geo_precision": head["geo_precision"].to_numpy(),
            "count": counts,
            "fatalities": np.bincount(inverse, weights=fat, minlength=len(uniq)),
            "fatalities_stated": stated.astype(int),
            "incident_id": head["incident_id"].to_numpy(dtype=object),
            "location": head["location"].to_numpy(dtype=object),
            "first": pd.to_datetime(first_date.view(when.dtype)),
            "last": pd.to_datetime(last_date.view(when.dtype)),
            "candidate": _flag(head, "candidate"),
            "reviewed": _flag(head, "reviewed"),
        }
    )
    out["actors"] = [
        " / ".join(x for x in (a, b) if isinstance(x, str) and x)
        for a, b in zip(head["actor1"], head["actor2"], strict=True)
    ]
    return out


def newest_first(dates: np.ndarray) -> np.ndarray:
    """Positions ordered newest date first, ties in position order (a stable sort on -date).

    The index keeps incidents oldest first, so a view's dates come sorted: the order is then
    the runs of equal dates taken last run first, made without sorting (sorting 660k dates was
    a third of a filter change over a million incidents). Unsorted dates are sorted."""
    n = len(dates)
    if n < 2 or not (dates[1:] >= dates[:-1]).all():
        return np.argsort(-dates, kind="stable")
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]])
    lengths = np.diff(np.r_[starts, n])
    rev_starts, rev_lengths = starts[::-1], lengths[::-1]
    # Output position p of run k (reversed) holds rev_starts[k] + (p - where run k begins).
    begins = np.r_[0, np.cumsum(rev_lengths)[:-1]]
    return np.repeat(rev_starts - begins, rev_lengths) + np.arange(n)


def _groups(keys: np.ndarray, first_of: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(keys, return_index, return_inverse, return_counts)`` for small non-negative
    integer keys (marker keys number a table's markers from 0), by counting instead of sorting.
    ``first_of`` off skips the first positions (the timeline does not use them; empty then)."""
    if not len(keys) or keys.min() < 0:
        return np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    size = int(keys.max()) + 1
    if size > 4 * len(keys) + 1024:  # keys spread far wider than the rows: sorting is cheaper
        return np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    counted = np.bincount(keys, minlength=size)
    uniq = np.flatnonzero(counted)
    first = np.full(size, len(keys), dtype=np.int64)
    if first_of:
        np.minimum.at(first, keys, np.arange(len(keys), dtype=np.int64))
    lookup = np.full(size, -1, dtype=np.int64)
    lookup[uniq] = np.arange(len(uniq))
    return uniq, first[uniq] if first_of else first[:0], lookup[keys], counted[uniq]


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A boolean column, all False when the frame predates it."""
    return frame[name].to_numpy(dtype=bool) if name in frame else np.zeros(len(frame), dtype=bool)


def main_events(selected: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` incidents a briefing lists as the period's main events: most fatalities first
    (a toll no report gave ranks as zero), then most reports, then the
    latest. A rule of what matters in a period, so it lives with the index, not the web layer."""
    if selected.empty:
        return selected
    ranked = selected.assign(_fat_sort=selected["fatalities"].fillna(0)).sort_values(
        ["_fat_sort", "n_reports", "event_date"], ascending=[False, False, False], kind="stable"
    )
    return ranked.head(n).drop(columns="_fat_sort")


# What makes two incidents one map marker (``marker_keys``).
MARKER_COLUMNS = ("latitude", "longitude", "event_type", "geo_precision", "candidate", "reviewed")


def marker_keys(frame: pd.DataFrame) -> np.ndarray:
    """One integer per (point, type, precision, candidate or not, reviewed or not): the identity
    of a map marker. A low-confidence candidate never shares a marker with reported incidents,
    nor an analyst's reviewed incident with the machine's unreviewed ones: each is drawn apart."""
    keys = [*MARKER_COLUMNS[:4], *(k for k in MARKER_COLUMNS[4:] if k in frame)]
    # Numbered in the order of the values themselves (a categorical would sort by its category
    # order), so a table derived from a mapped one numbers its markers as a full build does.
    part = frame[keys].astype({k: object for k in keys if isinstance(frame[k].dtype, pd.CategoricalDtype)})
    return part.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()


def type_codes(types: pd.Series) -> np.ndarray:
    """Each row's event type as its position in ``EVENT_TYPES`` (any other value, or none, as
    one more code): each distinct type is looked up once, not each row."""
    per_row, distinct = pd.factorize(types.to_numpy(dtype=object), use_na_sentinel=False)
    lookup = np.array([_TYPE_CODE.get(t, len(EVENT_TYPES)) for t in distinct], dtype=np.int64)
    return lookup[per_row] if len(distinct) else np.zeros(len(per_row), dtype=np.int64)


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
    whole = day_numbers(selected["event_date"].to_numpy())
    # Group on integers (bin day x type code): pandas' string group-by was most of the cost.
    # Integer type codes made once per index build: looking each row's type up on every filter
    # change was half its time at 300k incidents.
    if "type_code" in selected.columns:
        codes = selected["type_code"].to_numpy(dtype=np.int64)
    else:
        codes = type_codes(selected["event_type"])
    tolls = selected["fatalities"].to_numpy(dtype=float)
    dated = whole != NO_DAY
    if not dated.all():  # a row without a date has no bin (the store never keeps one)
        whole, codes, tolls = whole[dated], codes[dated], tolls[dated]
    keys = bin_days(whole, unit) * 16 + codes
    uniq, _, inverse, counts = _groups(keys, first_of=False)
    fat = np.bincount(inverse, weights=np.where(np.isnan(tolls), 0.0, tolls), minlength=len(uniq))
    out = pd.DataFrame(
        {
            "bin": pd.to_datetime((uniq // 16).astype("datetime64[D]")),
            "event_type": [EVENT_TYPES[c] if c < len(EVENT_TYPES) else "other" for c in uniq % 16],
            "count": counts,
            "fatalities": fat,
        }
    )
    return out, unit


# Steps of each datetime unit in a day, for day numbers made by integer division.
_PER_DAY = {
    "D": 1,
    "h": 24,
    "m": 1440,
    "s": 86_400,
    "ms": 86_400_000,
    "us": 86_400_000_000,
    "ns": 86_400_000_000_000,
}


# A missing date (NaT) among day numbers.
NO_DAY = np.iinfo(np.int64).min


def day_numbers(when: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of datetimes, by integer division in their own unit (a mapped table
    keeps seconds): converting a million of them to days took ten times as long. A missing
    date gives ``NO_DAY``."""
    when = _datetimes(when)
    unit, count = np.datetime_data(when.dtype)
    per_day = _PER_DAY.get(unit)
    if per_day is None or count != 1:
        return when.astype("datetime64[D]").astype(np.int64)  # NaT stays NO_DAY
    raw = when.view("int64")
    return np.where(raw == NO_DAY, NO_DAY, raw // per_day)


def bin_days(day_no: np.ndarray, unit: str) -> np.ndarray:
    """The first day of each day's bin ("day", "week" from Monday, or "month"), all as days
    since 1970-01-01. Plain numpy on day numbers: pandas' periods took a third of a filter
    change over a million incidents."""
    if unit == "day" or not len(day_no):
        return day_no
    if unit == "week":
        return day_no - (day_no + 3) % 7  # 1970-01-01 was a Thursday: Monday is 0
    # Months from a table of the days spanned (a few thousand), looked up per row: numpy's
    # conversion to months is a calendar computation per element, ten times a lookup's cost.
    lo, hi = int(day_no.min()), int(day_no.max())
    if hi - lo > 4 * len(day_no) + 100_000:  # dates centuries apart: convert each row
        return _month_starts(day_no)
    return _month_starts(np.arange(lo, hi + 1, dtype=np.int64))[day_no - lo]


def _month_starts(day_no: np.ndarray) -> np.ndarray:
    """The first day of each day's month, both as days since 1970-01-01."""
    return day_no.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _datetimes(values: np.ndarray) -> np.ndarray:
    """Dates as numpy datetimes in their own unit (a mapped table keeps seconds, an in-memory
    build microseconds); anything else converted to nanoseconds."""
    return values if values.dtype.kind == "M" else values.astype("datetime64[ns]")


def summary(selected: pd.DataFrame) -> dict[str, int]:
    """The counts of a selection shown above the map: incidents, reports, and fatalities with an
    unknown toll counted as 0."""
    return {
        "incidents": int(len(selected)),
        "reports": int(selected["n_reports"].sum()) if len(selected) else 0,
        "fatalities": int(selected["fatalities"].fillna(0).sum()) if len(selected) else 0,
    }
