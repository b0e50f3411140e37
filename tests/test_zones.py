"""Zones: the bundled layer answers the questions the map asks, and bad files are refused clearly.

The bundled versions follow ../shared/design/ZONES-HISTORY.md: the boundary-day tests pin each
change to the day the sources give, so an edit of data/zone_changes.csv that moves a date fails here.
"""

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

from conflictmap.geo.zones import (
    ZonesError,
    assign_zone,
    assign_zones,
    control_changes,
    coverage_note,
    coverage_start,
    held_at,
    load_zones,
    zone_changes,
    zone_sources,
    zone_status,
    zones_as_of,
    zones_geojson,
)

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data" / "zones.geojson"

SDF = "SDF"
REGIME = "Syrian regime and Iran-backed militias"
STG = "Syrian transitional government"
CONTESTED = "Contested"

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
    assert {z.controller for z in bundled.zones} == {SDF, REGIME, STG, CONTESTED}
    for z in bundled.zones:
        assert z.geometry.is_valid and z.geometry.geom_type in ("Polygon", "MultiPolygon")
        assert z.confidence in ("high", "medium", "low") and z.notes and z.source


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
        (date(2025, 3, 1), POCKET, SDF),  # the SDF kept the seven villages after December 2024
        (date(2025, 3, 1), (38.0, 33.0), None),  # outside the governorate
    ],
)
def test_points_in_each_bank_and_pocket(bundled, day, point, expected):
    assert controller(bundled.zones, day, *point) == expected


def test_pocket_is_on_the_east_bank_opposite_the_city(bundled):
    pocket = next(z for z in bundled.zones if z.zone_id == "dy-pocket-2019-03-23")
    east = next(z for z in bundled.zones if z.zone_id == "dy-east-2019-03-23")
    west = next(z for z in bundled.zones if z.zone_id == "dy-west-2019-03-23")
    assert pocket.geometry.intersection(west.geometry).area < 1e-9
    assert pocket.geometry.intersection(east.geometry).area < 1e-9
    assert pocket.geometry.distance(shapely.Point(CITY)) < 0.03  # within ~3 km, across the water
    assert not pocket.geometry.contains(shapely.Point(CITY))


@pytest.mark.parametrize(
    "day",
    [
        date(2020, 1, 1),
        date(2024, 12, 4),
        date(2024, 12, 8),
        date(2025, 1, 1),
        date(2026, 1, 18),
        date(2026, 3, 1),
    ],
)
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
        expected = (
            "west" if zone.zone_id == "dy-west-2019-03-23" else "east"
        )  # the pocket lies on the east bank
        assert row["bank"] == expected, row["name"]
        assert (zone.zone_id == "dy-pocket-2019-03-23") == (row["name"] in SEVEN), row["name"]
    assert checked > 100


def test_as_of_boundary_days(bundled):
    def ids(day):
        return sorted(z.zone_id for z in zones_as_of(bundled.zones, day))

    assert ids(date(2019, 3, 22)) == []
    first = ["dy-east-2019-03-23", "dy-pocket-2019-03-23", "dy-west-2019-03-23"]
    assert ids(date(2019, 3, 23)) == ids(date(2024, 12, 2)) == first
    assert ids(date(2030, 1, 1)) == ["dy-east-2026-01-19", "dy-pocket-2026-01-19", "dy-west-2024-12-11"]
    assert zone_changes(bundled.zones) == [
        date(2024, 12, 3),
        date(2024, 12, 6),
        date(2024, 12, 11),
        date(2026, 1, 17),
        date(2026, 1, 19),
    ]


# (controller, status) on the days either side of each change in ZONES-HISTORY.md.
HELD_SDF, HELD_REGIME, HELD_STG = (SDF, "held"), (REGIME, "held"), (STG, "held")
DISPUTED = (CONTESTED, "contested")


@pytest.mark.parametrize(
    ("day", "pocket", "city", "east", "west"),
    [
        (date(2024, 12, 2), HELD_REGIME, HELD_REGIME, HELD_SDF, HELD_REGIME),
        (date(2024, 12, 3), DISPUTED, HELD_REGIME, HELD_SDF, HELD_REGIME),  # SDF moves on the seven villages
        (date(2024, 12, 5), DISPUTED, HELD_REGIME, HELD_SDF, HELD_REGIME),
        (date(2024, 12, 6), HELD_SDF, HELD_SDF, HELD_SDF, HELD_SDF),  # regime leaves; SDF/DMC in the city
        (date(2024, 12, 10), HELD_SDF, HELD_SDF, HELD_SDF, HELD_SDF),
        (
            date(2024, 12, 11),
            HELD_SDF,
            HELD_STG,
            HELD_SDF,
            HELD_STG,
        ),  # transitional government takes the west
        (date(2026, 1, 16), HELD_SDF, HELD_STG, HELD_SDF, HELD_STG),
        (date(2026, 1, 17), DISPUTED, HELD_STG, DISPUTED, HELD_STG),  # tribal uprising east of the river
        (date(2026, 1, 18), DISPUTED, HELD_STG, DISPUTED, HELD_STG),
        (date(2026, 1, 19), HELD_STG, HELD_STG, HELD_STG, HELD_STG),  # the army crosses; no SDF left
        (date(2026, 1, 20), HELD_STG, HELD_STG, HELD_STG, HELD_STG),
    ],
)
def test_who_held_what_on_the_boundary_days(bundled, day, pocket, city, east, west):
    got = {
        name: held_at(bundled.zones, day, *point)
        for name, point in (("pocket", POCKET), ("city", CITY), ("east", EAST_BANK), ("west", WEST_BANK))
    }
    assert {k: (h.controller, h.status) for k, h in got.items()} == {
        "pocket": pocket,
        "city": city,
        "east": east,
        "west": west,
    }


def test_held_at_matches_assign_zone_and_cites_its_sources(bundled):
    day = date(2024, 12, 4)
    zone = assign_zone(zones_as_of(bundled.zones, day), *POCKET)
    held = held_at(bundled.zones, day, *POCKET)
    assert held.zone_id == zone.zone_id == "dy-pocket-2024-12-03"
    assert held.confidence == "low" and held.status == "contested"
    assert any("rudaw.net" in s for s in held.sources)
    assert held.as_dict()["valid_to"] == "2024-12-05"
    json.dumps(held.as_dict())  # plain JSON for a Dash store
    assert held_at(bundled.zones, date(2019, 1, 1), *POCKET) is None  # before the layer starts
    assert held_at(bundled.zones, day, 38.0, 33.0) is None  # outside the governorate


def test_contested_versions_are_marked_low_and_name_the_claimants(bundled):
    contested = [z for z in bundled.zones if zone_status(z) == "contested"]
    assert sorted(z.zone_id for z in contested) == [
        "dy-east-2026-01-17",
        "dy-pocket-2024-12-03",
        "dy-pocket-2026-01-17",
    ]
    assert {z.confidence for z in contested} == {"low"}
    assert {z.controller for z in contested} == {CONTESTED}
    claimants = {z.zone_id: z.extra["contested_by"] for z in contested}
    assert claimants["dy-pocket-2024-12-03"] == [SDF, REGIME]
    assert claimants["dy-east-2026-01-17"] == [SDF, STG]
    held = [z for z in bundled.zones if zone_status(z) == "held"]
    assert len(held) == len(bundled.zones) - 3 and not any("contested_by" in z.extra for z in held)


def test_every_version_cites_its_sources(bundled):
    """Each feature lists its sources and joins the same in ``source`` (what a plain store keeps)."""
    raw = json.loads(BUNDLED.read_text(encoding="utf-8"))["features"]
    assert len(raw) == len(bundled.zones) == 11
    without = [f["properties"]["zone_id"] for f in raw if not f["properties"]["sources"]]
    assert without == []
    assert all(f["properties"]["source"] == " | ".join(f["properties"]["sources"]) for f in raw)
    assert all(zone_sources(z) == z.extra["sources"] for z in bundled.zones)
    cited = {s for f in raw for s in f["properties"]["sources"]}
    assert any("aljazeera.com/news/2024/12/11" in s for s in cited)  # the city's fall, 10-11 Dec 2024
    assert any("hurriyetdailynews.com" in s for s in cited)  # the army's deployment, 19 Jan 2026
    last = {z.zone_id: z for z in bundled.zones}["dy-east-2026-01-19"]
    assert last.valid_to is None and "as last reported on 2026-02-25" in last.notes


def test_control_changes_have_short_labels(bundled):
    changes = control_changes(bundled.zones)
    assert [(c.day, c.label, c.status) for c in changes] == [
        (date(2024, 12, 3), "7 villages contested", "contested"),
        (date(2024, 12, 6), "SDF takes city and west bank", "held"),
        (date(2024, 12, 11), "Gov't takes west bank", "held"),
        (date(2026, 1, 17), "East bank contested", "contested"),
        (date(2026, 1, 19), "Gov't takes east bank", "held"),
    ]
    assert [c.day for c in changes] == zone_changes(bundled.zones)
    assert changes[0].confidence == "low" and changes[0].sources
    assert changes[-1].zone_ids == ("dy-east-2026-01-19", "dy-pocket-2026-01-19")
    json.dumps([c.as_dict() for c in changes])


def test_first_covered_day_and_what_the_map_says_before_it(bundled):
    assert coverage_start(bundled.zones) == date(2019, 3, 23)
    assert coverage_note(bundled.zones, date(2019, 3, 22)) == "no control data before 2019-03-23"
    assert coverage_note(bundled.zones, date(2019, 3, 23)) is None
    assert coverage_note(bundled.zones, date(2030, 1, 1)) is None  # the last versions are open-ended
    assert coverage_start([]) is None and coverage_note([], date(2020, 1, 1)) == "no control data loaded"


def test_status_and_sources_survive_a_store_that_keeps_only_the_required_columns(bundled):
    """The store keeps zone_id..notes; status comes back from the controller, sources from ``source``."""
    from dataclasses import replace

    plain = [replace(z, extra={}) for z in bundled.zones]
    assert [zone_status(z) for z in plain] == [zone_status(z) for z in bundled.zones]
    assert [zone_sources(z) for z in plain] == [zone_sources(z) for z in bundled.zones]
    fc = zones_geojson(zones_as_of(plain, date(2024, 12, 4)))
    pocket = next(f["properties"] for f in fc["features"] if f["id"] == "dy-pocket-2024-12-03")
    assert pocket["status"] == "contested" and pocket["sources"] and pocket["confidence"] == "low"
    labels = [c.label for c in control_changes(plain)]  # no change_label: the versions' own labels
    assert (
        labels[0] == "Seven villages (east bank): contested (SDF vs Syrian regime and Iran-backed militias)"
    )


def test_zones_geojson_carries_provenance(bundled):
    fc = zones_geojson(zones_as_of(bundled.zones, date(2026, 1, 17)))
    props = {f["id"]: f["properties"] for f in fc["features"]}
    assert props["dy-east-2026-01-17"]["status"] == "contested"
    assert props["dy-east-2026-01-17"]["change_label"] == "East bank contested"
    assert props["dy-west-2024-12-11"]["status"] == "held" and props["dy-west-2024-12-11"]["sources"]


def test_point_on_shared_border_takes_lowest_zone_id(bundled):
    now = zones_as_of(bundled.zones, date(2021, 1, 1))
    east = next(z for z in now if z.zone_id == "dy-east-2019-03-23")
    west = next(z for z in now if z.zone_id == "dy-west-2019-03-23")
    border = east.geometry.boundary.intersection(west.geometry.boundary)
    x, y = shapely.get_coordinates(border)[len(shapely.get_coordinates(border)) // 2]
    assert east.geometry.covers(shapely.Point(x, y)) and west.geometry.covers(shapely.Point(x, y))
    assert assign_zone(now, x, y).zone_id == "dy-east-2019-03-23"  # "dy-east" < "dy-west"
    assert assign_zone(list(reversed(now)), x, y).zone_id == "dy-east-2019-03-23"  # list order is irrelevant
    assert assign_zones(now, [x], [y]) == ["dy-east-2019-03-23"]


def test_vectorised_matches_scalar(bundled):
    now = zones_as_of(bundled.zones, date(2022, 1, 1))
    rng = np.random.default_rng(7)
    lons = np.append(rng.uniform(39.0, 41.5, 2000), [np.nan, 40.0])
    lats = np.append(rng.uniform(33.9, 36.6, 2000), [35.0, np.nan])
    bulk = assign_zones(now, lons, lats)
    one = [assign_zone(now, lo, la) for lo, la in zip(lons, lats, strict=True)]
    assert bulk == [z.zone_id if z else None for z in one]
    assert bulk[-2:] == [None, None]
    assert {b for b in bulk if b} == {"dy-east-2019-03-23", "dy-west-2019-03-23", "dy-pocket-2019-03-23"}


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

    from conflictmap.geo.zones import zone_changes as _changes
    from conflictmap.models import ZoneVersion as _ZV

    versions = [
        _ZV("a", "X", _date(2019, 1, 1), _date(2020, 6, 30), "a", _box(0, 0, 1, 1)),
        _ZV("b", "Y", _date(2019, 1, 1), None, "b", _box(1, 0, 2, 1)),
    ]
    assert _changes(versions) == [_date(2020, 7, 1)]


def test_bad_provenance_properties_refused(tmp_path):
    path = write(
        tmp_path,
        [feature("a", status="disputed"), feature("b", sources="Rudaw"), feature("c", sources=["Rudaw", ""])],
    )
    with pytest.raises(ZonesError) as err:
        load_zones(path)
    msg = str(err.value)
    assert "'a'" in msg and "status 'disputed'" in msg
    assert "'b'" in msg and "'c'" in msg and "sources must be a list" in msg


def test_a_file_without_provenance_still_loads(tmp_path):
    """Older files (only the eight documented properties) keep working; status and sources are read."""
    load = load_zones(
        write(tmp_path, [feature(source="Outlet A | Outlet B"), feature("z2", controller="Contested")])
    )
    a, b = load.zones
    assert zone_status(a) == "held" and zone_sources(a) == ["Outlet A", "Outlet B"]
    assert zone_status(b) == "contested" and zone_sources(b) == []


# ---- the change log the build reads ----------------------------------------------------------------


def build_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_zones", ROOT / "scripts" / "build_zones.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


HEADER = "date,area,kind,controller,status,confidence,change_label,sources,note\n"


def test_change_log_versions_end_the_day_before_the_next_change(tmp_path):
    mod = build_module()
    log = tmp_path / "changes.csv"
    log.write_text(
        HEADER
        + "2020-01-01,east,change,SDF,held,medium,,Outlet A,\n"
        + "2021-05-10,east,change,Contested,contested,low,East contested,Outlet B | Outlet C,\n"
        + "2021-05-12,east,context,Contested,contested,low,,Outlet D,still fighting\n"
        + "2021-05-20,east,change,X,held,high,X takes east,Outlet E,\n",
        encoding="utf-8",
    )
    got = mod.versions(mod.read_change_log(log))
    assert [(v["valid_from"], v["valid_to"], v["controller"]) for v in got] == [
        (date(2020, 1, 1), date(2021, 5, 9), SDF),
        (date(2021, 5, 10), date(2021, 5, 19), "Contested"),
        (date(2021, 5, 20), None, "X"),
    ]
    assert got[1]["sources"] == ["Outlet B", "Outlet C", "Outlet D"]
    assert got[1]["notes"] == ["2021-05-12: still fighting"] and got[1]["contested_by"] == [SDF, "X"]
    assert [v["change_label"] for v in got] == ["", "East contested", "X takes east"]


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ("2020-01-01,east,change,SDF,held,medium,,,\n", "no sources"),
        ("2020-01-01,east,change,Contested,contested,medium,,A,\n", "low confidence"),
        ("2020-01-01,north,change,SDF,held,medium,,A,\n", "area 'north'"),
        ("2020-13-01,east,change,SDF,held,medium,,A,\n", "not YYYY-MM-DD"),
        (
            "2020-01-01,east,change,SDF,held,medium,,A,\n2020-02-01,east,context,X,held,high,,B,\n",
            "context says X/held",
        ),
        (
            "2020-01-01,east,change,SDF,held,medium,,A,\n2020-02-01,east,change,X,held,high,,B,\n",
            "change_label",
        ),
    ],
)
def test_change_log_mistakes_stop_the_build(tmp_path, rows, says):
    mod = build_module()
    log = tmp_path / "changes.csv"
    log.write_text(HEADER + rows, encoding="utf-8")
    with pytest.raises(SystemExit, match=says):
        mod.versions(mod.read_change_log(log))


# ---- through the app's API ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from app import create_app
    from conflictmap.config import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("zonesapi"), url_prefix="/")
    return create_app(settings).server.test_client()


def zones_on(api, day):
    resp = api.get(f"/api/zones.geojson?as_of={day}")
    assert resp.status_code == 200
    return {f["id"]: f for f in resp.get_json()["features"]}


def held_in(fc_features, lon, lat):
    return [
        f["properties"]["controller"]
        for f in fc_features.values()
        if shape(f["geometry"]).contains(shapely.Point(lon, lat))
    ]


def test_api_zones_mid_2025_sdf_east_incl_seven_villages_government_west(api):
    feats = zones_on(api, "2025-06-01")
    assert held_in(feats, *EAST_BANK) == [SDF]
    assert held_in(feats, *POCKET) == [SDF]
    assert held_in(feats, *CITY) == [STG] and held_in(feats, *WEST_BANK) == [STG]
    assert all(f["properties"]["sources"] and f["properties"]["status"] == "held" for f in feats.values())


def test_api_zones_march_2026_government_everywhere(api):
    feats = zones_on(api, "2026-03-01")
    assert {f["properties"]["controller"] for f in feats.values()} == {STG}
    assert len(feats) == 3 and all(f["properties"]["sources"] for f in feats.values())
    for point in (EAST_BANK, POCKET, CITY, WEST_BANK):
        assert held_in(feats, *point) == [STG]


# ---- hostile files: any document gives zones or a ZonesError naming file, feature and problem ----


def raw_doc(tmp_path, text, name="hostile-zones.geojson"):
    path = tmp_path / name
    path.write_text(text)
    return path


def refusal(path) -> str:
    """The ZonesError message for ``path`` (any other exception fails the test)."""
    with pytest.raises(ZonesError) as err:
        load_zones(path)
    msg = str(err.value)
    assert str(path) in msg
    return msg


def with_geometry(coords, kind="Polygon", zone_id="z1"):
    f = feature(zone_id)
    f["geometry"] = {"type": kind, "coordinates": coords}
    return f


def test_properties_null_is_legal_geojson_refused_by_feature(tmp_path):
    """``"properties": null`` is legal GeoJSON; it crashed loading with 'NoneType' has no 'get'."""
    bare = feature("z2")
    bare["properties"] = None
    msg = refusal(write(tmp_path, [feature("z1"), bare]))
    assert "feature 1" in msg and "properties is null" in msg and "zone_id" in msg
    assert "feature 0" not in msg  # the good feature is not blamed


def test_properties_given_as_a_string_refused_by_feature(tmp_path):
    odd = feature("z2")
    odd["properties"] = "zone_id=z2"
    msg = refusal(write(tmp_path, [odd]))
    assert "feature 0" in msg and "properties must be an object" in msg and "zone_id=z2" in msg


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "name", "properties": "EPSG:4326"},  # crs.properties a string
        {"type": "name", "properties": None},
        {"type": "name", "properties": {"name": ["EPSG:4326"]}},
        "EPSG:4326",
        [1, 2],
    ],
)
def test_malformed_crs_refused_with_the_file_named(tmp_path, crs):
    msg = refusal(write(tmp_path, [feature()], crs=crs))
    assert "crs" in msg and "WGS84" in msg


def test_json_nested_deeper_than_python_reads_is_refused(tmp_path):
    depth = 100_000
    props = json.dumps(feature()["properties"])[:-1] + ', "notes_extra": ' + "[" * depth + "]" * depth + "}"
    text = '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": ' + props + "}]}"
    assert "nested too deeply" in refusal(raw_doc(tmp_path, text))


def test_deep_properties_below_the_parser_limit_refused_by_feature(tmp_path):
    nested: list = []
    for _ in range(200):
        nested = [nested]
    msg = refusal(write(tmp_path, [feature("deep", extra=nested)]))
    assert "feature 0 (zone_id='deep')" in msg and "nested deeper" in msg


def test_deep_coordinates_refused(tmp_path):
    deep: list = [40.0, 35.0]
    for _ in range(300):
        deep = [deep]
    msg = refusal(write(tmp_path, [with_geometry(deep)]))
    assert "feature 0 (zone_id='z1')" in msg and "position" in msg


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("40.0", "'40.0' is not a number (str)"),  # shapely read strings as numbers: accepted before
        (True, "True is not a number (bool)"),  # bool is an int in Python, not a number in GeoJSON
        (None, "None is not a number"),
        ({"lon": 40}, "is not a number (dict)"),
    ],
)
def test_coordinates_must_be_numbers(tmp_path, bad, says):
    ring = [[bad if (i, j) == (1, 0) else v for j, v in enumerate(p)] for i, p in enumerate(SQUARE[0])]
    msg = refusal(write(tmp_path, [feature("ok"), with_geometry([ring], zone_id="strs")]))
    assert "feature 1 (zone_id='strs')" in msg and "ring 0 position 1" in msg and says in msg


def test_every_coordinate_of_a_string_polygon_is_refused_not_only_the_first(tmp_path):
    strings = [[[str(x), str(y)] for x, y in SQUARE[0]]]
    assert "is not a number (str)" in refusal(write(tmp_path, [with_geometry(strings)]))


def test_non_finite_and_huge_coordinates_refused(tmp_path):
    nan_ring = "[[[NaN, 35.0], [40.5, 35.0], [40.5, 35.5], [40.0, 35.0]]]"
    p = json.dumps(feature()["properties"])
    text = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        + p
        + ', "geometry": {"type": "Polygon", "coordinates": '
        + nan_ring
        + "}}]}"
    )
    assert "not a finite number" in refusal(raw_doc(tmp_path, text))
    huge = [[[10**400, 35.0], [40.5, 35.0], [40.5, 35.5], [40.0, 35.0]]]
    assert "too large" in refusal(write(tmp_path, [with_geometry(huge)]))


@pytest.mark.parametrize(
    ("coords", "kind", "says"),
    [
        ([SQUARE], "Polygon", "position 0"),  # a MultiPolygon's coordinates under Polygon
        (SQUARE, "MultiPolygon", "polygon 0 ring 0 position 0"),  # a Polygon's under MultiPolygon
        ([[[40.0], [40.5]]], "Polygon", "[lon, lat]"),
        ({"a": 1}, "Polygon", "non-empty list of rings"),
        ([], "MultiPolygon", "non-empty list of polygons"),
        ([[[40.0, 35.0], [40.5, 35.0], [40.0, 35.0]]], "Polygon", "Too few points"),  # 3 points
    ],
)
def test_coordinates_at_the_wrong_depth_refused(tmp_path, coords, kind, says):
    msg = refusal(write(tmp_path, [with_geometry(coords, kind)]))
    assert "feature 0 (zone_id='z1')" in msg and says in msg


@pytest.mark.parametrize(
    ("props", "says"),
    [
        ({"valid_from": 20200101}, "valid_from 20200101 is not an ISO date"),
        ({"source": {"outlet": "Rudaw"}}, "source must be a string"),
        ({"zone_id": ["a"]}, "zone_id must be a non-empty string"),
        ({"status": ["held"]}, "status ['held'] is not one of"),
    ],
)
def test_wrong_property_types_refused(tmp_path, props, says):
    msg = refusal(write(tmp_path, [feature(**props)]))
    assert "feature 0" in msg and says in msg


@pytest.mark.parametrize(
    "text",
    ["[]", "null", '"zones"', "{}", '{"type": "FeatureCollection", "features": {}}', "\ufeff{", "{" * 50],
)
def test_not_a_feature_collection_refused(tmp_path, text):
    refusal(raw_doc(tmp_path, text))


def test_legal_variants_still_load(tmp_path):
    ints = [[[40, 35], [41, 35], [41, 36], [40, 36], [40, 35]]]
    with_z = [[[x, y, 0.0] for x, y in SQUARE[0]]]
    multi = [SQUARE, [[[x + 1, y] for x, y in SQUARE[0]]]]
    load = load_zones(
        write(
            tmp_path,
            [
                with_geometry(ints, zone_id="ints"),
                with_geometry(with_z, zone_id="z3d"),
                with_geometry(multi, "MultiPolygon", zone_id="multi"),
            ],
        )
    )
    assert [z.zone_id for z in load.zones] == ["ints", "z3d", "multi"]
    assert load.zones[2].geometry.geom_type == "MultiPolygon"


def test_a_refused_zones_file_is_reported_and_the_rest_of_preparation_runs(tmp_path):
    """As CONFLICTMAP_ZONES_PATH: the app says which file, feature and problem, and still serves
    the reference events (before, preparation stopped at 'NoneType' object has no attribute 'get')."""
    from app import create_app
    from components import service_access
    from conflictmap.config import Settings

    bare = feature("z2")
    bare["properties"] = None
    bad = write(tmp_path, [feature("z1"), bare])
    app = create_app(Settings(data_dir=tmp_path / "data", zones_path=bad, url_prefix="/"))
    with app.server.app_context():
        problems = list(service_access.service().problems)
    client = app.server.test_client()
    meta = client.get("/api/meta")
    page = client.get("/")
    refused = [p for p in problems if "Zones file refused" in p]
    assert len(refused) == 1
    assert str(bad) in refused[0] and "feature 1" in refused[0] and "properties is null" in refused[0]
    assert not any("Preparing the data failed" in p for p in problems)
    assert meta.status_code == 200 and page.status_code == 200
    counts = meta.get_json()["counts"]
    # Reference facts and the sample feed went in after the refusal; no zones were loaded.
    assert counts["events"] > 100 and counts["articles"] == 1 and counts["zones"] == 0
