"""KML export of a view for analysts who brief from Google Earth: the incidents as placemarks and
the control zones of a date as polygons, in one file that needs nothing from the network.

What goes in, and why:

* **Incidents**: the same rows as the CSV, GeoJSON and GeoPackage exports (``tables.export_rows``
  of the selected frame: ACLED's columns, then provenance), one ``Placemark`` each with every
  column in ``ExtendedData`` (so a GIS reading the file gets the same attributes), a
  ``TimeStamp`` for Google Earth's time slider, and a style per event type. A row without
  coordinates keeps its attributes and has no geometry, as in the other exports.
* **Zones**: the versions valid on ``as_of`` (or every version when ``as_of`` is None), each a
  ``Polygon``/``MultiGeometry`` with its controller, status and validity dates in ExtendedData,
  a ``TimeSpan`` from ``valid_from`` to ``valid_to``, and a style per controller (contested
  areas grey, as on the map).
* **No outside address**: styles carry colours only, no icon ``href`` (Google Earth's default
  pin is tinted), so opening the file loads nothing from outside the machine.

Untrusted text (evidence, outlets, place names, zone notes) reaches the file only through the
XML writer (``xml.etree``), which escapes ``<``, ``&`` and ``>``; characters XML 1.0 cannot hold
(NUL, other control characters, lone surrogates) are dropped first so the file always parses.
Google Earth renders ``description`` as HTML, so what goes there is HTML-escaped text joined by
``<br/>`` (escaped once more by the writer): a hostile ``<script>`` arrives as text. Names pass
through ``textsafe.plain``. ExtendedData keeps the values as they are, for GIS readers, and the
balloon template shows only the name and the description, never the raw values as HTML.

Colours: the caller passes the dashboard's (``components.theme.EVENT_COLOURS`` and
``zone_colour``) so the file matches the map; the domain package cannot import them itself.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from conflictmap.export.tables import ACLED_EVENT_TYPES, COLUMNS, export_rows
from conflictmap.geo.zones import zone_record, zone_status, zones_as_of
from conflictmap.models import ZoneVersion
from conflictmap.textsafe import plain

KML_NS = "http://www.opengis.net/kml/2.2"
MIME = "application/vnd.google-earth.kml+xml"
INCIDENTS_FOLDER = "Incidents"
ZONES_FOLDER = "Control zones"
DEFAULT_EVENT_COLOUR = "#555555"
DEFAULT_ZONE_COLOURS = ("#DDCC77", "#88CCEE", "#AA4499", "#999933", "#44AA99", "#CC6677")
CONTESTED_COLOUR = "#9a9a9a"
ZONE_FILL_ALPHA = "59"  # about 35 % opaque: the events stay visible on top
BALLOON = "<b>$[name]</b><br/>$[description]"
ATTRIBUTION = {
    "acled": "rows of origin acled are ACLED data, used under the user's own ACLED licence",
    "ucdp": "rows of origin ucdp are UCDP GED data, CC BY 4.0",
}
# Characters XML 1.0 allows (tab, newline, carriage return and the rest of Unicode except
# surrogates and U+FFFE/U+FFFF): anything else would make the file unreadable.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def xml_text(value: Any) -> str:
    """Any value as text an XML 1.0 document can hold: None is "", forbidden characters dropped."""
    if value is None:
        return ""
    return _NOT_XML.sub("", str(value))


def kml_colour(hex_colour: str, alpha: str = "ff") -> str:
    """ "#RRGGBB" -> KML's "aabbggrr"; a colour that is not #RRGGBB falls back to grey."""
    m = _HEX.match(hex_colour.strip())
    rgb = m.group(1) if m else DEFAULT_EVENT_COLOUR[1:]
    return f"{alpha}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".lower()


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = xml_text(text)
    return el


def _extended(parent: ET.Element, values: Mapping[str, Any]) -> None:
    ext = _sub(parent, "ExtendedData")
    for name, value in values.items():
        data = _sub(ext, "Data", name=name)
        _sub(data, "value", "" if value is None else value)


def _description(lines: Iterable[tuple[str, Any]]) -> str:
    """HTML for a balloon from (label, value) pairs: every value escaped, empty ones left out."""
    return "<br/>".join(
        f"<b>{html.escape(label, quote=False)}</b>: {html.escape(xml_text(value), quote=False)}"
        for label, value in lines
        if value not in (None, "")
    )


def _coords(ring: Iterable[Any]) -> str:
    return " ".join(f"{x:.6f},{y:.6f}" for x, y, *_ in ring)


def _polygons(geometry: BaseGeometry | None) -> list[Polygon]:
    if geometry is None or geometry.is_empty:
        return []
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [p for g in getattr(geometry, "geoms", []) for p in _polygons(g)]


def _polygon(parent: ET.Element, poly: Polygon) -> None:
    el = _sub(parent, "Polygon")
    outer = _sub(_sub(el, "outerBoundaryIs"), "LinearRing")
    _sub(outer, "coordinates", _coords(poly.exterior.coords))
    for hole in poly.interiors:
        inner = _sub(_sub(el, "innerBoundaryIs"), "LinearRing")
        _sub(inner, "coordinates", _coords(hole.coords))


def _style(
    doc: ET.Element, style_id: str, icon: str | None = None, line: str | None = None, fill: str | None = None
) -> None:
    style = _sub(doc, "Style", id=style_id)
    if icon:
        icon_style = _sub(style, "IconStyle")
        _sub(icon_style, "color", icon)
        _sub(icon_style, "scale", "0.9")
        _sub(_sub(style, "LabelStyle"), "scale", "0")  # names in the list, not over every pin
    if line:
        line_style = _sub(style, "LineStyle")
        _sub(line_style, "color", line)
        _sub(line_style, "width", "2")
    if fill:
        _sub(_sub(style, "PolyStyle"), "color", fill)
    _sub(_sub(style, "BalloonStyle"), "text", BALLOON)


def _type_style(event_type: str) -> str:
    return f"type-{event_type}" if event_type in ACLED_EVENT_TYPES else "type-other"


def _incident_placemark(folder: ET.Element, row: dict[str, Any], acled_to_ours: Mapping[str, str]) -> None:
    etype_label = str(row.get("event_type") or "")
    pm = _sub(folder, "Placemark")
    _sub(pm, "name", plain(f"{etype_label}: {row.get('location') or 'place unknown'}", 200))
    if row.get("event_date"):
        _sub(_sub(pm, "TimeStamp"), "when", row["event_date"])
    fat = row.get("fatalities") if row.get("fatalities_stated") == "yes" else "not stated"
    actors = " / ".join(str(a) for a in (row.get("actor1"), row.get("actor2")) if a)
    _sub(
        pm,
        "description",
        _description(
            [
                ("Type", f"{etype_label}, {row.get('sub_event_type') or ''}".rstrip(", ")),
                ("Date", f"{row.get('event_date')} (time precision {row.get('time_precision')})"),
                ("Actors", actors),
                ("Place", f"{row.get('location') or ''} (geo precision {row.get('geo_precision')})"),
                ("Fatalities", fat),
                ("Zone", row.get("zone_controller")),
                ("Evidence", row.get("evidence")),
                ("Notes", row.get("notes")),
                ("Sources", f"{row.get('source') or ''} ({row.get('n_reports')} report(s))"),
                ("Origin", row.get("origin")),
                ("Confidence", row.get("confidence")),
                ("Incident", row.get("incident_id")),
                ("Address", row.get("url")),
            ]
        ),
    )
    _sub(pm, "styleUrl", "#" + _type_style(acled_to_ours.get(etype_label, etype_label)))
    _extended(pm, {c: row.get(c) for c in COLUMNS})
    lat, lon = row.get("latitude"), row.get("longitude")
    if lat is not None and lon is not None:
        _sub(_sub(pm, "Point"), "coordinates", f"{float(lon):.6f},{float(lat):.6f}")


def _zone_placemark(folder: ET.Element, zone: ZoneVersion, style_id: str) -> None:
    record = zone_record(zone)
    pm = _sub(folder, "Placemark")
    _sub(pm, "name", plain(f"{zone.controller}: {zone.label}" if zone.label else zone.controller, 200))
    span = _sub(pm, "TimeSpan")
    _sub(span, "begin", record["valid_from"])
    if record["valid_to"]:
        _sub(span, "end", record["valid_to"])
    _sub(
        pm,
        "description",
        _description(
            [
                ("Controller", zone.controller),
                ("Status", record["status"]),
                ("Valid", f"{record['valid_from']} to {record['valid_to'] or 'now'}"),
                ("Source", zone.source),
                ("Confidence", zone.confidence),
                ("Notes", zone.notes),
            ]
        ),
    )
    _sub(pm, "styleUrl", "#" + style_id)
    _extended(pm, record)
    polygons = _polygons(zone.geometry)
    if len(polygons) == 1:
        _polygon(pm, polygons[0])
    elif polygons:
        multi = _sub(pm, "MultiGeometry")
        for poly in polygons:
            _polygon(multi, poly)


def kml_document(
    selected: pd.DataFrame,
    zones: Iterable[ZoneVersion],
    as_of: date | None,
    *,
    title: str = "conflictmap",
    query: str = "",
    event_colours: Mapping[str, str] | None = None,
    zone_colour: Callable[[str, int], str] | None = None,
    contested_colour: str = CONTESTED_COLOUR,
) -> bytes:
    """A KML document (UTF-8 bytes) of the selected incidents and the zones valid on ``as_of``.

    ``selected``: the view's incidents frame, as ``tables.export_rows`` takes it (page it first,
    as the other exports do). ``zones``: every zone version; only those valid on ``as_of`` are
    written (all of them, with their time spans, when ``as_of`` is None). ``query``: the view's
    query string, written into the document's description so the file says what it shows.
    ``event_colours`` (event type -> "#RRGGBB") and ``zone_colour(controller, index)`` colour
    the styles; without them a neutral palette is used. A contested zone (``zone_status``) is
    ``contested_colour`` whatever its controller, as the map draws it."""
    rows = export_rows(selected)
    versions = list(zones)
    shown = zones_as_of(versions, as_of) if as_of is not None else versions
    acled_to_ours = {label: ours for ours, label in ACLED_EVENT_TYPES.items()}

    root = ET.Element("kml", xmlns=KML_NS)
    doc = _sub(root, "Document")
    _sub(doc, "name", plain(title, 200))
    origins = {o for r in rows for o in str(r.get("origin") or "").split("|") if o}
    notes = [
        ("View", query or "(all incidents)"),
        (
            "Zones",
            "none in this file"
            if not versions
            else (f"as of {as_of.isoformat()}" if as_of else "every version, with its dates"),
        ),
        ("Incidents", len(rows)),
        ("Events", "facts read from the outlets named on each row"),
        *[("Licence", ATTRIBUTION[o]) for o in sorted(origins) if o in ATTRIBUTION],
    ]
    _sub(doc, "description", _description(notes))

    colours = event_colours or {}
    for etype in (*ACLED_EVENT_TYPES, "other"):
        _style(doc, _type_style(etype), icon=kml_colour(colours.get(etype, DEFAULT_EVENT_COLOUR)))
    # One style per (controller, status), indexed as the map's legend counts controllers.
    kinds = sorted({(z.controller, zone_status(z)) for z in shown})
    index_of = {c: i for i, c in enumerate(sorted({c for c, _ in kinds}))}
    style_of: dict[tuple[str, str], str] = {}
    for n, (controller, status) in enumerate(kinds):
        i = index_of[controller]
        if status == "contested":
            colour = contested_colour
        elif zone_colour is not None:
            colour = zone_colour(controller, i)
        else:
            colour = DEFAULT_ZONE_COLOURS[i % len(DEFAULT_ZONE_COLOURS)]
        style_of[(controller, status)] = f"zone-{n}"
        _style(doc, f"zone-{n}", line=kml_colour(colour), fill=kml_colour(colour, ZONE_FILL_ALPHA))

    zones_folder = _sub(doc, "Folder")
    _sub(zones_folder, "name", ZONES_FOLDER)
    for zone in sorted(shown, key=lambda z: (z.valid_from, z.zone_id)):
        _zone_placemark(zones_folder, zone, style_of[(zone.controller, zone_status(zone))])
    events_folder = _sub(doc, "Folder")
    _sub(events_folder, "name", INCIDENTS_FOLDER)
    for row in rows:
        _incident_placemark(events_folder, row, acled_to_ours)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
