"""UCDP Georeferenced Event Dataset (GED) CSV -> ``Event`` values of origin ``ucdp``.

UCDP GED is open data (CC BY 4.0): events of organised violence with at least one death, each
dated and placed with a stated precision. It reaches us with its own coding, so the mapping to
ours is coarser than ACLED's, and the limits are written down here and in ``docs/imports.md``:

* ``type_of_violence``: 1 state-based and 2 non-state -> ``battle`` / "armed clash"; 3 one-sided
  -> ``violence_against_civilians`` / "attack" with ``civilian_targeting``. UCDP does not tell an
  air strike or shelling from ground fighting (all are state-based violence when a state takes
  part), and it has no protests, riots or strategic developments at all (it counts only deadly
  organised violence), so a UCDP row never carries those types; ``incidents.crossref`` allows
  for that when it links UCDP rows to our incidents.
* ``date_prec`` 1 -> day; 2 (2-6 days) and 3 (the week) -> week; 4 (8-30 days, the month) ->
  month; 5 (more than a month) is *skipped*: the project has nothing coarser than a month and
  will not pretend. A range (``date_start``..``date_end``) is dated at its middle, as EVENTS.md
  dates a week or a month, and the precision is never finer than the range is long.
* ``where_prec`` 1 (the place) -> 1; 2 (within ~25 km of a place) and 3 (the district) -> 2;
  4 (the governorate) and 5 (a linear feature or a larger area, but ``adm_1`` Deir ez-Zor) -> 3;
  6 (only the country) and 7 (waters, airspace) are *skipped*. Coordinates are kept as UCDP
  gives them (a governorate-level row sits where UCDP put it, not moved to the capital).
* ``side_a``/``side_b`` -> ``actor1``/``actor2``, mapped where UCDP's name is plain
  ("Government of Syria" by the date as EVENTS.md says, "IS", "SDF", "Civilians", ...);
  otherwise ``Other: <UCDP's name>``.
* ``best`` -> ``fatalities``; ``low``/``high`` and the deaths per side go to ``notes`` with the
  UCDP id, conflict and dyad, the place as UCDP described it and the cited article; the source
  headline is the row's ``evidence``.

Only rows whose ``adm_1`` is Deir ez-Zor (e.g. "Dayr az Zawr governorate") are kept; the others
are skipped and counted. Bad rows are refused one by one (file:line, column, value), exactly as
the ACLED reader does: both use the CSV machinery of ``ingest.tabular``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from conflictmap.config import IngestLimits
from conflictmap.ingest.tabular import (
    SYRIAN_STATE,
    ImportResult,
    Row,
    RowError,
    Skip,
    check_day,
    convert_rows,
    coordinates,
    is_deir_ez_zor,
    map_actor,
    row_id,
    text_cell,
    whole,
)
from conflictmap.models import IMPORTED_DATASETS, Event

ORIGIN = "ucdp"
LICENCE = IMPORTED_DATASETS["ucdp"][1]
IMPORTER_VERSION = "ucdp-import/1"
SOURCE_LABEL = "UCDP GED"

REQUIRED = (
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "where_prec",
    "where_coordinates",
    "adm_1",
    "latitude",
    "longitude",
    "date_prec",
    "date_start",
    "date_end",
    "best",
)

VIOLENCE: dict[int, tuple[str, str]] = {
    1: ("battle", "armed clash"),  # state-based: includes strikes and shelling, UCDP does not say which
    2: ("battle", "armed clash"),  # non-state: fighting between organised groups
    3: ("violence_against_civilians", "attack"),  # one-sided: an organised actor against civilians
}
DATE_PRECISIONS: dict[int, str | None] = {1: "day", 2: "week", 3: "week", 4: "month", 5: None}
GEO_PRECISIONS: dict[int, int | None] = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: None, 7: None}
_SPAN = (("day", 0), ("week", 7), ("month", 31))  # the finest precision a range of days allows

ACTORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), actor)
    for pattern, actor in (
        (r"^government of syria\b", SYRIAN_STATE),
        (r"^(is|isis|isil|islamic state)\b", "ISIS"),
        (r"^(sdf|syrian democratic forces|ypg|pyd)\b", "SDF"),
        (r"^government of united states of america\b", "US forces"),
        (r"^government of russia\b", "Russia"),
        (r"^government of israel\b", "Israel"),
        (r"^government of turkey\b", "Turkey"),
        (r"^hezbollah\b", "Iran-backed militias"),
        (r"\b(tribe|clan)$", "Arab tribal fighters"),
        (r"^civilians$", "Civilians"),
    )
)


def _day(row: Row, column: str, limits: IngestLimits) -> date:
    value = row.get(column)
    if not re.match(r"^\d{4}-\d{2}-\d{2}(?:$|[T ])", value):
        raise RowError(column, value, "not a date (want 2017-03-12, a time after it is ignored)")
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise RowError(column, value, "not a date") from None
    return check_day(day, column, value, limits)


def _when(row: Row, limits: IngestLimits) -> tuple[date, str]:
    """The day (middle of the range) and our precision, never finer than the range allows."""
    start, end = _day(row, "date_start", limits), _day(row, "date_end", limits)
    if end < start:
        raise RowError("date_end", row.get("date_end"), f"before date_start {start.isoformat()}")
    prec = whole(row, "date_prec", lo=1)
    if prec not in DATE_PRECISIONS:
        raise RowError("date_prec", row.get("date_prec"), "not 1 to 5")
    stated = DATE_PRECISIONS[prec]
    span = (end - start).days
    by_span = next((name for name, days in _SPAN if span <= days), None)
    if stated is None or by_span is None:
        raise Skip("date_prec", row.get("date_prec"), "dated only to more than a month")
    order = [name for name, _ in _SPAN]
    precision = max(stated, by_span, key=order.index)
    year = row.get("year")
    if year and year not in (str(start.year), str(end.year)):
        raise RowError("year", year, f"disagrees with date_start {start.isoformat()}")
    return start + timedelta(days=span // 2), precision


def _actor(row: Row, column: str, day: date) -> str | None:
    name = text_cell(row, column)
    if name and "," in name and all(p.strip().startswith("Government of") for p in name.split(",")):
        name = name.split(",")[0].strip()  # an alliance of states: the first named leads; all in notes
    return map_actor(name, day, ACTORS, column)


def ucdp_event(row: Row, limits: IngestLimits) -> Event:
    """One GED row -> an Event (see the module docstring); ``RowError``/``Skip`` otherwise."""
    rid = row_id(row, "id")
    adm1 = row.get("adm_1")
    if not is_deir_ez_zor(adm1):
        raise Skip("adm_1", adm1, "adm_1 is not Deir ez-Zor governorate")
    violence = whole(row, "type_of_violence", lo=1)
    if violence not in VIOLENCE:
        raise RowError("type_of_violence", row.get("type_of_violence"), "not 1, 2 or 3")
    etype, sub = VIOLENCE[violence]
    where = whole(row, "where_prec", lo=1)
    if where not in GEO_PRECISIONS:
        raise RowError("where_prec", row.get("where_prec"), "not 1 to 7")
    geo = GEO_PRECISIONS[where]
    if geo is None:
        raise Skip("where_prec", row.get("where_prec"), "placed only to the country, or off land")
    day, precision = _when(row, limits)
    lat, lon = coordinates(row)
    best = whole(row, "best")
    location = text_cell(row, "where_coordinates") or text_cell(row, "adm_2") or adm1
    extra = [
        f"{label}: {value}"
        for label, column in (
            ("conflict", "conflict_name"),
            ("dyad", "dyad_name"),
            ("side a", "side_a"),
            ("side b", "side_b"),
            ("where", "where_description"),
            ("deaths side a", "deaths_a"),
            ("deaths side b", "deaths_b"),
            ("civilian deaths", "deaths_civilians"),
            ("deaths unknown", "deaths_unknown"),
            ("low estimate", "low"),
            ("high estimate", "high"),
            ("article", "source_article"),
            ("office", "source_office"),
        )
        if (value := text_cell(row, column))
    ]
    if row.get("date_start")[:10] != row.get("date_end")[:10]:
        extra.append(f"dated {row.get('date_start')[:10]} to {row.get('date_end')[:10]} by UCDP")
    return Event(
        event_id=f"{ORIGIN}:{rid}",
        article_id=f"{ORIGIN}:{rid}",
        event_date=day,
        event_type=etype,
        sub_event_type=sub,
        date_precision=precision,
        actor1=_actor(row, "side_a", day),
        actor2=_actor(row, "side_b", day),
        location=location,
        admin1="Deir ez-Zor",
        latitude=lat,
        longitude=lon,
        geo_precision=geo,
        geo_method=f"coded by UCDP (where_prec {where})",
        fatalities=best,
        civilian_targeting=violence == 3,
        evidence=text_cell(row, "source_headline") or "",
        confidence=1.0,
        source=SOURCE_LABEL,
        origin=ORIGIN,
        extractor_version=IMPORTER_VERSION,
        notes="; ".join([f"UCDP GED id {rid}", *extra, LICENCE]),
    )


def read_ucdp(path: str | Path, limits: IngestLimits | None = None) -> ImportResult:
    """Every row of a UCDP GED CSV as an Event (origin ``ucdp``), refusals named by file:line.

    Rows outside Deir ez-Zor, dated only to more than a month or placed only to the country
    are skipped and counted; the caller stores ``result.events`` with
    ``EventStore.replace_origin("ucdp", ...)``."""
    return convert_rows(path, ORIGIN, LICENCE, REQUIRED, ucdp_event, "id", limits)
