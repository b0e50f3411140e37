"""Each EventFilter field is declared once; the URL, the title, the mask and the controls follow.

These tests walk the declarations, so a field added later is checked without editing them."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from conflictmap.read.fields import (
    AreaParam,
    AtLeastParam,
    ChoiceParam,
    DateParam,
    ListParam,
    NumberParam,
    OneOfParam,
    SetParam,
    SwitchParam,
    TextParam,
    WholeParam,
    WordParam,
)
from conflictmap.read.index import OUTLET_SEP, EventIndex
from conflictmap.read.query import FILTER_PARAMS, EventFilter, params_of


def _sample(name, param):
    """A value other than the default for each kind of declaration."""
    if isinstance(param, DateParam):
        return {"start": date(2023, 1, 2), "end": date(2023, 5, 6), "as_of": date(2023, 3, 4)}[name]
    if isinstance(param, ChoiceParam):
        return (param.cast(param.choices[-1]),)
    if isinstance(param, ListParam):
        return ("Some | thing, odd",)
    if isinstance(param, AtLeastParam):
        return 7
    if isinstance(param, TextParam):
        return "bridge & ferry"
    if isinstance(param, SwitchParam):
        return True
    if isinstance(param, NumberParam):
        return round((param.lo + param.hi) / 3, param.digits)
    if isinstance(param, WordParam):
        return "inc-42"
    if isinstance(param, SetParam):
        return param.choices[:2]
    if isinstance(param, OneOfParam):
        return param.choices[-1]
    if isinstance(param, WholeParam):
        return param.default + 1
    if isinstance(param, AreaParam):
        return ((40.1, 35.0), (40.6, 35.0), (40.6, 35.4))
    raise AssertionError(f"{name}: a kind of declaration this test does not know; add a sample")


def _everything_set() -> EventFilter:
    return EventFilter(**{name: _sample(name, p) for name, p in params_of()})


def test_every_field_is_declared_and_named_in_the_url():
    names = [name for name, _ in params_of()]
    assert len(names) == len(FILTER_PARAMS) >= 18
    assert len(set(FILTER_PARAMS)) == len(FILTER_PARAMS), "two fields share a URL key"


def test_a_filter_with_every_field_set_round_trips_through_its_link():
    flt = _everything_set()
    query = flt.to_query()
    back = EventFilter.from_query(query)
    assert back.problems == ()
    assert back == flt
    for name, param in params_of():
        assert f"{param.key}=" in query, f"{name} was not written to the link"


def test_defaults_write_nothing():
    assert EventFilter().to_query() == ""


def test_controls_round_trip_every_controlled_field():
    from components.filters import CONTROLLED, controls_from_filter, filter_from_controls

    flt = _everything_set()
    again = filter_from_controls(controls_from_filter(flt), EventFilter())
    for name, _param, _control in CONTROLLED:
        assert getattr(again, name) == getattr(flt, name), name
    assert {name for name, _, _ in CONTROLLED} >= {"types", "actors", "start", "end", "text", "layers"}


def test_without_view_resets_exactly_the_view_fields():
    flt = _everything_set()
    bare = flt.without_view()
    for name, param in params_of():
        if param.view:
            assert getattr(bare, name) == getattr(EventFilter(), name), name
        else:
            assert getattr(bare, name) == getattr(flt, name), name


def _index() -> EventIndex:
    frame = pd.DataFrame(
        {
            "event_date": pd.to_datetime(["2023-01-01", "2023-02-01", "2023-03-01"]),
            "event_type": ["battle", "riot", "battle"],
            "actor1": ["A", "B", None],
            "actor2": [None, "C", "A"],
            "fatalities": [3.0, None, 10.0],
            "geo_precision": [1, 2, 3],
            "zone": ["SDF", "none", "SDF"],
            "origins": ["extracted", "reference", f"extracted{OUTLET_SEP}reference"],
            "outlets": ["North Press", f"Enab{OUTLET_SEP}SOHR", "SOHR"],
            "search": ["a raid on the bridge", "protest in town", "the bridge again"],
            "candidate": [False, False, True],
            "review_status": ["confirmed", "rejected", "unreviewed"],
            "longitude": [40.15, 40.55, None],
            "latitude": [35.33, 34.9, None],
        }
    )
    return EventIndex(frame)


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("", [0]),  # the candidate and the rejected incident are hidden by default
        ("cand=1", [0, 2]),
        ("review=rejected", [1]),  # asked for by name
        ("review=confirmed&review=rejected&cand=1", [0, 1]),
        ("review=unreviewed&cand=1", [2]),
        ("start=2023-01-15&review=rejected&review=unreviewed", [1]),
        ("end=2023-01-15", [0]),
        ("type=battle&cand=1", [0, 2]),
        ("actor=A&cand=1", [0, 2]),
        ("minfat=5&cand=1", [2]),
        ("prec=2&prec=3&cand=1", [2]),
        ("zone=none", []),
        ("zone=none&review=rejected", [1]),
        ("origin=reference&cand=1", [2]),
        ("outlet=SOHR&cand=1", [2]),
        ("q=BRIDGE&cand=1", [0, 2]),
        ("q=bridge&type=riot&cand=1", []),
        ("area=40.0,35.2;40.3,35.2;40.3,35.5;40.0,35.5&review=rejected&review=confirmed&cand=1", [0]),
        ("area=40.4,34.8;40.8,34.8;40.8,35.2&review=rejected&review=confirmed&cand=1", [1]),  # a triangle
        ("area=40.0,35.2;40.3,35.2;40.3,35.5;40.0,35.5&q=bridge&cand=1", [0]),  # no point: never inside
    ],
)
def test_each_declared_filter_keeps_what_it_says(query, rows):
    index = _index()
    kept = np.flatnonzero(index.mask(EventFilter.from_query(query)))
    assert kept.tolist() == rows


def test_the_title_is_made_from_the_declarations():
    flt = EventFilter.from_query("type=battle&actor=SDF&minfat=3&q=ferry&zone=SDF&cand=1")
    assert flt.describe() == (
        "battle involving SDF with at least 3 fatalities in zones held by SDF "
        '(with low-confidence candidates) mentioning "ferry"'
    )
    assert EventFilter().describe() == "All events"


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("40,35;41,35", "at least 3 corners"),
        ("40,35;41,35;x,35", "corner 3 (x,35) is not lon,lat"),
        ("40,35;41,35;41,95", "corner 3 (41,95) is off the globe"),
    ],
)
def test_a_bad_area_is_named_and_ignored(raw, said):
    flt = EventFilter.from_query("area=" + raw)
    assert flt.area == () and any(said in p for p in flt.problems), flt.problems


def test_a_drawn_area_round_trips_and_titles_the_view():
    flt = EventFilter.from_query("area=40.1,35.0;40.6,35.0;40.6,35.4")
    assert flt.area == ((40.1, 35.0), (40.6, 35.0), (40.6, 35.4)) and flt.problems == ()
    assert EventFilter.from_query(flt.to_query()) == flt
    assert flt.describe() == "All events in a drawn area"


def test_playback_fields_are_read_and_bad_ones_named():
    flt = EventFilter.from_query("play=week&window=14&start=2024-11-20&end=2024-12-03")
    assert (flt.play, flt.window) == ("week", 14) and flt.problems == ()
    bad = EventFilter.from_query("play=weekly&window=0")
    assert bad.play is None and bad.window == 30
    assert any('play=weekly is not a playback step (did you mean "week"?)' in p for p in bad.problems)
    assert any("window=0 is outside 1..3660" in p for p in bad.problems)


def test_the_drawn_area_is_drawn_back_on_the_map():
    from components.figures import area_trace

    corners = ((40.1, 35.0), (40.6, 35.0), (40.6, 35.4))
    (trace,) = area_trace(corners)
    assert trace["mode"] == "lines" and trace["meta"] == {"kind": "area"}
    assert list(zip(trace["lon"], trace["lat"], strict=True)) == [*corners, corners[0]]  # closed
    assert trace["hoverinfo"] == "skip"  # never takes a click meant for an incident
    assert area_trace(()) == []
