"""EventFilter: every view an analyst can reach, as a typed value that round-trips through a URL.

The dashboard keeps no other state: the controls write a filter into the query string, and
every figure, count, export and the detail panel is computed from the query string alone.
That is what makes a copied link reproduce a view, and an export stamp the view it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import parse_qs, urlencode

from .models import EVENT_TYPES

LAYERS: tuple[str, ...] = ("zones", "events", "sites", "rivers", "borders")
ORIGINS: tuple[str, ...] = ("extracted", "reference")
MAX_TEXT = 200


class FilterError(ValueError):
    """A query string value that cannot be read; the message names the parameter."""


def _parse_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise FilterError(f"{name}={value!r} is not a date (want YYYY-MM-DD)") from exc


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
    layers: tuple[str, ...] = LAYERS
    event: str | None = None  # the selected incident, shown in the detail panel
    lat: float | None = None
    lon: float | None = None
    zoom: float | None = None
    embed: bool = False  # the compact page for intranet iframes; kept so filtering stays embedded
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def zones_date(self, fallback: date) -> date:
        """The as-of date for zones: explicit, else the end of the range, else ``fallback``."""
        return self.as_of or self.end or fallback

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
        if tuple(self.layers) != LAYERS:
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
        return urlencode(pairs)

    @classmethod
    def from_query(cls, query: str | None, strict: bool = False) -> EventFilter:
        """Read a query string. Unknown values are dropped (or raise with ``strict``), never guessed."""
        qs = parse_qs((query or "").lstrip("?"), keep_blank_values=False)
        problems: list[str] = []

        def one(name: str) -> str | None:
            vals = qs.get(name)
            return vals[-1] if vals else None

        def many(name: str) -> list[str]:
            out: list[str] = []
            # Repeated keys, never a separator inside a value: outlet names may contain "|" or ",".
            for v in qs.get(name, []):
                if v.strip():
                    out.append(v.strip())
            return out

        def dated(name: str) -> date | None:
            v = one(name)
            if not v:
                return None
            try:
                return _parse_date(name, v)
            except FilterError as exc:
                problems.append(str(exc))
                return None

        def number(name: str, lo: float, hi: float) -> float | None:
            v = one(name)
            if v is None:
                return None
            try:
                x = float(v)
            except ValueError:
                problems.append(f"{name}={v!r} is not a number")
                return None
            if not lo <= x <= hi:
                problems.append(f"{name}={v!r} is outside {lo}..{hi}")
                return None
            return x

        types = [t for t in many("type") if t in EVENT_TYPES]
        bad_types = [t for t in many("type") if t not in EVENT_TYPES]
        if bad_types:
            problems.append(f"unknown event type(s): {', '.join(bad_types)}")
        precisions = []
        for p in many("prec"):
            if p in ("1", "2", "3"):
                precisions.append(int(p))
            else:
                problems.append(f"prec={p!r} is not 1, 2 or 3")
        origins = [o for o in many("origin") if o in ORIGINS]
        layers_raw = one("layers")
        if layers_raw is None:
            layers: tuple[str, ...] = LAYERS
        elif layers_raw == "none":
            layers = ()
        else:
            layers = tuple(x for x in LAYERS if x in layers_raw.split(","))
        minfat = number("minfat", 0, 100000)
        start, end = dated("start"), dated("end")
        if start and end and start > end:
            problems.append(f"start {start} is after end {end}; swapped them")
            start, end = end, start
        if strict and problems:
            raise FilterError("; ".join(problems))
        return cls(
            start=start,
            end=end,
            as_of=dated("asof"),
            types=tuple(sorted(set(types), key=EVENT_TYPES.index)),
            actors=tuple(dict.fromkeys(many("actor"))),
            min_fatalities=int(minfat or 0),
            precisions=tuple(sorted(set(precisions))),
            zones=tuple(dict.fromkeys(many("zone"))),
            origins=tuple(o for o in ORIGINS if o in origins),
            outlets=tuple(dict.fromkeys(many("outlet"))),
            text=(one("q") or "").strip()[:MAX_TEXT],
            layers=layers,
            event=one("event"),
            lat=number("lat", -90, 90),
            lon=number("lon", -180, 180),
            zoom=number("zoom", 0, 22),
            embed=(one("embed") or "").lower() in ("1", "true", "yes"),
            extra={"problems": "; ".join(problems)} if problems else {},
        )

    def without_view(self) -> EventFilter:
        """The same filter without selection or map position: what decides which events match."""
        return replace(self, event=None, lat=None, lon=None, zoom=None, layers=LAYERS, embed=False)

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
        return " ".join(parts)
