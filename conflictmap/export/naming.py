"""File names for downloads, made from the view they hold: ``deir-ez-zor-battles-2024.csv``.

A briefer who saves five exports of five views must be able to tell them apart in a folder
without opening them, so the name says what the filter says: the event types, who was
involved, where, how many killed, the words searched, and the dates. Only what decides which
incidents are in the file counts; the map position, layers, selected event and the export title
do not (two links that show the same incidents give the same name). Pure functions: no clock,
no I/O, ASCII only (the name goes into a Content-Disposition header as it is).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

from conflictmap.read.query import EventFilter

PLACE = "deir-ez-zor"
MAX_STEM = 120  # characters before the extension; long filters are cut, the dates are kept
# One type selected: the plural reads as a title ("battles"); several: each in the singular.
TYPE_PLURAL: dict[str, str] = {
    "battle": "battles",
    "explosion_remote_violence": "explosions",
    "violence_against_civilians": "violence-against-civilians",
    "protest": "protests",
    "riot": "riots",
    "strategic_development": "strategic-developments",
}
TYPE_SINGULAR: dict[str, str] = {
    "battle": "battle",
    "explosion_remote_violence": "explosion",
    "violence_against_civilians": "violence-against-civilians",
    "protest": "protest",
    "riot": "riot",
    "strategic_development": "strategic-development",
}
PRECISION_WORDS: dict[int, str] = {1: "town", 2: "near-town", 3: "governorate"}
# Kinds of download that share a view and a format with the map image or the incident list;
# they carry their kind at the end so they do not overwrite each other in a folder.
SUFFIXED_KINDS = ("timeline", "briefing")


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens ("Deir ez-Zor Military Council" -> "deir-ez-zor-...")."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def _types(types: tuple[str, ...]) -> str:
    if not types or set(types) >= set(TYPE_PLURAL):
        return "all-events"
    if len(types) == 1:
        return TYPE_PLURAL.get(types[0], slug(types[0]))
    return "-".join(TYPE_SINGULAR.get(t, slug(t)) for t in types)


def _last_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def date_part(start: date | None, end: date | None) -> str:
    """The dates of a view in a file name.

    "2024" for a whole year, "2023-to-2024" for whole years, "2024-08" for a whole month,
    "2024-08-12" for one day, else "<start>-to-<end>"; "from-<start>" or "to-<end>" when one
    end is open; "" for all dates.
    """
    if start and end:
        if start == end:
            return start.isoformat()
        if start == date(start.year, 1, 1) and end == date(end.year, 12, 31):
            return str(start.year) if start.year == end.year else f"{start.year}-to-{end.year}"
        if start.day == 1 and end == _last_of_month(start):
            return f"{start:%Y-%m}"
        return f"{start.isoformat()}-to-{end.isoformat()}"
    if start:
        return f"from-{start.isoformat()}"
    if end:
        return f"to-{end.isoformat()}"
    return ""


def _filter_words(flt: EventFilter) -> list[str]:
    """Everything besides types and dates that narrows the incidents, in the filter bar's order."""
    words: list[str] = []
    actors = [s for s in (slug(a) for a in flt.actors) if s]
    if actors:
        words.append("involving-" + "-".join(actors))
    zones = [s for s in (slug(z) for z in flt.zones if z != "none") if s]
    if zones:
        words.append("in-" + "-".join(zones) + "-zone" + ("s" if len(zones) > 1 else ""))
    if "none" in flt.zones:  # the filter bar's "outside every zone"
        words.append("outside-zones")
    if flt.min_fatalities:
        words.append(f"{flt.min_fatalities}-plus-killed")
    precisions = [p for p in sorted(flt.precisions) if p in PRECISION_WORDS]
    if precisions and len(precisions) < len(PRECISION_WORDS):
        words.append("located-" + "-".join(PRECISION_WORDS[p] for p in precisions))
    if flt.origins and len(flt.origins) == 1:
        words.append({"reference": "hand-coded", "extracted": "from-reports"}.get(flt.origins[0], ""))
    outlets = [s for s in (slug(o) for o in flt.outlets) if s]
    if outlets:
        words.append("from-" + "-".join(outlets))
    text = slug(flt.text)
    if text:
        words.append("mentioning-" + text)
    return [w for w in words if w]


def download_name(flt: EventFilter, ext: str, kind: str = "") -> str:
    """The file name a download of this view is saved under.

    ``ext`` is the format ("csv", "png", …). ``kind`` "timeline" or "briefing" is added at the
    end (``deir-ez-zor-battles-2024-briefing.pdf``); the map and the incident list need none.
    """
    ext = ext.lower().lstrip(".")
    if not re.fullmatch(r"[a-z0-9]{1,10}", ext):
        raise ValueError(f"not a file extension: {ext!r}")
    head = "-".join([PLACE, _types(flt.types), *_filter_words(flt)])
    tail = "-".join(p for p in (date_part(flt.start, flt.end), kind if kind in SUFFIXED_KINDS else "") if p)
    room = MAX_STEM - len(tail) - 1
    if len(head) > room:
        head = head[:room].rsplit("-", 1)[0]  # cut at a word, never mid-word
    stem = f"{head}-{tail}" if tail else head
    return f"{stem}.{ext}"


def route_download_name(path: str, query: str, fallback: str) -> str:
    """The name for a download served by an export route, from its path and query string.

    ``…/export/<kind>.<ext>`` and ``…/api/events.<ext>`` hold a view, so they are named after
    it; any other route (zones, meta) keeps ``fallback``.
    """
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or "." not in parts[-1]:
        return fallback
    kind, ext = parts[-1].rsplit(".", 1)
    if (parts[-2], kind) in {("api", "events")} or (
        parts[-2] == "export" and kind in ("map", *SUFFIXED_KINDS)
    ):
        return download_name(EventFilter.from_query(query), ext, kind)
    return fallback
