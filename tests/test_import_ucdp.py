"""UCDP GED in: the project's own made-up GED file (tests/data/ucdp_ged_sample.csv) with its codes
mapped to ours, the rows we cannot place or date honestly skipped, bad rows refused by file:line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conflictmap.ingest.ucdp import LICENCE, read_ucdp
from conflictmap.storage.store import EventStore

SAMPLE = Path(__file__).parent / "data" / "ucdp_ged_sample.csv"


@pytest.fixture(scope="module")
def result():
    return read_ucdp(SAMPLE)


def _by_id(result):
    return {e.event_id: e for e in result.events}


def test_counts_and_refusals(result):
    assert result.counts() == {"read": 12, "stored": 5, "refused": 4, "skipped": 3}
    assert not result.ok
    assert [str(r) for r in result.refused] == [
        "ucdp_ged_sample.csv:9: type_of_violence='4': not 1, 2 or 3",
        "ucdp_ged_sample.csv:10: best='': empty",
        "ucdp_ged_sample.csv:11: date_end='2024-03-07 00:00:00.000': before date_start 2024-03-09",
        "ucdp_ged_sample.csv:12: latitude='35,0156': not a number",
    ]


def test_rows_too_vague_or_outside_are_skipped_with_the_reason(result):
    assert [(s.where, s.column, s.value) for s in result.skipped] == [
        ("ucdp_ged_sample.csv:6", "date_prec", "5"),
        ("ucdp_ged_sample.csv:7", "where_prec", "6"),
        ("ucdp_ged_sample.csv:8", "adm_1", "Ar Raqqah governorate"),
    ]


def test_state_based_and_non_state_violence_are_battles(result):
    e = _by_id(result)["ucdp:500001"]
    assert (e.event_type, e.sub_event_type, e.civilian_targeting) == ("battle", "armed clash", False)
    assert (e.event_date, e.date_precision, e.geo_precision, e.fatalities) == (date(2024, 3, 12), "day", 1, 2)
    assert (e.actor1, e.actor2) == ("SDF", "Arab tribal fighters")
    assert e.origin == "ucdp" and e.source == "UCDP GED" and e.location == "Thiban village"
    assert "UCDP GED id 500001" in e.notes and LICENCE in e.notes and "CC BY 4.0" in e.notes
    strike = _by_id(result)["ucdp:500004"]  # a drone strike is state-based violence in UCDP
    assert (strike.event_type, strike.actor1, strike.actor2) == ("battle", "US forces", "ISIS")


def test_one_sided_violence_targets_civilians_and_a_range_is_dated_at_its_middle(result):
    e = _by_id(result)["ucdp:500002"]
    assert (e.event_type, e.sub_event_type, e.civilian_targeting) == (
        "violence_against_civilians",
        "attack",
        True,
    )
    assert (e.event_date, e.date_precision) == (date(2024, 4, 18), "week")  # 16..20 April, date_prec 2
    assert (e.actor1, e.actor2, e.geo_precision) == ("ISIS", "Civilians", 2)  # where_prec 2
    assert "dated 2024-04-16 to 2024-04-20 by UCDP" in e.notes


def test_month_and_governorate_precision(result):
    e = _by_id(result)["ucdp:500003"]
    assert (e.event_date, e.date_precision, e.geo_precision) == (date(2023, 8, 17), "month", 3)
    assert (e.latitude, e.longitude) == (35.0, 40.3)  # kept where UCDP put it, never moved
    assert e.actor1 == "Syrian regime forces"


def test_government_of_syria_after_8_december_2024(result):
    assert _by_id(result)["ucdp:500012"].actor1 == "Other: Syrian transitional government"


def test_stored_beside_acled_without_touching_it(result, tmp_path):
    from conflictmap.ingest.acled import read_acled

    store = EventStore(f"sqlite:///{tmp_path / 'events.db'}")
    acled = read_acled(SAMPLE.with_name("acled_sample.csv"))
    store.replace_origin("acled", acled.events)
    assert store.replace_origin(result.origin, result.events) == 5
    assert len(store.all_events(origin="ucdp")) == 5
    assert len(store.all_events(origin="acled")) == acled.stored == 7
    assert store.replace_origin("ucdp", []) == 0
    assert store.all_events(origin="ucdp") == [] and len(store.all_events(origin="acled")) == 7


def test_a_span_longer_than_its_stated_precision_takes_the_coarser(tmp_path):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    row = lines[1].replace("2024-03-12 00:00:00.000,2024-03-12", "2024-03-12 00:00:00.000,2024-03-15")
    assert row != lines[1]
    path = tmp_path / "ged.csv"
    path.write_text(lines[0] + "\n" + row + "\n", encoding="utf-8")
    (e,) = read_ucdp(path).events
    assert (e.event_date, e.date_precision) == (date(2024, 3, 13), "week")
