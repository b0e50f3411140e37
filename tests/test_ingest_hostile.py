"""Ingest under hostile input and faults (issue 12): nothing lost, nothing leaked, nothing garbled.

Each test plays one failure a hostile-input battery found, on real files in ``tmp_path``, real
SQLite and real bytes. The fixtures in ``fixtures/feeds/hostile/`` are written for these tests
(English and Arabic report-like sentences made up here); links, FIFOs, sockets and large files
are made at run time. The only stand-in is the disk-full error, raised at the store's write.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from conflictmap import cli
from conflictmap.config import Settings
from conflictmap.ingest.readers import count_items, iter_articles
from conflictmap.pipeline import ingest_paths
from conflictmap.storage.store import EventStore

# Names that came with this change are imported inside the tests that use them, so the rest of
# this file also runs (and fails, on behaviour) against the code as it was before.

HOSTILE = Path(__file__).parent / "fixtures" / "feeds" / "hostile"
AR1 = "قُتل عنصران من قوات سوريا الديمقراطية بهجوم مسلح على حاجز في بلدة هجين يوم الاثنين."
AR2 = "قصفت مدفعية النظام أطراف بلدة الميادين صباح الثلاثاء، ولم ترد أنباء عن إصابات."
PRIVATE_NOTE = "Gunmen attacked the SECRET-LEDGER depot in Hajin on Monday, killing two guards."


def _line(**kw) -> str:
    return json.dumps(kw, ensure_ascii=False) + "\n"


def _errors(items) -> dict[str, str]:
    return {i.origin: i.error for i in items if i.error}


def _articles(items) -> dict[str, object]:
    return {i.origin: i.article for i in items if i.article}


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    return EventStore(f"sqlite:///{tmp_path / 'events.sqlite'}")


def _stored_texts(store: EventStore) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("select text from articles order by id")]


def _stored_ids(store: EventStore) -> set[str]:
    with store.engine.connect() as conn:
        return {r[0] for r in conn.exec_driver_sql("select id from articles")}


# ----------------------------------------------------------------------------- which files


@pytest.fixture
def folder_with_links(tmp_path: Path) -> Path:
    """A folder with one real report and every kind of link and special file around it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Internal ledger\n\n" + PRIVATE_NOTE + "\n", encoding="utf-8")
    (outside / "more.txt").write_text("Another secret\n\n" + PRIVATE_NOTE + "\n", encoding="utf-8")
    feed = tmp_path / "feed"
    (feed / "sub").mkdir(parents=True)
    (feed / "report.txt").write_text(
        "Curfew in Busayrah\n\nA curfew was imposed in Busayrah on Wednesday.\n", encoding="utf-8"
    )
    (feed / "sub" / "inner.txt").write_text(
        "Shelling near Mayadin\n\nShells fell on the edge of Mayadin on Tuesday.\n", encoding="utf-8"
    )
    (feed / "secret.txt").symlink_to(outside / "secret.txt")  # a link out of the folder
    (feed / "passwd.txt").symlink_to("/etc/passwd")  # the system's account list
    (feed / "escape").symlink_to(outside, target_is_directory=True)  # a linked folder outside
    (feed / "inside-link.txt").symlink_to(feed / "sub" / "inner.txt")  # a link that stays inside
    (feed / "broken.txt").symlink_to(tmp_path / "gone.txt")
    os.mkfifo(feed / "pipe.txt")  # reading a FIFO with no writer blocks for ever
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(feed / "sock.txt"))
    sock.close()
    return feed


def test_symlinks_out_of_the_folder_and_special_files_are_not_read_and_each_is_reported(
    folder_with_links: Path,
) -> None:
    got = list(iter_articles(folder_with_links))
    texts = " ".join(a.text for a in _articles(got).values())
    assert "SECRET-LEDGER" not in texts and "root:" not in texts
    errors = _errors(got)
    assert "outside the folder; not read" in errors["feed/secret.txt"]
    assert "outside the folder; not read" in errors["feed/passwd.txt"]
    assert "a symbolic link to a folder outside it; not followed" in errors["feed/escape"]
    assert errors["feed/broken.txt"] == "feed/broken.txt: a broken symbolic link; not read"
    assert errors["feed/pipe.txt"] == "feed/pipe.txt: a named pipe (FIFO), not a regular file; not read"
    assert errors["feed/sock.txt"] == "feed/sock.txt: a socket, not a regular file; not read"
    assert set(_articles(got)) == {"feed/report.txt", "feed/sub/inner.txt", "feed/inside-link.txt"}
    assert count_items(folder_with_links) == len(got)


def test_a_secret_beside_the_folder_never_reaches_the_store(folder_with_links: Path, store) -> None:
    report = ingest_paths(store, [folder_with_links])
    assert not any("SECRET-LEDGER" in t or "root:" in t for t in _stored_texts(store))
    assert not any("SECRET-LEDGER" in e.evidence for e in store.all_events())
    assert report.articles_added == 2  # the inside link is the same text as sub/inner.txt
    assert sum("feed/" in e and "not read" in e for e in report.errors) == 5
    assert sum("not followed" in e for e in report.errors) == 1


def test_a_fifo_named_on_the_command_line_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.jsonl"
    os.mkfifo(fifo)
    (item,) = iter_articles(fifo)
    assert item.error == "feed.jsonl: a named pipe (FIFO), not a regular file; not read"


# ----------------------------------------------------------------------------- one bad item


@pytest.mark.parametrize(
    ("name", "prefix", "problem"),
    [
        ("surrogate.jsonl", "sur", "'text' holds a lone surrogate (U+D800, not a character)"),
        ("deep.jsonl", "deep", "JSON nested too deeply to read"),
    ],
)
def test_one_bad_line_is_refused_by_file_and_line_and_the_rest_of_the_file_is_stored(
    tmp_path: Path, store, name: str, prefix: str, problem: str
) -> None:
    path = tmp_path / name
    shutil.copy(HOSTILE / name, path)
    report = ingest_paths(store, [path])
    assert report.articles_added == 2
    assert (
        len(report.errors) == 1 and report.errors[0].startswith(f"{name}:2: ") and problem in report.errors[0]
    )
    assert _stored_ids(store) == {f"{prefix}-1", f"{prefix}-3"}
    assert report.complete


def test_an_article_the_store_cannot_take_is_refused_and_the_next_one_is_stored(
    tmp_path: Path, store, monkeypatch
) -> None:
    src = tmp_path / "feed.jsonl"
    src.write_text(
        "".join(
            _line(
                id=f"n{i}",
                publication_date="2024-03-05",
                text=f"Report {i}: a curfew was imposed in Busayrah.",
            )
            for i in range(3)
        ),
        encoding="utf-8",
    )
    real = EventStore._insert_article

    def picky(self, article, rows, origin, **kw):  # a write that fails for this row only
        if article.id == "n1":
            raise ValueError("value the database rejects")
        return real(self, article, rows, origin, **kw)

    monkeypatch.setattr(EventStore, "_insert_article", picky)
    report = ingest_paths(store, [src])
    assert _stored_ids(store) == {"n0", "n2"}
    assert report.errors == ["feed.jsonl:2: could not be stored (ValueError: value the database rejects)"]


# ----------------------------------------------------------------------------- disk full


def _many(tmp_path: Path, n: int, pad: str = "") -> Path:
    src = tmp_path / "many.jsonl"
    towns = ["Hajin", "Mayadin", "Busayrah", "Dhiban", "Shuhayl"]
    src.write_text(
        "".join(
            _line(
                id=f"m{i:03d}",
                publication_date="2024-03-05",
                text=f"Report {i}: gunmen attacked a checkpoint in {towns[i % 5]} on Monday, wounding {i % 4 + 1} guards.{pad}",
            )
            for i in range(n)
        ),
        encoding="utf-8",
    )
    return src


def _full_at(monkeypatch, nth: int) -> list[int]:
    """The store's write raises SQLite's own disk-full error from the ``nth`` article on."""
    real = EventStore._insert_article
    calls = [0]

    def write(self, article, rows, origin, **kw):
        calls[0] += 1
        if calls[0] >= nth:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, article, rows, origin, **kw)

    monkeypatch.setattr(EventStore, "_insert_article", write)
    return calls


def test_disk_full_stops_cleanly_says_what_was_stored_and_a_rerun_finishes(
    tmp_path: Path, monkeypatch
) -> None:
    src = _many(tmp_path, 30)
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    _full_at(monkeypatch, 18)
    report = ingest_paths(EventStore(db), [src])
    assert report.articles_added == 17
    assert report.stopped is not None and "database or disk is full" in report.stopped
    assert "many.jsonl:18" in report.stopped
    assert report.not_stored == 13 and report.first_not_stored == "many.jsonl:18"
    assert not report.complete
    assert len(_stored_ids(EventStore(db))) == 17
    monkeypatch.undo()  # space freed
    again = ingest_paths(EventStore(db), [src])
    assert again.articles_added == 13 and len(again.articles_skipped) == 17
    assert again.complete and again.errors == []
    store = EventStore(db)
    assert _stored_ids(store) == {f"m{i:03d}" for i in range(30)}
    assert all(e.incident_id for e in store.all_events())


def test_a_real_sqlite_disk_full_error_stops_cleanly_and_the_rerun_groups_the_incidents(
    tmp_path: Path,
) -> None:
    """No stand-in at all: SQLite's page limit makes it fail with SQLITE_FULL itself."""
    src = _many(tmp_path, 40, pad=" Residents said the road to the bridge stayed closed until noon." * 20)
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    full = EventStore(db)
    full.writer.dispose()

    def cap(dbapi_conn, _record):
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 6}")

    event.listen(full.writer, "connect", cap)
    report = ingest_paths(full, [src])
    assert report.stopped and "database or disk is full" in report.stopped
    stored = len(_stored_ids(EventStore(db)))
    assert 0 < stored < 40 and report.articles_added == stored
    assert report.not_stored == 40 - stored
    again = ingest_paths(EventStore(db), [src])
    assert again.complete and again.articles_added == 40 - stored
    assert all(e.incident_id for e in EventStore(db).all_events())


def test_disk_full_after_every_article_is_stored_still_groups_incidents_on_the_rerun(
    tmp_path: Path, monkeypatch
) -> None:
    src = _many(tmp_path, 5)
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"

    def no_room(self, conn, assignment, *rows):  # every regrouping, full or incremental, writes here
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(EventStore, "write_incidents", no_room)
    first = ingest_paths(EventStore(db), [src])
    assert first.articles_added == 5 and first.incidents_pending and not first.complete
    monkeypatch.undo()
    again = ingest_paths(EventStore(db), [src])  # adds nothing, yet groups what the last run left
    assert again.articles_added == 0 and again.incidents > 0 and again.complete
    assert all(e.incident_id for e in EventStore(db).all_events())


# ----------------------------------------------------------------------------- encodings


def test_one_invalid_utf8_byte_refuses_that_line_only_and_the_rest_is_not_garbled(tmp_path: Path) -> None:
    got = list(iter_articles(HOSTILE / "one-bad-byte.jsonl"))
    assert _errors(got) == {
        "one-bad-byte.jsonl:3": "one-bad-byte.jsonl:3: not valid UTF-8 (column 73); line not read"
    }
    arts = _articles(got)
    assert arts["one-bad-byte.jsonl:1"].text == AR1
    assert arts["one-bad-byte.jsonl:1"].title == "هجوم على حاجز في هجين"
    assert arts["one-bad-byte.jsonl:2"].title == "“Shelling” near Mayadin"
    assert arts["one-bad-byte.jsonl:4"].text == AR2


@pytest.mark.parametrize("name", ["utf16le-bom.jsonl", "utf16be-bom.jsonl"])
def test_utf16_json_lines_with_a_bom_are_read(name: str) -> None:
    got = list(iter_articles(HOSTILE / name))
    assert not _errors(got)
    texts = [a.text for a in _articles(got).values()]
    assert texts[0] == AR1 and texts[1].startswith("A curfew was imposed in Busayrah")


def test_utf16_and_utf8_bom_documents_and_a_cp1256_report_are_read_as_written() -> None:
    (u16,) = iter_articles(HOSTILE / "utf16-report.txt")
    assert u16.article.title == "اشتباكات في هجين" and AR1 in u16.article.text
    assert u16.article.published == date(2024, 3, 5)
    (bom,) = iter_articles(HOSTILE / "utf8-bom-report.md")
    assert bom.article.title == "Curfew in Busayrah"
    (legacy,) = iter_articles(HOSTILE / "cp1256-report.txt")
    assert (
        legacy.article.title == "قصف على الميادين"
        and AR2 in legacy.article.text
        and AR1 in legacy.article.text
    )
    (feed,) = iter_articles(HOSTILE / "cp1256-feed.xml")
    assert feed.article.title == "قصف على الميادين" and feed.article.text == AR2
    assert feed.article.source == "نشرة الفرات"


def test_a_file_valid_in_no_encoding_is_refused_by_name_never_stored_garbled(tmp_path: Path, store) -> None:
    (latin,) = iter_articles(HOSTILE / "latin1-report.txt")
    assert latin.article is None
    assert latin.error == (
        "latin1-report.txt: not valid UTF-8, UTF-16 or a legacy Arabic encoding "
        "(line 1, column 12: byte 0xe0); not read"
    )
    (feed,) = iter_articles(HOSTILE / "bad-utf8-feed.xml")
    assert (
        feed.error
        == "bad-utf8-feed.xml: not valid UTF-8 as it declares (line 3, column 17: byte 0xe9); not read"
    )
    # a JSON Lines file in an unknown 8-bit encoding: one message, nothing of it stored
    src = tmp_path / "latin.jsonl"
    src.write_bytes(
        _line(id="l1", text="Plain ASCII first line about Hajin.").encode()
        + _line(id="l2", text="Un couvre-feu a été imposé à Busayrah.").encode("latin-1")
        + _line(id="l3", text="Ici aussi: tirs près du pont à Dhiban.").encode("latin-1")
    )
    report = ingest_paths(store, [src])
    assert report.errors == [
        "latin.jsonl:2: not valid UTF-8, UTF-16 or a legacy Arabic encoding (column 39: byte 0xe9); "
        "this and the following lines not read"
    ]
    assert _stored_ids(store) == {"l1"}


def test_a_legacy_arabic_json_lines_file_is_read_in_its_code_page(tmp_path: Path) -> None:
    src = tmp_path / "old.jsonl"
    src.write_bytes(
        (
            _line(id="o1", text="Plain first line: a curfew in Busayrah.")
            + _line(id="o2", text=AR1)
            + _line(id="o3", text=AR2)
        ).encode("cp1256")
    )
    got = list(iter_articles(src))
    assert not _errors(got)
    assert [a.text for a in _articles(got).values()][1:] == [AR1, AR2]


def test_a_lone_surrogate_in_utf16_refuses_its_line_only(tmp_path: Path) -> None:
    src = tmp_path / "u16.jsonl"
    good = _line(id="g1", text=AR1).encode("utf-16-le")
    bad = '{"id": "b", "text": "x'.encode("utf-16-le") + b"\x00\xd8" + '"}\n'.encode("utf-16-le")
    src.write_bytes(b"\xff\xfe" + good + bad + _line(id="g3", text=AR2).encode("utf-16-le"))
    got = list(iter_articles(src))
    assert _errors(got) == {"u16.jsonl:2": "u16.jsonl:2: not valid UTF-16 (column 23); line not read"}
    assert [a.id for a in _articles(got).values()] == ["g1", "g3"]


# ----------------------------------------------------------------------------- sizes


class Counting:
    """A real binary file that counts what was read from it and the largest single read."""

    def __init__(self, fh) -> None:
        self.fh = fh
        self.total = 0
        self.largest = 0

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.total += len(data)
        self.largest = max(self.largest, len(data))
        return data

    def seek(self, *args):
        return self.fh.seek(*args)

    def tell(self) -> int:
        return self.fh.tell()


def test_a_50_mb_json_line_is_refused_after_reading_at_most_limit_plus_one_chunk(tmp_path: Path) -> None:
    src = tmp_path / "huge.jsonl"
    with src.open("wb") as fh:
        fh.write(b'{"id": "huge", "text": "' + b"a" * 50_000_000 + b'"}\n')
        fh.write(_line(id="after", text="A curfew was imposed in Busayrah on Wednesday.").encode())
    got = list(iter_articles(src))  # the default limit, 10 MB a line
    assert [i.error for i in got if i.error] == [
        "huge.jsonl:1: line longer than the limit of 10,000,000 bytes (CONFLICTMAP_INGEST_MAX_LINE_BYTES); not read"
    ]
    assert [i.article.id for i in got if i.article] == ["after"]

    from conflictmap.ingest.files import CHUNK, iter_text_lines

    limit = 1_000_000
    with src.open("rb") as raw:
        counted = Counting(raw)
        lines = iter_text_lines(counted, "huge.jsonl", limit)
        first = next(lines)
        assert first.text is None and first.error == (
            "huge.jsonl:1: line longer than the limit of 1,000,000 bytes "
            "(CONFLICTMAP_INGEST_MAX_LINE_BYTES); not read"
        )
        assert counted.total <= limit + CHUNK
        second = next(lines)
        assert second.number == 2 and '"after"' in second.text
        assert counted.largest <= CHUNK  # the rest of the long line went by a chunk at a time


def test_iter_lines_splits_across_chunks_and_keeps_the_last_line_without_newline(tmp_path: Path) -> None:
    from conflictmap.ingest.files import iter_lines

    src = tmp_path / "x.jsonl"
    src.write_bytes(b"one\r\n" + b"b" * 25 + b"\nthree\n" + b"c" * 11 + b"\nlast")
    with src.open("rb") as fh:
        got = [(ln.number, ln.data) for ln in iter_lines(fh, limit=10, chunk=4)]
    assert got == [(1, b"one"), (2, None), (3, b"three"), (4, None), (5, b"last")]


def test_a_file_over_the_size_limit_is_refused_unread_and_the_next_file_is_read(
    tmp_path: Path, store
) -> None:
    big = tmp_path / "a-huge.txt"
    with big.open("wb") as fh:  # sparse: 25 MB on paper, nothing on disk
        fh.truncate(25_000_000)
    (tmp_path / "b-good.txt").write_text(
        "Curfew in Busayrah\n\nA curfew was imposed in Busayrah on Wednesday.\n"
    )
    got = list(iter_articles(tmp_path))
    assert _errors(got) == {
        f"{tmp_path.name}/a-huge.txt": f"{tmp_path.name}/a-huge.txt: 25,000,000 bytes, more than the limit of "
        "20,000,000 (CONFLICTMAP_INGEST_MAX_FILE_BYTES); not read"
    }
    assert [a.title for a in _articles(got).values()] == ["Curfew in Busayrah"]


def test_a_file_whose_size_is_unknown_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    from conflictmap.ingest.files import read_capped

    src = tmp_path / "stream.bin"
    src.write_bytes(b"x" * 3_000_000)
    with src.open("rb") as raw:
        counted = Counting(raw)  # no fileno: the size cannot be asked first, as with /proc files
        with pytest.raises(Exception, match="more than the limit of 1,000,000 bytes"):
            read_capped(counted, 1_000_000, "stream.bin")
    assert counted.total <= 1_000_001


def test_an_article_over_the_text_limit_is_refused_and_the_next_is_read(tmp_path: Path) -> None:
    from conflictmap.config import IngestLimits

    src = tmp_path / "long.jsonl"
    src.write_text(
        _line(id="long", text="Shelling in Mayadin. " * 100) + _line(id="short", text="Shelling in Mayadin."),
        encoding="utf-8",
    )
    got = list(iter_articles(src, limits=IngestLimits(max_article_chars=1000)))
    assert _errors(got) == {
        "long.jsonl:1": "long.jsonl:1: article text is 2,100 characters, more than the limit of 1,000 "
        "(CONFLICTMAP_INGEST_MAX_ARTICLE_CHARS); not stored"
    }
    assert [a.id for a in _articles(got).values()] == ["short"]


# ----------------------------------------------------------------------------- dates


def test_absurd_publication_dates_are_refused_with_a_reason_and_never_stored(tmp_path: Path, store) -> None:
    src = tmp_path / "dates.jsonl"
    shutil.copy(HOSTILE / "dates.jsonl", src)
    report = ingest_paths(store, [src])
    window = f"1990-01-01 to {date.today() + timedelta(days=1)}"
    assert report.errors == [
        f"dates.jsonl:1: publication date 9999-12-30 is outside the accepted {window} "
        "(CONFLICTMAP_INGEST_DATE_MIN/MAX); not stored",
        f"dates.jsonl:2: publication date 1200-01-01 is outside the accepted {window} "
        "(CONFLICTMAP_INGEST_DATE_MIN/MAX); not stored",
    ]
    assert _stored_ids(store) == {"date-ok"}
    assert all(date(1990, 1, 1) <= e.event_date <= date.today() for e in store.all_events())


def test_an_event_dated_before_the_window_is_refused_and_its_article_kept(tmp_path: Path, store) -> None:
    src = tmp_path / "edge.jsonl"
    src.write_text(
        _line(
            id="edge",
            publication_date="1990-01-02",
            text="Gunmen attacked a checkpoint in Hajin on Saturday, killing two guards.",
        ),
        encoding="utf-8",
    )
    report = ingest_paths(store, [src])
    assert report.articles_added == 1 and report.events_added == 0
    assert report.events_refused == [
        f"edge.jsonl:1: event dated 1989-12-30 (battle at Hajin) is outside the accepted 1990-01-01 to "
        f"{date.today() + timedelta(days=1)} (CONFLICTMAP_INGEST_DATE_MIN/MAX); not stored"
    ]
    assert store.all_events(origin="extracted") == []
    assert report.refused == 1


def test_the_window_and_limits_come_from_the_environment() -> None:
    from conflictmap.config import IngestLimits

    s = Settings.from_env(
        {
            "CONFLICTMAP_INGEST_MAX_FILE_BYTES": "5MB",
            "CONFLICTMAP_INGEST_MAX_LINE_BYTES": "1MiB",
            "CONFLICTMAP_INGEST_MAX_ARTICLE_CHARS": "50000",
            "CONFLICTMAP_INGEST_DATE_MIN": "2011-03-15",
            "CONFLICTMAP_INGEST_DATE_MAX": "2030-12-31",
        }
    )
    assert s.ingest_limits == IngestLimits(
        5_000_000, 1_048_576, 50_000, date(2011, 3, 15), date(2030, 12, 31)
    )
    assert Settings.from_env({}).ingest_limits.window(date(2026, 12, 3)) == (
        date(1990, 1, 1),
        date(2026, 12, 4),
    )
    with pytest.raises(ValueError, match="CONFLICTMAP_INGEST_MAX_LINE_BYTES='lots'"):
        Settings.from_env({"CONFLICTMAP_INGEST_MAX_LINE_BYTES": "lots"})
    with pytest.raises(ValueError, match="CONFLICTMAP_INGEST_DATE_MIN='1990-13-01'"):
        Settings.from_env({"CONFLICTMAP_INGEST_DATE_MIN": "1990-13-01"})


# ----------------------------------------------------------------------------- the command


def _run_cli(monkeypatch, capsys, tmp_path: Path, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("CONFLICTMAP_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "200")
    code = cli.main(["ingest", *args])
    return code, capsys.readouterr().out


def test_cli_disk_full_exits_3_and_says_what_was_stored_and_how_to_finish(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    src = _many(tmp_path, 6)
    _full_at(monkeypatch, 4)
    code, out = _run_cli(monkeypatch, capsys, tmp_path, str(src))
    assert code == 3
    assert "STOPPED: the store cannot be written (database or disk is full) at many.jsonl:4." in out
    assert "Stored: 3 new article(s)" in out
    assert "Not stored: 3 article(s), from many.jsonl:4 on." in out
    assert "run the same command again" in out


def test_cli_exit_status_refused_strict_and_max_errors(tmp_path: Path, monkeypatch, capsys) -> None:
    src = tmp_path / "mixed.jsonl"
    shutil.copy(HOSTILE / "one-bad-byte.jsonl", src)
    later = tmp_path / "later.jsonl"
    later.write_text(
        _line(id="later", text="A curfew was imposed in Busayrah on Wednesday."), encoding="utf-8"
    )
    code, out = _run_cli(monkeypatch, capsys, tmp_path / "a", "--strict", str(src), str(later))
    assert code == 3
    assert "STOPPED: more than 0 item(s) refused (--max-errors 0)" in out
    assert "Not read: " in out and "mixed.jsonl (from mixed.jsonl:4 on)" in out
    assert f"Not read: {later}" in out
    code, out = _run_cli(monkeypatch, capsys, tmp_path / "b", "--max-errors", "1", str(src), str(later))
    assert code == 1 and "refused: mixed.jsonl:3: not valid UTF-8" in out
    assert "1 item(s) refused (listed above); everything else was stored." in out
    code, out = _run_cli(monkeypatch, capsys, tmp_path / "b", str(later))
    assert code == 0  # seen before: nothing refused, nothing to do


def test_utf16_without_a_bom_is_refused_by_name_not_stored_with_nuls(tmp_path: Path) -> None:
    (tmp_path / "nobom.jsonl").write_bytes(
        (_line(id="n1", text=AR1) + _line(id="n2", text=AR2)).encode("utf-16-le")
    )
    (tmp_path / "nobom.txt").write_bytes(("اشتباكات في هجين\n\n" + AR1 + "\n").encode("utf-16-be"))
    got = list(iter_articles(tmp_path))
    assert not _articles(got)
    assert [i.error for i in got] == [
        f"{tmp_path.name}/{name}: holds NUL bytes: UTF-16 or UTF-32 without a byte order mark, or not text; "
        "save it as UTF-8 or with a BOM; not read"
        for name in ("nobom.jsonl", "nobom.txt")
    ]
