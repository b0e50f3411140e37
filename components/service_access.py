"""The one read-only accessor callbacks use to reach data: the app's settings and service.

The settings live on the Flask app that serves the request (``attach``, called by
``app.create_app``), not in a module variable: two apps in one process (tests build many, a
WSGI host may mount two stores) each read their own. Callbacks call ``service()``; no data frames
live at module level: the service caches them by store version behind a lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import flask

from conflictmap.config import Settings
from conflictmap.read.service import DataService, get_service

SETTINGS_KEY = "CONFLICTMAP_SETTINGS"


def attach(server: flask.Flask, settings: Settings) -> None:
    """Give ``server`` its settings and read the bundled layers now, so a missing or corrupt
    file is reported in the log and on the first page, not on the first map draw."""
    server.config[SETTINGS_KEY] = settings
    svc = get_service(settings)
    svc.basemap()
    svc.sites()


class NoApp(RuntimeError):
    """Panel code ran outside the app that serves it, so which store to read is unknown."""


def settings() -> Settings:
    """The settings of the app serving this request.

    Outside an app there is no right answer (falling back to the environment's store once let a
    test compare one store with another and pass), so it raises and says what to do."""
    found = flask.current_app.config.get(SETTINGS_KEY) if flask.has_app_context() else None
    if not isinstance(found, Settings):
        raise NoApp(
            "no conflictmap app serves this call: run it in a request, inside "
            "app.server.app_context(), or inside components.service_access.serving(settings)"
        )
    return found


def service() -> DataService:
    """The data service for the current settings: the only way callbacks reach data."""
    return get_service(settings())


@contextmanager
def serving(settings: Settings) -> Iterator[DataService]:
    """Run panel code outside a request as the app for ``settings`` would (tests, benchmarks):
    a bare Flask app context carrying the settings, popped on exit."""
    server = flask.Flask("conflictmap-panels")
    server.config[SETTINGS_KEY] = settings
    with server.app_context():
        yield service()
