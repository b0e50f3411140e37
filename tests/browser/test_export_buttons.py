"""The dashboard's export buttons download files that open; a copied link restores the view."""

from __future__ import annotations

import csv
import io

import pytest
from pypdf import PdfReader

from tests.browser.test_dashboard import MARKERS, open_dashboard, wait_map

pytestmark = pytest.mark.browser

QUERY = "?start=2023-01-01&end=2024-12-31&type=battle"


def download(page, button_id: str, timeout: float = 120_000) -> tuple[bytes, str]:
    with page.expect_download(timeout=timeout) as info:
        page.click(f"#{button_id}")
    dl = info.value
    path = dl.path()
    # The buttons come back once the export is done, and the status line says what was saved.
    page.wait_for_function(f"() => !document.querySelector('#{button_id}').disabled", timeout=30_000)
    return open(path, "rb").read(), dl.suggested_filename


def test_export_buttons_download_files_that_open(page, app_server):
    open_dashboard(page, app_server.base, QUERY)
    page.fill("#export-title", "Battles on the Euphrates")
    count = int(page.inner_text("#count-incidents").replace(",", ""))

    data, name = download(page, "export-csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert name.endswith(".csv") and len(rows) == count  # exactly what the dashboard counts
    assert {r["event_type"] for r in rows} == {"Battles"}

    data, name = download(page, "export-geojson")
    assert name.endswith(".geojson") and data.count(b'"Feature"') == count

    data, name = download(page, "export-png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and name.endswith(".png") and "battles-on-the-euphrates" in name
    data, _ = download(page, "export-svg")
    assert data.lstrip()[:4] == b"<svg" and b"Battles on the Euphrates" in data

    data, _ = download(page, "export-pdf")
    assert data[:5] == b"%PDF-"
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Battles on the Euphrates" in text and "Zone: SDF" in text and "Battle" in text
    assert "Saved" in page.inner_text("#export-status")
    assert page.js_errors == []


def test_copied_link_restores_the_view_in_a_new_context(browser, app_server):
    ctx = browser.new_context(
        viewport={"width": 1400, "height": 1000}, permissions=["clipboard-read", "clipboard-write"]
    )
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    urls: list[str] = []
    for c in (ctx, other):
        c.on("request", lambda req: urls.append(req.url))
    try:
        page = ctx.new_page()
        open_dashboard(page, app_server.base, "?start=2023-08-01&end=2023-10-31&asof=2023-09-15&type=battle")
        page.wait_for_function("() => document.querySelector('#count-incidents')", timeout=40_000)
        page.wait_for_timeout(1000)
        counts, markers = page.inner_text("#count-incidents"), page.evaluate(MARKERS)
        page.click("#copy-link")
        link = ""
        for _ in range(100):  # the copy callback fills the clipboard a moment after the click
            link = page.evaluate("async () => await navigator.clipboard.readText()")
            if "type=battle" in link:
                break
            page.wait_for_timeout(200)
        assert link.startswith(app_server.base) and "asof=2023-09-15" in link
        p2 = other.new_page()
        p2.goto(link, wait_until="load")
        wait_map(p2)
        p2.wait_for_function(
            f"() => document.querySelector('#count-incidents')?.innerText === '{counts}'", timeout=40_000
        )
        assert p2.evaluate(MARKERS) == markers
        assert p2.is_checked("#filter-types input[value='battle']")
    finally:
        ctx.close()
        other.close()
    assert urls and all(u.startswith(("http://127.0.0.1", "data:", "blob:")) for u in urls), urls
