"""Settings from the environment, with defaults that run on a laptop from a clean clone.

One frozen object, read once: callbacks and the CLI take it as an argument (or through
``get_settings``) so tests can point the app at a temporary folder without touching globals.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DATA = PROJECT_ROOT / "data"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def _normalise_prefix(value: str) -> str:
    value = "/" + value.strip("/") + "/" if value.strip("/") else "/"
    return value


@dataclass(frozen=True)
class Settings:
    """Every knob the app has. Environment variables are named ``CONFLICTMAP_<FIELD>``."""

    data_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "var")
    bundled_dir: Path = BUNDLED_DATA
    database_url: str | None = None  # default: sqlite file in data_dir
    zones_path: Path | None = None  # user-supplied GeoJSON zones; default: the bundled ones
    url_prefix: str = "/"
    frame_ancestors: tuple[str, ...] = ("'self'",)
    tile_url: str | None = None  # an intranet XYZ tile server; off by default (offline)
    debug: bool = False
    show_reference: bool = True

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'conflictmap.sqlite'}"

    @property
    def effective_zones_path(self) -> Path:
        return self.zones_path or (self.bundled_dir / "zones.geojson")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            v = e.get(f"CONFLICTMAP_{name}")
            return v if v not in (None, "") else None

        ancestors = get("FRAME_ANCESTORS")
        zones = get("ZONES_PATH")
        data_dir = get("DATA_DIR")
        return cls(
            data_dir=Path(data_dir).expanduser() if data_dir else PROJECT_ROOT / "var",
            database_url=get("DATABASE_URL"),
            zones_path=Path(zones).expanduser() if zones else None,
            url_prefix=_normalise_prefix(get("URL_PREFIX") or "/"),
            frame_ancestors=tuple(ancestors.split()) if ancestors else ("'self'",),
            tile_url=get("TILE_URL"),
            debug=(get("DEBUG") or "").lower() in ("1", "true", "yes"),
            show_reference=(get("SHOW_REFERENCE") or "1").lower() not in ("0", "false", "no"),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings.from_env()
