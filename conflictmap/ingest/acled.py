"""ACLED export CSV -> ``Event`` values of origin ``acled``, each row checked on its own.

Why import ACLED at all: analysts already hold ACLED exports under their own ACLED licence and
want them beside what this tool reads from the news. The rows are kept as ACLED coded them
(their own origin, their own ids, never merged into extracted incidents; ``incidents.crossref``
only *links* them), so a reader can always tell which dataset said what. The column mapping is
documented in ``docs/imports.md``; in brief:

* ``event_id_cnty`` -> ``event_id`` ``acled:<event_id_cnty>`` (the row id ACLED cites; the
  "article" of the row is the same id, so two ACLED rows never look like one article);
* ``event_date`` ("12 March 2024" or ISO, checked against ``year``), ``time_precision`` 1/2/3
  -> ``date_precision`` day/week/month (ACLED already dates a week or month at its middle);
* ``event_type``/``sub_event_type``: ACLED's six names -> ours; sub-types lower-cased ("Arrests"
  -> "arrest"); ACLED's "Chemical weapon" and "Sexual violence" have no counterpart in
  EVENTS.md and are kept as ACLED's words rather than bent into another sub-type;
* ``actor1``/``actor2`` -> our actor vocabulary where ACLED's name says clearly which (``ACTORS``),
  otherwise ``Other: <ACLED's name>``; ACLED's names and associated actors go to ``notes``;
* ``geo_precision`` 1/2/3 is the same scale as ours; ``latitude``/``longitude`` as given (the
  gazetteer is not consulted: ingest does not depend on ``geo``);
* ``fatalities``, ``civilian_targeting`` ("Civilian targeting" -> True), ``notes`` -> ``evidence``
  (ACLED's own summary, shown where an extracted event shows its sentence), ``source`` -> "ACLED"
  with ACLED's cited sources kept in ``notes``, beside the row id and the licence note.

Rows whose ``admin1`` is not Deir ez-Zor (any of its spellings) are *skipped*, not refused: the
tool covers one governorate, and the import report says how many were left out and why. A row
that cannot be read is *refused*, named by file:line, column and value; the other rows are read
all the same, and the counts let the command line exit non-zero when anything was refused.

The CSV machinery (``read_rows``, ``ImportResult``, the field parsers) is shared with the UCDP
reader (``ingest.ucdp``), which imports it from here.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from conflictmap.config import IngestLimits
from conflictmap.ingest.files import Refused, iter_lines, open_regular
from conflictmap.models import EVENT_TYPES, REGIME_CHANGE, Event

ORIGIN = "acled"
LICENCE = (
    "ACLED data, used under the importing user's own ACLED licence and terms of use; "
    "cite ACLED (acleddata.com) as its attribution policy asks"
)
IMPORTER_VERSION = "acled-import/1"
SOURCE_LABEL = "ACLED"

REQUIRED = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
)

EVENT_TYPE_NAMES: dict[str, str] = {
    "battles": "battle",
    "explosions/remote violence": "explosion_remote_violence",
    "violence against civilians": "violence_against_civilians",
    "protests": "protest",
    "riots": "riot",
    "strategic developments": "strategic_development",
}
assert set(EVENT_TYPE_NAMES.values()) == set(EVENT_TYPES)
SUB_EVENT_NAMES: dict[str, str] = {"arrests": "arrest"}  # every other sub-type: lower-cased as is
TIME_PRECISIONS = {"1": "day", "2": "week", "3": "month"}

# ACLED's actor names -> our vocabulary (EVENTS.md), first match wins. Only names that say
# plainly which force is meant; anything else stays ACLED's name, as "Other: <name>".
# ``SYRIAN_STATE`` is decided by the date (EVENTS.md: "regime" only before 8 Dec 2024).
SYRIAN_STATE = "<syrian state>"
ACTORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), actor)
    for pattern, actor in (
        (r"^(military|police) forces of syria\b", SYRIAN_STATE),
        (r"^ndf\b|national defen[cs]e forces", "NDF (pro-regime militia)"),
        (r"^asayish\b", "Asayish"),
        (r"^sdf\b|syrian democratic forces|^ypg\b|people's protection units", "SDF"),
        (r"deir[- ]?ez[- ]?zor military council|^dmc\b", "Deir ez-Zor Military Council"),
        (r"^islamic state\b|^isis\b|^isil\b", "ISIS"),
        (r"^military forces of the united states\b", "US forces"),
        (r"operation inherent resolve|global coalition against daesh|^coalition forces", "US-led coalition"),
        (r"^military forces of russia\b|^wagner group", "Russia"),
        (r"^military forces of israel\b", "Israel"),
        (r"^military forces of turkey\b", "Turkey"),
        (
            r"^hezbollah|^quds force|^islamic revolutionary guard corps|^fatemiyoun|^zainabiyoun"
            r"|^liwa (fatemiyoun|zainabiyoun|al-?baqir)|^baqir brigade|^kataib hezbollah"
            r"|^harakat al-nujaba|^islamic resistance in iraq|^pmf\b|popular mobili[sz]ation forces",
            "Iran-backed militias",
        ),
        (r"\b(tribal|clan) militia \(syria\)$", "Arab tribal fighters"),
        (r"^civilians \(", "Civilians"),
        (r"^unidentified armed group\b", "Unidentified armed group"),
    )
)

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
    return result


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
    table: tuple[tuple[re.Pattern[str], str], ...] = ACTORS,
    column: str = "actor",
) -> str | None:
    """A dataset's actor name -> ours where the table maps it, else ``Other: <name>``."""
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


# ---------------------------------------------------------------------------- ACLED rows


def acled_event(row: Row, limits: IngestLimits) -> Event:
    """One ACLED row -> an Event (see the module docstring); ``RowError``/``Skip`` otherwise."""
    rid = row_id(row, "event_id_cnty")
    admin1 = row.get("admin1")
    if not is_deir_ez_zor(admin1):
        raise Skip("admin1", admin1, "admin1 is not Deir ez-Zor governorate")
    day = parse_day(row, "event_date", limits)
    year = row.get("year")
    if year and year != str(day.year):
        raise RowError("year", year, f"disagrees with event_date {row.get('event_date')!r}")
    precision = TIME_PRECISIONS.get(row.get("time_precision"))
    if precision is None:
        raise RowError("time_precision", row.get("time_precision"), "not 1, 2 or 3")
    etype = EVENT_TYPE_NAMES.get(" ".join(row.get("event_type").lower().split()))
    if etype is None:
        raise RowError("event_type", row.get("event_type"), "not one of ACLED's six event types")
    sub = " ".join(row.get("sub_event_type").lower().split())
    if not sub:
        raise RowError("sub_event_type", "", "empty")
    sub = SUB_EVENT_NAMES.get(sub, sub)
    geo = whole(row, "geo_precision", lo=1)
    if geo not in (1, 2, 3):
        raise RowError("geo_precision", row.get("geo_precision"), "not 1, 2 or 3")
    lat, lon = coordinates(row)
    fatalities = whole(row, "fatalities", optional=True)
    actor1 = map_actor(text_cell(row, "actor1"), day, column="actor1")
    actor2 = map_actor(text_cell(row, "actor2"), day, column="actor2")
    location = text_cell(row, "location")
    if not location:
        raise RowError("location", "", "empty")
    extra = [
        f"{label}: {value}"
        for label, column in (
            ("ACLED actor 1", "actor1"),
            ("ACLED actor 2", "actor2"),
            ("ACLED sources", "source"),
            ("source scale", "source_scale"),
            ("associated with actor 1", "assoc_actor_1"),
            ("associated with actor 2", "assoc_actor_2"),
            ("admin2", "admin2"),
            ("admin3", "admin3"),
            ("tags", "tags"),
        )
        if (value := text_cell(row, column))
    ]
    return Event(
        event_id=f"{ORIGIN}:{rid}",
        article_id=f"{ORIGIN}:{rid}",
        event_date=day,
        event_type=etype,
        sub_event_type=sub,
        date_precision=precision,
        actor1=actor1,
        actor2=actor2,
        location=location,
        admin1="Deir ez-Zor",
        latitude=lat,
        longitude=lon,
        geo_precision=geo,
        geo_method="coded by ACLED",
        fatalities=fatalities,
        civilian_targeting=row.get("civilian_targeting").lower() == "civilian targeting",
        evidence=text_cell(row, "notes") or "",
        confidence=1.0,
        source=SOURCE_LABEL,
        origin=ORIGIN,
        extractor_version=IMPORTER_VERSION,
        notes="; ".join([f"ACLED event_id_cnty {rid}", *extra, LICENCE]),
    )


def read_acled(path: str | Path, limits: IngestLimits | None = None) -> ImportResult:
    """Every row of an ACLED export CSV as an Event (origin ``acled``), refusals named by file:line.

    Rows outside Deir ez-Zor governorate are skipped and counted; the store is not touched:
    the caller stores ``result.events`` with ``EventStore.replace_origin("acled", ...)``."""
    return convert_rows(path, ORIGIN, LICENCE, REQUIRED, acled_event, "event_id_cnty", limits)
