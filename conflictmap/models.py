"""The shared vocabulary of the pipeline: articles in, events out, places and zones in between.

Plain dataclasses rather than an ORM or pydantic: every layer (ingest, extract, store, figures)
passes these around, and none of them should need a database or a validator to do so.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

EVENT_TYPES: tuple[str, ...] = (
    "battle",
    "explosion_remote_violence",
    "violence_against_civilians",
    "protest",
    "riot",
    "strategic_development",
)

# How people read the types and precisions: the filter bar, the table, the map's legend and the
# exports all say the same words.
EVENT_LABELS: dict[str, str] = {
    "battle": "Battle",
    "explosion_remote_violence": "Explosion / remote violence",
    "violence_against_civilians": "Violence against civilians",
    "protest": "Protest",
    "riot": "Riot",
    "strategic_development": "Strategic development",
}

SUB_EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "battle": (
        "armed clash",
        "government regains territory",
        "non-state actor overtakes territory",
    ),
    "explosion_remote_violence": (
        "air/drone strike",
        "shelling/artillery/missile attack",
        "remote explosive/landmine/ied",
        "suicide bomb",
        "grenade",
    ),
    "violence_against_civilians": ("attack", "abduction/forced disappearance"),
    "protest": ("peaceful protest", "protest with intervention", "excessive force against protesters"),
    "riot": ("violent demonstration", "mob violence"),
    "strategic_development": (
        "agreement",
        "arrest",  # EVENTS.md names it so; ACLED's export label is "Arrests" (export.py)
        "change to group/activity",
        "disrupted weapons use",
        "headquarters or base established",
        "looting/property destruction",
        "non-violent transfer of territory",
        "other",
    ),
}

DATE_PRECISIONS: tuple[str, ...] = ("day", "week", "month")
GEO_PRECISIONS: tuple[int, ...] = (1, 2, 3)
PRECISION_LABELS: dict[int, str] = {
    1: "town or village",
    2: "near a town / part of a district",
    3: "governorate or region only",
}

# The day actor labels change (EVENTS.md): forces of Damascus are "Syrian regime forces" before
# it and "Other: Syrian transitional government" from it on. The one place the date is written:
# the English and Arabic actor tables name it as ``regime-change``.
REGIME_CHANGE = date(2024, 12, 8)

# Datasets imported beside what the tool reads (``conflictmap import-acled`` / ``import-ucdp``):
# origin -> (the name rows are cited by, the licence they are used under). One place for the
# words: the importers note them on every row, the exports and api/meta cite them, and the
# detail panel names a linked row by them ("ACLED SYR90001").
IMPORTED_DATASETS: dict[str, tuple[str, str]] = {
    "acled": (
        "ACLED",
        "ACLED data, used under the importing user's own ACLED licence and terms of use; "
        "cite ACLED (acleddata.com) as its attribution policy asks",
    ),
    "ucdp": (
        "UCDP GED",
        "UCDP Georeferenced Event Dataset, CC BY 4.0 (ucdp.uu.se); cite Sundberg & Melander (2013) "
        "and Davies, Pettersson & Öberg, as UCDP asks",
    ),
}

# Where an event came from: read from an article by the pipeline, or a curated reference fact.
ORIGIN_EXTRACTED = "extracted"
ORIGIN_REFERENCE = "reference"


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine, R = 6371 km), as the corpus scorer computes it.

    The one distance of the project: the gazetteer, the extractor and de-duplication compare
    places with it, so "within 10 km" means the same everywhere."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))


def content_hash(text: str) -> str:
    """Hash of an article's normalised text, so a re-published copy at another address is seen once."""
    norm = " ".join(text.split()).lower()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Article:
    """One news report, as text. Everything in it is untrusted input."""

    id: str
    url: str | None
    source: str | None
    title: str | None
    published: date | None
    text: str
    # ISO 639-1 code ("ar", "en") recorded at ingest from the feed/page/row, else the text's
    # script; None for articles made before languages were recorded (the extractor then looks
    # at the script itself). It decides which extractor reads the article.
    language: str | None = None

    @property
    def hash(self) -> str:
        """The content hash of the text (``content_hash``): how the store spots a re-published copy."""
        return content_hash(self.text)

    def to_dict(self) -> dict[str, Any]:
        """The article as a JSON Lines row (``published`` written as ``publication_date``, ISO)."""
        return {
            "id": self.id,
            "url": self.url,
            "source": self.source,
            "title": self.title,
            "publication_date": self.published.isoformat() if self.published else None,
            "text": self.text,
            "language": self.language,
        }


@dataclass(frozen=True)
class Place:
    """A gazetteer entry: a named point with the names outlets use for it."""

    place_id: str
    name: str
    latitude: float
    longitude: float
    kind: str = "town"
    admin1: str | None = None
    admin2: str | None = None
    bank: str | None = None
    alt_names: tuple[str, ...] = ()
    name_ar: str | None = None
    source: str = ""
    confidence: str = "sourced"


@dataclass
class Event:
    """One incident as read from one report (ACLED-compatible fields plus provenance).

    Several Events from different articles may describe one incident; the store groups them
    under one ``incident_id`` (see ``dedupe``) without rewriting the rows, so a merge can be undone.
    """

    event_id: str
    article_id: str
    event_date: date
    event_type: str
    sub_event_type: str
    date_precision: str = "day"
    actor1: str | None = None
    actor2: str | None = None
    location: str | None = None
    place_id: str | None = None
    admin1: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: int = 3
    geo_method: str = ""  # how the place was resolved: "exact name", "alias", "fallback: governorate", ...
    fatalities: int | None = None
    civilian_targeting: bool = False
    evidence: str = ""
    evidence_start: int | None = None  # character offsets of the evidence in the article text
    evidence_end: int | None = None
    confidence: float = 0.5
    source: str | None = None
    url: str | None = None
    origin: str = ORIGIN_EXTRACTED
    extractor_version: str = ""
    notes: str = ""
    incident_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field as a JSON-ready dict; the date as an ISO string."""
        d = asdict(self)
        d["event_date"] = self.event_date.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        """An Event from a dict such as a store row or a JSON line.

        Keys that are not fields are dropped; a string date is read from its first ten characters, so a
        timestamp gives its day."""
        known = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in known}
        if isinstance(kw.get("event_date"), str):
            kw["event_date"] = date.fromisoformat(kw["event_date"][:10])
        return cls(**kw)


@dataclass
class ZoneVersion:
    """A control zone valid over a span of days; ``valid_to`` None means still valid."""

    zone_id: str
    controller: str
    valid_from: date
    valid_to: date | None
    label: str
    geometry: Any  # shapely geometry, WGS84 lon/lat
    source: str = ""
    confidence: str = "medium"
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def valid_on(self, day: date) -> bool:
        """Whether the version holds on ``day``; both ends are inclusive."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
