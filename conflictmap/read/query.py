"""EventFilter: every view an analyst can reach, as a typed value that round-trips through a URL.

The dashboard keeps no other state: the controls write a filter into the query string, and
every figure, count, export and the detail panel is computed from the query string alone.
That is what makes a copied link reproduce a view, and an export stamp the view it shows.

Links are typed by hand, pasted from mail and cut by chat clients, so a link is read leniently
but never silently: what can be read is kept, and each value that cannot be read, or is read
only in part, is named in ``EventFilter.problems``. The page shows that list next to the
counts; the API answers 400 with it (a script should fail loudly rather than get other rows
than it asked for). What happens to each kind of bad value, and why:

- An unknown value of a list parameter (``type``, ``prec``, ``origin``, ``layers``) is dropped
  and the valid ones are kept. When none is valid the parameter is ignored, which means "all"
  (as an empty tick list does in the filter bar), and a message says so: showing nothing would
  read as "no such events", a false statement about the data.
- A date that is not a date is ignored. ``start`` after ``end`` ignores the whole range instead
  of swapping it: which end is wrong cannot be known, and a guessed range looks like an answer.
- ``minfat`` that is not a number, or negative, is ignored; a fraction is rounded up (at least
  2.5 deaths is at least 3); above ``MAX_MIN_FATALITIES`` it is clamped, so an absurd value
  shows no incident (as asked) without reaching numpy as a number it cannot compare.
- A parameter given twice with different values keeps the last; an unknown parameter name is
  ignored. Both are named.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from urllib.parse import parse_qs, urlencode

from conflictmap.models import EVENT_TYPES
from conflictmap.params import ParamError, bounded_number

LAYERS: tuple[str, ...] = ("zones", "events", "labels", "arabic", "sites", "rivers", "borders")
# What a view without ``layers=`` shows: every layer but the Arabic place names, which double
# the labels and are asked for by those who read them (``layers=...,arabic``).
DEFAULT_LAYERS: tuple[str, ...] = tuple(k for k in LAYERS if k != "arabic")
ORIGINS: tuple[str, ...] = ("extracted", "reference")
PRECISIONS: tuple[str, ...] = ("1", "2", "3")
MAX_TEXT = 200
MAX_MIN_FATALITIES = 100_000
# Every parameter a view's query string may carry; anything else is named as not understood.
FILTER_PARAMS: tuple[str, ...] = (
    "start",
    "end",
    "asof",
    "type",
    "actor",
    "minfat",
    "prec",
    "zone",
    "origin",
    "outlet",
    "q",
    "layers",
    "event",
    "lat",
    "lon",
    "zoom",
    "embed",
    "cand",
)
MAX_PROBLEMS = 20  # a hostile link with a thousand bad values gets a short list, not a wall
MAX_SHOWN = 60  # characters of an untrusted value quoted back in a message


class FilterError(ValueError):
    """A query string value that cannot be read; the message names the parameter."""


def shown(value: str) -> str:
    """An untrusted value as quoted back in a message: control characters escaped, clipped.

    It stays plain text wherever it goes (a Dash text child, JSON, text/plain); this only keeps
    a message readable and short.
    """
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def suggest(value: str, choices: Iterable[str]) -> str | None:
    """The choice a mistyped value most likely meant ("battles" -> "battle"), or None."""
    norm = _norm(value)
    normed = {_norm(c): c for c in choices}
    if not norm:
        return None
    if norm in normed:
        return normed[norm]
    if len(norm) >= 3:
        for n, choice in normed.items():
            head = n.split("_")[0]
            if n.startswith(norm) or (len(head) >= 3 and norm.startswith(head)):
                return choice
    close = difflib.get_close_matches(norm, list(normed), n=1, cutoff=0.7)
    return normed[close[0]] if close else None


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' for a message, or "" when nothing is close."""
    hint = suggest(value, choices)
    return f' (did you mean "{hint}"?)' if hint and hint != value else ""


def parse_date(name: str, value: str) -> date:
    """YYYY-MM-DD, or an ISO date-time (its date); anything else raises naming ``name``."""
    v = value.strip()
    try:
        return date.fromisoformat(v)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(v).date()
    except ValueError as exc:
        raise FilterError(f"{name}={shown(value)} is not a date (want YYYY-MM-DD); ignored") from exc


def unknown_params(qs: Mapping[str, list[str]], known: Iterable[str]) -> list[str]:
    """One message per parameter name in ``qs`` (from ``parse_qs``) that is not in ``known``."""
    names = sorted(set(known))
    out = []
    for name, vals in qs.items():
        if name in names:
            continue
        value = next((v for v in reversed(vals) if v.strip()), "")
        said = f"{shown(name)}={shown(value)}" if value else shown(name)
        out.append(f"unknown parameter {shown(name)}{did_you_mean(name, names)}; {said} ignored")
    return out


@dataclass(frozen=True)
class EventFilter:
    """What the analyst asked to see. Empty tuples mean "all"."""

    start: date | None = None
    end: date | None = None
    as_of: date | None = None  # zones' date; None means the end of the range
    types: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    min_fatalities: int = 0
    precisions: tuple[int, ...] = ()
    zones: tuple[str, ...] = ()  # controllers at the event's date; "none" = outside every zone
    origins: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    text: str = ""
    layers: tuple[str, ...] = DEFAULT_LAYERS
    event: str | None = None  # the selected incident, shown in the detail panel
    lat: float | None = None
    lon: float | None = None
    zoom: float | None = None
    embed: bool = False  # the compact page for intranet iframes; kept so filtering stays embedded
    # Low-confidence candidates (conflictmap.confidence) are left out unless asked for.
    candidates: bool = False
    # What the link asked for that was not understood, one message per value; not part of the
    # view (two links showing the same thing are the same filter, and caches key on it).
    problems: tuple[str, ...] = field(default=(), compare=False)

    # ---- URL --------------------------------------------------------------------------------
    def to_query(self) -> str:
        """Query string (without "?"); defaults are left out so links stay short and stable."""
        pairs: list[tuple[str, str]] = []
        if self.start:
            pairs.append(("start", self.start.isoformat()))
        if self.end:
            pairs.append(("end", self.end.isoformat()))
        if self.as_of:
            pairs.append(("asof", self.as_of.isoformat()))
        pairs += [("type", t) for t in self.types]
        pairs += [("actor", a) for a in self.actors]
        if self.min_fatalities:
            pairs.append(("minfat", str(self.min_fatalities)))
        pairs += [("prec", str(p)) for p in self.precisions]
        pairs += [("zone", z) for z in self.zones]
        pairs += [("origin", o) for o in self.origins]
        pairs += [("outlet", o) for o in self.outlets]
        if self.text:
            pairs.append(("q", self.text))
        if tuple(self.layers) != DEFAULT_LAYERS:
            pairs.append(("layers", ",".join(self.layers) if self.layers else "none"))
        if self.event:
            pairs.append(("event", self.event))
        if self.lat is not None and self.lon is not None:
            pairs.append(("lat", f"{self.lat:.4f}"))
            pairs.append(("lon", f"{self.lon:.4f}"))
        if self.zoom is not None:
            pairs.append(("zoom", f"{self.zoom:.2f}"))
        if self.embed:
            pairs.append(("embed", "1"))
        if self.candidates:
            pairs.append(("cand", "1"))
        return urlencode(pairs)

    @classmethod
    def from_query(cls, query: str | None, strict: bool = False, allow: Iterable[str] = ()) -> EventFilter:
        """Read a query string: keep what can be read, name the rest in ``problems``.

        ``allow`` names further parameters the caller reads itself (an export's ``width``), so
        they are not reported as unknown. ``strict`` raises ``FilterError`` instead.
        """
        qs = parse_qs((query or "").lstrip("?"), keep_blank_values=True)
        problems: list[str] = []

        def one(name: str) -> str | None:
            vals = [v.strip() for v in qs.get(name, []) if v.strip()]
            if not vals:
                return None
            if len(set(vals)) > 1:
                given = ", ".join(shown(v) for v in dict.fromkeys(vals))
                problems.append(
                    f"{name} is given {len(vals)} times ({given}); used the last, {shown(vals[-1])}"
                )
            return vals[-1]

        def many(name: str) -> list[str]:
            # Repeated keys, never a separator inside a value: outlet names may contain "|" or ",".
            return [v.strip() for v in qs.get(name, []) if v.strip()]

        def dated(name: str) -> date | None:
            v = one(name)
            if not v:
                return None
            try:
                return parse_date(name, v)
            except FilterError as exc:
                problems.append(str(exc))
                return None

        def number(name: str, lo: float, hi: float) -> float | None:
            try:
                return bounded_number(name, one(name), lo, hi, quote=shown)
            except ParamError as exc:
                problems.append(f"{exc}; ignored")
                return None

        def chosen(name: str, choices: Sequence[str], what: str, everything: str) -> list[str]:
            """Valid values of a list parameter; each invalid one named, "all" when none is valid."""
            raw = many(name)
            good = [v for v in raw if v in choices]
            for v in raw:
                if v in choices:
                    continue
                parts = [p.strip() for p in re.split(r"[,|;+ ]+", v) if p.strip()]
                if len(parts) > 1 and all(p in choices for p in parts):
                    hint = " (give each as its own parameter: " + "&".join(f"{name}={p}" for p in parts) + ")"
                else:
                    hint = did_you_mean(v, choices)
                problems.append(
                    f"{name}={shown(v)} is not {what}{hint}; ignored (use one of: {', '.join(choices)})"
                )
            if raw and not good:
                problems.append(f"no {name}= value could be read, so {everything} shown")
            return good

        def switch(name: str) -> bool:
            raw = one(name)
            on = (raw or "").lower() in ("1", "true", "yes")
            if raw and not on and raw.lower() not in ("0", "false", "no"):
                problems.append(f"{name}={shown(raw)} is not 1 or 0; ignored")
            return on

        def min_fatalities() -> int:
            v = one("minfat")
            if v is None:
                return 0
            try:
                x = float(v)
            except ValueError:
                problems.append(f"minfat={shown(v)} is not a number; ignored")
                return 0
            if math.isnan(x) or x < 0:
                problems.append(f"minfat={shown(v)} is not a count of fatalities (0 or more); ignored")
                return 0
            if x > MAX_MIN_FATALITIES:
                problems.append(f"minfat={shown(v)} is over {MAX_MIN_FATALITIES}; used {MAX_MIN_FATALITIES}")
                return MAX_MIN_FATALITIES
            n = math.ceil(x)
            if n != x:
                problems.append(f"minfat={shown(v)} is not a whole number; used {n}")
            return n

        start, end = dated("start"), dated("end")
        if start and end and start > end:
            problems.append(
                f"start={start} is after end={end}; the date range is ignored "
                "(not swapped: which of the two is wrong cannot be known)"
            )
            start = end = None
        as_of = dated("asof")
        types = chosen("type", EVENT_TYPES, "an event type", "every event type is")
        actors = tuple(dict.fromkeys(many("actor")))
        minfat = min_fatalities()
        precisions = chosen("prec", PRECISIONS, "a location precision", "every precision is")
        zones = tuple(dict.fromkeys(many("zone")))
        origins = chosen("origin", ORIGINS, "a source", "every source is")
        outlets = tuple(dict.fromkeys(many("outlet")))
        text = one("q") or ""
        if len(text) > MAX_TEXT:
            problems.append(f"q= is {len(text)} characters long; only the first {MAX_TEXT} are searched")
            text = text[:MAX_TEXT].strip()
        layers = _layers(one("layers"), problems)
        event = one("event")
        lat, lon = number("lat", -90, 90), number("lon", -180, 180)
        if (lat is None) != (lon is None):
            given, missing = ("lat", "lon") if lat is not None else ("lon", "lat")
            problems.append(f"{given}= without a valid {missing}=; the map position is ignored")
            lat = lon = None
        zoom = number("zoom", 0, 22)
        embed = switch("embed")
        candidates = switch("cand")

        problems += unknown_params(qs, (*FILTER_PARAMS, *allow))

        if len(problems) > MAX_PROBLEMS:
            problems[MAX_PROBLEMS - 1 :] = [f"… and {len(problems) - MAX_PROBLEMS + 1} more"]
        if strict and problems:
            raise FilterError("; ".join(problems))
        return cls(
            start=start,
            end=end,
            as_of=as_of,
            types=tuple(sorted(set(types), key=EVENT_TYPES.index)),
            actors=actors,
            min_fatalities=minfat,
            precisions=tuple(sorted({int(p) for p in precisions})),
            zones=zones,
            origins=tuple(o for o in ORIGINS if o in origins),
            outlets=outlets,
            text=text,
            layers=layers,
            event=event,
            lat=lat,
            lon=lon,
            zoom=zoom,
            embed=embed,
            candidates=candidates,
            problems=tuple(problems),
        )

    def without_view(self) -> EventFilter:
        """The same filter without selection or map position: what decides which events match."""
        return replace(self, event=None, lat=None, lon=None, zoom=None, layers=DEFAULT_LAYERS, embed=False)

    def describe(self) -> str:
        """A short human title for the view, used by exports and the page title."""
        parts = []
        if self.types:
            parts.append(", ".join(t.replace("_", " ") for t in self.types))
        else:
            parts.append("All events")
        if self.actors:
            parts.append("involving " + ", ".join(self.actors))
        if self.zones:
            parts.append("in zones held by " + ", ".join(self.zones))
        if self.min_fatalities:
            parts.append(f"with at least {self.min_fatalities} fatalities")
        if self.text:
            parts.append(f'mentioning "{self.text}"')
        if self.candidates:
            parts.append("(with low-confidence candidates)")
        return " ".join(parts)


def _layers(raw: str | None, problems: list[str]) -> tuple[str, ...]:
    """``layers=zones,events`` or ``none``; unknown names are named, and none valid means the
    default layers."""
    if raw is None:
        return DEFAULT_LAYERS
    if raw == "none":
        return ()
    asked = [x.strip() for x in raw.split(",") if x.strip()]
    for x in asked:
        if x not in LAYERS:
            problems.append(
                f'layers: "{shown(x)}" is not a layer{did_you_mean(x, LAYERS)}; '
                f"ignored (use {', '.join(LAYERS)} or none)"
            )
    layers = tuple(x for x in LAYERS if x in asked)
    if not layers:
        problems.append("no layer in layers= could be read, so the default layers are shown")
        return DEFAULT_LAYERS
    return layers
