"""Playback steps the map and the zones through time: three steps, each drawn differently, the
URL keeping the step, the keyboard doing what the buttons do, and the sequence as a PDF."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

from tests.browser.drawn import wait_events_match_figure
from tests.browser.test_dashboard import open_dashboard

pytestmark = pytest.mark.browser

# Weekly steps that each cross a change of control (2024-12-03 pocket, 12-06 and 12-11 west).
START = "?play=week&window=31&start=2024-10-27&end=2024-11-26&asof=2024-11-26"

# What MapLibre draws of zones and events: each fill and circle feature's colour and first point.
DRAWN = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const map = gd._fullLayout.map._subplot.map;
  const out = {zones: [], events: []};
  for (const l of map.getStyle().layers) {
    if (l.type !== 'circle' && l.type !== 'fill') continue;
    if (map.getLayoutProperty(l.id, 'visibility') === 'none') continue;
    for (const f of map.queryRenderedFeatures({layers: [l.id]})) {
      const c = JSON.stringify(f.layer.paint[l.type === 'fill' ? 'fill-color' : 'circle-color']);
      const g = JSON.stringify(f.geometry.coordinates).slice(0, 80);
      (l.type === 'fill' ? out.zones : out.events).push(c + g);
    }
  }
  out.zones.sort(); out.events.sort();
  return JSON.stringify(out);
}"""


# The zones the map's figure (plotly's model) holds: which zone versions, by id.
MODEL_ZONES = """() => JSON.stringify(document.querySelector('#map .js-plotly-plot').data
  .filter(t => t.type === 'choroplethmap').map(t => t.locations))"""


def _end(page) -> str:
    return parse_qs(urlsplit(page.url).query)["end"][0]


def _wait_end(page, end: str) -> None:
    page.wait_for_function(
        "(e) => new URLSearchParams(location.search).get('end') === e", arg=end, timeout=30_000
    )
    page.wait_for_function(
        # null-safe: right after a reload the page has not rendered its layout yet
        "(e) => { const s = document.querySelector('#playback-status'); return !!s && s.textContent.includes('→ ' + e); }",
        arg=end,
        timeout=30_000,
    )
    wait_events_match_figure(page)


def _zones(drawn: str) -> str:
    import json

    return json.dumps(json.loads(drawn)["zones"])


def test_three_steps_redraw_the_map_and_zones_and_the_url_keeps_them(page, app_server):
    open_dashboard(page, app_server.base, START)
    wait_events_match_figure(page)
    seen = [page.evaluate(DRAWN)]
    model_zones = page.evaluate(MODEL_ZONES)
    for end, how in (("2024-12-03", "button"), ("2024-12-10", "key"), ("2024-12-17", "button")):
        if how == "key":
            page.locator("body").click(position={"x": 5, "y": 5})  # focus off the buttons and the map
            page.keyboard.press("ArrowRight")
        else:
            page.click("#playback-next")
        _wait_end(page, end)
        q = parse_qs(urlsplit(page.url).query)
        assert q["asof"] == [end] and q["play"] == ["week"] and q["window"] == ["31"]
        # The URL and the status line move before the map's figure comes back: wait for the
        # figure of this step (each step crosses a change of control, so its zones differ),
        # then for MapLibre to draw it. A map that never follows fails here, by timeout.
        page.wait_for_function(f"(prev) => ({MODEL_ZONES})() !== prev", arg=model_zones, timeout=30_000)
        model_zones = page.evaluate(MODEL_ZONES)
        wait_events_match_figure(page)
        page.wait_for_function(
            f"(prev) => JSON.stringify(JSON.parse(({DRAWN})()).zones) !== prev",
            arg=json.dumps(
                json.loads(seen[-1])["zones"], separators=(",", ":")
            ),  # as JSON.stringify writes it
            timeout=30_000,
        )
        drawn = page.evaluate(DRAWN)
        assert drawn != seen[-1], f"the map did not change at the step ending {end}"
        assert _zones(drawn) != _zones(seen[-1]), f"the zones did not change at the step ending {end}"
        seen.append(drawn)
    # The step is in the URL: a reload opens the same step.
    url = page.url
    page.reload(wait_until="load")
    _wait_end(page, "2024-12-17")
    assert page.url == url
    page.click("#playback-prev")
    _wait_end(page, "2024-12-10")


def test_space_plays_and_pauses(page, app_server):
    open_dashboard(page, app_server.base, START)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press(" ")
    page.wait_for_function("() => document.querySelector('#playback-toggle').textContent.includes('Pause')")
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('end') > '2024-12-03'", timeout=30_000
    )  # at least two steps played by themselves
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press(" ")
    page.wait_for_function("() => document.querySelector('#playback-toggle').textContent.includes('Play')")


def test_the_sequence_exports_as_a_pdf_with_a_page_per_step(page, app_server):
    open_dashboard(page, app_server.base, START)
    with page.expect_download(timeout=240_000) as info:
        page.click("#playback-export")
    data = open(info.value.path(), "rb").read()
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 6
    texts = [p.extract_text() for p in reader.pages]
    assert "2024-11-26" in texts[0] and "2024-12-03" in texts[1]  # each page stamped with its step
