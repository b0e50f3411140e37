"""`reextract`: stored articles read again by the current rules; added, removed and changed
events reported and written; reference facts and hand decisions untouched.

Texts written for this test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from conflictmap.extract import EXTRACTOR_VERSION, extract_article
from conflictmap.geo.gazetteer import load_gazetteer
from conflictmap.models import ORIGIN_REFERENCE, Article, Event
from conflictmap.reextract import reextract
from conflictmap.storage.store import EventStore

TEXT = (
    "Regime artillery shelled the town of Diban on Monday, killing two civilians.\n\n"
    "ISIS cells attacked an SDF checkpoint in Hajin on Sunday."
)


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


@pytest.fixture
def stored(tmp_path, gaz):
    store = EventStore(f"sqlite:///{tmp_path / 'store.sqlite'}")
    article = Article("a1", "https://example.org/a1", "Test", "Shelling", date(2024, 8, 13), TEXT)
    now = extract_article(article, gaz)
    assert len(now) == 2
    shelling, clash = sorted(now, key=lambda e: e.event_type, reverse=True)
    old_version = [
        replace(shelling, fatalities=5, extractor_version="rules-0.1"),  # read differently then
        Event(  # an event the old rules saw and the current ones do not
            event_id="gone",
            article_id="a1",
            event_date=date(2024, 8, 11),
            event_type="battle",
            sub_event_type="armed clash",
            location="Diban",
            latitude=35.0,
            longitude=40.5,
            geo_precision=1,
            evidence="Regime artillery shelled the town",
            confidence=0.5,
            extractor_version="rules-0.1",
        ),
    ]  # and the clash in Hajin is missing: the current rules add it
    store.add_article(article, old_version)
    reference = replace(clash, event_id="ref-1", origin=ORIGIN_REFERENCE, article_id="ref", confidence=1.0)
    store.upsert_events([reference])
    return store, shelling, clash


def test_dry_run_counts_and_writes_nothing(stored, gaz):
    store, shelling, clash = stored
    before = {e.event_id: e for e in store.all_events()}
    report = reextract(store, gaz, dry_run=True)
    assert report.articles == 1 and report.events_before == 2
    assert report.added == [clash.event_id]
    assert report.removed == ["gone"]
    assert report.changed == [(shelling.event_id, ["fatalities"])]
    assert report.versions_before == {"rules-0.1": 2} and report.version_after == EXTRACTOR_VERSION
    assert {e.event_id: e for e in store.all_events()} == before


def test_changes_are_written_and_reference_facts_untouched(stored, gaz):
    store, shelling, clash = stored
    report = reextract(store, gaz)
    assert report.events_after == 2 and report.incidents is not None
    after = {e.event_id: e for e in store.all_events()}
    assert set(after) == {shelling.event_id, clash.event_id, "ref-1"}
    assert after[shelling.event_id].fatalities == 2
    assert after[shelling.event_id].extractor_version == EXTRACTOR_VERSION
    assert after["ref-1"].origin == ORIGIN_REFERENCE and after["ref-1"].confidence == 1.0
    again = reextract(store, gaz)
    assert (again.added, again.removed, again.changed) == ([], [], [])


def test_an_event_split_by_hand_is_kept(stored, gaz):
    store, shelling, _ = stored
    row = store.event("gone")
    assert store.split_incident(row["incident_id"]) >= 1
    report = reextract(store, gaz)
    assert report.kept == ["gone"] and "gone" not in report.removed
    assert store.event("gone") is not None
    assert store.event(shelling.event_id)["fatalities"] == 2
