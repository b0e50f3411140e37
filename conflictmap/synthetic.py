"""SYNTHETIC events for benchmarks: never real, never mixed into the bundled data.

Every row says so (source "SYNTHETIC", evidence "SYNTHETIC ...", extractor_version
"synthetic") and goes into its own database file, so a benchmark can never leak into the
analysts' store. Places are drawn from the gazetteer so markers stack the way real ones do.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from conflictmap.config import Settings
from conflictmap.models import EVENT_TYPES, SUB_EVENT_TYPES, Event
from conflictmap.storage.store import EventStore

ACTORS = (
    "SDF",
    "Syrian regime forces",
    "NDF (pro-regime militia)",
    "Arab tribal fighters",
    "Iran-backed militias",
    "ISIS",
    "US-led coalition",
    "Unidentified armed group",
)
# Pieces of the invented sentence each event carries, about thirty words as a report's is:
# a benchmark of text search over one short fixed line measured a column a fifth of the size.
VERBS = (
    "exchanged fire with",
    "shelled positions held by",
    "raided homes linked to",
    "ambushed a patrol of",
    "detained members of",
    "clashed for hours with",
)
WHEN = ("at dawn", "before noon", "in the afternoon", "after sunset", "overnight", "during a funeral")
TOLD = (
    "a local monitor said",
    "residents told reporters",
    "according to a medical source",
    "activists reported on social media",
    "a tribal elder said by phone",
)
AFTER = (
    "roads to the river crossing were closed for the rest of the day",
    "several families left for nearby villages until the shooting stopped",
    "shops in the market stayed shut and schools sent pupils home early",
    "the wounded were taken to a clinic that lacks fuel for its generator",
    "both sides later blamed each other for starting the exchange",
)
SYLLABLES = ("ab", "dul", "ha", "mid", "ka", "rim", "su", "lei", "man", "ja", "sim", "ta", "rek", "fa", "wzi")
START = date(2017, 1, 1)
DAYS = (date(2024, 12, 31) - START).days


def synthetic_events(
    count: int, seed: int = 7, places: list[tuple[str, str, float, float]] | None = None
) -> list[Event]:
    """``count`` labelled synthetic events; deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    if not places:
        places = [("synthetic", "Deir ez-Zor", 35.336, 40.141), ("synthetic", "Mayadin", 35.02, 40.45)]
    out = []
    for i in range(count):
        pid, name, lat, lon = places[rng.randrange(len(places))]
        etype = EVENT_TYPES[rng.randrange(len(EVENT_TYPES))]
        a1, a2 = rng.sample(ACTORS, 2)
        prec = rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
        out.append(
            Event(
                event_id=f"syn:{seed}:{i}",
                article_id=f"syn-article:{i // 3}",
                event_date=START + timedelta(days=rng.randrange(DAYS)),
                event_type=etype,
                sub_event_type=SUB_EVENT_TYPES[etype][0],
                actor1=a1,
                actor2=a2,
                location=name,
                place_id=pid,
                admin1="Deir ez-Zor",
                latitude=lat,
                longitude=lon,
                geo_precision=prec,
                geo_method="synthetic",
                fatalities=rng.choice((None, 0, 0, 1, 2, 3, 5, 12)),
                evidence=_sentence(rng, i, a1, a2, name),
                confidence=0.5,
                source="SYNTHETIC",
                url=None,
                origin="extracted",
                extractor_version="synthetic",
            )
        )
    return out


def _sentence(rng: random.Random, i: int, a1: str, a2: str, place: str) -> str:
    """An invented sentence of about thirty words, labelled SYNTHETIC, with a made-up family
    name, so the words vary as a real column's do (tens of thousands of distinct ones)."""
    name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
    return (
        f"SYNTHETIC event {i} for benchmarking: {a1} {rng.choice(VERBS)} {a2} in {place} "
        f"{rng.choice(WHEN)}, {rng.choice(TOLD)}; a man named {name} was among those hurt, and "
        f"{rng.choice(AFTER)}."
    )


def fill_synthetic_store(
    store: EventStore, count: int, seed: int = 7, settings: Settings | None = None
) -> None:
    """Write ``count`` synthetic events and the bundled zones into ``store`` (any backend: the
    benchmarks fill a PostgreSQL database this way). The store should be empty."""
    from conflictmap.geo.gazetteer import load_gazetteer
    from conflictmap.pipeline import load_zones_into

    settings = settings or Settings()
    gaz = load_gazetteer(settings.bundled_dir)
    places = [(p.place_id, p.name, p.latitude, p.longitude) for p in gaz.places if p.admin1 == "Deir ez-Zor"]
    store.upsert_events(synthetic_events(count, seed, places or None))
    load_zones_into(store, settings.bundled_dir / "zones.geojson")


def write_synthetic_store(path: Path, count: int, seed: int = 7, settings: Settings | None = None) -> Path:
    """A fresh SQLite file with ``count`` synthetic events and the bundled zones."""
    path = Path(path)
    if path.exists():
        path.unlink()
    fill_synthetic_store(EventStore(f"sqlite:///{path.resolve()}"), count, seed, settings)
    return path
