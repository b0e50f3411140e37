"""A hostile article, written straight into a store the way a careless importer might have.

Ingest strips markup (tested in test_ingest); this goes around it on purpose, so the browser
test proves the screen itself never runs or renders what an article carries.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conflictmap.models import Article, Event
from conflictmap.storage.store import EventStore

HOSTILE_TITLE = '<img src=x onerror="window.__xss_title=1">Hostile title<script>window.__xss_t=1</script>'
HOSTILE_SENTENCE = "Gunmen <script>window.__xss_body=1</script> attacked a checkpoint in Hajin on Monday."
HOSTILE_TEXT = (
    "Report from the valley\n"
    "A quiet opening line about the weather. " + HOSTILE_SENTENCE + " More text follows.\n"
    '<a href="javascript:window.__xss_link=1">click me</a>'
)
HOSTILE_ID = "hostile-article"
HOSTILE_EVENT = "hostile-event"


def seed_hostile_article(data_dir: Path) -> None:
    store = EventStore(f"sqlite:///{data_dir / 'conflictmap.sqlite'}")
    art = Article(
        HOSTILE_ID,
        "javascript:window.__xss_url=1",
        "Hostile <b>Outlet</b>",
        HOSTILE_TITLE,
        date(2023, 6, 12),
        HOSTILE_TEXT,
    )
    start = HOSTILE_TEXT.index(HOSTILE_SENTENCE)
    ev = Event(
        event_id=HOSTILE_EVENT,
        article_id=HOSTILE_ID,
        event_date=date(2023, 6, 12),
        event_type="violence_against_civilians",
        sub_event_type="attack",
        actor1="Unidentified armed group",
        actor2=None,
        location='Hajin<img src=x onerror="window.__xss_loc=1">',
        place_id="dz:hajin",
        admin1="Deir ez-Zor",
        latitude=34.69,
        longitude=40.83,
        geo_precision=1,
        geo_method="exact name",
        evidence=HOSTILE_SENTENCE,
        evidence_start=start,
        evidence_end=start + len(HOSTILE_SENTENCE),
        confidence=0.6,
        source="Hostile <b>Outlet</b>",
        url="javascript:window.__xss_url=1",
    )
    store.add_article(art, [ev], origin="test")
