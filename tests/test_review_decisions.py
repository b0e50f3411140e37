"""Reviews on a real store: each decision, the version check, the checks that name the field,
and the read contract (``EventStore.events_frame`` with decisions applied). Every test runs on a
SQLite file and on a PostgreSQL database of its own (``store_url``, tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pandas as pd
import pytest

from conflictmap.pipeline import ingest_paths
from conflictmap.review import ChangedMeanwhile, InvalidValue, Reviews, UnknownIncident
from conflictmap.storage.store import EventStore
from tests.test_review_seed import ARTICLES, Seeded, write_feed


@pytest.fixture
def s(store_url, tmp_path) -> Iterator[Seeded]:
    """``test_review_seed.seeded`` on the backend of ``store_url``: four reports, three incidents."""
    store = EventStore(store_url)
    feed = write_feed(tmp_path / "feed.jsonl", ARTICLES)
    report = ingest_paths(store, [feed])
    assert report.errors == [] and report.articles_added == 4
    seeded = Seeded(store, feed, "", "", "")
    seeded.clash, seeded.drone, seeded.arrest = (seeded.incident_of(a) for a in ("rv-a1", "rv-a3", "rv-a4"))
    yield seeded
    store.engine.dispose()
    store.writer.dispose()


def rows_of(s: Seeded, incident_id: str) -> pd.DataFrame:
    frame = s.store.events_frame()
    return frame[frame["incident_id"] == incident_id]


def test_confirm_sets_status_and_version_on_every_report_of_the_incident(s):
    before = s.store.version()
    state = Reviews(s.store).confirm(s.clash, who="ana", expected_version=0)
    assert (state.status, state.version, state.reviewed_by) == ("confirmed", 1, "ana")
    assert s.store.version() == before + 1  # one decision, one move of the store version
    rows = rows_of(s, s.clash)
    assert len(rows) == 2
    assert set(rows["review_status"]) == {"confirmed"} and set(rows["review_version"]) == {1}
    assert set(rows["reviewed_by"]) == {"ana"} and rows["reviewed_at"].nunique() == 1
    others = s.store.events_frame().loc[lambda f: f["incident_id"] != s.clash]
    assert set(others["review_status"]) == {"unreviewed"} and set(others["review_version"]) == {0}


def test_a_second_reviewer_with_a_stale_version_is_told_who_changed_it(s):
    reviews = Reviews(s.store)
    reviews.confirm(s.drone, who="ana", expected_version=0)
    before = s.store.version()
    with pytest.raises(ChangedMeanwhile) as caught:
        reviews.reject(s.drone, "not_an_event", who="bob", expected_version=0)
    err = caught.value
    assert (err.who, err.expected, err.current) == ("ana", 0, 1) and err.when
    assert "ana" in str(err) and "version 1" in str(err)
    assert s.store.version() == before  # nothing written
    assert reviews.state(s.drone).status == "confirmed"


def test_correct_lays_the_fields_over_the_machine_rows_and_keeps_them(s):
    reviews = Reviews(s.store)
    machine = s.store.machine_frame()
    state = reviews.correct(
        s.drone,
        {"fatalities": 3, "actor1": "Other: Unknown jets", "date_precision": "week"},
        who="ana",
        expected_version=0,
    )
    assert state.status == "corrected" and state.version == 1
    row = rows_of(s, s.drone).iloc[0]
    assert (row["fatalities"], row["actor1"], row["date_precision"]) == (3, "Other: Unknown jets", "week")
    assert s.store.machine_frame().equals(machine)  # the machine's reading is untouched
    changed = {h["field"]: (h["before"], h["after"]) for h in reviews.history(s.drone)}
    assert changed == {
        "fatalities": (2, 3),
        "actor1": ("Unidentified drone", "Other: Unknown jets"),
        "date_precision": ("day", "week"),
    }


def test_correct_the_place_from_the_gazetteer_moves_the_point(s):
    reviews = Reviews(s.store)
    reviews.correct(s.arrest, {"place_id": "dz:diban"}, who="ana", expected_version=0)
    row = rows_of(s, s.arrest).iloc[0]
    assert row["place_id"] == "dz:diban" and row["location"] == "Diban"
    assert (round(row["latitude"], 3), round(row["longitude"], 3)) == (35.016, 40.51)
    assert row["geo_precision"] == 1 and row["geo_method"].startswith("set by analyst")


def test_correct_with_an_explicit_point_and_a_new_type(s):
    reviews = Reviews(s.store)
    reviews.correct(
        s.arrest,
        {
            "latitude": 35.2,
            "longitude": 40.3,
            "location": "a farm",
            "event_type": "battle",
            "sub_event_type": "armed clash",
        },
        who="ana",
        expected_version=0,
    )
    row = rows_of(s, s.arrest).iloc[0]
    assert (row["latitude"], row["longitude"], row["place_id"], row["event_type"]) == (
        35.2,
        40.3,
        None,
        "battle",
    )


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"event_type": "party"}, "event_type", "party"),
        ({"event_type": "battle"}, "sub_event_type", "arrest"),  # the arrest's sub-type is not a battle's
        ({"sub_event_type": "armed clash"}, "sub_event_type", "armed clash"),
        ({"event_date": "2024-13-40"}, "event_date", "2024-13-40"),
        ({"date_precision": "year"}, "date_precision", "year"),
        ({"place_id": "dz:nowhere"}, "place_id", "dz:nowhere"),
        ({"latitude": 35.0}, "longitude", None),
        ({"latitude": 135.0, "longitude": 40.0}, "latitude", 135.0),
        ({"actor1": "Some militia"}, "actor1", "Some militia"),
        ({"fatalities": -2}, "fatalities", -2),
        ({"fatalities": "many"}, "fatalities", "many"),
        ({"civilian_targeting": "maybe"}, "civilian_targeting", "maybe"),
        ({"confidence": 1.0}, "confidence", 1.0),
        ({"fatalities": 5}, "fatalities", 5),  # what it already shows
    ],
)
def test_a_bad_correction_names_its_field_and_value_and_writes_nothing(s, changes, field, value):
    before = s.store.version()
    with pytest.raises(InvalidValue) as caught:
        Reviews(s.store).correct(s.arrest, changes, who="ana", expected_version=0)
    assert (caught.value.field, caught.value.value) == (field, value)
    assert field in str(caught.value)
    assert s.store.version() == before and Reviews(s.store).state(s.arrest).version == 0


def test_reject_keeps_the_incident_with_its_reason(s):
    reviews = Reviews(s.store)
    with pytest.raises(InvalidValue, match="reason"):
        reviews.reject(s.arrest, "boring", who="ana", expected_version=0)
    with pytest.raises(InvalidValue, match="note"):
        reviews.reject(s.arrest, "other", who="ana", expected_version=0)
    state = reviews.reject(s.arrest, "not_an_event", who="ana", expected_version=0, note="a statement")
    assert state.status == "rejected" and state.reject_reason == "not_an_event"
    rows = rows_of(s, s.arrest)
    assert len(rows) == 1 and rows.iloc[0]["review_status"] == "rejected"
    assert rows.iloc[0]["reject_reason"] == "not_an_event"
    assert s.store.counts()["events"] == 4  # nothing deleted


def test_merge_and_split_regroup_by_hand(s):
    reviews = Reviews(s.store)
    merged = reviews.merge(s.arrest, s.drone, who="ana", expected_version=0, into_version=0)
    assert merged.incident_id == s.drone and len(merged.event_ids) == 2
    assert merged.status == "unreviewed" and merged.version == 1  # grouping is not a judgement
    assert s.store.events_frame()["incident_id"].nunique() == 2
    with pytest.raises(UnknownIncident):
        reviews.confirm(s.arrest, who="ana", expected_version=0)
    arrest_report = rows_of(s, s.drone).loc[lambda f: f["article_id"] == "rv-a4", "event_id"].item()
    left, out = reviews.split(s.drone, arrest_report, who="bob", expected_version=1)
    assert len(left.event_ids) == 1 and out.event_ids == (arrest_report,)
    assert out.status == "unreviewed" and out.version == 1
    assert s.store.events_frame()["incident_id"].nunique() == 3
    actions = [h["action"] for h in reviews.history(s.drone)]
    assert actions == ["merge", "merge", "split"]


def test_split_refuses_a_report_of_another_incident_or_the_only_one(s):
    reviews = Reviews(s.store)
    other = rows_of(s, s.drone)["event_id"].item()
    with pytest.raises(InvalidValue, match="event_id"):
        reviews.split(s.clash, other, who="ana", expected_version=0)
    with pytest.raises(InvalidValue, match="only report"):
        reviews.split(s.drone, other, who="ana", expected_version=0)
    with pytest.raises(InvalidValue, match="into"):
        reviews.merge(s.drone, s.drone, who="ana", expected_version=0, into_version=0)


def test_add_an_event_from_the_text_of_an_article(s):
    reviews = Reviews(s.store)
    text = s.store.article("rv-a1")["text"]
    start = text.index("Three fighters")
    end = text.index(".", start) + 1
    state = reviews.add_event(
        {
            "event_type": "battle",
            "sub_event_type": "armed clash",
            "event_date": "2024-08-13",
            "place_id": "dz:al-busayrah",
            "actor1": "SDF",
            "fatalities": 3,
        },
        who="ana",
        article_id="rv-a1",
        evidence_start=start,
        evidence_end=end,
    )
    assert state.status == "confirmed" and state.version == 1
    row = rows_of(s, state.incident_id).iloc[0]
    assert row["origin"] == "analyst" and row["evidence"] == "Three fighters were killed in the fighting."
    assert (row["evidence_start"], row["evidence_end"], row["source"]) == (start, end, "Test Wire")
    assert row["review_status"] == "confirmed" and row["location"] == "Al-Busayrah"


def test_add_an_event_with_no_article_needs_a_source_and_a_note(s):
    reviews = Reviews(s.store)
    fields = {
        "event_type": "protest",
        "sub_event_type": "peaceful protest",
        "event_date": "2024-08-15",
        "place_id": "dz:diban",
    }
    with pytest.raises(InvalidValue, match="source_url"):
        reviews.add_event(fields, who="ana", source_url="ftp://x", note="seen")
    with pytest.raises(InvalidValue, match="note"):
        reviews.add_event(fields, who="ana", source_url="https://example.org/post")
    with pytest.raises(InvalidValue, match="evidence_end"):
        reviews.add_event(fields, who="ana", article_id="rv-a1", evidence_start=5, evidence_end=9999)
    with pytest.raises(InvalidValue, match="event_date"):
        reviews.add_event(
            {**fields, "event_date": None}, who="ana", source_url="https://example.org/p", note="n"
        )
    state = reviews.add_event(
        fields, who="ana", source_url="https://example.org/post", note="video of the march"
    )
    row = rows_of(s, state.incident_id).iloc[0]
    assert pd.isna(row["article_id"]) and row["url"] == "https://example.org/post"
    assert row["origin"] == "analyst" and "video of the march" in row["notes"]


def test_a_decision_needs_a_person_and_a_version(s):
    reviews = Reviews(s.store)
    with pytest.raises(InvalidValue, match="who"):
        reviews.confirm(s.drone, who=" ", expected_version=0)
    with pytest.raises(InvalidValue, match="expected_version"):
        reviews.confirm(s.drone, who="ana", expected_version=-1)
    with pytest.raises(UnknownIncident, match="inc:nothing"):
        reviews.confirm("inc:nothing", who="ana", expected_version=0)


def test_the_read_contract_columns(s):
    reviews = Reviews(s.store)
    reviews.reject(s.arrest, "out_of_area", who="bob", expected_version=0)
    frame = s.store.events_frame()
    for column in (
        "review_status",
        "review_version",
        "reviewed_by",
        "reviewed_at",
        "review_id",
        "reject_reason",
    ):
        assert column in frame.columns
    assert set(frame["review_status"]) == {"unreviewed", "rejected"}
    assert pd.api.types.is_datetime64_any_dtype(frame["event_date"])
    assert frame["review_version"].map(type).eq(int).all()


def test_two_reviewers_deciding_at_once_one_wins_the_other_is_told(s):
    """The version check and the write are one transaction under the writer's lock on both
    backends: of two decisions made at once on version 0, exactly one is recorded."""
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def decide(who: str) -> None:
        reviews = Reviews(s.store)
        start.wait()
        try:
            if who == "ana":
                outcomes[who] = reviews.confirm(s.drone, who=who, expected_version=0)
            else:
                outcomes[who] = reviews.reject(s.drone, "not_an_event", who=who, expected_version=0)
        except ChangedMeanwhile as exc:
            outcomes[who] = exc

    before = s.store.version()
    threads = [threading.Thread(target=decide, args=(who,)) for who in ("ana", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [who for who, out in outcomes.items() if isinstance(out, ChangedMeanwhile)]
    assert sorted(outcomes) == ["ana", "bob"] and len(refused) == 1
    (winner,) = {"ana", "bob"} - set(refused)
    state = Reviews(s.store).state(s.drone)
    assert state.version == 1 and state.reviewed_by == winner
    assert [(h["who"], h["version"]) for h in Reviews(s.store).history(s.drone)] == [(winner, 1)]
    assert s.store.version() == before + 1


def test_the_audit_trail_reads_back_as_written(s):
    """before/after are JSON text on both backends (lists, numbers and None come back as such);
    ids count up in the order decisions were made."""
    from conflictmap.review.audit import audit_csv, audit_rows

    reviews = Reviews(s.store)
    reviews.correct(s.drone, {"fatalities": 3}, who="ana", expected_version=0)
    reviews.merge(s.arrest, s.drone, who="bob", expected_version=0, into_version=1)
    rows = audit_rows(s.store)
    assert [(r["who"], r["action"], r["field"]) for r in rows] == [
        ("ana", "correct", "fatalities"),
        ("bob", "merge", "incident_id"),
        ("bob", "merge", "reports"),
    ]
    assert (rows[0]["before"], rows[0]["after"]) == (2, 3)
    assert isinstance(rows[2]["after"], list) and len(rows[2]["after"]) == 1
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert len(audit_csv(s.store).splitlines()) == 1 + len(rows)
