"""Response headers on every response, and compression: what lets the app sit inside an intranet portal.

Why ``frame-ancestors`` and not ``X-Frame-Options``: the old header can only say "same origin"
or "nowhere", while portals embed the map from another origin; the CSP directive takes an
allow-list (``CONFLICTMAP_FRAME_ANCESTORS``), and browsers that know it ignore the old header.
The script policy allows only our own files plus the hashes of Dash's inline scripts
(``app.csp_hashes()``), with no ``unsafe-eval``; MapLibre needs ``worker-src blob:``.
``Referrer-Policy: same-origin``: a view's URL carries the analyst's filters, and the detail
panel links out to outlets, which should not learn what was being looked at.
"""

from __future__ import annotations

import logging
import re
import threading

import dash
import flask
from flask_compress import Compress

from conflictmap.config import Settings

log = logging.getLogger(__name__)

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
    """Compression and security headers on every response of ``app.server`` (pages, API, assets, errors)."""
    server = app.server
    server.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    server.config.setdefault("COMPRESS_MIN_SIZE", 500)
    server.config.setdefault("COMPRESS_ALGORITHM", ["gzip", "br", "deflate"])
    Compress(server)
    cache: dict[str, str] = {}
    lock = threading.Lock()

    def policy() -> str:
        # Hashes are computed on the first response, after every (clientside) callback exists.
        if "csp" not in cache:
            with lock:
                if "csp" not in cache:
                    cache["csp"] = content_security_policy(list(app.csp_hashes()), settings)
        return cache["csp"]

    @server.after_request
    def add_headers(response: flask.Response) -> flask.Response:
        response.headers["Content-Security-Policy"] = policy()
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.pop("X-Frame-Options", None)
        return response
