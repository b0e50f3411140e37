"""The store's schema is made by Alembic revisions; a store made before them upgrades in place
and keeps every article, event and zone."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from conflictmap.storage import migrate
from conflictmap.storage.schema import metadata
from conflictmap.storage.store import EventStore
from tests.helpers import make_event

# The schema as commit 4accb5d created it (SQLAlchemy's create_all on SQLite), the last release
# before migrations.
DDL_4ACCB5D = """
CREATE TABLE articles (
    id VARCHAR(200) NOT NULL, url TEXT, source VARCHAR(200), title TEXT, published DATE,
    text TEXT NOT NULL, hash VARCHAR(64) NOT NULL, ingested_at VARCHAR(32) NOT NULL, origin TEXT,
    language VARCHAR(16), PRIMARY KEY (id), UNIQUE (hash)
);
CREATE INDEX ix_articles_url ON articles (url);
CREATE TABLE events (
    event_id VARCHAR(80) NOT NULL, article_id VARCHAR(200), incident_id VARCHAR(80), merge_reason TEXT,
    event_date DATE NOT NULL, date_precision VARCHAR(8) NOT NULL, event_type VARCHAR(40) NOT NULL,
    sub_event_type VARCHAR(60) NOT NULL, actor1 VARCHAR(120), actor2 VARCHAR(120), location TEXT,
    place_id VARCHAR(80), admin1 VARCHAR(80), latitude FLOAT, longitude FLOAT,
    geo_precision INTEGER NOT NULL, geo_method TEXT, fatalities INTEGER,
    civilian_targeting BOOLEAN NOT NULL, evidence TEXT, evidence_start INTEGER, evidence_end INTEGER,
    confidence FLOAT NOT NULL, source VARCHAR(200), url TEXT, origin VARCHAR(20) NOT NULL,
    extractor_version VARCHAR(40), notes TEXT, PRIMARY KEY (event_id)
);
CREATE INDEX ix_events_event_date ON events (event_date);
CREATE INDEX ix_events_origin ON events (origin);
CREATE INDEX ix_events_article_id ON events (article_id);
CREATE INDEX ix_events_incident_id ON events (incident_id);
CREATE TABLE zones (
    zone_id VARCHAR(120) NOT NULL, controller VARCHAR(120) NOT NULL, valid_from DATE NOT NULL,
    valid_to DATE, label TEXT, source TEXT, confidence VARCHAR(40), notes TEXT, geometry TEXT NOT NULL,
    loaded_from TEXT, properties TEXT, PRIMARY KEY (zone_id)
);
CREATE TABLE meta ("key" VARCHAR(80) NOT NULL, value TEXT, PRIMARY KEY ("key"));
"""
POINT = '{"type": "Point", "coordinates": [40.1, 35.3]}'


def _old_store(path, ddl: str = DDL_4ACCB5D) -> None:
    """A store as the release before migrations left it: its tables and some rows in each."""
    with sqlite3.connect(path) as db:
        db.executescript(ddl)
        for i in range(3):
            db.execute(
                "INSERT INTO articles (id, url, source, title, published, text, hash, ingested_at, origin)"
                " VALUES (?, ?, 'Outlet', 'T', '2024-08-13', ?, ?, '2024-08-14T00:00:00+00:00', 'feed')",
                (f"a{i}", f"https://example.org/{i}", f"Report number {i}.", f"h{i}"),
            )
            db.execute(
                "INSERT INTO events (event_id, article_id, incident_id, merge_reason, event_date,"
                " date_precision, event_type, sub_event_type, actor1, location, place_id, latitude,"
                " longitude, geo_precision, civilian_targeting, evidence, confidence, origin,"
                " extractor_version) VALUES (?, ?, ?, 'single report', '2024-08-12', 'day', 'battle',"
                " 'armed clash', 'SDF', 'Diban', 'dz:diban', 35.0, 40.5, 1, 0, 'x', 0.8, 'extracted',"
                " 'rules-old')",
                (f"e{i}", f"a{i}", f"inc:e{i}"),
            )
        db.execute(
            "INSERT INTO zones (zone_id, controller, valid_from, label, geometry) VALUES"
            " ('z1', 'SDF', '2019-03-23', 'east', ?)",
            (POINT,),
        )
        db.execute("INSERT INTO meta VALUES ('version', '7')")


def _rows(path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608 - fixed names


def test_a_new_store_is_made_by_the_migrations_and_matches_the_code_tables(store_url):
    store = EventStore(store_url)
    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision() == "0004"
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []  # schema.py and the revisions describe the same tables, on either backend
    _dispose(store)


def _dispose(*stores: EventStore) -> None:
    for store in stores:
        store.engine.dispose()
        store.writer.dispose()


def test_a_store_from_4accb5d_upgrades_in_place_and_keeps_everything(tmp_path):
    path = tmp_path / "old.sqlite"
    _old_store(path)
    before = {t: _rows(path, t) for t in ("articles", "events", "zones")}
    store = EventStore(f"sqlite:///{path}")
    for table, rows in before.items():
        got = _rows(path, table)
        assert got == rows, table
    assert len(before["articles"]) == 3 and len(before["events"]) == 3 and len(before["zones"]) == 1
    assert store.version() == 7  # the meta rows too
    tables = set(inspect(store.engine).get_table_names())
    assert {"reviews", "review_members", "review_audit", "alembic_version"} <= tables
    frame = store.events_frame()
    assert sorted(frame["event_id"]) == ["e0", "e1", "e2"] and set(frame["review_status"]) == {"unreviewed"}
    assert [z.zone_id for z in store.zone_versions()] == ["z1"]
    # and the upgraded store takes new writes like a new one
    store.upsert_events([make_event("e9", event_date=date(2024, 8, 20))])
    assert store.counts()["events"] == 4


def test_opening_an_upgraded_store_again_changes_nothing(tmp_path):
    path = tmp_path / "old.sqlite"
    _old_store(path)
    EventStore(f"sqlite:///{path}")
    snapshot = {t: _rows(path, t) for t in ("articles", "events", "zones", "meta", "alembic_version")}
    EventStore(f"sqlite:///{path}")
    assert {t: _rows(path, t) for t in snapshot} == snapshot


def test_a_store_older_still_gains_the_columns_it_lacked(tmp_path):
    path = tmp_path / "older.sqlite"
    ddl = DDL_4ACCB5D.replace(", properties TEXT", "").replace("\n    language VARCHAR(16),", "")
    assert "properties" not in ddl and "language" not in ddl
    _old_store(path, ddl)
    store = EventStore(f"sqlite:///{path}")
    assert store.article("a1")["language"] is None
    assert store.zone_versions()[0].extra == {}
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_a_store_of_a_newer_release_is_refused_by_name(store_url):
    from sqlalchemy import text

    store = EventStore(store_url)
    with store.writer.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(migrate.StoreSchemaError, match="'9999'.*newer conflictmap"):
        EventStore(store_url)
    _dispose(store)


def test_workers_opening_an_old_store_together_upgrade_it_once(tmp_path):
    path = tmp_path / "old.sqlite"
    _old_store(path)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            EventStore(f"sqlite:///{path}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=open_store) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert _rows(path, "alembic_version") == [("0004",)]
    assert len(_rows(path, "events")) == 3


def test_the_revisions_ship_inside_the_package():
    """Installed (not only a checkout), the store finds its migrations beside its code."""
    names = {p.name for p in migrate.MIGRATIONS_DIR.rglob("*") if p.is_file()}
    assert {"env.py", "script.py.mako", "r0001_base.py", "r0002_reviews.py"} <= names
    assert migrate.MIGRATIONS_DIR.parent.name == "storage"


def test_workers_opening_a_fresh_store_together_make_the_schema_once(store_url):
    """Several gunicorn workers starting on an empty database (SQLite file or PostgreSQL): the
    migrations run once under the writer's lock, the others wait and find the store at head."""
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    opened: list[EventStore] = []

    def open_store() -> None:
        start.wait()
        try:
            opened.append(EventStore(store_url))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=open_store) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert len(opened) == 4
    with opened[0].engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    opened[1].upsert_events([make_event("e1")])
    assert opened[2].counts()["events"] == 1 and opened[3].version() == 1
    _dispose(*opened)
