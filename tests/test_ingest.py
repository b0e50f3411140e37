"""Ingest: feeds, JSON Lines, folders and URLs into plain-text Articles; bad items reported, not fatal."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from conflictmap.ingest.fetch import FetchError
from conflictmap.ingest.readers import IngestItem, count_items, iter_articles, safe_url
from conflictmap.textsafe import to_plain

FIX = Path(__file__).parent / "fixtures" / "feeds"


def items(path: str | Path, **kw) -> list[IngestItem]:
    return list(iter_articles(path, **kw))


@pytest.fixture
def feeds(tmp_path: Path) -> Path:
    """A private copy of the fixtures, so tests read real files without touching the repo's."""
    dst = tmp_path / "feeds"
    shutil.copytree(FIX, dst)
    return dst


def test_rss_entries_become_articles(feeds: Path) -> None:
    got = items(feeds / "rss.xml")
    assert [i.error for i in got] == [None, None, None]
    first = got[0].article
    assert first is not None
    assert first.title == "Night raid in Busayrah ends with three detained"
    assert first.url == "https://euphrates-desk.example/2024/03/05/busayrah-raid"
    assert first.source == "Euphrates Desk"
    # the date as the feed wrote it (+0300), not shifted back a day to UTC
    assert first.published == date(2024, 3, 5)
    # full content preferred over the short description, paragraphs kept apart
    assert "taken to a base north of the town" in first.text
    assert "\n" in first.text and "<p>" not in first.text
    assert got[1].article.text.startswith("Artillery shells fell")  # escaped HTML description
    assert [i.origin for i in got] == ["rss.xml item 1", "rss.xml item 2", "rss.xml item 3"]


def test_atom_entries_become_articles(feeds: Path) -> None:
    got = [i.article for i in items(feeds / "atom.xml")]
    assert got[0].title == "Drone strike hits a car near Mayadin"  # type="html" title, tags gone
    assert got[0].published == date(2024, 5, 10)
    assert got[0].url == "https://valley-monitor.example/news/mayadin-drone"
    assert got[1].published == date(2024, 5, 9)  # no <published>: falls back to <updated>
    assert got[1].text.startswith("Dozens of residents gathered in Shuhayl")
    assert got[0].id != got[1].id


def test_hostile_feed_item_comes_out_as_plain_text(feeds: Path) -> None:
    (item,) = items(feeds / "hostile.xml")
    art = item.article
    assert art is not None
    for field in (art.title, art.text, art.source):
        low = field.lower()
        assert (
            "<script" not in low
            and "onerror" not in low
            and "<iframe" not in low
            and "javascript:" not in low
        )
        assert "<" not in field and ">" not in field
    assert art.url is None  # the javascript: link is dropped
    assert art.title == "Clashes in Tayana overnight"
    assert "Gunmen clashed with a patrol in Tayana overnight." in art.text
    assert "document.cookie" not in art.text and "alert" not in art.text


def test_missing_fields_are_none_and_missing_text_is_an_error(feeds: Path) -> None:
    first, second = items(feeds / "missing.xml")
    assert first.error is None
    assert first.article.title is None and first.article.published is None and first.article.url is None
    assert first.article.id.startswith("h-")  # derived from the text
    assert second.article is None
    assert second.error == "missing.xml item 2: no text (neither content nor summary)"


def test_jsonl_bad_line_is_reported_by_number_and_others_are_read(feeds: Path) -> None:
    got = items(feeds / "articles.jsonl")
    errors = {i.origin: i.error for i in got if i.error}
    assert set(errors) == {"articles.jsonl:3", "articles.jsonl:4"}
    assert errors["articles.jsonl:3"].startswith("articles.jsonl:3: not JSON")
    assert errors["articles.jsonl:4"] == "articles.jsonl:4: no 'text'"
    arts = {i.origin: i.article for i in got if i.article}
    assert arts["articles.jsonl:1"].id == "t-001"
    assert arts["articles.jsonl:1"].published == date(2024, 2, 20)
    no_id = arts["articles.jsonl:2"]
    assert no_id.id.startswith("u-") and no_id.published == date(2024, 2, 21)
    hostile = arts["articles.jsonl:5"]
    assert hostile.url is None and hostile.source == "River Post" and hostile.title == "Arrests in Hawayij"


def test_jsonl_id_derived_from_content_when_no_url(tmp_path: Path) -> None:
    p = tmp_path / "x.ndjson"
    p.write_text('{"text": "Same words here."}\n{"text": "same   WORDS here."}\n[1, 2]\n', encoding="utf-8")
    a, b, c = items(p)
    assert a.article.id == b.article.id  # content hash ignores case and spacing
    assert c.error == "x.ndjson:3: expected a JSON object, got list"


def test_folder_reads_every_file_and_survives_a_broken_feed(feeds: Path) -> None:
    got = items(feeds / "folder")
    origins = [i.origin for i in got]
    assert origins == [
        "folder/2024-08-14-hajin-report.txt",
        "folder/a.txt",
        "folder/b.md",
        "folder/broken.xml",
        "folder/c.html",
        "folder/nested/d.htm",
    ]  # sorted, recursive, hidden files and other suffixes skipped
    by = {i.origin: i for i in got}
    assert by["folder/broken.xml"].article is None
    assert "folder/broken.xml: not a well-formed feed" in by["folder/broken.xml"].error
    assert sum(1 for i in got if i.article) == 5


def test_text_files_title_and_dates(feeds: Path) -> None:
    by = {i.origin: i.article for i in items(feeds / "folder")}
    named = by["folder/2024-08-14-hajin-report.txt"]
    assert named.title == "Fighting resumes on the eastern bank"
    assert named.published == date(2024, 8, 14)  # from the file name
    lead = by["folder/a.txt"]
    assert lead.title == "Roads closed around Dhiban" and lead.published == date(
        2023, 9, 2
    )  # leading date line
    md = by["folder/b.md"]
    assert md.title == "Weekly notes from the western countryside" and md.published is None


def test_html_files_through_trafilatura(feeds: Path) -> None:
    by = {i.origin: i.article for i in items(feeds / "folder")}
    page = by["folder/c.html"]
    assert page.title == "Market reopens in Mayadin"
    assert page.published == date(2024, 6, 3)
    assert page.source == "Valley Monitor"
    assert "reopened on Monday" in page.text
    assert "tracking" not in page.text and "Home" not in page.text  # script and navigation dropped
    assert by["folder/nested/d.htm"].title == "Water station repaired in Tabni"


def test_unreadable_and_missing_paths_yield_one_error(tmp_path: Path) -> None:
    (err,) = items(tmp_path / "nope.jsonl")
    assert err.article is None and "no such file" in err.error
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    (e2,) = items(empty)
    assert e2.error == "empty.txt: empty file"


def test_feed_detected_by_content_without_suffix(feeds: Path, tmp_path: Path) -> None:
    p = tmp_path / "download.bin"
    p.write_bytes((feeds / "atom.xml").read_bytes())
    assert len([i for i in items(p) if i.article]) == 2


def test_url_is_fetched_through_the_given_function(feeds: Path) -> None:
    asked: list[str] = []

    def fake_fetch(url: str) -> bytes:  # the network boundary
        asked.append(url)
        return (feeds / "rss.xml").read_bytes()

    got = items("https://euphrates-desk.example/feed", fetch=fake_fetch)
    assert asked == ["https://euphrates-desk.example/feed"]
    assert len(got) == 3 and got[0].origin == "https://euphrates-desk.example/feed item 1"


def test_url_html_page_and_fetch_errors(feeds: Path) -> None:
    page = (feeds / "folder" / "c.html").read_bytes()
    (item,) = items("https://valley-monitor.example/news/market", fetch=lambda _u: page)
    assert item.article.url == "https://valley-monitor.example/news/market"
    assert item.article.title == "Market reopens in Mayadin"

    def refuse(url: str) -> bytes:
        raise FetchError(f"{url}: refused: host resolves to 10.0.0.1")

    (err,) = items("http://intranet.example/", fetch=refuse)
    assert err.article is None and "refused" in err.error


def test_count_items(feeds: Path) -> None:
    assert count_items(feeds / "articles.jsonl") == 5
    assert count_items(feeds / "rss.xml") == 3
    assert count_items(feeds / "atom.xml") == 2
    assert count_items(feeds / "folder") == 6
    assert count_items("https://example.org/feed") is None
    assert count_items(feeds / "missing-file") is None


def test_to_plain_and_safe_url() -> None:
    assert to_plain("a < b and AT&T") == "a < b and AT&T"  # plain text left alone
    assert to_plain("&amp;lt;script&amp;gt;x&amp;lt;/script&amp;gt;ok") == "ok"  # double-escaped markup
    assert to_plain("<p>One</p><p>Two</p>") == "One\n\nTwo"  # paragraphs stay apart
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,hi") is None
    assert safe_url("//evil.example/x") is None
    assert safe_url(" https://ok.example/a ") == "https://ok.example/a"


def test_plain_text_is_kept_exactly_so_offsets_hold(tmp_path: Path) -> None:
    body = " date 2024-01-02 HAJIN - Two men were detained on Monday. \n\n\nA second raid followed.  "
    p = tmp_path / "plain.jsonl"
    p.write_text(json.dumps({"id": "p1", "text": body}) + "\n", encoding="utf-8")
    (item,) = items(p)
    assert item.article.text == body


def test_a_url_is_fetched_with_the_file_size_limit(monkeypatch, feeds: Path) -> None:
    from conflictmap.config import IngestLimits
    from conflictmap.ingest import readers as ingest

    asked: list[tuple[str, int]] = []

    def fake_fetch_url(url: str, *, max_bytes: int) -> bytes:  # the network boundary
        asked.append((url, max_bytes))
        return (feeds / "rss.xml").read_bytes()

    monkeypatch.setattr(ingest, "fetch_url", fake_fetch_url)
    got = items("https://euphrates-desk.example/feed", limits=IngestLimits(max_file_bytes=123_456))
    assert asked == [("https://euphrates-desk.example/feed", 123_456)]
    assert len([i for i in got if i.article]) == 3


def test_declared_and_bom_encodings_of_html_and_feeds(tmp_path: Path) -> None:
    body = "قصفت مدفعية النظام أطراف بلدة الميادين صباح الثلاثاء، ولم ترد أنباء عن إصابات."
    (tmp_path / "u16.xml").write_bytes(
        (
            '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>نشرة الفرات</title>'
            f"<item><title>قصف على الميادين</title><description>{body}</description></item></channel></rss>"
        ).encode("utf-16")
    )
    (tmp_path / "page.html").write_bytes(
        (
            '<html><head><meta charset="windows-1256"><title>قصف على الميادين</title></head>'
            f"<body><article><p>{body}</p><p>{body}</p></article></body></html>"
        ).encode("cp1256")
    )
    (tmp_path / "says-utf8.html").write_bytes(
        b'<html><head><meta charset="utf-8"><title>x</title></head><body><p>Caf\xe9 closed.</p></body></html>'
    )
    by = {i.origin: i for i in items(tmp_path)}
    feed = by[f"{tmp_path.name}/u16.xml item 1"].article
    assert feed.title == "قصف على الميادين" and feed.text == body and feed.source == "نشرة الفرات"
    page = by[f"{tmp_path.name}/page.html"].article
    assert page.title == "قصف على الميادين" and body in page.text
    assert by[f"{tmp_path.name}/says-utf8.html"].error == (
        f"{tmp_path.name}/says-utf8.html: not valid UTF-8 as it declares (line 1, column 70: byte 0xe9); not read"
    )
