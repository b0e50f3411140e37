"""Intranet embedding: the app under a prefix, inside an iframe on a page of another local origin.

Two tiny portals (http.server on their own ports, so their own origins) serve the same page with
an iframe of ``<app>/tools/map/?embed=1``. The one in CONFLICTMAP_FRAME_ANCESTORS shows the map;
the other is refused by the browser (CSP frame-ancestors).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.conftest import AppServer, free_port
from tests.browser.drawn import drawn_event_types, wait_drawn, wait_events_match_figure
from tests.browser.test_dashboard import MAP_READY, MARKERS

pytestmark = pytest.mark.browser

PREFIX = "/tools/map/"


class Portal:
    """A static page with an iframe, served from its own port (its own origin)."""

    def __init__(self, folder: Path, src: str, port: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(
            "<!doctype html><html><head><title>Portal</title></head><body><h1>Team portal</h1>"
            # onload counts the frame's loads: a refused frame loads the browser's error page, so the
            # test can wait for that instead of sleeping
            f'<iframe id="map" src="{src}" width="1200" height="900" title="conflict map" '
            'onload="window.frameLoads = (window.frameLoads || 0) + 1"></iframe>'
            "</body></html>"
        )
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def embed_setup(tmp_path_factory, seeded_data_dir) -> Iterator[tuple[AppServer, Portal, Portal]]:
    root = tmp_path_factory.mktemp("portals")
    # The app's port must be in the iframe's address before the app starts: reserve it first.
    allowed_port = free_port()
    allowed_origin = f"http://127.0.0.1:{allowed_port}"
    app = AppServer(
        tmp_path_factory.mktemp("embeddata"),
        env={"CONFLICTMAP_URL_PREFIX": PREFIX, "CONFLICTMAP_FRAME_ANCESTORS": f"'self' {allowed_origin}"},
        prefix=PREFIX,
    )
    src = app.base + "?embed=1&type=battle"
    allowed = Portal(root / "allowed", src, port=allowed_port)
    refused = Portal(root / "refused", src)
    yield app, allowed, refused
    allowed.stop()
    refused.stop()
    app.stop()


def app_frame(page, app: AppServer):
    for frame in page.frames:
        if frame.url.startswith(app.base):
            return frame
    return None


def test_iframe_on_allowed_origin_shows_the_embedded_map(page, embed_setup):
    app, allowed, _ = embed_setup
    page.goto(allowed.origin + "/index.html", wait_until="load")
    page.wait_for_function("() => document.querySelector('iframe')", timeout=10_000)
    page.frame_locator("iframe").locator("#map").wait_for(timeout=60_000)
    frame = app_frame(page, app)
    assert frame is not None, [f.url for f in page.frames]
    frame.wait_for_function(MAP_READY, timeout=60_000)
    assert frame.evaluate(MARKERS) > 0
    # Embed mode: no page chrome, a compact filter bar, no export panel; map and timeline shown.
    frame.wait_for_function("() => document.querySelector('#page-root').className.includes('embed')")
    assert not frame.is_visible(".page-header") and not frame.is_visible(".page-footer")
    assert not frame.is_visible(".side-column") and not frame.is_visible(".export-panel")
    assert frame.is_visible("#filter-types") and not frame.is_visible("#filter-actors")
    assert frame.is_visible("#timeline")
    assert frame.is_checked("#filter-types input[value='battle']")
    # Assets and callbacks went through the prefix.
    urls = page.request_log.urls
    assert any(f"{PREFIX}_dash-update-component" in u for u in urls)
    assert any(f"{PREFIX}assets/style.css" in u for u in urls)
    assert not any(u.startswith(app.base.replace(PREFIX, "/_dash")) for u in urls)


def test_embedded_map_redraws_after_changes_in_the_frame(page, embed_setup):
    """In the iframe too, MapLibre draws what the filter asks, after two changes in a row."""
    app, allowed, _ = embed_setup
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(allowed.origin + "/index.html", wait_until="load")
    frame = page.locator("iframe").element_handle().content_frame()
    assert frame is not None
    frame.wait_for_function(MAP_READY, timeout=60_000)
    wait_events_match_figure(frame, ["battle"])
    battles = drawn_event_types(frame)
    assert set(battles) == {"battle"}
    frame.locator("#filter-types").get_by_label("Protest").check()
    frame.wait_for_function("() => location.search.includes('type=protest')", timeout=20_000)
    wait_drawn(frame, "(layers) => layers.some(l => l.type === 'circle' && l.colour === '#009e73')")
    wait_events_match_figure(frame, ["battle", "protest"])
    assert set(drawn_event_types(frame)) == {"battle", "protest"}
    frame.locator("#filter-types").get_by_label("Battle").uncheck()
    frame.wait_for_function("() => !location.search.includes('type=battle')", timeout=20_000)
    wait_events_match_figure(frame, ["protest"])
    assert set(drawn_event_types(frame)) == {"protest"}
    assert not [e for e in errors if "map" in e.lower() or "style" in e.lower()], errors


def test_iframe_on_other_origin_is_refused(browser, embed_setup):
    app, _, refused = embed_setup
    ctx = browser.new_context()
    urls: list[str] = []
    ctx.on("request", lambda req: urls.append(req.url))
    try:
        page = ctx.new_page()
        responses = []
        page.on("response", lambda r: responses.append(r) if r.url.startswith(app.base) else None)
        page.goto(refused.origin + "/index.html", wait_until="load")
        page.wait_for_function("() => window.frameLoads >= 1", timeout=30_000)
        # The browser fetched the page, read frame-ancestors, and did not let it render.
        assert responses and "frame-ancestors" in responses[0].headers["content-security-policy"]
        assert refused.origin not in responses[0].headers["content-security-policy"]
        frame = app_frame(page, app)
        assert frame is None or frame.query_selector("#map") is None
        assert not any("_dash-layout" in u for u in urls)  # the app never started inside it
    finally:
        ctx.close()
    assert all(u.startswith("http://127.0.0.1") for u in urls), urls
