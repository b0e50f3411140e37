"""EventStore on a real SQLite file and a real PostgreSQL database (the ``store_url`` parameter of
``tests/conftest.py``): idempotent ingest, transactional writes, zones, incidents, the version."""

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from conflictmap.models import Article
from conflictmap.storage.store import EventStore
from tests.helpers import make_event, split_zones


@pytest.fixture
def store(store_url):
    store = EventStore(store_url)
    yield store
    store.engine.dispose()
    store.writer.dispose()


@pytest.fixture
def sqlite_store(tmp_path):
    return EventStore(f"sqlite:///{tmp_path / 'db' / 'events.sqlite'}")


def article(i: str, text: str = "Clashes broke out in Dhiban on Monday.", url: str | None = None) -> Article:
    return Article(i, url or f"https://example.org/{i}", "Test Outlet", "A title", date(2024, 8, 13), text)


def test_file_is_created_in_wal_mode(sqlite_store, tmp_path):
    assert (tmp_path / "db" / "events.sqlite").exists()
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_same_article_twice_adds_nothing(store):
    first = store.add_article(article("a1"), [make_event("e1", article_id="a1")])
    again = store.add_article(article("a1"), [make_event("e1", article_id="a1")])
    assert first.added and first.events == 1
    assert not again.added and again.reason == "same id seen"
    assert store.counts()["articles"] == 1 and store.counts()["events"] == 1


def test_same_text_at_another_address_is_skipped(store):
    store.add_article(article("a1"), [])
    res = store.add_article(article("a2", url="https://mirror.example.org/x"), [])
    assert not res.added and res.reason == "same text seen"
    res = store.add_article(article("a3", text="Another report entirely.", url="https://example.org/a1"), [])
    assert not res.added and res.reason == "same address seen"


def test_failed_write_leaves_nothing_half_written(store):
    store.add_article(article("a1"), [make_event("dup", article_id="a1")])
    before = store.counts()
    with pytest.raises(IntegrityError):
        # the second article carries an event id that already exists: the whole article is refused
        store.add_article(article("a2", text="A different report."), [make_event("dup", article_id="a2")])
    assert store.counts() == before
    assert store.article("a2") is None


def test_incident_grouping_is_reversible(store):
    store.add_article(article("a1"), [make_event("e1", article_id="a1")])
    store.add_article(article("a2", text="Second outlet's report."), [make_event("e2", article_id="a2")])
    store.set_incidents({"e1": ("inc:e1", "same day, 0 km"), "e2": ("inc:e1", "same day, 0 km")})
    assert store.counts()["incidents"] == 1
    reports = store.incident_reports("inc:e1")
    assert {r["event_id"] for r in reports} == {"e1", "e2"}
    assert reports[0]["title"] == "A title"
    assert store.split_incident("inc:e1") == 2
    assert store.counts()["incidents"] == 2


def test_zones_round_trip_and_replace(store):
    store.replace_zones(split_zones(), "test")
    back = store.zone_versions()
    assert [z.zone_id for z in back] == ["east-2019", "west-2019", "west-2024"]
    assert back[1].valid_to == date(2024, 12, 5) and back[0].valid_to is None
    assert back[0].geometry.equals(split_zones()[0].geometry)
    store.replace_zones(split_zones()[:1], "test2")
    assert len(store.zone_versions()) == 1


def test_version_moves_on_every_write(store):
    v0 = store.version()
    store.add_article(article("a1"), [])
    v1 = store.version()
    store.upsert_events([make_event("r1", origin="reference")])
    assert v0 < v1 < store.version()


def test_upsert_is_idempotent(store):
    store.upsert_events([make_event("r1", origin="reference")])
    store.upsert_events([make_event("r1", origin="reference", fatalities=4)])
    assert store.counts()["events"] == 1
    assert store.event("r1")["fatalities"] == 4


def test_three_processes_preparing_one_fresh_store_at_once(backend, tmp_path):
    """What gunicorn does with three workers on a fresh store (a data folder, or an empty
    PostgreSQL database): all succeed, schema made once, data once."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import backend_url

    root = Path(__file__).resolve().parent.parent
    code = "from conflictmap.config import Settings; from conflictmap.pipeline import prepare; print(prepare(Settings.from_env()))"
    with backend_url(backend, tmp_path, "prepare3") as url:
        database = {} if backend == "sqlite" else {"CONFLICTMAP_DATABASE_URL": url}
        env = dict(os.environ, CONFLICTMAP_DATA_DIR=str(tmp_path), **database)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        results = [p.communicate(timeout=240) + (p.returncode,) for p in procs]
        for out, err, code_ in results:
            assert code_ == 0, err[-2000:]
            assert out.strip() == "[]", out
        store = EventStore(url if backend == "postgres" else f"sqlite:///{tmp_path / 'conflictmap.sqlite'}")
        counts = store.counts()
        store.engine.dispose()
        store.writer.dispose()
    assert counts["articles"] == 1 and counts["zones"] >= 4


def test_zone_properties_beyond_the_columns_survive_the_store(store):
    from dataclasses import replace

    zones = [replace(z, extra={"status": "contested", "sources": ["Outlet A, 3 Dec"]}) for z in split_zones()]
    store.replace_zones(zones, "test")
    back = {z.zone_id: z for z in store.zone_versions()}
    assert back[zones[0].zone_id].extra == {"status": "contested", "sources": ["Outlet A, 3 Dec"]}


def test_a_store_from_an_earlier_release_gains_the_properties_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE zones (zone_id VARCHAR(120) PRIMARY KEY, controller VARCHAR(120) NOT NULL,"
            " valid_from DATE NOT NULL, valid_to DATE, label TEXT, source TEXT, confidence VARCHAR(40),"
            " notes TEXT, geometry TEXT NOT NULL, loaded_from TEXT)"
        )
        db.execute(
            "INSERT INTO zones VALUES ('old', 'SDF', '2019-03-23', NULL, 'old zone', 's', 'low', '',"
            ' \'{"type": "Point", "coordinates": [40.1, 35.3]}\', \'file\')'
        )
    old = EventStore(f"sqlite:///{path}")
    kept = old.zone_versions()
    assert [z.zone_id for z in kept] == ["old"] and kept[0].extra == {}
    old.replace_zones(split_zones(), "new")
    assert all(isinstance(z.extra, dict) for z in old.zone_versions())


def _together(n: int, work) -> list[BaseException]:
    """Run ``work(i)`` in ``n`` threads released at once; the exceptions they raised."""
    import threading

    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_writers_each_move_the_version_once(store):
    """Every write moves the version by exactly one, also when writers race on a fresh store.

    Read-then-write lost updates on PostgreSQL (two writers saved the same number, so a worker
    that had cached the first kept serving stale frames) and the first writes of a fresh store
    raced to insert the ``version`` row (a unique-key error)."""
    writers, each = 6, 5
    v0 = store.version()

    def write(i: int) -> None:
        for j in range(each):
            store.upsert_events([make_event(f"w{i}-{j}")])

    assert _together(writers, write) == []
    assert store.version() == v0 + writers * each
    assert store.counts()["events"] == writers * each


def test_a_new_meta_key_set_by_several_writers_at_once(store):
    """Meta is an upsert: writers setting a key nobody wrote yet never collide on it."""
    assert _together(6, lambda i: store.set_meta("zones_signature", f"sig-{i}")) == []
    assert store.get_meta("zones_signature") in {f"sig-{i}" for i in range(6)}
    store.set_meta("zones_signature", "final")
    assert store.get_meta("zones_signature") == "final"


def test_column_types_read_back_the_same_on_every_backend(store):
    """Booleans, dates, floats and empty integers come back as the same Python and pandas types
    from SQLite and PostgreSQL, so nothing downstream branches on the backend."""
    import pandas as pd

    store.upsert_events(
        [
            make_event(
                "t1", civilian_targeting=True, fatalities=None, latitude=35.25, event_date=date(2024, 2, 29)
            ),
            make_event("t2", civilian_targeting=False, fatalities=7),
        ]
    )
    row = store.event("t1")
    assert row["civilian_targeting"] is True and row["fatalities"] is None
    assert row["event_date"] == date(2024, 2, 29) and type(row["event_date"]) is date
    assert isinstance(row["latitude"], float) and row["latitude"] == 35.25
    frame = store.events_frame().set_index("event_id")
    assert frame["civilian_targeting"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(frame["event_date"])
    assert frame.loc["t1", "event_date"] == pd.Timestamp("2024-02-29")
    assert pd.isna(frame.loc["t1", "fatalities"]) and frame.loc["t2", "fatalities"] == 7
    assert [e.event_id for e in store.all_events()] and {
        e.civilian_targeting for e in store.all_events()
    } == {
        True,
        False,
    }


def test_regrouping_writes_and_a_split_are_one_version_move_each(store):
    for i in range(4):
        store.add_article(article(f"a{i}", text=f"Report {i}."), [make_event(f"e{i}", article_id=f"a{i}")])
    v = store.version()
    store.set_incidents({f"e{i}": ("inc:e0", "same day, 0 km") for i in range(4)})
    assert store.version() == v + 1 and store.counts()["incidents"] == 1
    assert {r["merge_reason"] for r in store.incident_reports("inc:e0")} == {"same day, 0 km"}
    assert store.split_incident("inc:e0") == 4
    assert store.version() == v + 2 and store.counts()["incidents"] == 4
    assert (
        store.event("e2")["incident_id"] == "inc:e2" and store.event("e2")["merge_reason"] == "split by hand"
    )


def test_meta_edited_in_place_by_writers_at_once_loses_no_edit(store):
    """``update_meta`` reads and writes under the writer lock: six writers each appending to
    one JSON list in meta (as saved views are kept) leave all six entries."""
    import json

    def append(i: int) -> None:
        store.update_meta("lists", lambda raw: json.dumps([*json.loads(raw or "[]"), i]))

    v = store.version()
    assert _together(6, append) == []
    assert sorted(json.loads(store.get_meta("lists") or "[]")) == list(range(6))
    assert store.version() == v  # bookkeeping: readers' caches stay valid


def test_the_longest_incident_id_fits_on_every_backend(store):
    """An incident id is "inc:" + a report id of up to 80 characters, perhaps with a "~n" suffix:
    PostgreSQL refused ids past 80 characters before migration 0003 widened the column."""
    long_id = "e" * 80
    store.add_article(article("a1"), [make_event(long_id, article_id="a1")])
    incident = f"inc:{long_id}~12"
    store.set_incidents({long_id: (incident, "single report")})
    assert {r["event_id"] for r in store.incident_reports(incident)} == {long_id}
