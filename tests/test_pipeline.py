"""The pipeline end to end on real files: feed bytes -> articles -> events -> SQLite -> incidents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conflictmap.config import BUNDLED_DATA, Settings
from conflictmap.pipeline import ingest_paths, prepare
from conflictmap.store import EventStore

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


@pytest.fixture
def store(tmp_path):
    return EventStore(f"sqlite:///{tmp_path / 'events.sqlite'}")


def test_ingest_a_feed_jsonl_and_folder_then_again_adds_nothing(store):
    paths = [FEEDS / "rss.xml", FEEDS / "articles.jsonl", FEEDS / "folder"]
    first = ingest_paths(store, paths)
    assert first.articles_added >= 6
    assert first.events_added >= 3
    # the cut-off JSON line, the article with no text and the broken XML feed are named, not fatal
    assert any("articles.jsonl" in e and ":3" in e for e in first.errors), first.errors
    assert any("broken.xml" in e for e in first.errors), first.errors
    counts = store.counts()
    again = ingest_paths(store, paths)
    assert again.articles_added == 0 and again.events_added == 0
    assert len(again.articles_skipped) == first.articles_added
    assert store.counts() == counts


def test_progress_is_reported(store):
    seen = []
    ingest_paths(store, [FEEDS / "rss.xml"], progress=lambda done, total, what: seen.append((done, total)))
    assert seen and seen[-1][0] == 3


def test_hostile_feed_item_is_stored_as_plain_text(store):
    ingest_paths(store, [FEEDS / "hostile.xml"])
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("select title, text, url from articles").all()
    assert rows
    for title, text, url in rows:
        for value in (title or "", text):
            assert "<script" not in value.lower() and "onerror" not in value.lower()
        assert url is None or url.startswith(("http://", "https://"))


def test_unreadable_path_is_reported_and_the_rest_goes_in(store, tmp_path):
    report = ingest_paths(store, [tmp_path / "nope.jsonl", FEEDS / "rss.xml"])
    assert any("nope.jsonl" in e for e in report.errors)
    assert report.articles_added == 3


def test_prepare_is_idempotent_and_extracts_the_seed_report(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert prepare(settings) == []
    store = EventStore(settings.db_url)
    first = store.counts()
    assert first["articles"] == 1 and first["zones"] >= 4
    seed = [e for e in store.all_events(origin="extracted")]
    assert {(e.event_date.isoformat(), e.event_type) for e in seed} >= {
        ("2024-08-07", "battle"),
        ("2024-08-12", "battle"),
    }
    assert sum(1 for e in seed if e.sub_event_type == "agreement") == 2
    assert len(store.all_events(origin="reference")) > 40
    prepare(settings)
    assert store.counts() == first


def test_bad_zones_file_keeps_the_zones_already_loaded(tmp_path):
    settings = Settings(data_dir=tmp_path)
    prepare(settings)
    before = EventStore(settings.db_url).counts()["zones"]
    bad = tmp_path / "zones.geojson"
    doc = json.loads((BUNDLED_DATA / "zones.geojson").read_text())
    del doc["features"][0]["properties"]["controller"]
    bad.write_text(json.dumps(doc))
    problems = prepare(Settings(data_dir=tmp_path, zones_path=bad))
    assert any("controller" in p and "refused" in p for p in problems), problems
    assert EventStore(settings.db_url).counts()["zones"] == before


def test_corrupt_basemap_file_is_named_and_the_app_still_serves(tmp_path):
    bundled = tmp_path / "bundled"
    shutil.copytree(BUNDLED_DATA, bundled)
    (bundled / "rivers_euphrates_khabur.geojson").write_text("{ not json")
    settings = Settings(data_dir=tmp_path / "var", bundled_dir=bundled)
    from app import create_app
    from components import status_panel

    app = create_app(settings)
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    _counts, problems = status_panel.update_status("")
    text = " ".join(str(p.children) for p in problems)
    assert "rivers_euphrates_khabur.geojson" in text


def test_restarting_on_the_same_zones_file_changes_nothing(tmp_path):
    settings = Settings(data_dir=tmp_path)
    prepare(settings)
    version = EventStore(settings.db_url).version()
    prepare(settings)
    assert EventStore(settings.db_url).version() == version  # no bump: caches stay warm


def test_regrouping_keeps_incident_ids_that_links_point_at():
    from conflictmap.pipeline import keep_incident_ids

    previous = {"e1": "inc:e1", "e2": "inc:e1", "e3": "inc:e3"}
    # a new, earlier report e0 joined e1/e2: the clusterer names the group after e0
    fresh = {
        "e0": ("inc:e0", "why"),
        "e1": ("inc:e0", "why"),
        "e2": ("inc:e0", "why"),
        "e3": ("inc:e3", "single"),
    }
    kept = keep_incident_ids(fresh, previous)
    assert {kept[e][0] for e in ("e0", "e1", "e2")} == {"inc:e1"}
    assert kept["e3"][0] == "inc:e3"


def test_regrouping_never_gives_two_incidents_one_id():
    from conflictmap.pipeline import keep_incident_ids

    # the old incident inc:e3 split: e4 joined e0's group, e3 stayed alone
    previous = {"e3": "inc:e3", "e4": "inc:e3", "e0": "inc:e0"}
    fresh = {"e0": ("inc:e0", "w"), "e4": ("inc:e0", "w"), "e3": ("inc:e3", "single")}
    kept = keep_incident_ids(fresh, previous)
    assert kept["e0"][0] == kept["e4"][0]
    assert kept["e3"][0] != kept["e0"][0]
