"""WSGI entry point for production: ``gunicorn --workers 3 --no-control-socket wsgi:server``.

Settings come from the environment (``CONFLICTMAP_*``); debug is off unless asked for, and the
app prepares its store before the first request. Each worker starts its own Chromium for image
exports on first use.
"""

from __future__ import annotations

import logging

from app import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
server = app.server
