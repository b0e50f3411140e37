"""Background layers for the map: countries, governorates, Deir ez-Zor's outline, rivers, lakes.

The basemap is decoration, not evidence: a missing or broken file must never stop the app, so
``load_basemap`` turns every failure into that layer being ``None`` plus a message in
``errors`` (also logged). Coordinates are rounded (4 decimals, ~11 m, far below the source
data's own accuracy) and properties trimmed, because these dicts travel to the browser in
every map figure.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape

log = logging.getLogger(__name__)

COUNTRIES_FILE = "ne10m_admin0_syria_neighbours.geojson"
GOVERNORATES_FILE = "ne10m_admin1_syria.geojson"
RIVERS_FILE = "rivers_euphrates_khabur.geojson"
LAKES_FILE = "ne10m_lakes_syria.geojson"
DEIR_EZ_ZOR_ISO = "SY-DY"
DECIMALS = 4
# Simplification tolerance in degrees per layer: ~200 m is invisible at the regional zoom. Rivers
# and Deir ez-Zor's own outline keep every vertex: the zones are cut from them.
SIMPLIFY = {"countries": 0.002, "governorates": 0.002}
# Country outlines are drawn as lines, so they are sent as their boundaries cut to the region
# around Syria: the coasts of Cyprus and the far side of Saudi Arabia cost the browser time on
# every draw and are never on screen at the map's zooms. (lon_min, lat_min, lon_max, lat_max)
CLIP_LINES = {"countries": (32.5, 29.0, 46.5, 40.0)}

# Properties worth sending to the browser (names for hover text), by layer; the rest is dropped.
KEEP = {
    "countries": {"NAME_EN": "name", "NAME_AR": "name_ar", "ISO_A2": "iso"},
    "governorates": {"name_en": "name", "name_ar": "name_ar", "iso_3166_2": "iso"},
    "rivers": {"name": "name", "name_ar": "name_ar"},
    "lakes": {"name": "name"},
}


@dataclass
class Basemap:
    """The basemap layers as GeoJSON dicts ready for the browser; a layer that could not be read is
    None, with the reason in ``errors``."""

    countries: dict | None
    governorates: dict | None
    deir_ez_zor: dict | None
    rivers: dict | None
    lakes: dict | None
    errors: list[str] = field(default_factory=list)


def load_basemap(data_dir: Path) -> Basemap:
    """Read the basemap layers from ``data_dir``; never raises for a bad or missing file."""
    data_dir = Path(data_dir)
    errors: list[str] = []
    countries = _layer(data_dir / COUNTRIES_FILE, "countries", errors)
    governorates = _layer(data_dir / GOVERNORATES_FILE, "governorates", errors)
    rivers = _layer(data_dir / RIVERS_FILE, "rivers", errors)
    lakes = _layer(data_dir / LAKES_FILE, "lakes", errors)
    deir_ez_zor = None
    if governorates is not None:
        feats = [f for f in governorates["features"] if f["properties"].get("iso") == DEIR_EZ_ZOR_ISO]
        if feats:
            deir_ez_zor = {"type": "FeatureCollection", "features": feats}
        else:
            _fail(errors, f"{data_dir / GOVERNORATES_FILE}: no feature with iso_3166_2={DEIR_EZ_ZOR_ISO}")
    return Basemap(countries, governorates, deir_ez_zor, rivers, lakes, errors)


def _fail(errors: list[str], msg: str) -> None:
    errors.append(msg)
    log.warning("basemap: %s", msg)


def _layer(path: Path, kind: str, errors: list[str]) -> dict | None:
    """One layer as a trimmed FeatureCollection, or None with the reason in ``errors``."""
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        _fail(errors, f"{path}: {kind} layer file is missing; the map is drawn without it")
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(errors, f"{path}: {kind} layer unreadable ({exc}); the map is drawn without it")
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        _fail(errors, f"{path}: {kind} layer is not a GeoJSON FeatureCollection")
        return None
    features = []
    for i, feat in enumerate(doc["features"]):
        try:
            geom = feat["geometry"]
            if kind in SIMPLIFY or kind in CLIP_LINES:
                g = shape(geom)
                # Deir ez-Zor itself keeps every vertex: the zones are cut from that polygon.
                exact = (feat.get("properties") or {}).get("iso_3166_2") == DEIR_EZ_ZOR_ISO
                if kind in SIMPLIFY and not exact:
                    g = shapely.simplify(g, SIMPLIFY[kind], preserve_topology=True)
                if kind in CLIP_LINES:
                    g = shapely.clip_by_rect(g.boundary, *CLIP_LINES[kind])
                    if g.is_empty:
                        continue
                geom = mapping(g)
            coords = _round(_lists(geom["coordinates"]))
            props = feat.get("properties") or {}
            keep = {new: props[old] for old, new in KEEP[kind].items() if props.get(old) not in (None, "")}
            features.append(
                {
                    "type": "Feature",
                    "properties": keep,
                    "geometry": {"type": geom["type"], "coordinates": coords},
                }
            )
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
            _fail(errors, f"{path}: {kind} feature {i} skipped: malformed ({exc!r})")
    if not features:
        _fail(errors, f"{path}: {kind} layer has no usable features")
        return None
    return {"type": "FeatureCollection", "features": features}


def _lists(coords: Any) -> Any:
    """Tuples (from shapely's ``mapping``) to lists, so the output is plain JSON-shaped data."""
    if isinstance(coords, list | tuple):
        return [_lists(c) for c in coords]
    return coords


def _round(coords: Any) -> Any:
    """Round nested coordinate arrays; raises on anything that is not numbers in lists."""
    if isinstance(coords, list) and coords and isinstance(coords[0], int | float):
        if len(coords) < 2:
            raise ValueError("position with fewer than 2 numbers")
        return [round(float(c), DECIMALS) for c in coords[:2]]
    if isinstance(coords, list):
        return [_round(c) for c in coords]
    raise ValueError(f"unexpected coordinate value {coords!r}")
