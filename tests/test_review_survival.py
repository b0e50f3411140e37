"""People's decisions survive the machine's rework: re-ingest, re-extraction with another
extractor version (new event ids), and regrouping that hands out other incident ids."""

from __future__ import annotations

from sqlalchemy import text

from conflictmap.incidents.dedupe import cluster_incidents
from conflictmap.pipeline import ingest_paths, regroup_incidents
from conflictmap.reextract import reextract
from conflictmap.review import Reviews
from conflictmap.review.quality import review_quality
from tests.helpers import make_event
from tests.test_review_seed import LATE, Seeded, seeded, write_feed


def by_article(s: Seeded) -> dict[str, dict]:
    frame = s.store.events_frame()
    return {r["article_id"]: r for r in frame.to_dict("records")}


def decide(s: Seeded) -> Reviews:
    """The same four decisions in every test: confirm and split the clash, correct the drone
    strike, merge the arrest into nothing (reject it)."""
    reviews = Reviews(s.store)
    reviews.confirm(s.clash, who="ana", expected_version=0)
    second = by_article(s)["rv-a2"]["event_id"]
    reviews.split(s.clash, second, who="ana", expected_version=1)
    reviews.correct(s.drone, {"fatalities": 3, "actor1": "US-led coalition"}, who="bob", expected_version=0)
    reviews.reject(s.arrest, "not_an_event", who="bob", expected_version=0)
    return reviews


def assert_decisions_hold(s: Seeded) -> None:
    rows = by_article(s)
    assert rows["rv-a1"]["review_status"] == "confirmed"
    assert rows["rv-a2"]["review_status"] == "unreviewed" and rows["rv-a2"]["review_version"] == 1
    assert rows["rv-a1"]["incident_id"] != rows["rv-a2"]["incident_id"]  # the split holds
    assert rows["rv-a3"]["review_status"] == "corrected"
    assert (rows["rv-a3"]["fatalities"], rows["rv-a3"]["actor1"]) == (3, "US-led coalition")
    assert rows["rv-a4"]["review_status"] == "rejected"


def test_reingesting_the_same_articles_changes_no_decision(tmp_path):
    s = seeded(tmp_path)
    decide(s)
    assert_decisions_hold(s)
    report = ingest_paths(s.store, [s.feed])
    assert report.articles_added == 0 and len(report.articles_skipped) == 4
    regroup_incidents(s.store)
    assert_decisions_hold(s)


def test_a_new_report_of_a_reviewed_incident_joins_it_and_shows_its_decision(tmp_path):
    s = seeded(tmp_path)
    decide(s)
    ingest_paths(s.store, [write_feed(tmp_path / "late.jsonl", [LATE])])
    assert_decisions_hold(s)
    rows = by_article(s)
    assert rows["rv-a5"]["incident_id"] == rows["rv-a3"]["incident_id"]
    assert rows["rv-a5"]["review_status"] == "corrected" and rows["rv-a5"]["fatalities"] == 3


def test_regrouping_that_renames_incidents_keeps_merges_splits_and_statuses(tmp_path):
    s = seeded(tmp_path)
    reviews = decide(s)
    reviews.merge(s.arrest, s.drone, who="ana", expected_version=1, into_version=1)
    # every report made its own incident under a new name, as a fresh store's grouping would be
    s.store.set_incidents(
        {e.event_id: (f"inc:renamed-{e.event_id}", "single report") for e in s.store.all_events()}
    )
    regroup_incidents(s.store)
    rows = by_article(s)
    assert rows["rv-a3"]["incident_id"] == rows["rv-a4"]["incident_id"]  # the merge holds
    assert rows["rv-a1"]["incident_id"] != rows["rv-a2"]["incident_id"]  # the split holds
    assert rows["rv-a1"]["review_status"] == "confirmed"
    assert {rows["rv-a3"]["review_status"], rows["rv-a4"]["review_status"]} == {"corrected"}
    assert "grouped by an analyst" in s.store.event(rows["rv-a4"]["event_id"])["merge_reason"]
    history = reviews.history(rows["rv-a3"]["incident_id"])
    assert [h["action"] for h in history] == ["correct", "correct", "reject", "merge", "merge"]


def test_reextraction_with_a_new_extractor_version_carries_every_decision(tmp_path):
    s = seeded(tmp_path)
    # Make the stored rows look like an older extractor's: other ids, a shorter evidence span.
    with s.store.writer.begin() as conn:
        conn.execute(
            text(
                "UPDATE events SET event_id = 'old-' || event_id, incident_id = 'inc:old-' || substr(incident_id, 5),"
                " evidence_end = evidence_end - 5, extractor_version = 'rules-0.1+old'"
            )
        )
    s.clash, s.drone, s.arrest = (s.incident_of(a) for a in ("rv-a1", "rv-a3", "rv-a4"))
    assert s.incident_of("rv-a2") == s.clash and s.clash.startswith("inc:old-")
    decide(s)
    report = reextract(s.store)
    assert len(report.reattached) == 4 and report.kept == []
    assert {old for old, _ in report.reattached} == {f"old-{new}" for _, new in report.reattached}
    frame = s.store.events_frame()
    assert len(frame) == 4 and not frame["event_id"].str.startswith("old-").any()
    assert frame["extractor_version"].ne("rules-0.1+old").all()
    assert_decisions_hold(s)
    quality = review_quality(s.store)  # judged as the version the reviewers saw
    assert set(quality.by_version) == {"rules-0.1+old"}


def test_a_reviewed_report_the_new_rules_no_longer_find_is_kept(tmp_path):
    s = seeded(tmp_path)
    Reviews(s.store).reject(s.arrest, "not_an_event", who="ana", expected_version=0)
    with s.store.writer.begin() as conn:  # a reading no rule makes any more, far from any sentence
        conn.execute(
            text(
                "UPDATE events SET event_id = 'gone', evidence_start = 0, evidence_end = 3 WHERE article_id = 'rv-a4'"
            )
        )
        conn.execute(text("UPDATE review_members SET event_id = 'gone' WHERE article_id = 'rv-a4'"))
    report = reextract(s.store)
    assert "gone" in report.kept and "gone" not in report.removed
    rows = s.store.events_frame()
    assert rows.loc[rows["event_id"] == "gone", "review_status"].item() == "rejected"


def test_cluster_incidents_honours_must_link_and_cannot_link_groups():
    a = make_event("a", article_id="x1")
    b = make_event("b", article_id="x2")  # same day, same place: the rules would join a and b
    c = make_event("c", article_id="x3", event_type="protest", sub_event_type="peaceful protest")
    free = cluster_incidents([a, b, c])
    assert free["a"][0] == free["b"][0] != free["c"][0]
    apart = cluster_incidents([a, b, c], groups={"a": "r1", "b": "r2"})
    assert apart["a"][0] != apart["b"][0]
    together = cluster_incidents([a, b, c], groups={"a": "r1", "c": "r1"})
    assert together["a"][0] == together["c"][0]
    assert "grouped by an analyst" in together["c"][1]
