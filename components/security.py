"""Response headers on every response, and compression: what lets the app sit inside an intranet portal.

Why ``frame-ancestors`` and not ``X-Frame-Options``: the old header can only say "same origin"
or "nowhere", while portals embed the map from another origin; the CSP directive takes an
allow-list (``CONFLICTMAP_FRAME_ANCESTORS``), and browsers that know it ignore the old header.
The script policy allows only our own files plus the hashes of Dash's inline scripts
(``app.csp_hashes()``), with no ``unsafe-eval``; MapLibre needs ``worker-src blob:``.
``Referrer-Policy: same-origin``: a view's URL carries the analyst's filters, and the detail
panel links out to outlets, which should not learn what was being looked at.

Input that is not a request this app serves gets a 4xx, never a 500 with a traceback in the log:

- a callback body (``_dash-update-component``) is checked against the callback it names before
  Dash reads it: a JSON object, a known ``output``, inputs, state and outputs of the declared
  number, ids and properties, nesting at most ``MAX_CALLBACK_DEPTH``; anything else is a 400
  listing the problems (Dash would raise KeyError, IndexError or RecursionError: a 500);
- ``_dash-component-suites/…`` answers only the files Dash registered; ``..``, ``%2e%2e``,
  absolute paths and unregistered packages are a 404 (Dash raised DependencyException: a 500);
- request bodies over ``Settings.max_request_bytes`` (Flask's ``MAX_CONTENT_LENGTH``) are a 413;
- ``_reload-hash`` (hot reload, a development tool) is a 404 unless debug is on.

An exception raised inside a callback that was given a well-formed request is still a 500 in
the log: that is a bug to fix, not input to refuse.

Headers on responses the app does not write: the development server's ``Server`` header says
``conflictmap`` (Werkzeug's says ``Werkzeug/x Python/y``; see ``DevRequestHandler``), and
gunicorn's own error pages (400, 414, 431 for a malformed or oversized request line or headers)
get the same headers as the app's through ``harden_gunicorn``. gunicorn's ``Server`` header is
``gunicorn``, without a version.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

import dash
import flask
from dash.fingerprint import check_fingerprint
from flask_compress import Compress
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler

from components.plotly_bundle import VENDOR
from conflictmap.config import Settings
from conflictmap.textsafe import json_depth

log = logging.getLogger(__name__)

SERVER_NAME = "conflictmap"  # the Server header of the development server: no versions
# Deepest JSON a callback body may hold: the renderer's bodies are a few levels deep (clickData
# with points and customdata is about 6); deeper is a hand-made request.
MAX_CALLBACK_DEPTH = 32
# JSON kinds of the values a component property can hold, for the properties whose callbacks
# assume them (a ``url.search`` of 5 raised TypeError inside the callback: a 500). None is
# always allowed (a property not set yet). Checked by component type, found in the layout.
NUMBER = (int, float)
PROP_KINDS: dict[str, dict[str, tuple[type, ...]]] = {
    "Location": {"pathname": (str,), "search": (str,), "hash": (str,), "href": (str,)},
    "Input": {"value": (str,)},  # type="number" (or "range"): a number too, see value_kinds
    "DatePickerRange": {"start_date": (str,), "end_date": (str,)},
    "DatePickerSingle": {"date": (str,)},
    "Button": {"n_clicks": (int,)},
    "Clipboard": {"n_clicks": (int,)},
}
# Stores hold whatever their callback wrote: the ones whose kind is known, by id. ``link-opened``
# keeps the query string the page was opened with (components/status_panel.py).
STORE_KINDS: dict[tuple[str, str], tuple[type, ...]] = {("link-opened", "data"): (str,)}
CALLBACK_PATH = "_dash-update-component"
SUITES_PATH = "_dash-component-suites/"
DEV_PATHS = ("_reload-hash",)

_SOURCE = re.compile(r"^(?:'self'|'none'|\*|(?:https?://)?(?:\*\.)?[A-Za-z0-9.\-\[\]:]+(?::(?:\d+|\*))?/?)$")
COMPRESS_MIMETYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "image/svg+xml",
]


def frame_ancestors(settings: Settings) -> list[str]:
    """The allow-list, with anything that could break out of the directive dropped (and logged)."""
    out = []
    for token in settings.frame_ancestors:
        if _SOURCE.match(token) and ";" not in token and "," not in token:
            out.append(token)
        else:
            log.warning("CONFLICTMAP_FRAME_ANCESTORS: ignoring %r (not a CSP source expression)", token)
    if "'none'" in out and len(out) > 1:
        out.remove("'none'")
    return out or ["'self'"]


def content_security_policy(script_hashes: list[str], settings: Settings) -> str:
    """The Content-Security-Policy header: this origin only, plus the inline scripts whose hashes are
    given and the frame ancestors the settings allow.

    A ``tile_url`` adds its scheme, host and port to images and connections (Settings refuses,
    at start, one whose origin cannot be read)."""
    hashes = " ".join(f"'{h}'" if not h.startswith("'") else h for h in script_hashes)
    img = "'self' data: blob:"
    connect = "'self'"
    if settings.tile_url:
        # An intranet tile server is the one other origin the map may load from.
        # Only scheme, host and port: anything else (";", spaces) could add CSP directives.
        m = re.match(r"^(https?://[A-Za-z0-9.\-\[\]:]+)(?:/|$)", settings.tile_url)
        if m:
            img += f" {m.group(1)}"
            connect += f" {m.group(1)}"
    directives = [
        "default-src 'self'",
        f"script-src 'self' {hashes}".strip(),
        "style-src 'self' 'unsafe-inline'",  # Dash and plotly.js set inline styles on elements
        f"img-src {img}",
        "font-src 'self' data:",
        f"connect-src {connect}",
        "worker-src 'self' blob:",
        "child-src blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors " + " ".join(frame_ancestors(settings)),
    ]
    return "; ".join(directives)


def install(app: dash.Dash, settings: Settings) -> None:
    """Compression, security headers on every response of ``app.server`` (pages, API, assets,
    errors), the request body limit and the guards on Dash's own routes (module docstring)."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    server.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    server.config.setdefault("COMPRESS_MIN_SIZE", 500)
    server.config.setdefault("COMPRESS_ALGORITHM", ["gzip", "br", "deflate"])
    Compress(server)
    headers = header_source(app, settings)
    install_guards(app, settings)

    # The page's plotly.js bundle (components/plotly_bundle.py) may be kept by the browser: its
    # name carries the plotly.js version and Dash's URL the file's mtime (?m=). Flask answers
    # static files "no-cache", and a compressed answer's ETag ("...:zstd", "...:br") never matches
    # on revalidation, so without this every page load fetched and compressed the 3 MB again
    # (Dash's own plotly.min.js was answered 304).
    vendor = f"{app.config.routes_pathname_prefix}{app.config.assets_url_path.strip('/')}/{VENDOR}/"

    @server.after_request
    def add_headers(response: flask.Response) -> flask.Response:
        response.headers.update(headers())
        response.headers.pop("X-Frame-Options", None)
        req = flask.request
        if response.status_code == 200 and req.path.startswith(vendor) and req.args.get("m"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def header_source(app: dash.Dash, settings: Settings) -> Callable[[], dict[str, str]]:
    """The security headers of every response, computed once (after every callback exists)."""
    cache: dict[str, dict[str, str]] = {}
    lock = threading.Lock()

    def headers() -> dict[str, str]:
        # Hashes are computed on the first response, after every (clientside) callback exists.
        if "h" not in cache:
            with lock:
                if "h" not in cache:
                    cache["h"] = {
                        "Content-Security-Policy": content_security_policy(list(app.csp_hashes()), settings),
                        "X-Content-Type-Options": "nosniff",
                        "Referrer-Policy": "same-origin",
                    }
        return cache["h"]

    return headers


def _refuse(status: int, message: str, problems: list[str] | None = None) -> flask.Response:
    if problems is None:
        return flask.Response(message + "\n", status=status, mimetype="text/plain")
    body = json.dumps({"error": message, "problems": problems}, ensure_ascii=False)
    return flask.Response(body + "\n", status=status, mimetype="application/json")


def install_guards(app: dash.Dash, settings: Settings) -> None:
    """4xx for malformed callbacks, component-suite paths Dash does not serve, oversized bodies
    and development routes in production (module docstring)."""
    server = app.server
    prefix = app.config.routes_pathname_prefix
    callback_rule = prefix + CALLBACK_PATH
    suites_rule = prefix + SUITES_PATH
    dev_rules = {prefix + p for p in DEV_PATHS}
    kinds = _kinds_once(app)

    @server.before_request
    def guard_dash_routes() -> flask.Response | None:
        rule = flask.request.url_rule
        if rule is None:
            return None
        if rule.rule == callback_rule and flask.request.method == "POST":
            return _check_callback_request(app, kinds)
        if rule.rule.startswith(suites_rule):
            args = flask.request.view_args or {}
            if not suite_file_registered(
                app, str(args.get("package_name")), str(args.get("fingerprinted_path"))
            ):
                return _refuse(404, f"Not found: {flask.request.path[:200]}")
            return None
        if rule.rule in dev_rules and not (settings.debug or flask.current_app.debug):
            return _refuse(
                404, f"Not found: {flask.request.path} (a development tool, off unless debug is on)"
            )
        return None

    @server.errorhandler(413)
    def too_large(exc: HTTPException) -> flask.Response:
        return _refuse(
            413,
            f"Request body over {settings.max_request_bytes:,} bytes (CONFLICTMAP_MAX_REQUEST_BYTES): not read.",
        )


def suite_file_registered(app: dash.Dash, package: str, fingerprinted_path: str) -> bool:
    """Whether Dash would serve this component-suite file (only files it registered itself)."""
    path, _ = check_fingerprint(fingerprinted_path)
    return path in app.registered_paths.get(package, ())


def value_kinds(app: dash.Dash) -> dict[tuple[str, str], tuple[type, ...]]:
    """``(component id, property) -> JSON kinds`` for the layout's components (``PROP_KINDS``)."""
    layout = app.layout() if callable(app.layout) else app.layout
    kinds = dict(STORE_KINDS)
    for component in layout._traverse():  # noqa: SLF001 - Dash's own tree walk
        cid = getattr(component, "id", None)
        for prop, allowed in PROP_KINDS.get(type(component).__name__, {}).items():
            if isinstance(cid, str):
                kinds[(cid, prop)] = allowed
        if isinstance(cid, str) and type(component).__name__ == "Input":
            if getattr(component, "type", None) in ("number", "range"):
                kinds[(cid, "value")] = (str, *NUMBER)
    return kinds


def _kinds_once(app: dash.Dash) -> Callable[[], dict[tuple[str, str], tuple[type, ...]]]:
    """``value_kinds(app)``, read from the layout on the first callback request and kept."""
    cache: list[dict[tuple[str, str], tuple[type, ...]]] = []

    def kinds() -> dict[tuple[str, str], tuple[type, ...]]:
        if not cache:
            try:
                cache.append(value_kinds(app))
            except Exception:  # noqa: BLE001 - without the table, only the shape is checked
                log.exception("could not read the layout's component types; callback values not checked")
                cache.append({})
        return cache[0]

    return kinds


def _check_callback_request(
    app: dash.Dash, kinds: Callable[[], dict[tuple[str, str], tuple[type, ...]]]
) -> flask.Response | None:
    try:
        body = flask.request.get_json()  # cached: Dash reads the same object; 413/415/400 raise here
    except RecursionError:
        return _refuse(400, "callback request refused: JSON nested too deeply", ["body nested too deeply"])
    problems = callback_problems(body, app.callback_map, kinds())
    if problems:
        log.info("refused a malformed callback request: %s", "; ".join(problems)[:500])
        return _refuse(400, "callback request refused: not a request this app's callbacks accept", problems)
    return None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def callback_problems(
    body: Any,
    callback_map: dict[str, Any],
    kinds: dict[tuple[str, str], tuple[type, ...]] | None = None,
) -> list[str]:
    """Why ``body`` is not a request the callback it names can run (empty: it is).

    Checked against the callback's declaration: the renderer always sends inputs and state in
    declaration order with the declared ids and properties, and outputs as one object (single
    output) or an array (several). Values are checked only for the properties in ``kinds``
    (a string where a string is expected); the rest are the callbacks' business.
    """
    if not isinstance(body, dict):
        return [f"the body must be a JSON object, not {_kind(body)}"]
    if json_depth(body, MAX_CALLBACK_DEPTH) > MAX_CALLBACK_DEPTH:
        return [f"the body is nested deeper than {MAX_CALLBACK_DEPTH} levels"]
    output = body.get("output")
    if not isinstance(output, str):
        return [f"'output' must be a string naming a callback's outputs, not {_kind(output)}"]
    cb = callback_map.get(output)
    if not isinstance(cb, dict) or "callback" not in cb:
        return [f"no callback has the output {output[:120]!r}"]
    problems: list[str] = []
    for key in ("inputs", "state"):
        declared = cb.get(key) or []
        got = body.get(key, [] if key == "state" else None)
        if not isinstance(got, list):
            problems.append(f"'{key}' must be an array of {len(declared)}, not {_kind(got)}")
        elif len(got) != len(declared):
            problems.append(f"'{key}' has {len(got)} item(s), the callback declares {len(declared)}")
        else:
            for i, (item, spec) in enumerate(zip(got, declared, strict=True)):
                if problem := _dependency_problem(item, spec["id"], spec["property"]):
                    problems.append(f"{key}[{i}]: {problem}")
                elif problem := _value_problem(item, (kinds or {}).get((spec["id"], spec["property"]))):
                    problems.append(f"{key}[{i}] {spec['id']}.{spec['property']}: {problem}")
    if not cb.get("no_output"):
        problems += _outputs_problems(body.get("outputs"), cb.get("output"))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        problems.append("'changedPropIds' must be an array of strings")
    return problems


def _dependency_problem(item: Any, cid: Any, prop: str, output: bool = False) -> str | None:
    """Why ``item`` is not the declared dependency ``cid.prop`` (None: it is)."""

    def matches(one: Any) -> bool:
        if not isinstance(one, dict) or not isinstance(one.get("property"), str):
            return False
        got_prop = one["property"].split("@")[0] if output else one["property"]
        if got_prop != prop:
            return False
        return isinstance(one.get("id"), dict) if isinstance(cid, dict) else one.get("id") == cid

    if isinstance(cid, dict):  # pattern-matching: one object (MATCH) or an array of them (ALL)
        if matches(item) or (isinstance(item, list) and all(matches(x) for x in item)):
            return None
        return f"expected objects with a pattern id and property {prop!r}"
    if matches(item):
        return None
    return f"expected {{'id': {cid!r}, 'property': {prop!r}}}, got {_kind(item)}" + (
        f" for {item.get('id')!r}.{item.get('property')!r}"[:120] if isinstance(item, dict) else ""
    )


def _value_problem(item: Any, allowed: tuple[type, ...] | None) -> str | None:
    value = item.get("value") if isinstance(item, dict) else None
    if allowed is None or value is None:
        return None
    if isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed):
        return None
    names = " or ".join(
        dict.fromkeys({str: "a string", int: "a number", float: "a number"}[t] for t in allowed)
    )
    return f"value must be {names} (or null), not {_kind(value)}"


def _outputs_problems(got: Any, declared: Any) -> list[str]:
    outs = declared if isinstance(declared, list) else [declared]
    if not isinstance(declared, list):
        got_list = [got]
        if not isinstance(got, (dict, list)):
            return [f"'outputs' must be an object for this callback's one output, not {_kind(got)}"]
    elif not isinstance(got, list) or len(got) != len(outs):
        return [f"'outputs' must be an array of the callback's {len(outs)} outputs"]
    else:
        got_list = got
    problems = []
    for i, (item, out) in enumerate(zip(got_list, outs, strict=True)):
        if problem := _dependency_problem(item, out.component_id, out.component_property, output=True):
            problems.append(f"outputs[{i}]: {problem}")
    return problems


class DevRequestHandler(WSGIRequestHandler):
    """The development server (``python app.py``) without versions in its ``Server`` header.

    Werkzeug's handler says ``Server: Werkzeug/3.1.9 Python/3.11.7``: which versions to attack.
    """

    def version_string(self) -> str:
        """The ``Server`` header: the app's name, no versions."""
        return SERVER_NAME


def harden_gunicorn(headers: dict[str, str]) -> bool:
    """Give gunicorn's own error pages (400, 414, 431, written before the app is called) the
    app's security headers. False when gunicorn is not installed.

    gunicorn writes them with ``gunicorn.util.write_error``, looked up on the module at each
    call, so replacing it there is enough; the page is gunicorn's own, headers added.
    """
    try:
        from gunicorn import util
    except ImportError:
        return False
    if getattr(util.write_error, "_conflictmap", False):
        return True
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        page = (
            f"<html><head><title>{html.escape(reason)}</title></head>"
            f"<body><h1>{html.escape(reason)}</h1>{html.escape(mesg)}</body></html>\n"
        ).encode()
        head = (
            f"HTTP/1.1 {int(status_int)} {reason}\r\nConnection: close\r\n"
            f"Content-Type: text/html; charset=utf-8\r\nContent-Length: {len(page)}\r\n{extra}\r\n"
        ).encode("latin-1")
        util.write_nonblock(sock, head + page)

    write_error._conflictmap = True  # type: ignore[attr-defined]
    util.write_error = write_error
    return True
