"""Control zones: load and validate a versioned GeoJSON layer, slice it by date, place points in it.

Zones are an authoritative layer: every event on the map is coloured and counted by the zone it
falls in. So ``load_zones`` refuses the whole file when any feature is wrong (missing property,
empty or non-polygonal geometry, foreign CRS, lat/lon swapped, bad dates, duplicate ids), and the
message lists every problem at once with the feature's index and zone_id. Dropping one bad
feature and carrying on, as the pipeline does for articles, would silently move events into
"no zone" or into a neighbour's control: a wrong answer that looks right. Problems that can be
repaired without guessing (a self-intersecting ring fixed by ``shapely.make_valid``, overlapping
zones on the same day) load with a warning naming the feature.

Any document, legal GeoJSON or not, gives zones or a ``ZonesError``, never another exception:
``"properties": null`` (legal GeoJSON), properties or ``crs.properties`` given as a string,
JSON nested too deeply to read, coordinates that are strings or booleans ("40.1" is not a
number: shapely would have read it as one). The error names the file, each bad feature (index
and zone_id when it has one) and the problem, so the pipeline can refuse the file and keep the
zones already loaded while the rest of preparation runs.

Border tie-break: a point on a shared border (or in an overlap) belongs to the zone with the
lowest ``zone_id`` in plain string order among those that cover it. Arbitrary but deterministic:
the same point always gets the same zone, in ``assign_zone`` and ``assign_zones`` alike.

Provenance: besides the required properties a feature may carry ``status`` ("held" or
"contested"), ``sources`` (a list of "Outlet: title (date) URL" strings), ``change_label`` (the
timeline's short name for the change that starts this version) and ``contested_by``. They are
optional so older files still load; when absent, the status is read from the controller
("Contested" means contested) and the sources from ``source`` split on " | ". The same fallbacks
apply to zones that went through a store keeping only the required columns, so the map can
always tell a contested zone and cite a source.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from conflictmap.models import ZoneVersion
from conflictmap.textsafe import json_depth

log = logging.getLogger(__name__)

REQUIRED = ("zone_id", "controller", "valid_from", "valid_to", "label")
OPTIONAL = ("source", "confidence", "notes")
STATUSES = ("held", "contested")
CONTESTED = "Contested"  # the controller of a contested area in the bundled file
SOURCE_SEP = " | "  # between sources in a ``source`` string
CONFIDENCE_ORDER = ("low", "medium", "high")  # anything else ("unstated") sorts below low
WGS84_NAMES = {
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "urn:ogc:def:crs:ogc::crs84",
    "crs84",
    "ogc:crs84",
    "epsg:4326",
    "urn:ogc:def:crs:epsg::4326",
    "urn:ogc:def:crs:epsg:4326",
    "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    "http://www.opengis.net/def/crs/epsg/0/4326",
}
# The region the project maps (east Syria and around): used only to spot swapped axes.
REGION_LON = (35.0, 43.0)
REGION_LAT = (32.0, 38.0)
OVERLAP_TOLERANCE_DEG2 = 1e-6  # ~0.01 km2: less than this is rounding at a shared border
DEFAULT_MAX_VERTICES = 4000
# Deepest nesting of a feature's properties (a real zone's are flat, ``sources`` a list): deeper
# values would be stored as JSON and served back, and can exhaust the recursion limit there.
MAX_PROPERTY_DEPTH = 16
SHOWN_CHARS = 80  # how much of a bad value a message quotes back


class ZonesError(Exception):
    """The zones file cannot be used; the message names the file, each bad feature and why."""


@dataclass
class ZoneLoad:
    """A zones file that can be used: its versions, plus warnings (each naming the file) about what
    was accepted with a caveat, such as overlapping zones."""

    zones: list[ZoneVersion]
    warnings: list[str] = field(default_factory=list)


def load_zones(path: Path) -> ZoneLoad:
    """Read and validate a zones GeoJSON file (see the module docstring for the policy).

    Raises ``ZonesError`` (and nothing else) for any file that cannot be used.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ZonesError(f"{path}: cannot read zones file: {exc}") from exc
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ZonesError(f"{path}: not valid JSON: {exc}") from exc
    except RecursionError:
        raise ZonesError(f"{path}: not readable: JSON nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ZonesError(f"{path}: expected a GeoJSON FeatureCollection")
    crs_problem = _crs_problem(doc.get("crs"))
    if crs_problem:
        raise ZonesError(f"{path}: {crs_problem}")
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats:
        raise ZonesError(f"{path}: no features")

    zones: list[ZoneVersion] = []
    problems: list[str] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for i, feat in enumerate(feats):
        where = _where(i, feat)
        try:
            zone, warns = _parse_feature(feat)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - a bug here must still name the file and feature
            log.exception("%s: %s: unexpected error while reading the feature", path, where)
            problems.append(f"{where}: unreadable ({type(exc).__name__}: {_shown(str(exc))})")
            continue
        if zone.zone_id in seen:
            problems.append(f"{where}: duplicate zone_id, also feature {seen[zone.zone_id]}")
            continue
        seen[zone.zone_id] = i
        warnings.extend(f"{path}: {where}: {w}" for w in warns)
        zones.append(zone)
    if problems:
        raise ZonesError(f"{path}: refused ({len(problems)} bad feature(s)): " + "; ".join(problems))
    warnings.extend(f"{path}: {w}" for w in _overlaps(zones))
    for w in warnings:
        log.warning("%s", w)
    return ZoneLoad(zones=zones, warnings=warnings)


def _shown(value: Any) -> str:
    """A bad value quoted back in a message: its repr, cut short (it may be huge or deeply nested)."""
    if isinstance(value, (dict, list)) and json_depth(value, limit=3) > 3:
        return f"<a deeply nested {type(value).__name__}>"  # its repr could itself recurse too far
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _where(i: int, feat: Any) -> str:
    """``feature 3 (zone_id='sdf-2019')``, or ``feature 3`` when it has no usable zone_id."""
    props = feat.get("properties") if isinstance(feat, dict) else None
    zid = props.get("zone_id") if isinstance(props, dict) else None
    if isinstance(zid, str) and zid.strip():
        return f"feature {i} (zone_id={_shown(zid)})"
    return f"feature {i}"


def _crs_problem(crs: Any) -> str | None:
    """RFC 7946 GeoJSON has no ``crs`` member; an old-style one must name WGS84 lon/lat."""
    if crs is None:
        return None
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if isinstance(name, str) and name.strip().lower() in WGS84_NAMES:
        return None
    if not isinstance(props, dict) or not isinstance(name, str):
        return (
            f"crs {_shown(crs)} is not a named CRS "
            '({"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}); '
            "leave crs out (RFC 7946 GeoJSON is WGS84 lon/lat)"
        )
    return f"crs {_shown(name)} is not WGS84 lon/lat (CRS84/EPSG:4326); reproject to WGS84 first"


def _parse_feature(feat: Any) -> tuple[ZoneVersion, list[str]]:
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise ValueError("not a GeoJSON Feature")
    props = feat.get("properties")
    if props is None:
        raise ValueError(f"properties is null; a zone needs {', '.join(REQUIRED)}")
    if not isinstance(props, dict):
        raise ValueError(f"properties must be an object, not {type(props).__name__} {_shown(props)}")
    if json_depth(props, MAX_PROPERTY_DEPTH) > MAX_PROPERTY_DEPTH:
        raise ValueError(f"properties nested deeper than {MAX_PROPERTY_DEPTH} levels")
    missing = [k for k in REQUIRED if k not in props]
    if missing:
        raise ValueError(f"missing properties: {', '.join(missing)}")
    for k in ("zone_id", "controller", "label"):
        if not isinstance(props[k], str) or not props[k].strip():
            raise ValueError(f"property {k} must be a non-empty string")
    valid_from = _date(props, "valid_from")
    valid_to = None if props["valid_to"] is None else _date(props, "valid_to")
    if valid_to is not None and valid_from > valid_to:
        raise ValueError(f"valid_from {valid_from} is after valid_to {valid_to}")
    for k in OPTIONAL:
        if props.get(k) is not None and not isinstance(props[k], str):
            raise ValueError(f"property {k} must be a string, not {type(props[k]).__name__}")
    geom, warns = _geometry(feat.get("geometry"))
    extra = {k: v for k, v in props.items() if k not in REQUIRED + OPTIONAL}
    _check_provenance(extra)
    zone = ZoneVersion(
        zone_id=props["zone_id"],
        controller=props["controller"],
        valid_from=valid_from,
        valid_to=valid_to,
        label=props["label"],
        geometry=geom,
        source=str(props.get("source") or ""),
        confidence=str(props.get("confidence") or "unstated"),
        notes=str(props.get("notes") or ""),
        extra=extra,
    )
    return zone, warns


def _check_provenance(extra: dict[str, Any]) -> None:
    """The optional provenance properties, when present, must have the shape the UI relies on."""
    status = extra.get("status")
    if status is not None and status not in STATUSES:
        raise ValueError(f"status {_shown(status)} is not one of {', '.join(STATUSES)}")
    for key in ("sources", "contested_by"):
        value = extra.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise ValueError(f"property {key} must be a list of non-empty strings")
    label = extra.get("change_label")
    if label is not None and not isinstance(label, str):
        raise ValueError("property change_label must be a string")


def _date(props: dict[str, Any], key: str) -> date:
    value = props[key]
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"{key} {_shown(value)} is not an ISO date (YYYY-MM-DD)") from None


def _position(value: Any, where: str) -> tuple[float, ...]:
    """``[lon, lat]`` (or ``[lon, lat, z]``) of JSON numbers; anything else names the spot."""
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        raise ValueError(f"{where}: a position must be [lon, lat] numbers, got {_shown(value)}")
    out = []
    for v in value:
        # bool is an int in Python, and "40.1" would be read as a number by shapely: neither is one.
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{where}: coordinate {_shown(v)} is not a number ({type(v).__name__})")
        try:
            x = float(v)
        except OverflowError:
            raise ValueError(f"{where}: coordinate {_shown(v)} is too large") from None
        if not math.isfinite(x):
            raise ValueError(f"{where}: coordinate {v} is not a finite number")
        out.append(x)
    return tuple(out)


def _rings(value: Any, where: str) -> list[list[tuple[float, ...]]]:
    """A Polygon's coordinates: a non-empty list of rings, each a list of positions."""
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: a polygon must be a non-empty list of rings, got {_shown(value)}")
    rings = []
    for r, ring in enumerate(value):
        if not isinstance(ring, list):
            raise ValueError(f"{where} ring {r}: a ring must be a list of positions, got {_shown(ring)}")
        rings.append([_position(p, f"{where} ring {r} position {j}") for j, p in enumerate(ring)])
    return rings


def _shape(gj: dict[str, Any]) -> BaseGeometry:
    """The geometry, built only from coordinates checked to be numbers at the right depth."""
    coords = gj.get("coordinates")
    try:
        if gj["type"] == "Polygon":
            rings = _rings(coords, "coordinates")
            if not rings[0]:
                return shapely.Polygon()
            return shapely.Polygon(rings[0], rings[1:])
        if not isinstance(coords, list) or not coords:
            raise ValueError(f"a MultiPolygon needs a non-empty list of polygons, got {_shown(coords)}")
        polys = [_rings(p, f"polygon {k}") for k, p in enumerate(coords)]
        return shapely.MultiPolygon([shapely.Polygon(p[0], p[1:]) for p in polys if p[0]])
    except ValueError:
        raise
    except Exception as exc:  # shapely (GEOS) refusing numbers it was given: too few points etc.
        raise ValueError(f"unreadable geometry: {exc}") from None


def _geometry(gj: Any) -> tuple[BaseGeometry, list[str]]:
    """Parse, range-check, axis-check and (if needed) repair one feature geometry."""
    if not isinstance(gj, dict):
        raise ValueError("no geometry")
    if gj.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"geometry type {_shown(gj.get('type'))} is not Polygon/MultiPolygon")
    geom = _shape(gj)
    coords = shapely.get_coordinates(geom)
    if len(coords) == 0 or geom.is_empty:
        raise ValueError("empty geometry")
    if not np.isfinite(coords).all():
        raise ValueError("geometry has non-finite coordinates")
    x, y = coords[:, 0], coords[:, 1]
    if (np.abs(x) > 180).any() or (np.abs(y) > 90).any():
        bad = coords[(np.abs(x) > 180) | (np.abs(y) > 90)][0]
        raise ValueError(
            f"coordinates out of lon/lat range, e.g. ({bad[0]:g}, {bad[1]:g}): projected, not WGS84?"
        )
    in_region = _in_box(x, y)
    swapped = ~in_region & _in_box(y, x)
    if swapped.mean() > 0.5:
        raise ValueError(
            f"looks like lat/lon swapped: {swapped.mean():.0%} of points read as (lat, lon) for this "
            f"region (lon {REGION_LON[0]:g}-{REGION_LON[1]:g}, lat {REGION_LAT[0]:g}-{REGION_LAT[1]:g});"
            " GeoJSON order is [lon, lat]"
        )
    warns: list[str] = []
    if not in_region.any():
        warns.append("lies wholly outside the mapped region; check it is meant for this map")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        fixed = _polygonal(shapely.make_valid(geom))
        if fixed.is_empty:
            raise ValueError(f"invalid geometry ({reason}) with no polygonal area after repair")
        warns.append(f"invalid geometry ({reason}) repaired with make_valid")
        geom = fixed
    return geom, warns


def _in_box(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x >= REGION_LON[0]) & (x <= REGION_LON[1]) & (y >= REGION_LAT[0]) & (y <= REGION_LAT[1])


def _polygonal(g: BaseGeometry) -> BaseGeometry:
    """The polygon parts of a geometry (make_valid may return lines and points alongside)."""
    parts = shapely.get_parts(g)
    polys = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _overlaps(zones: list[ZoneVersion]) -> list[str]:
    """Zones valid on a common day should not overlap; the tie-break hides it, so say so."""
    out = []
    for a, b in combinations(zones, 2):
        if a.valid_from > (b.valid_to or date.max) or b.valid_from > (a.valid_to or date.max):
            continue
        if a.geometry.intersection(b.geometry).area > OVERLAP_TOLERANCE_DEG2:
            out.append(f"zones {a.zone_id!r} and {b.zone_id!r} overlap on shared days; lowest zone_id wins")
    return out


def zones_as_of(zones: list[ZoneVersion], day: date) -> list[ZoneVersion]:
    """The zone versions valid on ``day`` (both ends inclusive)."""
    return [z for z in zones if z.valid_on(day)]


class _Index:
    """Zones in tie-break order (lowest zone_id first), geometries prepared, bounding boxes at hand.

    Why not an STRtree: a map slice holds a handful of large polygons, and a prepared
    ``intersects_xy`` per zone over the points inside its box measured ~40x faster than a tree
    query with a predicate (100k points: ~0.04 s against ~1.4 s).
    """

    def __init__(self, zones: Sequence[ZoneVersion]) -> None:
        self.zones = sorted(zones, key=lambda z: z.zone_id)  # holding them keeps the key's ids alive
        self.geoms = [z.geometry for z in self.zones]
        for g in self.geoms:
            shapely.prepare(g)
        self.boxes = [tuple(float(v) for v in g.bounds) for g in self.geoms]


_INDEX_CACHE: dict[tuple[tuple[str, int], ...], _Index] = {}
_INDEX_CACHE_SIZE = 8
# Worker threads (gunicorn --threads, Dash callbacks) look up and evict at once: one lock.
_INDEX_LOCK = threading.Lock()


def _index(zones: Sequence[ZoneVersion]) -> _Index:
    """Build (or reuse) the index for this exact list of zones.

    Why a cache: ``assign_zone`` is called once per event, often 100k times with the same
    as-of slice; preparing geometries on each call would dominate. The key holds the geometry
    objects' ids and the cached index holds the objects, so an id cannot be reused while cached.
    """
    key = tuple((z.zone_id, id(z.geometry)) for z in zones)
    with _INDEX_LOCK:
        idx = _INDEX_CACHE.get(key)
        if idx is None:
            if len(_INDEX_CACHE) >= _INDEX_CACHE_SIZE:
                _INDEX_CACHE.pop(next(iter(_INDEX_CACHE)))
            idx = _INDEX_CACHE[key] = _Index(zones)
        return idx


def assign_zone(zones: list[ZoneVersion], lon: float, lat: float) -> ZoneVersion | None:
    """The zone (among ``zones``, usually an as-of slice) covering the point, or None.

    Points on a border go to the lowest zone_id (module docstring).
    """
    if not zones or lon is None or lat is None or not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    idx = _index(zones)
    for zone, geom, (x0, y0, x1, y1) in zip(idx.zones, idx.geoms, idx.boxes, strict=True):
        if x0 <= lon <= x1 and y0 <= lat <= y1 and shapely.intersects_xy(geom, lon, lat):
            return zone
    return None


def assign_zones(zones: list[ZoneVersion], lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
    """Vectorised ``assign_zone``: the zone_id per point (None outside all zones or for NaN)."""
    lon = np.asarray(lons, dtype=float)
    lat = np.asarray(lats, dtype=float)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError(f"lons and lats must be 1-D and of one length ({lon.shape} vs {lat.shape})")
    out: list[str | None] = [None] * len(lon)
    if not zones or len(lon) == 0:
        return out
    idx = _index(zones)
    todo = np.isfinite(lon) & np.isfinite(lat)
    for zone, geom, (x0, y0, x1, y1) in zip(idx.zones, idx.geoms, idx.boxes, strict=True):
        cand = np.flatnonzero(todo & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if len(cand) == 0:
            continue
        hit = cand[shapely.intersects_xy(geom, lon[cand], lat[cand])]
        todo[hit] = False  # lowest zone_id first, so the first hit is the tie-break winner
        for i in hit.tolist():
            out[i] = zone.zone_id
    return out


def zones_geojson(
    zones: list[ZoneVersion], max_vertices: int = DEFAULT_MAX_VERTICES, decimals: int = 5
) -> dict[str, Any]:
    """A FeatureCollection for the browser: ``id`` = zone_id on each feature (Choroplethmap's
    ``featureidkey="id"``), dates as ISO strings.

    Simplified only when the total vertex count passes ``max_vertices``: zones sharing a validity
    span are simplified together as a coverage, so neighbours keep one common border.
    """
    geoms = [z.geometry for z in zones]
    total = int(sum(shapely.get_num_coordinates(g) for g in geoms))
    if total > max_vertices:
        geoms = _simplify(zones, max_vertices)
    feats = []
    for z, g in zip(zones, geoms, strict=True):
        g = shapely.set_precision(g, 10.0**-decimals)
        props = {
            **{k: v for k, v in z.extra.items() if k != "id"},
            "id": z.zone_id,
            **zone_record(z),
            "sources": zone_sources(z),
        }
        feats.append({"type": "Feature", "id": z.zone_id, "properties": props, "geometry": mapping(g)})
    return {"type": "FeatureCollection", "features": feats}


def _simplify(zones: list[ZoneVersion], max_vertices: int) -> list[BaseGeometry]:
    """Double the tolerance until the whole collection fits the budget."""
    groups: dict[tuple[date, date | None], list[int]] = {}
    for i, z in enumerate(zones):
        groups.setdefault((z.valid_from, z.valid_to), []).append(i)
    tol = 0.0005
    geoms = [z.geometry for z in zones]
    while tol < 1.0:
        out: list[BaseGeometry] = list(geoms)
        for members in groups.values():
            src = np.array([geoms[i] for i in members], dtype=object)
            try:
                simple = shapely.coverage_simplify(src, tol)
            except Exception:  # not a valid coverage (overlaps): fall back to one by one
                simple = shapely.simplify(src, tol, preserve_topology=True)
            for i, g in zip(members, simple, strict=True):
                out[i] = g
        if sum(shapely.get_num_coordinates(g) for g in out) <= max_vertices:
            return out
        tol *= 2
    return out


def zone_changes(zones: list[ZoneVersion]) -> list[date]:
    """Days when control changes, in order: each distinct valid_from after the earliest, and
    the day after a version closes (valid_to is its last day), whether or not another follows."""
    starts = {z.valid_from for z in zones}
    ends = {z.valid_to + timedelta(days=1) for z in zones if z.valid_to is not None}
    if not starts:
        return []
    first = min(starts)
    return sorted(d for d in starts | ends if d > first)


def zone_record(z: ZoneVersion) -> dict[str, str | None]:
    """A zone version's own fields as plain values (dates ISO, ``valid_to`` None while it holds):
    what every export of zones writes, GeoJSON and GeoPackage alike."""
    return {
        "zone_id": z.zone_id,
        "controller": z.controller,
        "valid_from": z.valid_from.isoformat(),
        "valid_to": z.valid_to.isoformat() if z.valid_to else None,
        "label": z.label,
        "source": z.source,
        "confidence": z.confidence,
        "notes": z.notes,
        "status": zone_status(z),
    }


def zone_status(zone: ZoneVersion) -> str:
    """ "held" or "contested": the ``status`` property, else read from the controller."""
    status = zone.extra.get("status")
    if status in STATUSES:
        return str(status)
    return "contested" if zone.controller.strip().lower().startswith("contested") else "held"


def zone_sources(zone: ZoneVersion) -> list[str]:
    """The sources a zone cites, one string each: the ``sources`` list, else ``source`` split."""
    listed = zone.extra.get("sources")
    if isinstance(listed, list) and listed:
        return [str(s) for s in listed]
    return [s.strip() for s in zone.source.split(SOURCE_SEP) if s.strip()]


def coverage_start(zones: Sequence[ZoneVersion]) -> date | None:
    """The first day any zone covers (2019-03-23 for the bundled file); None without zones."""
    return min((z.valid_from for z in zones), default=None)


def coverage_note(zones: Sequence[ZoneVersion], day: date) -> str | None:
    """What the map should say when it has no zones to draw for ``day``, else None.

    Why: an empty map before the first version reads as "nobody held anything"; the analyst
    must be told the layer starts later (e.g. "no control data before 2019-03-23").
    """
    start = coverage_start(zones)
    if start is None:
        return "no control data loaded"
    if day < start:
        return f"no control data before {start.isoformat()}"
    if not zones_as_of(list(zones), day):
        return f"no control data for {day.isoformat()}"
    return None


@dataclass(frozen=True)
class Holding:
    """Who held a place on a day, with what the detail panel cites for it."""

    zone_id: str
    controller: str
    label: str
    status: str
    confidence: str
    sources: tuple[str, ...]
    notes: str
    valid_from: date
    valid_to: date | None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON (ISO dates; ``valid_to`` None while the version still holds), e.g. for a Dash store."""
        return {
            "zone_id": self.zone_id,
            "controller": self.controller,
            "label": self.label,
            "status": self.status,
            "confidence": self.confidence,
            "sources": list(self.sources),
            "notes": self.notes,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


def held_at(zones: Sequence[ZoneVersion], day: date, lon: float, lat: float) -> Holding | None:
    """Who held the point (lon, lat) on ``day``: controller, status, confidence and sources.

    None outside every zone or outside the covered dates (``coverage_note`` says which). Same
    answer as ``assign_zone(zones_as_of(zones, day), lon, lat)``, border tie-break included.
    """
    zone = assign_zone(zones_as_of(list(zones), day), lon, lat)
    if zone is None:
        return None
    return Holding(
        zone_id=zone.zone_id,
        controller=zone.controller,
        label=zone.label,
        status=zone_status(zone),
        confidence=zone.confidence,
        sources=tuple(zone_sources(zone)),
        notes=zone.notes,
        valid_from=zone.valid_from,
        valid_to=zone.valid_to,
    )


@dataclass(frozen=True)
class ControlChange:
    """A day when control changed, named for the timeline, with what it rests on."""

    day: date
    label: str
    zone_ids: tuple[str, ...]  # versions starting that day
    status: str  # "contested" if any of them is contested, else "held"
    confidence: str  # the lowest among them
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON (ISO date), e.g. for a Dash store."""
        return {
            "day": self.day.isoformat(),
            "label": self.label,
            "zone_ids": list(self.zone_ids),
            "status": self.status,
            "confidence": self.confidence,
            "sources": list(self.sources),
        }


def control_changes(zones: Sequence[ZoneVersion]) -> list[ControlChange]:
    """``zone_changes`` with a short label per day ("7 villages contested", "Gov't takes east bank").

    The label is the ``change_label`` of the versions starting that day; for files without one
    (or zones read back from a store that kept only the required columns) it falls back to
    the labels of those versions, or "end of ..." when a version closes with no successor.
    """
    out = []
    for day in zone_changes(list(zones)):
        started = sorted((z for z in zones if z.valid_from == day), key=lambda z: z.zone_id)
        ended = sorted(
            (z for z in zones if z.valid_to is not None and z.valid_to + timedelta(days=1) == day),
            key=lambda z: z.zone_id,
        )
        named = [str(z.extra["change_label"]) for z in started if z.extra.get("change_label")]
        if named:
            label = named[0]
        elif started:
            label = "; ".join(dict.fromkeys(z.label for z in started))
        else:
            label = "end of " + "; ".join(dict.fromkeys(z.label for z in ended))
        sources = tuple(dict.fromkeys(s for z in started for s in zone_sources(z)))
        confidences = [z.confidence for z in started]
        out.append(
            ControlChange(
                day=day,
                label=label,
                zone_ids=tuple(z.zone_id for z in started),
                status="contested" if any(zone_status(z) == "contested" for z in started) else "held",
                confidence=min(confidences, key=_confidence_rank) if confidences else "unstated",
                sources=sources,
            )
        )
    return out


def _confidence_rank(value: str) -> int:
    return CONFIDENCE_ORDER.index(value) if value in CONFIDENCE_ORDER else -1
