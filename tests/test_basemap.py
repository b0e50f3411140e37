"""Basemap: the bundled layers load small and clean; a missing or broken file costs one layer only."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from conflictmap.geo.basemap import (
    COUNTRIES_FILE,
    GOVERNORATES_FILE,
    LAKES_FILE,
    RIVERS_FILE,
    load_basemap,
)

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = (COUNTRIES_FILE, GOVERNORATES_FILE, LAKES_FILE, RIVERS_FILE)


def copy_data(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def all_positions(fc):
    def walk(c):
        if isinstance(c[0], float | int):
            yield c
        else:
            for x in c:
                yield from walk(x)

    for f in fc["features"]:
        yield from walk(f["geometry"]["coordinates"])


def test_bundled_layers_load():
    bm = load_basemap(DATA)
    assert bm.errors == []
    assert {f["properties"]["iso"] for f in bm.countries["features"]} >= {"SY", "IQ", "TR", "JO"}
    assert len(bm.governorates["features"]) == 15
    (dyz,) = bm.deir_ez_zor["features"]
    assert dyz["properties"]["iso"] == "SY-DY"
    assert {f["properties"]["name"] for f in bm.rivers["features"]} == {"Euphrates", "Khabur"}
    assert len(bm.lakes["features"]) == 3


def test_layers_are_small_and_rounded():
    bm = load_basemap(DATA)
    total = 0
    for layer in (bm.countries, bm.governorates, bm.rivers, bm.lakes):
        text = json.dumps(layer)
        total += len(text)
        for lon, lat in all_positions(layer):
            assert round(lon, 4) == lon and round(lat, 4) == lat
    assert total < 300_000  # bytes sent to the browser for the whole basemap
    # only names and codes travel, not the source files' dozens of attributes
    assert set(bm.governorates["features"][0]["properties"]) <= {"name", "name_ar", "iso"}


def test_missing_file_drops_one_layer(tmp_path, caplog):
    copy_data(tmp_path)
    (tmp_path / RIVERS_FILE).unlink()
    with caplog.at_level(logging.WARNING, logger="conflictmap.geo.basemap"):
        bm = load_basemap(tmp_path)
    assert bm.rivers is None
    assert bm.countries and bm.governorates and bm.lakes and bm.deir_ez_zor
    assert len(bm.errors) == 1 and RIVERS_FILE in bm.errors[0] and "missing" in bm.errors[0]
    assert RIVERS_FILE in caplog.text


def test_corrupt_file_drops_one_layer(tmp_path):
    copy_data(tmp_path)
    (tmp_path / LAKES_FILE).write_text('{"type": "FeatureCollection", "features": [{"type": ')
    (tmp_path / COUNTRIES_FILE).write_bytes(b"\xff\xfe not json")
    bm = load_basemap(tmp_path)
    assert bm.lakes is None and bm.countries is None
    assert bm.rivers is not None and bm.governorates is not None
    assert any(LAKES_FILE in e and "unreadable" in e for e in bm.errors)
    assert any(COUNTRIES_FILE in e for e in bm.errors)


def test_missing_governorates_also_drops_deir_ez_zor(tmp_path):
    copy_data(tmp_path)
    (tmp_path / GOVERNORATES_FILE).write_text("[]")
    bm = load_basemap(tmp_path)
    assert bm.governorates is None and bm.deir_ez_zor is None
    assert any("not a GeoJSON FeatureCollection" in e for e in bm.errors)


def test_one_malformed_feature_is_skipped(tmp_path):
    copy_data(tmp_path)
    doc = json.loads((tmp_path / RIVERS_FILE).read_text())
    doc["features"].append(
        {"type": "Feature", "properties": {"name": "Bad"}, "geometry": {"type": "LineString"}}
    )
    (tmp_path / RIVERS_FILE).write_text(json.dumps(doc))
    bm = load_basemap(tmp_path)
    assert len(bm.rivers["features"]) == 2
    assert len(bm.errors) == 1 and "feature 2" in bm.errors[0]


def test_empty_directory_gives_errors_not_exceptions(tmp_path):
    bm = load_basemap(tmp_path / "nowhere")
    assert (bm.countries, bm.governorates, bm.deir_ez_zor, bm.rivers, bm.lakes) == (None,) * 5
    assert len(bm.errors) == 4
