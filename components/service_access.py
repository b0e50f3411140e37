"""The one read-only accessor callbacks use to reach data: the app's settings and service.

``app.create_app`` registers the settings here; callbacks call ``service()``. No data frames
live at module level: the service caches them by store version behind a lock.
"""

from __future__ import annotations

from conflictmap.config import Settings, get_settings
from conflictmap.read.service import DataService, get_service

_settings: list[Settings] = []


def use_settings(settings: Settings) -> None:
    """Register the app's settings and read the bundled layers now, so a missing or corrupt
    file is reported in the log and on the first page, not on the first map draw."""
    _settings[:] = [settings]
    svc = service()
    svc.basemap()
    svc.sites()


def settings() -> Settings:
    """The settings the app registered, or the environment's when none was (scripts, tests)."""
    return _settings[0] if _settings else get_settings()


def service() -> DataService:
    """The data service for the current settings: the only way callbacks reach data."""
    return get_service(settings())
