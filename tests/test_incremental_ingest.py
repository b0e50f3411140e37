"""Incremental regrouping after an ingest run gives exactly what a full regrouping gives.

Every comparison builds the same store twice: one regroups each batch incrementally (the default
after an ingest run), the other regroups everything (``regroup_all``); each report's incident id
and reason, and the stored links of imported rows, must be equal. The stores are generated from
seeds (reports crowded into a few towns and weeks so chains form, with every date and place
precision, reports without a point, low-confidence candidates, reference facts grouped by hand,
analysts' reviews and imported ACLED rows), plus hand-written cases for the chains that matter.
The texts fed through ``ingest_paths`` are written for these tests.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from conflictmap.models import Article, Event
from conflictmap.pipeline import (
    GROUPED_AT,
    REGROUP_PENDING,
    Regrouping,
    begin_run,
    ingest_paths,
    regroup_after_ingest,
    regroup_all,
)
from conflictmap.storage.schema import review_members, reviews
from conflictmap.storage.store import CROSS_LINKS_KEY, EventStore
from tests.helpers import make_event

# A few places a few km apart (invented ids), and the governorate's capital for reports placed
# only at governorate level.
PLACES = [
    ("t:diban", "Diban", 35.010, 40.510),
    ("t:hawaij", "Hawaij", 35.050, 40.460),
    ("t:tayyana", "Tayyana", 34.985, 40.560),
    ("t:shuhayl", "Shuhayl", 35.100, 40.420),
    ("t:hajin", "Hajin", 34.690, 40.830),
]
CAPITAL = ("t:dez", "Deir ez-Zor", 35.336, 40.141)
KINDS = [
    ("battle", "armed clash"),
    ("explosion/remote violence", "air/drone strike"),
    ("explosion/remote violence", "shelling/artillery/missile attack"),
    ("violence against civilians", "attack"),
]
ACTORS = ["SDF", "Syrian regime forces", "Arab tribal fighters", "ISIS", "Unidentified armed group", None]
DAY0 = date(2024, 8, 1)


def _generated(rng: random.Random, n: int, tag: str, days: int = 30) -> list[Event]:
    """``n`` reports of invented incidents, one or two per article, crowded enough to chain."""
    out: list[Event] = []
    article = 0
    while len(out) < n:
        article += 1
        for k in range(rng.choice((1, 1, 2))):
            event_type, sub = rng.choice(KINDS)
            prec = rng.choices((1, 2, 3), weights=(5, 4, 1))[0]
            pid, name, lat, lon = CAPITAL if prec == 3 else rng.choice(PLACES)
            point: tuple[float | None, float | None] = (lat, lon)
            if prec != 3 and rng.random() < 0.12:
                point = (None, None)  # named, not placed: compared by name
            elif prec == 2:
                point = (lat + rng.uniform(-0.03, 0.03), lon + rng.uniform(-0.03, 0.03))
            out.append(
                Event(
                    event_id=f"{tag}-e{article}-{k}",
                    article_id=f"{tag}-a{article}",
                    event_date=DAY0 + timedelta(days=rng.randrange(days)),
                    date_precision=rng.choices(("day", "week", "month"), weights=(8, 2, 1))[0],
                    event_type=event_type,
                    sub_event_type=rng.choice((sub, "other")) if prec != 3 else sub,
                    actor1=rng.choice(ACTORS),
                    actor2=rng.choice(ACTORS),
                    location=name,
                    place_id=pid,
                    admin1="Deir ez-Zor",
                    latitude=point[0],
                    longitude=point[1],
                    geo_precision=prec,
                    geo_method="test",
                    fatalities=rng.choice((None, 0, 1, 2)),
                    evidence=f"Invented report {tag}/{article}/{k} for a test.",
                    confidence=rng.choices((0.7, 0.3), weights=(9, 1))[0],
                    source=rng.choice(("Outlet A", "Outlet B", "Outlet C")),
                    url=f"https://example.org/{tag}/{article // 2 if rng.random() < 0.1 else article}",
                )
            )
    return out[:n]


def _reference(rng: random.Random, n_incidents: int) -> list[Event]:
    """Hand-coded facts, two per incident for some, sharing the incident id a person gave them."""
    out = []
    for i in range(n_incidents):
        event_type, sub = rng.choice(KINDS)
        pid, name, lat, lon = rng.choice(PLACES)
        day = DAY0 + timedelta(days=rng.randrange(30))
        for k in range(rng.choice((1, 2))):
            out.append(
                make_event(
                    f"ref-{i}-{k}",
                    article_id=f"ref-article-{i}-{k}",
                    event_date=day,
                    event_type=event_type,
                    sub_event_type=sub,
                    location=name,
                    place_id=pid,
                    latitude=lat,
                    longitude=lon,
                    origin="reference",
                    incident_id=f"ref:{i}",
                    source="Reference",
                )
            )
    return out


def _imported(rng: random.Random, n: int) -> list[Event]:
    """Rows as an ACLED import stores them: never merged, only linked."""
    out = []
    for i in range(n):
        event_type, sub = rng.choice(KINDS)
        pid, name, lat, lon = rng.choice(PLACES)
        out.append(
            make_event(
                f"acled:SYR9{i:04d}",
                article_id=f"acled-row-{i}",
                event_date=DAY0 + timedelta(days=rng.randrange(30)),
                event_type=event_type,
                sub_event_type=sub,
                location=name,
                place_id=pid,
                latitude=lat,
                longitude=lon,
                origin="acled",
                source="ACLED",
            )
        )
    return out


def _add_review(store: EventStore, review_id: str, event_ids: list[str]) -> None:
    """An analyst's review holding these reports (what ``Reviews.merge`` leaves), written as rows."""
    now = "2025-01-01T00:00:00+00:00"
    with store.writer.begin() as conn:
        conn.execute(
            insert(reviews).values(
                review_id=review_id,
                status="confirmed",
                version=1,
                created_by="test",
                created_at=now,
                updated_by="test",
                updated_at=now,
            )
        )
        for event_id in event_ids:
            conn.execute(
                insert(review_members).values(event_id=event_id, review_id=review_id, attached_at=now)
            )


def _articles(batch: list[Event]) -> list[tuple[Article, list[Event]]]:
    by_article: dict[str, list[Event]] = defaultdict(list)
    for e in batch:
        by_article[e.article_id].append(e)
    return [
        (Article(aid, None, "Test", aid, DAY0, f"Invented article {aid} for a test."), found)
        for aid, found in by_article.items()
    ]


def ingest_run(store: EventStore, batch: list[Event]) -> Regrouping:
    """What ``ingest_paths`` does with a run's extracted reports, without reading files."""
    token = begin_run(store)
    new_ids = []
    for article, found in _articles(batch):
        assert store.add_article(article, found, bump=False).added
        new_ids += [e.event_id for e in found]
    return regroup_after_ingest(store, new_ids, token)


def full_run(store: EventStore, batch: list[Event]) -> Regrouping:
    """The same run as it was before: every report reclustered."""
    for article, found in _articles(batch):
        assert store.add_article(article, found).added
    return regroup_all(store)


def grouping(store: EventStore) -> dict[str, tuple[str, str]]:
    frame = store.machine_frame()
    return {r.event_id: (r.incident_id, r.merge_reason) for r in frame.itertuples()}


def twin_stores(
    store_url: str, tmp_path: Path, base: list[Event], review_sets=()
) -> tuple[EventStore, EventStore]:
    """Two stores of the same reports, each grouped in full once (where every ingest starts)."""
    incremental, full = EventStore(store_url), EventStore(f"sqlite:///{tmp_path / 'full.sqlite'}")
    for store in (incremental, full):
        store.upsert_events(base)
        for n, ids in enumerate(review_sets):
            _add_review(store, f"rv-{n}", ids)
        regroup_all(store)
    assert grouping(incremental) == grouping(full)
    return incremental, full


def assert_same_after(incremental: EventStore, full: EventStore, batch: list[Event]) -> Regrouping:
    version = incremental.version()
    done = ingest_run(incremental, batch)
    full_run(full, batch)
    assert done.mode == "incremental", done.why_full
    assert incremental.version() == version + 1  # the run's articles and its regrouping: one move
    assert grouping(incremental) == grouping(full)
    assert incremental.get_meta(CROSS_LINKS_KEY) == full.get_meta(CROSS_LINKS_KEY)
    assert done.incidents == full.incident_count()
    return done


# ---- generated stores ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_generated_batches_group_as_a_full_regrouping(store_url, tmp_path, seed):
    """Several batches into a crowded store (a month, or four: week- and month-precise reports
    then link across gaps day-precise ones cannot): after each, every report's incident id and
    reason equal a full regrouping's; and the run reclusters a part of the store, not all of it."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    days = (30, 120)[seed % 2]
    base = _generated(rng, 160, f"b{seed}", days)
    incremental, full = twin_stores(store_url, tmp_path, base)
    reached = []
    for n in range(4):
        batch = _generated(rng, rng.choice((1, 3, 12)), f"n{seed}x{n}", days)
        reached.append(assert_same_after(incremental, full, batch).reports)
    assert min(reached) < len(base)


@pytest.mark.parametrize("seed", range(4))
def test_reference_facts_reviews_and_imported_rows_group_as_a_full_regrouping(store_url, tmp_path, seed):
    """Hand-coded reference incidents, analysts' reviews (must-link inside, cannot-link between)
    and ACLED rows (never merged, relinked) in the store: still the full regrouping's result,
    links of the imported rows included."""
    rng = random.Random(100 + seed)  # noqa: S311 - reproducible test data, not security
    ours = _generated(rng, 120, f"r{seed}")
    base = ours + _reference(rng, 6) + _imported(rng, 8)
    pointed = [e for e in ours if e.latitude is not None and e.confidence >= 0.4]
    review_sets = [[e.event_id for e in rng.sample(pointed, 3)], [e.event_id for e in rng.sample(pointed, 2)]]
    incremental, full = twin_stores(store_url, tmp_path, base, review_sets)
    for n in range(3):
        assert_same_after(incremental, full, _generated(rng, rng.choice((1, 4, 10)), f"rn{seed}x{n}"))
    assert incremental.get_meta(CROSS_LINKS_KEY)  # the imported rows were linked


# ---- hand-written chains -------------------------------------------------------------------------


def test_a_new_report_between_two_incidents_joins_them_as_a_full_regrouping_does(store_url, tmp_path):
    """Two incidents two days apart (a day's tolerance: no link between them) and a new report on
    the day between: it links both, and the two become one incident under one of their old ids."""
    d = date(2024, 8, 7)
    base = [
        make_event("x1", event_date=d),
        make_event("x2", event_date=d, source="Second Outlet"),
        make_event("y1", event_date=d + timedelta(days=2)),
        make_event("y2", event_date=d + timedelta(days=2), source="Second Outlet"),
        make_event("far", event_date=d + timedelta(days=40)),  # same place, another month
    ]
    incremental, full = twin_stores(store_url, tmp_path, base)
    before = grouping(incremental)
    assert before["x1"][0] == before["x2"][0] != before["y1"][0] == before["y2"][0]
    done = assert_same_after(incremental, full, [make_event("mid", event_date=d + timedelta(days=1))])
    after = grouping(incremental)
    joined = {after[i][0] for i in ("x1", "x2", "y1", "y2", "mid")}
    # one incident; its id is the smallest old id of its reports, and the new report's own
    # "inc:mid" counts as one (keep_incident_ids, as in a full regrouping)
    assert joined == {"inc:mid"}
    assert after["far"] == before["far"]
    assert done.reports == 5 and done.rows_written == 5  # the far report was not read


def test_a_chain_through_stored_reports_reaches_the_whole_component(store_url, tmp_path):
    """A new report links to one stored report whose incident could not take it (another named
    town), and stored reports further along the chain: all are regrouped as a full pass would."""
    d = date(2024, 8, 7)
    base = [
        make_event(f"c{i}", event_date=d + timedelta(days=i), geo_precision=2, latitude=35.01 + i * 0.02)
        for i in range(6)
    ] + [make_event("other-town", place_id="dz:tayyana", location="Tayyana", event_date=d)]
    incremental, full = twin_stores(store_url, tmp_path, base)
    assert_same_after(incremental, full, [make_event("new", event_date=d - timedelta(days=1))])


def test_a_week_precise_report_links_across_days_a_day_precise_one_could_not(store_url, tmp_path):
    """The neighbours asked for span the widest tolerance: a stored report dated only to its week
    four days away still joins the new one, as in a full regrouping."""
    d = date(2024, 8, 7)
    week = {"event_date": d + timedelta(days=4), "date_precision": "week"}
    base = [make_event("w1", **week), make_event("w2", **week, source="Second Outlet")]
    incremental, full = twin_stores(store_url, tmp_path, base)
    assert_same_after(incremental, full, [make_event("new", event_date=d, source="Third Outlet")])
    assert len({inc for inc, _ in grouping(incremental).values()}) == 1


def test_an_analysts_split_is_kept_when_a_new_report_links_both_halves(store_url, tmp_path):
    """Two reviews keep two reports apart (cannot-link); a new report linking both joins only one."""
    d = date(2024, 8, 7)
    base = [make_event("a", event_date=d), make_event("b", event_date=d, source="Second Outlet")]
    incremental, full = twin_stores(store_url, tmp_path, base, review_sets=[["a"], ["b"]])
    assert grouping(incremental)["a"][0] != grouping(incremental)["b"][0]
    assert_same_after(incremental, full, [make_event("c", event_date=d, source="Third Outlet")])
    after = grouping(incremental)
    assert after["a"][0] != after["b"][0] and after["c"][0] in {after["a"][0], after["b"][0]}


def test_a_new_report_joins_a_reference_incident_and_not_the_acled_row(store_url, tmp_path):
    d = date(2024, 8, 7)
    base = [
        make_event("ref-1", origin="reference", incident_id="ref:clash", event_date=d),
        # coded by hand into the same incident, but nothing links it to a new report of ours:
        # only the hand-made group reaches it
        make_event(
            "ref-2",
            origin="reference",
            incident_id="ref:clash",
            event_date=d + timedelta(days=20),
            place_id="dz:hajin",
            geo_precision=2,
            latitude=34.69,
            longitude=40.83,
        ),
        make_event("acled:SYR90001", origin="acled", event_date=d, source="ACLED"),
    ]
    incremental, full = twin_stores(store_url, tmp_path, base)
    assert_same_after(incremental, full, [make_event("ours", event_date=d)])
    after = grouping(incremental)
    assert after["ours"][0] == after["ref-1"][0] == "ref:clash"
    assert after["acled:SYR90001"][0] == "inc:acled:SYR90001"
    links = json.loads(incremental.get_meta(CROSS_LINKS_KEY) or "{}")["links"]
    assert [lk["event_id"] for lk in links] == ["acled:SYR90001"]


# ---- when the full regrouping is used, and the version -----------------------------------------


def test_any_other_write_since_the_last_grouping_makes_the_next_run_regroup_in_full(store_url, tmp_path):
    """A write that is not an ingest (here a reload of events) may have changed what grouping
    depends on: the next run regroups everything, and the one after is incremental again."""
    d = date(2024, 8, 7)
    store = EventStore(store_url)
    store.upsert_events([make_event("s1", event_date=d)])
    assert ingest_run(store, [make_event("n1", event_date=d)]).mode == "full"  # never grouped yet
    assert ingest_run(store, [make_event("n2", event_date=d)]).mode == "incremental"
    store.upsert_events([make_event("s2", event_date=d + timedelta(days=9))])
    done = ingest_run(store, [make_event("n3", event_date=d)])
    assert done.mode == "full" and "changed since" in done.why_full
    assert ingest_run(store, [make_event("n4", event_date=d)]).mode == "incremental"
    assert regroup_all(store).rows_written == 0  # nothing left for a full pass to change


def test_a_run_that_died_before_grouping_is_finished_by_a_full_regrouping(store_url, tmp_path):
    d = date(2024, 8, 7)
    store = EventStore(store_url)
    regroup_all(store)
    begin_run(store)  # a run that stored a report and stopped there
    store.add_article(*_articles([make_event("orphan", event_date=d)])[0], bump=False)
    done = ingest_run(store, [make_event("next", event_date=d, source="Second Outlet")])
    assert done.mode == "full"
    assert store.get_meta(REGROUP_PENDING) == "0"
    rows = grouping(store)
    assert rows["orphan"][0] == rows["next"][0]  # the orphan was grouped too


def test_no_imported_rows_no_links_written(store_url, tmp_path):
    store = EventStore(store_url)
    regroup_all(store)
    ingest_run(store, [make_event("n1")])
    assert store.get_meta(CROSS_LINKS_KEY) is None
    assert store.get_meta(GROUPED_AT) == str(store.version())


# ---- through ingest_paths, with texts written for these tests ------------------------------------

FIRST = [
    {
        "id": "inc-1",
        "url": "https://example.org/inc/1",
        "source": "Test Wire",
        "title": "Clash in Diban",
        "publication_date": "2024-08-14",
        "text": "Clash in Diban\nSDF fighters clashed with pro-regime National Defense Forces in Diban "
        "on Tuesday, residents said. Three fighters were killed.",
    },
    {
        "id": "inc-2",
        "url": "https://example.org/inc/2",
        "source": "Test Wire",
        "title": "Drone strike near Hajin",
        "publication_date": "2024-08-16",
        "text": "Drone strike near Hajin\nA drone strike hit a car in Hajin on Thursday, killing two "
        "men, a local activist said.",
    },
]
SECOND = [
    {
        "id": "inc-3",
        "url": "https://example.org/inc/3",
        "source": "Other Outlet",
        "title": "Fighting in Diban",
        "publication_date": "2024-08-14",
        "text": "Fighting in Diban\nThe SDF and NDF militiamen fought in Diban on Tuesday. Three "
        "fighters died.",
    },
    {
        "id": "inc-4",
        "url": "https://example.org/inc/4",
        "source": "Other Outlet",
        "title": "Protest in Mayadin",
        "publication_date": "2024-08-18",
        "text": "Protest in Mayadin\nDozens of residents protested peacefully in Mayadin on Sunday "
        "against power cuts, witnesses said.",
    },
]


def _feed(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_ingest_paths_regroups_incrementally_and_moves_the_version_once(store_url, tmp_path):
    store = EventStore(store_url)
    regroup_all(store)
    first = ingest_paths(store, [_feed(tmp_path / "a.jsonl", FIRST)])
    assert first.articles_added == 2 and first.regrouping and first.regrouping.mode == "incremental"
    version = store.version()
    second = ingest_paths(store, [_feed(tmp_path / "b.jsonl", SECOND)])
    assert second.articles_added == 2 and second.regrouping and second.regrouping.mode == "incremental"
    assert store.version() == version + 1
    frame = store.machine_frame()
    (clash,) = set(frame.loc[frame["article_id"].isin(["inc-1", "inc-3"]), "incident_id"])
    assert len(store.incident_reports(clash)) == 2  # the two outlets' reports are one incident
    assert second.incidents == store.incident_count() == frame["incident_id"].nunique()
    assert regroup_all(store).rows_written == 0  # a full pass finds nothing to change
    again = ingest_paths(store, [_feed(tmp_path / "b2.jsonl", SECOND)])  # all seen before
    assert again.articles_added == 0 and again.regrouping is None


# ---- the store's neighbour query -----------------------------------------------------------------


def test_events_in_window_reads_one_type_dates_and_box_or_the_unplaced(store_url):
    store = EventStore(store_url)
    d = date(2024, 8, 7)
    store.upsert_events(
        [
            make_event("in", event_date=d),
            make_event("late", event_date=d + timedelta(days=5)),
            make_event("other-type", event_date=d, event_type="riots"),
            make_event("far", event_date=d, latitude=36.5),
            make_event("unplaced", event_date=d, latitude=None, longitude=None),
            make_event("imported", event_date=d, origin="acled"),
        ]
    )
    box = (34.9, 35.1, 40.4, 40.6)
    got = store.events_in_window("battle", d, d + timedelta(days=2), box, exclude_origins={"acled"})
    assert [e.event_id for e in got] == ["in"]
    got = store.events_in_window("battle", d, d, None)
    assert [e.event_id for e in got] == ["unplaced"]
    assert store.max_abs_latitude(exclude_origins={"acled"}) == 36.5
    assert {e.event_id for e in store.events_of_incidents({"inc:in", "inc:far"})} == {"in", "far"}


def test_the_narrow_window_keeps_wider_precisions_from_the_whole_window(store_url):
    """A run of day-precise reports asks for day-precise neighbours near it only, but for week-
    and month-precise ones across the month either side: those link from further away."""
    store = EventStore(store_url)
    d = date(2024, 8, 7)
    store.upsert_events(
        [
            make_event("near-day", event_date=d + timedelta(days=1)),
            make_event("far-day", event_date=d + timedelta(days=20)),
            make_event("far-month", event_date=d + timedelta(days=20), date_precision="month"),
            make_event("far-week", event_date=d + timedelta(days=20), date_precision="week"),
        ]
    )
    box = (34.9, 35.1, 40.4, 40.6)
    wide = (d - timedelta(days=31), d + timedelta(days=31))
    got = store.events_in_window(
        "battle", *wide, box, narrow=(d - timedelta(days=1), d + timedelta(days=1), ("month",))
    )
    assert {e.event_id for e in got} == {"near-day", "far-month"}
    got = store.events_in_window("battle", *wide, box, narrow=(d, d, ()))
    assert {e.event_id for e in got} == set()
    assert len(store.events_in_window("battle", *wide, box)) == 4


def test_reached_reports_are_a_part_of_a_sparse_store(tmp_path):
    """On a store spread over years, one new report reaches only its neighbours (the point)."""
    rng = random.Random(5)  # noqa: S311 - reproducible test data, not security
    base = _generated(rng, 400, "sparse", days=3000)
    store = EventStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    store.upsert_events(base)
    regroup_all(store)
    new = replace(base[0], event_id="sparse-new", article_id="sparse-new-article")
    done = ingest_run(store, [new])
    assert done.mode == "incremental" and done.reports < 20


def test_the_neighbour_query_tests_the_box_inside_its_index(tmp_path):
    """SQLite's plan for the neighbour query, with the link's fields, as the regrouping asks it:
    one search of ``ix_events_neighbours`` on (type, date) that carries precision and point, so
    a report outside the box costs no table read (2,000 articles into 300,000 events: the
    regrouping 7.9 s without it, 4.3 s with it)."""
    import sqlite3

    from sqlalchemy import event as sa_event

    from conflictmap.incidents.incremental import LINK_FIELDS

    db = tmp_path / "plan.sqlite"
    store = EventStore(f"sqlite:///{db}")
    store.upsert_events([make_event("one", event_date=date(2024, 8, 7))])
    asked: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM events" in statement and "event_type" in statement:
            asked.append((statement, parameters))

    sa_event.listen(store.engine, "before_cursor_execute", keep)
    d = date(2024, 8, 7)
    store.events_in_window(
        "battle",
        d - timedelta(days=31),
        d + timedelta(days=31),
        (34.9, 35.1, 40.4, 40.6),
        exclude_origins={"acled"},
        narrow=(d, d, ("month", "week")),
        fields=LINK_FIELDS,
    )
    assert len(asked) == 1
    statement, parameters = asked[0]
    with sqlite3.connect(db) as raw:
        plan = " ".join(row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters))
    assert "USING INDEX ix_events_neighbours (event_type=? AND event_date>? AND event_date<?)" in plan
