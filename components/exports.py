"""What an export is made of: the dressed map, timeline and briefing images and the data tables
for a dashboard query string, each as an ``Artifact`` (bytes, type, name, headers).

Both the export row of the page (``export_panel``) and the HTTP API (``webapi.routes``) call
``image_export``/``data_export``, so a button and a URL give the same file. Nothing here knows
Flask or Dash: reading a request and writing a response is the API's part.

A request is answered only when every parameter was understood (``image_problems``,
``data_problems`` list what would not be obeyed), since a script that misspelt ``type=battles``
must not receive every row as if it had been obeyed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

import pandas as pd

from components import briefing, flat_map, theme
from components.service_access import service, settings
from components.views import build_map, build_timeline
from conflictmap.export import geopackage, kml, snapshot, tables
from conflictmap.export.slots import export_slot
from conflictmap.models import EVENT_LABELS
from conflictmap.params import ParamError, bounded_number
from conflictmap.read.index import main_events as rank_main_events
from conflictmap.read.index import split_outlets
from conflictmap.read.query import EventFilter, FilterError, parse_date, shown, unknown_params

log = logging.getLogger(__name__)

# width, height default, min, max (pixels) and the scale bounds: big enough for a slide, small
# enough that one request cannot ask Chromium for a gigapixel image.
SIZES = {"map": (1400, 1000), "timeline": (1400, 460), "briefing": (1100, 1550)}
MIN_PX, MAX_PX = 300, 4000
MIN_SCALE, MAX_SCALE = 0.5, 4.0
MAX_PIXELS = 4000 * 4000
TABLE_ROWS = 12
EXPORT_PARAMS = ("width", "height", "scale", "title", "limit", "offset", "as_of")
# What each route reads besides the dashboard's filter parameters (``title`` everywhere: the
# export row adds it to every export; ``download`` asks the browser to save).
IMAGE_PARAMS = ("width", "height", "scale", "title", "download")
EVENTS_PARAMS = ("limit", "offset", "title", "download")
# The KML also holds control zones: those of the view's as-of date (default), every version with
# its dates (``zones=all``) or none (``zones=none``).
KML_PARAMS = (*EVENTS_PARAMS, "zones")
KML_ZONES = ("", "asof", "all", "none")
GPKG_MIME = "application/geopackage+sqlite3"
ZONES_PARAMS = ("as_of", "asof", "download")
META_PARAMS = ("download",)


class BadRequest(ValueError):
    """A parameter out of bounds; the message names it."""


@dataclass
class Artifact:
    """A made file and how to send it: bytes, MIME type, download name and extra headers
    (e.g. ``X-Total-Count``)."""

    body: bytes
    mimetype: str
    filename: str
    headers: dict[str, str] = field(default_factory=dict)


def _extractor_version() -> str | None:
    """The running extractor's version for /api/meta; meta must answer even if it cannot load."""
    try:
        from conflictmap.extract import EXTRACTOR_VERSION
    except Exception:  # noqa: BLE001 - a broken rule table must not take the API down with it
        return None
    return EXTRACTOR_VERSION


def _one(qs: dict[str, list[str]], name: str) -> str | None:
    vals = qs.get(name)
    return vals[-1] if vals else None


def _number(qs: dict[str, list[str]], name: str, default: float, lo: float, hi: float) -> float:
    """An export's number parameter within ``lo..hi``, ``default`` when absent; BadRequest names it."""
    try:
        x = bounded_number(name, _one(qs, name), lo, hi)
    except ParamError as exc:
        raise BadRequest(str(exc)) from exc
    return default if x is None else x


def _parsed(query: str) -> dict[str, list[str]]:
    return parse_qs(query.lstrip("?"), keep_blank_values=True)


def image_problems(query: str) -> list[str]:
    """Everything in an image export's query string that would not be obeyed (empty: all good)."""
    qs = _parsed(query)
    problems = list(EventFilter.from_query(query, allow=IMAGE_PARAMS).problems)
    for name, lo, hi in (
        ("width", MIN_PX, MAX_PX),
        ("height", MIN_PX, MAX_PX),
        ("scale", MIN_SCALE, MAX_SCALE),
    ):
        try:
            _number(qs, name, lo, lo, hi)
        except BadRequest as exc:
            problems.append(str(exc))
    return problems


def data_problems(kind: str, query: str) -> list[str]:
    """The same for an ``api/`` route: filter values, paging, dates and unknown parameter names."""
    qs = _parsed(query)
    if kind in ("csv", "geojson", "gpkg", "kml"):
        allow = KML_PARAMS if kind == "kml" else EVENTS_PARAMS
        problems = list(EventFilter.from_query(query, allow=allow).problems)
        try:
            tables.Page.parse(_one(qs, "limit"), _one(qs, "offset"))
        except tables.ExportError as exc:
            problems.append(str(exc))
        zones = _one(qs, "zones")
        if kind == "kml" and zones is not None and zones.strip().lower() not in KML_ZONES:
            problems.append(
                f"zones={shown(zones)} is not one of asof (the view's date, the default), all, none"
            )
        return problems
    if kind == "zones":
        problems = unknown_params(qs, ZONES_PARAMS)
        for name in ("as_of", "asof"):
            value = (_one(qs, name) or "").strip()
            if value:
                try:
                    parse_date(name, value)
                except FilterError as exc:
                    problems.append(str(exc))
        return problems
    if kind == "zones_gpkg":
        return unknown_params(qs, ("download",))
    return unknown_params(qs, META_PARAMS)


def view_query(query: str) -> str:
    """The dashboard part of a query string (export-only parameters removed)."""
    qs = parse_qs(query.lstrip("?"), keep_blank_values=False)
    return urlencode([(k, v) for k, vals in qs.items() if k not in EXPORT_PARAMS for v in vals])


def view_url(query: str, base_url: str) -> str:
    """The dashboard link for a query: normalised by ``EventFilter``, so export-only and unknown
    parameters are dropped and the link opens the same view."""
    flt = EventFilter.from_query(query)
    q = flt.to_query()
    return base_url + ("?" + q if q else "")


def stamp_for(query: str, base_url: str) -> briefing.Stamp:
    """What a briefing graphic says about itself for this query: title (``title=`` or the filter's
    own description, 160 characters at most), dates, counts, outlets and the view's link."""
    qs = parse_qs(query.lstrip("?"))
    flt = EventFilter.from_query(query)
    view = service().view(flt)
    title = (_one(qs, "title") or "").strip()[:160] or flt.describe()
    outlets = sorted(
        {o for s in view.selected["outlets"].astype(object).fillna("") for o in split_outlets(s) if o}
    )
    return briefing.Stamp(
        title=title,
        start=view.start,
        end=view.end,
        as_of=view.as_of,
        incidents=view.counts["incidents"],
        reports=view.counts["reports"],
        fatalities=view.counts["fatalities"],
        outlets=tuple(outlets),
        url=view_url(query, base_url),
        exported_at=datetime.now(UTC),
    )


def main_events(query: str, n: int = TABLE_ROWS) -> list[dict[str, str]]:
    """The period's main events (ranked by ``read.index.main_events``) as the briefing's table
    cells: labels, actors joined, and "not stated" for a toll no report gave."""
    top = rank_main_events(service().view(EventFilter.from_query(query)).selected, n)
    rows = []
    for r in top.itertuples():
        actors = " / ".join(a for a in (r.actor1, r.actor2) if isinstance(a, str) and a)
        rows.append(
            {
                "date": r.event_date.date().isoformat(),
                "type": EVENT_LABELS.get(r.event_type, str(r.event_type)),
                "place": str(r.location or ""),
                "actors": actors,
                # A toll no report gave is "not stated", never 0 (the sort still ranks it last).
                "fatalities": "not stated" if pd.isna(r.fatalities) else str(int(r.fatalities)),
                "sources": ", ".join(o for o in split_outlets(r.outlets) if o),
            }
        )
    return rows


def image_export(what: str, fmt: str, query: str, base_url: str) -> Artifact:
    """A dressed map/timeline image or the one-page briefing PDF for a dashboard query string."""
    if what not in SIZES or fmt not in snapshot.FORMATS or (what == "briefing" and fmt != "pdf"):
        raise BadRequest(f"no export {what}.{fmt}")
    qs = parse_qs(query.lstrip("?"))
    dw, dh = SIZES[what]
    width = int(_number(qs, "width", dw, MIN_PX, MAX_PX))
    height = int(_number(qs, "height", dh, MIN_PX, MAX_PX))
    scale = _number(qs, "scale", 1.0, MIN_SCALE, MAX_SCALE)
    if width * height * scale * scale > MAX_PIXELS:
        raise BadRequest(f"width x height x scale² is over {MAX_PIXELS:,} pixels")
    search = view_query(query)
    stamp = stamp_for(query, base_url)
    if what == "map":
        fig = briefing.dress(build_map(search).to_dict(), stamp, width, height)
    elif what == "timeline":
        tl = build_timeline(search).to_dict()
        tl["layout"].pop("height", None)
        fig = briefing.dress(tl, stamp, width, height, legend_bottom=40)
    else:
        fig = briefing.briefing_figure(
            build_map(search).to_dict(),
            build_timeline(search).to_dict(),
            main_events(search),
            stamp,
            width,
            height,
        )
    # The map on plain 2D axes when nothing in it needs MapLibre: the same page, drawn without
    # starting a WebGL map (most of an export's time), and vector in SVG and PDF.
    fig = flat_map.flatten(fig) or fig
    cfg = settings()
    with export_slot(cfg.data_dir / "export-slots", cfg.export_slots, cfg.export_wait):
        body = snapshot.render(fig, fmt, width, height, scale, timeout=cfg.export_timeout)
    slug = re.sub(r"[^a-z0-9]+", "-", stamp.title.lower()).strip("-")[:60] or "view"
    return Artifact(body, snapshot.FORMATS[fmt], f"conflictmap-{what}-{slug}.{fmt}")


def data_export(kind: str, query: str) -> Artifact:
    """Incidents of a query string as CSV, GeoJSON, GeoPackage or KML (one bounded page; the KML
    with the control zones of the view's as-of date, ``zones=all`` every version, ``zones=none``
    none, coloured as the map), or zones / meta as JSON."""
    qs = parse_qs(query.lstrip("?"))
    svc = service()
    if kind == "meta":
        return Artifact(
            tables.dumps(tables.dataset_meta(svc, _extractor_version())).encode(),
            "application/json",
            "meta.json",
        )
    if kind == "zones":
        as_of = tables.parse_as_of(_one(qs, "as_of") or _one(qs, "asof"), svc.default_range()[1])
        fc = dict(svc.zones_geojson(as_of) or {"type": "FeatureCollection", "features": []})
        fc["as_of"] = as_of.isoformat()
        return Artifact(tables.dumps(fc).encode(), "application/geo+json", f"zones-{as_of}.geojson")
    if kind == "zones_gpkg":
        return Artifact(geopackage.zones_gpkg(svc.zones()), GPKG_MIME, "zone-versions.gpkg")
    if kind not in ("csv", "geojson", "gpkg", "kml"):
        raise BadRequest(f"no data export {kind}")
    page = tables.Page.parse(_one(qs, "limit"), _one(qs, "offset"))
    flt = EventFilter.from_query(view_query(query))
    view = svc.view(flt)
    selected = view.selected
    rows = tables.export_rows(tables.page_of(selected, page))
    total = len(selected)
    headers = {"X-Total-Count": str(total), "X-Offset": str(page.offset), "X-Limit": str(page.limit)}
    if page.offset + len(rows) < total:
        nxt = urlencode([*parse_qs(view_query(query)).items()], doseq=True)
        headers["Link"] = f'<?{nxt}&limit={page.limit}&offset={page.offset + len(rows)}>; rel="next"'
    if kind == "csv":
        return Artifact(tables.to_csv(rows).encode("utf-8"), "text/csv", "events.csv", headers)
    if kind == "gpkg":
        return Artifact(geopackage.events_gpkg(rows), GPKG_MIME, "events.gpkg", headers)
    if kind == "kml":
        zones = (_one(qs, "zones") or "").strip().lower()
        body = kml.kml_document(
            tables.page_of(selected, page),
            [] if zones == "none" else svc.zones(),
            None if zones == "all" else view.as_of,
            title=(_one(qs, "title") or "").strip()[:160] or flt.describe(),
            query=flt.to_query(),
            event_colours=theme.EVENT_COLOURS,
            zone_colour=theme.zone_colour,
            contested_colour=theme.CONTESTED_COLOUR,
        )
        return Artifact(body, kml.MIME, "events.kml", headers)
    meta = tables.paging_meta(total, page, len(rows), flt.to_query())
    body = tables.dumps(tables.to_geojson(rows, meta)).encode()
    return Artifact(body, "application/geo+json", "events.geojson", headers)
