"""Arabic place names draw on the map from the committed "Noto Naskh Arabic Regular" glyphs.

The plotly.js 3 MapLibre shapes Arabic (joined letter forms) and orders it right to left by
itself when no rtl-text plugin is registered, so the glyph ranges are all an Arabic label layer
needs. The page and server are those of ``test_glyphs_render`` (bundled plotly.js, loopback
only); the labels are the project's own short names.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest

from tests.browser.test_glyphs_render import DARK_PIXELS_JS, PAGE, _Handler, glyph_server  # noqa: F401

pytestmark = pytest.mark.browser

FONTSTACK = "Noto Naskh Arabic Regular"
LABELS = ["الميادين", "دير الزور", "البوكمال"]
LATS = [35.0186, 35.336, 34.4509]
LONS = [40.4516, 40.1408, 40.9186]
SYMBOLS = """() => {
    const gd = document.getElementById('map');
    const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    const map = sub && sub.map;
    if (!map || !map.loaded() || !map.areTilesLoaded()) { return null; }
    const placed = map.queryRenderedFeatures().filter(f => f.layer.type === 'symbol');
    return placed.length ? placed.map(f => ({text: f.properties.text, font: f.layer.layout['text-font'],
                                           at: map.project(f.geometry.coordinates)})) : null;
}"""


def test_arabic_labels_draw_with_the_committed_naskh_glyphs(page, glyph_server, tmp_path):  # noqa: F811
    _Handler.page = (
        PAGE
        % {
            "lats": json.dumps(LATS),
            "lons": json.dumps(LONS),
            "labels": json.dumps(LABELS, ensure_ascii=False),
            "fontstack": FONTSTACK,
            "glyphs": json.dumps(f"{glyph_server}/assets/glyphs/{{fontstack}}/{{range}}.pbf"),
            "background": "#f4f1ea",
        }
    ).encode("utf-8")
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    responses: dict[str, int] = {}
    page.on(
        "response",
        lambda r: responses.__setitem__(urlsplit(r.url).path, r.status) if ".pbf" in r.url else None,
    )

    page.goto(f"{glyph_server}/", wait_until="load")
    page.wait_for_function("window.plotDone !== undefined")
    page.evaluate("() => window.plotDone")
    features = page.wait_for_function(SYMBOLS, timeout=30_000).json_value()
    assert sorted(f["text"] for f in features) == sorted(LABELS), features
    assert all(f["font"] == [FONTSTACK] for f in features), features

    # Every letter is shaped into its joined form, from the presentation-forms block (the space
    # from 0-255): fetched from here, none failed, and none drawn with a local browser font.
    quoted = FONTSTACK.replace(" ", "%20")
    for block in ("0-255", "65024-65279"):
        assert responses.get(f"/assets/glyphs/{quoted}/{block}.pbf") == 200, (responses, console)
    assert all(status == 200 for status in responses.values()), responses
    assert not [line for line in console if "glyph" in line.lower() or "locally" in line], console
    assert page.js_errors == [], page.js_errors

    # Ink where each label is, once the symbols have faded in (screenshots until they have).
    boxes = [
        [int(f["at"]["x"]) - 50, int(f["at"]["y"]) - 12, int(f["at"]["x"]) + 50, int(f["at"]["y"]) + 12]
        for f in features
    ]
    dark: list[int] = []
    for _ in range(20):
        png = page.locator("#map").screenshot()
        dark = page.evaluate(DARK_PIXELS_JS, [base64.b64encode(png).decode("ascii"), boxes])
        if min(dark) > 15:  # Naskh strokes are thin: a short 14 px word has about 30 dark pixels
            break
    (tmp_path / "arabic-labels.png").write_bytes(png)
    assert min(dark) > 15, (dark, str(tmp_path / "arabic-labels.png"))
