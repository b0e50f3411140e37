"""The first page draws the map first and the timeline after it (map_panel.FIRST_DRAWN_JS), and a
map that does not come never keeps the timeline away."""

from __future__ import annotations

import pytest

from components.map_panel import FIRST_DRAWN_WAIT_MS
from tests.browser.drawn import wait_events_match_figure

pytestmark = pytest.mark.browser

# Notes, every 20 ms from the first script on, when MapLibre first reported the map loaded and
# when the timeline's first bar was in the page.
WATCH = """
window.__firstPage = {};
const started = performance.now();
const watch = setInterval(() => {
  const seen = window.__firstPage;
  const gd = document.querySelector('#map .js-plotly-plot');
  const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
  if (seen.map === undefined && sub && sub.map && sub.map.loaded()) seen.map = performance.now() - started;
  if (seen.timeline === undefined && document.querySelector('#timeline .barlayer .point path')) {
    seen.timeline = performance.now() - started;
  }
  if (seen.map !== undefined && seen.timeline !== undefined) clearInterval(watch);
}, 20);
"""
TIMELINE_BARS = "() => document.querySelectorAll('#timeline .barlayer .point path').length > 0"


def test_the_timeline_is_drawn_after_the_first_map(page, app_server):
    page.add_init_script(WATCH)
    page.goto(app_server.base)
    page.wait_for_function(
        "() => window.__firstPage.map !== undefined && window.__firstPage.timeline !== undefined",
        timeout=30_000,
    )
    seen = page.evaluate("() => window.__firstPage")
    # After the map, unless the map took longer than the timeline is made to wait (a loaded
    # machine): then not before that time, counted here from an earlier start.
    assert seen["timeline"] >= min(seen["map"], FIRST_DRAWN_WAIT_MS), seen
    wait_events_match_figure(page)
    assert page.js_errors == []


def test_a_map_that_does_not_come_does_not_keep_the_timeline_away(page, app_server):
    held = []
    released = []

    def hold_the_map(route, _request=None):
        if not released and "map-figure.data" in (route.request.post_data or ""):
            held.append(route)  # answered below, once the timeline is drawn
            return
        route.continue_()

    page.route("**/_dash-update-component*", hold_the_map)
    page.goto(app_server.base)
    page.wait_for_function(TIMELINE_BARS, timeout=30_000)
    assert held, "the map's callback was never asked"
    assert not page.evaluate(
        "() => { const gd = document.querySelector('#map .js-plotly-plot');"
        " return !!(gd && gd.data && gd.data.some(t => t.meta && t.meta.kind === 'events')); }"
    ), "the map was drawn although its answer was held"
    released.append(True)
    for route in held:
        route.continue_()
    wait_events_match_figure(page)
