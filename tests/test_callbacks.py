"""Callback helpers called directly: controls <-> filter, timeline drag, map click."""

import json
from datetime import date

import pytest

from components.detail_panel import evidence_spans, paragraph_with_marks
from components.filters import (
    _clicked_incident,
    _range_from_relayout,
    controls_from_filter,
    filter_from_controls,
)
from conflictmap.config import Settings
from conflictmap.read.query import EventFilter


def test_controls_and_filter_round_trip():
    flt = EventFilter.from_query(
        "start=2023-08-01&end=2023-09-01&type=battle&actor=SDF&minfat=2&prec=1&zone=SDF&q=bridge&cand=1"
    )
    again = filter_from_controls(controls_from_filter(flt), EventFilter())
    assert again == flt and again.candidates


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


def test_view_or_selection_changes_do_not_redraw_the_map(bundled_app):
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
    from components.filters import CONTROLLED, controls_from_filter
    from conflictmap.read.query import DEFAULT_LAYERS

    shown = dict(zip([name for name, _, _ in CONTROLLED], controls_from_filter(EventFilter()), strict=True))
    assert shown.pop("layers") == list(DEFAULT_LAYERS)
    assert len(shown) >= 12 and all(_same(v, None) for v in shown.values()), shown


def _texts(node) -> list[str]:
    """Every text child under a Dash component, failing on anything that is not a component or str."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [t for child in node for t in _texts(child)]
    assert type(node).__module__.startswith("dash.html"), type(node)
    assert not hasattr(node, "dangerously_allow_html")
    return _texts(node.children) if node.children is not None else []


def test_link_notice_lists_what_the_link_asked_for_and_was_ignored():
    from dash import html

    from components.status_panel import link_notice

    link = "?type=battles&type=protest&start=garbage&minfat=1e9"
    notice = link_notice(link, link)
    assert isinstance(notice, html.Details) and notice.open is True
    summary, items = notice.children
    assert summary.children == (
        "This link was not fully understood (3 items); the map and counts show what could be read:"
    )
    assert [li.children for li in items.children] == [
        "start=garbage is not a date (want YYYY-MM-DD); ignored",
        'type=battles is not an event type (did you mean "battle"?); ignored (use one of: battle, '
        "explosion_remote_violence, violence_against_civilians, protest, riot, strategic_development)",
        "minfat=1e9 is over 100000; used 100000",
    ]


def test_link_notice_is_empty_for_a_clean_link():
    from components.status_panel import link_notice

    assert link_notice("", "") == [] and link_notice(None, None) == []
    clean = "?type=battle&start=2024-01-01&layers=zones,events&embed=1"
    assert link_notice(clean, clean) == []


def test_link_notice_quotes_untrusted_values_as_plain_text():
    from components.status_panel import link_notice

    link = "?type=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
    texts = _texts(link_notice(link, link))
    assert texts[1].startswith("type=<img src=x onerror=alert(1)> is not an event type")
    assert texts[2] == "no type= value could be read, so every event type is shown"


def test_link_notice_outlives_the_filter_bar_rewriting_the_url_but_not_a_change():
    """The filter bar rewrites ``?minfat=1e9&type=riot`` to ``?minfat=100000&type=riot`` on load."""
    from components.status_panel import link_notice

    opened = "?minfat=1e9&type=riot&start=2024-02-01&end=2024-01-01"
    rewritten = "?type=riot&minfat=100000&lat=35.1000&lon=40.2000&zoom=8.00"  # a pan keeps it too
    texts = _texts(link_notice(rewritten, opened))
    assert texts[1:] == [
        "start=2024-02-01 is after end=2024-01-01; the date range is ignored "
        "(not swapped: which of the two is wrong cannot be known)",
        "minfat=1e9 is over 100000; used 100000",
    ]
    # The analyst ticked another type: the opened link's problems no longer describe the view.
    assert link_notice("?type=riot&type=protest&minfat=100000", opened) == []
    # Before the opened link is known (first call), the URL itself is read.
    assert _texts(link_notice("?type=battles", None))[1].startswith("type=battles")


@pytest.fixture(scope="module")
def bundled_app(tmp_path_factory):
    from app import create_app

    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("cbdata")))
    # Callbacks called directly (not through a request) read the settings of this app.
    with app.server.app_context():
        yield app


def test_link_notice_names_actors_and_zones_that_match_nothing(bundled_app):
    from components import ids
    from components.status_panel import link_notice, update_status

    link = "?actor=SDFF&zone=SDF&zone=Kurds&type=battle"
    texts = _texts(link_notice(link, link))
    assert texts[0].startswith("This link was not fully understood (2 items)")
    assert texts[1] == 'actor=SDFF matches nothing in the data (did you mean "SDF"?); no incident matches it'
    assert texts[2].startswith("zone=Kurds matches nothing in the data")
    # The filter bar offers only known names, so it drops these and rewrites the URL: ignored.
    texts = _texts(link_notice("?zone=SDF&type=battle", link))
    assert texts[1] == 'actor=SDFF matches nothing in the data (did you mean "SDF"?); ignored'
    assert texts[2].startswith("zone=Kurds matches nothing in the data") and texts[2].endswith("; ignored")
    assert link_notice("?actor=SDF&zone=SDF", "?actor=SDF&zone=SDF") == []
    # The counts' own problem list carries data problems only, not the link's.
    _counts, problems = update_status("?type=battles")
    assert "battles" not in " ".join(_texts(problems))
    layout = str(bundled_app.layout())
    assert ids.LINK_NOTICE in layout and ids.LINK_OPENED in layout


def test_the_opened_link_is_remembered_as_given():
    from components.status_panel import remember_link

    assert remember_link("/", "?type=battles") == "?type=battles"
    assert remember_link("/", None) == ""


def test_a_link_naming_an_actor_nobody_reported_keeps_it_as_an_option():
    from components.filters import with_link_values

    options = [{"label": "SDF", "value": "SDF"}]
    kept = with_link_values(options, ["SDF", "SDFF"])
    assert kept[0] == options[0]
    assert kept[1] == {"label": "SDFF (not in the data)", "value": "SDFF"}
    assert with_link_values(options, []) == options


def test_a_redraw_leaves_out_the_map_layers_the_page_holds(bundled_app):
    from components.map_panel import layers_key, update_map

    first, drawn = update_map("type=battle", None, None, None)
    assert first["layout"]["map"]["layers"] and first["layersKey"] == layers_key(first)
    # The page now holds those layers: a new filter sends the figure without them.
    again, _ = update_map("type=protest", drawn, None, first["layersKey"])
    assert "layers" not in again["layout"]["map"] and again["layersFrom"] == first["layersKey"]
    assert again["data"] and again["layout"]["map"]["center"] == first["layout"]["map"]["center"]
    assert len(json.dumps(again)) < len(json.dumps(first)) - 50_000
    # Other layers asked for (the basemap's rivers off): sent whole, with their own key.
    other, _ = update_map("type=protest&layers=events,zones", drawn, None, first["layersKey"])
    assert other["layout"]["map"]["layers"] is not None and other["layersKey"] != first["layersKey"]
    # A page holding nothing (just opened) gets them whole.
    fresh, _ = update_map("type=protest", None, None, None)
    assert "layers" in fresh["layout"]["map"] and "layersFrom" not in fresh
