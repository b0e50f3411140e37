"""WSGI entry point for production: ``gunicorn --workers 3 --no-control-socket wsgi:server``.

Settings come from the environment (``CONFLICTMAP_*``); debug is off unless asked for, and the
app prepares its store before the first request. Each worker starts its own Chromium for image
exports on first use. A setting that cannot be read (a malformed ``CONFLICTMAP_FRAME_ANCESTORS``,
a size that is not a size) stops the load with a message naming the variable, so gunicorn
halts ("Worker failed to boot") instead of serving with a policy nobody meant.

gunicorn's own error pages (400, 414, 431: a request line or headers it refuses before the app
sees them) get the app's security headers (``components.security.harden_gunicorn``); its
``Server`` header is ``gunicorn``, without a version.
"""

from __future__ import annotations

import logging

from app import create_app
from components import security
from conflictmap.config import Settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("conflictmap.wsgi")
try:
    settings = Settings.from_env()
except ValueError as exc:
    log.error("conflictmap cannot start: %s", exc)
    raise
app = create_app(settings)
server = app.server
security.harden_gunicorn(security.header_source(app, settings)())
