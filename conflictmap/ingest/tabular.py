"""The CSV machinery shared by the dataset imports (``ingest.acled``, ``ingest.ucdp``).

An imported dataset reaches us as a CSV export with a header. Each row is read on its own: a row
that cannot be read is *refused* (named by ``file:line`` or ``file:first-last``, with the column,
the value and why), a well-formed row the import leaves out by rule is *skipped* and counted,
and a file that cannot be read at all (missing, UTF-16, a required column absent) is a
*problem*. One bad row never stops the rest. What each dataset's columns mean is decided in its
own module; what is here knows no dataset:

* ``read_rows``: the data rows of one file, decoded line by line (UTF-8 with or without a byte
  order mark; a line that is not UTF-8, holds a NUL or is longer than
  ``IngestLimits.max_line_bytes`` refuses only the record that holds it);
* ``convert_rows``: every row through a dataset's ``to_event``, duplicates of the id refused;
* ``ImportResult``: the events and every refusal, skip and problem, with ``counts``/``report``;
  ``combine`` joins the results of several files of one dataset for one ``replace_origin``;
* field parsers (``row_id``, ``whole``, ``coordinates``, ``parse_day``, ``check_day``,
  ``text_cell``, ``is_deir_ez_zor``, ``map_actor``), each raising ``RowError`` (refuse) or
  ``Skip`` (leave out) with the column and value.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from conflictmap.config import IngestLimits
from conflictmap.ingest.files import Refused, iter_lines, open_regular
from conflictmap.models import REGIME_CHANGE, Event

# A dataset's actor table maps the Syrian state's forces to this marker; ``map_actor`` names
# them by the date (EVENTS.md: "regime" only before 8 Dec 2024).
SYRIAN_STATE = "<syrian state>"

# Deir ez-Zor as the governorate is spelled in ACLED (Deir ez Zor), UCDP (Dayr az Zawr
# governorate), GeoNames and the outlets; compared with letters only, lower case.
_DEZ_LATIN = re.compile(r"^da?e?[iy]r(e|a)?[zl]?z(o|ou|aw|u)r$")
_DEZ_ARABIC = "ديرالزور"
_ADMIN_WORDS = re.compile(r"\b(governorate|province|muhafazat|mohafazat)\b", re.I)
# Generous box around the governorate: a point outside it is a typo or swapped coordinates.
DEZ_BOX = (33.5, 38.5, 36.5, 42.0)  # south, west, north, east
MAX_ACTOR = 120  # events.actor1/actor2 are String(120) in the store
MAX_ID = 60  # events.event_id is String(80), with "acled:" or "ucdp:" in front


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Refusal:
    """One row not imported: where (file:line), which column and value, and why."""

    where: str
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        shown = "" if self.value is None else f"={_shown(self.value)}"
        return (
            f"{self.where}: {self.column}{shown}: {self.message}"
            if self.column
            else f"{self.where}: {self.message}"
        )


@dataclass
class ImportResult:
    """What one import read: the events to store, and every row refused or left out, with why.

    ``refused``: rows that could not be read (the command should exit non-zero). ``skipped``:
    well-formed rows the import leaves out by rule (outside Deir ez-Zor, too vague to place or
    date), listed so the report can say so. ``problems``: the file as a whole could not be read.
    """

    origin: str
    path: str
    licence: str
    events: list[Event] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    skipped: list[Refusal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    read: int = 0  # data rows read (blank lines not counted)
    rows: dict[str, str] = field(default_factory=dict)  # event_id -> where its row is (file:line)

    @property
    def stored(self) -> int:
        """Rows turned into events: what ``EventStore.replace_origin(origin, events)`` stores."""
        return len(self.events)

    @property
    def ok(self) -> bool:
        """Nothing refused and the file readable: the command line exits 0."""
        return not self.refused and not self.problems

    def counts(self) -> dict[str, int]:
        """read / stored / refused / skipped, for the report and the exit status."""
        return {
            "read": self.read,
            "stored": self.stored,
            "refused": len(self.refused),
            "skipped": len(self.skipped),
        }

    def report(self, limit: int = 20) -> list[str]:
        """Lines for the command line: the counts, the licence, then each refusal (the first
        ``limit``) and the reasons rows were skipped, counted."""
        c = self.counts()
        lines = [
            f"{self.path}: {c['read']} rows read, {c['stored']} stored as origin {self.origin!r}, "
            f"{c['refused']} refused, {c['skipped']} skipped",
            f"licence: {self.licence}",
        ]
        lines += [f"not read: {p}" for p in self.problems]
        lines += [f"refused: {r}" for r in self.refused[:limit]]
        if len(self.refused) > limit:
            lines.append(f"... and {len(self.refused) - limit} more refused")
        why: dict[str, int] = {}
        for s in self.skipped:
            why[s.message] = why.get(s.message, 0) + 1
        lines += [f"skipped {n}: {message}" for message, n in sorted(why.items())]
        return lines


class RowError(ValueError):
    """A value that cannot be read; carries the column and value for the refusal."""

    def __init__(self, column: str | None, value: str | None, message: str) -> None:
        super().__init__(message)
        self.column, self.value, self.message = column, value, message


class Skip(RowError):
    """A well-formed row the import leaves out by rule (see ``ImportResult.skipped``)."""


# ---------------------------------------------------------------------------- reading the CSV


@dataclass(frozen=True)
class Row:
    """One CSV record: where it is (``file:line`` or ``file:first-last``) and its values by column."""

    where: str
    values: dict[str, str]

    def get(self, column: str) -> str:
        """The value, stripped; "" when the column is absent or empty."""
        return (self.values.get(column) or "").strip()


def _decoded(fh: Any, limit: int, bad: dict[int, str]) -> Iterator[str]:
    """The file's lines as text, one per physical line, so csv's ``line_num`` is the file's line
    number. A line that is not UTF-8, holds a NUL or is too long is noted in ``bad`` and given
    to csv anyway (repaired), so the record around it is refused and the next ones are read."""
    for line in iter_lines(fh, limit):
        data = line.data
        if data is None:
            bad[line.number] = f"line {line.number} is longer than {limit:,} bytes"
            yield "\n"
            continue
        if line.number == 1:
            data = data.removeprefix(b"\xef\xbb\xbf")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[line.number] = f"line {line.number} is not valid UTF-8 (byte {exc.start + 1})"
            text = data.decode("utf-8", "replace")
        if "\x00" in text:
            bad[line.number] = f"line {line.number} holds a NUL byte"
            text = text.replace("\x00", "")
        yield text + "\n"


def read_rows(
    path: Path, result: ImportResult, required: tuple[str, ...], limits: IngestLimits | None = None
) -> Iterator[Row]:
    """The data rows of a CSV file with a header, each a ``Row``; refusals go into ``result``.

    Column names are matched without case or surrounding spaces. A file that cannot be opened,
    is UTF-16 (a spreadsheet's "Unicode text"), or lacks a required column is a ``problem`` and
    gives no rows; a record with the wrong number of fields, or a bad line inside it, is refused.
    """
    limits = limits or IngestLimits()
    name = path.name
    try:
        fh = open_regular(path, name)
    except Refused as exc:
        result.problems.append(str(exc))
        return
    with fh:
        head = fh.read(4)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            result.problems.append(f"{name}: UTF-16 text; save the export as CSV UTF-8")
            return
        fh.seek(0)
        bad: dict[int, str] = {}
        reader = csv.reader(_decoded(fh, limits.max_line_bytes, bad), strict=False)
        header: list[str] | None = None
        last = 0
        while True:
            try:
                fields = next(reader)
                error = None
            except StopIteration:
                break
            except csv.Error as exc:
                fields, error = [], str(exc)
            first, last = last + 1, reader.line_num
            where = f"{name}:{first}" if first == last else f"{name}:{first}-{last}"
            if header is None:
                if error or not any(f.strip() for f in fields):
                    result.problems.append(f"{where}: no header row ({error or 'empty'})")
                    return
                header = [f.strip().lower() for f in fields]
                missing = [c for c in required if c not in header]
                if missing:
                    result.problems.append(f"{name}: no column {', '.join(missing)} in the header")
                    return
                continue
            if not error and not any(f.strip() for f in fields):
                continue  # a blank line
            result.read += 1
            damaged = [bad[n] for n in range(first, last + 1) if n in bad]
            if error or damaged:
                result.refused.append(Refusal(where, None, None, "; ".join(damaged) or f"not CSV ({error})"))
            elif len(fields) != len(header):
                message = f"{len(fields)} fields where the header has {len(header)}"
                if last > first:
                    message += f" (a quote opened on line {first} may not be closed)"
                result.refused.append(Refusal(where, None, None, message))
            else:
                yield Row(where, dict(zip(header, fields, strict=True)))


def convert_rows(
    path: str | Path,
    origin: str,
    licence: str,
    required: tuple[str, ...],
    to_event: Callable[[Row, IngestLimits], Event],
    id_column: str,
    limits: IngestLimits | None = None,
) -> ImportResult:
    """Read every row of ``path`` through ``to_event``; one bad row never stops the rest."""
    path = Path(path)
    limits = limits or IngestLimits()
    result = ImportResult(origin=origin, path=str(path), licence=licence)
    seen: dict[str, str] = {}
    for row in read_rows(path, result, required, limits):
        try:
            event = to_event(row, limits)
        except Skip as exc:
            result.skipped.append(Refusal(row.where, exc.column, exc.value, exc.message))
            continue
        except RowError as exc:
            result.refused.append(Refusal(row.where, exc.column, exc.value, exc.message))
            continue
        key = row.get(id_column)
        if key in seen:
            result.refused.append(Refusal(row.where, id_column, key, f"the same id was read at {seen[key]}"))
            continue
        seen[key] = row.where
        result.events.append(event)
        result.rows[event.event_id] = row.where
    return result


def combine(results: Iterable[ImportResult]) -> list[Event]:
    """The events of several files of one dataset, for one ``replace_origin``.

    A row id read in an earlier file again (exports of overlapping periods) is stored once: the
    same values again are *skipped* in the later file's result ("also in <file:line>"); other
    values are *refused* there, since which of the two is right cannot be known. Refusals and
    skips go into the later file's result, so its report and counts say so."""
    kept: dict[str, tuple[Event, str]] = {}
    for result in results:
        unique = []
        for event in result.events:
            where = result.rows.get(event.event_id, result.path)
            if event.event_id not in kept:
                kept[event.event_id] = (event, where)
                unique.append(event)
                continue
            first, first_where = kept[event.event_id]
            value = event.event_id.split(":", 1)[-1]
            if first.to_dict() == event.to_dict():
                result.skipped.append(Refusal(where, "id", value, f"the same row is also in {first_where}"))
            else:
                result.refused.append(
                    Refusal(where, "id", value, f"read with other values at {first_where}; the first kept")
                )
        result.events = unique
    return [event for event, _ in kept.values()]


# ---------------------------------------------------------------------------- field parsers


def _shown(value: str, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def row_id(row: Row, column: str) -> str:
    """The dataset's own row id: present, short, and without characters that break an address."""
    value = row.get(column)
    if not value:
        raise RowError(column, value, "empty; every row needs its id")
    if len(value) > MAX_ID or not re.fullmatch(r"[A-Za-z0-9._-]+", value):
        raise RowError(column, value, f"not an id (letters, digits, . _ -, at most {MAX_ID})")
    return value


def whole(row: Row, column: str, *, optional: bool = False, lo: int = 0) -> int | None:
    """A whole number at least ``lo`` ("3", "3.0"); None for an empty optional value."""
    value = row.get(column)
    if not value:
        if optional:
            return None
        raise RowError(column, value, "empty")
    try:
        number = float(value)
    except ValueError:
        raise RowError(column, value, "not a number") from None
    if not number.is_integer() or number < lo:
        raise RowError(column, value, f"not a whole number of at least {lo}")
    return int(number)


def coordinates(row: Row, lat_col: str = "latitude", lon_col: str = "longitude") -> tuple[float, float]:
    """Latitude and longitude as given, checked to fall in the box around Deir ez-Zor."""
    out = []
    for column in (lat_col, lon_col):
        value = row.get(column)
        try:
            number = float(value)
        except ValueError:
            raise RowError(column, value, "not a number") from None
        if number != number or abs(number) == float("inf"):
            raise RowError(column, value, "not a number")
        out.append(number)
    lat, lon = out
    south, west, north, east = DEZ_BOX
    if not (south <= lat <= north and west <= lon <= east):
        hint = " (latitude and longitude swapped?)" if south <= lon <= north and west <= lat <= east else ""
        raise RowError(f"{lat_col}/{lon_col}", f"{lat},{lon}", f"not in Deir ez-Zor governorate's area{hint}")
    return lat, lon


def check_day(day: date, column: str, value: str, limits: IngestLimits) -> date:
    """``day`` if it lies in the accepted window (``IngestLimits``), else a refusal."""
    lo, hi = limits.window()
    if not lo <= day <= hi:
        raise RowError(column, value, f"outside {lo.isoformat()}..{hi.isoformat()}")
    return day


def parse_day(row: Row, column: str, limits: IngestLimits) -> date:
    """ISO (a time after the date is ignored), or ACLED's "12 March 2024" / "12-March-2024"."""
    value = row.get(column)
    day: date | None = None
    if re.match(r"^\d{4}-\d{2}-\d{2}(?:$|[T ])", value):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            day = None
    else:
        for fmt in ("%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%Y"):
            try:
                day = datetime.strptime(value, fmt).date()
                break
            except ValueError:
                continue
    if day is None:
        raise RowError(column, value, 'not a date (want "12 March 2024" or 2024-03-12)')
    return check_day(day, column, value, limits)


def fold(text: str) -> str:
    """Letters only, lower case, accents removed: how place names are compared here."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", ascii_)


def is_deir_ez_zor(admin1: str) -> bool:
    """Whether a governorate name is Deir ez-Zor in any common spelling (Latin or Arabic)."""
    name = _ADMIN_WORDS.sub(" ", admin1)
    if _DEZ_ARABIC in re.sub(r"[\s\u0640]", "", name).replace("محافظة", ""):
        return True
    return bool(_DEZ_LATIN.match(fold(name)))


def text_cell(row: Row, column: str, limit: int | None = None) -> str | None:
    """A text value with control characters removed; None when empty; refused above ``limit``."""
    value = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", row.get(column))
    if not value:
        return None
    if limit is not None and len(value) > limit:
        raise RowError(column, value, f"{len(value)} characters, more than the store's {limit}")
    return value


def map_actor(
    name: str | None,
    day: date,
    table: tuple[tuple[re.Pattern[str], str], ...],
    column: str = "actor",
) -> str | None:
    """A dataset's actor name -> ours where ``table`` (pattern, our name; first match wins)
    maps it, else ``Other: <name>``. ``SYRIAN_STATE`` in the table is named by ``day``."""
    if not name:
        return None
    for pattern, actor in table:
        if pattern.search(name):
            if actor == SYRIAN_STATE:
                transitional = "(2024-)" in name or day >= REGIME_CHANGE
                return "Other: Syrian transitional government" if transitional else "Syrian regime forces"
            return actor
    other = f"Other: {name}"
    if len(other) > MAX_ACTOR:
        raise RowError(column, name, f"{len(name)} characters, more than the store's {MAX_ACTOR - 7}")
    return other
