"""ACLED exports in: the project's own made-up export (tests/data/acled_sample.csv, shaped like
ACLED's files) read row by row, bad rows named by file:line, column and value, and the events
stored as their own origin."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conflictmap.ingest.acled import LICENCE, ORIGIN, read_acled
from conflictmap.ingest.tabular import combine, is_deir_ez_zor
from conflictmap.storage.store import EventStore

SAMPLE = Path(__file__).parent / "data" / "acled_sample.csv"
HEADER = SAMPLE.read_text(encoding="utf-8").splitlines()[0]


@pytest.fixture(scope="module")
def result():
    return read_acled(SAMPLE)


def _by_id(result):
    return {e.event_id: e for e in result.events}


def test_counts_say_what_was_read_stored_refused_and_skipped(result):
    assert result.counts() == {"read": 14, "stored": 7, "refused": 6, "skipped": 1}
    assert not result.ok  # the command line exits non-zero
    assert result.problems == []


def test_each_refused_row_is_named_by_file_line_column_and_value(result):
    shown = [str(r) for r in result.refused]
    assert shown == [
        "acled_sample.csv:11: event_date='31 February 2024': "
        'not a date (want "12 March 2024" or 2024-03-12)',
        "acled_sample.csv:12: event_type='Battle royale': not one of ACLED's six event types",
        "acled_sample.csv:13: latitude/longitude='40.5103,35.0156': "
        "not in Deir ez-Zor governorate's area (latitude and longitude swapped?)",
        "acled_sample.csv:14: fatalities='several': not a number",
        "acled_sample.csv:15: 6 fields where the header has 31",
        "acled_sample.csv:16: event_id_cnty='SYR90001': the same id was read at acled_sample.csv:2",
    ]


def test_a_row_outside_the_governorate_is_skipped_and_reported(result):
    (skip,) = result.skipped
    assert (skip.where, skip.column, skip.value) == ("acled_sample.csv:10", "admin1", "Ar Raqqa")
    assert "acled:SYR90008" not in _by_id(result)
    assert any("skipped 1: admin1 is not Deir ez-Zor" in line for line in result.report())


def test_columns_and_codes_map_to_the_event_model(result):
    e = _by_id(result)["acled:SYR90001"]
    assert (e.event_date, e.date_precision, e.event_type, e.sub_event_type) == (
        date(2024, 3, 12),
        "day",
        "battle",
        "armed clash",
    )
    assert (e.actor1, e.actor2) == ("SDF", "Arab tribal fighters")
    assert (e.location, e.admin1, e.latitude, e.longitude, e.geo_precision) == (
        "Diban",
        "Deir ez-Zor",
        35.0156,
        40.5103,
        1,
    )
    assert e.origin == ORIGIN == "acled" and e.source == "ACLED" and e.fatalities == 0
    assert "ACLED event_id_cnty SYR90001" in e.notes and LICENCE in e.notes
    assert e.evidence.startswith("On 12 March 2024, SDF fighters")


def test_iso_dates_week_and_month_precision_and_ACLED_labels(result):
    events = _by_id(result)
    strike = events["acled:SYR90002"]  # ISO date
    assert strike.event_date == date(2024, 3, 14) and strike.sub_event_type == "air/drone strike"
    assert (strike.actor1, strike.actor2, strike.fatalities, strike.geo_precision) == (
        "US forces",
        "ISIS",
        2,
        2,
    )
    attack = events["acled:SYR90003"]  # notes over two lines, time_precision 2, "Dayr Az Zawr"
    assert attack.date_precision == "week" and attack.civilian_targeting is True
    assert "\n" in attack.evidence and '"mukhtar"' in attack.evidence
    assert (attack.actor1, attack.actor2) == ("Unidentified armed group", "Civilians")
    assert events["acled:SYR90004"].sub_event_type == "arrest"  # ACLED's "Arrests"
    protest = events["acled:SYR90005"]
    assert protest.date_precision == "month" and protest.actor1 == "Other: Protesters (Syria)"
    assert protest.actor2 is None


def test_the_syrian_state_is_named_by_the_date(result):
    events = _by_id(result)
    assert events["acled:SYR90006"].actor1 == "Syrian regime forces"
    assert events["acled:SYR90007"].actor1 == "Other: Syrian transitional government"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Deir ez Zor", True),
        ("Deir ez-Zor", True),
        ("Dayr Az Zawr", True),
        ("Dayr az Zawr governorate", True),
        ("Deir el-Zour", True),
        ("دير الزور", True),
        ("Ar Raqqa", False),
        ("Al Hasakeh", False),
        ("", False),
    ],
)
def test_governorate_spellings(name, expected):
    assert is_deir_ez_zor(name) is expected


def test_store_keeps_the_import_as_its_own_origin(result, tmp_path):
    store = EventStore(f"sqlite:///{tmp_path / 'events.db'}")
    assert store.replace_origin(result.origin, result.events) == 7
    # Importing again replaces, never doubles.
    assert store.replace_origin(result.origin, result.events) == 7
    stored = store.all_events(origin="acled")
    assert sorted(e.event_id for e in stored) == sorted(e.event_id for e in result.events)
    row = store.event("acled:SYR90003")
    assert row is not None and row["incident_id"] == "inc:acled:SYR90003"
    assert row["date_precision"] == "week" and row["origin"] == "acled"
    assert store.all_events(origin="extracted") == []


def test_bad_bytes_and_a_missing_column_are_reported_not_raised(tmp_path):
    good = SAMPLE.read_text(encoding="utf-8").splitlines()[1]
    damaged = tmp_path / "damaged.csv"
    damaged.write_bytes(
        (HEADER + "\n").encode() + good.replace("Diban", "Dib\xe2n").encode("latin-1") + b"\n"
    )
    r = read_acled(damaged)
    assert r.counts() == {"read": 1, "stored": 0, "refused": 1, "skipped": 0}
    byte = good.index("Diban") + 4  # 1-based position of the Latin-1 "â"
    assert str(r.refused[0]) == f"damaged.csv:2: line 2 is not valid UTF-8 (byte {byte})"

    no_date = tmp_path / "no_date.csv"
    no_date.write_text(HEADER.replace("event_date,", "") + "\n", encoding="utf-8")
    r = read_acled(no_date)
    assert r.problems == ["no_date.csv: no column event_date in the header"] and not r.ok

    r = read_acled(tmp_path / "absent.csv")
    assert r.counts()["read"] == 0 and len(r.problems) == 1 and "absent.csv" in r.problems[0]


def test_byte_order_mark_and_crlf_are_read(tmp_path):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([lines[0], lines[1]]).encode() + b"\r\n")
    r = read_acled(path)
    assert r.ok and [e.event_id for e in r.events] == ["acled:SYR90001"]


def test_two_exports_of_overlapping_periods_store_each_row_once(tmp_path):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    later = tmp_path / "later.csv"
    # SYR90001 again as it was, SYR90002 again with another toll: the first is stored once,
    # the second refused in the later file (which of the two is right cannot be known).
    changed = lines[2].replace(",2,,1717000000", ",5,,1717000000")
    assert changed != lines[2]
    later.write_text("\n".join([lines[0], lines[1], changed]) + "\n", encoding="utf-8")
    first, second = read_acled(SAMPLE), read_acled(later)
    events = combine([first, second])
    assert sorted(e.event_id for e in events) == sorted(e.event_id for e in read_acled(SAMPLE).events)
    assert second.counts() == {"read": 2, "stored": 0, "refused": 1, "skipped": 1}
    assert str(second.skipped[0]) == "later.csv:2: id='SYR90001': the same row is also in acled_sample.csv:2"
    assert str(second.refused[0]).startswith(
        "later.csv:3: id='SYR90002': read with other values at acled_sample.csv:"
    )


def test_the_ucdp_reader_does_not_depend_on_the_acled_reader():
    import ast

    source = (Path(__file__).parent.parent / "conflictmap" / "ingest" / "ucdp.py").read_text(encoding="utf-8")
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)}
    assert "conflictmap.ingest.acled" not in imported and "conflictmap.ingest.tabular" in imported
