"""Callback helpers called directly: controls <-> filter, timeline drag, map click."""

from datetime import date

from components.filters import (
    _clicked_incident,
    _range_from_relayout,
    controls_from_filter,
    filter_from_controls,
)
from components.detail_panel import paragraph_around
from conflictmap.query import EventFilter


def test_controls_and_filter_round_trip():
    flt = EventFilter.from_query("start=2023-08-01&end=2023-09-01&type=battle&actor=SDF&minfat=2&prec=1&zone=SDF&q=bridge")
    again = filter_from_controls(controls_from_filter(flt), EventFilter())
    assert again == flt


def test_controls_keep_the_selected_event_and_view():
    current = EventFilter(event="inc:x", lat=35.0, lon=40.0, zoom=8.0)
    flt = filter_from_controls(controls_from_filter(EventFilter(types=("riot",))), current)
    assert flt.types == ("riot",) and flt.event == "inc:x" and flt.zoom == 8.0


def test_bad_control_values_do_not_break_the_filter():
    values = controls_from_filter(EventFilter())
    values[5] = "lots"  # min fatalities typed as text
    assert filter_from_controls(values, EventFilter()).min_fatalities == 0


def test_timeline_drag_and_reset():
    assert _range_from_relayout({"xaxis.range[0]": "2023-08-03 12:00", "xaxis.range[1]": "2023-09-10"}) == (
        date(2023, 8, 3),
        date(2023, 9, 10),
    )
    assert _range_from_relayout({"xaxis.autorange": True}) == (None, None)
    assert _range_from_relayout({"dragmode": "pan"}) is None


def test_click_on_event_marker_only():
    assert _clicked_incident({"points": [{"customdata": ["inc:abc", 3]}]}) == "inc:abc"
    assert _clicked_incident({"points": [{"customdata": ["zone-1", "zone"]}]}) is None
    assert _clicked_incident(None) is None


def test_paragraph_around_finds_the_sentence():
    text = "Title line\nFirst sentence. The key sentence here. Last one.\nNext paragraph."
    start = text.index("The key")
    before, sentence, after = paragraph_around(text, start, start + len("The key sentence here."))
    assert (before, sentence, after) == ("First sentence. ", "The key sentence here.", " Last one.")
    assert paragraph_around(text, None, None) is None
