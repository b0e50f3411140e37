"""evaluate(): shared scorer imported by path, figures reported, clear failure without it."""

from __future__ import annotations

import json

import pytest

from conflictmap.evaluate import EvaluationError, evaluate, format_report

SCORER = """
def score(gold_rows, pred_rows):
    n = len(pred_rows)
    pr = {"tp": n, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0, "redundant": 0}
    return {"articles": len(gold_rows), "gold_events": 1, "predicted_events": n,
            "strict": pr, "loose": pr,
            "on_strict_matches": {"date_exact": 1.0, "median_km": 0.0, "within_10km": 1.0,
                                  "actors_agree": 1.0, "fatalities_exact": 1.0, "sub_event_type_exact": 1.0},
            "predictions_for_unknown_articles": [],
            "by_article": [{"article": r["id"], "gold": 1, "pred": n, "tp": n, "fp": 0, "fn": 0}
                           for r in gold_rows]}

def match(golds, preds, strict):
    return [], set()
"""


@pytest.fixture
def gold(tmp_path):
    path = tmp_path / "gold.jsonl"
    row = {
        "id": "g1",
        "publication_date": "2022-02-01",
        "text": "Regime artillery shelled Diban on Monday, killing two civilians.",
        "events": [],
    }
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


def test_evaluate_with_given_scorer(tmp_path, gold):
    scorer = tmp_path / "score_events.py"
    scorer.write_text(SCORER, encoding="utf-8")
    result = evaluate(gold, scorer)
    assert result["predicted_events"] == 1
    assert result["speed"]["articles"] == 1 and result["speed"]["articles_per_second"] > 0
    assert "dedupe" in result
    report = format_report(result)
    assert "strict" in report and "articles/s" in report and "g1" in report


def test_missing_scorer_fails_clearly(tmp_path, gold):
    with pytest.raises(EvaluationError, match="scorer not found"):
        evaluate(gold, tmp_path / "nope.py")


def test_bad_gold_line_is_named(tmp_path):
    scorer = tmp_path / "score_events.py"
    scorer.write_text(SCORER, encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x"}\n{oops\n', encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"bad\.jsonl:2"):
        evaluate(bad, scorer)


def _gold_rows(path, n):
    rows = []
    for i in range(n):
        rows.append(
            {
                "id": f"art-{i}",
                "publication_date": "2024-08-13",
                "text": "Regime artillery shelled the town of Diban on Monday, killing two civilians.",
                "events": [],
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_fold_of_is_stable_and_spreads_articles():
    from conflictmap.evaluate import fold_of

    assert fold_of("p1-01", 5) == fold_of("p1-01", 5)
    folds = {fold_of(f"a{i}", 5) for i in range(200)}
    assert folds == {0, 1, 2, 3, 4}


def test_several_files_per_file_and_per_fold(tmp_path):
    scorer = tmp_path / "score_events.py"
    scorer.write_text(SCORER, encoding="utf-8")
    a = _gold_rows(tmp_path / "a.jsonl", 6)
    b = tmp_path / "b.jsonl"
    b.write_text(
        json.dumps(
            {"id": "other", "publication_date": "2024-08-13", "text": "Nothing happened.", "events": []}
        )
        + "\n",
        encoding="utf-8",
    )
    result = evaluate([a, b], scorer, folds=5)
    assert [f["articles"] for f in result["files"]] == [6, 1]
    assert len(result["folds"]) == 5
    assert sum(f["articles"] for f in result["folds"]) == 7
    assert set(result["fold_spread"]["f1"]) == {"mean", "sd", "min", "max"}
    assert [b["bin"] for b in result["calibration"]][0] == "0.0-0.5"
    assert sum(b["count"] for b in result["calibration"]) == result["candidates"]
    hidden = {row["fold"] for row in result["by_article"]}
    keep = min(hidden)
    report = format_report(result, hide_folds=tuple(hidden - {keep}))
    listed = [row["article"] for row in result["by_article"] if row["fold"] == keep]
    unlisted = [row["article"] for row in result["by_article"] if row["fold"] != keep]
    shown = {line.split()[0] for line in report.splitlines() if " tp " in line and "fold " in line[-8:]}
    assert listed and shown == set(listed)
    assert unlisted and not shown & set(unlisted)
    assert "per fold" in report and "calibration" in report and "not listed" in report


def test_threshold_filters_what_is_scored(tmp_path):
    scorer = tmp_path / "score_events.py"
    scorer.write_text(SCORER, encoding="utf-8")
    gold = _gold_rows(tmp_path / "g.jsonl", 2)
    every = evaluate(gold, scorer, threshold=0.0)
    none = evaluate(gold, scorer, threshold=1.01)
    assert every["predicted_events"] == every["candidates"] >= 2
    assert none["predicted_events"] == 0 and none["candidates"] == every["candidates"]


def test_deduplication_is_measured_with_the_real_scorer_and_clustering(tmp_path, monkeypatch):
    """No stub: the shared scorer matches, conflictmap.incidents.dedupe clusters. Two outlets'
    reports of one ambush (texts written for this test) are one pair found; a clash in another
    town the same day stays apart. A clustering crash is an error, never "not measured"."""
    import os

    from conflictmap.evaluate import DEFAULT_SCORER

    if not DEFAULT_SCORER.exists():
        msg = f"shared scorer not found at {DEFAULT_SCORER}"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)

    def gold_event(incident: str, place: str, lat: float, lon: float, evidence: str) -> dict:
        return {
            "event_date": "2024-05-06",
            "date_precision": "day",
            "event_type": "battle",
            "sub_event_type": "armed clash",
            "actor1": "ISIS",
            "actor2": "SDF",
            "location": place,
            "latitude": lat,
            "longitude": lon,
            "geo_precision": 1,
            "fatalities": 3,
            "incident_id": incident,
            "evidence": [evidence],
        }

    a = "ISIS gunmen ambushed an SDF patrol in Hajin on Monday, killing three fighters."
    b = "Three SDF fighters were killed on Monday when ISIS gunmen ambushed their patrol in Hajin."
    c = "ISIS fighters clashed with the SDF in Al-Busayrah on Monday, killing three of them."
    rows = [
        {
            "id": "o1",
            "publication_date": "2024-05-07",
            "text": a,
            "events": [gold_event("I1", "Hajin", 34.695, 40.835, a)],
        },
        {
            "id": "o2",
            "publication_date": "2024-05-07",
            "text": b,
            "events": [gold_event("I1", "Hajin", 34.695, 40.835, b)],
        },
        {
            "id": "o3",
            "publication_date": "2024-05-07",
            "text": c,
            "events": [gold_event("I2", "Al-Busayrah", 35.154, 40.428, c)],
        },
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = evaluate(gold, DEFAULT_SCORER)
    assert result["strict"]["tp"] == 3, result["strict"]
    assert result["dedupe"]["pairs"] == {"tp": 1, "fp": 0, "fn": 0}, result["dedupe"]

    import conflictmap.evaluate as ev

    def broken(events):
        raise RuntimeError("index out of range")

    monkeypatch.setattr(ev, "cluster_incidents", broken)
    with pytest.raises(EvaluationError, match="de-duplication failed: RuntimeError"):
        evaluate(gold, DEFAULT_SCORER)
