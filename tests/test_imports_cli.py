"""`conflictmap import-acled` / `import-ucdp` as a user runs them: the project's sample exports
into a store of their own, the report printed, the exit status a script reads, the previous
import replaced, and the rows linked to (never merged with) an incident already stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conflictmap.cli import main
from conflictmap.config import Settings
from conflictmap.storage.store import EventStore
from tests.helpers import make_event

DATA = Path(__file__).parent / "data"
ACLED = DATA / "acled_sample.csv"
UCDP = DATA / "ucdp_ged_sample.csv"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CONFLICTMAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    store = EventStore(Settings(data_dir=tmp_path).db_url)
    # The Diban clash of 12 March 2024 as the extractor would have stored it (ACLED SYR90001).
    store.upsert_events(
        [
            make_event(
                "diban",
                event_date=date(2024, 3, 12),
                actor1="SDF",
                actor2="Arab tribal fighters",
                location="Diban",
                place_id="dz:diban",
                latitude=35.0157,
                longitude=40.5101,
            )
        ]
    )
    return store


def _clean(tmp_path: Path, source: Path, bad_lines: tuple[int, ...]) -> Path:
    """The sample without its deliberately bad rows (1-based line numbers)."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / f"clean-{source.name}"
    path.write_text("".join(line for n, line in enumerate(lines, 1) if n not in bad_lines), encoding="utf-8")
    return path


def test_import_acled_stores_reports_refusals_exits_1_and_links(store, capsys):
    assert main(["import-acled", str(ACLED)]) == 1  # the sample has refused rows
    out = capsys.readouterr().out
    assert "acled_sample.csv: 14 rows read, 7 stored as origin 'acled', 6 refused, 1 skipped" in out
    assert "refused: acled_sample.csv:12: event_type='Battle royale'" in out
    assert "licence: ACLED data" in out
    assert "1 of 7 ACLED row(s) are the same incident as one already in the store" in out
    assert "ACLED SYR90001 = inc:diban" in out
    assert len(store.all_events(origin="acled")) == 7
    assert store.event("diban")["incident_id"] == "inc:diban"  # ours untouched
    assert store.event("acled:SYR90001")["incident_id"] == "inc:acled:SYR90001"  # its own incident
    assert [lk["label"] for lk in store.cross_links()["inc:diban"]] == ["ACLED SYR90001"]


def test_import_ucdp_beside_acled(store, capsys):
    assert main(["import-acled", str(ACLED)]) == 1
    assert main(["import-ucdp", str(UCDP)]) == 1
    out = capsys.readouterr().out
    assert "ucdp_ged_sample.csv: 12 rows read, 5 stored as origin 'ucdp', 4 refused, 3 skipped" in out
    assert "1 of 5 UCDP GED row(s) are the same incident" in out
    assert len(store.all_events(origin="ucdp")) == 5 and len(store.all_events(origin="acled")) == 7
    labels = [lk["label"] for lk in store.cross_links()["inc:diban"]]
    assert labels == ["ACLED SYR90001", "UCDP GED 500001"]


def test_a_clean_file_exits_0_and_a_reimport_replaces_the_previous_one(store, tmp_path, capsys):
    clean = _clean(tmp_path, ACLED, (10, 11, 12, 13, 14, 15, 16))
    assert main(["import-acled", str(clean)]) == 0
    assert len(store.all_events(origin="acled")) == 7
    # A newer export holding two rows replaces the import: never doubled, dropped rows leave.
    lines = clean.read_text(encoding="utf-8").splitlines(keepends=True)
    newer = tmp_path / "newer.csv"
    newer.write_text("".join(lines[:3]), encoding="utf-8")
    assert main(["import-acled", str(newer)]) == 0
    assert sorted(e.event_id for e in store.all_events(origin="acled")) == [
        "acled:SYR90001",
        "acled:SYR90002",
    ]
    assert "replacing the 7 of the previous import" in capsys.readouterr().out


def test_several_files_are_one_import_and_a_row_in_two_is_stored_once(store, tmp_path, capsys):
    clean = _clean(tmp_path, ACLED, (10, 11, 12, 13, 14, 15, 16))
    lines = clean.read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("".join(lines[:3]), encoding="utf-8")  # SYR90001, SYR90002
    second.write_text("".join([lines[0], *lines[2:]]), encoding="utf-8")  # SYR90002 to SYR90007
    assert main(["import-acled", str(first), str(second)]) == 0
    assert len(store.all_events(origin="acled")) == 7
    assert "skipped 1: the same row is also in first.csv:3" in capsys.readouterr().out


def test_an_unreadable_file_stores_nothing_and_exits_2(store, tmp_path, capsys):
    clean = _clean(tmp_path, ACLED, (10, 11, 12, 13, 14, 15, 16))
    assert main(["import-acled", str(clean)]) == 0
    utf16 = tmp_path / "excel-unicode.csv"
    utf16.write_bytes(clean.read_text(encoding="utf-8").encode("utf-16"))
    assert main(["import-acled", str(ACLED), str(utf16)]) == 2
    out = capsys.readouterr().out
    assert "not read: excel-unicode.csv: UTF-16 text" in out and "NOT STORED" in out
    assert len(store.all_events(origin="acled")) == 7  # the previous import stays whole
    assert main(["import-ucdp", str(tmp_path / "absent.csv")]) == 2
