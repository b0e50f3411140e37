"""Callback helpers called directly: controls <-> filter, timeline drag, map click."""

from datetime import date

from components.detail_panel import evidence_spans, paragraph_with_marks
from components.filters import (
    _clicked_incident,
    _range_from_relayout,
    controls_from_filter,
    filter_from_controls,
)
from conflictmap.query import EventFilter


def test_controls_and_filter_round_trip():
    flt = EventFilter.from_query(
        "start=2023-08-01&end=2023-09-01&type=battle&actor=SDF&minfat=2&prec=1&zone=SDF&q=bridge"
    )
    again = filter_from_controls(controls_from_filter(flt), EventFilter())
    assert again == flt


def test_controls_keep_the_selected_event_and_view():
    current = EventFilter(event="inc:x", lat=35.0, lon=40.0, zoom=8.0, embed=True)
    flt = filter_from_controls(controls_from_filter(EventFilter(types=("riot",))), current)
    assert flt.types == ("riot",) and flt.event == "inc:x" and flt.zoom == 8.0
    assert "embed=1" in flt.to_query()  # an embedded page stays embedded while filtering


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


def test_every_evidence_sentence_is_marked_within_its_paragraph():
    text = (
        "Title line\nFirst sentence. The key sentence here. Last one. The toll rose to four.\nNext paragraph."
    )
    first = "The key sentence here."
    evidence = first + " The toll rose to four."
    start = text.index(first)
    spans = evidence_spans(text, evidence, start, start + len(first))
    assert [text[s:e] for s, e in spans] == [first, "The toll rose to four."]
    children = paragraph_with_marks(text, spans)
    assert children[0] == "First sentence. "
    assert [c.children for c in children if not isinstance(c, str)] == [first, "The toll rose to four."]
    assert "Next paragraph" not in "".join(c for c in children if isinstance(c, str))
    assert evidence_spans(text, evidence, None, None) == []


def test_map_pan_and_zoom_become_url_view():
    from components.filters import _view_from_relayout

    relayout = {"map.center": {"lon": 40.51234567, "lat": 35.0123456}, "map.zoom": 8.123, "map.bearing": 0}
    assert _view_from_relayout(relayout) == (35.0123, 40.5123, 8.12)
    assert _view_from_relayout({"autosize": True}) is None


def test_view_or_selection_changes_do_not_redraw_the_map():
    from components.map_panel import drawn_key

    base = drawn_key("type=battle")
    assert drawn_key("type=battle&lat=35.1&lon=40.2&zoom=8&event=inc:x") == base
    assert drawn_key("type=protest") != base
    assert drawn_key("type=battle&layers=zones") != base


def test_unset_control_values_compare_equal():
    from components.filters import _same

    assert _same(None, "") and _same([], None) and _same(0, None)
    assert not _same(["battle"], []) and not _same("2024-01-01", None)
    # the layout's defaults equal what an empty URL asks for, so nothing is rewritten on load
    from components.filters import controls_from_filter
    from conflictmap.query import LAYERS

    defaults = [None, None, None, [], None, 0, [], None, [], None, None, list(LAYERS)]
    assert all(_same(a, b) for a, b in zip(defaults, controls_from_filter(EventFilter()), strict=True))
