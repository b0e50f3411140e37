"""Settings from the environment, with defaults that run on a laptop from a clean clone.

One frozen object, read once: callbacks and the CLI take it as an argument (or through
``get_settings``) so tests can point the app at a temporary folder without touching globals.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A checkout (make run, an editable install) reads data/ and assets/ where they lie; an install
# with `pip install .` ships them inside the package as conflictmap.bundled_data and
# conflictmap.bundled_assets (pyproject's package-dir), so the dashboard runs from anywhere.
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "data").is_dir()


def _shipped(folder: str, installed_as: str) -> Path:
    """``folder`` of the checkout, or its installed copy inside this package."""
    if IN_CHECKOUT:
        return PROJECT_ROOT / folder
    return Path(__file__).resolve().parent / installed_as


BUNDLED_DATA = _shipped("data", "bundled_data")
ASSETS_DIR = _shipped("assets", "bundled_assets")
# Where the store goes unless CONFLICTMAP_DATA_DIR says: var/ of the checkout, or of the folder
# the app was started in when installed (never inside site-packages).
DEFAULT_DATA_DIR = PROJECT_ROOT / "var" if IN_CHECKOUT else Path.cwd() / "var"


# What the map's Content-Security-Policy can allow: scheme, host, port, then a path with the
# tile placeholders (components/security.py reads the origin from the same shape).
_TILE_URL = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+/(?=.*\{z\})(?=.*\{x\})(?=.*\{y\})[^\s;'\"]*$")

_SIZE = re.compile(r"^\s*(\d[\d_]*)\s*([kmg]i?b?|b)?\s*$", re.I)
_SIZE_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}


def parse_size(name: str, value: str) -> int:
    """``20000000``, ``20MB``, ``20M`` or ``16MiB`` -> bytes; anything else names the variable."""
    m = _SIZE.match(value)
    if not m or int(m[1].replace("_", "")) <= 0:
        raise ValueError(f"{name}={value!r}: expected a positive size such as 20000000, 20MB or 16MiB")
    unit = (m[2] or "").lower().removesuffix("b")
    return int(m[1].replace("_", "")) * _SIZE_UNITS[unit]


def _parse_day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a date as YYYY-MM-DD") from None


@dataclass(frozen=True)
class IngestLimits:
    """What ingest accepts: sizes that keep memory bounded and dates that can be true.

    Why limits at all: a feed is untrusted input, and a 200 MB "article" or a 50 MB JSON line
    once took gigabytes of memory and minutes of extraction while the good files queued behind
    it. A real report is a few thousand words; the defaults leave a wide margin above that.
    The date window keeps typos and hostile values (a publication date of 9999-12-30) from
    becoming events that stretch every timeline to the year 9999.
    """

    max_file_bytes: int = 20_000_000  # a feed, HTML, text or Markdown file (read whole), or a URL's body
    max_line_bytes: int = 10_000_000  # one line of a JSON Lines file (read line by line)
    max_article_chars: int = 1_000_000  # an article's text once markup is removed
    date_min: date = date(1990, 1, 1)
    date_max: date | None = None  # None: tomorrow, counted from the day the run starts

    def window(self, today: date | None = None) -> tuple[date, date]:
        """The accepted publication and event dates, both ends included."""
        return self.date_min, self.date_max or (today or date.today()) + timedelta(days=1)


# One CSP frame-ancestors source: an origin (scheme, host, optional port; no path, no wildcard).
_ORIGIN = re.compile(
    r"^https?://"
    r"(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?:[1-9][0-9]{0,4}))?$"
)
FRAME_KEYWORDS = ("'self'", "'none'")


def frame_ancestor_problems(tokens: tuple[str, ...] | list[str]) -> list[str]:
    """What is wrong with a ``frame-ancestors`` allow-list (empty: nothing).

    Why strict: the value is pasted into the Content-Security-Policy header, so a token like
    ``script-src`` or a ``;`` would add directives (``'self' script-src *`` once widened the
    policy). Only ``'self'``, ``'none'`` (alone) and origins such as ``https://portal.intranet``
    or ``http://10.0.0.5:8080`` are accepted.
    """
    problems = []
    for token in tokens:
        if token.lower() in FRAME_KEYWORDS or (_ORIGIN.match(token) and int(_port(token) or 1) <= 65535):
            continue
        problems.append(f"{token!r} is not 'self', 'none' or an origin like https://portal.intranet[:8443]")
    if any(t.lower() == "'none'" for t in tokens) and len(tokens) > 1:
        problems.append("'none' cannot be combined with other sources")
    return problems


def _port(origin: str) -> str | None:
    tail = origin.rsplit("]", 1)[-1].split("//", 1)[-1]
    return tail.rsplit(":", 1)[1] if ":" in tail else None


def parse_frame_ancestors(name: str, value: str | None) -> tuple[str, ...]:
    """``CONFLICTMAP_FRAME_ANCESTORS`` (space-separated) -> sources; anything else names the variable."""
    tokens = tuple((value or "").split())
    if not tokens:
        return ("'self'",)
    if problems := frame_ancestor_problems(tokens):
        raise ValueError(
            f"{name}={value!r}: "
            + "; ".join(problems)
            + " (scheme://host[:port], no path, separated by spaces)"
        )
    return tokens


# An HTTP header name (RFC 9110 token) without "_": WSGI servers turn "-" into "_", so a
# configured X_User would also be matched by a client's X-User and the other way round.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^`|~0-9A-Za-z]+$")
AUTH_VARIABLES = {
    "auth_user_header": "CONFLICTMAP_AUTH_USER_HEADER",
    "auth_groups_header": "CONFLICTMAP_AUTH_GROUPS_HEADER",
    "auth_proxies": "CONFLICTMAP_AUTH_PROXIES",
    "reviewers": "CONFLICTMAP_REVIEWERS",
    "reviewer_groups": "CONFLICTMAP_REVIEWER_GROUPS",
}


def split_names(value: str | None) -> tuple[str, ...]:
    """``"alice, bob carol"`` -> ``("alice", "bob", "carol")``: names separated by spaces or commas."""
    return tuple(n for n in re.split(r"[\s,]+", value or "") if n)


def proxy_problem(token: str) -> str | None:
    """Why ``token`` is not an IP address or network (None: it is). Hostnames are refused: the
    check compares the request's peer address, and resolving names at start would trust
    whatever the DNS said then."""
    try:
        ipaddress.ip_network(token, strict=False)
    except ValueError:
        return f"{token!r} is not an IP address or network such as 127.0.0.1, ::1 or 10.0.0.0/8"
    return None


def auth_problems(values: dict[str, Any], names: dict[str, str]) -> list[str]:
    """What is wrong with the identity settings (empty: nothing), each naming its setting.

    ``values`` holds the ``Settings`` fields of ``AUTH_VARIABLES``; ``names`` says how to call
    each one (the environment variable, or the field when Settings are built in code).

    Why refuse rather than warn: a user header without trusted proxies would let any client
    name itself; reviewer lists without a header would match nobody while the admin believes
    they work. Either is a start-up error, not a surprise in production.
    """
    problems = []
    for key in ("auth_user_header", "auth_groups_header"):
        header = values[key]
        if header and not _HEADER_NAME.match(header):
            problems.append(
                f"{names[key]}={header!r}: expected an HTTP header name such as X-Forwarded-User "
                "(letters, digits and dashes; no spaces, colons or underscores)"
            )
    problems += [f"{names['auth_proxies']}: {p}" for t in values["auth_proxies"] if (p := proxy_problem(t))]
    user, groups = values["auth_user_header"], values["auth_groups_header"]
    if user and not values["auth_proxies"]:
        problems.append(
            f"{names['auth_user_header']} is set but {names['auth_proxies']} is empty: list the "
            "addresses of the proxy that signs users in (such as 127.0.0.1 or 10.0.0.0/8); a "
            "header from anywhere else would let any client name itself"
        )
    if groups and not user:
        problems.append(f"{names['auth_groups_header']} is set but {names['auth_user_header']} is not")
    if values["reviewers"] and not user:
        problems.append(
            f"{names['reviewers']} is set but {names['auth_user_header']} is not: nobody is "
            "identified, so the list would match nobody (without an identity, only a browser on "
            "the app's own machine reviews)"
        )
    if values["reviewer_groups"] and not groups:
        problems.append(
            f"{names['reviewer_groups']} is set but {names['auth_groups_header']} is not: "
            "nobody's groups are known, so the list would match nobody"
        )
    return problems


def _normalise_prefix(value: str) -> str:
    value = "/" + value.strip("/") + "/" if value.strip("/") else "/"
    return value


@dataclass(frozen=True)
class Settings:
    """Every knob the app has. Environment variables are named ``CONFLICTMAP_<FIELD>``."""

    data_dir: Path = field(default_factory=lambda: DEFAULT_DATA_DIR)
    bundled_dir: Path = BUNDLED_DATA
    database_url: str | None = None  # default: sqlite file in data_dir
    zones_path: Path | None = None  # user-supplied GeoJSON zones; default: the bundled ones
    url_prefix: str = "/"
    frame_ancestors: tuple[str, ...] = ("'self'",)
    tile_url: str | None = None  # an intranet XYZ tile server; off by default (offline)
    debug: bool = False
    show_reference: bool = True
    ingest_limits: IngestLimits = field(default_factory=IngestLimits)
    # Largest request body (a callback's JSON): bigger ones answer 413 before being read.
    max_request_bytes: int = 1 << 20
    # Image exports running at once across all worker processes, and how long one waits for a
    # free slot before the answer is "busy, retry" (503 with Retry-After).
    export_slots: int = 1
    export_wait: float = 10.0
    # Seconds before a stuck image export is stopped (the browser is then restarted).
    export_timeout: float = 60.0
    # Seconds a request waits for the incident index of a new store version before it is
    # answered from the previous one (the new one is built beside it and swapped in).
    refresh_wait: float = 1.5
    # Where each store version's incident table is written once and mapped by every process of
    # the machine (read/columnar.py); default: ``data_dir``/index.
    index_dir: Path | None = None
    # Who is asking (components/identity.py): the header a signing-in reverse proxy puts the
    # user name in (empty: no identity configured, only a browser on this machine reviews), an
    # optional header of comma-separated groups, and the proxy addresses those headers are
    # believed from. Reviewers by name or by group; everybody else is a viewer.
    auth_user_header: str = ""
    auth_groups_header: str = ""
    auth_proxies: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    reviewer_groups: tuple[str, ...] = ()
    # Saved views' alert (conflictmap.notify): after an ingest that stored new incidents, each
    # view's new ones are POSTed as JSON to this one address (empty: off), with this timeout per
    # attempt; the dashboard's public address makes the links in it absolute (empty: relative).
    webhook_url: str = ""
    webhook_timeout: float = 5.0
    public_url: str = ""

    def __post_init__(self) -> None:
        # Settings built in code (tests, scripts) are held to the same rules as the environment.
        if problems := frame_ancestor_problems(self.frame_ancestors):
            raise ValueError("frame_ancestors: " + "; ".join(problems))
        if self.refresh_wait < 0:
            raise ValueError(f"refresh_wait={self.refresh_wait}: must be 0 seconds or more")
        if self.export_slots < 1 or self.export_wait < 0:
            raise ValueError(
                f"export_slots={self.export_slots}, export_wait={self.export_wait}: "
                "expected at least one slot and a wait of 0 s or more"
            )
        if self.tile_url and not _TILE_URL.match(self.tile_url):
            raise ValueError(
                f"tile_url={self.tile_url!r}: expected an http(s) address of a tile server with "
                "{z}, {x} and {y} in it, such as https://tiles.intranet/{z}/{x}/{y}.png "
                "(the map would otherwise be refused its tiles)"
            )
        if self.export_timeout <= 0:
            raise ValueError(f"export_timeout={self.export_timeout}: expected a positive number of seconds")
        if self.max_request_bytes <= 0:
            raise ValueError(f"max_request_bytes={self.max_request_bytes}: expected a positive size")
        auth = {key: getattr(self, key) for key in AUTH_VARIABLES}
        if problems := auth_problems(auth, {key: key for key in AUTH_VARIABLES}):
            raise ValueError("; ".join(problems))
        for key in ("webhook_url", "public_url"):
            if problem := http_url_problem(getattr(self, key), base=key == "public_url"):
                raise ValueError(f"{key}={getattr(self, key)!r}: {problem}")
        if not 0 < self.webhook_timeout <= MAX_WEBHOOK_TIMEOUT:
            raise ValueError(
                f"webhook_timeout={self.webhook_timeout}: expected seconds above 0, at most {MAX_WEBHOOK_TIMEOUT}"
            )

    @property
    def db_url(self) -> str:
        """The store's SQLAlchemy URL: ``database_url`` if set, else ``data_dir``/conflictmap.sqlite."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'conflictmap.sqlite'}"

    @property
    def effective_index_dir(self) -> Path:
        """The folder of the shared incident-table files: ``index_dir`` if set, else ``data_dir``/index."""
        return self.index_dir or (self.data_dir / "index")

    @property
    def effective_zones_path(self) -> Path:
        """The zones file to load: ``zones_path`` if set, else the bundled ``zones.geojson``."""
        return self.zones_path or (self.bundled_dir / "zones.geojson")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Settings from the ``CONFLICTMAP_*`` variables of ``env`` (default: ``os.environ``).

        An empty variable counts as unset. Raises ``ValueError`` naming the variable when a value
        cannot be read, so a typo stops the start instead of silently falling back to a default."""
        e = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            v = e.get(f"CONFLICTMAP_{name}")
            return v if v not in (None, "") else None

        ancestors = get("FRAME_ANCESTORS")
        zones = get("ZONES_PATH")
        data_dir = get("DATA_DIR")
        index_dir = get("INDEX_DIR")
        return cls(
            data_dir=Path(data_dir).expanduser() if data_dir else DEFAULT_DATA_DIR,
            database_url=get("DATABASE_URL"),
            zones_path=Path(zones).expanduser() if zones else None,
            url_prefix=_normalise_prefix(get("URL_PREFIX") or "/"),
            frame_ancestors=parse_frame_ancestors("CONFLICTMAP_FRAME_ANCESTORS", ancestors),
            tile_url=get("TILE_URL"),
            debug=(get("DEBUG") or "").lower() in ("1", "true", "yes"),
            show_reference=(get("SHOW_REFERENCE") or "1").lower() not in ("0", "false", "no"),
            ingest_limits=_ingest_limits(get),
            max_request_bytes=_max_request_bytes(get("MAX_REQUEST_BYTES")),
            export_slots=int(_number("CONFLICTMAP_EXPORT_SLOTS", get("EXPORT_SLOTS"), cls.export_slots)),
            export_wait=_number("CONFLICTMAP_EXPORT_WAIT", get("EXPORT_WAIT"), cls.export_wait),
            export_timeout=_number("CONFLICTMAP_EXPORT_TIMEOUT", get("EXPORT_TIMEOUT"), cls.export_timeout),
            refresh_wait=_number("CONFLICTMAP_REFRESH_WAIT", get("REFRESH_WAIT"), cls.refresh_wait),
            index_dir=Path(index_dir).expanduser() if index_dir else None,
            **_auth(get),
            **_webhook(get),
        )


def _auth(get: Callable[[str], str | None]) -> dict[str, Any]:
    """``CONFLICTMAP_AUTH_*`` and ``CONFLICTMAP_REVIEWER*`` -> the identity fields; a value that
    cannot be read, or settings that do not fit together, stop the start with the variables named."""
    values: dict[str, Any] = {
        "auth_user_header": (get("AUTH_USER_HEADER") or "").strip(),
        "auth_groups_header": (get("AUTH_GROUPS_HEADER") or "").strip(),
        "auth_proxies": split_names(get("AUTH_PROXIES")),
        "reviewers": split_names(get("REVIEWERS")),
        "reviewer_groups": split_names(get("REVIEWER_GROUPS")),
    }
    if problems := auth_problems(values, AUTH_VARIABLES):
        raise ValueError("; ".join(problems))
    return values


MAX_WEBHOOK_TIMEOUT = 120.0


def http_url_problem(value: str, base: bool = False) -> str | None:
    """Why ``value`` is not an absolute http(s) address (None: it is, or it is empty = off).

    Strict because the webhook's address is the only place the app ever sends data to: a value
    that is not plainly one address (a space, a control character, no host, user:password@)
    is refused at start rather than guessed at. ``base`` (the dashboard's public address) also
    refuses a query or fragment, since view links are appended to it."""
    if not value:
        return None
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return "expected one http(s) address, without spaces or control characters"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        return f"not an address ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "expected an http:// or https:// address with a host, such as https://alerts.intranet/hook"
    if "@" in parts.netloc:
        return "credentials in the address (user:password@) are not accepted"
    if base and (parts.query or parts.fragment):
        return "expected the dashboard's address without ?query or #fragment, such as https://portal.intranet/tools/map/"
    return None


def _webhook(get: Callable[[str], str | None]) -> dict[str, Any]:
    """``CONFLICTMAP_WEBHOOK_URL``, ``CONFLICTMAP_WEBHOOK_TIMEOUT``, ``CONFLICTMAP_PUBLIC_URL``;
    a value that cannot be read stops the start with the variable named."""
    url, public = (get("WEBHOOK_URL") or "").strip(), (get("PUBLIC_URL") or "").strip()
    for name, value, base in (("WEBHOOK_URL", url, False), ("PUBLIC_URL", public, True)):
        if problem := http_url_problem(value, base=base):
            raise ValueError(f"CONFLICTMAP_{name}={value!r}: {problem}")
    if public and not public.endswith("/"):
        public += "/"
    raw = get("WEBHOOK_TIMEOUT")
    timeout = _number("CONFLICTMAP_WEBHOOK_TIMEOUT", raw, Settings.webhook_timeout)
    if not 0 < timeout <= MAX_WEBHOOK_TIMEOUT:
        raise ValueError(
            f"CONFLICTMAP_WEBHOOK_TIMEOUT={raw!r}: expected seconds above 0, at most {MAX_WEBHOOK_TIMEOUT:g}"
        )
    return {"webhook_url": url, "webhook_timeout": timeout, "public_url": public}


def _ingest_limits(get: Callable[[str], str | None]) -> IngestLimits:
    """``CONFLICTMAP_INGEST_*`` -> limits; a value that cannot be read stops the start with its name."""
    defaults = IngestLimits()
    sizes = {}
    for key in ("MAX_FILE_BYTES", "MAX_LINE_BYTES"):
        raw = get(f"INGEST_{key}")
        sizes[key.lower()] = (
            parse_size(f"CONFLICTMAP_INGEST_{key}", raw) if raw else getattr(defaults, key.lower())
        )
    raw_chars = get("INGEST_MAX_ARTICLE_CHARS")
    chars = defaults.max_article_chars
    if raw_chars:
        if not raw_chars.strip().replace("_", "").isdigit() or int(raw_chars.replace("_", "")) <= 0:
            raise ValueError(
                f"CONFLICTMAP_INGEST_MAX_ARTICLE_CHARS={raw_chars!r}: expected a positive whole number"
            )
        chars = int(raw_chars.replace("_", ""))
    lo, hi = get("INGEST_DATE_MIN"), get("INGEST_DATE_MAX")
    date_min = _parse_day("CONFLICTMAP_INGEST_DATE_MIN", lo) if lo else defaults.date_min
    date_max = _parse_day("CONFLICTMAP_INGEST_DATE_MAX", hi) if hi else None
    if date_max is not None and date_max < date_min:
        raise ValueError(
            f"CONFLICTMAP_INGEST_DATE_MAX={hi!r} is before CONFLICTMAP_INGEST_DATE_MIN ({date_min})"
        )
    return IngestLimits(
        max_file_bytes=sizes["max_file_bytes"],
        max_line_bytes=sizes["max_line_bytes"],
        max_article_chars=chars,
        date_min=date_min,
        date_max=date_max,
    )


def _number(name: str, raw: str | None, default: float) -> float:
    """A non-negative number from the environment; anything else stops the start with its name."""
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a number") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name}={raw!r}: expected a number of 0 or more")
    return value


def _max_request_bytes(raw: str | None) -> int:
    return parse_size("CONFLICTMAP_MAX_REQUEST_BYTES", raw) if raw else Settings.max_request_bytes


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings.from_env()
