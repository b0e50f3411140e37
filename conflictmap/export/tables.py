"""Data export of a view: CSV and GeoJSON with ACLED's column names, order and labels, plus provenance.

Why ACLED's layout: analysts already have pipelines and pivot tables that read ACLED exports,
so a file from here drops into them. Columns ACLED has come first, in ACLED's order and with
ACLED's labels ("Battles", "Explosions/Remote violence", time_precision 1/2/3); the columns that
say where each row came from (incident id, number of reports, outlets, evidence, confidence,
origin, the zone it fell in, the link) follow. Rows are incidents, exactly those the dashboard
counts for the same query string. No Dash, no Plotly here.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from conflictmap.models import IMPORTED_DATASETS
from conflictmap.params import ParamError, bounded_number
from conflictmap.read.index import split_outlets

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
)
PROVENANCE_COLUMNS: tuple[str, ...] = (
    "fatalities_stated",
    "incident_id",
    "n_reports",
    "outlets",
    "evidence",
    "confidence",
    "origin",
    "zone_controller",
    "url",
    "extractor_version",
    "review_status",  # unreviewed (the machine's reading), confirmed, corrected or rejected
    "reviewed_by",
)
COLUMNS: tuple[str, ...] = ACLED_COLUMNS + PROVENANCE_COLUMNS

ACLED_EVENT_TYPES: dict[str, str] = {
    "battle": "Battles",
    "explosion_remote_violence": "Explosions/Remote violence",
    "violence_against_civilians": "Violence against civilians",
    "protest": "Protests",
    "riot": "Riots",
    "strategic_development": "Strategic developments",
}
# ACLED capitalises only the first word, except acronyms.
_SUB_SPECIAL = {
    "remote explosive/landmine/ied": "Remote explosive/landmine/IED",
    "arrest": "Arrests",  # the schema says "arrest" (EVENTS.md); ACLED's column says "Arrests"
}
TIME_PRECISION = {"day": 1, "week": 2, "month": 3}
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 50_000
# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """A request the export cannot answer (bad paging); the message names the parameter."""


def acled_sub_event_type(sub: str | None) -> str:
    """A sub-type in ACLED's spelling (first letter capitalised, "IED", "Arrests"); empty for none."""
    if not sub:
        return ""
    s = str(sub).strip()
    return _SUB_SPECIAL.get(s.lower(), s[:1].upper() + s[1:])


def disorder_type(event_type: str, sub_event_type: str | None) -> str:
    """ACLED's disorder type from type and sub-type (ACLED codebook 2023)."""
    sub = (sub_event_type or "").lower()
    if event_type == "strategic_development":
        return "Strategic developments"
    if event_type == "protest":
        return "Political violence; Demonstrations" if sub.startswith("excessive force") else "Demonstrations"
    if event_type == "riot":
        return "Political violence" if sub == "mob violence" else "Demonstrations"
    return "Political violence"


@dataclass(frozen=True)
class Page:
    """Which slice of the rows a request wants; bounded so one request cannot dump a huge store."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @classmethod
    def parse(cls, limit: str | None, offset: str | None) -> Page:
        """Paging from the request's ``limit`` and ``offset`` strings; empty means the default.

        Raises ``ExportError`` naming the parameter for a value that is not a whole number or is
        outside 1..``MAX_LIMIT`` (limit) or 0..10^9 (offset). A limit of 0 is refused: its
        ``next_offset`` would never move, and a client following it would loop for ever."""

        def number(name: str, value: str | None, default: int, hi: int, lo: int = 0) -> int:
            try:
                n = bounded_number(name, value, lo, hi, whole=True)
            except ParamError as exc:
                raise ExportError(str(exc)) from exc
            return default if n is None else int(n)

        return cls(number("limit", limit, DEFAULT_LIMIT, MAX_LIMIT, lo=1), number("offset", offset, 0, 10**9))


def _clean(value: Any) -> Any:
    """NaN/NaT to None; numpy scalars to Python; timestamps to dates."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def export_rows(selected: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per incident, keys in ``COLUMNS`` order (ACLED first, provenance after)."""
    rows: list[dict[str, Any]] = []
    for r in selected.to_dict("records"):
        when = r.get("event_date")
        day = when.date() if hasattr(when, "date") else when
        etype = str(r.get("event_type") or "")
        sub = r.get("sub_event_type")
        outlets = [o for o in split_outlets(r.get("outlets")) if o]
        fat = _clean(r.get("fatalities"))
        prec = _clean(r.get("geo_precision"))
        rows.append(
            {
                "event_id_cnty": r.get("event_id"),
                "event_date": day.isoformat() if day else None,
                "year": day.year if day else None,
                "time_precision": TIME_PRECISION.get(str(r.get("date_precision") or "day"), 1),
                "disorder_type": disorder_type(etype, sub),
                "event_type": ACLED_EVENT_TYPES.get(etype, etype),
                "sub_event_type": acled_sub_event_type(sub),
                "actor1": _clean(r.get("actor1")),
                "actor2": _clean(r.get("actor2")),
                "civilian_targeting": "Civilian targeting" if _clean(r.get("civilian_targeting")) else "",
                "iso": 760,
                "region": "Middle East",
                "country": "Syria",
                "admin1": _clean(r.get("admin1")),
                "location": _clean(r.get("location")),
                "latitude": _clean(r.get("latitude")),
                "longitude": _clean(r.get("longitude")),
                "geo_precision": int(prec) if prec is not None else None,
                "source": "; ".join(outlets) or _clean(r.get("source")),
                "notes": _clean(r.get("notes")) or "",
                # ACLED's column is a number, 0 when no report gives a toll; whether one did is
                # kept beside it, so "not stated" is never read as "nobody died".
                "fatalities": int(fat) if fat is not None else 0,
                "fatalities_stated": "yes" if fat is not None else "no",
                "incident_id": r.get("incident_id"),
                "n_reports": int(_clean(r.get("n_reports")) or 1),
                "outlets": "|".join(outlets),
                "evidence": _clean(r.get("evidence")) or "",
                "confidence": _clean(r.get("confidence")),
                # Every source of the incident ("extracted|reference" when read and coded by hand).
                "origin": "|".join(split_outlets(r.get("origins"))) or _clean(r.get("origin")),
                "zone_controller": _clean(r.get("zone")),
                "url": _clean(r.get("url")),
                "extractor_version": _clean(r.get("extractor_version")),
                "review_status": _clean(r.get("review_status")) or "unreviewed",
                "reviewed_by": _clean(r.get("reviewed_by")),
            }
        )
    return rows


def page_of(selected: pd.DataFrame, page: Page) -> pd.DataFrame:
    """The rows of one page; an offset past the end gives an empty frame, not an error."""
    return selected.iloc[page.offset : page.offset + page.limit]


def guard_cell(value: Any) -> Any:
    """Text that a spreadsheet would evaluate gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """CSV text with a header row; every text cell guarded against formula injection."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else guard_cell(v)) for k, v in row.items()})
    return buf.getvalue()


def to_geojson(rows: Iterable[dict[str, Any]], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A FeatureCollection of Points; an incident with no coordinates keeps a null geometry."""
    features = []
    for row in rows:
        lat, lon = row.get("latitude"), row.get("longitude")
        geometry = (
            {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
        )
        features.append(
            {"type": "Feature", "id": row.get("incident_id"), "geometry": geometry, "properties": row}
        )
    fc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if meta:
        fc["meta"] = meta
    return fc


def dumps(obj: Any) -> str:
    """Compact JSON for API answers: non-ASCII kept as is (Arabic names), dates and the like as strings."""
    return json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":"))


def paging_meta(total: int, page: Page, returned: int, query: str) -> dict[str, Any]:
    """The paging block of an API answer: totals, and ``next_offset`` to ask for next (None on the
    last page). ``query`` is the normalised filter, so a client can repeat the request."""
    nxt = page.offset + returned
    return {
        "total": total,
        "offset": page.offset,
        "limit": page.limit,
        "returned": returned,
        "next_offset": nxt if nxt < total else None,
        "query": query,
    }


def dataset_meta(service: Any, current_extractor: str | None) -> dict[str, Any]:
    """What /api/meta answers: version, counts, date span, extractor versions, sources.

    The running extractor's version is given by the caller: exports read views and never load
    the extractor themselves (the stage graph in the README's Development section)."""
    index = service.index()
    frame = index.frame
    span = index.span()
    store = service.store
    versions = sorted({str(v) for v in frame.get("extractor_version", pd.Series(dtype=object)).dropna() if v})
    current = current_extractor
    zones = service.zones()
    return {
        "dataset_version": store.version(),
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "counts": {**store.counts(), "incidents_shown": len(index)},
        "date_span": {"start": span[0].isoformat(), "end": span[1].isoformat()} if span else None,
        "zone_changes": [d.isoformat() for d in service.zone_changes()],
        "controllers": sorted({z.controller for z in zones}),
        "extractor_version": current,
        "extractor_versions_in_data": versions,
        "event_types": ACLED_EVENT_TYPES,
        "columns": list(COLUMNS),
        "page_limit": {"default": DEFAULT_LIMIT, "max": MAX_LIMIT},
        "licences": licences(_origins(frame)),
    }


def _origins(frame: pd.DataFrame) -> set[str]:
    """Every origin of the index's incidents ("extracted|acled" counts both)."""
    column = "origins" if "origins" in frame.columns else "origin"
    if column not in frame.columns:
        return set()
    return {o for value in frame[column].dropna().unique() for o in split_outlets(value) if o}


LICENCES: dict[str, str] = {
    "Natural Earth": "public domain",
    "GeoNames": "CC BY 4.0",
    "GSHHG rivers": "LGPL-3.0",
    "events": "facts read from the outlets named on each row",
}
# Imported datasets are cited by the words of ``models.IMPORTED_DATASETS`` when rows of that
# origin are in the store.
IMPORTED_LICENCES: dict[str, tuple[str, str]] = IMPORTED_DATASETS


def licences(origins: Iterable[str]) -> dict[str, str]:
    """``LICENCES`` plus a line for each imported dataset among ``origins`` (the store's)."""
    present = set(origins)
    return {**LICENCES, **{name: text for o, (name, text) in IMPORTED_LICENCES.items() if o in present}}


def parse_as_of(value: str | None, fallback: date) -> date:
    """The ``as_of`` day of a request (YYYY-MM-DD; anything after the tenth character is ignored),
    or ``fallback`` when not given. Raises ``ExportError`` for a value that is not a date."""
    if not value:
        return fallback
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise ExportError(f"as_of={value!r} is not a date (want YYYY-MM-DD)") from exc
