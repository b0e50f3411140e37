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


def test_tile_server_is_the_only_extra_origin():
    s = Settings(tile_url="https://tiles.intranet/{z}/{x}/{y}.png")
    csp = content_security_policy(["sha256-abc"], s)
    assert "img-src 'self' data: blob: https://tiles.intranet" in csp
    assert "script-src 'self' 'sha256-abc'" in csp
    assert "tiles" not in content_security_policy([], Settings())


# ---- CONFLICTMAP_FRAME_ANCESTORS: parsed strictly, refused at start ---------------------------------


@pytest.mark.parametrize(
    ("value", "bad"),
    [
        ("'self' script-src *", "'script-src'"),  # widened the policy: frame-ancestors 'self' script-src *
        ("'self'; script-src *", "\"'self';\""),
        ("https://portal.intranet;", "'https://portal.intranet;'"),
        ("https://a.intranet,https://b.intranet", "'https://a.intranet,https://b.intranet'"),
        ("https://portal.intranet/tools/", "'https://portal.intranet/tools/'"),  # a path
        ("https://*.intranet", "'https://*.intranet'"),
        ("*", "'*'"),
        ("'unsafe-inline'", "\"'unsafe-inline'\""),
        ("data:", "'data:'"),
        ("javascript:alert(1)", "'javascript:alert(1)'"),
        ("ftp://portal.intranet", "'ftp://portal.intranet'"),
        ("https://portal.intranet:99999", "'https://portal.intranet:99999'"),
        ("portal.intranet", "'portal.intranet'"),  # no scheme
        ("'none' https://portal.intranet", "'none' cannot be combined"),
    ],
)
def test_frame_ancestors_refused_at_start_naming_the_variable_and_the_token(value, bad):
    with pytest.raises(ValueError) as err:
        Settings.from_env({"CONFLICTMAP_FRAME_ANCESTORS": value})
    msg = str(err.value)
    assert msg.startswith("CONFLICTMAP_FRAME_ANCESTORS=") and bad in msg


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ("'self'",)),
        ("'self' https://portal.intranet", ("'self'", "https://portal.intranet")),
        ("  http://10.0.0.5:8080   'self' ", ("http://10.0.0.5:8080", "'self'")),
        ("'none'", ("'none'",)),
        ("https://[fd00::5]:8443", ("https://[fd00::5]:8443",)),
    ],
)
def test_frame_ancestors_origins_and_keywords_accepted(value, expected):
    s = Settings.from_env({"CONFLICTMAP_FRAME_ANCESTORS": value})
    assert s.frame_ancestors == expected
    directive = content_security_policy([], s).split("; ")[-1]
    assert directive == "frame-ancestors " + " ".join(expected)


def test_settings_built_in_code_are_held_to_the_same_rules():
    with pytest.raises(ValueError, match="script-src"):
        Settings(frame_ancestors=("'self'", "script-src", "*"))
    assert frame_ancestors(Settings(frame_ancestors=())) == ["'self'"]


def test_a_bad_frame_ancestors_stops_the_app_and_gunicorn_entry_with_a_message(tmp_path):
    """``python app.py`` exits 2 with one line naming the variable; ``wsgi`` (gunicorn) refuses to
    load with the same message in the log, so no worker serves a widened policy."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "CONFLICTMAP_DATA_DIR": str(tmp_path),
        "CONFLICTMAP_FRAME_ANCESTORS": "'self' script-src *",
    }
    run = subprocess.run(
        [sys.executable, "app.py", "--port", "1"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a safety bound only: before the fix, the app started and served
    )
    assert run.returncode == 2
    assert "CONFLICTMAP_FRAME_ANCESTORS" in run.stderr and "'script-src'" in run.stderr
    assert "Traceback" not in run.stderr
    wsgi = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert wsgi.returncode != 0
    assert "cannot start" in wsgi.stderr and "'script-src'" in wsgi.stderr
    assert not list(tmp_path.iterdir())  # refused before the store was prepared


# ---- malformed callback requests: 400, never 500 ------------------------------------------------------

CALLBACK = PREFIX + "_dash-update-component"
GOOD_CALLBACK = {
    "output": "page-root.className",
    "outputs": {"id": "page-root", "property": "className"},
    "inputs": [{"id": "url", "property": "pathname", "value": PREFIX}],
    "changedPropIds": ["url.pathname"],
    "state": [{"id": "url", "property": "search", "value": "?embed=1"}],
}
COUNTS_CALLBACK = {
    "output": "..counts.children...problems.children..",
    "outputs": [{"id": "counts", "property": "children"}, {"id": "problems", "property": "children"}],
    "inputs": [
        {"id": "url", "property": "search", "value": "?type=battle"},
        {"id": "data-version", "property": "data", "value": None},
    ],
    "changedPropIds": ["url.search"],
}


def without(body: dict, key: str) -> dict:
    return {k: v for k, v in body.items() if k != key}


def post_json(client, text: str | bytes, content_type: str = "application/json"):
    return client.post(CALLBACK, data=text, content_type=content_type)


MALFORMED_CALLBACKS = {
    "empty object": {},
    "array": [],
    "null": None,
    "number": 5,
    "string": "page-root.className",
    "missing inputs": without(GOOD_CALLBACK, "inputs"),
    "missing output": without(GOOD_CALLBACK, "output"),
    "missing state": without(GOOD_CALLBACK, "state"),
    "missing outputs": without(GOOD_CALLBACK, "outputs"),
    "unknown output": {**GOOD_CALLBACK, "output": "nowhere.children"},
    "output an array": {**GOOD_CALLBACK, "output": ["page-root.className"]},
    "inputs a string": {**GOOD_CALLBACK, "inputs": "url.pathname"},
    "inputs of numbers": {**GOOD_CALLBACK, "inputs": [1]},
    "inputs of empty objects": {**GOOD_CALLBACK, "inputs": [{}]},
    "no inputs": {**GOOD_CALLBACK, "inputs": []},
    "one input too many": {**GOOD_CALLBACK, "inputs": GOOD_CALLBACK["inputs"] * 2},
    "another component's input": {
        **GOOD_CALLBACK,
        "inputs": [{"id": "map", "property": "figure", "value": 1}],
    },
    "state null": {**GOOD_CALLBACK, "state": None},
    "outputs a string": {**GOOD_CALLBACK, "outputs": "page-root.className"},
    "outputs empty": {**GOOD_CALLBACK, "outputs": []},
    "multi-output as one": {**COUNTS_CALLBACK, "outputs": COUNTS_CALLBACK["outputs"][0]},
    "changedPropIds a string": {**GOOD_CALLBACK, "changedPropIds": "url.pathname"},
    "search a number": {**GOOD_CALLBACK, "state": [{"id": "url", "property": "search", "value": 5}]},
    "search an object": {
        **COUNTS_CALLBACK,
        "inputs": [{"id": "url", "property": "search", "value": {"a": 1}}],
    },
    "deeply nested value": {
        **GOOD_CALLBACK,
        "state": [{"id": "url", "property": "search", "value": json.loads("[" * 100 + "]" * 100)}],
    },
}


@pytest.mark.parametrize("name", list(MALFORMED_CALLBACKS))
def test_malformed_callback_bodies_are_400_listing_the_problems(client, app, name, caplog):
    caplog.set_level("ERROR")
    resp = post_json(client, json.dumps(MALFORMED_CALLBACKS[name]))
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert body["error"].startswith("callback request refused") and body["problems"]
    assert all(isinstance(p, str) and p for p in body["problems"])
    check_headers(resp, app)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no traceback in the log


def test_json_nested_100k_deep_is_400_not_a_recursion_error(client, app, caplog):
    caplog.set_level("ERROR")
    for text in ("[" * 100_000 + "]" * 100_000, '{"output": ' + "[" * 100_000 + "]" * 100_000 + "}"):
        resp = post_json(client, text)
        assert resp.status_code == 400 and "nested too deeply" in resp.get_json()["error"]
        check_headers(resp, app)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_not_json_is_a_4xx(client, app):
    assert post_json(client, "not json").status_code == 400
    assert post_json(client, b"\xff\xfe{").status_code == 400
    assert post_json(client, json.dumps(GOOD_CALLBACK), content_type="text/plain").status_code == 415
    check_headers(post_json(client, "not json"), app)


def test_well_formed_callbacks_still_answer(client):
    one = post_json(client, json.dumps(GOOD_CALLBACK))
    assert one.status_code == 200 and "page embed" in one.get_data(as_text=True)
    several = post_json(client, json.dumps(COUNTS_CALLBACK))
    assert several.status_code == 200
    assert set(several.get_json()["response"]) == {"counts", "problems"}
    no_value = {**GOOD_CALLBACK, "state": [{"id": "url", "property": "search", "value": None}]}
    assert post_json(client, json.dumps(no_value)).status_code == 200


def test_a_real_error_inside_a_callback_stays_a_500_in_the_log(app, caplog, monkeypatch):
    """Only input is refused as 400: a bug in a well-formed request is still a logged 500,
    with the security headers."""
    from webapi import routes

    def broken(kind, query):
        raise RuntimeError("a real bug")

    monkeypatch.setattr(routes, "data_export", broken)
    caplog.set_level("ERROR")
    resp = app.server.test_client().get(PREFIX + "api/meta")
    assert resp.status_code == 500 and "a real bug" not in resp.get_data(as_text=True)
    check_headers(resp, app)
    assert any("a real bug" in (r.exc_text or str(r.exc_info)) for r in caplog.records if r.exc_info)


# ---- component suites: only the files Dash registered ---------------------------------------------------

TRAVERSALS = [
    "dash/../../../../etc/passwd",
    "dash/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "dash/..%2f..%2fdash.py",
    "..%2f..%2fetc/passwd",
    "%2e%2e/x.js",
    "dash//etc/passwd",
    "dash/%2Fetc%2Fpasswd",
    "dash/dash.py",  # in the package, not a registered file
    "os/path.py",  # a module, not a component package
    "nonexistent/x.js",
    "dash/deps/x.v1_2_3m123.js",
    "dash/%00.js",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_component_suite_traversal_is_404_not_500(client, app, path, caplog):
    caplog.set_level("ERROR")
    resp = client.get(PREFIX + "_dash-component-suites/" + path)
    assert resp.status_code == 404
    text = resp.get_data(as_text=True)
    assert "root:" not in text and "registered" not in text  # no file, no list of what is served
    check_headers(resp, app)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_registered_component_suites_still_served(client):
    page = client.get(PREFIX).get_data(as_text=True)
    scripts = [part.split('"', 1)[0] for part in page.split('<script src="')[1:]]
    suites = [s for s in scripts if "_dash-component-suites/" in s]
    assert len(suites) >= 3
    assert [client.get(s).status_code for s in suites] == [200] * len(suites)


# ---- request body limit ------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_it_is_read(client, app):
    big = json.dumps({**GOOD_CALLBACK, "pad": "x" * (1 << 20)})
    resp = post_json(client, big)
    assert resp.status_code == 413
    assert "CONFLICTMAP_MAX_REQUEST_BYTES" in resp.get_data(as_text=True)
    check_headers(resp, app)
    assert app.server.config["MAX_CONTENT_LENGTH"] == 1 << 20


def test_request_limit_setting():
    assert Settings().max_request_bytes == 1 << 20
    assert Settings.from_env({"CONFLICTMAP_MAX_REQUEST_BYTES": "2MiB"}).max_request_bytes == 2 << 20
    with pytest.raises(ValueError, match="CONFLICTMAP_MAX_REQUEST_BYTES"):
        Settings.from_env({"CONFLICTMAP_MAX_REQUEST_BYTES": "lots"})


# ---- development routes and headers on every kind of response ---------------------------------------------


def test_reload_hash_is_404_unless_debug(client, app):
    resp = client.get(PREFIX + "_reload-hash")
    assert resp.status_code == 404
    check_headers(resp, app)
    app.server.debug = True
    try:
        assert client.get(PREFIX + "_reload-hash").status_code == 200
    finally:
        app.server.debug = False


def test_headers_on_error_responses(client, app):
    responses = {
        400: post_json(client, "{}"),
        404: client.get(PREFIX + "_dash-component-suites/dash/../../setup.py"),
        405: client.put(PREFIX + "api/meta"),
        413: post_json(client, "x" * ((1 << 20) + 1)),
        415: post_json(client, "{}", content_type="text/plain"),
    }
    assert {code: r.status_code for code, r in responses.items()} == {c: c for c in responses}
    for resp in responses.values():
        check_headers(resp, app)


# ---- Server header: no versions ------------------------------------------------------------------------------


def test_development_server_sends_no_versions(app):
    """Werkzeug's dev server said ``Server: Werkzeug/3.1.9 Python/3.11.7``."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    from components.security import DevRequestHandler

    server = make_server("127.0.0.1", 0, app.server, request_handler=DevRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}{PREFIX}api/meta"
        with urllib.request.urlopen(url) as resp:
            headers = resp.headers
    finally:
        server.shutdown()
        thread.join()
    assert headers.get_all("Server") == ["conflictmap"]
    assert headers["Content-Security-Policy"]


def test_app_py_serves_with_the_quiet_handler(app, monkeypatch):
    import app as app_module
    from components.security import DevRequestHandler

    seen = {}
    monkeypatch.setattr(app_module, "create_app", lambda settings=None: app)
    monkeypatch.setattr(type(app), "run", lambda self, **kw: seen.update(kw))
    assert app_module.main(["--port", "8999"]) == 0
    assert seen["request_handler"] is DevRequestHandler


def test_gunicorn_error_pages_carry_the_security_headers(app, monkeypatch):
    """gunicorn writes 400/414/431 itself, before the app is called: they carried no CSP."""
    import socket

    from gunicorn import util

    from components.security import harden_gunicorn, header_source
    from conflictmap.config import Settings as _Settings

    monkeypatch.setattr(util, "write_error", util.write_error)  # restored after the test
    headers = header_source(app, _Settings(frame_ancestors=("'self'", PORTAL)))()
    assert harden_gunicorn(headers)
    a, b = socket.socketpair()
    try:
        util.write_error(a, 414, "URI Too Long", "<script>x</script>")
        a.close()
        raw = b.makefile("rb").read().decode()
    finally:
        b.close()
    head, _, body = raw.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 414 URI Too Long")
    assert f"Content-Security-Policy: {headers['Content-Security-Policy']}" in head
    assert "X-Content-Type-Options: nosniff" in head and "Referrer-Policy: same-origin" in head
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert f"Content-Length: {len(body.encode())}" in head


def test_gunicorn_names_itself_without_a_version():
    from gunicorn.http import wsgi

    assert wsgi.SERVER == "gunicorn"  # the Server header gunicorn sends (its version is not in it)


def test_a_tile_url_the_policy_cannot_allow_stops_the_start_with_its_name():
    import pytest

    with pytest.raises(ValueError, match="CONFLICTMAP_TILE_URL|tile_url"):
        Settings.from_env({"CONFLICTMAP_TILE_URL": "tiles.intranet/{z}/{x}/{y}.png"})
    with pytest.raises(ValueError, match="tile_url"):
        Settings(tile_url="https://tiles.intranet/tiles.png; script-src *")
    assert Settings(tile_url="http://10.0.0.5:8080/osm/{z}/{x}/{y}.png").tile_url
