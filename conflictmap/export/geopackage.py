"""GeoPackage exports for GIS users (QGIS opens them as they are): the incidents of a view, and
every version of the control zones with its dates, so a time slider can replay who held what.

Written through geopandas and pyogrio (GDAL's GPKG driver): the format is SQLite with spatial
tables, which a hand-written writer would only approximate. Coordinates are WGS84 (EPSG:4326),
the same as the GeoJSON exports.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import Point

from conflictmap.geo.zones import zone_record
from conflictmap.models import ZoneVersion

CRS = "EPSG:4326"
ZONE_COLUMNS = (
    "zone_id",
    "controller",
    "status",
    "valid_from",
    "valid_to",
    "label",
    "source",
    "confidence",
    "notes",
)


def _bytes_of(frame: gpd.GeoDataFrame, layer: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="conflictmap-gpkg-") as tmp:
        path = Path(tmp) / f"{layer}.gpkg"
        frame.to_file(path, driver="GPKG", layer=layer, engine="pyogrio")
        return path.read_bytes()


def _cell(value: Any) -> Any:
    """GPKG columns take plain scalars: lists and dicts become their text."""
    if isinstance(value, list | tuple | dict):
        return str(value)
    return value


def events_gpkg(rows: Iterable[dict[str, Any]]) -> bytes:
    """One point per incident row (``tables.export_rows``: ACLED columns and provenance); a row
    without coordinates keeps its attributes with an empty geometry."""
    rows = list(rows)
    geometry = [
        Point(float(r["longitude"]), float(r["latitude"]))
        if r.get("latitude") is not None and r.get("longitude") is not None
        else None
        for r in rows
    ]
    records = [{k: _cell(v) for k, v in r.items()} for r in rows]
    frame = gpd.GeoDataFrame(records, geometry=geometry, crs=CRS)
    return _bytes_of(frame, "incidents")


def zones_gpkg(versions: Iterable[ZoneVersion]) -> bytes:
    """Every zone version (the whole history, not one date): controller, status and the days it
    was valid (``valid_to`` empty while it still holds)."""
    versions = list(versions)
    records = [zone_record(z) for z in versions]
    frame = gpd.GeoDataFrame(
        records, columns=list(ZONE_COLUMNS), geometry=[z.geometry for z in versions], crs=CRS
    )
    return _bytes_of(frame, "zone_versions")
