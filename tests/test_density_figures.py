"""Density above a threshold, circles below it or zoomed in; the size key; circles smallest on top.

Pure figure functions on hand-made marker groups (``map_groups``'s columns): no store, no browser.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from components.figures import (
    CIRCLES_ZOOM,
    DEFAULT_ZOOM,
    DENSITY_RADIUS_PX,
    DENSITY_THRESHOLD,
    SIZE_KEY_STEPS,
    drawn_size,
    map_figure,
    map_mode,
    map_spec,
    marker_size,
    metres_per_px,
    selection_index,
)

DEIR = (35.336, 40.141)
MAYADIN = (35.02, 40.45)


def groups_of(rows: list[tuple]) -> pd.DataFrame:
    """Marker groups from (lat, lon, type, precision, count, fatalities) rows."""
    out = []
    for i, (lat, lon, etype, prec, count, fat) in enumerate(rows):
        out.append(
            {
                "latitude": lat,
                "longitude": lon,
                "event_type": etype,
                "geo_precision": prec,
                "count": count,
                "fatalities": float(fat),
                "fatalities_stated": count,
                "incident_id": f"inc:{i}",
                "location": f"place {i}",
                "first": pd.Timestamp("2024-01-01"),
                "last": pd.Timestamp("2024-02-01"),
                "actors": "SDF / ISIS",
                "candidate": False,
                "reviewed": False,
            }
        )
    return pd.DataFrame(out)


def crowd(total: int) -> pd.DataFrame:
    """``total`` incidents at two towns (two types each) and a governorate-level report."""
    a = total // 2
    b = total - a - 10
    return groups_of(
        [
            (*DEIR, "battle", 1, a - 5, 40),
            (*DEIR, "protest", 1, 5, 0),
            (*MAYADIN, "battle", 2, b, 12),
            (*DEIR, "strategic_development", 3, 10, 0),
        ]
    )


def kinds(fig: dict) -> list[str]:
    return [(t.get("meta") or {}).get("kind", "") for t in fig["data"]]


ALL = ("zones", "events", "labels", "sites", "rivers", "borders")


# ---- the switch ----------------------------------------------------------------------------------


def test_density_above_the_threshold_circles_at_or_below_it():
    at = map_spec(crowd(DENSITY_THRESHOLD), None, {}, None, ALL)
    above = map_spec(crowd(DENSITY_THRESHOLD + 1), None, {}, None, ALL)
    assert at["layout"]["meta"]["map_mode"] == "circles" and "density" not in kinds(at)
    assert "events" in kinds(at)
    assert above["layout"]["meta"] == {"map_mode": "density", "in_view": DENSITY_THRESHOLD + 1}
    # instead of the circles, not on top of them; the selection halo keeps its place
    assert "density" in kinds(above) and "events" not in kinds(above)
    assert [t["type"] for t in above["data"] if t["meta"]["kind"] == "density"] == ["densitymap"]
    assert selection_index(above) == kinds(above).index("selection")


def test_zoomed_in_past_the_level_draws_circles_whatever_the_count():
    groups = crowd(50_000)
    below = map_spec(groups, None, {}, None, ALL, view=(*DEIR, CIRCLES_ZOOM - 0.01))
    at = map_spec(groups, None, {}, None, ALL, view=(*DEIR, CIRCLES_ZOOM))
    assert below["layout"]["meta"]["map_mode"] == "density"
    assert at["layout"]["meta"]["map_mode"] == "circles"
    assert "events" in kinds(at) and "density" not in kinds(at)


def test_in_view_counts_only_what_the_map_around_the_centre_shows():
    groups = crowd(10_000)  # half at Deir ez-Zor, half at Mayadin (45 km apart)
    # zoomed on Deir ez-Zor at 9.6: Mayadin is off the map, 5,010 are left: still density
    near = map_mode(groups, ALL, (*DEIR, 9.6))
    assert near.density and near.in_view == 5_010  # the governorate-level ones included
    # far from both towns: nothing in view, circles
    assert not map_mode(groups, ALL, (36.5, 38.0, 9.0)).density
    assert map_mode(groups, ALL, None).in_view == 10_000  # default view: the whole governorate


def test_layers_density_forces_density_at_any_count_and_zoom():
    few = crowd(40)
    layers = (*ALL, "density")
    fig = map_spec(few, None, {}, None, layers, view=(*DEIR, 12.0))
    assert fig["layout"]["meta"]["map_mode"] == "density" and "events" not in kinds(fig)
    mode = map_mode(few, layers, (*DEIR, 12.0))
    assert mode.asked and "asked for under Layers" in mode.reason and "untick" in mode.reason
    # events off, density on: still drawn; neither: nothing of the incidents
    assert map_mode(few, ("zones", "density")).density
    assert not map_mode(crowd(50_000), ("zones",)).density


def test_other_layers_are_drawn_in_both_modes():
    zones_fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"zone_id": "z1", "controller": "SDF"},
                "geometry": {"type": "Polygon", "coordinates": [[[40, 35], [41, 35], [41, 36], [40, 35]]]},
            }
        ],
    }
    line = {"type": "FeatureCollection", "features": []}
    basemap = {"rivers": line, "countries": line, "governorates": line, "deir_ez_zor": line, "lakes": line}
    sites = pd.DataFrame(
        {
            "latitude": [35.1],
            "longitude": [40.3],
            "name": ["Omar field"],
            "kind": ["oil_field"],
            "place_id": ["p"],
        }
    )
    towns = pd.DataFrame({"name": ["Hajin"], "latitude": [34.69], "longitude": [40.83]})
    for total in (100, 100_000):
        fig = map_spec(
            crowd(total),
            zones_fc,
            basemap,
            sites,
            ALL,
            settlements=towns,
            glyphs_url="http://h/{fontstack}/{range}.pbf",
        )
        assert {"zones", "sites", "labels", "selection"} <= set(kinds(fig))
        assert len(fig["layout"]["map"]["layers"]) == 5  # lakes, three borders, rivers


# ---- what the legend and hover say ---------------------------------------------------------------


def test_density_legend_colour_bar_and_hover_say_which_mode_and_why():
    fig = map_spec(crowd(100_000), None, {}, None, ALL)
    trace = next(t for t in fig["data"] if t["meta"]["kind"] == "density")
    reason = "Density: 100,000 incidents in view; zoom in or filter to see each incident"
    assert trace["name"].replace("<br>", " ") == reason and trace["showlegend"] is True
    assert any(a["text"] == reason for a in fig["layout"]["annotations"])  # on the map too
    assert all(t.startswith(f"<b>{reason}</b><br>") for t in trace["text"])
    assert "100,000" not in trace["text"][0].split("<br>")[1]  # the second line is about the place
    bar = trace["colorbar"]
    title = bar["title"]["text"].replace("<br>", " ")
    assert "incidents per 100 km² at this zoom" in title
    assert "10 placed only to the governorate not included" in title
    assert bar["ticktext"][0] == "0" and bar["ticktext"][-1].endswith("(densest)")
    assert trace["showscale"] is True
    # no size key in density mode: circles are not drawn
    assert not fig["layout"].get("shapes")


def test_colour_bar_units_follow_maplibres_kernel():
    """One lone town with N incidents: MapLibre's sum there is 0.399 N; spread as a Gaussian of
    sigma = radius/3 px, that is N / (2 pi sigma^2) incidents per px^2."""
    n = 10_000
    groups = groups_of([(*DEIR, "battle", 1, n, 0)])
    fig = map_spec(groups, None, {}, None, ALL)
    trace = next(t for t in fig["data"] if t["meta"]["kind"] == "density")
    assert trace["zmax"] == pytest.approx(0.3989422804 * n)
    assert sum(trace["z"]) == pytest.approx(n)  # every incident weighs, nothing clamped
    assert max(trace["z"]) <= trace["zmax"]
    sigma_px = DENSITY_RADIUS_PX / 3
    km2_px = (metres_per_px(35.05, DEFAULT_ZOOM) / 1000) ** 2
    per_100km2 = n / (2 * math.pi * sigma_px**2 * km2_px) * 100
    assert trace["meta"]["top"] == pytest.approx(per_100km2)
    # the top tick is the top colour, and the ticks are linear in incidents per 100 km²
    bar = trace["colorbar"]
    assert bar["tickvals"][-1] == trace["zmax"]
    ticks = [float(t.replace(",", "")) for t in bar["ticktext"][:-1]]
    for value, text in zip(bar["tickvals"][1:-1], ticks[1:], strict=True):
        assert value / trace["zmax"] == pytest.approx(text / per_100km2)
    # zoomed in one level, a pixel covers a quarter of the area: the same colour means 4x the density
    closer = map_spec(groups, None, {}, None, (*ALL, "density"), view=(35.05, 40.25, DEFAULT_ZOOM + 1))
    deeper = next(t for t in closer["data"] if t["meta"]["kind"] == "density")
    assert deeper["meta"]["top"] == pytest.approx(4 * per_100km2, rel=0.01)


def test_a_place_heavier_than_the_top_is_split_not_clamped():
    groups = groups_of([(*DEIR, "battle", 1, 9_000, 0)])
    trace = next(t for t in map_spec(groups, None, {}, None, ALL)["data"] if t["meta"]["kind"] == "density")
    assert len(trace["z"]) == 3 and sum(trace["z"]) == pytest.approx(9_000)


def test_size_key_in_the_dashboard_only_and_at_the_maps_sizes():
    groups = crowd(100)
    plain = map_spec(groups, None, {}, None, ALL)
    assert not plain["layout"].get("shapes")  # exports draw their own legends
    fig = map_spec(groups, None, {}, None, ALL, with_size_key=True)
    circles = fig["layout"]["shapes"]
    assert [c["x1"] - c["x0"] for c in circles] == pytest.approx(
        [marker_size(f) for f in reversed(SIZE_KEY_STEPS)]
    )
    texts = " ".join(a["text"] for a in fig["layout"]["annotations"])
    assert "Circle size: fatalities" in texts and "none or not stated" in texts and "100 or more" in texts
    assert "hover" in texts  # the count of a shared circle is in its hover
    assert all(c["xanchor"] == 1.0 and c["xsizemode"] == "pixel" for c in circles)  # beside the map


# ---- circles that read ---------------------------------------------------------------------------


def test_smallest_drawn_on_top_across_types_at_one_point():
    """At one point the big black strategic-development circle used to come last (its trace is
    last) and hide the battles under it."""
    groups = groups_of(
        [
            (*DEIR, "battle", 1, 1, 0),  # small
            (*DEIR, "strategic_development", 1, 30, 200),  # big
            (*DEIR, "protest", 1, 3, 5),  # middle
            (*MAYADIN, "strategic_development", 1, 1, 0),
        ]
    )
    fig = map_spec(groups, None, {}, None, ("events",))
    order = []  # (trace index, position in trace) -> size, for the Deir ez-Zor point
    for i, t in enumerate(fig["data"]):
        if t["meta"]["kind"] != "events":
            continue
        for j, (lat, size) in enumerate(zip(t["lat"], t["marker"]["size"], strict=True)):
            if lat == DEIR[0]:
                order.append(((i, j), size))
    sizes = [s for _, s in sorted(order)]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) == 3
    # each type is still one legend entry, in the usual order, and toggles all its traces
    shown = [t for t in fig["data"] if t.get("showlegend") and t["meta"]["kind"] == "events"]
    ranked = [t["name"] for t in sorted(shown, key=lambda t: t["legendrank"])]
    assert ranked == ["Battle", "Protest", "Strategic development"]
    shown = [t["name"] for t in shown]
    assert len(shown) == len(set(shown)) == 3
    assert fig["layout"]["legend"]["groupclick"] == "togglegroup"
    for t in fig["data"]:
        if t["meta"]["kind"] == "events":
            assert (
                t["legendgroup"]
                == f"events-{groups.loc[groups['incident_id'] == t['customdata'][0][0], 'event_type'].iloc[0]}"
            )


def test_within_a_trace_big_first_and_area_only_discs_underneath():
    groups = groups_of(
        [
            (35.0, 40.0, "battle", 1, 1, 0),
            (35.5, 40.5, "battle", 1, 1, 50),
            (34.8, 40.8, "battle", 1, 1, 5),
            (35.2, 40.2, "battle", 3, 2, 0),
        ]
    )
    fig = map_spec(groups, None, {}, None, ("events",))
    events = [t for t in fig["data"] if t["meta"]["kind"] == "events"]
    assert events[0]["meta"]["approximate"] is True  # the pale governorate-level disc first
    placed = [t for t in events if not t["meta"]["approximate"]]
    assert len(placed) == 1 and placed[0]["marker"]["size"] == sorted(
        placed[0]["marker"]["size"], reverse=True
    )


def test_shared_circles_say_how_many_in_their_hover_and_size():
    groups = groups_of([(*DEIR, "battle", 1, 12, 7), (*MAYADIN, "battle", 1, 1, 7)])
    fig = map_figure(groups, None, {}, None, ("events",))
    battle = next(t for t in fig.data if t.meta["kind"] == "events")
    hover = {cd[1]: text for cd, text in zip(battle.customdata, battle.text, strict=True)}
    assert "12 incidents" in hover[12] and "1 incident," in hover[1]
    sizes = dict(zip([cd[1] for cd in battle.customdata], battle.marker.size, strict=True))
    assert sizes[12] == drawn_size(7, 12, 1) > sizes[1]


def test_mode_key_changes_with_the_mode_and_in_density_with_the_zoom():
    groups = crowd(50_000)
    default = map_mode(groups, ALL, None)
    assert default.key(None).startswith("density@")
    assert map_mode(groups, ALL, (*DEIR, 8.0)).key((*DEIR, 8.0)) != map_mode(groups, ALL, (*DEIR, 8.5)).key(
        (*DEIR, 8.5)
    )
    assert map_mode(groups, ALL, (*DEIR, 11.0)).key((*DEIR, 11.0)) == "circles"
    assert map_mode(crowd(100), ALL, (*DEIR, 8.0)).key((*DEIR, 8.0)) == "circles"
