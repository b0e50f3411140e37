"""Watched views: the query a saved view keeps, its feed's entries, and the webhook after ingest.

A conductor: it lays a saved view (``storage.watches``) over the incident index (``read``) and
writes the answer as an Atom feed (``export.atom``) or a webhook POST.

**What a saved view keeps** (``watch_query``): the page's filters, including the drawn
``area=`` and the layers the view is drawn with, but not the selected incident, the map's centre
and zoom, or the iframe mode: those are where someone was looking when they saved it, not what
they watch, and a selected incident would come back in every link of the feed.

**The webhook** (``CONFLICTMAP_WEBHOOK_URL``): after an ingest run that stored new incidents,
each saved view that shows some of them gets one POST of those incidents as JSON::

    {"view": {"name", "slug", "query", "feed"},
     "incidents": [{"incident_id", "event_date", "event_type", "location", "latitude",
                    "longitude", "fatalities", "evidence", "outlets", "link"}],
     "omitted": 0}

"New" means first seen in this run: an incident whose first report's article was stored by it
(``watches.first_seen``), not an older incident that a new report joined. The POST goes to the
configured address only: redirects are not followed (a 3xx is a failure, reported) and proxy
variables of the environment are ignored, so nothing is ever sent to an address the settings
do not name. Each POST has ``CONFLICTMAP_WEBHOOK_TIMEOUT`` seconds per attempt and 3 attempts
(waits of ``BACKOFF`` seconds between them) on a network error, a 5xx, 408 or 429; any other
answer outside 2xx is final. A failure is logged (warning) and listed in the ingest report's
``webhook`` lines; it never fails the ingest. When the address cannot be reached at all, the
remaining views of that run are not tried (each would wait the same timeouts) and are listed
as not sent; their incidents stay in their feeds.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from conflictmap.config import Settings
from conflictmap.export.atom import FeedEntry, incident_entry
from conflictmap.read.index import split_outlets
from conflictmap.read.query import EventFilter
from conflictmap.storage import watches
from conflictmap.storage.store import EventStore

log = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF: tuple[float, ...] = (0.5, 2.0)  # seconds before the 2nd and 3rd attempts
FEED_LIMIT = 50  # entries in a feed: the latest first seen
MAX_POSTED = 500  # incidents in one POST; more are counted in "omitted" (the feed has them)
RETRY_STATUSES = frozenset({408, 429})
USER_AGENT = "conflictmap-webhook"


# ---- saved views and their links -----------------------------------------------------------------


def watch_query(search: str | None) -> str:
    """The query string a saved view keeps, from the page's query string (see the module
    docstring): filters and layers kept, selection, map position and embedding dropped, values
    the page could not read left out (as the page itself ignores them)."""
    flt = EventFilter.from_query(search or "")
    return replace(flt, event=None, lat=None, lon=None, zoom=None, embed=False).to_query()


def save_from_page(store: EventStore, name: str, search: str | None, who: str) -> watches.SavedView:
    """Save the page's view under ``name`` (``watches.ViewError`` names what is wrong)."""
    return watches.save_view(store, name, watch_query(search), who)


def feed_path(slug: str) -> str:
    """The feed's address under the app's prefix."""
    return f"feeds/{slug}.atom"


def view_link(base: str, query: str, incident_id: str | None = None) -> str:
    """The dashboard on ``query`` (``base`` is the app's address, ending in ``/``, or "" for a
    relative link), with ``incident_id`` selected when given."""
    if incident_id:
        query = replace(EventFilter.from_query(query), event=incident_id).to_query()
    return f"{base}?{query}" if query else (base or "?")


def _base(settings: Settings) -> str:
    url = settings.public_url
    return url if not url or url.endswith("/") else url + "/"


# ---- the incidents of a view, newest first seen first ------------------------------------------


def new_in_view(
    selected: pd.DataFrame, seen: dict[str, datetime], limit: int | None = None
) -> list[tuple[dict[str, Any], datetime]]:
    """The view's incidents that were read from an article, with when each was first seen,
    newest first (then by date, then id); at most ``limit``."""
    if selected.empty:
        return []
    rows = [r for r in selected.to_dict("records") if str(r["incident_id"]) in seen]
    rows.sort(
        key=lambda r: (seen[str(r["incident_id"])], pd.Timestamp(r["event_date"]), str(r["incident_id"])),
        reverse=True,
    )
    return [(r, seen[str(r["incident_id"])]) for r in rows[:limit]]


def feed_entries(
    selected: pd.DataFrame, seen: dict[str, datetime], base: str, query: str, limit: int = FEED_LIMIT
) -> list[FeedEntry]:
    """The feed's entries: the view's latest ``limit`` incidents by first seen, newest first."""
    return [
        incident_entry(
            row, when, view_link(base, query, str(row["incident_id"])), split_outlets(row.get("outlets"))
        )
        for row, when in new_in_view(selected, seen, limit)
    ]


def _number(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def incident_json(row: dict[str, Any], link: str) -> dict[str, Any]:
    """One incident as the webhook sends it (``fatalities`` null when no report stated one)."""
    fat = _number(row.get("fatalities"))
    day = row.get("event_date")
    return {
        "incident_id": str(row["incident_id"]),
        "event_date": pd.Timestamp(day).date().isoformat() if day is not None and not pd.isna(day) else None,
        "event_type": str(row.get("event_type") or ""),
        "location": row.get("location") if isinstance(row.get("location"), str) else None,
        "latitude": _number(row.get("latitude")),
        "longitude": _number(row.get("longitude")),
        "fatalities": int(fat) if fat is not None else None,
        "evidence": row.get("evidence") if isinstance(row.get("evidence"), str) else "",
        "outlets": split_outlets(row.get("outlets")),
        "link": link,
    }


# ---- the webhook ----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would send the incidents to an address the settings do not name."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    # ProxyHandler({}): the environment's http_proxy would be another address than the configured one.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class Delivery:
    """How one POST went: delivered or not, after how many attempts, and why not."""

    ok: bool
    attempts: int
    error: str = ""
    unreachable: bool = False  # no answer at all (refused, timeout): the address is down


def post_json(
    url: str,
    payload: dict[str, Any],
    timeout: float,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST ``payload`` as JSON to ``url`` with up to ``attempts`` tries; never raises."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    opener = _opener()
    error, unreachable = "", False
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            sleep(BACKOFF[min(attempt - 2, len(BACKOFF) - 1)])
        request = urllib.request.Request(  # noqa: S310 - the configured http(s) address only (config checks it)
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
        )
        try:
            with opener.open(request, timeout=timeout) as resp:
                resp.read(1 << 16)
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
        except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, reset, timeout, DNS
            reason = getattr(exc, "reason", exc)
            error, unreachable = f"no answer ({reason})", True
            continue
        if 200 <= status < 300:
            return Delivery(True, attempt)
        unreachable = False
        error = f"answered HTTP {status}"
        if 300 <= status < 400:
            error += " (a redirect; not followed: only the configured address receives incidents)"
            return Delivery(False, attempt, error)
        if status < 500 and status not in RETRY_STATUSES:
            return Delivery(False, attempt, error)
    return Delivery(False, attempts, error, unreachable)


def view_payload(
    view: watches.SavedView, rows: list[tuple[dict[str, Any], datetime]], base: str
) -> dict[str, Any]:
    """The JSON one view's POST carries (at most ``MAX_POSTED`` incidents, the rest counted)."""
    sent = rows[:MAX_POSTED]
    return {
        "view": {
            "name": view.name,
            "slug": view.slug,
            "query": view.query,
            "feed": base + feed_path(view.slug),
        },
        "incidents": [
            incident_json(row, view_link(base, view.query, str(row["incident_id"]))) for row, _ in sent
        ],
        "omitted": len(rows) - len(sent),
    }


def _index(store: EventStore, settings: Settings) -> Any:
    """The incidents as the dashboard of ``settings`` sees them (``DataService._refresh``)."""
    from conflictmap.read.index import EventIndex, build_incidents

    reports = store.events_frame()
    if not settings.show_reference:
        reports = reports[reports["origin"] != "reference"]
    return EventIndex(build_incidents(reports, store.zone_versions()))


def notify_views(
    store: EventStore,
    settings: Settings,
    new: dict[str, datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """POST each saved view's share of ``new`` incidents; one line per view for the report."""
    views = watches.list_views(store)
    if not (settings.webhook_url and new and views):
        return []
    index = _index(store, settings)
    base = _base(settings)
    lines: list[str] = []
    down = ""
    for view in views:
        rows = new_in_view(index.select(EventFilter.from_query(view.query)), new)
        if not rows:
            continue
        if down:
            lines.append(f"webhook: view {view.name!r}: {len(rows)} new incident(s) not sent ({down})")
            continue
        result = post_json(
            settings.webhook_url, view_payload(view, rows, base), settings.webhook_timeout, sleep=sleep
        )
        if result.ok:
            lines.append(f"webhook: view {view.name!r}: {len(rows)} new incident(s) sent")
            log.info("webhook: view %r: %d new incident(s) sent", view.name, len(rows))
            continue
        line = (
            f"webhook: view {view.name!r}: {len(rows)} new incident(s) NOT sent after "
            f"{result.attempts} attempt(s): {result.error}; they are in the view's feed"
        )
        log.warning("%s", line)
        lines.append(line)
        if result.unreachable:
            down = "the webhook address did not answer for an earlier view"
    return lines


@dataclass
class IngestWatch:
    """Started before an ingest run and finished after it: which incidents the run added.

    ``before`` holds the incidents first seen before the run, ``started`` its start to the
    second (``ingested_at`` is stored to the second): an incident is new when it was not there
    before and its first report was ingested since the start, so one renamed by regrouping or
    joined by a new report is not new."""

    settings: Settings
    before: set[str] = field(default_factory=set)
    started: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    @classmethod
    def start(cls, store: EventStore, settings: Settings | None) -> IngestWatch | None:
        """Begin watching an ingest run; None when no webhook is configured (nothing to do).

        Without ``settings`` (the command line's ingest) the environment's are read."""
        if settings is None:
            from conflictmap.config import get_settings

            try:
                settings = get_settings()
            except ValueError as exc:
                log.warning("webhook settings cannot be read, no webhook this run: %s", exc)
                return None
        if not settings.webhook_url:
            return None
        try:
            return cls(settings, set(watches.first_seen(store)))
        except Exception as exc:  # noqa: BLE001 - the alert must never stop an ingest
            log.warning("webhook: cannot read the incidents before the run (%s); no webhook this run", exc)
            return None

    def finish(self, store: EventStore, sleep: Callable[[float], None] = time.sleep) -> list[str]:
        """Send the run's new incidents to the views' webhook; report lines, never an exception."""
        try:
            new = {
                inc: when
                for inc, when in watches.first_seen(store).items()
                if inc not in self.before and when >= self.started
            }
            return notify_views(store, self.settings, new, sleep=sleep)
        except Exception as exc:  # noqa: BLE001 - the alert must never fail the ingest
            log.exception("webhook: not sent")
            return [f"webhook: not sent: {type(exc).__name__}: {exc}"]
