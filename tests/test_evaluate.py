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
