"""Journeys through the real dashboard in Debian's Chromium: draw, filter, click, share, stay safe."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.drawn import (
    click_marker,
    drawn_event_types,
    drawn_zone_controllers,
    wait_drawn,
    wait_events_match_figure,
)
from tests.browser.hostile import HOSTILE_SENTENCE

pytestmark = pytest.mark.browser

MAP_READY = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map) return false;
  const m = gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
  return !!(m && m.loaded() && gd.data && gd.data.length > 0);
}"""

MARKERS = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  let n = 0;
  for (const t of gd._fullData) { if (t.meta && t.meta.kind === 'events') n += (t.lat || []).length; }
  return n;
}"""

ZONE_TRACES = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  return gd._fullData.filter(t => t.type === 'choroplethmap').map(t => t.name);
}"""

# Screen position of the marker carrying an incident id, from MapLibre's own projection.
MARKER_XY = """(incident) => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const map = gd._fullLayout.map._subplot.map;
  for (const t of gd._fullData) {
    if (!(t.meta && (t.meta.kind === 'events' || t.meta.kind === 'candidates'))) continue;
    const lat = Array.from(t.lat), lon = Array.from(t.lon);
    for (let i = 0; i < lat.length; i++) {
      if (t.customdata[i][0] === incident) {
        const p = map.project([lon[i], lat[i]]);
        const box = map.getCanvas().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
      }
    }
  }
  return null;
}"""


TIMELINE_READY = """() => {
  const gd = document.querySelector('#timeline .js-plotly-plot');
  return !!(gd && !gd.classList.contains('dash-graph--pending') && gd.querySelector('.barlayer .point path'));
}"""


def wait_timeline(page) -> None:
    """Wait for the timeline's own figure: the page draws it after the first map
    (map_panel.FIRST_DRAWN_JS), replacing the empty plot a drag would otherwise grab."""
    page.wait_for_function(TIMELINE_READY, timeout=60_000)


def drag_timeline(page, x0: float, x1: float) -> None:
    """Drag across the timeline's plot from fraction ``x0`` to ``x1`` of its width (sets the range)."""
    wait_timeline(page)
    plot = page.locator("#timeline .nsewdrag").first
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * x0, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * x1, y, steps=10)
    page.mouse.up()


def wait_map(page) -> None:
    page.wait_for_function(MAP_READY, timeout=60_000)


def open_dashboard(page, base: str, query: str = "") -> None:
    page.goto(base + query, wait_until="load")
    wait_map(page)


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_map_draws_zones_and_markers(page, app_server):
    open_dashboard(page, app_server.base, "?asof=2025-06-01")
    assert any("SDF" in z for z in page.evaluate(ZONE_TRACES))
    # What MapLibre draws, not only plotly's model: both banks filled, markers of several types.
    wait_events_match_figure(page)
    assert drawn_zone_controllers(page) >= {"SDF", "Syrian transitional government"}
    assert len(drawn_event_types(page)) >= 3
    assert page.evaluate(MARKERS) > 5
    assert "incidents" in page.inner_text(".status-panel")
    assert page.js_errors == []


def test_filter_changes_url_and_markers(page, app_server):
    open_dashboard(page, app_server.base)
    wait_events_match_figure(page)
    before = sum(drawn_event_types(page).values())
    page.locator("#filter-types").get_by_label("Protest").check()
    page.wait_for_function("() => location.search.includes('type=protest')", timeout=20_000)
    wait_events_match_figure(page, ["protest"])
    after = sum(drawn_event_types(page).values())
    assert 0 < after < before
    assert query_of(page)["type"] == ["protest"]


def test_as_of_date_changes_zone_controllers(page, app_server):
    open_dashboard(page, app_server.base, "?asof=2023-06-01")
    wait_drawn(page, "(layers) => layers.some(l => l.type === 'fill' && l.colour === '#cc6677')")
    assert "Syrian regime and Iran-backed militias" in drawn_zone_controllers(page)
    open_dashboard(page, app_server.base, "?asof=2025-01-15")
    wait_drawn(page, "(layers) => layers.some(l => l.type === 'fill' && l.colour === '#44aa99')")
    drawn_now = drawn_zone_controllers(page)
    assert "Syrian transitional government" in drawn_now
    assert "Syrian regime and Iran-backed militias" not in drawn_now
    # After 19 January 2026 the government holds both banks: no SDF fill is drawn.
    open_dashboard(page, app_server.base, "?asof=2026-03-01")
    wait_drawn(page, "(layers) => layers.some(l => l.type === 'fill' && l.colour === '#44aa99')")
    assert "SDF" not in drawn_zone_controllers(page)


def test_click_marker_shows_evidence_as_text_and_runs_nothing(page, app_server):
    open_dashboard(page, app_server.base, "?start=2023-06-01&end=2023-06-30&lat=34.69&lon=40.83&zoom=9")
    wait_events_match_figure(page)
    xy = page.evaluate(MARKER_XY, "inc:hostile-event")
    assert xy, "the hostile article's marker is not on the map"
    click_marker(page, xy)
    page.wait_for_function("() => location.search.includes('event=')", timeout=20_000)
    panel = page.locator("#detail")
    panel.locator("mark.evidence").wait_for(timeout=20_000)
    # The evidence sentence is highlighted, markup and all, as plain text.
    assert panel.locator("mark.evidence").first.inner_text() == HOSTILE_SENTENCE
    assert "<script>" in panel.inner_text()
    assert panel.locator("script").count() == 0 and panel.locator("img").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    flags = page.evaluate("() => Object.keys(window).filter(k => k.startsWith('__xss'))")
    assert flags == []
    # The hover text of the marker holds no markup from the article.
    hover = page.evaluate(
        """() => document.querySelector("#map .js-plotly-plot")._fullData
             .filter(t => t.meta && t.meta.kind === 'events').flatMap(t => Array.from(t.text)).join(' ')"""
    )
    assert "<img" not in hover and "onerror" not in hover


def test_copied_url_restores_the_view(page, browser, app_server):
    query = "?start=2023-08-01&end=2023-10-31&type=battle&asof=2023-09-15"
    open_dashboard(page, app_server.base, query)
    counts = page.inner_text("#count-incidents")
    markers = page.evaluate(MARKERS)
    assert page.is_checked("#filter-types input[value='battle']")
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        p2 = other.new_page()
        p2.goto(page.url, wait_until="load")
        wait_map(p2)
        assert p2.inner_text("#count-incidents") == counts
        assert p2.evaluate(MARKERS) == markers
        wait_events_match_figure(page, ["battle"])
        wait_events_match_figure(p2, ["battle"])
        assert drawn_event_types(p2) == drawn_event_types(page)
        assert p2.is_checked("#filter-types input[value='battle']")
        assert query_of(p2)["type"] == ["battle"]
    finally:
        other.close()


def test_panning_the_map_puts_the_view_in_the_url(page, app_server):
    open_dashboard(page, app_server.base)
    box = page.locator("#map .js-plotly-plot").bounding_box()
    x, y = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 150, y - 60, steps=8)
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('zoom=')", timeout=20_000)
    q = query_of(page)
    assert float(q["lon"][0]) > 40.3  # dragged left: the centre moved east
    # The same link in a fresh page opens on the same centre.
    open_dashboard(page, app_server.base, "?" + urlsplit(page.url).query)
    centre = page.evaluate("() => document.querySelector('#map .js-plotly-plot')._fullLayout.map.center")
    assert abs(centre["lon"] - float(q["lon"][0])) < 0.01 and abs(centre["lat"] - float(q["lat"][0])) < 0.01


def test_dragging_on_the_timeline_sets_the_date_filter(page, app_server):
    open_dashboard(page, app_server.base, "?start=2023-08-01&end=2023-10-31")
    before = page.inner_text("#count-incidents")
    drag_timeline(page, 0.30, 0.55)
    page.wait_for_function("() => !location.search.includes('start=2023-08-01')", timeout=20_000)
    q = query_of(page)
    start, end = q["start"][0], q["end"][0]
    assert "2023-08-01" < start < end < "2023-10-31"
    page.wait_for_function(
        f"() => document.querySelector('#count-incidents').innerText !== '{before}'", timeout=20_000
    )
    # the date picker shows the dragged range too
    page.wait_for_function(
        f"() => document.querySelector('#filter-dates-start').value === '{start}'", timeout=10_000
    )
    assert page.input_value("#filter-dates-end") == end


def test_double_click_on_the_timeline_clears_the_date_range(page, app_server):
    open_dashboard(page, app_server.base, "?start=2023-08-01&end=2023-10-31&type=battle")
    wait_timeline(page)
    plot = page.locator("#timeline .nsewdrag").first
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => !location.search.includes('start=')", timeout=20_000)
    q = query_of(page)
    assert "end" not in q and q["type"] == ["battle"]  # the range went, the rest of the view stayed


def test_a_link_naming_an_unknown_actor_shows_nothing_and_says_so(page, app_server):
    open_dashboard(page, app_server.base, "?actor=Nobody%20Brigade")
    page.wait_for_function(
        "() => document.querySelector('#count-incidents').innerText === '0'", timeout=20_000
    )
    assert query_of(page)["actor"] == ["Nobody Brigade"]  # the filter bar did not rewrite it to "any"
    assert "Nobody Brigade" in page.inner_text(".status-panel")
