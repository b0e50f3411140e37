"""What briefers see on paper: the map framed on its incidents, a scale bar and north arrow, legends
of circle size and location precision, a briefing whose headings do not collide, "not stated"
fatalities, and a PDF titled after the briefing.

The first tests work on figure dicts (no browser). The last ones open the files the export
routes answer, as a user would (pypdf text, positions and metadata; PNG header), and need
Debian's Chromium (skipped without it on a workstation, failed in CI).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from pypdf import PdfReader, PdfWriter

from components import briefing as dressing
from components import figures
from conflictmap.export import snapshot
from conflictmap.read.index import build_incidents, map_groups
from tests.helpers import make_event

BASE = "http://127.0.0.1:8050/"


def stamp(url: str = BASE + "?type=battle", **kw) -> dressing.Stamp:
    base = dict(
        title="Battles on the Euphrates",
        start=date(2024, 8, 1),
        end=date(2024, 8, 31),
        as_of=date(2024, 8, 31),
        incidents=3,
        reports=4,
        fatalities=7,
        outlets=("Outlet A",),
        url=url,
        exported_at=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
    )
    base.update(kw)
    return dressing.Stamp(**base)


def incidents(*events) -> pd.DataFrame:
    frame = pd.DataFrame([e.to_dict() for e in events])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    return build_incidents(frame, [])


# Three incidents along the Euphrates, one of each location precision.
EVENTS = (
    make_event("a", location="Dhiban", latitude=35.01, longitude=40.51, geo_precision=1, fatalities=20),
    make_event("b", location="near Hajin", latitude=34.69, longitude=40.83, geo_precision=2, fatalities=None),
    make_event(
        "c",
        location="Deir ez-Zor governorate",
        latitude=35.33,
        longitude=40.14,
        geo_precision=3,
        fatalities=3,
        event_type="protest",
        sub_event_type="peaceful protest",
    ),
)


def map_fig(view: tuple[float, float, float] | None = None) -> dict:
    groups = map_groups(incidents(*EVENTS))
    return figures.map_spec(groups, None, {}, None, ("events",), view=view)


def notes_of(fig: dict) -> list[str]:
    return [a["text"] for a in fig["layout"].get("annotations", [])]


# ---- the legend says what the map draws -----------------------------------------------------------


def test_legend_sizes_and_opacities_are_the_maps_own():
    for fat in (0, 1, 5, 25, 100, 400, float("nan")):
        for count in (1, 3, 40):
            assert dressing.marker_size(fat, count) == figures.marker_size(fat, count)
    fig = map_fig()
    drawn = {}
    for t in fig["data"]:
        if (t.get("meta") or {}).get("kind") != "events":
            continue
        opacity = t["marker"]["opacity"]
        opacities = opacity if isinstance(opacity, list) else [opacity] * len(t["lat"])
        for lat, size, op in zip(t["lat"], t["marker"]["size"], opacities, strict=True):
            drawn[lat] = (size, op)
    assert len(drawn) == 3
    assert drawn[35.01] == (dressing.marker_size(20), dressing.PRECISION_OPACITY[1])
    assert drawn[34.69][1] == dressing.PRECISION_OPACITY[2]
    area_size, area_opacity = drawn[35.33]
    assert area_opacity == dressing.PRECISION_OPACITY[3]
    assert area_size == max(dressing.AREA_ONLY_MIN_SIZE, dressing.marker_size(3) * dressing.AREA_ONLY_GROWTH)


# ---- framing, scale bar, north arrow ------------------------------------------------------------


def test_metres_per_pixel_is_web_mercator():
    assert dressing.metres_per_px(0, 0) == pytest.approx(40_075_016.686 / 512)
    assert dressing.metres_per_px(60, 3) == pytest.approx(40_075_016.686 / 512 / 8 / 2, rel=1e-9)


def test_fit_view_keeps_every_point_inside_with_its_padding():
    points = [(35.01, 40.51), (34.69, 40.83), (35.33, 40.14), (34.45, 40.92)]
    lat, lon, zoom = dressing.fit_view(points, 900, 700, 60)
    assert dressing.FIT_ZOOM[0] <= zoom <= dressing.FIT_ZOOM[1]
    xs, ys = zip(*(dressing.project(a, b, (lat, lon), zoom) for a, b in points), strict=True)
    assert all(-450 + 60 - 0.5 <= x <= 450 - 60 + 0.5 for x in xs)
    assert all(-350 + 60 - 0.5 <= y <= 350 - 60 + 0.5 for y in ys)
    # one side is tight, or the zoom is at its ceiling: the data fills the frame
    assert zoom == dressing.FIT_ZOOM[1] or max(max(xs) - min(xs) - 780, max(ys) - min(ys) - 580) > -2
    assert dressing.fit_view([], 900, 700) is None
    one = dressing.fit_view([(35.0, 40.5)], 900, 700)
    assert one[2] == dressing.FIT_ZOOM[1] and one[0] == pytest.approx(35.0) and one[1] == pytest.approx(40.5)


def test_dressed_map_is_framed_on_its_incidents_not_the_default():
    fig = dressing.dress(map_fig(), stamp(), 1400, 1000)
    m = fig["layout"]["map"]
    assert (m["center"], m["zoom"]) != (figures.DEFAULT_CENTER, figures.DEFAULT_ZOOM)
    assert m["zoom"] > figures.DEFAULT_ZOOM  # three villages on the river: closer than the whole region
    box = m["domain"]
    width_px = (box["x"][1] - box["x"][0]) * (1400 - 20)
    height_px = (box["y"][1] - box["y"][0]) * (
        1000 - fig["layout"]["margin"]["t"] - fig["layout"]["margin"]["b"]
    )
    for ev in EVENTS:
        x, y = dressing.project(
            ev.latitude, ev.longitude, (m["center"]["lat"], m["center"]["lon"]), m["zoom"]
        )
        assert abs(x) < width_px / 2 - dressing.FIT_PAD_PX and abs(y) < height_px / 2 - dressing.FIT_PAD_PX


def test_a_view_the_analyst_placed_keeps_its_centre_and_zoom():
    fig = dressing.dress(
        map_fig(view=(35.2, 40.3, 8.25)), stamp(BASE + "?lat=35.2000&lon=40.3000&zoom=8.25"), 1400, 1000
    )
    assert fig["layout"]["map"]["center"] == {"lat": 35.2, "lon": 40.3}
    assert fig["layout"]["map"]["zoom"] == 8.25


def test_scale_bar_length_matches_its_label():
    box = dressing.MapBox(0, 0.75, 0, 1, 1380, 860)
    shapes, notes = dressing.scale_bar(box, 35.0, 8.5)
    label = notes[-1]["text"]
    km = float(label.removesuffix(" km"))
    bar_px = shapes[2]["x1"] - shapes[1]["x0"]
    assert bar_px * dressing.metres_per_px(35.0, 8.5) / 1000 == pytest.approx(km)
    assert 60 <= bar_px <= 220 and km in dressing.SCALE_STEPS_KM


def test_north_arrow_points_north_on_a_turned_map():
    box = dressing.MapBox(0, 0.75, 0, 1, 1380, 860)

    def tip(bearing: float) -> tuple[float, float]:
        path = next(s for s in dressing.north_arrow(box, bearing)[0] if s["type"] == "path")["path"]
        x, y = (float(v) for v in path.split()[1].split(","))
        return x - -34.0, y - -46.0  # from the arrow's middle; +y is up

    assert tip(0)[0] == pytest.approx(0) and tip(0)[1] > 10
    assert tip(90)[0] < -10 and tip(90)[1] == pytest.approx(0, abs=1e-6)  # east up: north left


def test_map_furniture_and_legends_are_on_the_page():
    fig = dressing.dress(map_fig(), stamp(), 1400, 1000)
    texts = " ".join(notes_of(fig))
    assert "<b>N</b>" in texts and re.search(r"\b\d+ km\b", texts)
    assert "Circle size: fatalities" in texts and "none or not stated" in texts and "100 or more" in texts
    assert "Location precision" in texts and "solid: in a named town or village" in texts
    assert "paler: near a town" in texts and "large pale disc: governorate or region only" in texts
    # the colour legend sits in the column right of the map, no longer over its north-west
    assert fig["layout"]["legend"]["x"] > fig["layout"]["map"]["domain"]["x"][1]
    circles = [s for s in fig["layout"]["shapes"] if s["type"] == "circle"]
    assert {s.get("opacity") for s in circles} >= set(dressing.PRECISION_OPACITY.values())


def test_a_small_image_gets_the_compact_legends():
    fig = map_fig()
    for i in range(7):  # a legend as long as the dashboard's: zones, sites, every event type
        fig["data"].append({"type": "scattermap", "lat": [], "lon": [], "name": f"Zone or type number {i}"})
    big = " ".join(notes_of(dressing.dress(fig, stamp(), 1400, 1000)))
    small = " ".join(notes_of(dressing.dress(fig, stamp(), 800, 600)))
    assert "100 or more" in big and "solid: in a named town or village" in big
    assert "100+" in small and "solid: town or village" in small and "100 or more" not in small


def test_place_names_become_page_text_inside_the_map():
    fig = map_fig()
    fig["data"].append(
        {
            "type": "scattermap",
            "lat": [35.01, 35.02, 10.0],
            "lon": [40.51, 40.52, 10.0],
            "mode": "markers+text",
            "text": ["Dhiban", "Dhiban bis", "Far away"],
            "textfont": {"size": 11, "color": "#2b2b2b"},
            "meta": {"kind": "labels"},
        }
    )
    out = dressing.dress(fig, stamp(), 1400, 1000)
    assert not any((t.get("meta") or {}).get("kind") == "labels" for t in out["data"])
    texts = notes_of(out)
    assert "Dhiban" in texts
    assert "Far away" not in texts  # off the map
    assert "Dhiban bis" not in texts  # would cover Dhiban


def test_place_names_do_not_cover_the_maps_own_notices():
    fig = figures.map_spec(map_groups(incidents(*EVENTS)).iloc[0:0], None, {}, None, ("events",))
    assert fig["layout"]["annotations"][0]["text"] == figures.EMPTY_MESSAGE
    c = figures.DEFAULT_CENTER
    fig["data"].append(
        {
            "type": "scattermap",
            "lat": [c["lat"], c["lat"] + 0.3],
            "lon": [c["lon"] - 0.05, c["lon"]],
            "mode": "markers+text",
            "text": ["Under the notice", "North of it"],
            "meta": {"kind": "labels"},
        }
    )
    texts = notes_of(dressing.dress(fig, stamp(), 1400, 1000))
    assert "North of it" in texts and "Under the notice" not in texts


def test_timeline_export_gets_no_map_furniture():
    timeline = {
        "data": [{"type": "bar", "x": ["2024-08-01"], "y": [1]}],
        "layout": {"margin": {"l": 40, "r": 50}},
    }
    out = dressing.dress(timeline, stamp(), 1400, 460, legend_bottom=40)
    assert "Location precision" not in " ".join(notes_of(out)) and not out["layout"].get("shapes")
    lay = out["layout"]
    assert lay["margin"]["l"] == 40 and lay["margin"]["r"] == 50
    # date labels (two lines), then the chart's legend, then the footer: none on another
    plot_h = 460 - lay["margin"]["t"] - lay["margin"]["b"]
    footer = next(a for a in lay["annotations"] if a["text"].startswith("Events:"))
    assert lay["legend"]["yanchor"] == "top" and -lay["legend"]["y"] * plot_h >= dressing.AXIS_LABELS_PX
    assert (lay["legend"]["y"] - footer["y"]) * plot_h >= 40
    assert -footer["y"] * plot_h + 13 * (footer["text"].count("<br>") + 1) <= lay["margin"]["b"]


# ---- the briefing page --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (None, "not stated"),
        (float("nan"), "not stated"),
        ("", "not stated"),
        ("nan", "not stated"),
        (pd.NA, "not stated"),
        (0, "0"),
        (0.0, "0"),
        ("0", "0"),
        (20.0, "20"),
        (1500, "1,500"),
    ],
)
def test_fatalities_cell(value, want):
    assert dressing.fatalities_cell(value) == want


def timeline_fig() -> dict:
    return {
        "data": [{"type": "bar", "name": "Battle", "x": ["2024-08-04"], "y": [1]}],
        "layout": {"xaxis": {"type": "date"}, "yaxis": {}, "yaxis2": {"overlaying": "y"}, "annotations": []},
    }


def row(fatalities, **kw) -> dict:
    base = {"date": "2024-08-13", "type": "Battle", "place": "Dhiban", "actors": "A / B", "sources": "X"}
    return {**base, **kw, "fatalities": fatalities}


def test_briefing_table_prints_unknown_fatalities_as_not_stated():
    table = [row(20.0), row(None), row(float("nan")), row(0)]
    fig = dressing.briefing_figure(map_fig(), timeline_fig(), table, stamp())
    cells = next(t for t in fig["data"] if t["type"] == "table")["cells"]["values"]
    assert cells[list(table[0]).index("fatalities")] == ["20", "not stated", "not stated", "0"]


def test_briefing_rows_leave_room_for_two_line_date_labels():
    fig = dressing.briefing_figure(map_fig(), timeline_fig(), [row(1)] * 12, stamp())
    lay = fig["layout"]
    plot_h = 1550 - lay["margin"]["t"] - lay["margin"]["b"]
    heading = next(a for a in lay["annotations"] if a["text"].startswith("Main events"))
    timeline_bottom = lay["yaxis"]["domain"][0]
    table_top = next(t for t in fig["data"] if t["type"] == "table")["domain"]["y"][1]
    assert (timeline_bottom - heading["y"]) * plot_h >= dressing.TICKS_PX + 12
    assert heading["y"] > table_top
    assert lay["yaxis"]["domain"][1] < lay["map"]["domain"]["y"][0]


# ---- PDF metadata -------------------------------------------------------------------------------


def test_pdf_with_title_rewrites_the_document_title():
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": "Kaleido-fier"})
    buf = io.BytesIO()
    writer.write(buf)
    out = snapshot.pdf_with_title(buf.getvalue(), "Battles on the Euphrates, August 2024")
    reader = PdfReader(io.BytesIO(out))
    assert reader.metadata.title == "Battles on the Euphrates, August 2024" and len(reader.pages) == 1


# ---- the files the routes answer, opened --------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = os.environ.get("BROWSER_PATH") or snapshot.find_chromium() or shutil.which("chromium")
    if not path:
        msg = "Chromium is not installed: image exports cannot be checked"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    from app import create_app
    from conflictmap.config import Settings

    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("snapdata"), url_prefix="/"))
    yield app.server.test_client()
    snapshot.get_renderer().close()


def positions(page) -> list[tuple[str, float, float, float]]:
    """(text, x, baseline y, font size) of each text run, in points from the page's bottom left."""
    out: list[tuple[str, float, float, float]] = []

    def visit(text, cm, tm, _font, size):
        if text.strip():
            out.append((text.strip(), cm[4] + cm[0] * tm[4], cm[5] + cm[3] * tm[5], abs(cm[3]) * size))

    page.extract_text(visitor_text=visit)
    return out


BRIEFING_TITLE = "Deir ez-Zor, August 2024"


@pytest.fixture(scope="module")
def briefing(client) -> PdfReader:
    resp = client.get(f"/export/briefing.pdf?start=2024-08-01&end=2024-08-31&title={BRIEFING_TITLE}")
    assert resp.status_code == 200, resp.data[:300]
    return PdfReader(io.BytesIO(resp.data))


def test_briefing_pdf_as_downloaded(briefing):
    assert briefing.metadata.title == BRIEFING_TITLE  # it was "Kaleido-fier"
    page = briefing.pages[0]
    text = page.extract_text()
    assert "Circle size: fatalities" in text and "Location precision" in text
    assert re.search(r"\b\d+ km\b", text) and "large pale disc" in text
    runs = positions(page)
    assert "N" in [r[0] for r in runs]  # the north arrow's letter
    # The year under the first date label sits above the "Main events" heading, not on it.
    heading = next(r for r in runs if r[0].startswith("Main events"))
    years = [r for r in runs if r[0] == "2024"]
    assert years
    lowest_year = min(years, key=lambda r: r[2])
    assert lowest_year[2] - heading[2] > heading[3] + 2  # baseline gap above the heading's height


def test_briefing_pdf_prints_unknown_tolls_as_not_stated(briefing):
    runs = positions(briefing.pages[0])
    # The table's fatalities column: the 12 Aug attack's 20, and the two strategic developments
    # of 13 Aug 2024, whose reports state no toll, printed as such (they printed 0).
    header = next(r for r in runs if r[0] == "Fatalities")
    column = [r[0] for r in runs if abs(r[1] - header[1]) < 2 and r[2] < header[2]]
    assert "20" in column and column.count("not stated") == 2 and "0" not in column


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_map_png_and_pdf_as_downloaded(client):
    query = "start=2023-08-01&end=2023-10-31&type=battle&width=1200&height=900"
    resp = client.get(f"/export/map.png?{query}&download=1")
    assert resp.status_code == 200, resp.data[:300]
    assert png_size(resp.data) == (1200, 900)
    assert resp.headers["Content-Disposition"] == (
        'attachment; filename="deir-ez-zor-battles-2023-08-01-to-2023-10-31.png"'
    )
    resp = client.get(f"/export/map.pdf?{query}&title=Battles+on+the+Euphrates")
    reader = PdfReader(io.BytesIO(resp.data))
    assert reader.metadata.title == "Battles on the Euphrates"
    text = reader.pages[0].extract_text()
    assert "Circle size: fatalities" in text and re.search(r"\b\d+ km\b", text)
    assert "N" in [r[0] for r in positions(reader.pages[0])]  # the north arrow's letter


def test_data_downloads_are_named_after_the_view(client):
    view = "type=battle&start=2024-01-01&end=2024-12-31"
    for path, name in (
        ("api/events.csv", "deir-ez-zor-battles-2024.csv"),
        ("api/events.geojson", "deir-ez-zor-battles-2024.geojson"),
    ):
        resp = client.get(f"/{path}?{view}&download=1")
        assert resp.status_code == 200
        assert resp.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    resp = client.get("/api/zones.geojson?as_of=2025-06-01")
    assert resp.headers["Content-Disposition"] == 'inline; filename="zones-2025-06-01.geojson"'
