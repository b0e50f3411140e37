"""GET api/events.kml through the real app's Flask server: the same incidents and paging as
events.csv for the same query string, the zones of the view's date, the map's colours, 400 for
what it does not understand; imported datasets name their licence in /api/meta."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conflictmap.config import Settings
from conflictmap.export import kml, tables
from conflictmap.storage.store import EventStore

NS = {"k": kml.KML_NS}
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("kmlroute"))
    app = create_app(settings)
    with app.server.app_context():
        yield app


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def _parse(body: bytes) -> ET.Element:
    assert b"<!DOCTYPE" not in body and b"<!ENTITY" not in body
    return ET.fromstring(body)  # noqa: S314 - the app's own output, checked above


def _folder(root: ET.Element, name: str) -> list[ET.Element]:
    (folder,) = [f for f in root.iterfind(".//k:Folder", NS) if f.findtext("k:name", namespaces=NS) == name]
    return folder.findall("k:Placemark", NS)


def _ids(placemarks: list[ET.Element]) -> list[str]:
    out = []
    for pm in placemarks:
        data = {
            d.get("name"): d.findtext("k:value", default="", namespaces=NS)
            for d in pm.iterfind(".//k:Data", NS)
        }
        out.append(data["incident_id"])
    return out


@pytest.mark.parametrize("query", ["", "type=battle", "start=2023-01-01&end=2023-12-31"])
def test_the_kml_holds_the_csv_incidents_and_the_zones_of_the_day(client, query):
    resp = client.get(f"/api/events.kml?{query}")
    assert resp.status_code == 200 and resp.mimetype == kml.MIME
    assert resp.headers["Content-Disposition"].endswith('.kml"')
    root = _parse(resp.get_data())
    placemarks = _folder(root, kml.INCIDENTS_FOLDER)
    total = int(resp.headers["X-Total-Count"])
    assert len(placemarks) == total
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/events.csv?{query}").get_data(as_text=True))))
    assert _ids(placemarks) == [r["incident_id"] for r in rows]
    zones = _folder(root, kml.ZONES_FOLDER)
    assert zones  # the bundled zones in force on the view's as-of date
    description = root.findtext("k:Document/k:description", namespaces=NS) or ""
    assert "as of " in description


def test_paging_is_the_csvs(client):
    total = int(client.get("/api/events.csv").headers["X-Total-Count"])
    assert total > 3
    resp = client.get("/api/events.kml?limit=2&offset=1")
    assert resp.status_code == 200 and int(resp.headers["X-Total-Count"]) == total
    assert (resp.headers["X-Offset"], resp.headers["X-Limit"]) == ("1", "2")
    assert "offset=3" in resp.headers["Link"]
    placemarks = _folder(_parse(resp.get_data()), kml.INCIDENTS_FOLDER)
    assert len(placemarks) == 2
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/events.csv?limit=2&offset=1").get_data(as_text=True)))
    )
    assert _ids(placemarks) == [r["incident_id"] for r in rows]
    past = client.get(f"/api/events.kml?offset={total}")
    assert past.status_code == 200 and _folder(_parse(past.get_data()), kml.INCIDENTS_FOLDER) == []


def test_zones_of_the_date_all_versions_or_none(client, app):
    from components.service_access import service

    versions = service().zones()
    every = _folder(_parse(client.get("/api/events.kml?zones=all").get_data()), kml.ZONES_FOLDER)
    assert len(every) == len(versions) > 1
    day = _folder(_parse(client.get("/api/events.kml?asof=2020-06-01").get_data()), kml.ZONES_FOLDER)
    assert 0 < len(day) < len(versions)
    assert all(
        (pm.findtext("k:TimeSpan/k:begin", namespaces=NS) or "")
        <= "2020-06-01"
        <= (pm.findtext("k:TimeSpan/k:end", namespaces=NS) or "9999")
        for pm in day
    )
    none = _parse(client.get("/api/events.kml?zones=none").get_data())
    assert _folder(none, kml.ZONES_FOLDER) == []


def test_colours_are_the_maps(client):
    from components.theme import CONTESTED_COLOUR, EVENT_COLOURS, zone_colour

    root = _parse(client.get("/api/events.kml?zones=all").get_data())
    styles = {s.get("id"): s for s in root.iterfind("k:Document/k:Style", NS)}
    for etype, colour in EVENT_COLOURS.items():
        assert styles[f"type-{etype}"].findtext("k:IconStyle/k:color", namespaces=NS) == kml.kml_colour(
            colour
        )
    for pm in _folder(root, kml.ZONES_FOLDER):
        data = {
            d.get("name"): d.findtext("k:value", default="", namespaces=NS)
            for d in pm.iterfind(".//k:Data", NS)
        }
        style = styles[(pm.findtext("k:styleUrl", namespaces=NS) or "").removeprefix("#")]
        line = style.findtext("k:LineStyle/k:color", namespaces=NS)
        if data["status"] == "contested":
            assert line == kml.kml_colour(CONTESTED_COLOUR)
        elif data["controller"] in (
            "SDF",
            "Syrian regime and Iran-backed militias",
            "Syrian transitional government",
        ):
            assert line == kml.kml_colour(zone_colour(data["controller"]))


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("type=bogus", "type=bogus is not an event type; ignored"),
        ("limit=0", "limit="),
        ("zones=some", "zones=some is not one of asof"),
        ("as_of=2024-01-01", "unknown parameter as_of"),
    ],
)
def test_a_bad_parameter_is_a_400_like_the_other_exports(client, query, first):
    resp = client.get(f"/api/events.kml?{query}")
    assert resp.status_code == 400 and resp.mimetype == "application/json"
    assert resp.get_json()["problems"][0].startswith(first)


def test_the_404_message_lists_the_kml(client):
    assert "events.kml" in client.get("/api/events.kmz").get_data(as_text=True)


def test_imported_rows_keep_their_origin_and_name_their_licence(client, app):
    from components.service_access import settings
    from conflictmap.ingest import acled, ucdp

    meta = client.get("/api/meta").get_json()
    assert "ACLED" not in meta["licences"] and "UCDP GED" not in meta["licences"]
    store = EventStore(settings().db_url)
    rows = acled.read_acled(DATA / "acled_sample.csv").events
    store.replace_origin("acled", rows)
    try:
        licences = client.get("/api/meta").get_json()["licences"]
        assert licences["ACLED"] == acled.LICENCE and "UCDP GED" not in licences
        csv_rows = list(
            csv.DictReader(io.StringIO(client.get("/api/events.csv?origin=acled").get_data(as_text=True)))
        )
        assert len(csv_rows) == len(rows) and {r["origin"] for r in csv_rows} == {"acled"}
        assert {r["incident_id"] for r in csv_rows} == {f"inc:{e.event_id}" for e in rows}
        gj = client.get("/api/events.geojson?origin=acled").get_json()
        assert {f["properties"]["origin"] for f in gj["features"]} == {"acled"}
        resp = client.get("/api/events.kml?origin=acled")
        root = _parse(resp.get_data())
        assert len(_folder(root, kml.INCIDENTS_FOLDER)) == int(resp.headers["X-Total-Count"]) == len(rows)
        assert "ACLED licence" in (root.findtext("k:Document/k:description", namespaces=NS) or "")
    finally:
        store.replace_origin("acled", [])
    assert tables.IMPORTED_LICENCES["acled"][1] == acled.LICENCE
    assert tables.IMPORTED_LICENCES["ucdp"][1] == ucdp.LICENCE
