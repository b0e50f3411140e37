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

The CSV machinery (``read_rows``, ``ImportResult``, the field parsers) is ``ingest.tabular``,
shared with the UCDP reader (``ingest.ucdp``).
"""

from __future__ import annotations

import re
from pathlib import Path

from conflictmap.config import IngestLimits
from conflictmap.ingest.tabular import (
    SYRIAN_STATE,
    ImportResult,
    Row,
    RowError,
    Skip,
    convert_rows,
    coordinates,
    is_deir_ez_zor,
    map_actor,
    parse_day,
    row_id,
    text_cell,
    whole,
)
from conflictmap.models import EVENT_TYPES, IMPORTED_DATASETS, Event

ORIGIN = "acled"
LICENCE = IMPORTED_DATASETS["acled"][1]
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
    actor1 = map_actor(text_cell(row, "actor1"), day, ACTORS, "actor1")
    actor2 = map_actor(text_cell(row, "actor2"), day, ACTORS, "actor2")
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
