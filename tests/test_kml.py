"""KML export: the view's incidents and the zones of a date in a file that parses, that GDAL reads
back with the same rows, and in which hostile text stays text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from conflictmap.export import tables
from conflictmap.export.kml import INCIDENTS_FOLDER, KML_NS, ZONES_FOLDER, kml_colour, kml_document
from conflictmap.ingest.acled import read_acled
from conflictmap.models import ZoneVersion
from conflictmap.read.index import build_incidents
from tests.helpers import make_event, split_zones

NS = {"k": KML_NS}
HOSTILE = "<script>alert('x')</script> & ]]> \"quoted\" <![CDATA[ end ]]> \x00\x0b\x1f tail"
SAFE = HOSTILE.replace("\x00", "").replace("\x0b", "").replace("\x1f", "")
GDAL_KML = [d for d in ("LIBKML", "KML") if d in pyogrio.list_drivers()]


def incidents(*events) -> pd.DataFrame:
    frame = pd.DataFrame([e.to_dict() for e in events])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    return build_incidents(frame, split_zones())


def events():
    return [
        make_event("e1", evidence=HOSTILE, location=HOSTILE, source="Outlet <b>&amp;</b>"),
        make_event(
            "e2",
            event_type="explosion_remote_violence",
            sub_event_type="air/drone strike",
            event_date=date(2024, 8, 9),
            latitude=35.2,
            longitude=40.2,
            fatalities=2,
        ),
        make_event("e3", latitude=None, longitude=None, event_date=date(2024, 8, 10)),
    ]


def _parse(document: bytes) -> ET.Element:
    """The KML as a tree; it is our own output (no DOCTYPE, no entities), which the test checks."""
    assert b"<!DOCTYPE" not in document and b"<!ENTITY" not in document
    return ET.fromstring(document)  # noqa: S314 - parses the file the test just wrote


def _folder(root: ET.Element, name: str) -> ET.Element:
    (folder,) = [f for f in root.iterfind(".//k:Folder", NS) if f.findtext("k:name", namespaces=NS) == name]
    return folder


def _data(pm: ET.Element) -> dict[str, str]:
    return {
        d.get("name", ""): d.findtext("k:value", default="", namespaces=NS)
        for d in pm.iterfind("k:ExtendedData/k:Data", NS)
    }


@pytest.fixture(scope="module")
def document() -> bytes:
    return kml_document(
        incidents(*events()),
        split_zones(),
        date(2024, 8, 7),
        title="Deir ez-Zor <view>",
        query="type=battle&start=2024-08-01",
        event_colours={"battle": "#D55E00", "explosion_remote_violence": "#0072B2"},
        zone_colour=lambda controller, i: "#F0E442" if controller == "SDF" else "#CC6677",
    )


def test_the_document_parses_and_holds_every_incident_and_the_zones_of_the_day(document):
    root = _parse(document)
    assert root.tag == f"{{{KML_NS}}}kml"
    placemarks = _folder(root, INCIDENTS_FOLDER).findall("k:Placemark", NS)
    assert len(placemarks) == 3
    ids = sorted(_data(pm)["incident_id"] for pm in placemarks)
    assert ids == ["inc:e1", "inc:e2", "inc:e3"]
    zones = _folder(root, ZONES_FOLDER).findall("k:Placemark", NS)
    assert sorted(_data(z)["zone_id"] for z in zones) == ["east-2019", "west-2019"]  # valid on 7 Aug 2024
    description = root.findtext("k:Document/k:description", namespaces=NS) or ""
    assert "type=battle&amp;start=2024-08-01" in description and "as of 2024-08-07" in description


def test_incidents_carry_the_export_columns_time_and_point(document):
    root = _parse(document)
    by_id = {
        _data(pm)["incident_id"]: pm for pm in _folder(root, INCIDENTS_FOLDER).findall("k:Placemark", NS)
    }
    strike = by_id["inc:e2"]
    data = _data(strike)
    assert list(data) == list(tables.COLUMNS)
    assert (data["event_type"], data["sub_event_type"], data["fatalities"]) == (
        "Explosions/Remote violence",
        "Air/drone strike",
        "2",
    )
    assert strike.findtext("k:TimeStamp/k:when", namespaces=NS) == "2024-08-09"
    assert strike.findtext("k:Point/k:coordinates", namespaces=NS) == "40.200000,35.200000"
    assert by_id["inc:e3"].find("k:Point", NS) is None  # no coordinates: attributes only


def test_hostile_text_stays_text(document):
    root = _parse(document)  # parses: < & ]]> escaped, NUL and control characters dropped
    pm = next(
        p
        for p in _folder(root, INCIDENTS_FOLDER).findall("k:Placemark", NS)
        if _data(p)["incident_id"] == "inc:e1"
    )
    assert _data(pm)["evidence"] == SAFE and _data(pm)["location"] == SAFE
    # Google Earth renders the description as HTML: the hostile markup is escaped text in it.
    description = pm.findtext("k:description", namespaces=NS) or ""
    assert "<script" not in description and "&lt;script&gt;" in description
    assert "Outlet &lt;b&gt;&amp;amp;&lt;/b&gt;" in description
    name = pm.findtext("k:name", namespaces=NS) or ""
    assert "<" not in name and ">" not in name and "script" not in name
    assert b"\x00" not in document and b"\x0b" not in document
    assert b"<script" not in document and b"]]>" not in document


def test_styles_per_type_and_controller_and_nothing_loaded_from_outside(document):
    root = _parse(document)
    styles = {s.get("id"): s for s in root.iterfind("k:Document/k:Style", NS)}
    for pm in root.iterfind(".//k:Placemark", NS):
        assert (pm.findtext("k:styleUrl", namespaces=NS) or "").removeprefix("#") in styles
    assert styles["type-battle"].findtext("k:IconStyle/k:color", namespaces=NS) == "ff005ed5"
    assert (
        styles["type-explosion_remote_violence"].findtext("k:IconStyle/k:color", namespaces=NS) == "ffb27200"
    )
    sdf = next(
        z for z in _folder(root, ZONES_FOLDER).findall("k:Placemark", NS) if _data(z)["controller"] == "SDF"
    )
    sdf_style = styles[(sdf.findtext("k:styleUrl", namespaces=NS) or "").removeprefix("#")]
    assert sdf_style.findtext("k:PolyStyle/k:color", namespaces=NS) == "5942e4f0"
    assert root.find(".//k:Icon", NS) is None and root.find(".//k:href", NS) is None
    assert kml_colour("not a colour") == "ff555555"


def test_zones_keep_their_dates_and_the_whole_history_without_a_date():
    history = kml_document(incidents(*events()), split_zones(), None)
    zones = _folder(_parse(history), ZONES_FOLDER).findall("k:Placemark", NS)
    spans = {
        _data(z)["zone_id"]: (
            z.findtext("k:TimeSpan/k:begin", namespaces=NS),
            z.findtext("k:TimeSpan/k:end", namespaces=NS),
        )
        for z in zones
    }
    assert spans == {
        "east-2019": ("2019-03-23", None),
        "west-2019": ("2019-03-23", "2024-12-05"),
        "west-2024": ("2024-12-06", None),
    }
    later = kml_document(incidents(*events()), split_zones(), date(2025, 1, 1))
    zones = _folder(_parse(later), ZONES_FOLDER).findall("k:Placemark", NS)
    assert sorted(_data(z)["zone_id"] for z in zones) == ["east-2019", "west-2024"]


def test_a_zone_in_two_parts_with_a_hole_is_a_multigeometry():
    holed = Polygon(
        box(40.0, 35.0, 40.4, 35.4).exterior.coords, [box(40.1, 35.1, 40.2, 35.2).exterior.coords]
    )
    zone = ZoneVersion(
        "two-parts",
        "SDF",
        date(2020, 1, 1),
        None,
        "two parts",
        MultiPolygon([holed, box(41, 35, 41.2, 35.2)]),
    )
    root = _parse(kml_document(incidents(*events()), [zone], date(2024, 8, 7)))
    (pm,) = _folder(root, ZONES_FOLDER).findall("k:Placemark", NS)
    polygons = pm.findall("k:MultiGeometry/k:Polygon", NS)
    assert len(polygons) == 2 and len(polygons[0].findall("k:innerBoundaryIs", NS)) == 1


def test_imported_rows_name_their_licence():
    acled = read_acled(Path(__file__).parent / "data" / "acled_sample.csv")
    frame = pd.DataFrame([e.to_dict() for e in acled.events])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    root = _parse(kml_document(build_incidents(frame, []), [], None))
    description = root.findtext("k:Document/k:description", namespaces=NS) or ""
    assert "ACLED data, used under the user's own ACLED licence" in description
    rows = [_data(pm) for pm in _folder(root, INCIDENTS_FOLDER).findall("k:Placemark", NS)]
    assert len(rows) == acled.stored and {r["origin"] for r in rows} == {"acled"}


@pytest.mark.skipif(not GDAL_KML, reason="this GDAL has neither the LIBKML nor the KML driver")
def test_gdal_reads_it_back_with_the_same_rows(document, tmp_path):
    path = tmp_path / "view.kml"
    path.write_bytes(document)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {INCIDENTS_FOLDER, ZONES_FOLDER} <= layers
    points = pyogrio.read_dataframe(path, layer=INCIDENTS_FOLDER, driver=GDAL_KML[0])
    zones = pyogrio.read_dataframe(path, layer=ZONES_FOLDER, driver=GDAL_KML[0])
    assert len(points) == 3 and len(zones) == 2
    assert sorted(points["incident_id"]) == ["inc:e1", "inc:e2", "inc:e3"]
    assert points.set_index("incident_id").loc["inc:e1", "evidence"] == SAFE
    placed = points.dropna(subset=["geometry"])
    assert list(placed.geometry.geom_type) == ["Point", "Point"]
    assert set(zones["controller"]) == {"SDF", "Syrian regime and Iran-backed militias"}
    assert set(zones.geometry.geom_type) == {"Polygon"}
