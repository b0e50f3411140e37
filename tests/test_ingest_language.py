"""Language per article at ingest: declared by the source, else the text's script; stored;
counted per language in the ingest report, which names languages no extractor reads."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conflictmap.ingest.readers import parse_feed, parse_html, parse_jsonl
from conflictmap.language import normalise_language, script_language
from conflictmap.pipeline import IngestReport, ingest_paths
from conflictmap.storage.store import EventStore

AR_TEXT = "قصفت قوات النظام أمس بلدة ذيبان بريف دير الزور الشرقي بقذائف الهاون، دون وقوع إصابات."
EN_TEXT = "Regime forces shelled the town of Diban in eastern Deir ez-Zor countryside on Monday."

RSS_AR = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>شبكة محلية</title><language>ar-SY</language>
<item><title>قصف على ذيبان</title><link>https://example.org/a1</link>
<pubDate>Tue, 13 Aug 2024 10:00:00 GMT</pubDate><description>{AR_TEXT}</description></item>
</channel></rss>""".encode()


def test_script_majority_decides_when_nothing_is_declared() -> None:
    assert script_language(AR_TEXT) == "ar"
    assert script_language(EN_TEXT) == "en"
    # mixed: an Arabic report quoting an English name is still Arabic
    assert script_language(AR_TEXT + " (SDF)") == "ar"
    assert script_language("12 / 08 / 2024") is None


def test_declared_tags_are_normalised() -> None:
    assert normalise_language("ar-SY") == "ar"
    assert normalise_language("EN_us") == "en"
    assert normalise_language("Arabic") == "ar"
    assert normalise_language("") is None
    assert normalise_language(7) is None


def test_feed_language_is_recorded() -> None:
    items = list(parse_feed(RSS_AR, "feed.xml"))
    assert [i.error for i in items] == [None]
    assert items[0].article is not None and items[0].article.language == "ar"


def test_jsonl_language_field_wins_over_script() -> None:
    rows = [
        json.dumps({"id": "a", "text": AR_TEXT, "language": "ar"}, ensure_ascii=False),
        json.dumps({"id": "b", "text": EN_TEXT}),
        json.dumps({"id": "c", "text": EN_TEXT, "language": "fr"}),
    ]
    langs = [i.article.language for i in parse_jsonl(rows, "x.jsonl") if i.article]
    assert langs == ["ar", "en", "fr"]


def test_html_lang_attribute_is_read() -> None:
    page = f"<html lang='ar'><head><title>خبر</title></head><body><article><p>{AR_TEXT}</p><p>{AR_TEXT}</p></article></body></html>"
    item = parse_html(page, "page.html")
    assert item.article is not None, item.error
    assert item.article.language == "ar"


def test_language_is_stored_and_an_old_store_gains_the_column(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE articles (id VARCHAR(200) PRIMARY KEY, url TEXT, source VARCHAR(200), title TEXT, "
        "published DATE, text TEXT NOT NULL, hash VARCHAR(64) NOT NULL UNIQUE, ingested_at VARCHAR(32) NOT NULL, origin TEXT)"
    )
    con.execute(
        "INSERT INTO articles VALUES ('old', NULL, NULL, NULL, NULL, 'old text', 'h', '2024-01-01', '')"
    )
    con.commit()
    con.close()
    store = EventStore(f"sqlite:///{db}")
    assert store.article("old")["language"] is None
    feed = tmp_path / "feed.xml"
    feed.write_bytes(RSS_AR)
    report = ingest_paths(store, [feed])
    assert report.articles_added == 1
    rows = sqlite3.connect(db).execute("SELECT language FROM articles WHERE id != 'old'").fetchall()
    assert rows == [("ar",)]


def test_report_counts_per_language_and_names_unread_languages(tmp_path: Path) -> None:
    src = tmp_path / "mixed.jsonl"
    rows = [
        {"id": "ar1", "text": AR_TEXT, "publication_date": "2024-08-13"},
        {"id": "fr1", "text": "Des tirs ont visé la ville de Deir ez-Zor hier soir.", "language": "fr"},
        {"id": "fr2", "text": "Une manifestation a eu lieu à Hajin mardi.", "language": "fr-FR"},
    ]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    store = EventStore(f"sqlite:///{tmp_path / 's.db'}")
    report = ingest_paths(store, [src])
    assert report.by_language["fr"] == {"articles": 2, "events": 0}
    assert report.by_language["ar"]["articles"] == 1
    assert report.by_language["ar"]["events"] >= 1  # the Arabic shelling is read, not dropped
    assert report.unread_languages == {"fr": 2}
    assert "2 article(s) in 'fr': no extractor for this language, no events read" in report.language_lines()


def test_reports_merge_their_language_counts() -> None:
    a, b = IngestReport(), IngestReport()
    a.count_language("ar", 2)
    b.count_language("ar", 1)
    b.count_language(None, 0)
    a.merge(b)
    assert a.by_language == {"ar": {"articles": 2, "events": 3}, "unknown": {"articles": 1, "events": 0}}
