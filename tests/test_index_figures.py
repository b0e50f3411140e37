"""Incident index (filters, zones on the event's date, grouping) and the pure figure functions."""

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from components.figures import (
    EMPTY_MESSAGE,
    fatalities_text,
    label_names,
    map_figure,
    map_spec,
    marker_at,
    selection_index,
    timeline_figure,
)
from components.theme import EVENT_COLOURS
from conflictmap.read.index import EventIndex, build_incidents, map_groups, split_outlets, timeline_bins
from conflictmap.read.query import EventFilter
from conflictmap.storage.store import EventStore
from tests.helpers import make_event, split_zones


@pytest.fixture
def index(tmp_path):
    store = EventStore(f"sqlite:///{tmp_path / 'x.sqlite'}")
    store.upsert_events(
        [
            make_event("e1", event_date=date(2024, 8, 7), fatalities=4),
            make_event(
                "e2", article_id="other", event_date=date(2024, 8, 8), fatalities=6, source="Second Outlet"
            ),
            make_event(
                "e3",
                event_type="protest",
                sub_event_type="peaceful protest",
                latitude=35.33,
                longitude=40.14,
                location="Deir ez-Zor",
                geo_precision=3,
                actor1="Civilians",
                actor2=None,
                evidence="Crowds gathered in the square.",
            ),
            make_event(
                "e4", event_date=date(2024, 12, 20), latitude=35.3, longitude=40.1, location="Muhassan"
            ),
            make_event("r1", origin="reference", event_date=date(2019, 5, 1), source="Archive"),
        ]
    )
    store.set_incidents({"e1": ("inc:e1", "same place, 1 day"), "e2": ("inc:e1", "same place, 1 day")})
    return EventIndex(build_incidents(store.events_frame(), split_zones()))


def test_reports_of_one_incident_count_once(index):
    row = index.frame.set_index("incident_id").loc["inc:e1"]
    assert row["n_reports"] == 2
    assert row["fatalities"] == 4  # the most conservative report wins
    assert split_outlets(row["outlets"]) == ["Second Outlet", "Test Outlet"]
    assert len(index) == 4


def test_zone_is_the_one_held_on_the_event_date(index):
    zone = dict(zip(index.frame["incident_id"], index.frame["zone"], strict=True))
    assert zone["inc:e1"] == "SDF"
    assert zone["inc:e3"] == "unknown"  # governorate-level: the capital's zone says nothing
    assert zone["inc:e4"] == "Syrian transitional government"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"inc:e1", "inc:e3", "inc:e4", "inc:r1"}),
        ("type=protest", {"inc:e3"}),
        ("actor=Civilians", {"inc:e3"}),
        ("minfat=4", {"inc:e1"}),
        ("prec=3", {"inc:e3"}),
        ("zone=unknown", {"inc:e3"}),
        ("zone=Syrian+transitional+government", {"inc:e4"}),
        ("origin=reference", {"inc:r1"}),
        ("outlet=Second+Outlet", {"inc:e1"}),
        ("q=CROWDS", {"inc:e3"}),
        ("start=2024-08-07&end=2024-12-31", {"inc:e1", "inc:e3", "inc:e4"}),
        ("start=2024-08-08", {"inc:e4"}),
    ],
)
def test_each_filter_kind(index, query, expected):
    assert set(index.select(EventFilter.from_query(query))["incident_id"]) == expected


def test_map_groups_stack_same_place_and_type(index):
    groups = map_groups(index.frame)
    at_dhiban = groups[(groups["latitude"] == 35.01) & (groups["event_type"] == "battle")]
    assert int(at_dhiban["count"].iloc[0]) == 2  # the merged incident plus the reference one


def test_map_figure_traces_ids_and_colours(index):
    groups = map_groups(index.frame)
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
    fig = map_figure(groups, zones_fc, {}, None, ("zones", "events"))
    assert isinstance(fig, go.Figure)
    kinds = [t.type for t in fig.data]
    assert kinds[0] == "choroplethmap" and set(kinds[1:]) == {"scattermap"}
    ids = {cd[0] for t in fig.data[1:] if t.meta["kind"] == "events" for cd in t.customdata}
    assert ids == set(groups["incident_id"])
    battle = next(t for t in fig.data if t.name == "Battle")
    assert battle.marker.color == EVENT_COLOURS["battle"]
    approx = next(t for t in fig.data if t.meta and t.meta.get("approximate"))
    assert min(approx.marker.size) >= 30  # governorate-level: visibly not a village
    assert "glyphs" not in fig.layout.map.style  # no remote font fetch
    assert map_figure(groups, zones_fc, {}, None, ("zones", "events")).to_json() == fig.to_json()  # pure


def test_map_figure_empty_case_keeps_zones():
    fig = map_figure(map_groups(pd.DataFrame(columns=["latitude", "longitude"])), None, {}, None, ("events",))
    assert fig.layout.annotations[0].text == EMPTY_MESSAGE


def test_hover_text_carries_no_markup(index):
    frame = index.frame.copy()
    frame.loc[0, "location"] = '<img src=x onerror="alert(1)">Dhiban'
    fig = map_figure(map_groups(frame), None, {}, None, ("events",))
    text = " ".join(t for tr in fig.data if tr.meta["kind"] == "events" for t in tr.text)
    assert "<img" not in text and "onerror" not in text.replace("onerror=", "") or "‹img" in text


def test_layers_switch_off(index):
    fig = map_figure(
        map_groups(index.frame), None, {"rivers": {"type": "FeatureCollection", "features": []}}, None, ()
    )
    assert [len(t.lat) for t in fig.data] == [0]  # only the empty trace that keeps the map drawn
    assert not fig.layout.map.layers


def test_timeline_stacks_by_type_and_marks_zone_changes(index):
    bins, unit = timeline_bins(index.frame, date(2024, 8, 1), date(2024, 12, 31))
    assert unit == "week"
    fig = timeline_figure(
        bins, unit, [(date(2024, 12, 6), "SDF takes west bank")], date(2024, 8, 1), date(2024, 12, 31)
    )
    bars = [t for t in fig.data if t.type == "bar"]
    assert {t.name for t in bars} == {"Battle", "Protest"}
    assert fig.layout.barmode == "stack"
    assert any(t.name == "Fatalities" and t.yaxis == "y2" for t in fig.data)
    marks = [a for a in fig.layout.annotations if a.text == "SDF takes west bank"]
    assert len(marks) == 1 and marks[0].x == "2024-12-06" and "2024-12-06" in marks[0].hovertext


def test_timeline_bins_pick_unit_by_range(index):
    assert timeline_bins(index.frame, date(2024, 8, 1), date(2024, 9, 1))[1] == "day"
    assert timeline_bins(index.frame, date(2017, 1, 1), date(2024, 12, 31))[1] == "month"


def test_a_closed_zone_version_with_no_successor_stops_on_its_last_day(tmp_path):
    from shapely.geometry import box

    from conflictmap.models import ZoneVersion

    only = [ZoneVersion("z", "X", date(2020, 1, 1), date(2020, 6, 30), "box", box(39, 34, 42, 36))]
    store = EventStore(f"sqlite:///{tmp_path / 'z.sqlite'}")
    store.upsert_events(
        [
            make_event("in", event_date=date(2020, 6, 30)),
            make_event("after", event_date=date(2020, 7, 15)),
            make_event("before", event_date=date(2019, 12, 31)),
        ]
    )
    frame = build_incidents(store.events_frame(), only)
    zone = dict(zip(frame["incident_id"], frame["zone"], strict=True))
    assert zone == {"inc:in": "X", "inc:after": "none", "inc:before": "none"}


def test_outlet_names_with_separators_survive_the_url(index):
    flt = EventFilter(outlets=("Enab Baladi | English", "A, B"))
    assert EventFilter.from_query(flt.to_query()).outlets == flt.outlets


def _square(zone_id: str, controller: str, **props) -> dict:
    return {
        "type": "Feature",
        "properties": {"zone_id": zone_id, "controller": controller, **props},
        "geometry": {"type": "Polygon", "coordinates": [[[40, 35], [41, 35], [41, 36], [40, 35]]]},
    }


def test_contested_and_low_confidence_zones_are_drawn_apart(index):
    zones_fc = {
        "type": "FeatureCollection",
        "features": [
            _square("held", "SDF", status="held", confidence="medium"),
            _square("fight", "Contested", status="contested", confidence="low"),
        ],
    }
    fig = map_figure(map_groups(index.frame), zones_fc, {}, None, ("zones", "events"))
    zones = {t.name: t for t in fig.data if t.type == "choroplethmap"}
    assert set(zones) == {"Zone: SDF", "Zone: Contested (low confidence)"}
    assert zones["Zone: Contested (low confidence)"].marker.opacity < zones["Zone: SDF"].marker.opacity
    # The contested area gets a dashed outline layer; the held one does not.
    outlines = [layer for layer in fig.layout.map.layers if layer.line and layer.line.dash]
    assert len(outlines) == 1
    assert [f["properties"]["zone_id"] for f in outlines[0].source["features"]] == ["fight"]


def test_a_date_before_the_zones_says_so_on_the_map(index):
    fig = map_figure(
        map_groups(index.frame),
        None,
        {},
        None,
        ("zones", "events"),
        notice="no control data before 2019-03-23",
    )
    assert "no control data before 2019-03-23" in [a.text for a in fig.layout.annotations]
    quiet = map_figure(map_groups(index.frame), None, {}, None, ("events",), notice="no control data")
    assert "no control data" not in [a.text for a in quiet.layout.annotations]


def test_place_labels_name_the_events_places_first_and_never_a_governorate_disc(index):
    groups = map_groups(index.frame)
    towns = pd.DataFrame(
        {
            "name": ["Big City", "Dhiban"],
            "kind": ["city", "town"],
            "latitude": [35.0, 35.1],
            "longitude": [40.0, 40.1],
        }
    )
    names = label_names(groups, towns)["name"].tolist()
    event_places = set(groups.loc[groups["geo_precision"] < 3, "location"])
    assert set(names[: len(event_places)]) == event_places  # the events' own places lead
    assert "Big City" in names and names.count("Dhiban") <= 1  # no name twice
    assert "Deir ez-Zor" not in names  # only named by a governorate-level report (precision 3)
    glyphs = "http://127.0.0.1:8050/assets/glyphs/{fontstack}/{range}.pbf"
    fig = map_figure(groups, None, {}, None, ("events", "labels"), settlements=towns, glyphs_url=glyphs)
    assert fig.layout.map.style["glyphs"] == glyphs  # the app's own glyphs, never a remote host
    labels = next(t for t in fig.data if t.meta and t.meta.get("kind") == "labels")
    assert labels.mode == "markers+text" and labels.marker.opacity == 0 and list(labels.text) == names
    off = map_figure(groups, None, {}, None, ("events",), settlements=towns, glyphs_url=glyphs)
    assert not [t for t in off.data if t.meta and t.meta.get("kind") == "labels"]
    # Without glyphs MapLibre cannot draw text: no label layer rather than a broken map.
    bare = map_figure(groups, None, {}, None, ("events", "labels"), settlements=towns)
    assert not [t for t in bare.data if t.meta and t.meta.get("kind") == "labels"]


def test_unknown_tolls_read_not_stated_never_zero(index):
    frame = index.frame.copy()
    frame["fatalities"] = float("nan")
    fig = map_figure(map_groups(frame), None, {}, None, ("events",))
    hover = " ".join(t for tr in fig.data if tr.meta["kind"] == "events" for t in tr.text)
    assert "fatalities: not stated" in hover and "fatalities: 0" not in hover
    assert fatalities_text(7.0, 1, 3) == "7 (stated for 1 of 3 incidents)"
    assert fatalities_text(0.0, 2, 2) == "0"


def test_selected_incident_gets_a_halo_under_its_marker(index):
    groups = map_groups(index.frame)
    plain_fig = map_spec(groups, None, {}, None, ("events",))
    halo = plain_fig["data"][selection_index(plain_fig)]
    assert halo["lat"] == [] and halo["meta"]["kind"] == "selection"
    fig = map_spec(groups, None, {}, None, ("events",), selected=(35.1, 40.2, 12.0))
    i = selection_index(fig)
    assert fig["data"][i]["lat"] == [35.1] and fig["data"][i]["marker"]["size"] == [26.0]
    # under every event marker: the halo comes before the event traces
    assert all(t["meta"]["kind"] == "events" for t in fig["data"][i + 1 :])


def test_timeline_ticks_are_whole_numbers_once(index):
    bins, unit = timeline_bins(index.frame, date(2024, 8, 1), date(2024, 12, 31))
    fig = timeline_figure(bins, unit, [], date(2024, 8, 1), date(2024, 12, 31))
    assert fig.layout.yaxis.dtick == 1 and fig.layout.yaxis.tick0 == 0  # counts of 1-2: steps of 1
    assert fig.layout.yaxis2.tickmode == "auto"


def test_a_click_on_a_key_site_opens_the_marker_drawn_under_it(index):
    groups = map_groups(index.frame)
    town = groups[groups["geo_precision"] < 3].iloc[0]
    lat, lon = float(town["latitude"]), float(town["longitude"])
    assert marker_at(groups, lat + 0.001, lon, 9) == town["incident_id"]  # a dot a few px away
    assert marker_at(groups, lat + 1.0, lon, 9) is None  # far from every marker


def test_main_events_rank_by_fatalities_then_reports_then_latest():
    from conflictmap.read.index import main_events

    frame = pd.DataFrame(
        {
            "incident_id": ["a", "b", "c", "d"],
            "fatalities": [3.0, None, 3.0, 0.0],
            "n_reports": [1, 5, 2, 1],
            "event_date": pd.to_datetime(["2024-01-01", "2024-01-05", "2023-12-01", "2024-02-01"]),
        }
    )
    assert main_events(frame, 3)["incident_id"].tolist() == ["c", "a", "b"]
    assert main_events(frame.iloc[0:0], 3).empty


@pytest.mark.parametrize("unit", ["day", "week", "month"])
@pytest.mark.parametrize("stored", ["datetime64[s]", "datetime64[ns]", "datetime64[ms]"])
def test_timeline_bins_begin_on_the_day_monday_or_first_of_the_month(unit, stored):
    """Bins made on day numbers agree with pandas' calendar for any date, before 1970 too."""
    import numpy as np

    from conflictmap.read.index import bin_days, day_numbers

    rng = np.random.default_rng(7)
    stamps = pd.Series(
        pd.Timestamp("1960-01-01")
        + pd.to_timedelta(rng.integers(0, 36_000, 3_000), unit="D")
        + pd.to_timedelta(rng.integers(0, 86_400, 3_000), unit="s")
    )
    expected = {
        "day": stamps.dt.normalize(),
        "week": (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.normalize(),
        "month": stamps.dt.to_period("M").dt.start_time,
    }[unit]
    got = bin_days(day_numbers(stamps.to_numpy().astype(stored)), unit)
    assert got.tolist() == expected.to_numpy(dtype="datetime64[D]").astype(np.int64).tolist()
    assert len(set(got.tolist())) > 100  # many bins, so a constant answer cannot pass


@pytest.mark.parametrize("stored", ["datetime64[s]", "datetime64[us]", "datetime64[ns]"])
def test_a_row_without_a_date_has_no_timeline_bin(stored):
    frame = pd.DataFrame(
        {
            "event_date": pd.Series(["2024-08-07", None, "2024-08-09"], dtype=stored),
            "event_type": ["battles", "battles", "protests"],
            "fatalities": [2.0, 5.0, None],
        }
    )
    bins, unit = timeline_bins(frame, date(2024, 8, 1), date(2024, 8, 31))
    assert unit == "day"
    assert sorted(str(b.date()) for b in bins["bin"]) == ["2024-08-07", "2024-08-09"]
    assert bins["count"].sum() == 2 and bins["fatalities"].sum() == 2.0
