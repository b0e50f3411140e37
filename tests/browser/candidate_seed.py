"""One low-confidence candidate written into the browser tests' store: the extractor's unsure
reading of a short report, placed where no reported incident is drawn."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conflictmap.models import Article
from conflictmap.storage.store import EventStore
from tests.helpers import evidence_at, make_event

CANDIDATE_ID = "candidate-event"
CANDIDATE_DAY = date(2024, 3, 14)
CANDIDATE_SENTENCE = (
    "Residents said they heard gunfire near Al-Suwar overnight, but nobody confirmed a clash."
)


def seed_candidate(data_dir: Path) -> None:
    store = EventStore(f"sqlite:///{data_dir / 'conflictmap.sqlite'}")
    text = "Unconfirmed reports from the north.\n" + CANDIDATE_SENTENCE
    art = Article("candidate-article", None, "Local page", "Gunfire heard", CANDIDATE_DAY, text)
    ev = make_event(
        CANDIDATE_ID,
        article_id=art.id,
        event_date=CANDIDATE_DAY,
        actor1=None,
        actor2=None,
        location="Al-Suwar",
        place_id="dz:al-suwar",
        latitude=35.506,
        longitude=40.656,
        confidence=0.25,
        source="Local page",
        url=None,
        **evidence_at(text, CANDIDATE_SENTENCE),
    )
    store.add_article(art, [ev], origin="test")
