"""The incident table is written once per store version and mapped by every process
(read/columnar.py): a second worker maps what the first built, a write makes a new file and
retires the old one, a store made again at the same address never reads the old store's file,
the mapped table filters exactly as the table built in memory, and a folder that cannot be
written falls back to building in memory."""

from __future__ import annotations

import json
import logging
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conflictmap import cli
from conflictmap.config import Settings
from conflictmap.models import Article
from conflictmap.read import columnar
from conflictmap.read import service as service_module
from conflictmap.read.index import EventIndex
from conflictmap.read.query import EventFilter
from conflictmap.read.service import DataService
from conflictmap.storage.store import EventStore
from tests.helpers import make_event

SAMPLE_FEED = Path(__file__).resolve().parent.parent / "data" / "sample_feed" / "rudaw-2024-08-13.jsonl"

# Repeated actors, places and types (stored as dictionary codes), Arabic and English sentences.
ROWS = [
    ("SDF", "ISIS", "battle", "Hajin", "Clashes at dawn left three SDF fighters dead near Hajin.", 3),
    ("SDF", "ISIS", "battle", "Hajin", "Another exchange of fire was heard east of Hajin.", None),
    ("ISIS", "", "explosion", "al-Busayrah", "An IED struck a fuel truck on the al-Busayrah road.", 1),
    ("Unknown", "Civilians", "violence_against_civilians", "Dhiban", "قتل مدني برصاص مجهولين في ذيبان", 1),
    (
        "SDF",
        "Tribal fighters",
        "battle",
        "Dhiban",
        "Tribal fighters attacked an SDF checkpoint in Dhiban.",
        2,
    ),
    ("SDF", "ISIS", "battle", "Hajin", "Night raid: the SDF said two cells were dismantled.", 0),
    ("SDF", "Tribal fighters", "battle", "Dhiban", "Gunfire again in Dhiban as talks stalled.", None),
    ("ISIS", "", "explosion", "al-Busayrah", "A second blast hit the same road days later.", 0),
]


def _fill(
    store: EventStore, rows=ROWS, outlet: str = "River Post", *, later: int = 0, told: str = ""
) -> None:
    """One article and event per row, dated 1 March 2024 onwards (``later`` days after that),
    each sentence after ``told`` (a new text: the store keeps one copy of a text)."""
    for n, (a1, a2, kind, place, said, killed) in enumerate(rows, start=1):
        sentence = told + said
        art = Article(
            f"{outlet[:1]}{n}",
            f"https://river.example/{outlet[:1]}{n}",
            outlet,
            f"Report {n}",
            date(2024, 3, later + n),
            sentence,
        )
        event = make_event(
            f"{outlet[:1]}e{n}",
            article_id=art.id,
            event_type=kind,
            actor1=a1,
            actor2=a2,
            location=place,
            evidence=sentence,
            fatalities=killed,
            event_date=date(2024, 3, later + n),
            source=outlet,
        )
        store.add_article(art, [event], origin="test")


@pytest.fixture
def settings(tmp_path):
    s = Settings(data_dir=tmp_path)
    _fill(EventStore(s.db_url))
    return s


def _files(settings: Settings) -> list[str]:
    return sorted(p.name for p in settings.effective_index_dir.glob("*.arrow"))


def test_a_second_worker_maps_the_file_the_first_built(settings, monkeypatch):
    first = DataService(settings)
    assert len(first.index()) == len(ROWS)
    assert len(_files(settings)) == 1

    def no_build(*_a, **_k):
        raise AssertionError("a second worker must map the file, not build the table again")

    monkeypatch.setattr(columnar, "build_table", no_build)
    second = DataService(settings)
    a, b = first.index().frame, second.index().frame
    assert list(a["incident_id"]) == list(b["incident_id"])
    assert list(a["actor1"].astype(str)) == list(b["actor1"].astype(str))


def test_a_write_makes_a_new_file_and_retires_the_old_one(settings):
    svc = DataService(settings)
    svc.index()
    before = _files(settings)
    _fill(
        EventStore(settings.db_url),
        [("SDF", "ISIS", "battle", "Abu Hamam", "A clash at Abu Hamam.", 4)],
        "Valley News",
    )
    assert len(svc.index()) == len(ROWS) + 1
    after = _files(settings)
    assert len(after) == 1 and after != before
    assert "Abu Hamam" in set(svc.index().frame["location"].astype(str))


def test_a_store_made_again_at_the_same_address_never_reads_the_old_file(settings):
    DataService(settings).index()
    old_id = EventStore(settings.db_url).store_id()
    for suffix in ("", "-wal", "-shm"):
        (settings.data_dir / f"conflictmap.sqlite{suffix}").unlink(missing_ok=True)
    store = EventStore(settings.db_url)
    _fill(store, ROWS[:2], "Valley News")  # the same number of writes would give the same version
    assert store.store_id() != old_id
    fresh = DataService(settings).index()
    assert set(fresh.frame["source"].astype(str)) == {"Valley News"}
    assert len(fresh) == 2


QUERIES = [
    "",
    "actor=SDF",
    "actor=ISIS&actor=Civilians",
    "type=battle",
    "type=explosion&type=violence_against_civilians",
    "q=hajin",
    "q=clash",
    "q=ذيبان",
    "q=CHECKPOINT",
    "outlet=River Post",
    "minfat=2",
    "start=2024-03-02&end=2024-03-04",
    "zone=SDF",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_mapped_table_filters_as_the_one_built_in_memory(settings, query):
    mapped = DataService(settings).index()
    built = EventIndex(columnar.build_table(settings.db_url, True))
    # repeated texts really are dictionary codes in the mapped table (what keeps a worker small)
    assert str(mapped.frame["actor1"].dtype) == "category"
    flt = EventFilter.from_query(query)
    got, want = mapped.mask(flt), built.mask(flt)
    assert np.array_equal(got, want), query
    assert got.any() or query in ("zone=SDF",), f"{query} should keep something"


def test_text_search_is_a_case_blind_substring_of_the_sentence_and_place(settings):
    idx = DataService(settings).index()
    kept = idx.frame[idx.mask(EventFilter.from_query("q=HAJIN"))]
    assert sorted(kept["location"].astype(str)) == ["Hajin"] * 3  # two sentences name it; one only its place
    arabic = idx.frame[idx.mask(EventFilter.from_query("q=برصاص"))]
    assert list(arabic["location"].astype(str)) == ["Dhiban"]
    assert not idx.mask(EventFilter.from_query("q=nowhere-at-all")).any()


def test_a_folder_that_cannot_be_written_falls_back_to_memory(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the index folder should be")
    settings = Settings(data_dir=tmp_path, index_dir=blocker / "index")
    _fill(EventStore(settings.db_url))
    with caplog.at_level(logging.WARNING):
        idx = DataService(settings).index()
    assert len(idx) == len(ROWS)
    assert "CONFLICTMAP_INDEX_DIR" in caplog.text


def test_a_large_store_is_built_in_a_child_process(settings, monkeypatch):
    monkeypatch.setattr(service_module, "CHILD_BUILD_ABOVE", 0)

    def not_here(*_a, **_k):
        raise AssertionError("above the threshold the table is built in a child process")

    monkeypatch.setattr(columnar, "build_table", not_here)
    idx = DataService(settings).index()
    assert len(idx) == len(ROWS)
    assert len(_files(settings)) == 1


def test_a_large_store_derives_its_next_table_in_a_child_process_too(settings, monkeypatch):
    """A worker of a large store never derives in its own thread: at a million incidents that
    held its interpreter lock for seconds while requests waited. The child derives (not builds)."""
    from conflictmap.review.decisions import Reviews

    monkeypatch.setattr(columnar, "DERIVE_FROM_ROWS", 0)
    svc = DataService(settings)
    first = svc.index().frame
    monkeypatch.setattr(service_module, "CHILD_BUILD_ABOVE", 0)

    def not_here(*_a, **_k):
        raise AssertionError("above the threshold the table is written in a child process")

    monkeypatch.setattr(columnar, "derive_table", not_here)
    monkeypatch.setattr(columnar, "build_table", not_here)
    target = str(first["incident_id"].iloc[0])
    Reviews(EventStore(settings.db_url)).correct(target, {"fatalities": 11}, who="ana", expected_version=0)
    svc.index()  # starts the rebuild; a child process may take longer than the refresh wait
    building = svc._building
    assert building is None or building.wait(120)
    table = svc.index().frame
    assert set(table.loc[table["incident_id"] == target, "fatalities"]) == {11}
    assert len(_files(settings)) == 1


def test_the_child_process_derives_when_it_can(settings, monkeypatch, capsys):
    """The child's entry point writes the next version as the worker would have: derived from
    the previous file when every write since recorded what it changed (here a correction)."""
    from conflictmap.review.decisions import Reviews

    monkeypatch.setattr(columnar, "DERIVE_FROM_ROWS", 0)
    svc = DataService(settings)
    first = svc.index().frame
    store = EventStore(settings.db_url)
    Reviews(store).correct(
        str(first["incident_id"].iloc[0]), {"fatalities": 11}, who="ana", expected_version=0
    )
    path = columnar.index_file(settings.effective_index_dir, store, True, store.version())
    monkeypatch.setenv("CONFLICTMAP_INDEX_BUILD_URL", settings.db_url)
    monkeypatch.setattr(columnar, "build_table", lambda *_a, **_k: pytest.fail("derived, not built"))
    assert columnar._main([str(path)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "derived"
    assert path.exists() and columnar.words_file(path).exists()


def test_an_ingest_leaves_the_table_ready_for_the_dashboard(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONFLICTMAP_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["ingest", str(SAMPLE_FEED)]) == 0
    assert "incident index of store version" in capsys.readouterr().out
    settings = Settings(data_dir=tmp_path / "data")
    assert len(_files(settings)) == 1

    def no_build(*_a, **_k):
        raise AssertionError("the ingest built it: the dashboard maps it")

    monkeypatch.setattr(columnar, "build_table", no_build)
    stored = EventStore(settings.db_url).counts()["incidents"]
    assert stored > 0
    assert len(DataService(settings).index()) == stored


def _feed(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    """Invented reports as JSON Lines: (id, outlet, day published, headline, body)."""
    lines = [
        json.dumps(
            {
                "id": rid,
                "url": f"https://river.example/{rid}",
                "source": outlet,
                "title": headline,
                "publication_date": day,
                "text": f"{headline}\n{body}",
            }
        )
        for rid, outlet, day, headline, body in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _values(frame) -> dict[str, list]:
    """Each column's values as plain Python (categorical or not, None for blanks), row by row."""
    return {c: [None if pd.isna(v) else v for v in frame[c].astype(object)] for c in frame.columns}


def test_an_ingest_derives_the_new_table_and_it_equals_a_full_build(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONFLICTMAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(columnar, "DERIVE_FROM_ROWS", 0)  # these tables are small: derive anyway
    first = _feed(
        tmp_path / "first.jsonl",
        [
            (
                "r1",
                "River Post",
                "2024-06-04",
                "Clash in Hajin",
                "SDF fighters clashed with pro-regime militiamen in Hajin on Monday, residents said. Four fighters were killed.",
            ),
            (
                "r2",
                "Valley News",
                "2024-06-12",
                "Drone strike near al-Busayrah",
                "A drone strike hit a car in al-Busayrah on Tuesday, killing two men, a local activist said.",
            ),
            (
                "r3",
                "River Post",
                "2024-06-20",
                "Arrests in Dhiban",
                "SDF security forces arrested five young men in a raid on Dhiban on Wednesday, relatives said.",
            ),
        ],
    )
    assert cli.main(["ingest", str(first)]) == 0
    assert "built in" in capsys.readouterr().out  # nothing before it to derive from
    # A second outlet on the Hajin clash (joins that incident), and a new shelling elsewhere.
    second = _feed(
        tmp_path / "second.jsonl",
        [
            (
                "s1",
                "Valley News",
                "2024-06-04",
                "Fighting in Hajin",
                "Clashes between the SDF and pro-regime militiamen in Hajin on Monday killed four fighters, residents said.",
            ),
            (
                "s2",
                "Valley News",
                "2024-06-25",
                "Shelling hits Mayadin",
                "Regime artillery shelled the outskirts of Mayadin on Sunday, wounding three civilians, a medical source said.",
            ),
        ],
    )
    assert cli.main(["ingest", str(second)]) == 0
    out = capsys.readouterr().out
    assert "derived in" in out, out
    settings = Settings(data_dir=tmp_path / "data")
    store = EventStore(settings.db_url)
    mapped = DataService(settings).index().frame
    full = columnar.build_table(settings.db_url, True)
    assert list(mapped.columns) == list(full.columns)
    assert _values(mapped) == _values(full)
    # the second outlet's report joined the first's incident: five reports, four incidents
    assert store.report_count() == 5 and len(full) == 4 and sorted(full["n_reports"]) == [1, 1, 1, 2]

    # A report of another incident on a day that already has one: placed among that day's rows.
    third = _feed(
        tmp_path / "third.jsonl",
        [
            (
                "t1",
                "River Post",
                "2024-06-12",
                "Arrests in Mayadin",
                "SDF security forces arrested three young men in a raid on Mayadin on Tuesday, relatives said.",
            )
        ],
    )
    assert cli.main(["ingest", str(third)]) == 0
    assert "derived in" in capsys.readouterr().out
    mapped = DataService(settings).index().frame
    full = columnar.build_table(settings.db_url, True)
    assert len(full) == 5 and full["event_date"].duplicated().any()  # two incidents share a day
    assert _values(mapped) == _values(full)


def test_a_write_that_does_not_say_what_it_changed_is_built_in_full(settings, capsys):
    svc = DataService(settings)
    svc.index()
    store = EventStore(settings.db_url)
    with store.writer.begin() as conn:  # a write that records nothing (as a review does)
        store.bump_version(conn)
    assert store.touched_between(store.version() - 1, store.version()) is None
    with store.writer.begin() as conn:
        store.bump_version(conn, touched=["inc:nothing"])
    # one version in the range without a record is enough to refuse deriving across it
    assert store.touched_between(store.version() - 2, store.version()) is None
    assert store.touched_between(store.version() - 1, store.version()) == {"inc:nothing"}


def test_each_decision_is_derived_and_equals_a_full_build(settings, monkeypatch):
    """Confirm, correct, reject, merge, split and a hand-added incident each record what they
    changed; the table after each is derived (a full build is forbidden here) and equals one."""
    from conflictmap.review.decisions import Reviews

    monkeypatch.setattr(columnar, "DERIVE_FROM_ROWS", 0)  # a small table: derive anyway
    svc = DataService(settings)
    first = svc.index().frame
    store = EventStore(settings.db_url)
    reviews = Reviews(store)
    hajin = [str(i) for i, p in zip(first["incident_id"], first["location"], strict=True) if p == "Hajin"]
    other = [str(i) for i, p in zip(first["incident_id"], first["location"], strict=True) if p == "Dhiban"]
    moved = _a_report_of(store, hajin[2])  # merged into hajin[0], then split out again
    real_build = columnar.build_table

    def forbidden(*_a, **_k):
        raise AssertionError("a decision's table is derived from the previous one, not built")

    steps = [
        lambda: reviews.confirm(hajin[0], who="ana", expected_version=0),
        lambda: reviews.correct(hajin[1], {"fatalities": 7}, who="ana", expected_version=0),
        lambda: reviews.reject(other[0], "not_an_event", who="ana", expected_version=0),
        lambda: reviews.merge(hajin[2], hajin[0], who="ana", expected_version=0, into_version=1),
        lambda: reviews.split(hajin[0], moved, who="ana", expected_version=2),
        lambda: reviews.add_event(
            {
                "event_type": "battle",
                "sub_event_type": "armed clash",
                "event_date": "2024-03-02",  # a day that already has an incident
                "place_id": "dz:al-busayrah",
                "actor1": "SDF",
                "fatalities": 1,
            },
            who="ana",
            source_url="https://river.example/video",
            note="a video of the clash",
        ),
    ]
    seen = []
    for step in steps:
        step()
        monkeypatch.setattr(columnar, "build_table", forbidden)
        derived = svc.index().frame
        monkeypatch.setattr(columnar, "build_table", real_build)
        seen.append(_values(derived) == _values(columnar.build_table(settings.db_url, True)))
    assert seen == [True] * len(steps)
    table = svc.index().frame
    assert set(table.loc[table["incident_id"] == hajin[1], "fatalities"]) == {7}
    assert set(table.loc[table["incident_id"] == other[0], "review_status"].astype(str)) == {"rejected"}


def _a_report_of(store: EventStore, incident_id: str) -> str:
    """The event id of one report of the incident (the one a split takes out)."""
    return str(store.incident_reports(incident_id)[0]["event_id"])


def test_asking_for_an_older_version_maps_the_newer_file_and_never_retires_it(settings):
    store = EventStore(settings.db_url)
    DataService(settings).index()
    old_version = store.version()
    _fill(store, [("SDF", "ISIS", "battle", "Abu Hamam", "A clash at Abu Hamam.", 4)], "Valley News")
    DataService(settings).index()  # writes the newer version's file, retires the older
    newer = columnar.index_file(settings.effective_index_dir, store, True, store.version())
    assert newer.exists()

    def no_build(_path):
        raise AssertionError("a newer version's file is on disk: map it, do not build an old one")

    # A worker that read the version just before the write asks for the old one.
    found = columnar.ensure_file(
        columnar.index_file(settings.effective_index_dir, store, True, old_version), no_build
    )
    frame, got = columnar.read_table(found), columnar.version_of(found)
    assert got == store.version() and len(frame) == len(ROWS) + 1
    # A builder of an older version never removes a newer file.
    columnar.prune(columnar.index_file(settings.effective_index_dir, store, True, old_version))
    assert newer.exists()


def test_the_child_build_gets_the_store_address_outside_its_command_line(settings, monkeypatch):
    seen: dict = {}

    def fake_run(args, env, **_kw):
        seen["args"], seen["env"] = args, env
        raise subprocess.TimeoutExpired(args, 1)

    monkeypatch.setattr(columnar.subprocess, "run", fake_run)
    secret = "postgresql+psycopg://team:s3cret@db.intranet/conflictmap"  # noqa: S105 - a made-up one
    with pytest.raises(columnar.ChildBuildFailed, match="took over"):
        columnar.build_in_child(settings.effective_index_dir / "x.arrow", secret, True)
    assert not any("s3cret" in a for a in seen["args"])
    assert seen["env"]["CONFLICTMAP_INDEX_BUILD_URL"] == secret


def test_a_small_table_is_built_again_rather_than_derived(settings, capsys):
    """Below DERIVE_FROM_ROWS a write's table is built in full: it costs a moment, and the
    layout (which texts are dictionary-encoded) is chosen for what the store holds now."""
    from conflictmap.review.decisions import Reviews

    svc = DataService(settings)
    first = svc.index().frame
    calls: list[int] = []
    real = columnar.build_table

    def counted(*a, **k):
        calls.append(1)
        return real(*a, **k)

    columnar_build = pytest.MonkeyPatch()
    columnar_build.setattr(columnar, "build_table", counted)
    try:
        Reviews(EventStore(settings.db_url)).confirm(
            str(first["incident_id"][0]), who="ana", expected_version=0
        )
        assert len(svc.index()) == len(ROWS)
    finally:
        columnar_build.undo()
    assert calls == [1]
