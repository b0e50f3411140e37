"""Saving a view from the page and following its feed: the issue's Done-when in a browser.

A view around Hajin is saved from the page (name box, *Save this view*), its feed link is
opened, then two short reports written here are ingested with the command line (one in Hajin,
one in al-Busayrah, far outside the area): the feed lists the first and not the second."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.browser.conftest import ROOT, AppServer
from tests.browser.test_dashboard import open_dashboard

pytestmark = pytest.mark.browser

A = "{http://www.w3.org/2005/Atom}"
AREA = "40.78,34.65;40.88,34.65;40.88,34.74;40.78,34.74"  # a box around Hajin
REPORTS = [
    {
        "id": "browserfeed-hajin",
        "url": "https://wire.example/browserfeed/hajin",
        "source": "Example Wire",
        "title": "Clashes in Hajin",
        "published": "2025-03-02",
        "text": "Clashes broke out on Saturday, March 1, 2025 between SDF fighters and ISIS cells in the "
        "town of Hajin, killing three fighters, a local monitor said.",
    },
    {
        "id": "browserfeed-busayrah",
        "url": "https://wire.example/browserfeed/busayrah",
        "source": "Example Wire",
        "title": "Protest in al-Busayrah",
        "published": "2025-03-02",
        "text": "Residents protested on Saturday, March 1, 2025 in the town of al-Busayrah against fuel "
        "shortages, a local monitor said.",
    },
]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    server = AppServer(tmp_path_factory.mktemp("savedviews"))
    yield server
    server.stop()


def _titles(page, url: str) -> list[str]:
    resp = page.request.get(url)
    assert resp.status == 200 and resp.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(resp.body())  # noqa: S314 - the app's own feed
    return [e.findtext(f"{A}title") or "" for e in root.findall(f"{A}entry")]


def test_save_a_view_from_the_page_and_its_feed_lists_a_new_incident_in_the_area_only(
    page, own_server, tmp_path
):
    open_dashboard(page, own_server.base, f"?area={AREA}&zoom=9&lat=34.7&lon=40.8")
    page.fill("#views-name", "Around Hajin <b>watch</b>")
    page.click("#views-save")
    page.wait_for_function("() => document.querySelector('#views-status').textContent !== ''", timeout=30_000)
    assert page.inner_text("#views-status").startswith("Saved"), page.inner_text("#views-status")
    page.click("#views-summary")
    link = page.locator(".saved-view-link", has_text="Around Hajin <b>watch</b>")
    link.wait_for(timeout=10_000)
    assert page.locator(".saved-views b").count() == 0  # the name is text, not markup
    view_href = link.get_attribute("href")
    assert "area=" in view_href and "zoom=" not in view_href
    feed = page.locator(".saved-view-feed").first
    feed_url = own_server.base.rstrip("/") + feed.get_attribute("href").removeprefix(
        own_server.prefix.rstrip("/")
    )
    assert feed_url.endswith("/feeds/around-hajin-b-watch-b.atom")
    before = _titles(page, feed_url)

    # Opening the feed link in the page shows the feed (the browser gets XML, not the dashboard).
    with page.expect_response(lambda r: r.url == feed_url) as opened:
        page.evaluate("url => fetch(url)", feed_url)
    assert opened.value.status == 200

    reports = tmp_path / "reports.jsonl"
    reports.write_text("".join(json.dumps(r) + "\n" for r in REPORTS), encoding="utf-8")
    env = dict(os.environ, CONFLICTMAP_DATA_DIR=str(own_server.data_dir))
    done = subprocess.run(
        [sys.executable, "-m", "conflictmap.cli", "ingest", str(reports)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    after = _titles(page, feed_url)
    new = [t for t in after if t not in before]
    assert new == ["Battle at Hajin, 2025-03-01"]
    assert not any("al-Busayrah" in t for t in after)
