"""Reports in Arabic, written straight into a store, for the Arabic display and export tests.

The sentences are the project's own short texts, shaped like a local report (no corpus text).
One English report sits beside them so a test can see that English stays left to right.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conflictmap.models import Article, Event
from conflictmap.storage.store import EventStore
from tests.helpers import evidence_at, make_event

DAY = date(2022, 5, 17)  # no reference event falls on it, so nothing merges with these
AR_TITLE = "اشتباك قرب الميادين"
AR_OUTLET = "شبكة اختبار محلية"
AR_PLACE = "الميادين"
AR_SENTENCE = "اشتبك مسلحون مع دورية عسكرية قرب الميادين مساء الاثنين."
AR_TEXT = "تقرير قصير كتب للاختبار.\n" + AR_SENTENCE + " ولم ترد أنباء عن إصابات.\n"
AR_EVENT = "ar-test-event"
EN_SENTENCE = "Residents of Hajin marched on Tuesday evening to demand clean water."
EN_TEXT = "A short report written for the tests.\n" + EN_SENTENCE + " No casualties were reported.\n"
EN_EVENT = "en-test-event"
VIEW = "start=2022-05-01&end=2022-05-31"


def _event(event_id: str, article_id: str, text: str, sentence: str, **kw) -> Event:
    fields = dict(
        article_id=article_id,
        event_date=DAY,
        actor1="Unidentified armed group",
        actor2=None,
        location=AR_PLACE,
        place_id="dz:mayadin",
        latitude=35.02,
        longitude=40.45,
        confidence=0.6,
        source=AR_OUTLET,
        url="https://example.org/ar/1",
        **evidence_at(text, sentence),
    )
    fields.update(kw)
    return make_event(event_id, **fields)


def seed_arabic_reports(data_dir: Path) -> None:
    """One Arabic report (Arabic place, outlet, title, evidence) and one English one, same day."""
    store = EventStore(f"sqlite:///{data_dir / 'conflictmap.sqlite'}")
    ar = Article("ar-test-article", "https://example.org/ar/1", AR_OUTLET, AR_TITLE, DAY, AR_TEXT)
    store.add_article(ar, [_event(AR_EVENT, ar.id, AR_TEXT, AR_SENTENCE)], origin="test")
    en = Article("en-test-article", "https://example.org/en/1", "Test Wire", "Water protest", DAY, EN_TEXT)
    store.add_article(
        en,
        [
            _event(
                EN_EVENT,
                en.id,
                EN_TEXT,
                EN_SENTENCE,
                event_type="protest",
                sub_event_type="peaceful protest",
                actor1="Protesters",
                location="Hajin",
                source="Test Wire",
                url="https://example.org/en/1",
                latitude=34.69,
                longitude=40.83,
                place_id="dz:hajin",
            )
        ],
        origin="test",
    )
