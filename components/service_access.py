"""The one read-only accessor callbacks use to reach data: the app's settings and service.

``app.create_app`` registers the settings here; callbacks call ``service()``. No data frames
live at module level: the service caches them by store version behind a lock.
"""

from __future__ import annotations

from conflictmap.config import Settings, get_settings
from conflictmap.service import DataService, get_service

_settings: list[Settings] = []


def use_settings(settings: Settings) -> None:
    _settings[:] = [settings]


def settings() -> Settings:
    return _settings[0] if _settings else get_settings()


def service() -> DataService:
    return get_service(settings())
