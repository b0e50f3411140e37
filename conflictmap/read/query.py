"""EventFilter: every view an analyst can reach, as a typed value that round-trips through a URL.

Each field is declared once (``conflictmap.read.fields``): its URL key, how it is read and
written, its words in the view's title, which incidents it keeps and the control that sets it.
Adding a filter is one field here and its test; the URL, the title, the index's mask and the
filter bar follow.

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

from collections.abc import Iterable, Iterator
from dataclasses import Field, dataclass, field, fields, replace
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode

import numpy as np

from conflictmap.models import EVENT_LABELS, EVENT_TYPES, PRECISION_LABELS
from conflictmap.read.fields import (
    AreaParam,
    AtLeastParam,
    ChoiceParam,
    Columns,
    Control,
    DateParam,
    FilterError,
    ListParam,
    NumberParam,
    OneOfParam,
    Param,
    QueryReader,
    SetParam,
    SwitchParam,
    TextParam,
    WholeParam,
    WordParam,
    declared,
    did_you_mean,
    parse_date,
    shown,
    suggest,
    unknown_params,
)

__all__ = [
    "DEFAULT_LAYERS",
    "LAYERS",
    "ORIGINS",
    "REVIEW_STATUSES",
    "EventFilter",
    "FilterError",
    "did_you_mean",
    "params_of",
    "parse_date",
    "shown",
    "suggest",
    "unknown_params",
]

LAYERS: tuple[str, ...] = ("zones", "events", "density", "labels", "arabic", "sites", "rivers", "borders")
# What a view without ``layers=`` shows: every layer but the Arabic place names, which double
# the labels and are asked for by those who read them (``layers=...,arabic``), and the density
# layer asked for by name (the map also switches to density by itself when circles would crowd).
DEFAULT_LAYERS: tuple[str, ...] = tuple(k for k in LAYERS if k not in ("arabic", "density"))
LAYER_LABELS = {
    "zones": "Control zones",
    "events": "Events",
    "density": "Density of incidents",
    "labels": "Place names",
    "arabic": "Place names in Arabic",
    "sites": "Key sites",
    "rivers": "Rivers",
    "borders": "Borders",
}
ORIGINS: tuple[str, ...] = ("extracted", "reference", "analyst", "acled", "ucdp")
ORIGIN_LABELS = {
    "extracted": "read from articles",
    "reference": "reference (hand-coded)",
    "analyst": "added by an analyst",
    "acled": "ACLED (imported)",
    "ucdp": "UCDP GED (imported)",
}
# An incident's review status (conflictmap.review): the machine's reading until an analyst
# confirms, corrects or rejects it. Rejected incidents stay in the store, hidden unless asked for.
REVIEW_STATUSES: tuple[str, ...] = ("unreviewed", "confirmed", "corrected", "rejected")
REVIEW_LABELS = {
    "unreviewed": "not yet reviewed (machine)",
    "confirmed": "confirmed by an analyst",
    "corrected": "corrected by an analyst",
    "rejected": "rejected (hidden unless ticked)",
}
PRECISIONS: tuple[str, ...] = tuple(str(p) for p in PRECISION_LABELS)
PLAY_STEPS: tuple[str, ...] = ("day", "week", "month")
DEFAULT_WINDOW = 30  # days a playback step shows: "the last 30 days" at each step
MAX_TEXT = 200
MAX_MIN_FATALITIES = 100_000
MAX_PROBLEMS = 20  # a hostile link with a thousand bad values gets a short list, not a wall


@dataclass(frozen=True)
class EventFilter:
    """What the analyst asked to see. Empty tuples mean "all". Fields are matched in this order
    (the text search last, so it reads only the rows the others kept)."""

    start: date | None = declared(
        DateParam(
            "start",
            column="event_date",
            bound="min",
            control=Control("filter-dates", "date_from", "Date range", row=1),
        ),
        None,
    )
    end: date | None = declared(
        DateParam(
            "end",
            column="event_date",
            bound="max",
            control=Control("filter-dates", "date_to", "Date range", row=1),
        ),
        None,
    )
    # The zones' date; None means the end of the range. Sets what is drawn, not what matches.
    as_of: date | None = declared(
        DateParam(
            "asof", control=Control("filter-as-of", "date", "Zones as of", row=1, placeholder="end of range")
        ),
        None,
    )
    types: tuple[str, ...] = declared(
        ChoiceParam(
            "type",
            choices=EVENT_TYPES,
            what="an event type",
            everything="every event type is",
            column="event_type",
            title="{}",
            title_all="All events",
            control=Control(
                "filter-types",
                "checklist",
                "Event types (none ticked = all)",
                row=1,
                options=tuple(EVENT_LABELS.items()),
                width="3",
            ),
        ),
        (),
    )
    actors: tuple[str, ...] = declared(
        ListParam(
            "actor",
            columns=("actor1", "actor2"),
            title="involving {}",
            control=Control(
                "filter-actors",
                "dropdown",
                "Actors",
                options_from="actors",
                placeholder="any actor",
                width="2",
            ),
        ),
        (),
    )
    min_fatalities: int = declared(
        AtLeastParam(
            "minfat",
            column="fatalities",
            maximum=MAX_MIN_FATALITIES,
            what="a count of fatalities (0 or more)",
            title="with at least {} fatalities",
            control=Control("filter-min-fatalities", "number", "Min. fatalities"),
        ),
        0,
    )
    precisions: tuple[int, ...] = declared(
        ChoiceParam(
            "prec",
            choices=PRECISIONS,
            what="a location precision",
            everything="every precision is",
            column="geo_precision",
            cast=int,
            control=Control(
                "filter-precision",
                "checklist",
                "Location precision",
                options=tuple((k, f"{k}: {v}") for k, v in PRECISION_LABELS.items()),
                width="2",
            ),
        ),
        (),
    )
    # Controllers at the event's date; "none" = outside every zone.
    zones: tuple[str, ...] = declared(
        ListParam(
            "zone",
            columns=("zone",),
            title="in zones held by {}",
            control=Control(
                "filter-zones",
                "dropdown",
                "Zone held by (on the event's date)",
                options_from="zones",
                placeholder="any zone",
                width="2",
            ),
        ),
        (),
    )
    # An incident counts under a source when any of its reports came from it.
    origins: tuple[str, ...] = declared(
        ChoiceParam(
            "origin",
            choices=ORIGINS,
            what="a source",
            everything="every source is",
            column="origins",
            split=True,
            control=Control("filter-origins", "checklist", "Source", options=tuple(ORIGIN_LABELS.items())),
        ),
        (),
    )
    review: tuple[str, ...] = declared(
        ChoiceParam(
            "review",
            choices=REVIEW_STATUSES,
            what="a review status",
            everything="every status but rejected is",
            column="review_status",
            title="review: {}",
            unless_chosen=("rejected",),
            control=Control(
                "filter-review", "checklist", "Review status", options=tuple(REVIEW_LABELS.items())
            ),
        ),
        (),
    )
    outlets: tuple[str, ...] = declared(
        ListParam(
            "outlet",
            columns=("outlets",),
            split=True,
            control=Control(
                "filter-outlets",
                "dropdown",
                "Outlet",
                options_from="outlets",
                placeholder="any outlet",
                width="2",
            ),
        ),
        (),
    )
    # Low-confidence candidates (conflictmap.confidence) are left out unless asked for; drawn
    # as rings when on, so they never pass for reported incidents.
    candidates: bool = declared(
        SwitchParam(
            "cand",
            hides="candidate",
            title="(with low-confidence candidates)",
            control=Control(
                "filter-candidates",
                "switch",
                "Confidence",
                options=(("1", "show low-confidence candidates (rings)"),),
            ),
        ),
        False,
    )
    # An area drawn on the map (box or lasso), as its corners (lon, lat).
    area: tuple[tuple[float, float], ...] = declared(AreaParam("area"), ())
    text: str = declared(
        TextParam(
            "q",
            column="search",
            max_length=MAX_TEXT,
            title='mentioning "{}"',
            control=Control(
                "filter-text", "search", "Search evidence", row=1, placeholder="words in the reports"
            ),
        ),
        "",
    )
    layers: tuple[str, ...] = declared(
        SetParam(
            "layers",
            choices=LAYERS,
            fallback=DEFAULT_LAYERS,
            view=True,
            control=Control(
                "filter-layers", "checklist", "Layers", options=tuple(LAYER_LABELS.items()), width="2"
            ),
        ),
        DEFAULT_LAYERS,
    )
    event: str | None = declared(WordParam("event", view=True), None)  # the selected incident
    lat: float | None = declared(NumberParam("lat", lo=-90, hi=90, digits=4, view=True), None)
    lon: float | None = declared(NumberParam("lon", lo=-180, hi=180, digits=4, view=True), None)
    zoom: float | None = declared(NumberParam("zoom", lo=0, hi=22, digits=2, view=True), None)
    # The compact page for intranet iframes; kept so filtering stays embedded.
    embed: bool = declared(SwitchParam("embed", view=True), False)
    # Playback (components/playback_panel.py): the step each press or tick moves the dates by,
    # and the window of days each step shows; the step itself is the view's start and end.
    play: str | None = declared(
        OneOfParam("play", choices=PLAY_STEPS, what="a playback step", view=True), None
    )
    window: int = declared(
        WholeParam("window", lo=1, hi=3660, default=DEFAULT_WINDOW, view=True), DEFAULT_WINDOW
    )
    # What the link asked for that was not understood, one message per value; not part of the
    # view (two links showing the same thing are the same filter, and caches key on it).
    problems: tuple[str, ...] = field(default=(), compare=False)

    # ---- URL --------------------------------------------------------------------------------
    def to_query(self) -> str:
        """Query string (without "?"); defaults are left out so links stay short and stable."""
        pairs: list[tuple[str, str]] = []
        for name, param in params_of():
            value = getattr(self, name)
            if name in ("lat", "lon") and (self.lat is None or self.lon is None):
                continue  # a position is a pair or nothing
            pairs += [(param.key, v) for v in param.write(value)]
        return urlencode(pairs)

    @classmethod
    def from_query(cls, query: str | None, strict: bool = False, allow: Iterable[str] = ()) -> EventFilter:
        """Read a query string: keep what can be read, name the rest in ``problems``.

        ``allow`` names further parameters the caller reads itself (an export's ``width``), so
        they are not reported as unknown. ``strict`` raises ``FilterError`` instead.
        """
        q = QueryReader(parse_qs((query or "").lstrip("?"), keep_blank_values=True))
        values: dict[str, Any] = {}
        for f in fields(cls):
            if (param := _declared(f)) is not None:
                values[f.name] = param.read(q, f.default)
            if f.name == "end":
                start, end = values["start"], values["end"]
                if start and end and start > end:
                    q.problems.append(
                        f"start={start} is after end={end}; the date range is ignored "
                        "(not swapped: which of the two is wrong cannot be known)"
                    )
                    values["start"] = values["end"] = None
            if f.name == "lon" and (values["lat"] is None) != (values["lon"] is None):
                given, missing = ("lat", "lon") if values["lat"] is not None else ("lon", "lat")
                q.problems.append(f"{given}= without a valid {missing}=; the map position is ignored")
                values["lat"] = values["lon"] = None
        problems = q.problems + unknown_params(q.qs, (*FILTER_PARAMS, *allow))
        if len(problems) > MAX_PROBLEMS:
            problems[MAX_PROBLEMS - 1 :] = [f"… and {len(problems) - MAX_PROBLEMS + 1} more"]
        if strict and problems:
            raise FilterError("; ".join(problems))
        return cls(**values, problems=tuple(problems))

    def without_view(self) -> EventFilter:
        """The same filter without selection, map position, layers or embedding: what decides
        which events match (the fields declared ``view=True`` go back to their defaults)."""
        reset: dict[str, Any] = {}
        for f in fields(self):
            param = _declared(f)
            if param is not None and param.view:
                reset[f.name] = f.default
        return replace(self, **reset)

    def describe(self) -> str:
        """A short human title for the view, used by exports and the page title."""
        return " ".join(w for name, param in params_of() if (w := param.describe(getattr(self, name))))

    def mask(self, cols: Columns) -> np.ndarray:
        """Which incidents the filter keeps, as a boolean array in the index's row order.

        Each field keeps what its declaration matches; several values of one field are an OR."""
        m = np.ones(len(cols), dtype=bool)
        for name, param in params_of():
            hit = param.match(cols, getattr(self, name), m)
            if hit is not None:
                m &= hit
        return m


def _declared(f: Field[Any]) -> Param | None:
    """The declaration a field carries, or None (``problems``)."""
    param = f.metadata.get("param")
    return param if isinstance(param, Param) else None


def params_of() -> Iterator[tuple[str, Param]]:
    """Each declared field of ``EventFilter`` (name and declaration), in declaration order."""
    for f in fields(EventFilter):
        if (param := _declared(f)) is not None:
            yield f.name, param


# Every parameter a view's query string may carry; anything else is named as not understood.
FILTER_PARAMS: tuple[str, ...] = tuple(p.key for _, p in params_of())
