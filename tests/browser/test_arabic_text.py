"""Arabic evidence on the page: right to left, highlighted, in the app's own Noto Naskh Arabic.

The app runs on a store holding one Arabic report and one English one (``tests/arabic_seed``).
The font must come from the app itself (the ``page`` fixture fails on any other host), and the
English evidence must stay left to right beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.arabic_seed import (
    AR_EVENT,
    AR_OUTLET,
    AR_PLACE,
    AR_SENTENCE,
    AR_TITLE,
    EN_EVENT,
    EN_SENTENCE,
    VIEW,
    seed_arabic_reports,
)
from tests.browser.conftest import AppServer

pytestmark = pytest.mark.browser

FONT_PATH = "/assets/fonts/NotoNaskhArabic-Regular.ttf"
FONT_READY = """() => document.fonts.check('16px "Noto Naskh Arabic"', 'دير الزور')
    && [...document.fonts].some(f => f.family.replace(/"/g, '') === 'Noto Naskh Arabic' && f.status === 'loaded')"""
PARAGRAPH = """() => {
    const q = document.querySelector('#detail blockquote.evidence-paragraph');
    const mark = q && q.querySelector('mark.evidence');
    return q && {
        dir: q.getAttribute('dir'),
        direction: getComputedStyle(q).direction,
        mark: mark ? mark.textContent : null,
        markDirection: mark ? getComputedStyle(mark).direction : null,
        html: q.querySelectorAll('*:not(mark)').length,
    };
}"""
DIR_OF = """(text) => [...document.querySelectorAll('#detail [dir="auto"]')]
    .filter(e => e.textContent === text).map(e => getComputedStyle(e).direction)"""


@pytest.fixture(scope="module")
def arabic_server(tmp_path_factory, chromium_path) -> Iterator[AppServer]:
    data_dir: Path = tmp_path_factory.mktemp("arabic-app")
    seed_arabic_reports(data_dir)
    server = AppServer(data_dir)
    yield server
    server.stop()


def open_event(page, server: AppServer, event_id: str, sentence: str, extra: str = "") -> dict:
    page.goto(f"{server.base}?{VIEW}{extra}&event=inc:{event_id}", wait_until="load")
    page.locator("#detail mark.evidence").wait_for(timeout=60_000)
    page.wait_for_function(
        "(s) => (document.querySelector('#detail mark.evidence') || {}).textContent === s", arg=sentence
    )
    return page.evaluate(PARAGRAPH)


def test_arabic_evidence_reads_right_to_left_highlighted_in_the_app_font(page, arabic_server):
    shown = open_event(page, arabic_server, AR_EVENT, AR_SENTENCE)
    assert shown["dir"] == "auto" and shown["direction"] == "rtl"
    assert shown["mark"] == AR_SENTENCE and shown["markDirection"] == "rtl"
    assert shown["html"] == 0  # text and its highlight only, nothing else made from the report
    # The title, outlet and place are isolated, each in its own direction.
    for text in (AR_TITLE, AR_OUTLET, AR_PLACE):
        assert page.evaluate(DIR_OF, text)[:1] == ["rtl"], text
    # The face loads (the Arabic text asks for it) and is fetched from the app itself.
    page.wait_for_function(FONT_READY, timeout=30_000)
    fetched = [u for u in page.request_log.urls if urlsplit(u).path == FONT_PATH]
    assert fetched and all(urlsplit(u).hostname == "127.0.0.1" for u in fetched)
    used = page.evaluate("() => getComputedStyle(document.querySelector('#detail mark.evidence')).fontFamily")
    assert used.startswith('"Noto Naskh Arabic"')
    assert page.js_errors == []


def test_english_evidence_stays_left_to_right_without_the_arabic_font(page, arabic_server):
    shown = open_event(page, arabic_server, EN_EVENT, EN_SENTENCE, "&type=protest")
    assert shown["dir"] == "auto" and shown["direction"] == "ltr" and shown["mark"] == EN_SENTENCE
    # The table has drawn its row: the whole page is there, and none of it is Arabic ...
    page.locator("#incidents-table td.dash-cell", has_text="Hajin").first.wait_for(timeout=30_000)
    assert not page.evaluate("() => /[\\u0600-\\u06ff]/.test(document.body.innerText)")
    # ... so the face, which covers Arabic letters only (unicode-range), is never fetched.
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    assert not [u for u in page.request_log.urls if urlsplit(u).path == FONT_PATH]
    assert page.js_errors == []
