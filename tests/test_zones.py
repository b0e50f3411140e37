"""Zones: the bundled layer answers the questions the map asks, and bad files are refused clearly."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from conflictmap.zones import (
    ZonesError,
    assign_zone,
    assign_zones,
    load_zones,
    zone_changes,
    zones_as_of,
    zones_geojson,
)

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data" / "zones.geojson"

SDF = "SDF"
REGIME = "Syrian regime and Iran-backed militias"
STG = "Syrian transitional government"

# Points chosen well away from the river and the pocket's edge.
EAST_BANK = (40.60, 35.60)  # north-east of the river, between Euphrates and Khabur
WEST_BANK = (40.00, 35.00)  # the Shamiya desert side
CITY = (40.141, 35.336)  # Deir ez-Zor city, right bank
POCKET = (40.23, 35.31)  # between Marrat and Hatla, opposite the city
ABU_KAMAL = (40.93667, 34.45361)  # right-bank town the coarse river line puts on the left bank


@pytest.fixture(scope="module")
def bundled():
    return load_zones(BUNDLED)


def controller(zones, day, lon, lat):
    z = assign_zone(zones_as_of(zones, day), lon, lat)
    return z.controller if z else None


def test_bundled_file_loads_clean(bundled):
    assert bundled.warnings == []
    assert {z.controller for z in bundled.zones} == {SDF, REGIME, STG}
    for z in bundled.zones:
        assert z.geometry.is_valid and z.geometry.geom_type in ("Polygon", "MultiPolygon")
        assert z.confidence in ("medium", "low") and z.notes and z.source


def test_build_is_reproducible():
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_zones.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize(
    ("day", "point", "expected"),
    [
        (date(2021, 6, 1), EAST_BANK, SDF),
        (date(2021, 6, 1), WEST_BANK, REGIME),
        (date(2021, 6, 1), CITY, REGIME),
        (date(2021, 6, 1), POCKET, REGIME),
        (date(2021, 6, 1), ABU_KAMAL, REGIME),
        (date(2025, 3, 1), EAST_BANK, SDF),
        (date(2025, 3, 1), WEST_BANK, STG),
        (date(2025, 3, 1), CITY, STG),
        (date(2025, 3, 1), POCKET, STG),
        (date(2025, 3, 1), (38.0, 33.0), None),  # outside the governorate
    ],
)
def test_points_in_each_bank_and_pocket(bundled, day, point, expected):
    assert controller(bundled.zones, day, *point) == expected


def test_pocket_is_on_the_east_bank_opposite_the_city(bundled):
    pocket = next(z for z in bundled.zones if z.zone_id == "dy-pocket-2019")
    east = next(z for z in bundled.zones if z.zone_id == "dy-east-2019")
    west = next(z for z in bundled.zones if z.zone_id == "dy-west-2019")
    assert pocket.geometry.intersection(west.geometry).area < 1e-9
    assert pocket.geometry.intersection(east.geometry).area < 1e-9
    assert pocket.geometry.distance(shapely.Point(CITY)) < 0.03  # within ~3 km, across the water
    assert not pocket.geometry.contains(shapely.Point(CITY))


@pytest.mark.parametrize("day", [date(2020, 1, 1), date(2025, 1, 1)])
def test_zones_of_a_day_tile_the_governorate(bundled, day):
    geoms = [z.geometry for z in zones_as_of(bundled.zones, day)]
    assert bool(shapely.coverage_is_valid(np.array(geoms, dtype=object)))  # no overlaps, shared edges match
    union = shapely.union_all(geoms)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no pinholes
    gov = shape(
        next(
            f["geometry"]
            for f in json.loads((ROOT / "data" / "ne10m_admin1_syria.geojson").read_text())["features"]
            if f["properties"]["iso_3166_2"] == "SY-DY"
        )
    )
    assert union.symmetric_difference(gov).area < 1e-4  # snapping to a 1e-5 deg grid moves the edge a little


def gazetteer():
    with (ROOT / "data" / "deirezzor_places.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


SEVEN = {
    "Al-Husayniyah",
    "Al-Salihiyah (Deir ez-Zor)",
    "Hatla",
    "Marrat",
    "Mazlum",
    "Khasham",
    "Tabiyah Jazira",
}


def test_gazetteer_places_fall_on_their_tagged_bank(bundled):
    now = zones_as_of(bundled.zones, date(2020, 6, 1))
    checked = 0
    for row in gazetteer():
        zone = assign_zone(now, float(row["longitude"]), float(row["latitude"]))
        if zone is None or not row["bank"]:
            continue
        checked += 1
        expected = "west" if zone.zone_id == "dy-west-2019" else "east"  # the pocket lies on the east bank
        assert row["bank"] == expected, row["name"]
        assert (zone.zone_id == "dy-pocket-2019") == (row["name"] in SEVEN), row["name"]
    assert checked > 100


def test_as_of_boundary_days(bundled):
    def ids(day):
        return sorted(z.zone_id for z in zones_as_of(bundled.zones, day))

    assert ids(date(2019, 3, 22)) == []
    assert ids(date(2019, 3, 23)) == ["dy-east-2019", "dy-pocket-2019", "dy-west-2019"]
    assert ids(date(2024, 12, 5)) == ["dy-east-2019", "dy-pocket-2019", "dy-west-2019"]
    assert ids(date(2024, 12, 6)) == ["dy-east-2024", "dy-pocket-2024", "dy-west-2024"]
    assert ids(date(2030, 1, 1)) == ["dy-east-2024", "dy-pocket-2024", "dy-west-2024"]
    assert zone_changes(bundled.zones) == [date(2024, 12, 6)]


def test_point_on_shared_border_takes_lowest_zone_id(bundled):
    now = zones_as_of(bundled.zones, date(2021, 1, 1))
    east = next(z for z in now if z.zone_id == "dy-east-2019")
    west = next(z for z in now if z.zone_id == "dy-west-2019")
    border = east.geometry.boundary.intersection(west.geometry.boundary)
    x, y = shapely.get_coordinates(border)[len(shapely.get_coordinates(border)) // 2]
    assert east.geometry.covers(shapely.Point(x, y)) and west.geometry.covers(shapely.Point(x, y))
    assert assign_zone(now, x, y).zone_id == "dy-east-2019"  # "dy-east" < "dy-west"
    assert assign_zone(list(reversed(now)), x, y).zone_id == "dy-east-2019"  # order of the list is irrelevant
    assert assign_zones(now, [x], [y]) == ["dy-east-2019"]


def test_vectorised_matches_scalar(bundled):
    now = zones_as_of(bundled.zones, date(2022, 1, 1))
    rng = np.random.default_rng(7)
    lons = np.append(rng.uniform(39.0, 41.5, 2000), [np.nan, 40.0])
    lats = np.append(rng.uniform(33.9, 36.6, 2000), [35.0, np.nan])
    bulk = assign_zones(now, lons, lats)
    one = [assign_zone(now, lo, la) for lo, la in zip(lons, lats, strict=True)]
    assert bulk == [z.zone_id if z else None for z in one]
    assert bulk[-2:] == [None, None]
    assert {b for b in bulk if b} == {"dy-east-2019", "dy-west-2019", "dy-pocket-2019"}


def test_zones_geojson_for_the_browser(bundled):
    fc = zones_geojson(bundled.zones)
    assert [f["id"] for f in fc["features"]] == [z.zone_id for z in bundled.zones]
    f0 = fc["features"][0]["properties"]
    assert f0["id"] == f0["zone_id"] and f0["valid_from"] == "2019-03-23"
    json.dumps(fc)  # plain JSON types only
    small = zones_geojson(bundled.zones, max_vertices=900)
    n = sum(len(shapely.get_coordinates(shape(f["geometry"]))) for f in small["features"])
    assert n <= 900
    assert all(shape(f["geometry"]).is_valid for f in small["features"])


# ---- bad files -------------------------------------------------------------------------------------

SQUARE = [[[40.0, 35.0], [40.5, 35.0], [40.5, 35.5], [40.0, 35.5], [40.0, 35.0]]]


def feature(zone_id="z1", coords=None, **props):
    p = {
        "zone_id": zone_id,
        "controller": SDF,
        "valid_from": "2020-01-01",
        "valid_to": None,
        "label": "test zone",
        "confidence": "low",
    }
    p.update(props)
    p = {k: v for k, v in p.items() if v != "DROP"}
    return {
        "type": "Feature",
        "properties": p,
        "geometry": {"type": "Polygon", "coordinates": coords or SQUARE},
    }


def write(tmp_path, features, **top):
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", **top, "features": features}))
    return path


def test_missing_property_named(tmp_path):
    path = write(tmp_path, [feature(), feature("z2", controller="DROP", valid_to="DROP")])
    with pytest.raises(ZonesError) as err:
        load_zones(path)
    msg = str(err.value)
    assert str(path) in msg and "feature 1" in msg and "'z2'" in msg
    assert "controller" in msg and "valid_to" in msg


def test_whole_file_refused_and_every_problem_listed(tmp_path):
    path = write(
        tmp_path, [feature("a", valid_from="2021-01-01", valid_to="2020-01-01"), feature("b"), feature("b")]
    )
    with pytest.raises(ZonesError) as err:
        load_zones(path)
    msg = str(err.value)
    assert "feature 0" in msg and "after valid_to" in msg
    assert "feature 2" in msg and "duplicate zone_id" in msg


def test_bowtie_repaired_with_warning(tmp_path):
    bowtie = [[[40.0, 35.0], [40.5, 35.5], [40.5, 35.0], [40.0, 35.5], [40.0, 35.0]]]
    path = write(tmp_path, [feature("bow", coords=bowtie)])
    load = load_zones(path)
    (z,) = load.zones
    assert z.geometry.is_valid and z.geometry.area == pytest.approx(0.125)
    assert len(load.warnings) == 1 and "'bow'" in load.warnings[0] and "make_valid" in load.warnings[0]
    assert assign_zone(load.zones, 40.1, 35.25).zone_id == "bow"  # inside the left lobe


def test_degenerate_polygon_refused(tmp_path):
    flat = [[[40.0, 35.0], [40.5, 35.0], [40.2, 35.0], [40.0, 35.0]]]
    with pytest.raises(ZonesError, match="no polygonal area"):
        load_zones(write(tmp_path, [feature("flat", coords=flat)]))


def test_swapped_lon_lat_caught(tmp_path):
    swapped = [[[y, x] for x, y in SQUARE[0]]]
    with pytest.raises(ZonesError, match="looks like lat/lon swapped"):
        load_zones(write(tmp_path, [feature("sw", coords=swapped)]))


def test_projected_coordinates_refused(tmp_path):
    metres = [[[x * 111_000, y * 111_000] for x, y in SQUARE[0]]]
    with pytest.raises(ZonesError, match="out of lon/lat range"):
        load_zones(write(tmp_path, [feature("m", coords=metres)]))


def test_wrong_crs_refused_wgs84_accepted(tmp_path):
    utm = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32637"}}
    with pytest.raises(ZonesError, match="not WGS84"):
        load_zones(write(tmp_path, [feature()], crs=utm))
    crs84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert len(load_zones(write(tmp_path, [feature()], crs=crs84)).zones) == 1


def test_invalid_json_names_the_file(tmp_path):
    path = tmp_path / "broken-zones.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(ZonesError) as err:
        load_zones(path)
    assert "broken-zones.geojson" in str(err.value) and "not valid JSON" in str(err.value)


def test_missing_file_is_a_zones_error(tmp_path):
    with pytest.raises(ZonesError, match="cannot read"):
        load_zones(tmp_path / "nope.geojson")


def test_overlapping_zones_on_same_day_warned(tmp_path):
    shifted = [[[x + 0.25, y] for x, y in SQUARE[0]]]
    later = feature("c", coords=shifted, valid_from="2030-01-01")
    a, b = feature("a", valid_to="2025-12-31"), feature("b", coords=shifted, valid_to="2025-12-31")
    load = load_zones(write(tmp_path, [a, b, later]))
    assert len(load.warnings) == 1 and "'a'" in load.warnings[0] and "'b'" in load.warnings[0]
    assert assign_zone(load.zones, 40.4, 35.2).zone_id == "a"


def test_zone_changes_include_the_day_after_a_closure_without_successor():
    from datetime import date as _date

    from shapely.geometry import box as _box

    from conflictmap.models import ZoneVersion as _ZV
    from conflictmap.zones import zone_changes as _changes

    versions = [
        _ZV("a", "X", _date(2019, 1, 1), _date(2020, 6, 30), "a", _box(0, 0, 1, 1)),
        _ZV("b", "Y", _date(2019, 1, 1), None, "b", _box(1, 0, 2, 1)),
    ]
    assert _changes(versions) == [_date(2020, 7, 1)]
