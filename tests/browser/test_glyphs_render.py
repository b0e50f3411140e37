"""The committed glyph PBFs draw text in plotly.js's MapLibre, with nothing fetched off the machine.

No Dash: a tiny page served from 127.0.0.1 loads the bundled plotly.min.js and plots a
``scattermap`` text trace on a style whose ``"glyphs"`` URL points at assets/glyphs. The test
waits for the map to settle, then checks that MapLibre placed the three labels, that it fetched
our ranges (and did not fall back to drawing the letters with a local browser font, which this
MapLibre does when a range fails to load, and which would hide a broken PBF), and that there is
dark ink where the labels are. The screenshot is kept in the test's tmp folder to look at.

The glyphs URL is tried three ways: absolute, path-absolute ("/assets/…") and relative.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import plotly
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ASSETS = ROOT / "assets"
FONTSTACK = "DejaVu Sans Book"
LABELS = ["Deir ez-Zor", "Al-Mayadin", "Abū Kamāl"]
LATS = [35.336, 35.0186, 34.4509]
LONS = [40.1408, 40.4516, 40.9186]
BACKGROUND = "#f4f1ea"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>glyphs</title>
<script src="/plotly.min.js"></script></head>
<body style="margin:0"><div id="map" style="width:900px;height:600px"></div>
<script>
window.plotDone = Plotly.newPlot("map", [{
  type: "scattermap", mode: "text", lat: %(lats)s, lon: %(lons)s, text: %(labels)s,
  textfont: {family: "%(fontstack)s", size: 14, color: "#1a1a1a"}, textposition: "middle center"
}], {
  margin: {l: 0, r: 0, t: 0, b: 0}, width: 900, height: 600, showlegend: false,
  map: {center: {lat: 34.9, lon: 40.55}, zoom: 7.2, style: {
    version: 8, glyphs: %(glyphs)s,
    sources: {x: {type: "geojson", data: {type: "FeatureCollection", features: []}}},
    layers: [{id: "bg", type: "background", paint: {"background-color": "%(background)s"}}]
  }}
}, {staticPlot: true});
</script></body></html>
"""


class _Handler(http.server.BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
        path = unquote(urlsplit(self.path).path)
        if path in ("/", "/index.html"):
            self._send(self.page, "text/html; charset=utf-8")
        elif path == "/plotly.min.js":
            self._send(PLOTLY_JS.read_bytes(), "application/javascript")
        elif path.startswith("/assets/"):
            target = (ASSETS / path.removeprefix("/assets/")).resolve()
            if target.is_relative_to(ASSETS) and target.is_file():
                self._send(target.read_bytes(), "application/x-protobuf")
            else:
                self.send_error(404)
        else:
            self.send_error(404)

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet
        pass


@pytest.fixture(scope="module")
def glyph_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _page_html(glyphs_url: str) -> bytes:
    return (
        PAGE
        % {
            "lats": json.dumps(LATS),
            "lons": json.dumps(LONS),
            "labels": json.dumps(LABELS, ensure_ascii=False),
            "fontstack": FONTSTACK,
            "glyphs": json.dumps(glyphs_url),
            "background": BACKGROUND,
        }
    ).encode("utf-8")


DARK_PIXELS_JS = """async ([b64, boxes]) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return boxes.map(([x0, y0, x1, y1]) => {
        const data = ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;
        let dark = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i] + data[i + 1] + data[i + 2] < 3 * 110) dark += 1;
        }
        return dark;
    });
}"""


@pytest.mark.parametrize(
    "glyphs_kind",
    ["absolute", "path-absolute", "relative"],
)
def test_labels_draw_with_the_committed_glyphs(page, glyph_server, tmp_path, glyphs_kind):
    template = "assets/glyphs/{fontstack}/{range}.pbf"
    glyphs_url = {
        "absolute": f"{glyph_server}/{template}",
        "path-absolute": f"/{template}",
        "relative": template,
    }[glyphs_kind]
    _Handler.page = _page_html(glyphs_url)

    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    glyph_responses: dict[str, int] = {}
    page.on(
        "response",
        lambda resp: glyph_responses.__setitem__(resp.url, resp.status) if ".pbf" in resp.url else None,
    )

    page.goto(f"{glyph_server}/", wait_until="load")
    page.wait_for_function("window.plotDone !== undefined")
    page.evaluate("() => window.plotDone")
    page.wait_for_function(
        """() => {
            const gd = document.getElementById('map');
            const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
            const map = sub && sub.map;
            return !!map && map.loaded() && map.areTilesLoaded()
                && map.queryRenderedFeatures().some(f => f.layer.type === 'symbol');
        }""",
        timeout=30_000,
    )
    features = page.evaluate(
        """() => {
            const map = document.getElementById('map')._fullLayout.map._subplot.map;
            return map.queryRenderedFeatures()
                .filter(f => f.layer.type === 'symbol')
                .map(f => ({text: f.properties.text, font: f.layer.layout['text-font'],
                            at: map.project(f.geometry.coordinates)}));
        }"""
    )
    assert sorted(f["text"] for f in features) == sorted(LABELS), features
    assert all(f["font"] == [FONTSTACK] for f in features), features

    # Ink where each label is: a 14 px label is about 60-90 px wide and 14 px tall. MapLibre fades
    # symbols in, so screenshots are taken until the ink is there (a bounded number of frames).
    boxes = [
        [int(f["at"]["x"]) - 60, int(f["at"]["y"]) - 12, int(f["at"]["x"]) + 60, int(f["at"]["y"]) + 12]
        for f in features
    ]
    dark: list[int] = []
    for _ in range(20):
        png = page.locator("#map").screenshot()
        dark = page.evaluate(DARK_PIXELS_JS, [base64.b64encode(png).decode("ascii"), boxes])
        if min(dark) > 40:
            break
    shot = tmp_path / f"glyphs-{glyphs_kind}.png"
    shot.write_bytes(png)

    # Our PBFs were fetched from this server and drawn: no range failed, no local-font fallback.
    fetched = {urlsplit(u).path: s for u, s in glyph_responses.items()}
    quoted = FONTSTACK.replace(" ", "%20")
    assert fetched.get(f"/assets/glyphs/{quoted}/0-255.pbf") == 200, (glyph_responses, console)
    assert fetched.get(f"/assets/glyphs/{quoted}/256-511.pbf") == 200, glyph_responses  # ā ū
    assert all(status == 200 for status in glyph_responses.values()), glyph_responses
    assert not [line for line in console if "glyph" in line.lower()], console
    assert page.js_errors == [], page.js_errors
    for feature, count in zip(features, dark, strict=True):
        assert count > 40, (feature["text"], count, str(shot))

    # Every request stayed on 127.0.0.1 (the page fixture also fails on any other host).
    hosts = {urlsplit(u).hostname for u in page.request_log.urls if urlsplit(u).scheme in ("http", "https")}
    assert hosts == {"127.0.0.1"}, page.request_log.urls
