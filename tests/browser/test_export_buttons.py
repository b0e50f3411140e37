"""The dashboard's export buttons download files that open; a copied link restores the view."""

from __future__ import annotations

import csv
import io
import struct
from xml.etree import ElementTree

import geopandas
import pytest
from pypdf import PdfReader

from tests.browser.test_dashboard import MARKERS, open_dashboard, wait_map

pytestmark = pytest.mark.browser

QUERY = "?start=2023-01-01&end=2024-12-31&type=battle"
STEM = "deir-ez-zor-battles-2023-to-2024"  # the view, not the typed title, names the files
TITLE = "Battles on the Euphrates"


def download(page, button_id: str, timeout: float = 120_000) -> tuple[bytes, str]:
    with page.expect_download(timeout=timeout) as info:
        page.click(f"#{button_id}")
    dl = info.value
    path = dl.path()
    # The buttons come back once the export is done, and the status line says what was saved.
    page.wait_for_function(f"() => !document.querySelector('#{button_id}').disabled", timeout=30_000)
    return open(path, "rb").read(), dl.suggested_filename


def page_tmp(name: str, data: bytes):
    """The downloaded bytes as a file (geopandas opens paths)."""
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(data)
    return path


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_export_buttons_download_files_that_open(page, app_server):
    open_dashboard(page, app_server.base, QUERY)
    page.fill("#export-title", TITLE)
    count = int(page.inner_text("#count-incidents").replace(",", ""))

    data, name = download(page, "export-csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert name == f"{STEM}.csv" and len(rows) == count  # exactly what the dashboard counts
    assert {r["event_type"] for r in rows} == {"Battles"}
    assert f"Saved {STEM}.csv" in page.inner_text("#export-status")

    data, name = download(page, "export-geojson")
    assert name == f"{STEM}.geojson" and data.count(b'"Feature"') == count

    data, name = download(page, "export-kml")  # opened as Google Earth would: XML placemarks
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    points = ElementTree.fromstring(data).findall(".//k:Placemark/k:Point", ns)  # noqa: S314 - our own export
    assert name == f"{STEM}.kml" and len(points) == count

    data, name = download(page, "export-gpkg")  # opened as QGIS would: a GeoPackage layer
    gpkg = page_tmp(name, data)
    assert name == f"{STEM}.gpkg" and len(geopandas.read_file(gpkg)) == count

    data, name = download(page, "export-png")
    assert name == f"{STEM}.png" and png_size(data) == (1400, 1000)
    data, name = download(page, "export-svg")
    assert name == f"{STEM}.svg" and data.lstrip()[:4] == b"<svg" and TITLE.encode() in data

    data, name = download(page, "export-pdf")
    assert name == f"{STEM}.pdf" and data[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == TITLE
    text = reader.pages[0].extract_text()
    assert TITLE in text and "Zone: SDF" in text and "Battle" in text
    assert "Circle size: fatalities" in text and "Location precision" in text and " km" in text

    data, name = download(page, "export-briefing")
    assert name == f"{STEM}-briefing.pdf"
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == TITLE
    text = reader.pages[0].extract_text()
    assert "Main events of the period" in text and "Circle size: fatalities" in text
    assert f"Saved {STEM}-briefing.pdf" in page.inner_text("#export-status")
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
        page.wait_for_function(
            "() => /\\d/.test(document.querySelector('#count-incidents')?.innerText || '')", timeout=40_000
        )
        counts, markers = page.inner_text("#count-incidents"), page.evaluate(MARKERS)
        page.click("#copy-link")
        # The copy callback fills the clipboard a moment after the click: poll it, up to 20 s.
        link = page.evaluate(
            """async () => {
              const until = Date.now() + 20000;
              while (Date.now() < until) {
                const text = await navigator.clipboard.readText();
                if (text.includes('type=battle')) return text;
                await new Promise((r) => setTimeout(r, 200));
              }
              return '';
            }"""
        )
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
