"""Inputs Dash sends together in one call are all applied.

Seen in a browser test: the analyst's "Clear drawn area" click reached the server in the same
call as the timeline's first layout report (``changedPropIds`` held both), and only the first
was looked at, so the area stayed. Posted here as the browser posts it, to the app's callback
endpoint."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from components import ids
from conflictmap.config import Settings

AREA = "40.08,35.47;41.29,35.47;41.29,34.62;40.08,34.62"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    return create_app(Settings(data_dir=tmp_path_factory.mktemp("batched")))


def _sync_filters_call(app, search: str, values: dict[str, object], changed: list[str]) -> dict:
    """The URL callback's request, built from the app's own callback map, every input None
    except ``values`` (keyed "component.property")."""
    key = next(k for k in app.callback_map if f"..{ids.URL}.search..." in k and "filter-dates" in k)
    spec = app.callback_map[key]

    def item(dep: dict) -> dict:
        name = f"{dep['id']}.{dep['property']}"
        value = search if name == f"{ids.URL}.search" else values.get(name)
        return {"id": dep["id"], "property": dep["property"], "value": value}

    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in key.strip(".").split("...")
    ]
    body = {
        "output": key,
        "outputs": outputs,
        "inputs": [item(d) for d in spec["inputs"]],
        "state": [item(d) for d in spec["state"]],
        "changedPropIds": changed,
    }
    client = app.server.test_client()
    resp = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return json.loads(resp.get_data(as_text=True))["response"]


def test_a_clear_click_sent_with_the_timelines_layout_report_clears_the_area(app):
    got = _sync_filters_call(
        app,
        f"?area={AREA}&zoom=7.5",
        {f"{ids.CLEAR_AREA}.n_clicks": 1, f"{ids.TIMELINE}.relayoutData": {"autosize": True}},
        [f"{ids.TIMELINE}.relayoutData", f"{ids.CLEAR_AREA}.n_clicks"],
    )
    search = got[ids.URL]["search"]
    assert "area" not in parse_qs(urlsplit(search).query) and "zoom=7.5" in search


def test_a_map_move_and_a_clear_sent_together_keep_both(app):
    got = _sync_filters_call(
        app,
        f"?area={AREA}",
        {
            f"{ids.CLEAR_AREA}.n_clicks": 1,
            f"{ids.MAP}.relayoutData": {"map.center": {"lon": 40.3, "lat": 35.1}, "map.zoom": 9},
        },
        [f"{ids.MAP}.relayoutData", f"{ids.CLEAR_AREA}.n_clicks"],
    )
    query = parse_qs(urlsplit(got[ids.URL]["search"]).query)
    assert "area" not in query and query["zoom"] == ["9.00"] and query["lon"] == ["40.3000"]


def test_a_clear_click_sent_with_the_address_change_still_clears_the_area(app):
    """A click on 'Clear drawn area' in the same call as the URL's own change (a reload, a
    link followed): the URL sets the controls, and the clear is applied too."""
    got = _sync_filters_call(
        app,
        f"?area={AREA}&zoom=7.5",
        {f"{ids.CLEAR_AREA}.n_clicks": 1},
        [f"{ids.URL}.search", f"{ids.CLEAR_AREA}.n_clicks"],
    )
    search = got[ids.URL]["search"]
    assert "area" not in parse_qs(urlsplit(search).query) and "zoom=7.5" in search


def test_an_address_change_alone_leaves_the_address_as_it_is(app):
    got = _sync_filters_call(app, f"?area={AREA}&zoom=7.5", {}, [f"{ids.URL}.search"])
    assert ids.URL not in got or "search" not in got[ids.URL]


MOVE = {"map.center": {"lon": 40.3, "lat": 35.1}, "map.zoom": 9}


def _after_map_move(app, search: str, values: dict[str, object]) -> dict:
    """The call a map move fires, the page holding ``values`` besides (an earlier gesture whose
    own call was overtaken, and what the page recorded as applied)."""
    return _sync_filters_call(
        app, search, {f"{ids.MAP}.relayoutData": MOVE, **values}, [f"{ids.MAP}.relayoutData"]
    )


@pytest.mark.parametrize("handled", [0, 1])
def test_a_map_move_applies_a_clear_only_if_its_own_call_was_overtaken(app, handled):
    """Not applied yet (its call overtaken; Dash keeps only the newest answer): the map move's
    call clears the area itself and records it. Applied already: an area drawn since stays."""
    got = _after_map_move(
        app,
        f"?area={AREA}",
        {
            f"{ids.CLEAR_AREA}.n_clicks": 1,
            f"{ids.GESTURES_APPLIED}.data": {"reset": 0, "clear_area": handled},
        },
    )
    query = parse_qs(urlsplit(got[ids.URL]["search"]).query)
    assert query["zoom"] == ["9.00"]
    if handled:
        assert query["area"] and ids.GESTURES_APPLIED not in got
    else:
        assert "area" not in query and got[ids.GESTURES_APPLIED]["data"]["clear_area"] == 1


def test_a_reset_overtaken_by_a_map_move_still_resets(app):
    got = _after_map_move(
        app,
        "?type=battle&zoom=7.5",
        {
            f"{ids.RESET}.n_clicks": 1,
            f"{ids.GESTURES_APPLIED}.data": {"reset": 0, "clear_area": 0},
        },
    )
    assert "type" not in parse_qs(urlsplit(got[ids.URL]["search"]).query)


NEW_BOX = {"range": {"map": [[40.5, 35.3], [40.9, 35.0]]}}
MARKER = {"points": [{"customdata": ["inc:abc", 2], "lat": 35.2, "lon": 40.4}]}
DRAGGED = {"xaxis.range[0]": "2021-03-01 00:00", "xaxis.range[1]": "2021-06-30 12:00"}


def test_an_area_drawn_while_a_clear_was_in_flight_is_kept(app):
    """The clear's call was overtaken by the box's: the clear came first, the new box stays."""
    got = _sync_filters_call(
        app,
        f"?area={AREA}",
        {
            f"{ids.CLEAR_AREA}.n_clicks": 1,
            f"{ids.MAP}.selectedData": NEW_BOX,
            f"{ids.GESTURES_APPLIED}.data": {"reset": 0, "clear_area": 0},
        },
        [f"{ids.MAP}.selectedData"],
    )
    query = parse_qs(urlsplit(got[ids.URL]["search"]).query)
    assert query["area"] == ["40.5000,35.3000;40.9000,35.3000;40.9000,35.0000;40.5000,35.0000"]


def test_a_marker_click_overtaken_by_a_map_move_still_selects_its_incident(app):
    got = _after_map_move(
        app, "?zoom=7.5", {f"{ids.MAP}.clickData": MARKER, f"{ids.GESTURES_APPLIED}.data": {}}
    )
    query = parse_qs(urlsplit(got[ids.URL]["search"]).query)
    assert query["event"] == ["inc:abc"] and query["zoom"] == ["9.00"]
    assert got[ids.GESTURES_APPLIED]["data"]["click"] == [["inc:abc", 2], 35.2, 40.4]


def test_a_click_already_applied_is_not_applied_again(app):
    """The analyst closed the incident the click opened: a later map move does not reopen it."""
    got = _after_map_move(
        app,
        "?zoom=7.5",
        {
            f"{ids.MAP}.clickData": MARKER,
            f"{ids.GESTURES_APPLIED}.data": {"click": [["inc:abc", 2], 35.2, 40.4]},
        },
    )
    assert "event" not in parse_qs(urlsplit(got[ids.URL]["search"]).query)


def test_a_timeline_range_overtaken_sets_the_dates_and_their_controls(app):
    got = _after_map_move(app, "?zoom=7.5", {f"{ids.TIMELINE}.relayoutData": DRAGGED})
    query = parse_qs(urlsplit(got[ids.URL]["search"]).query)
    assert query["start"] == ["2021-03-01"] and query["end"] == ["2021-06-30"]
    assert got["filter-dates"]["start_date"] == "2021-03-01"


def test_an_area_sent_with_the_address_change_is_applied(app):
    got = _sync_filters_call(
        app,
        "?zoom=7.5",
        {f"{ids.MAP}.selectedData": NEW_BOX},
        [f"{ids.URL}.search", f"{ids.MAP}.selectedData"],
    )
    assert "area" in parse_qs(urlsplit(got[ids.URL]["search"]).query)
