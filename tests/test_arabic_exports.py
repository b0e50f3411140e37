"""Arabic in exports is drawn with the app's own Noto Naskh Arabic, not boxes or a stray font.

The first tests work on figure dicts and files (no browser). The last ones ask the export routes
for a briefing PDF, a map PNG and an SVG of a store holding an Arabic report, as a user would,
and read the PDF's embedded fonts; they need Debian's Chromium (skipped without it on a
workstation, failed in CI).
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import unicodedata
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from conflictmap.export import snapshot
from tests.arabic_seed import AR_OUTLET, AR_PLACE, AR_TITLE, VIEW, seed_arabic_reports

LATIN = {
    "data": [
        # Hover texts are not drawn on paper: Arabic there changes nothing.
        {
            "type": "scattermap",
            "lat": [35.0],
            "lon": [40.5],
            "hovertext": [AR_PLACE],
            "textfont": {"family": "DejaVu Sans Book"},
        },
        {"type": "bar", "x": [1], "y": [2], "name": "Battles"},
    ],
    # Nor is the basemap's GeoJSON, whose features carry Arabic names.
    "layout": {
        "title": {"text": "Battles"},
        "map": {"layers": [{"source": {"features": [{"properties": {"name_ar": "سوريا"}}]}}]},
    },
}


def with_text(text: str) -> dict:
    fig = {"data": [dict(t) for t in LATIN["data"]], "layout": dict(LATIN["layout"])}
    fig["layout"]["annotations"] = [{"text": text, "font": {"size": 10, "family": "Arial, sans-serif"}}]
    return fig


# ---- figure dicts and files ---------------------------------------------------------------------


def test_a_figure_without_arabic_is_left_as_it_was():
    assert not snapshot.has_arabic(LATIN)
    assert snapshot.arabic_fonts(LATIN) is LATIN


def test_arabic_text_puts_noto_naskh_arabic_before_the_generic_family():
    fig = with_text(f"Clash in {AR_PLACE}")
    assert snapshot.has_arabic(fig)
    out = snapshot.arabic_fonts(fig)
    assert out["layout"]["font"]["family"] == snapshot.ARABIC_FAMILIES
    assert out["layout"]["annotations"][0]["font"]["family"] == 'Arial, "Noto Naskh Arabic", sans-serif'
    # A map trace's family names a MapLibre glyph stack: untouched; the input is not changed.
    assert out["data"][0]["textfont"]["family"] == "DejaVu Sans Book"
    assert fig["layout"]["annotations"][0]["font"]["family"] == "Arial, sans-serif"


def test_arabic_is_found_in_numpy_text_arrays_too():
    np = pytest.importorskip("numpy")
    fig = {"data": [{"type": "table", "cells": {"values": [np.array(["Hajin", AR_PLACE], dtype=object)]}}]}
    assert snapshot.has_arabic(fig)


def test_family_lists_keep_their_order_and_gain_the_arabic_face_once():
    assert snapshot.with_arabic_family(None) == snapshot.ARABIC_FAMILIES
    assert snapshot.with_arabic_family("Georgia") == 'Georgia, "Noto Naskh Arabic"'
    assert snapshot.with_arabic_family("'Open Sans', serif") == "'Open Sans', \"Noto Naskh Arabic\", serif"
    twice = snapshot.with_arabic_family(snapshot.ARABIC_FAMILIES)
    assert twice.count("Noto Naskh Arabic") == 1


def test_the_font_file_is_the_app_asset_and_a_truetype_font():
    data = snapshot.ARABIC_FONT_FILE.read_bytes()
    assert data[:4] == b"\x00\x01\x00\x00" and b"N\x00o\x00t\x00o\x00 \x00N\x00a\x00s\x00k\x00h" in data
    assert (snapshot.FONT_DIR / "OFL-NotoNaskhArabic.txt").read_text().count("SIL OPEN FONT LICENSE") >= 1


def test_fontconfig_file_adds_the_app_fonts_to_the_system_ones(tmp_path):
    conf = snapshot.fontconfig_file(tmp_path)
    assert conf is not None
    text = conf.read_text()
    assert f"<dir>{snapshot.FONT_DIR}</dir>" in text and "fonts.conf</include>" in text
    assert snapshot.fontconfig_file(tmp_path, tmp_path / "missing") is None


def test_svg_with_font_embeds_the_face_after_the_root_tag():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10"><text>x</text></svg>'
    out = snapshot.svg_with_font(svg)
    assert out.startswith(b'<svg xmlns="http://www.w3.org/2000/svg" width="10"><style>@font-face{')
    assert b'font-family:"Noto Naskh Arabic"' in out and b"data:font/ttf;base64,AAEAAA" in out
    assert out.endswith(b"<text>x</text></svg>")


# ---- the files the routes answer, opened --------------------------------------------------------


def pdf_fonts(reader: PdfReader) -> set[str]:
    """/BaseFont of every font a page uses, form XObjects included (Chromium nests its drawing)."""
    names: set[str] = set()

    def walk(resources) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            names.add(str(font.get_object().get("/BaseFont")))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if "/Resources" in xobject:
                walk(xobject["/Resources"])

    for page in reader.pages:
        walk(page.get("/Resources"))
    return names


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = os.environ.get("BROWSER_PATH") or snapshot.find_chromium() or shutil.which("chromium")
    if not path:
        msg = "Chromium is not installed: image exports cannot be checked"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    from app import create_app
    from conflictmap.config import Settings

    data_dir = tmp_path_factory.mktemp("arabicdata")
    seed_arabic_reports(data_dir)
    app = create_app(Settings(data_dir=data_dir, url_prefix="/"))
    yield app.server.test_client()
    snapshot.get_renderer().close()


@pytest.fixture(scope="module")
def briefing_pdf(client) -> bytes:
    resp = client.get(f"/export/briefing.pdf?{VIEW}&title={quote(AR_TITLE)}")
    assert resp.status_code == 200, resp.data[:300]
    out = os.environ.get("CONFLICTMAP_ARABIC_PDF")  # to look at the page: pdftoppm -png it
    if out:
        with open(out, "wb") as f:
            f.write(resp.data)
    return resp.data


def test_briefing_pdf_embeds_noto_naskh_arabic_for_arabic_text(briefing_pdf):
    reader = PdfReader(io.BytesIO(briefing_pdf))
    fonts = pdf_fonts(reader)
    # Subset fonts are named "ABCDEF+NotoNaskhArabic-Regular".
    assert any(f.endswith("+NotoNaskhArabic-Regular") for f in fonts), fonts
    # The Latin text keeps a Latin font: the Arabic face is not used for everything.
    assert any("NotoNaskhArabic" not in f for f in fonts), fonts
    assert reader.metadata.title == AR_TITLE
    text = reader.pages[0].extract_text()
    assert "Main events of the period" in text


def test_briefing_draws_the_arabic_title_place_and_outlet_in_that_font(briefing_pdf):
    """The words themselves reach the page in Noto Naskh Arabic: read back from its text runs
    (Chromium writes the shaped letters, Unicode's presentation forms; NFKC gives the words)."""
    words: set[str] = set()

    def visit(text, _cm, _tm, font, _size) -> None:
        if font and "NotoNaskhArabic" in str(font.get("/BaseFont")):
            words.update(unicodedata.normalize("NFKC", text).split())

    PdfReader(io.BytesIO(briefing_pdf)).pages[0].extract_text(visitor_text=visit)
    assert set(f"{AR_TITLE} {AR_PLACE} {AR_OUTLET}".split()) <= words, words


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_map_png_and_svg_of_an_arabic_view(client):
    resp = client.get(f"/export/map.png?{VIEW}&title={quote(AR_TITLE)}&width=900&height=700")
    assert resp.status_code == 200, resp.data[:300]
    assert png_size(resp.data) == (900, 700)
    resp = client.get(f"/export/map.svg?{VIEW}&title={quote(AR_TITLE)}&width=900&height=700")
    assert resp.status_code == 200, resp.data[:300]
    assert resp.data.lstrip()[:4] == b"<svg" and b'@font-face{font-family:"Noto Naskh Arabic"' in resp.data
    # The text is the title itself, set in a font list that names the embedded face.
    assert AR_TITLE.encode() in resp.data
    assert b"font-family: 'Open Sans', verdana, arial, 'Noto Naskh Arabic', sans-serif" in resp.data


def test_a_latin_view_svg_carries_no_font(client):
    resp = client.get("/export/map.svg?start=2024-08-01&end=2024-08-31&width=900&height=700")
    assert resp.status_code == 200, resp.data[:300]
    assert b"@font-face" not in resp.data and AR_OUTLET.encode() not in resp.data
