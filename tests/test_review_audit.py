"""The audit trail and the measurement commands on a reviewed store: history, CSV (domain and
``conflictmap audit``), ``evaluate --reviews`` and ``export-gold`` read by the shared scorer."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from conflictmap.cli import main
from conflictmap.evaluate import DEFAULT_SCORER, load_scorer
from conflictmap.review import Reviews, audit_csv, audit_rows
from conflictmap.review.gold import gold_rows
from conflictmap.review.quality import judge, review_quality
from conflictmap.storage.schema import review_audit
from tests.test_review_seed import Seeded, seeded


@pytest.fixture
def s(tmp_path, monkeypatch) -> Seeded:
    seed = seeded(tmp_path)
    monkeypatch.setenv("CONFLICTMAP_DATABASE_URL", seed.store.url)
    return seed


def review_all(s: Seeded) -> Reviews:
    reviews = Reviews(s.store)
    reviews.confirm(s.clash, who="ana", expected_version=0)
    reviews.correct(s.drone, {"fatalities": 3}, who="bob", expected_version=0, note="=HYPERLINK count")
    reviews.reject(s.arrest, "not_an_event", who="bob", expected_version=0)
    return reviews


def test_every_decision_is_one_or_more_audit_rows_and_none_is_rewritten(s):
    reviews = review_all(s)
    first = audit_rows(s.store)
    reviews.correct(s.drone, {"event_date": "2024-08-18"}, who="ana", expected_version=1)
    rows = audit_rows(s.store)
    assert rows[: len(first)] == first  # append-only: earlier rows as they were
    assert [(r["who"], r["action"], r["field"]) for r in rows] == [
        ("ana", "confirm", "status"),
        ("bob", "correct", "fatalities"),
        ("bob", "reject", "status"),
        ("ana", "correct", "event_date"),
    ]
    last = rows[-1]
    assert (last["before"], last["after"], last["version"]) == ("2024-08-19", "2024-08-18", 2)
    assert last["at"].endswith("+00:00")  # UTC, ISO
    assert [r["action"] for r in reviews.history(s.drone)] == ["correct", "correct"]


def test_audit_csv_guards_formulas_and_keeps_every_column(s):
    review_all(s)
    table = list(csv.DictReader(io.StringIO(audit_csv(s.store))))
    assert len(table) == 3 and list(table[0]) == [
        "id", "at", "who", "incident_id", "review_id", "action", "field",
        "before", "after", "reason", "note", "version",
    ]  # fmt: skip
    assert table[1]["note"] == "'=HYPERLINK count"
    assert table[2]["reason"] == "not_an_event" and table[2]["incident_id"] == s.arrest


def test_conflictmap_audit_writes_all_or_one_incident(s, tmp_path, capsys):
    review_all(s)
    out = tmp_path / "audit.csv"
    assert main(["audit", "--out", str(out)]) == 0
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == 3
    assert main(["audit", "--incident", s.drone]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["field"] for r in rows] == ["fatalities"]


def test_the_audit_table_is_never_updated_by_decisions(s):
    reviews = review_all(s)
    with s.store.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(review_audit)).scalar_one()
    reviews.confirm(s.drone, who="ana", expected_version=1)
    with s.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(review_audit)).scalar_one() == n + 1


def test_review_quality_counts_right_and_wrong_per_version_and_type(s):
    review_all(s)
    q = review_quality(s.store)
    assert (q.overall.right, q.overall.wrong, q.incidents) == (3, 1, 3)
    assert q.by_type["battle"].precision == 1.0 and q.by_type["strategic_development"].precision == 0.0
    assert q.why_wrong == {"rejected: not_an_event": 1}
    (version,) = q.by_version
    assert version.startswith("rules-") and q.by_version[version].reviewed == 4


def test_judge_tells_a_correction_of_type_date_or_place_from_a_detail():
    anchor = {
        "event_type": "battle",
        "event_date": "2024-08-13",
        "place_id": "dz:diban",
        "latitude": 35.0,
        "longitude": 40.5,
    }
    assert judge("corrected", {"fatalities": 4}, anchor, None) is None
    assert judge("corrected", {"event_type": "riot"}, anchor, None) == "corrected: type changed"
    assert judge("corrected", {"event_date": "2024-08-12", "place_id": "dz:x"}, anchor, None) == (
        "corrected: date, place changed"
    )
    assert (
        judge("corrected", {"latitude": 35.001, "longitude": 40.5}, anchor | {"place_id": None}, None) is None
    )
    assert judge("rejected", {}, anchor, "duplicate") == "rejected: duplicate"


def test_evaluate_reviews_prints_the_tables_and_says_what_counts_as_wrong(s, capsys):
    review_all(s)
    assert main(["evaluate", "--reviews"]) == 0
    out = capsys.readouterr().out
    assert "by extractor version" in out and "by event type" in out
    assert "strategic_development" in out and "rejected: not_an_event: 1" in out
    assert "corrected in type, date or place" in " ".join(out.split())


def test_evaluate_without_gold_or_reviews_exits_2(s):
    assert main(["evaluate"]) == 2


def test_export_gold_writes_only_fully_reviewed_articles_and_the_scorer_reads_them(s, tmp_path):
    reviews = Reviews(s.store)
    reviews.confirm(s.clash, who="ana", expected_version=0)
    rows, counts = gold_rows(s.store)
    assert sorted(r["id"] for r in rows) == ["rv-a1", "rv-a2"] and counts.articles_left_out == 2
    reviews.correct(s.drone, {"fatalities": 3}, who="bob", expected_version=0)
    reviews.reject(s.arrest, "not_an_event", who="bob", expected_version=0)
    out = tmp_path / "gold.jsonl"
    assert main(["export-gold", str(out)]) == 0
    gold = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_id = {g["id"]: g for g in gold}
    assert sorted(by_id) == ["rv-a1", "rv-a2", "rv-a3", "rv-a4"]
    assert by_id["rv-a4"]["events"] == []  # rejected: not an event
    (drone,) = by_id["rv-a3"]["events"]
    assert drone["fatalities"] == 3 and drone["evidence"] and drone["in_study_area"] is True
    assert by_id["rv-a1"]["events"][0]["incident_id"] == by_id["rv-a2"]["events"][0]["incident_id"]
    if not DEFAULT_SCORER.is_file():
        pytest.skip(f"the shared scorer is not at {DEFAULT_SCORER}")
    scorer = load_scorer()
    preds = [{k: v for k, v in e.items()} | {"article_id": a} for a, e in _machine_rows(s)]
    result = scorer.score(gold, preds)
    assert result["strict"]["tp"] == 3 and result["strict"]["fp"] == 1  # the rejected arrest


def _machine_rows(s: Seeded) -> list[tuple[str, dict]]:
    frame = s.store.machine_frame()
    frame["event_date"] = frame["event_date"].dt.date.astype(str)
    return [(r["article_id"], r) for r in frame.to_dict("records")]
