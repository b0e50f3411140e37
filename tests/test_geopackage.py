"""GeoPackage exports, opened the way a GIS user opens them (geopandas / GDAL): the incidents of
a view as points, and the control zones with their whole version history."""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import pytest

from conflictmap.config import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from app import create_app

    return create_app(Settings(data_dir=tmp_path_factory.mktemp("gpkg"))).server.test_client()


def _read(body: bytes, tmp_path, name: str) -> gpd.GeoDataFrame:
    path = tmp_path / name
    path.write_bytes(body)
    return gpd.read_file(path)


def test_events_gpkg_holds_the_views_incidents_as_points(client, tmp_path):
    query = "type=battle&start=2023-01-01&end=2024-12-31"
    resp = client.get(f"/api/events.gpkg?{query}&download=1")
    assert resp.status_code == 200 and resp.mimetype == "application/geopackage+sqlite3"
    assert (
        resp.headers["Content-Disposition"].startswith("attachment;")
        and ".gpkg" in resp.headers["Content-Disposition"]
    )
    frame = _read(resp.data, tmp_path, "events.gpkg")
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/events.csv?{query}").data.decode("utf-8"))))
    assert len(frame) == len(rows) > 0
    assert frame.crs.to_epsg() == 4326
    assert {"event_date", "event_type", "fatalities", "incident_id", "extractor_version"} <= set(
        frame.columns
    )
    assert set(frame["event_type"]) == {"Battles"}
    by_id = {r["incident_id"]: r for r in rows}
    for _, row in frame.head(5).iterrows():
        src = by_id[row["incident_id"]]
        assert (round(row.geometry.y, 4), round(row.geometry.x, 4)) == (
            round(float(src["latitude"]), 4),
            round(float(src["longitude"]), 4),
        )


def test_zones_gpkg_holds_every_version_with_its_dates(client, tmp_path):
    resp = client.get("/api/zones.gpkg")
    assert resp.status_code == 200
    frame = _read(resp.data, tmp_path, "zones.gpkg")
    meta = client.get("/api/meta").get_json()
    assert len(frame) >= meta["counts"]["zones"] == 11  # one row per zone version, not one date
    assert frame.crs.to_epsg() == 4326 and frame.geometry.is_valid.all()
    assert {"controller", "status", "valid_from", "valid_to"} <= set(frame.columns)
    # the history reaches January 2026, when the transitional government took both banks
    assert frame["valid_from"].max() >= "2026-01-01"
    assert frame["valid_to"].isna().any()  # versions still valid today have no end


def test_gpkg_routes_refuse_parameters_they_do_not_read(client):
    assert client.get("/api/zones.gpkg?as_of=2024-01-01").status_code == 400
    assert client.get("/api/events.gpkg?type=battles").status_code == 400
