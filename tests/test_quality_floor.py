"""Quality floor on the shared dev corpus (dev.jsonl + dev2.jsonl, 60 reports), scored by the
shared scorer at the default confidence threshold: the whole corpus, each file, each of the five
folds (sha256(article id) mod 5), the attributes of matched events, calibration and
de-duplication.

Floors are counts of events, several below the figures measured when they were set (extractor
rules-0.2, 3 Dec 2026), so one unlucky reading does not fail the suite and a real regression
does. Fold 4 was kept unread while the rules were written (its texts never opened); its floor is
as low as its score says. Floors only ever go up.

Measured (strict, extractor rules-0.2+21372ff6): whole tp 117 fp 21 fn 48 (P 0.848 R 0.709
F1 0.772); folds tp/fp 30/4, 17/2, 13/3, 47/4, 10/8; dev.jsonl 51/0, dev2.jsonl 66/21; date exact
0.916, actors 0.869, fatalities 0.75, sub-type 0.824; confidence >= 0.7 right 75 of 83;
de-duplication pair F1 0.56 (conflictmap.incidents.dedupe, another module: its floor leaves room).

Raised after the gazetteer guards, actor and sub-type rules (rules-0.2+e35dadd2): whole tp 120
fp 19 fn 45 (P 0.863 R 0.727 F1 0.789); folds tp/fp 31/4, 19/2, 13/2, 47/3, 10/8; dev.jsonl 51/0,
dev2.jsonl 69/19; date exact 0.918, actors 0.889, fatalities 0.744, sub-type 0.877 ("arrest", the
label EVENTS.md gives); confidence >= 0.7 right 80 of 87. Margins kept: 5 events whole and per
file, 3 per fold, about 3 matched events for the attribute shares. Then fatalities exact 0.795
(31 of 39 matched events with a stated toll; 'killing them', 'fell as martyrs'): floor 0.71.
Raised after the vocabulary, place and type rules of issue 8 (rules-0.2+43737ed7): whole
tp 133 fp 12 fn 32 (P 0.917 R 0.806 F1 0.858); folds tp/fp 34/2, 19/1, 17/1, 52/1, 11/7;
dev.jsonl 51/0, dev2.jsonl 82/12; date exact 0.889, actors 0.877, fatalities 0.762, sub-type
0.881. Same margins (5 whole and per file, 3 per fold); attribute floors unchanged.
Raised after the victim-list, one-side-zero and follow-up rules and the de-duplication rules
(territory direction, clash is not takeover, governorate-level reports): fatalities 0.786
(floor 0.74), actors 0.881; de-duplication pairs tp 18 fp 4 fn 5 (P 0.818 R 0.783 F1 0.800),
floor 3 pairs either way.
Raised after fold 4 was opened (its unread score, F1 0.564 with tp 11 fp 7, recorded first) and
general rules were written from its errors (datelines, pluperfect descriptions, shelling between
two sides, tallies over a period, people captured, tolls since an attack): whole tp 135 fp 7 fn 30
(P 0.951 R 0.818 F1 0.879); folds tp/fp 34/2, 19/1, 17/1, 52/1, 13/2; dev2.jsonl 84/7; fatalities
0.805 (floor 0.76); de-duplication pairs 20/4/5 (F1 0.816). Fold 4 is no longer an unread fold.
"""

from __future__ import annotations

import os

import pytest

from conflictmap.config import PROJECT_ROOT
from conflictmap.evaluate import evaluate

CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
FILES = [CORPUS / "dev.jsonl", CORPUS / "dev2.jsonl"]
SCORER = PROJECT_ROOT.parent / "shared" / "tools" / "score_events.py"

MARGIN_WHOLE = 5  # events
WHOLE = {"tp": 135, "fp": 7}
FILE_FLOORS = {"dev.jsonl": {"tp": 51 - 4, "fp": 0 + 3}, "dev2.jsonl": {"tp": 84 - 5, "fp": 7 + 5}}
MARGIN_FOLD = 3  # events
FOLDS = {
    0: {"tp": 34, "fp": 2},
    1: {"tp": 19, "fp": 1},
    2: {"tp": 17, "fp": 1},
    3: {"tp": 52, "fp": 1},
    4: {"tp": 13, "fp": 2},
}
ATTRIBUTE_FLOORS = {
    "date_exact": 0.85,
    "actors_agree": 0.86,
    "fatalities_exact": 0.76,  # measured 0.805: a margin of about six matched events
    "sub_event_type_exact": 0.85,
}


@pytest.fixture(scope="module")
def result():
    missing = [p for p in (*FILES, SCORER) if not p.exists()]
    if missing:
        msg = (
            f"shared corpus or scorer not found ({', '.join(map(str, missing))}): the floor cannot be checked"
        )
        if os.environ.get("CI"):
            pytest.fail(msg)  # CI always has ../shared beside the clone: its absence is an error
        pytest.skip(msg)
    return evaluate(FILES, SCORER, folds=5)


def test_whole_corpus_floor(result):
    s = result["strict"]
    assert result["articles"] == 60
    assert s["tp"] >= WHOLE["tp"] - MARGIN_WHOLE, s
    assert s["fp"] <= WHOLE["fp"] + MARGIN_WHOLE, s
    assert s["f1"] >= 0.80 and s["precision"] >= 0.85, s  # issue 8 targets; measured 0.858, 0.917


def test_each_file_floor(result):
    by_name = {f["path"].rsplit("/", 1)[-1]: f["strict"] for f in result["files"]}
    assert set(by_name) == set(FILE_FLOORS)
    for name, floor in FILE_FLOORS.items():
        got = by_name[name]
        assert (name, got["tp"] >= floor["tp"], got["fp"] <= floor["fp"]) == (name, True, True), got


@pytest.mark.parametrize("fold", sorted(FOLDS))
def test_each_fold_floor(result, fold):
    row = next(f for f in result["folds"] if f["fold"] == fold)
    s = row["strict"]
    assert s["tp"] >= FOLDS[fold]["tp"] - MARGIN_FOLD, s
    assert s["fp"] <= FOLDS[fold]["fp"] + MARGIN_FOLD, s


def test_attributes_of_matched_events(result):
    m = result["on_strict_matches"]
    for key, floor in ATTRIBUTE_FLOORS.items():
        assert (key, m[key] >= floor) == (key, True), m
    assert m["median_km"] <= 5


def test_confident_events_are_mostly_right(result):
    """Calibration: candidates with confidence >= 0.7 are right at least 80% of the time."""
    high = [b for b in result["calibration"] if float(b["bin"].split("-")[0]) >= 0.7]
    count = sum(b["count"] for b in high)
    right = sum(b["right"] for b in high)
    assert count >= 60 and right / count >= 0.8, high


def test_deduplication_floor(result):
    """Measured: 20 same-incident pairs found, 4 false, 5 missed (P 0.833, R 0.800, F1 0.816).
    The floor allows three pairs either way, not one."""
    d = result["dedupe"]
    assert d["available"], d
    assert d["pairs"]["tp"] >= 20 - 3 and d["pairs"]["fp"] <= 4 + 3, d
    assert d["f1"] >= 0.65, d


def test_arabic_floor():
    """dev-ar.jsonl (7 Arabic reports, 15 gold events, one optional outside the study area):
    measured tp 11 fp 0 fn 3 (P 1.000 R 0.786 F1 0.880) after ar-05 and ar-11, kept unread while
    the rules were written, scored F1 0.60. Floor: two events either way, and issue 10's targets."""
    path = CORPUS / "dev-ar.jsonl"
    if not path.exists() or not SCORER.exists():
        msg = f"Arabic dev set or scorer not found ({path}, {SCORER})"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    s = evaluate([path], SCORER)["strict"]
    assert s["tp"] >= 11 - 2 and s["fp"] <= 0 + 2, s
    assert s["f1"] >= 0.65 and s["precision"] >= 0.80, s
