"""The fixed map layers (basemap, contested outlines) are sent once and drawn after every change.

Each map update used to resend the basemap: 145 KB of the 150 KB a map figure weighs with no
events in view. Now the server sends them with the first map and again only when they change
(an as-of date with other contested outlines); the page keeps its copy and puts it back. This
journey checks both halves as the analyst gets them: what the server's responses hold, and what
MapLibre draws (rivers, lakes and borders, counted from its rendered features) after several
changes in a row.
"""

from __future__ import annotations

import json

import pytest

from components.theme import BASEMAP_COLOURS
from tests.browser.drawn import event_colours_js, wait_drawn, wait_events_match_figure
from tests.browser.test_dashboard import open_dashboard
from tests.browser.test_drawn_map import console_errors, open_more_filters, set_date

pytestmark = pytest.mark.browser

# Features MapLibre renders in the basemap's layers (plotly's layout layers), by colour.
BASEMAP_DRAWN = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const map = gd._fullLayout.map._subplot.map;
  const out = {};
  for (const l of map.getStyle().layers) {
    if (!l.id.startsWith('plotly-layout-layer')) continue;
    const prop = {fill: 'fill-color', line: 'line-color'}[l.type];
    if (!prop) continue;
    const c = map.getPaintProperty(l.id, prop);
    const n = map.queryRenderedFeatures({layers: [l.id]}).length;
    const key = l.type + ' ' + String(c).toLowerCase();
    out[key] = (out[key] || 0) + n;
  }
  return out;
}"""


def map_responses(page) -> list[dict]:
    """Every map figure the server sends, as the page receives it: its size and its marks."""
    seen: list[dict] = []

    def on_response(response) -> None:
        if "_dash-update-component" not in response.url:
            return
        body = response.body()
        try:
            payload = json.loads(body)
        except ValueError:
            return
        fig = (payload.get("response") or {}).get("map-figure", {}).get("data")
        if isinstance(fig, dict) and "layout" in fig:
            seen.append(
                {
                    "bytes": len(body),
                    "has_layers": "layers" in fig["layout"].get("map", {}),
                    "key": fig.get("layersKey"),
                    "from": fig.get("layersFrom"),
                }
            )

    page.on("response", on_response)
    return seen


def rivers_and_lakes(drawn: dict[str, int]) -> tuple[int, int]:
    rivers = sum(n for k, n in drawn.items() if k.startswith("line") and BASEMAP_COLOURS["rivers"] in k)
    lakes = sum(n for k, n in drawn.items() if k.startswith("fill") and BASEMAP_COLOURS["lakes"] in k)
    return rivers, lakes


def wait_basemap(page, expected: tuple[int, int] | None = None) -> dict[str, int]:
    """What the basemap's layers draw once the map is idle: river lines at least, or exactly
    ``expected`` (rivers, lakes) when given. Waited for, not read once: MapLibre renders a
    layer's features tile by tile after a redraw, and a read between two renders counts few."""
    rivers = BASEMAP_COLOURS["rivers"]
    lakes = BASEMAP_COLOURS["lakes"]
    want = "true" if expected is None else f"r === {expected[0]} && k === {expected[1]}"
    found = page.wait_for_function(
        f"""() => {{
          const gd = document.querySelector('#map .js-plotly-plot');
          const m = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
          if (!m || !m.loaded() || document.querySelector('[data-dash-is-loading="true"]')) return false;
          const d = ({BASEMAP_DRAWN})();
          let r = 0, k = 0;
          for (const [key, n] of Object.entries(d)) {{
            if (key.startsWith('line') && key.includes('{rivers}')) r += n;
            if (key.startsWith('fill') && key.includes('{lakes}')) k += n;
          }}
          return r > 0 && ({want}) ? d : false;
        }}""",
        timeout=20_000,
    )
    return found.json_value()  # what was drawn when it held (a later read may fall mid-redraw)


def test_the_basemap_is_sent_once_and_drawn_after_every_change(page, app_server):
    errors = console_errors(page)
    sent = map_responses(page)
    open_dashboard(page, app_server.base, "?asof=2024-12-05")
    wait_events_match_figure(page)
    first = wait_basemap(page)
    rivers, lakes = rivers_and_lakes(first)
    assert rivers > 0 and lakes > 0, first
    assert sent and sent[0]["has_layers"] and sent[0]["key"], sent

    # Three filter changes in a row: each figure comes without the layers, each drawing has them.
    page.locator("#filter-types").get_by_label("Battle").check()
    page.wait_for_function("() => location.search.includes('type=battle')", timeout=20_000)
    wait_drawn(page, event_colours_js(["battle"]))
    wait_events_match_figure(page, ["battle"])
    assert rivers_and_lakes(wait_basemap(page, (rivers, lakes))) == (rivers, lakes)

    page.locator("#filter-types").get_by_label("Protest").check()
    page.wait_for_function("() => location.search.includes('protest')", timeout=20_000)
    wait_drawn(page, event_colours_js(["battle", "protest"]))
    wait_events_match_figure(page, ["battle", "protest"])
    assert rivers_and_lakes(wait_basemap(page, (rivers, lakes))) == (rivers, lakes)

    set_date(page, "#filter-dates-start", "2023-01-01")
    page.wait_for_function("() => location.search.includes('start=2023-01-01')", timeout=20_000)
    wait_events_match_figure(page, ["battle", "protest"])
    assert rivers_and_lakes(wait_basemap(page, (rivers, lakes))) == (rivers, lakes)

    later = sent[1:]
    assert len(later) >= 3, sent
    assert all(not r["has_layers"] and r["from"] == sent[0]["key"] for r in later), later
    assert max(r["bytes"] for r in later) < sent[0]["bytes"] - 100_000, sent

    # Another as-of date: the zones' outlines change, so the layers come again, once, and are
    # drawn; the next filter change leaves them out again and they stay drawn.
    before = len(sent)
    set_date(page, "#filter-as-of", "2026-02-01")
    page.wait_for_function("() => location.search.includes('asof=2026-02-01')", timeout=20_000)
    wait_events_match_figure(page, ["battle", "protest"])
    assert rivers_and_lakes(wait_basemap(page, (rivers, lakes))) == (rivers, lakes)
    open_more_filters(page)
    page.locator("#filter-layers").get_by_label("Control zones").uncheck()
    page.wait_for_function("() => location.search.includes('layers=')", timeout=20_000)
    wait_events_match_figure(page, ["battle", "protest"])
    assert rivers_and_lakes(wait_basemap(page, (rivers, lakes))) == (rivers, lakes)
    assert len(sent) >= before + 2, sent[before:]
    assert not [e for e in errors if "map" in e.lower() or "style" in e.lower()], errors
    assert page.js_errors == []
