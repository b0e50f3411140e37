"""The incidents table, read as the analyst reads it: rows agree with the counts and the drawn
map after in-page changes, and a row and a marker select each other."""

from __future__ import annotations

import re

import pytest

from tests.browser.drawn import click_marker, drawn, wait_drawn, wait_events_match_figure
from tests.browser.test_dashboard import MARKER_XY, open_dashboard

pytestmark = pytest.mark.browser

ROWS = "#incidents-table tr:has(td)"
HALO = "#111111"


def caption_total(page) -> int:
    text = (
        page.inner_text("#incidents-table-caption")
        if page.locator("#incidents-table-caption").count()
        else ""
    )
    text = text or page.inner_text(".table-caption")
    return int(re.search(r"([\d,]+) incidents?", text).group(1).replace(",", ""))


def test_table_follows_the_filter_and_selects_on_the_map(page, app_server):
    open_dashboard(page, app_server.base, "?start=2023-08-01&end=2023-10-31")
    page.locator(ROWS).first.wait_for(timeout=30_000)
    counts = int(page.inner_text("#count-incidents").replace(",", ""))
    assert caption_total(page) == counts
    assert page.locator(ROWS).count() == min(15, counts)

    # A type filter: the table's total follows the on-screen count.
    page.locator("#filter-types").get_by_label("Battle").check()
    page.wait_for_function("() => location.search.includes('type=battle')", timeout=20_000)
    page.wait_for_function(
        f"() => document.querySelector('#count-incidents').innerText.replace(',', '') !== '{counts}'",
        timeout=20_000,
    )
    battles = int(page.inner_text("#count-incidents").replace(",", ""))
    page.wait_for_function(
        f"() => (document.querySelector('.table-caption') || {{}}).innerText.startsWith('{battles} ')",
        timeout=20_000,
    )
    types = {
        page.locator(ROWS).nth(i).locator("td").nth(1).inner_text() for i in range(page.locator(ROWS).count())
    }
    assert types == {"Battle"}

    # A row clicked: the URL selects it, the detail panel opens, MapLibre draws the halo.
    page.locator(ROWS).first.locator("td").nth(2).click()
    page.wait_for_function("() => location.search.includes('event=')", timeout=20_000)
    page.locator("#detail .detail-title").wait_for(timeout=20_000)
    assert "Battle" in page.inner_text("#detail .detail-title")
    wait_drawn(page, f"(layers) => layers.some(l => l.type === 'circle' && l.colour === '{HALO}')")

    # A marker clicked on the map: its row is the one highlighted in the table.
    wait_events_match_figure(page, ["battle"])
    first_selected = re.search(r"event=([^&]+)", page.url).group(1)
    # The marker farthest from the selected one, so no other marker sits on top of it.
    target = page.evaluate(
        """() => {
          const gd = document.querySelector('#map .js-plotly-plot');
          const halo = gd._fullData.find(t => t.meta && t.meta.kind === 'selection');
          const [y0, x0] = [halo.lat[0], halo.lon[0]];
          let best = null, far = -1;
          for (const t of gd._fullData) {
            if (!(t.meta && t.meta.kind === 'events') || t.meta.approximate) continue;
            for (let i = 0; i < t.lat.length; i++) {
              const d = (t.lat[i] - y0) ** 2 + (t.lon[i] - x0) ** 2;
              if (d > far) { far = d; best = t.customdata[i][0]; }
            }
          }
          return best;
        }"""
    )
    assert target
    page.evaluate("() => window.scrollTo(0, 0)")  # the row click scrolled the page down to the table
    xy = page.evaluate(MARKER_XY, target)
    click_marker(page, xy)
    page.wait_for_function(
        f"() => !location.search.includes('event={first_selected}') && location.search.includes('event=')",
        timeout=20_000,
    )
    page.locator(".table-status").wait_for(timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('.table-status').innerText.startsWith('Selected')", timeout=20_000
    )
    assert [layer for layer in drawn(page) if layer["colour"] == HALO]
