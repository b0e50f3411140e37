"""The kinds of field a view's URL carries, each declared once with everything derived from it.

A filter used to be spelt in seven places (parsing, writing the URL, the title, the mask, the
control, control -> filter, filter -> control), and adding one meant editing all seven. Now a
field of ``EventFilter`` is declared with one of the kinds below, and that declaration says:

- its URL key, how a value is read leniently (each bad value named) and written back;
- what it adds to the view's title (``describe``);
- which incidents it keeps (``match``, over the index's column arrays);
- the control the filter bar shows for it (``Control``: a plain description; the Dash side
  builds the widget from it, so this module stays free of Dash).

Cross-field rules (a start after the end, a latitude without a longitude) are not any one
field's and stay in ``EventFilter.from_query``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np

from conflictmap.params import ParamError, bounded_number

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


class QueryReader:
    """The parsed query string plus the list every field adds its complaints to."""

    def __init__(self, qs: Mapping[str, list[str]]) -> None:
        self.qs = qs
        self.problems: list[str] = []

    def one(self, key: str) -> str | None:
        """The last non-blank value of ``key``; several different values are named."""
        vals = [v.strip() for v in self.qs.get(key, []) if v.strip()]
        if not vals:
            return None
        if len(set(vals)) > 1:
            given = ", ".join(shown(v) for v in dict.fromkeys(vals))
            self.problems.append(
                f"{key} is given {len(vals)} times ({given}); used the last, {shown(vals[-1])}"
            )
        return vals[-1]

    def many(self, key: str) -> list[str]:
        """Every non-blank value of a repeated key, never split on a separator inside a value:
        outlet names may contain "|" or ","."""
        return [v.strip() for v in self.qs.get(key, []) if v.strip()]


class Columns(Protocol):
    """What ``match`` needs from the incident index: column arrays in frame order."""

    def __len__(self) -> int: ...

    def column(self, name: str) -> np.ndarray:
        """The column as a numpy array (cached by the index)."""
        ...

    def isin(self, name: str, values: Sequence[Any]) -> np.ndarray:
        """Rows whose column ``name`` equals any of ``values`` (a blank equals "")."""
        ...

    def any_of(self, name: str, values: Sequence[str]) -> np.ndarray:
        """Rows whose joined-list column (an incident's outlets or sources) holds any of ``values``."""
        ...

    def contains(self, name: str, needle: str, within: np.ndarray) -> np.ndarray:
        """Rows of ``within`` whose text column holds ``needle`` (the search column is lower case)."""
        ...


@dataclass(frozen=True)
class Control:
    """How the filter bar offers a field, in words the Dash side turns into a widget.

    ``kind``: "checklist" (fixed ``options``), "dropdown" (options from the data, named by
    ``options_from``), "date", "date_from"/"date_to" (the two ends of one range picker with this
    ``id``), "number", "search" or "switch" (one tick box). ``row`` 1 is always shown, row 2
    folds under "More filters"."""

    id: str
    kind: str
    label: str
    row: int = 2
    options: tuple[tuple[Any, str], ...] = ()
    options_from: str = ""
    placeholder: str = ""
    width: str = "auto"


@dataclass(frozen=True)
class Param:
    """One URL field. Subclasses say how it is read, written, described and matched.

    ``view``: part of what is shown (selection, map position, layers) rather than of which
    incidents match; ``EventFilter.without_view`` resets these."""

    key: str
    control: Control | None = field(default=None, kw_only=True)
    view: bool = field(default=False, kw_only=True)

    def read(self, q: QueryReader, default: Any) -> Any:
        """The value the link asks for, or ``default``; complaints go to ``q.problems``."""
        raise NotImplementedError

    def write(self, value: Any) -> list[str]:
        """The URL values for ``value`` (one per repeated key), or [] to leave the key out."""
        raise NotImplementedError

    def describe(self, value: Any) -> str:
        """This field's words in the view's title, or ""."""
        return ""

    def match(self, cols: Columns, value: Any, within: np.ndarray) -> np.ndarray | None:
        """Which incidents ``value`` keeps, or None when it keeps all. ``within`` is what the
        fields before it kept: a costly test (text search) need only look at those rows."""
        return None

    def to_control(self, value: Any) -> Any:
        """The value the control shows for ``value``."""
        return list(value) if isinstance(value, tuple) else value

    def from_control(self, raw: Any) -> list[str]:
        """The URL values for what the control holds (read back through ``read``, so a control
        and a pasted link can never disagree)."""
        if raw is None or raw == "":
            return []
        if isinstance(raw, list | tuple):
            return [str(v) for v in raw if str(v).strip()]
        return [str(raw)]


@dataclass(frozen=True)
class DateParam(Param):
    """A day; ``bound`` "min"/"max" keeps incidents on or after / on or before it on ``column``
    (no column: a date that only sets what is drawn, such as the zones' date)."""

    column: str = ""
    bound: str = ""

    def read(self, q: QueryReader, default: Any) -> Any:
        v = q.one(self.key)
        if not v:
            return default
        try:
            return parse_date(self.key, v)
        except FilterError as exc:
            q.problems.append(str(exc))
            return default

    def write(self, value: Any) -> list[str]:
        return [value.isoformat()] if value else []

    def match(self, cols: Columns, value: Any, within: np.ndarray) -> np.ndarray | None:
        if not value or not self.column:
            return None
        day = np.datetime64(value, "ns")
        dates = cols.column(self.column)
        return dates >= day if self.bound == "min" else dates <= day

    def to_control(self, value: Any) -> Any:
        return value.isoformat() if value else None

    def from_control(self, raw: Any) -> list[str]:
        return [str(raw)[:10]] if raw else []


@dataclass(frozen=True)
class ChoiceParam(Param):
    """A repeated key whose values come from a fixed list (event types, precisions, sources).

    An unknown value is dropped and named, the valid ones kept; none valid means "all", said in
    a message (showing nothing would read as "no such events"). Values are kept in the order of
    ``choices``, so two links asking the same thing are the same filter."""

    choices: tuple[str, ...] = ()
    what: str = ""  # "an event type": what an invalid value is not
    everything: str = ""  # "every event type is": what is shown when none could be read
    column: str = ""
    split: bool = False  # the column is a joined list (an incident's sources): any item counts
    cast: Callable[[str], Any] = str
    title: str = ""  # "{}" receives the chosen labels
    title_all: str = ""  # the title when nothing is chosen
    labels: Mapping[str, str] = field(default_factory=dict)
    # Values left out when nothing is chosen ("all" but rejected incidents): shown only when
    # a link or the control asks for them by name.
    unless_chosen: tuple[str, ...] = ()

    def read(self, q: QueryReader, default: Any) -> Any:
        raw = q.many(self.key)
        good = {v for v in raw if v in self.choices}
        for v in raw:
            if v in self.choices:
                continue
            parts = [p.strip() for p in re.split(r"[,|;+ ]+", v) if p.strip()]
            if len(parts) > 1 and all(p in self.choices for p in parts):
                hint = " (give each as its own parameter: " + "&".join(f"{self.key}={p}" for p in parts) + ")"
            else:
                hint = did_you_mean(v, self.choices)
            q.problems.append(
                f"{self.key}={shown(v)} is not {self.what}{hint}; ignored (use one of: {', '.join(self.choices)})"
            )
        if raw and not good:
            q.problems.append(f"no {self.key}= value could be read, so {self.everything} shown")
        return tuple(self.cast(c) for c in self.choices if c in good)

    def write(self, value: Any) -> list[str]:
        return [str(v) for v in value]

    def describe(self, value: Any) -> str:
        if not value:
            return self.title_all
        if not self.title:
            return ""
        return self.title.format(", ".join(self.labels.get(str(v), str(v).replace("_", " ")) for v in value))

    def match(self, cols: Columns, value: Any, within: np.ndarray) -> np.ndarray | None:
        if not self.column:
            return None
        if not value:
            return ~cols.isin(self.column, list(self.unless_chosen)) if self.unless_chosen else None
        if self.split:
            return cols.any_of(self.column, [str(v) for v in value])
        return cols.isin(self.column, list(value))


@dataclass(frozen=True)
class ListParam(Param):
    """A repeated key of free values from the data (actors, zones, outlets), any of which counts.

    A value nobody reported is kept: a link asking for it must show 0 incidents, not all."""

    columns: tuple[str, ...] = ()
    split: bool = False  # each column is a joined list (an incident's outlets)
    title: str = ""

    def read(self, q: QueryReader, default: Any) -> Any:
        return tuple(dict.fromkeys(q.many(self.key))) or default

    def write(self, value: Any) -> list[str]:
        return list(value)

    def describe(self, value: Any) -> str:
        return self.title.format(", ".join(value)) if value and self.title else ""

    def match(self, cols: Columns, value: Any, within: np.ndarray) -> np.ndarray | None:
        if not value:
            return None
        hit = np.zeros(len(cols), dtype=bool)
        for name in self.columns:
            hit |= cols.any_of(name, list(value)) if self.split else cols.isin(name, list(value))
        return hit


@dataclass(frozen=True)
class AtLeastParam(Param):
    """A lower bound on a count column (fatalities); an unknown count counts as 0.

    Not a number or negative: ignored; a fraction is rounded up (at least 2.5 deaths is at least
    3); above ``maximum`` clamped, so an absurd value shows nothing (as asked) without reaching
    numpy as a number it cannot compare."""

    column: str = ""
    maximum: int = 100_000
    what: str = "a count (0 or more)"
    title: str = ""

    def read(self, q: QueryReader, default: Any) -> Any:
        v = q.one(self.key)
        if v is None:
            return default
        try:
            x = float(v)
        except ValueError:
            q.problems.append(f"{self.key}={shown(v)} is not a number; ignored")
            return default
        if math.isnan(x) or x < 0:
            q.problems.append(f"{self.key}={shown(v)} is not {self.what}; ignored")
            return default
        if x > self.maximum:
            q.problems.append(f"{self.key}={shown(v)} is over {self.maximum}; used {self.maximum}")
            return self.maximum
        n = math.ceil(x)
        if n != x:
            q.problems.append(f"{self.key}={shown(v)} is not a whole number; used {n}")
        return n

    def write(self, value: Any) -> list[str]:
        return [str(value)] if value else []

    def describe(self, value: Any) -> str:
        return self.title.format(value) if value and self.title else ""

    def match(self, cols: Columns, value: Any, within: np.ndarray) -> np.ndarray | None:
        return cols.column(self.column) >= value if value else None

    def from_control(self, raw: Any) -> list[str]:
        try:
            n = int(raw or 0)
        except (TypeError, ValueError):
            return []
        return [str(n)] if n > 0 else []


@dataclass(frozen=True)
class TextParam(Param):
    """Words searched in a text column, case-insensitively; long input is cut, and said so."""

    column: str = ""
    max_length: int = 200
    title: str = ""

    def read(self, q: QueryReader, default: Any) -> Any:
        text = q.one(self.key) or default
        if len(text) > self.max_length:
            q.problems.append(
                f"{self.key}= is {len(text)} characters long; only the first {self.max_length} are searched"
            )
            text = text[: self.max_length].strip()
        return text

    def write(self, value: Any) -> list[str]:
        return [value] if value else []

    def describe(self, value: Any) -> str:
        return self.title.format(value) if value and self.title else ""

    def match(self, cols: Columns, value: Any, within: np.ndarray) -> np.ndarray | None:
        if not value:
            return None
        return cols.contains(self.column, value.lower(), within)

    def from_control(self, raw: Any) -> list[str]:
        text = (raw or "").strip()[: self.max_length]
        return [text] if text else []


@dataclass(frozen=True)
class SwitchParam(Param):
    """1 or 0. With ``hides`` named, rows where that boolean column is true are left out unless
    the switch is on (low-confidence candidates)."""

    hides: str = ""
    title: str = ""

    def read(self, q: QueryReader, default: Any) -> Any:
        raw = q.one(self.key)
        on = (raw or "").lower() in ("1", "true", "yes")
        if raw and not on and raw.lower() not in ("0", "false", "no"):
            q.problems.append(f"{self.key}={shown(raw)} is not 1 or 0; ignored")
        return on

    def write(self, value: Any) -> list[str]:
        return ["1"] if value else []

    def describe(self, value: Any) -> str:
        return self.title if value else ""

    def match(self, cols: Columns, value: Any, within: np.ndarray) -> np.ndarray | None:
        if value or not self.hides:
            return None
        return ~cols.column(self.hides).astype(bool)

    def to_control(self, value: Any) -> Any:
        return ["1"] if value else []

    def from_control(self, raw: Any) -> list[str]:
        return ["1"] if raw and "1" in raw else []


@dataclass(frozen=True)
class NumberParam(Param):
    """A number within ``lo..hi`` (map centre and zoom), written with ``digits`` decimals."""

    lo: float = 0.0
    hi: float = 0.0
    digits: int = 4

    def read(self, q: QueryReader, default: Any) -> Any:
        try:
            return bounded_number(self.key, q.one(self.key), self.lo, self.hi, quote=shown)
        except ParamError as exc:
            q.problems.append(f"{exc}; ignored")
            return default

    def write(self, value: Any) -> list[str]:
        return [f"{value:.{self.digits}f}"] if value is not None else []


@dataclass(frozen=True)
class OneOfParam(Param):
    """One value from a fixed list (a playback step: day, week or month); another is named and
    ignored."""

    choices: tuple[str, ...] = ()
    what: str = "a choice"

    def read(self, q: QueryReader, default: Any) -> Any:
        raw = q.one(self.key)
        if raw is None:
            return default
        if raw not in self.choices:
            q.problems.append(
                f"{self.key}={shown(raw)} is not {self.what}{did_you_mean(raw, self.choices)}; "
                f"ignored (use one of: {', '.join(self.choices)})"
            )
            return default
        return raw

    def write(self, value: Any) -> list[str]:
        return [value] if value else []


@dataclass(frozen=True)
class WholeParam(Param):
    """A whole number within ``lo..hi`` (a playback window in days); ``default`` is left out of
    links."""

    lo: int = 0
    hi: int = 0
    default: int = 0

    def read(self, q: QueryReader, default: Any) -> Any:
        try:
            x = bounded_number(self.key, q.one(self.key), self.lo, self.hi, whole=True, quote=shown)
        except ParamError as exc:
            q.problems.append(f"{exc}; ignored")
            return default
        return default if x is None else int(x)

    def write(self, value: Any) -> list[str]:
        return [str(value)] if value != self.default else []


@dataclass(frozen=True)
class WordParam(Param):
    """One free value (the selected incident's id)."""

    def read(self, q: QueryReader, default: Any) -> Any:
        return q.one(self.key) or default

    def write(self, value: Any) -> list[str]:
        return [value] if value else []


@dataclass(frozen=True)
class SetParam(Param):
    """A comma-joined set from ``choices`` in one value (``layers=zones,events``), or "none".

    Unknown names are named; none valid means ``fallback``. Kept in the order of ``choices``."""

    choices: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()
    noun: str = "layer"

    def read(self, q: QueryReader, default: Any) -> Any:
        raw = q.one(self.key)
        if raw is None:
            return self.fallback
        if raw == "none":
            return ()
        asked = [x.strip() for x in raw.split(",") if x.strip()]
        for x in asked:
            if x not in self.choices:
                q.problems.append(
                    f'{self.key}: "{shown(x)}" is not a {self.noun}{did_you_mean(x, self.choices)}; '
                    f"ignored (use {', '.join(self.choices)} or none)"
                )
        chosen = tuple(x for x in self.choices if x in asked)
        if not chosen:
            q.problems.append(
                f"no {self.noun} in {self.key}= could be read, so the default {self.noun}s are shown"
            )
            return self.fallback
        return chosen

    def write(self, value: Any) -> list[str]:
        if tuple(value) == self.fallback:
            return []
        return [",".join(value) if value else "none"]

    def from_control(self, raw: Any) -> list[str]:
        return self.write(tuple(k for k in self.choices if k in (raw or [])))


@dataclass(frozen=True)
class AreaParam(Param):
    """An area drawn on the map: ``lon,lat;lon,lat;...`` (at least three corners), the incidents
    whose point lies inside it kept. A view of "what happened around Hajin" is then a link like
    any other, and survives a reload.

    A corner that is not a number pair within the world's bounds is named and the whole area
    ignored (a partial polygon would be another area than the one drawn); more than
    ``max_points`` corners are thinned evenly, and said so."""

    columns: tuple[str, str] = ("longitude", "latitude")
    max_points: int = 200
    title: str = "in a drawn area"

    def read(self, q: QueryReader, default: Any) -> Any:
        raw = q.one(self.key)
        if raw is None:
            return default
        corners: list[tuple[float, float]] = []
        for i, part in enumerate(p for p in raw.split(";") if p.strip()):
            try:
                lon_s, lat_s = part.split(",")
                lon, lat = float(lon_s), float(lat_s)
            except ValueError:
                q.problems.append(
                    f"{self.key}: corner {i + 1} ({shown(part)}) is not lon,lat; the area is ignored"
                )
                return default
            if not (-180 <= lon <= 180 and -90 <= lat <= 90) or math.isnan(lon) or math.isnan(lat):
                q.problems.append(
                    f"{self.key}: corner {i + 1} ({shown(part)}) is off the globe; the area is ignored"
                )
                return default
            corners.append((round(lon, 4), round(lat, 4)))
        if len(corners) < 3:
            q.problems.append(
                f"{self.key}= needs at least 3 corners (lon,lat;lon,lat;lon,lat); the area is ignored"
            )
            return default
        if len(corners) > self.max_points:
            step = len(corners) / self.max_points
            corners = [corners[int(i * step)] for i in range(self.max_points)]
            q.problems.append(
                f"{self.key}= has over {self.max_points} corners; kept {self.max_points} of them"
            )
        return tuple(corners)

    def write(self, value: Any) -> list[str]:
        return [";".join(f"{lon:.4f},{lat:.4f}" for lon, lat in value)] if value else []

    def describe(self, value: Any) -> str:
        return self.title if value else ""

    def match(self, cols: Columns, value: Any, within: np.ndarray) -> np.ndarray | None:
        if not value:
            return None
        import shapely
        from shapely.geometry import Polygon

        area = Polygon(value)
        if not area.is_valid:  # a lasso that crosses itself: keep what it encloses
            area = shapely.make_valid(area)
        lon = cols.column(self.columns[0]).astype(float)
        lat = cols.column(self.columns[1]).astype(float)
        known = ~(np.isnan(lon) | np.isnan(lat))
        hit = np.zeros(len(lon), dtype=bool)
        rows = np.flatnonzero(within & known)
        hit[rows] = shapely.contains_xy(area, lon[rows], lat[rows]) | shapely.intersects_xy(
            area.boundary, lon[rows], lat[rows]
        )
        return hit

    def from_control(self, raw: Any) -> list[str]:
        return self.write(tuple(tuple(p) for p in raw)) if raw else []


def declared(param: Param, default: Any) -> Any:
    """A dataclass field carrying its declaration (read back by ``params_of``)."""
    return field(default=default, metadata={"param": param})
