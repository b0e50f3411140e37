"""The pipeline end to end on real files: feed bytes -> articles -> events -> store -> incidents.

Tests taking ``store``, ``store_url`` or ``backend`` run on a SQLite file and on a PostgreSQL
database of their own (tests/conftest.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conflictmap.config import BUNDLED_DATA, Settings
from conflictmap.pipeline import ingest_paths, prepare
from conflictmap.storage.store import EventStore

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


@pytest.fixture
def store(store_url):
    store = EventStore(store_url)
    yield store
    store.engine.dispose()
    store.writer.dispose()


@pytest.fixture
def backend_settings(backend, tmp_path):
    """Settings whose store is a SQLite file in ``tmp_path`` or a fresh PostgreSQL database."""
    from tests.conftest import backend_url

    with backend_url(backend, tmp_path, "pipeline") as url:
        yield Settings(data_dir=tmp_path, database_url=url)


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


def test_prepare_is_idempotent_and_extracts_the_seed_report(backend_settings):
    settings = backend_settings
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
    with app.server.app_context():
        _counts, problems = status_panel.update_status("")
    text = " ".join(str(p.children) for p in problems)
    assert "rivers_euphrates_khabur.geojson" in text


def test_restarting_on_the_same_zones_file_changes_nothing(backend_settings):
    settings = backend_settings
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


def test_regrouping_prefers_the_hand_coded_id_of_a_reference_fact():
    from conflictmap.pipeline import keep_incident_ids

    previous = {"x1": "inc:x1", "r1": "ref:INC-1"}
    fresh = {"x1": ("inc:r1", "why"), "r1": ("inc:r1", "why")}
    assert {v[0] for v in keep_incident_ids(fresh, previous, prefer={"ref:INC-1"}).values()} == {"ref:INC-1"}
    assert {v[0] for v in keep_incident_ids(fresh, previous).values()} == {"inc:x1"}


def test_regrouping_never_gives_two_incidents_one_id():
    from conflictmap.pipeline import keep_incident_ids

    # the old incident inc:e3 split: e4 joined e0's group, e3 stayed alone
    previous = {"e3": "inc:e3", "e4": "inc:e3", "e0": "inc:e0"}
    fresh = {"e0": ("inc:e0", "w"), "e4": ("inc:e0", "w"), "e3": ("inc:e3", "single")}
    kept = keep_incident_ids(fresh, previous)
    assert kept["e0"][0] == kept["e4"][0]
    assert kept["e3"][0] != kept["e0"][0]


# ---- one incident, counted once, across origins ---------------------------------------------


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """The bundled data prepared as on first run: reference facts plus the extracted seed report."""
    from conflictmap.read.service import DataService

    settings = Settings(data_dir=tmp_path_factory.mktemp("prepared"))
    assert prepare(settings) == []
    return DataService(settings)


def _reference_incidents() -> set[str]:
    lines = (BUNDLED_DATA / "reference_events.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["incident_id"] for line in lines if line.strip()}


def test_the_seed_attack_of_2024_08_12_is_shown_once_with_20_killed(prepared):
    from conflictmap.read.query import EventFilter

    view = prepared.view(EventFilter.from_query("start=2024-08-12&end=2024-08-12&type=battle"))
    assert view.counts == {"incidents": 1, "reports": 2, "fatalities": 20}
    row = view.selected.iloc[0]
    assert set(row["origins"].split("\x1f")) == {"extracted", "reference"}
    # named after the hand-coded incident: the same id on every install and extractor version
    assert row["incident_id"] == "ref:INC-2024-08-12-sdf-retaliation"
    reports = prepared.incident(row["incident_id"])
    assert sorted(r["origin"] for r in reports) == ["extracted", "reference"]


def test_every_extracted_seed_incident_joined_its_reference_fact(prepared):
    frame = prepared.index().frame
    # the seed report is in the reference facts, so extraction adds reports, never incidents
    assert len(frame) == len(_reference_incidents())
    extracted = prepared.store.all_events(origin="extracted")
    assert len(extracted) >= 4
    with_ref = frame[frame["origins"].str.contains("reference") & frame["origins"].str.contains("extracted")]
    assert len(with_ref) == len({e.incident_id for e in extracted}) >= 4
    assert int(frame["n_reports"].sum()) == len(prepared.store.all_events())


def test_reference_facts_span_2017_to_2026(prepared):
    start, end = prepared.index().span()
    assert start.year == 2017 and end.year == 2026
    assert len(prepared.index()) > 120


@pytest.mark.parametrize(
    "query", ["", "type=battle", "start=2024-08-01&end=2024-08-31", "origin=extracted", "origin=reference"]
)
def test_counts_timeline_csv_and_geojson_agree(prepared, query):
    import csv
    import io

    from conflictmap.export.tables import export_rows, to_csv, to_geojson
    from conflictmap.read.query import EventFilter

    view = prepared.view(EventFilter.from_query(query))
    rows = export_rows(view.selected)
    table = list(csv.DictReader(io.StringIO(to_csv(rows))))
    features = to_geojson(rows)["features"]
    n = view.counts["incidents"]
    assert n > 0
    assert len(table) == len(features) == n == len({r["incident_id"] for r in table})
    assert sum(int(r["fatalities"]) for r in table) == view.counts["fatalities"]
    assert sum(int(r["n_reports"]) for r in table) == view.counts["reports"]
    assert int(view.bins["count"].sum()) == n
    assert int(view.bins["fatalities"].sum()) == view.counts["fatalities"]


def test_an_extracted_only_filter_still_lists_incidents_also_coded_by_hand(prepared):
    from conflictmap.export.tables import export_rows
    from conflictmap.read.query import EventFilter

    view = prepared.view(EventFilter.from_query("origin=extracted"))
    assert view.counts["incidents"] == len(
        {e.incident_id for e in prepared.store.all_events(origin="extracted")}
    )
    assert view.counts["incidents"] >= 4
    assert {r["origin"] for r in export_rows(view.selected)} == {"extracted|reference"}


def test_a_reloaded_reference_file_is_linked_to_the_extracted_reports_again(tmp_path):
    import os

    bundled = tmp_path / "bundled"
    shutil.copytree(BUNDLED_DATA, bundled)
    settings = Settings(data_dir=tmp_path / "var", bundled_dir=bundled)
    prepare(settings)
    store = EventStore(settings.db_url)
    before = store.counts()["incidents"]
    ref = bundled / "reference_events.jsonl"
    stat = ref.stat()
    os.utime(ref, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # an edited file: reloaded
    assert prepare(settings) == []
    assert store.get_meta("reference_loaded_from").endswith(str(stat.st_mtime_ns + 10**9))
    assert store.counts()["incidents"] == before == len(_reference_incidents())


def test_reference_fact_and_extracted_report_in_one_store_are_one_incident(backend_settings, tmp_path):
    from datetime import date

    from conflictmap.models import Article
    from conflictmap.pipeline import load_reference_events, regroup_incidents
    from conflictmap.read.query import EventFilter
    from conflictmap.read.service import DataService
    from tests.helpers import make_event

    day = date(2024, 3, 5)
    facts = tmp_path / "reference.jsonl"
    fact = make_event(
        "ref:one",
        article_id="ref:a1",
        event_date=day,
        origin="reference",
        incident_id="ref:INC-1",
        confidence=1.0,
        evidence="",
        geo_method="coded by hand",
        fatalities=3,
    )
    far = make_event(
        "ref:two",
        article_id="ref:a2",
        event_date=day,
        origin="reference",
        incident_id="ref:INC-2",
        location="Hajin",
        place_id="dz:hajin",
        latitude=34.695,
        longitude=40.835,
        confidence=1.0,
    )
    facts.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in (fact, far)))
    settings = backend_settings
    store = EventStore(settings.db_url)
    assert load_reference_events(store, facts) == 2
    article = Article(
        id="a1",
        url="https://example.org/a1",
        source="Test Outlet",
        title="t",
        published=day,
        text="Fighters clashed in the village overnight; three were killed.",
    )
    read = make_event("x1", article_id="a1", event_date=day, fatalities=3)
    assert store.add_article(article, [read]).added
    assert regroup_incidents(store) == 2
    assert store.event("x1")["incident_id"] == store.event("ref:one")["incident_id"] == "ref:INC-1"
    assert store.event("ref:two")["incident_id"] != store.event("ref:one")["incident_id"]
    counts = DataService(settings).view(EventFilter()).counts
    assert counts == {"incidents": 2, "reports": 3, "fatalities": 3}


def test_prepare_applies_the_ingest_date_window_of_its_settings(tmp_path):
    from datetime import date

    from conflictmap.config import IngestLimits

    settings = Settings(data_dir=tmp_path, ingest_limits=IngestLimits(date_max=date(2020, 1, 1)))
    problems = prepare(settings)
    assert any(
        "rudaw-2024-08-13.jsonl:1: publication date 2024-08-13 is outside the accepted 1990-01-01 to 2020-01-01"
        in p
        for p in problems
    ), problems
    assert EventStore(settings.db_url).counts()["articles"] == 0


# ---- imported datasets: their own incidents, linked and never merged --------------------------

ACLED_SAMPLE = Path(__file__).parent / "data" / "acled_sample.csv"


def _diban_reports():
    """Two outlets' reports of the Diban clash of 12 March 2024, which ACLED codes as SYR90001."""
    from datetime import date

    from tests.helpers import make_event

    kw = dict(
        event_date=date(2024, 3, 12),
        actor1="SDF",
        actor2="Arab tribal fighters",
        location="Diban",
        place_id="dz:diban",
        latitude=35.0157,
        longitude=40.5101,
    )
    return [make_event("diban-a", **kw), make_event("diban-b", source="Other Outlet", **kw)]


def test_imported_rows_are_never_clustered_and_extracted_incident_ids_stay(store):
    from conflictmap.ingest.acled import read_acled
    from conflictmap.pipeline import IMPORTED_OWN_INCIDENT, regroup_incidents

    store.upsert_events(_diban_reports())
    regroup_incidents(store)
    before = {e.event_id: e.incident_id for e in store.all_events(origin="extracted")}
    assert len(set(before.values())) == 1  # the two outlets' reports are one incident
    acled = read_acled(ACLED_SAMPLE)
    store.replace_origin("acled", acled.events)
    n = regroup_incidents(store)

    after = {e.event_id: e.incident_id for e in store.all_events(origin="extracted")}
    assert after == before
    row = store.event("acled:SYR90001")
    assert row is not None and row["incident_id"] == "inc:acled:SYR90001"
    assert all(e.incident_id == f"inc:{e.event_id}" for e in store.all_events(origin="acled"))
    assert n == 1 + acled.stored  # ours, and each imported row on its own
    # ... and linked: the detail panel reads "also in ACLED SYR90001" from the store.
    links = store.cross_links()
    (incident,) = set(before.values())
    assert [(lk["label"], lk["days"]) for lk in links[incident]] == [("ACLED SYR90001", 0)]
    assert set(links) == {incident}

    # A row an older grouping had folded into our incident gets its own id back; ours keep theirs.
    store.set_incidents({"acled:SYR90001": (incident, "merged by an older version")})
    regroup_incidents(store)
    row = store.event("acled:SYR90001")
    assert row is not None and (row["incident_id"], row["merge_reason"]) == (
        "inc:acled:SYR90001",
        IMPORTED_OWN_INCIDENT,
    )
    assert {e.event_id: e.incident_id for e in store.all_events(origin="extracted")} == before


def test_an_extracted_report_never_takes_an_imported_rows_own_id(store):
    from conflictmap.ingest.acled import read_acled
    from conflictmap.pipeline import regroup_incidents

    store.replace_origin("acled", read_acled(ACLED_SAMPLE).events)
    store.upsert_events(_diban_reports())
    # as if an older grouping had named our incident after the ACLED row
    store.set_incidents({e.event_id: ("inc:acled:SYR90001", "older") for e in _diban_reports()})
    regroup_incidents(store)
    ours = {e.incident_id for e in store.all_events(origin="extracted")}
    assert len(ours) == 1 and "inc:acled:SYR90001" not in ours
    assert store.event("acled:SYR90001")["incident_id"] == "inc:acled:SYR90001"


# ---- a few reports written for these tests, through the pipeline on either backend -----------

OWN_REPORTS = [
    {
        "id": "pg-1",
        "url": "https://example.org/pg/1",
        "source": "Test Wire",
        "title": "Clash in Diban",
        "publication_date": "2024-08-14",
        "text": "Clash in Diban\nSDF fighters clashed with pro-regime National Defense Forces in Diban "
        "on Tuesday, a local monitor said. Two fighters were killed.",
    },
    {
        "id": "pg-2",
        "url": "https://example.org/pg/2",
        "source": "Test Wire",
        "title": "Protest in Hajin",
        "publication_date": "2024-08-20",
        "text": "Protest in Hajin\nHundreds of residents protested peacefully in Hajin on Monday against "
        "fuel prices, witnesses said.",
    },
]
LATER_REPORT = {
    "id": "pg-3",
    "url": "https://example.org/pg/3",
    "source": "Other Outlet",
    "title": "Fighting in Diban",
    "publication_date": "2024-08-14",
    "text": "Fighting in Diban\nThe SDF and NDF militiamen fought in Diban on Tuesday. Two fighters died.",
}


def _feed(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_own_reports_ingest_regroup_and_read_the_same_on_every_backend(backend_settings, tmp_path):
    """Ingest, a later report of the same clash joining it on regrouping, the version moving,
    and the dashboard's counts read from the store (DataService), on SQLite and PostgreSQL."""
    from conflictmap.read.query import EventFilter
    from conflictmap.read.service import DataService

    settings = backend_settings
    store = EventStore(settings.db_url)
    first = ingest_paths(store, [_feed(tmp_path / "a.jsonl", OWN_REPORTS)])
    assert first.errors == [] and first.articles_added == 2 and first.events_added >= 2
    frame = store.events_frame()
    assert frame["incident_id"].nunique() == first.incidents >= 2
    (clash,) = set(frame.loc[frame["article_id"] == "pg-1", "incident_id"])
    version = store.version()
    service = DataService(settings)
    before = service.view(EventFilter()).counts

    later = ingest_paths(store, [_feed(tmp_path / "b.jsonl", [LATER_REPORT])])
    assert later.articles_added == 1 and store.version() > version
    frame = store.events_frame()
    # the two outlets' reports of the clash are one incident now (its id may be either's)
    (joined,) = set(frame.loc[frame["article_id"].isin(["pg-1", "pg-3"]), "incident_id"])
    assert len(store.incident_reports(joined)) == 2
    assert frame["incident_id"].nunique() == first.incidents
    assert clash == joined or clash not in set(frame["incident_id"])  # no stale id left behind
    after = service.view(EventFilter()).counts  # the service sees the moved version
    assert after["incidents"] == before["incidents"] and after["reports"] == before["reports"] + 1
    again = ingest_paths(store, [_feed(tmp_path / "b.jsonl", [LATER_REPORT])])
    assert again.articles_added == 0 and [why for _, why in again.articles_skipped] == ["same id seen"]
