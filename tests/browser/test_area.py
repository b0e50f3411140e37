"""An area drawn on the map filters it, goes into the URL, and survives a reload."""

from __future__ import annotations

import re

import pytest

from tests.browser.drawn import wait_events_match_figure
from tests.browser.test_dashboard import open_dashboard, query_of

pytestmark = pytest.mark.browser

# Every event circle MapLibre draws, as [lon, lat] (rims, halos and labels left out).
DRAWN_EVENT_POINTS = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const map = gd._fullLayout.map._subplot.map;
  const uids = gd._fullData.filter(t => t.meta && t.meta.kind === 'events' && t.visible === true).map(t => t.uid);
  const layers = map.getStyle().layers.filter(l => l.type === 'circle' && uids.some(u => l.id.includes(u)));
  return map.queryRenderedFeatures({layers: layers.map(l => l.id)}).map(f => f.geometry.coordinates);
}"""


COUNT = "() => { const e = document.querySelector('#count-incidents'); return e ? parseInt(e.textContent.replace(/,/g, '')) : null; }"


def _wait_count(page, test: str) -> None:
    """Wait until the shown incident count passes ``test`` (JS, on ``n``)."""
    page.wait_for_function(
        f"() => {{ const n = ({COUNT})(); return n !== null && ({test}); }}", timeout=30_000
    )


# Whether the map's figure (plotly's model) is one drawn for an area: the count above the map
# comes from a faster callback than the map's, so it moves first.
MODEL_HAS_AREA = """() => { const gd = document.querySelector('#map .js-plotly-plot');
  return !!(gd && gd.data && gd.data.some(t => t.meta && t.meta.kind === 'area')); }"""


# The drawn area's outline as MapLibre draws it (line features of the "area" trace).
AREA_DRAWN = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map) return -1;  // no map yet (after a reload)
  const map = gd._fullLayout.map._subplot.map;
  const t = gd._fullData.find(t => t.meta && t.meta.kind === 'area');
  if (!t) return 0;
  const layers = map.getStyle().layers.filter(l => l.type === 'line' && l.id.includes(t.uid));
  return map.queryRenderedFeatures({layers: layers.map(l => l.id)}).length;
}"""


def _count(page) -> int:
    return int(page.inner_text("#count-incidents").replace(",", ""))


def test_a_box_drawn_on_the_map_filters_it_and_survives_a_reload(page, app_server):
    open_dashboard(page, app_server.base, "?lat=35.0500&lon=40.2500&zoom=7.50")
    wait_events_match_figure(page)
    before = _count(page)
    box = page.locator("#map .js-plotly-plot .maplayer, #map .js-plotly-plot canvas").first.bounding_box()
    assert box is not None
    page.hover("#map .js-plotly-plot")
    page.locator("#map .modebar-btn[data-title='Box Select']").click()
    # A box around the middle of the map, dragged as a user does.
    x0, y0 = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.3
    x1, y1 = box["x"] + box["width"] * 0.65, box["y"] + box["height"] * 0.7
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('area=')", timeout=30_000)
    corners = [tuple(map(float, c.split(","))) for c in query_of(page)["area"][0].split(";")]
    assert len(corners) == 4
    _wait_count(page, f"n < {before}")
    after = _count(page)
    assert 0 < after < before
    page.wait_for_function(MODEL_HAS_AREA, timeout=30_000)  # the area's own figure, then its drawing
    wait_events_match_figure(page)
    lons = [c[0] for c in corners]
    lats = [c[1] for c in corners]
    drawn = page.evaluate(DRAWN_EVENT_POINTS)
    assert drawn, "nothing drawn inside the area"
    slack = 0.01  # MapLibre's tile-quantised coordinates
    assert all(
        min(lons) - slack <= x <= max(lons) + slack and min(lats) - slack <= y <= max(lats) + slack
        for x, y in drawn
    )

    page.wait_for_function(f"() => ({AREA_DRAWN})() > 0", timeout=30_000)  # the outline is drawn back

    url = page.url
    page.reload(wait_until="load")
    _wait_count(page, f"n === {after}")
    assert page.url == url
    page.click("#filter-clear-area")
    page.wait_for_function("() => !location.search.includes('area=')")
    page.wait_for_function(f"() => ({AREA_DRAWN})() === 0", timeout=30_000)
    _wait_count(page, f"n === {before}")


def test_clearing_the_area_holds_when_a_newer_map_move_overtakes_the_clear(page, app_server):
    """The clear's answer is held back while the analyst zooms the map: Dash applies only the
    newest answer of a callback, so the zoom's answer (built from a URL that still had the area)
    must apply the clear itself, or the area silently comes back."""
    open_dashboard(page, app_server.base)
    wait_events_match_figure(page)
    before = _count(page)
    area = "40.0,34.9;40.6,34.9;40.6,35.4;40.0,35.4"
    open_dashboard(page, app_server.base, f"?lat=35.0500&lon=40.2500&zoom=7.50&area={area}")
    _wait_count(page, f"n < {before}")
    page.wait_for_function(f"() => ({AREA_DRAWN})() > 0", timeout=30_000)

    held: list = []

    def hold_the_clear(route) -> None:
        body = route.request.post_data or ""
        if (
            not held
            and "filter-clear-area.n_clicks" in body
            and '"changedPropIds":["filter-clear-area' in body
        ):
            held.append(route)
            return
        route.continue_()

    page.route(re.compile(r"/_dash-update-component"), hold_the_clear)
    page.click("#filter-clear-area")
    for _ in range(200):  # the route sees the request while Playwright waits on the page
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the clear's request was never sent"
    # Zoom the map while the clear is held: a newer call of the same callback.
    page.hover("#map .js-plotly-plot")
    page.mouse.wheel(0, -300)
    page.wait_for_function("() => !location.search.includes('zoom=7.50')", timeout=30_000)
    held[0].continue_()
    page.wait_for_function("() => !location.search.includes('area=')", timeout=30_000)
    page.wait_for_function(f"() => ({AREA_DRAWN})() === 0", timeout=30_000)
    _wait_count(page, f"n === {before}")
    page.unroute(re.compile(r"/_dash-update-component"))
