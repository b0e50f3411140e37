"""An Arabic RSS feed, end to end, as an analyst meets it: ingested by the command line, its
events drawn on the map, the report opened by clicking its marker (Arabic evidence right to left
and highlighted), and a briefing PDF whose Arabic is drawn in the app's own font.

The feed is the project's own writing, shaped like a local Arabic news site's RSS.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import unicodedata
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.browser.conftest import ROOT, AppServer
from tests.browser.drawn import click_marker, wait_events_match_figure
from tests.browser.test_arabic_text import PARAGRAPH
from tests.browser.test_dashboard import MARKER_XY, open_dashboard

pytestmark = pytest.mark.browser

CLASH = (
    "قُتل ثلاثة عناصر من قوات سوريا الديمقراطية (قسد) وأصيب اثنان آخران، مساء أمس الثلاثاء، "
    "في هجوم شنه مسلحون مجهولون على حاجز لها في بلدة ذيبان بريف دير الزور الشرقي."
)
PROTEST = (
    "خرج عشرات الأهالي في مظاهرة بمدينة هجين شرقي دير الزور، اليوم الخميس، "
    "للمطالبة بالإفراج عن أبنائهم المعتقلين."
)
FEED = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>شبكة أخبار الفرات</title><link>http://news.example.invalid/</link><language>ar</language>
<item><title>مقتل ثلاثة عناصر من قسد بهجوم على حاجز في ذيبان</title>
<link>http://news.example.invalid/2025/10/15/dhiban-checkpoint</link>
<pubDate>Wed, 15 Oct 2025 09:00:00 +0300</pubDate>
<description>{CLASH} وقالت مصادر محلية إن المهاجمين لاذوا بالفرار باتجاه البادية.</description></item>
<item><title>مظاهرة في هجين للمطالبة بالإفراج عن المعتقلين</title>
<link>http://news.example.invalid/2025/10/16/hajin-protest</link>
<pubDate>Thu, 16 Oct 2025 12:00:00 +0300</pubDate>
<description>{PROTEST}</description></item>
</channel></rss>
"""
VIEW = "start=2025-10-01&end=2025-10-31&lat=34.8500&lon=40.7000&zoom=9"


@pytest.fixture(scope="module")
def arabic_feed_server(tmp_path_factory, chromium_path) -> Iterator[tuple[AppServer, str]]:
    data_dir: Path = tmp_path_factory.mktemp("arabic-feed")
    feed = data_dir / "furat.xml"
    feed.write_bytes(FEED.encode("utf-8"))
    env = {"CONFLICTMAP_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    run = subprocess.run(
        [sys.executable, "-m", "conflictmap.cli", "ingest", str(feed)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    server = AppServer(data_dir)
    yield server, run.stdout
    server.stop()


def test_the_ingest_report_counts_the_arabic_articles_and_events(arabic_feed_server):
    _server, report = arabic_feed_server
    assert "ar: 2 article(s), 2 event(s)" in report, report


def test_an_arabic_report_is_drawn_clicked_and_read_right_to_left(page, arabic_feed_server):
    server, _ = arabic_feed_server
    with urllib.request.urlopen(f"{server.base}api/events.geojson?{VIEW}") as resp:  # noqa: S310 - loopback
        features = json.load(resp)["features"]
    by_place = {f["properties"]["location"]: f["properties"] for f in features}
    assert {"ذيبان", "هجين"} <= set(by_place), sorted(by_place)
    clash = by_place["ذيبان"]
    assert (clash["event_type"], clash["fatalities"]) == ("Battles", 3)  # ACLED's export label

    open_dashboard(page, server.base, "?" + VIEW)
    wait_events_match_figure(page)
    xy = page.evaluate(MARKER_XY, clash["incident_id"])
    assert xy, "the Dhiban clash is not drawn"
    click_marker(page, xy)
    page.locator("#detail mark.evidence").wait_for(timeout=30_000)
    page.wait_for_function(
        "(s) => (document.querySelector('#detail mark.evidence') || {}).textContent === s", arg=CLASH
    )
    shown = page.evaluate(PARAGRAPH)
    assert shown["dir"] == "auto" and shown["direction"] == "rtl" and shown["markDirection"] == "rtl", shown
    assert shown["html"] == 0, shown  # the sentence is text: nothing but the highlight inside


def test_the_briefing_pdf_draws_the_arabic_in_the_app_font(arabic_feed_server):
    server, _ = arabic_feed_server
    with urllib.request.urlopen(f"{server.base}export/briefing.pdf?{VIEW}", timeout=120) as resp:  # noqa: S310
        pdf = resp.read()
    words: set[str] = set()

    def visit(text, _cm, _tm, font, _size) -> None:
        if font and "NotoNaskhArabic" in str(font.get("/BaseFont")):
            words.update(unicodedata.normalize("NFKC", text).split())

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    # the places of both reports and the outlet, in the events table and the sources line
    assert {"ذيبان", "هجين"} <= words, words
