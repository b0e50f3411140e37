"""Saved views ("watched areas"): a name, the dashboard query string it stands for, who saved it
and when; and when each incident was first seen, for their feeds and the webhook.

A saved view is a team's standing question ("battles around Hajin since January"): the feed
``feeds/<slug>.atom`` and the webhook after each ingest answer it with the incidents that view
shows. The view is kept as the dashboard's own query string, so whatever the filter bar can
express (the drawn ``area=`` included) can be watched, and opening the view is following a link.

Why JSON under one ``meta`` key and not a table of its own: a team keeps a handful of views
(``MAX_VIEWS`` at most), read whole and never queried by column; a table would need a schema
change and an Alembic revision for what is a short list, while ``meta`` already travels with the
store (SQLite file or PostgreSQL, backups included). ``set_meta`` does not move the store's
``version``, so saving a view leaves the dashboard's caches alone (it changes no incident).

Saves and deletes read the list, change it and write it back in one write transaction under the
store's writer lock (``EventStore.update_meta``), so two workers or machines saving at once both
keep their view.

This module is in the storage stage and imports no ``read``: the caller normalises the query
(``conflictmap.notify.watch_query``) before saving it.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from hashlib import sha1

from sqlalchemy import func, literal, select

from conflictmap.storage.schema import articles, events
from conflictmap.storage.store import EventStore

log = logging.getLogger(__name__)

META_KEY = "saved_views"
MAX_VIEWS = 200
MAX_NAME = 80
MAX_QUERY = 4000
MAX_WHO = 200
MAX_SLUG = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


class ViewError(ValueError):
    """A view that cannot be saved; ``field`` names what is wrong (``name``, ``query``,
    ``saved_by``, ``saved_at``), and the message starts with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class SavedView:
    """One saved view. ``query`` is the dashboard's query string without ``?``; ``saved_at`` is
    UTC, ISO 8601 to the second (``2025-03-02T10:15:00+00:00``)."""

    name: str
    slug: str
    query: str
    saved_by: str
    saved_at: str

    def as_json(self) -> dict[str, str]:
        """The view as stored (and as ``api/views`` lists it, with its feed added there)."""
        return asdict(self)


def slugify(name: str) -> str:
    """The view's address part: lower-case ASCII letters, digits and dashes, from its name
    (accents dropped: ``"Hajin – east bank"`` -> ``hajin-east-bank``). A name with no Latin
    letter or digit at all (an Arabic name) gets ``view-`` and a short hash of the name, so
    every name has an address and the same name always the same one."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_DROP.sub("-", ascii_name.lower()).strip("-")[:MAX_SLUG].strip("-")
    if not slug:
        slug = "view-" + sha1(name.encode("utf-8")).hexdigest()[:8]  # noqa: S324 - a name, not a secret
    return slug


def clean_name(name: object) -> str:
    """The name as it is kept (spaces collapsed), or ``ViewError`` naming ``name``."""
    if not isinstance(name, str):
        raise ViewError("name", "expected text")
    if _CONTROL.search(name):
        raise ViewError("name", "control characters are not allowed")
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ViewError("name", "a view needs a name")
    if len(cleaned) > MAX_NAME:
        raise ViewError("name", f"at most {MAX_NAME} characters (got {len(cleaned)})")
    return cleaned


def _check_query(query: object) -> str:
    if not isinstance(query, str):
        raise ViewError("query", "expected a query string")
    query = query.lstrip("?")
    if len(query) > MAX_QUERY:
        raise ViewError("query", f"at most {MAX_QUERY} characters (got {len(query)})")
    if _CONTROL.search(query) or " " in query:
        raise ViewError("query", "expected an encoded query string (no spaces or control characters)")
    return query


def _check_who(who: object) -> str:
    if not isinstance(who, str) or not who.strip():
        raise ViewError("saved_by", "who saved the view must be named")
    if len(who) > MAX_WHO or _CONTROL.search(who):
        raise ViewError("saved_by", f"at most {MAX_WHO} characters, no control characters")
    return who.strip()


def _stamp(when: datetime | None) -> str:
    when = when or datetime.now(UTC)
    if when.tzinfo is None or when.utcoffset() is None:
        raise ViewError("saved_at", "expected a time with its time zone (UTC)")
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _read(store: EventStore) -> list[SavedView]:
    return _parse(store.get_meta(META_KEY))


def _parse(raw: str | None) -> list[SavedView]:
    if not raw:
        return []
    try:
        rows = json.loads(raw)
    except ValueError:
        log.error("saved views in meta %r cannot be read as JSON; listing none", META_KEY)
        return []
    out = []
    for row in rows if isinstance(rows, list) else []:
        try:
            out.append(
                SavedView(
                    name=str(row["name"]),
                    slug=str(row["slug"]),
                    query=str(row["query"]),
                    saved_by=str(row["saved_by"]),
                    saved_at=str(row["saved_at"]),
                )
            )
        except (KeyError, TypeError):
            log.warning("a saved view in meta %r is incomplete and was left out: %r", META_KEY, row)
    return out


def _dumps(views: list[SavedView]) -> str:
    views = sorted(views, key=lambda v: (v.name.casefold(), v.slug))
    return json.dumps([v.as_json() for v in views], ensure_ascii=False)


def list_views(store: EventStore) -> list[SavedView]:
    """Every saved view, by name."""
    return sorted(_read(store), key=lambda v: (v.name.casefold(), v.slug))


def get_view(store: EventStore, slug: str) -> SavedView | None:
    """The view saved under ``slug``, or None."""
    return next((v for v in _read(store) if v.slug == slug), None)


def save_view(
    store: EventStore, name: str, query: str, saved_by: str, saved_at: datetime | None = None
) -> SavedView:
    """Save ``query`` under ``name``; a view of the same name (and so the same feed address) is
    replaced, with the new author and time. Raises ``ViewError`` naming the field at fault,
    including a different name whose address is taken (``Hajin!`` after ``hajin``)."""
    name = clean_name(name)
    view = SavedView(name, slugify(name), _check_query(query), _check_who(saved_by), _stamp(saved_at))

    def change(raw: str | None) -> str:
        views = _parse(raw)
        same = next((v for v in views if v.slug == view.slug), None)
        if same is not None and same.name != view.name:
            raise ViewError(
                "name",
                f"{name!r} would have the feed address {view.slug!r} of the saved view {same.name!r}; "
                "choose another name, or use that exact name to replace it",
            )
        if same is None and len(views) >= MAX_VIEWS:
            raise ViewError("name", f"at most {MAX_VIEWS} saved views; delete one first")
        return _dumps([v for v in views if v.slug != view.slug] + [view])

    # Read and written in one write transaction under the store's writer lock: two workers (or
    # machines) saving at once both keep their view.
    store.update_meta(META_KEY, change)
    return view


def delete_view(store: EventStore, slug: str) -> bool:
    """Delete the view saved under ``slug``; False when there was none."""
    found: list[bool] = []

    def change(raw: str | None) -> str:
        views = _parse(raw)
        kept = [v for v in views if v.slug != slug]
        found.append(len(kept) != len(views))
        return _dumps(kept)

    store.update_meta(META_KEY, change)
    return found[-1]


def first_seen(store: EventStore) -> dict[str, datetime]:
    """incident id -> when the first of its reports was ingested (UTC).

    Reports join their article (``events.article_id`` = ``articles.id``), so incidents without
    any article (hand-coded reference facts, imported datasets, analysts' additions with a
    source address only) are left out: nobody read them in a feed, so they are never "new".
    A report not grouped yet counts under ``inc:<event_id>``, the id the dashboard gives it."""
    incident = func.coalesce(events.c.incident_id, literal("inc:") + events.c.event_id).label("incident")
    q = (
        select(incident, func.min(articles.c.ingested_at))
        .select_from(events.join(articles, events.c.article_id == articles.c.id))
        .group_by(incident)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    return {str(inc): _parse_time(str(at)) for inc, at in rows if at}


def _parse_time(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
