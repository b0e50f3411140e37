"""One low-confidence candidate written into the browser tests' store: the extractor's unsure
reading of a short report, placed where no reported incident is drawn."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conflictmap.models import Article, Event
from conflictmap.storage.store import EventStore

CANDIDATE_ID = "candidate-event"
CANDIDATE_DAY = date(2024, 3, 14)
CANDIDATE_SENTENCE = (
    "Residents said they heard gunfire near Al-Suwar overnight, but nobody confirmed a clash."
)


def seed_candidate(data_dir: Path) -> None:
    store = EventStore(f"sqlite:///{data_dir / 'conflictmap.sqlite'}")
    text = "Unconfirmed reports from the north.\n" + CANDIDATE_SENTENCE
    art = Article("candidate-article", None, "Local page", "Gunfire heard", CANDIDATE_DAY, text)
    start = text.index(CANDIDATE_SENTENCE)
    ev = Event(
        event_id=CANDIDATE_ID,
        article_id=art.id,
        event_date=CANDIDATE_DAY,
        event_type="battle",
        sub_event_type="armed clash",
        actor1=None,
        actor2=None,
        location="Al-Suwar",
        place_id="dz:al-suwar",
        admin1="Deir ez-Zor",
        latitude=35.506,
        longitude=40.656,
        geo_precision=1,
        geo_method="exact name",
        evidence=CANDIDATE_SENTENCE,
        evidence_start=start,
        evidence_end=start + len(CANDIDATE_SENTENCE),
        confidence=0.25,
        source="Local page",
    )
    store.add_article(art, [ev], origin="test")
