"""A reviewer adds a feed file from the page: the same ingest as the command line, the report on
the page, and the new incident on the map and in the counts."""

from __future__ import annotations

import csv
import io
import urllib.request

import pytest

from tests.browser.conftest import AppServer
from tests.browser.test_dashboard import open_dashboard

pytestmark = pytest.mark.browser

# A short feed written for this test, shaped like a local outlet's RSS.
FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Valley Desk</title><link>https://valley.example/</link>
<item>
  <title>Mortar shells hit houses in Al-Tayyana</title>
  <link>https://valley.example/2025/03/tayyana-shelling</link>
  <pubDate>Tue, 18 Mar 2025 09:30:00 GMT</pubDate>
  <description>Three civilians were killed on Monday when mortar shells fell on houses in the
  village of Al-Tayyana in the eastern Deir ez-Zor countryside, local residents said.</description>
</item>
</channel></rss>
"""


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory, chromium_path):
    server = AppServer(tmp_path_factory.mktemp("uploaddata"))
    yield server
    server.stop()


def _count(page) -> int:
    return int(page.inner_text("#count-incidents").replace(",", ""))


def _csv(server: AppServer) -> list[dict[str, str]]:
    with urllib.request.urlopen(server.base + "api/events.csv?limit=5000", timeout=30) as resp:  # noqa: S310
        return list(csv.DictReader(io.StringIO(resp.read().decode("utf-8"))))


def test_an_uploaded_feed_is_ingested_reported_and_drawn(page, upload_server, tmp_path):
    open_dashboard(page, upload_server.base)
    before = _count(page)
    feed = tmp_path / "valley-desk.xml"
    feed.write_text(FEED, encoding="utf-8")
    page.set_input_files("#upload-reports input[type=file]", str(feed))
    page.wait_for_function(
        "() => document.querySelector('#upload-report').textContent.includes('1 added')", timeout=120_000
    )
    report = page.inner_text("#upload-report")
    assert "valley-desk.xml: 1 article(s) read, 1 added" in report
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('#count-incidents');"
        f" return e && parseInt(e.textContent.replace(/,/g, '')) > {before}; }}",
        timeout=30_000,
    )
    rows = [r for r in _csv(upload_server) if "Tayanah" in r["location"] and r["origin"] == "extracted"]
    assert len(rows) == 1 and rows[0]["event_date"] == "2025-03-17" and "mortar shells" in rows[0]["evidence"]

    # The same reports again (saved under another name): skipped as seen before, said so.
    again = tmp_path / "valley-desk-again.xml"
    again.write_text(FEED, encoding="utf-8")
    page.set_input_files("#upload-reports input[type=file]", str(again))
    try:
        page.wait_for_function(
            "() => document.querySelector('#upload-report').textContent.includes('0 added')", timeout=60_000
        )
    except Exception as exc:
        raise AssertionError(page.inner_text("#upload-report")) from exc
    assert "skipped" in page.inner_text("#upload-report")
