"""An Atom 1.0 feed (RFC 4287) of a saved view's incidents, for any feed reader or intranet portal.

One entry per incident: its title says what and where ("Battle at Hajin, 2024-08-09"), its
``updated`` is when the tool first read a report of it (so a reader shows new incidents as new,
even when they happened days before the report), its link opens the dashboard on the view with
the incident selected, its content is the evidence sentence and the outlets, and its authors
are the outlets.

Everything from a report is untrusted: it goes in as element text through ``xml.etree``, which
escapes ``<``, ``&`` and ``>``, with ``type="text"`` so no reader renders it as HTML; characters
XML 1.0 cannot hold are dropped (``kml.xml_text``). ``<script>`` in an evidence stays the
characters ``<script>``.

Ids: the feed's id is its own address when absolute, else a ``tag:`` URI of it; an entry's id
is a ``tag:`` URI of the incident id (``tag:conflictmap,2025:incident:inc:1a2b3c``), not its
link: the link carries the view's query, so the same incident would otherwise be two entries in
two feeds, and a view saved again with other filters would repeat every entry.
"""

from __future__ import annotations

import numbers
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from conflictmap.export.kml import xml_text
from conflictmap.models import EVENT_LABELS

ATOM_NS = "http://www.w3.org/2005/Atom"
MIME = "application/atom+xml"
TAG = "tag:conflictmap,2025:"
GENERATOR = "conflictmap"
FEED_AUTHOR = "conflictmap · Deir ez-Zor"


@dataclass(frozen=True)
class FeedEntry:
    """One incident as an Atom entry."""

    incident_id: str
    title: str
    link: str
    updated: datetime  # first seen (UTC)
    content: str
    authors: tuple[str, ...] = field(default=())
    category: str = ""


def _when(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_title(event_type: str, location: Any, event_date: Any) -> str:
    """``Battle at Hajin, 2024-08-09`` (``Battle, place not named, 2024-08-09`` without a place)."""
    label = EVENT_LABELS.get(str(event_type), str(event_type or "Incident").replace("_", " ").capitalize())
    day = event_date.date() if isinstance(event_date, datetime) else event_date
    day_text = day.isoformat() if isinstance(day, date) else str(day or "date not stated")
    place = str(location).strip() if isinstance(location, str) and location.strip() else ""
    return f"{label} at {place}, {day_text}" if place else f"{label}, place not named, {day_text}"


def entry_content(evidence: Any, outlets: Iterable[str], fatalities: Any = None) -> str:
    """The evidence sentence, then the toll when one was stated, then the outlets: plain text."""
    lines = [
        str(evidence).strip() if isinstance(evidence, str) and evidence.strip() else "(no sentence kept)"
    ]
    if isinstance(fatalities, numbers.Real) and fatalities == fatalities:  # not NaN (not stated)
        lines.append(f"Fatalities: {int(float(fatalities))}")
    names = [o for o in outlets if o]
    lines.append("Reported by: " + (", ".join(names) if names else "outlet not named"))
    return "\n\n".join(lines)


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrib.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _feed_id(feed_url: str) -> str:
    if feed_url.startswith(("http://", "https://")):
        return feed_url
    return TAG + "feed:" + feed_url.lstrip("/")


def atom_feed(
    title: str, feed_url: str, view_url: str, entries: Iterable[FeedEntry], updated: datetime
) -> bytes:
    """The feed as UTF-8 XML bytes, entries in the order given (newest first, by convention).

    ``feed_url`` is the feed's own address (``rel="self"``), ``view_url`` the dashboard showing
    the view (``rel="alternate"``); ``updated`` is when the feed last changed (the newest
    entry's first-seen time, or when the view was saved when it has no entry)."""
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(root, "id", _feed_id(feed_url))
    _sub(root, "title", title, type="text")
    _sub(root, "updated", _when(updated))
    _sub(root, "link", rel="self", type=MIME, href=feed_url)
    _sub(root, "link", rel="alternate", type="text/html", href=view_url)
    author = _sub(root, "author")
    _sub(author, "name", FEED_AUTHOR)
    _sub(root, "generator", GENERATOR)
    for e in entries:
        entry = _sub(root, "entry")
        _sub(entry, "id", TAG + "incident:" + e.incident_id)
        _sub(entry, "title", e.title, type="text")
        _sub(entry, "updated", _when(e.updated))
        _sub(entry, "link", rel="alternate", type="text/html", href=e.link)
        for name in e.authors:
            _sub(_sub(entry, "author"), "name", name)
        if e.category:
            _sub(entry, "category", term=e.category, label=EVENT_LABELS.get(e.category, e.category))
        _sub(entry, "content", e.content, type="text")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def incident_entry(row: Mapping[str, Any], seen: datetime, link: str, outlets: Iterable[str]) -> FeedEntry:
    """An incident of the index (a row of ``DataService.view(...).selected``) as an entry."""
    names = tuple(o for o in outlets if o)
    fatalities = row.get("fatalities")
    return FeedEntry(
        incident_id=str(row["incident_id"]),
        title=entry_title(row.get("event_type", ""), row.get("location"), row.get("event_date")),
        link=link,
        updated=seen,
        content=entry_content(row.get("evidence"), names, fatalities),
        authors=names,
        category=str(row.get("event_type") or ""),
    )
