"""Export maps drawn on plain 2D axes (components/flat_map.py) show what the WebGL map shows.

The figure-level tests need no browser. The last ones render the same figure both ways in
Debian's Chromium (kaleido) and compare where the pixels land, and open the SVG and PDF a
briefer downloads: vector paths and text, no picture of a map inside.
"""

from __future__ import annotations

import io
import os
import shutil

import pytest

from components import flat_map
from conflictmap.export import snapshot

STYLE = {
    "version": 8,
    "sources": {},
    "layers": [{"id": "bg", "type": "background", "paint": {"background-color": "#f4f1ea"}}],
}
ZONE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"zone_id": "east"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[40.2, 34.8], [40.8, 34.8], [40.8, 35.3], [40.2, 35.3], [40.2, 34.8]]],
            },
        }
    ],
}
RIVER = {"type": "LineString", "coordinates": [[39.9, 35.4], [40.4, 35.1], [40.9, 34.6]]}


def figure(**extra_traces) -> dict:
    """A dressed-map-shaped figure: basemap line, a zone, a density, markers, 800x600 px."""
    data = [
        {
            "type": "choroplethmap",
            "geojson": ZONE,
            "featureidkey": "properties.zone_id",
            "locations": ["east"],
            "z": [1],
            "colorscale": [[0, "#44AA99"], [1, "#44AA99"]],
            "marker": {"opacity": 0.4, "line": {"color": "#666666", "width": 1.2}},
            "name": "Zone: east bank",
            "showlegend": True,
        },
        {
            "type": "scattermap",
            "lat": [35.0, 35.2, None],
            "lon": [40.5, 40.3, 40.0],
            "mode": "markers",
            "marker": {"size": [20, 10, 8], "color": "#ee7733", "opacity": [1.0, 0.6, 0.6]},
            "name": "Battle",
            "customdata": [["inc-1", 1], ["inc-2", 3], ["inc-3", 1]],
        },
        *extra_traces.values(),
    ]
    return {
        "data": data,
        "layout": {
            "width": 800,
            "height": 600,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 20},
            "map": {
                "style": STYLE,
                "center": {"lat": 35.0, "lon": 40.5},
                "zoom": 8,
                "domain": {"x": [0, 0.75], "y": [0, 1]},
                "layers": [
                    {
                        "sourcetype": "geojson",
                        "source": RIVER,
                        "type": "line",
                        "color": "#3a7dc9",
                        "line": {"width": 2},
                        "below": "traces",
                    }
                ],
            },
        },
    }


def density_trace() -> dict:
    return {
        "type": "densitymap",
        "lat": [35.0, 35.05],
        "lon": [40.5, 40.55],
        "z": [3.0, 1.0],
        "zmin": 0,
        "zmax": 3.0,
        "radius": 24,
        "opacity": 0.85,
        "colorscale": [[0, "#efedf5"], [0.5, "#9e9ac8"], [1, "#3f007d"]],
        "colorbar": {"title": {"text": "Density"}},
        "name": "Density",
        "showlegend": True,
    }


def test_projection_is_web_mercator_pixels_north_up():
    proj = flat_map.Projection(35.0, 40.5, 8)
    assert proj.xy(35.0, 40.5) == (0.0, 0.0)
    x, _ = proj.xy(35.0, 41.5)  # one degree east: the world's width / 360 at zoom 8
    assert x == pytest.approx(512 * 2**8 / 360)
    _, y_north = proj.xy(35.5, 40.5)
    _, y_south = proj.xy(34.5, 40.5)
    assert y_north > 0 > y_south
    assert y_north > -y_south  # Mercator stretches northward


def test_flattened_figure_has_no_map_and_keeps_every_marker_in_place():
    flat = flat_map.flatten(figure())
    assert flat is not None
    assert "map" not in flat["layout"]
    assert not [t for t in flat["data"] if str(t.get("type", "")).endswith("map")]
    battle = next(t for t in flat["data"] if t.get("name") == "Battle")
    assert battle["type"] == "scatter"
    # The centre marker at the axes' origin, the second one left of it and above; the third
    # (no latitude) is not drawn at all, rather than at 0,0.
    assert battle["x"][0] == 0 and battle["y"][0] == 0
    assert battle["x"][1] < 0 < battle["y"][1]
    assert len(battle["x"]) == len(battle["y"]) == 2
    assert battle["marker"]["size"] == [20, 10] and battle["marker"]["opacity"] == [1.0, 0.6]
    assert battle["marker"]["color"] == "#ee7733" and battle["customdata"] == [["inc-1", 1], ["inc-2", 3]]
    # The axes span the map's box in pixels: 780 px wide x 0.75, 540 px high.
    xaxis = flat["layout"][f"xaxis{battle['xaxis'][1:]}"]
    yaxis = flat["layout"][f"yaxis{battle['yaxis'][1:]}"]
    assert xaxis["range"] == [-292.5, 292.5] and yaxis["range"] == [-270.0, 270.0]
    assert xaxis["domain"] == [0, 0.75] and not xaxis["visible"]


def test_markers_off_the_map_are_left_out_and_those_reaching_into_it_kept():
    fig = figure()
    # The box is 585 x 540 px at zoom 8 (about 0.0073 degrees of longitude per pixel): one
    # marker well outside, one whose centre is 5 px outside but whose 40 px disc reaches in.
    px = 360 / (512 * 2**8)
    edge = 40.5 + 292.5 * px
    fig["data"][1].update(
        lat=[35.0, 35.0, 35.0],
        lon=[40.5, 43.0, edge + 5 * px],
        marker={"size": [10, 10, 40], "color": ["#111111", "#222222", "#333333"]},
        text=["in", "far", "reaching"],
        customdata=[["a", 1], ["b", 1], ["c", 1]],
    )
    flat = flat_map.flatten(fig)
    assert flat is not None
    battle = next(t for t in flat["data"] if t.get("name") == "Battle")
    assert battle["text"] == ["in", "reaching"] and battle["customdata"] == [["a", 1], ["c", 1]]
    assert battle["marker"]["size"] == [10, 40] and battle["marker"]["color"] == ["#111111", "#333333"]
    assert battle["x"][1] == pytest.approx(297.5, abs=0.1)


def test_basemap_then_zones_then_markers_and_the_zone_keeps_its_legend():
    flat = flat_map.flatten(figure())
    assert flat is not None
    kinds = [(t.get("fill"), t.get("mode"), t.get("name")) for t in flat["data"]]
    river = kinds.index((None, "lines", None))
    zone_fill = next(i for i, t in enumerate(flat["data"]) if t.get("fill") == "toself")
    battle = next(i for i, t in enumerate(flat["data"]) if t.get("name") == "Battle")
    assert river < zone_fill < battle
    zone = flat["data"][zone_fill]
    assert zone["fillcolor"] == "rgba(68,170,153,0.4)" and zone["line"]["color"] == "#666666"
    assert len([v for v in zone["x"] if v is None]) == 1  # one ring, closed by a gap
    legend = [t for t in flat["data"] if t.get("name") == "Zone: east bank" and t.get("showlegend")]
    assert len(legend) == 1 and legend[0]["marker"]["symbol"] == "square"
    # The map's background only under the map, not the whole page.
    bg = flat["layout"]["shapes"][0]
    assert bg["fillcolor"] == "#f4f1ea" and (bg["x0"], bg["x1"]) == (0, 0.75)


def test_density_becomes_a_heatmap_over_the_zones_and_under_the_markers():
    flat = flat_map.flatten(figure(density=density_trace()))
    assert flat is not None
    heat = next(t for t in flat["data"] if t["type"] == "heatmap")
    battle = next(t for t in flat["data"] if t.get("name") == "Battle")
    zone = next(t for t in flat["data"] if t.get("fill") == "toself" and t["line"].get("color") == "#666666")
    # plotly draws a subplot's heatmaps under its scatter traces: the heatmap sits on an axis
    # pair overlaid on the zones' pair, and the markers come with it, above.
    assert heat["xaxis"] != zone["xaxis"] and battle["xaxis"] == heat["xaxis"]
    over = flat["layout"][f"xaxis{heat['xaxis'][1:]}"]
    assert over["overlaying"] == zone["xaxis"]
    # MapLibre's kernel: the heavier point (weight 1) peaks at 0.399 of the colour range.
    peak = max(max(row) for row in heat["z"])
    # The lighter point lies ~18 px away (σ = 8 px) and adds about 1 %.
    assert peak == pytest.approx(3.0 * 0.3989, rel=0.05)
    assert heat["colorscale"][0][1] == "rgba(239,237,245,0)"  # plotly makes the first stop clear
    assert heat["colorbar"]["title"]["text"] == "Density"


def test_what_only_maplibre_draws_keeps_the_map():
    tiles = figure()
    tiles["layout"]["map"]["style"] = {
        "version": 8,
        "sources": {"t": {"type": "raster", "tiles": ["http://tiles.intranet/{z}/{x}/{y}.png"]}},
        "layers": [{"id": "t", "type": "raster", "source": "t"}],
    }
    assert flat_map.flatten(tiles) is None
    icons = figure()
    icons["data"][1]["marker"]["symbol"] = "airport"
    assert flat_map.flatten(icons) is None
    named_style = figure()
    named_style["layout"]["map"]["style"] = "open-street-map"
    assert flat_map.flatten(named_style) is None
    turned = figure()
    turned["layout"]["map"]["bearing"] = 30
    assert flat_map.flatten(turned) is None
    assert flat_map.flatten({"data": [], "layout": {"xaxis": {}}}) is None  # no map at all


# ---- rendered in Chromium, compared pixel for pixel ------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    path = os.environ.get("BROWSER_PATH") or snapshot.find_chromium() or shutil.which("chromium")
    if not path:
        msg = "Chromium is not installed: rendered exports cannot be compared"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    yield
    snapshot.get_renderer().close()


def _centroid(png: bytes, rgb: tuple[int, int, int]) -> tuple[float, float, int]:
    """Mean position and count of the pixels of one colour on the map (the legend column, with
    its own sample of each colour, is right of 65 % of the page's width)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    xs = ys = n = 0
    for y in range(img.height):
        for x in range(int(img.width * 0.65)):
            if all(abs(a - b) <= 12 for a, b in zip(img.getpixel((x, y)), rgb, strict=True)):
                xs += x
                ys += y
                n += 1
    assert n, f"no pixel of colour {rgb} in the image"
    return xs / n, ys / n, n


def _stamp():
    from datetime import UTC, date, datetime

    from components.briefing import Stamp

    return Stamp(
        title="Battles near Hajin",
        start=date(2024, 8, 1),
        end=date(2024, 8, 31),
        as_of=date(2024, 8, 31),
        incidents=1,
        reports=1,
        fatalities=3,
        outlets=("Outlet A",),
        url="http://127.0.0.1:8050/?lat=35.0&lon=40.5&zoom=8",  # the link places the map
        exported_at=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
    )


def _marked_figure() -> dict:
    """One red marker off the centre and an opaque blue zone: colours nothing else uses."""
    fig = figure()
    fig["data"][1] = {
        "type": "scattermap",
        "lat": [35.25],
        "lon": [40.2],
        "mode": "markers",
        "marker": {"size": 24, "color": "#ff0000"},
        "name": "Battle",
        "meta": {"kind": "events"},
    }
    fig["data"][0].update(colorscale=[[0, "#0000ff"], [1, "#0000ff"]], showscale=False)
    fig["data"][0]["marker"] = {"opacity": 1.0, "line": {"width": 0}}
    del fig["layout"]["map"]["domain"]
    return fig


TIMELINE = {
    "data": [{"type": "bar", "x": ["2024-08-02", "2024-08-20"], "y": [3, 5], "name": "Battle"}],
    "layout": {
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": "incidents / month"}},
        "yaxis2": {"title": {"text": "fatalities"}},
    },
}


@pytest.mark.parametrize("page", ["map", "briefing"])
def test_flat_and_webgl_maps_put_markers_and_zones_on_the_same_pixels(chromium, page):
    """The dressed export (map alone, or the briefing page with its timeline and table) drawn
    by MapLibre and drawn flat: the marker and the zone land on the same pixels."""
    from components import briefing

    if page == "map":
        fig = briefing.dress(_marked_figure(), _stamp(), 900, 700)
        size = (900, 700)
    else:
        rows = [
            {
                "date": "2024-08-02",
                "type": "Battle",
                "place": "Hajin",
                "actors": "A / B",
                "fatalities": "3",
                "sources": "Outlet A",
            }
        ]
        fig = briefing.briefing_figure(_marked_figure(), TIMELINE, rows, _stamp(), 900, 1200)
        size = (900, 1200)
    flat = flat_map.flatten(fig)
    assert flat is not None
    webgl = snapshot.render(fig, "png", *size)
    plain = snapshot.render(flat, "png", *size)
    for colour in ((255, 0, 0), (0, 0, 255)):
        gx, gy, gn = _centroid(webgl, colour)
        px, py, pn = _centroid(plain, colour)
        assert abs(gx - px) < 1.5 and abs(gy - py) < 1.5, (colour, (gx, gy), (px, py))
        assert abs(gn - pn) / gn < 0.1  # the same area, within antialiasing (2 px more width: 17 %)


def test_svg_and_pdf_exports_are_vectors_with_text(chromium):
    flat = flat_map.flatten(figure(density=density_trace()))
    assert flat is not None
    flat["layout"]["annotations"] = [
        {"text": "Hajin", "x": 0.4, "y": 0.5, "xref": "paper", "yref": "paper", "showarrow": False}
    ]
    svg = snapshot.render(flat, "svg", 800, 600).decode()
    # The zone, river and markers as paths; the only picture is the density's own raster.
    assert svg.count("<image") == 1 and "Hajin" in svg and 'class="point' in svg
    map_svg = snapshot.render(figure(), "svg", 800, 600).decode()
    assert map_svg.count("<image") == 1  # the WebGL map is a picture
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(snapshot.render(flat_map.flatten(figure()), "pdf", 800, 600)))
    assert "Hajin" not in pdf.pages[0].extract_text()
    assert "Battle" in pdf.pages[0].extract_text()  # the legend, as text
    assert not list(pdf.pages[0].images)  # no raster at all without a density layer
