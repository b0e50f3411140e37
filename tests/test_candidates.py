"""Low-confidence candidates: stored with the rest, hidden by default, shown as rings on request,
and never merged into a reported incident."""

from __future__ import annotations

from datetime import date

import pytest

from components.figures import map_spec
from conflictmap.confidence import CONFIDENCE_THRESHOLD, is_candidate
from conflictmap.incidents.dedupe import cluster_incidents
from conflictmap.read.index import EventIndex, build_incidents, map_groups
from conflictmap.read.query import EventFilter
from conflictmap.storage.store import EventStore
from tests.helpers import make_event, split_zones


def test_the_threshold_is_the_extractors() -> None:
    from conflictmap.extract import CONFIDENCE_THRESHOLD as extractor_threshold

    assert extractor_threshold == CONFIDENCE_THRESHOLD
    assert is_candidate(CONFIDENCE_THRESHOLD - 0.01) and not is_candidate(CONFIDENCE_THRESHOLD)
    assert not is_candidate(None)


@pytest.fixture
def index(tmp_path) -> EventIndex:
    store = EventStore(f"sqlite:///{tmp_path / 'c.sqlite'}")
    store.upsert_events(
        [
            make_event("sure", event_date=date(2024, 8, 7), confidence=0.8),
            # same place and day, another article: would be the same incident if it were sure
            make_event("unsure", article_id="other", event_date=date(2024, 8, 7), confidence=0.3),
            make_event(
                "unsure-elsewhere",
                article_id="third",
                event_date=date(2024, 8, 9),
                latitude=35.02,
                longitude=40.45,
                location="Mayadin",
                confidence=0.2,
            ),
        ]
    )
    events = store.all_events()
    store.set_incidents(cluster_incidents(events))
    return EventIndex(build_incidents(store.events_frame(), split_zones()))


def test_candidates_are_hidden_unless_asked_for(index: EventIndex) -> None:
    assert index.select(EventFilter())["event_id"].tolist() == ["sure"]
    shown = index.select(EventFilter.from_query("cand=1"))
    assert sorted(shown["event_id"]) == ["sure", "unsure", "unsure-elsewhere"]
    assert shown.set_index("event_id")["candidate"].to_dict() == {
        "sure": False,
        "unsure": True,
        "unsure-elsewhere": True,
    }


def test_a_candidate_never_joins_a_reported_incident(index: EventIndex) -> None:
    frame = index.select(EventFilter(candidates=True)).set_index("event_id")
    assert frame.loc["sure", "n_reports"] == 1
    assert frame.loc["unsure", "incident_id"] != frame.loc["sure", "incident_id"]


def test_candidates_are_drawn_as_rings_apart_from_reported_markers(index: EventIndex) -> None:
    groups = map_groups(index.select(EventFilter(candidates=True)))
    # the sure report and the unsure one share a point but never a marker
    assert len(groups) == 3 and groups["candidate"].tolist().count(True) == 2
    traces = map_spec(groups, None, {}, None, ("events",))["data"]
    kinds = [((t.get("meta") or {}).get("kind"), len(t.get("lat") or [])) for t in traces]
    assert ("events", 1) in kinds and ("candidates", 2) in kinds and ("candidate-centres", 2) in kinds
    rims = next(t for t in traces if (t.get("meta") or {}).get("kind") == "candidates")
    centres = next(t for t in traces if (t.get("meta") or {}).get("kind") == "candidate-centres")
    assert centres["marker"]["color"] == "#ffffff"
    assert [c / 2 for c in rims["marker"]["size"]] == centres["marker"]["size"]
    assert all("low-confidence candidate" in t for t in rims["text"])
    # hidden by default: no ring at all
    default = map_spec(map_groups(index.select(EventFilter())), None, {}, None, ("events",))["data"]
    assert not [
        t for t in default if (t.get("meta") or {}).get("kind") in ("candidates", "candidate-centres")
    ]


def test_the_link_and_the_title_say_candidates_are_shown() -> None:
    flt = EventFilter.from_query("cand=1")
    assert flt.candidates and flt.to_query() == "cand=1"
    assert "low-confidence candidates" in flt.describe()
    assert EventFilter.from_query("cand=maybe").problems == ("cand=maybe is not 1 or 0; ignored",)
