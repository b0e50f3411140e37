"""Headers on every response (page, Dash endpoints, assets, API, errors) and compression."""

from __future__ import annotations

import gzip
import json

import pytest

from components.security import content_security_policy, frame_ancestors
from conflictmap.config import Settings

PREFIX = "/tools/map/"
PORTAL = "http://portal.intranet:8080"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("secdata"), url_prefix=PREFIX, frame_ancestors=("'self'", PORTAL)
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def check_headers(resp, app) -> None:
    csp = resp.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    script = directives["script-src"].split()
    assert script[0] == "'self'" and "'unsafe-eval'" not in script and "'unsafe-inline'" not in script
    assert set(app.csp_hashes()) <= set(script)  # already quoted by Dash
    assert "blob:" in directives["worker-src"]
    assert directives["frame-ancestors"] == f"'self' {PORTAL}"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "X-Frame-Options" not in resp.headers


def test_headers_on_every_response(client, app):
    paths = [
        PREFIX,
        PREFIX + "?embed=1",
        PREFIX + "_dash-layout",
        PREFIX + "_dash-dependencies",
        PREFIX + "assets/style.css",
        PREFIX + "api/meta",
        PREFIX + "api/events.csv?limit=2",
        PREFIX + "api/events.geojson?limit=2",
        PREFIX + "api/zones.geojson",
        PREFIX + "api/events.csv?limit=-5",  # a 400
        PREFIX + "export/map.png?width=5",  # a 400
        "/nowhere",  # a 404 outside the prefix
        PREFIX + "nowhere",  # a 404 inside it (the unknown-path guard)
    ]
    seen = set()
    for path in paths:
        resp = client.get(path)
        seen.add(resp.status_code)
        check_headers(resp, app)
    assert {200, 400, 404} <= seen
    # Dash's component scripts too.
    page = client.get(PREFIX).get_data(as_text=True)
    script = page.split('<script src="', 2)[1].split('"', 1)[0]
    assert script.startswith(PREFIX)
    check_headers(client.get(script), app)
    # A callback (POST) answer carries them as well (the app's own callback: Dash hands the
    # global ones to the first app made in a process).
    body = {
        "output": "page-root.className",
        "outputs": {"id": "page-root", "property": "className"},
        "inputs": [{"id": "url", "property": "pathname", "value": PREFIX}],
        "changedPropIds": ["url.pathname"],
        "state": [{"id": "url", "property": "search", "value": "?embed=1"}],
    }
    resp = client.post(
        PREFIX + "_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert resp.status_code == 200 and "page embed" in resp.get_data(as_text=True)
    check_headers(resp, app)


def test_compression(client):
    resp = client.get(PREFIX + "api/events.geojson", headers={"Accept-Encoding": "gzip"})
    assert resp.headers.get("Content-Encoding") == "gzip"
    data = json.loads(gzip.decompress(resp.data))
    assert data["type"] == "FeatureCollection"
    resp = client.get(PREFIX, headers={"Accept-Encoding": "gzip"})
    assert resp.headers.get("Content-Encoding") == "gzip"


def test_asset_urls_carry_the_prefix(client):
    page = client.get(PREFIX).get_data(as_text=True)
    assert f'href="{PREFIX}assets/style.css' in page
    assert '"/_dash' not in page and 'src="/_dash' not in page


def test_frame_ancestors_allow_list_drops_junk():
    s = Settings(
        frame_ancestors=("https://portal.example", "x; script-src *", "'self'", "http://10.0.0.5:8080")
    )
    assert frame_ancestors(s) == ["https://portal.example", "'self'", "http://10.0.0.5:8080"]
    assert frame_ancestors(Settings(frame_ancestors=())) == ["'self'"]


def test_tile_server_is_the_only_extra_origin():
    s = Settings(tile_url="https://tiles.intranet/{z}/{x}/{y}.png")
    csp = content_security_policy(["sha256-abc"], s)
    assert "img-src 'self' data: blob: https://tiles.intranet" in csp
    assert "script-src 'self' 'sha256-abc'" in csp
    assert "tiles" not in content_security_policy([], Settings())
