"""The drawn map follows every change made on the page: asserted on what MapLibre renders.

Each journey makes several changes in a row without reloading, and after each one asks MapLibre
(not plotly's data model) which circles and fills it draws. The page must log no error: a style
MapLibre refuses is logged as "Map error." and leaves the old drawing on screen.
"""

from __future__ import annotations

import pytest

from components.theme import EVENT_COLOURS, ZONE_COLOURS
from tests.browser.candidate_seed import CANDIDATE_ID
from tests.browser.drawn import (
    click_marker,
    drawn,
    drawn_centres,
    drawn_zone_controllers,
    event_colours_js,
    event_types,
    wait_drawn,
    wait_events_match_figure,
)
from tests.browser.test_dashboard import MARKER_XY, drag_timeline, open_dashboard

pytestmark = pytest.mark.browser

SDF, REGIME, TRANSITIONAL = (
    "SDF",
    "Syrian regime and Iran-backed militias",
    "Syrian transitional government",
)


HALO = "#111111"
# Screen position of the selection halo, from MapLibre's projection of the drawn feature.
HALO_XY = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const map = gd._fullLayout.map._subplot.map;
  for (const l of map.getStyle().layers) {
    if (l.type !== 'circle') continue;
    for (const f of map.queryRenderedFeatures({layers: [l.id]})) {
      const c = f.layer.paint['circle-color'];
      if (c && Math.round(c.r * 255) === 17 && Math.round(c.g * 255) === 17) {
        const p = map.project(f.geometry.coordinates);
        const box = map.getCanvas().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
      }
    }
  }
  return null;
}"""


def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def open_more_filters(page) -> None:
    """Unfold the second filter row (actors, precision, layers ...), folded by default."""
    if page.locator("#more-filters").get_attribute("open") is None:
        page.locator("#more-filters summary").click()
    page.locator("#filter-layers").wait_for(state="visible")


def set_date(page, selector: str, value: str) -> None:
    box = page.locator(selector)
    box.click()
    box.fill(value)
    box.press("Enter")
    page.keyboard.press("Escape")


def test_type_filters_dates_and_layers_redraw_the_map(page, app_server):
    errors = console_errors(page)
    open_dashboard(page, app_server.base, "?start=2017-01-01&end=2026-12-31")
    # Every read below is the one the wait returns, taken at the moment its condition held on a
    # settled map: a second read could already see the next figure being applied.
    first = wait_events_match_figure(page).events
    assert len(first) >= 3, first

    # 1. One type ticked: only its circles stay drawn, as many as the figure holds.
    page.locator("#filter-types").get_by_label("Protest").check()
    page.wait_for_function("() => location.search.includes('type=protest')", timeout=20_000)
    wait_drawn(page, event_colours_js(["protest"]))
    protest = wait_events_match_figure(page, ["protest"])
    assert set(protest.events) == {"protest"}
    assert protest.events["protest"] == protest.model
    assert protest.model < sum(first.values())

    # 2. A second type ticked: both are drawn, nothing else.
    page.locator("#filter-types").get_by_label("Battle").check()
    page.wait_for_function("() => location.search.includes('battle')", timeout=20_000)
    wait_drawn(page, "(layers) => layers.some(l => l.type === 'circle' && l.colour === '#d55e00')")
    both = wait_events_match_figure(page, ["protest", "battle"])
    assert set(both.events) == {"protest", "battle"}
    assert sum(both.events.values()) == both.model

    # 3. A narrower date range typed into the picker: fewer circles drawn, model and map agree.
    set_date(page, "#filter-dates-start", "2023-08-01")
    set_date(page, "#filter-dates-end", "2023-10-31")
    page.wait_for_function("() => location.search.includes('start=2023-08-01')", timeout=20_000)
    page.wait_for_function("() => location.search.includes('end=2023-10-31')", timeout=20_000)
    total_both = sum(both.events.values())
    # Two figures follow each other here (the start typed, then the end); only the settled map
    # (no callback pending) tells the second from the first, which also has fewer circles.
    wait_drawn(
        page,
        "(layers) => { const n = layers.filter(l => l.type === 'circle' && ['#d55e00','#009e73'].includes(l.colour))"
        f".reduce((a, l) => a + l.n, 0); return n > 0 && n < {total_both}; }}",
    )
    narrowed = wait_events_match_figure(page, ["protest", "battle"])
    assert sum(narrowed.events.values()) == narrowed.model
    assert set(narrowed.events) <= {"protest", "battle"}

    # 4. The events layer switched off: no event circle is drawn; back on: they return.
    open_more_filters(page)
    page.locator("#filter-layers").get_by_label("Events").uncheck()
    off = wait_drawn(
        page, "(layers) => !layers.some(l => l.type === 'circle' && ['#d55e00','#009e73'].includes(l.colour))"
    )
    assert event_types(off) == {}
    page.locator("#filter-layers").get_by_label("Events").check()
    wait_drawn(page, "(layers) => layers.some(l => l.type === 'circle' && l.colour === '#d55e00')")
    assert wait_events_match_figure(page, ["protest", "battle"]).events == narrowed.events

    assert not [e for e in errors if "map" in e.lower() or "style" in e.lower()], errors
    assert page.js_errors == []


def test_as_of_date_swaps_the_drawn_zones(page, app_server):
    errors = console_errors(page)
    open_dashboard(page, app_server.base, "?asof=2023-06-01")
    regime = ZONE_COLOURS[REGIME].lower()
    transitional = ZONE_COLOURS[TRANSITIONAL].lower()
    wait_drawn(page, f"(layers) => layers.some(l => l.type === 'fill' && l.colour === '{regime}')")
    assert drawn_zone_controllers(page) >= {SDF, REGIME}

    set_date(page, "#filter-as-of", "2025-06-01")
    page.wait_for_function("() => location.search.includes('asof=2025-06-01')", timeout=20_000)
    wait_drawn(
        page,
        f"(layers) => layers.some(l => l.type === 'fill' && l.colour === '{transitional}')"
        f" && !layers.some(l => l.type === 'fill' && l.colour === '{regime}')",
    )
    assert TRANSITIONAL in drawn_zone_controllers(page)
    assert REGIME not in drawn_zone_controllers(page)

    # The zones layer off: no zone fill is drawn at all.
    open_more_filters(page)
    page.locator("#filter-layers").get_by_label("Control zones").uncheck()
    wait_drawn(page, f"(layers) => !layers.some(l => l.type === 'fill' && l.colour === '{transitional}')")
    assert drawn_zone_controllers(page) == set()
    assert not [e for e in errors if "map" in e.lower() or "style" in e.lower()], errors


def test_timeline_drag_redraws_the_map(page, app_server):
    errors = console_errors(page)
    open_dashboard(page, app_server.base, "?start=2017-01-01&end=2026-12-31")
    before = sum(wait_events_match_figure(page).events.values())
    drag_timeline(page, 0.80, 0.95)
    page.wait_for_function("() => !location.search.includes('start=2017-01-01')", timeout=20_000)
    every = str([c.lower() for c in EVENT_COLOURS.values()])
    wait_drawn(
        page,
        f"(layers) => {{ const n = layers.filter(l => l.type === 'circle' && {every}.includes(l.colour))"
        f".reduce((a, l) => a + l.n, 0); return n < {before}; }}",
    )
    dragged = wait_events_match_figure(page)
    assert sum(dragged.events.values()) == dragged.model
    assert not [e for e in errors if "map" in e.lower() or "style" in e.lower()], errors


def test_clicked_incident_is_highlighted_where_it_is_drawn(page, app_server):
    errors = console_errors(page)
    open_dashboard(page, app_server.base, "?start=2023-06-01&end=2023-06-30&lat=34.69&lon=40.83&zoom=9")
    wait_events_match_figure(page)
    assert not [layer for layer in drawn(page) if layer["colour"] == HALO]
    xy = page.evaluate(MARKER_XY, "inc:hostile-event")
    assert xy, "the test article's marker is not on the map"
    scrolled = page.evaluate("() => window.scrollY")
    click_marker(page, xy)
    page.wait_for_function("() => location.search.includes('event=')", timeout=20_000)
    page.locator("#detail .detail-title").wait_for(timeout=20_000)
    assert page.evaluate("() => window.scrollY") == scrolled  # the page did not jump to the table
    # MapLibre draws one halo, centred on the clicked marker.
    layers = wait_drawn(page, f"(layers) => layers.some(l => l.type === 'circle' && l.colour === '{HALO}')")
    halo = [layer for layer in layers if layer["colour"] == HALO]
    assert len(halo) == 1 and halo[0]["n"] == 1
    at = page.evaluate(HALO_XY)
    assert abs(at["x"] - xy["x"]) < 3 and abs(at["y"] - xy["y"]) < 3
    # Filtering the incident's type out removes the halo with its marker.
    page.locator("#filter-types").get_by_label("Protest").check()
    page.wait_for_function("() => location.search.includes('type=protest')", timeout=20_000)
    wait_events_match_figure(page, ["protest"])
    wait_drawn(page, f"(layers) => !layers.some(l => l.colour === '{HALO}')")
    assert not [e for e in errors if "map" in e.lower() or "style" in e.lower()], errors


def test_low_confidence_candidates_are_drawn_as_rings_only_on_request(page, app_server):
    errors = console_errors(page)
    open_dashboard(page, app_server.base, "?start=2024-03-01&end=2024-03-31&lat=35.5060&lon=40.6560&zoom=9")
    wait_events_match_figure(page)
    assert drawn_centres(page) == 0 and page.evaluate(MARKER_XY, "inc:" + CANDIDATE_ID) is None
    open_more_filters(page)
    box = page.get_by_label("show low-confidence candidates (rings)")
    box.check()
    page.wait_for_function("() => location.search.includes('cand=1')", timeout=20_000)
    # MapLibre draws the rim in the battle colour and one white centre on it
    wait_drawn(
        page, "(layers) => layers.some(l => l.type === 'circle' && l.colour === '#ffffff' && l.n === 1)"
    )
    assert wait_events_match_figure(page).events.get("battle", 0) >= 1
    xy = page.evaluate(MARKER_XY, "inc:" + CANDIDATE_ID)
    assert xy, "the candidate's ring is not on the map"
    click_marker(page, xy)
    page.wait_for_function(f"() => location.search.includes('event=inc%3A{CANDIDATE_ID}')", timeout=20_000)
    page.locator("#detail .detail-title").wait_for(timeout=20_000)
    detail = page.locator("#detail").inner_text()
    assert "gunfire" in detail and "Low-confidence candidate (extractor confidence 0.25" in detail
    # unticked, the ring goes with its centre; the link no longer asks for candidates
    box.uncheck()
    page.wait_for_function("() => !location.search.includes('cand=1')", timeout=20_000)
    wait_drawn(page, "(layers) => !layers.some(l => l.type === 'circle' && l.colour === '#ffffff')")
    wait_events_match_figure(page)
    assert drawn_centres(page) == 0
    assert not [e for e in errors if "map" in e.lower() or "style" in e.lower()], errors


# Text MapLibre places on the map, per font stack: what the analyst reads.
PLACED_TEXT = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  if (!map || !map.loaded() || !map.areTilesLoaded()) return null;
  const out = {};
  for (const f of map.queryRenderedFeatures()) {
    if (f.layer.type !== 'symbol' || !f.properties.text) continue;
    const font = f.layer.layout['text-font'].join(',');
    (out[font] = out[font] || []).push(f.properties.text);
  }
  return out;
}"""


def test_arabic_place_names_are_a_layer_drawn_beside_the_latin_ones(page, app_server):
    errors = console_errors(page)
    open_dashboard(page, app_server.base, "?start=2024-01-01&end=2024-12-31&lat=35.0200&lon=40.4500&zoom=9")
    wait_events_match_figure(page)
    latin = page.wait_for_function(PLACED_TEXT, timeout=30_000).json_value()
    assert "Noto Naskh Arabic Regular" not in latin and latin.get("DejaVu Sans Book")
    open_more_filters(page)
    page.get_by_label("Place names in Arabic").check()
    page.wait_for_function("() => /layers=[^&]*arabic/.test(location.search)", timeout=20_000)
    placed = page.wait_for_function(
        f"() => {{ const t = ({PLACED_TEXT})(); return t && t['Noto Naskh Arabic Regular'] ? t : null; }}",
        timeout=30_000,
    ).json_value()
    arabic = placed["Noto Naskh Arabic Regular"]
    from conflictmap.geo.gazetteer import load_gazetteer

    spelled = {(p.name_ar or "").split("|")[0] for p in load_gazetteer().places if p.name_ar}
    # every Arabic name drawn is a gazetteer spelling, and the view around Mayadin has several
    assert len(arabic) >= 5 and set(arabic) <= spelled, arabic
    assert all(any("\u0600" <= c <= "\u06ff" for c in name) for name in arabic)
    assert placed.get("DejaVu Sans Book"), "the Latin names stay beside the Arabic ones"
    # a reload of the link keeps the layer
    page.reload()
    page.wait_for_function(
        f"() => {{ const t = ({PLACED_TEXT})(); return t && t['Noto Naskh Arabic Regular']; }}",
        timeout=30_000,
    )
    assert not [e for e in errors if "map" in e.lower() or "style" in e.lower() or "glyph" in e.lower()], (
        errors
    )


def test_dates_typed_outside_the_data_are_taken_not_silently_refused(page, app_server):
    """The bundled reports run from 2017-07-24 to 2026-02-18: a start typed before the first and
    an end after the last are the analyst's to choose (the picker used to blank the box and keep
    the old date without a word); everything in between stays drawn."""
    open_dashboard(page, app_server.base, "?type=battle")
    drawn = sum(wait_events_match_figure(page, ["battle"]).events.values())
    set_date(page, "#filter-dates-start", "2016-01-01")
    set_date(page, "#filter-dates-end", "2026-12-31")
    page.wait_for_function("() => location.search.includes('start=2016-01-01')", timeout=20_000)
    page.wait_for_function("() => location.search.includes('end=2026-12-31')", timeout=20_000)
    assert page.locator("#filter-dates-start").input_value() == "2016-01-01"
    assert "2016-01-01" in page.inner_text(".status-panel")
    assert sum(wait_events_match_figure(page, ["battle"]).events.values()) == drawn
