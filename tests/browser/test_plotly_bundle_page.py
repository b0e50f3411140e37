"""The page runs on the plotly.js bundle built at install (scripts/build_plotly_bundle.py), never
on Dash's full plotly.js as well, and draws with it: markers, zones, place names, the timeline's
bars, and density once asked for.

CI builds the bundle (`make bundle` in .ci/run), so there a missing bundle fails; on a
workstation without Node.js the test skips, as the page then runs on Dash's plotly.js.
"""

from __future__ import annotations

import os

import pytest

from components.plotly_bundle import dash_plotly_version, served_bundle
from conflictmap.config import ASSETS_DIR
from tests.browser.drawn import HEATMAP_LAYERS as HEATMAP_DRAWN
from tests.browser.drawn import drawn, drawn_heatmaps, wait_events_match_figure, wait_map_idle

pytestmark = pytest.mark.browser

PLACE_NAMES = """() => {
  const map = document.querySelector('#map .js-plotly-plot')._fullLayout.map._subplot.map;
  return map.queryRenderedFeatures().filter(f => f.layer.type === 'symbol' && f.properties.text).length;
}"""
TIMELINE_BARS = """() => document.querySelectorAll('#timeline .barlayer .point path').length"""


@pytest.fixture
def bundle():
    path = served_bundle(ASSETS_DIR)
    if path is None:
        msg = "no plotly.js bundle under assets/plotly-bundle: run `make bundle` (needs Node.js and npm)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def test_the_page_draws_with_the_bundle_and_never_loads_dashs_plotly(bundle, page, app_server):
    page.goto(app_server.base)
    wait_events_match_figure(page)
    wait_map_idle(page, f"() => ({PLACE_NAMES})() > 10")
    layers = drawn(page)
    assert any(layer["type"] == "fill" and layer["n"] > 0 for layer in layers), "no zone drawn"
    page.wait_for_function(f"() => ({TIMELINE_BARS})() > 0")

    version = page.evaluate("() => window.Plotly && window.Plotly.version")
    assert version == dash_plotly_version()
    urls = page.request_log.urls
    assert any(bundle.name in u for u in urls), "the bundle was not served"
    assert not [u for u in urls if u.split("?")[0].endswith("/plotly.min.js")], "Dash's plotly.js loaded too"

    # a change in the page, then density: drawn by the same bundle
    page.goto(app_server.base + "?layers=zones,density")
    wait_map_idle(page, f"() => ({HEATMAP_DRAWN})().some(l => l.visible && l.n > 0)")
    assert [h for h in drawn_heatmaps(page) if h["visible"] and h["n"] > 0], "no density layer drawn"
    assert page.js_errors == []
