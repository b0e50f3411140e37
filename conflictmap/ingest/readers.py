"""Read articles from feeds, JSON Lines, folders of text/HTML files, or URLs.

Everything here is untrusted input: titles and bodies come out as plain text (markup removed with
nh3, entities unescaped, repeated until stable so an escaped ``&lt;script&gt;`` cannot turn back
into a tag), links only when they are http/https. One bad item yields an ``IngestItem`` with an
``error`` naming the file and line/item, and iteration goes on; a caller reports errors and keeps
the articles. Network access happens only through the ``fetch`` callable (``fetch.fetch_url`` by
default), so parsing stays testable offline.

Which files are opened, how many bytes are read and in which encoding is ``ingest_files``'
business; what an article may be (``IngestLimits``: its size, its publication date inside the
accepted window, text that is valid Unicode) is checked here, once, for every kind of input in
``iter_articles``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import trafilatura

from conflictmap.config import IngestLimits
from conflictmap.ingest.fetch import FetchError, fetch_url
from conflictmap.ingest.files import (
    ARABIC_LEGACY,
    Entry,
    Refused,
    count_lines,
    declared_encoding,
    decode_document,
    iter_text_lines,
    open_regular,
    read_capped,
    walk_folder,
)
from conflictmap.language import article_language
from conflictmap.models import Article, content_hash
from conflictmap.textsafe import safe_url, to_plain

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
FOLDER_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | FEED_SUFFIXES

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DATE_LINE = re.compile(r"^\s*(?:date\s*:?\s*)?(\d{4}-\d{2}-\d{2})(?:[T ][\d:.+\-Z]*)?\s*$", re.I)
_FEED_SNIFF = re.compile(rb"<(?:[a-zA-Z0-9_]+:)?(rss|feed|RDF)\b")


@dataclass(frozen=True)
class IngestItem:
    """One result of ingestion: an article, or an error saying which input was bad and why."""

    article: Article | None  # None when the item was malformed
    origin: str  # "file.jsonl:12", "feed.xml item 3", "folder/a.html"
    error: str | None = None  # what was wrong, naming the file/line/item


# ----------------------------------------------------------------------------- text helpers


def derive_id(url: str | None, text: str) -> str:
    """A stable article id when the input has none: from the URL, else from the normalised text."""
    if url:
        return "u-" + hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]
    return "h-" + content_hash(text)[:16]


def parse_date(value: Any) -> date | None:
    """ISO date/datetime or RFC 822 (feeds) -> the date as written (no shift to UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    m = _ISO_DATE.match(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


def looks_like_feed(data: bytes) -> bool:
    """A feed names its root early: <rss>, <feed> (Atom) or <rdf:RDF> in the first few KB."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] != b"<":
        return False
    m = _FEED_SNIFF.search(head)
    return m is not None and b"<html" not in head[: m.start()].lower()


# ----------------------------------------------------------------------------- parsers


def _article(
    id_: str,
    url: str | None,
    source: Any,
    title: Any,
    published: date | None,
    text: str,
    language: Any = None,
) -> Article:
    """An article with its language: the one the source declares (feed, row, ``<html lang>``)
    when it is a readable tag, else the majority script of title and text (which extractor reads
    it depends on this, so it is never left unset when there is text)."""
    title_text = to_plain(title, one_line=True) or None
    return Article(
        id=id_,
        url=url,
        source=to_plain(source, one_line=True) or None,
        title=title_text,
        published=published,
        text=text,
        language=article_language(language, f"{title_text or ''}\n{text}"),
    )


def parse_feed(data: bytes, origin: str) -> Iterator[IngestItem]:
    """RSS 2.0 / Atom / RDF bytes -> one item per entry; unparseable XML -> an error item.

    The bytes must be valid in their encoding (``decode_document``) before feedparser sees them:
    left to itself it falls back to another encoding and the whole feed comes out garbled.
    """
    try:
        text, encoding = decode_document(data, origin, declared_ok=True)
    except Refused as exc:
        yield IngestItem(None, origin, str(exc))
        return
    if encoding in ARABIC_LEGACY and encoding != declared_encoding(data):
        data = text.encode("utf-8")  # detected, not declared: hand feedparser UTF-8 it cannot misread
    parsed = feedparser.parse(data)
    entries = parsed.entries
    if parsed.bozo and not isinstance(parsed.bozo_exception, feedparser.CharacterEncodingOverride):
        bozo = parsed.bozo_exception
        where = f" (line {bozo.getLineNumber()})" if hasattr(bozo, "getLineNumber") else ""
        recovered = f"; {len(entries)} entries recovered by the lenient parser" if entries else ""
        yield IngestItem(None, origin, f"{origin}: not a well-formed feed{where}: {bozo}{recovered}")
        if not entries:
            return
    feed_title = parsed.feed.get("title")
    feed_language = parsed.feed.get("language")  # RSS <language>, Atom xml:lang
    for n, entry in enumerate(entries, 1):
        where = f"{origin} item {n}"
        try:
            yield _feed_entry(entry, feed_title, where, feed_language)
        except Exception as exc:  # one odd entry must not stop the feed
            log.exception("feed entry %s", where)
            yield IngestItem(None, where, f"{where}: cannot read entry ({exc})")


def _entry_language(entry: Any, feed_language: Any) -> Any:
    """The entry's own xml:lang (content, summary or title), else the feed's ``<language>``."""
    details = [*(entry.get("content") or []), entry.get("summary_detail"), entry.get("title_detail")]
    for detail in details:
        if isinstance(detail, dict) and detail.get("language"):
            return detail["language"]
    return entry.get("language") or feed_language


def _feed_entry(entry: Any, feed_title: Any, where: str, feed_language: Any = None) -> IngestItem:
    bodies = [c.get("value", "") for c in entry.get("content") or []]
    raw = max(bodies, key=len) if bodies and max(bodies, key=len).strip() else entry.get("summary", "")
    text = to_plain(raw)
    if not text.strip():
        return IngestItem(None, where, f"{where}: no text (neither content nor summary)")
    links = [entry.get("link")] + [lk.get("href") for lk in entry.get("links") or []]
    url = next((u for u in (safe_url(x) for x in links) if u), None)
    published = None
    for key in ("published", "updated", "created"):
        published = parse_date(entry.get(key))
        if published:
            break
        struct = entry.get(f"{key}_parsed")
        if struct:
            published = date(struct.tm_year, struct.tm_mon, struct.tm_mday)
            break
    source = feed_title or (urlsplit(url).hostname if url else None)
    ident = url or (str(entry.get("id")) if entry.get("id") else None)
    language = _entry_language(entry, feed_language)
    return IngestItem(
        _article(derive_id(ident, text), url, source, entry.get("title"), published, text, language), where
    )


def parse_jsonl(lines: Iterable[str], origin: str) -> Iterator[IngestItem]:
    """One JSON object a line (id, url, source, title, publication_date, text); blank lines skipped."""
    for n, line in enumerate(lines, 1):
        if line.strip():
            yield parse_jsonl_line(line, f"{origin}:{n}")


def parse_jsonl_line(line: str, where: str) -> IngestItem:
    """One JSON Lines row -> an item; whatever is wrong with it stays with this line."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return IngestItem(None, where, f"{where}: not JSON ({exc.msg}, column {exc.colno})")
    except RecursionError:
        return IngestItem(None, where, f"{where}: JSON nested too deeply to read; not read")
    if not isinstance(row, dict):
        return IngestItem(None, where, f"{where}: expected a JSON object, got {type(row).__name__}")
    try:
        return article_from_row(row, where)
    except Exception as exc:  # one odd row must not stop the file
        log.exception("JSON line %s", where)
        return IngestItem(None, where, f"{where}: cannot read ({type(exc).__name__}: {exc})")


def article_from_row(row: dict[str, Any], where: str) -> IngestItem:
    """One decoded JSON row -> an item: the one way a row becomes an ``Article`` (ingest,
    ``conflictmap extract`` and ``conflictmap evaluate`` all read rows here)."""
    for key in ("text", "title", "source", "url", "id", "publication_date", "language"):
        problem = _not_unicode(row.get(key))
        if problem:
            return IngestItem(None, where, f"{where}: '{key}' {problem}; not read")
    raw_text = row.get("text")
    if not isinstance(raw_text, str) or not raw_text.strip():
        return IngestItem(None, where, f"{where}: no 'text'")
    text = to_plain(raw_text)
    url = safe_url(row.get("url"))
    raw_date = row.get("publication_date")
    published = parse_date(raw_date)
    if raw_date and published is None:
        log.warning("%s: unreadable publication_date %r, kept as unknown", where, raw_date)
    raw_id = row.get("id")
    id_ = str(raw_id).strip() if raw_id not in (None, "") else derive_id(url, text)
    art = _article(id_, url, row.get("source"), row.get("title"), published, text, row.get("language"))
    return IngestItem(art, where)


def _not_unicode(value: Any) -> str | None:
    """Why a string cannot be stored as text (a lone surrogate such as JSON's "\\ud800"), or None."""
    if not isinstance(value, str):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds a lone surrogate (U+{ord(value[exc.start]):04X}, not a character) at position {exc.start + 1}"
    return None


def parse_text_file(raw: str, origin: str, name: str) -> IngestItem:
    """.txt/.md: first non-empty line is the title; a leading ISO date line or a date in the name."""
    text = to_plain(raw)
    title = None
    published = None
    for line in text.split("\n"):
        if not line.strip():
            continue
        m = _DATE_LINE.match(line)
        if m and published is None and title is None:
            published = parse_date(m[1])
            continue
        title = line.strip().lstrip("#").strip()
        break
    if not title:
        return IngestItem(None, origin, f"{origin}: empty file")
    if published is None:
        m = _ISO_DATE.search(name)
        published = parse_date(m[0]) if m else None
    return IngestItem(_article(derive_id(None, text), None, None, title, published, text), origin)


_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)", re.I)


def _html_lang(page: str) -> str | None:
    """The ``lang`` attribute of the page's ``<html>`` element (read from the head of the page)."""
    m = _HTML_LANG.search(page[:5000])
    return m.group(1) if m else None


def parse_html(data: bytes | str, origin: str, url: str | None = None) -> IngestItem:
    """An HTML page -> main text via trafilatura.

    Only its extractor runs, on bytes already in hand: trafilatura's own downloader (which can fall
    back to unverified TLS) is never called, and extraction makes no request.
    """
    if isinstance(data, bytes):
        try:
            data, _encoding = decode_document(data, origin, declared_ok=True)
        except Refused as exc:
            return IngestItem(None, origin, str(exc))
    doc = trafilatura.bare_extraction(
        data,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = to_plain(getattr(doc, "text", None)) if doc is not None else ""
    if not text.strip():
        return IngestItem(None, origin, f"{origin}: no article text found in the HTML")
    page_url = safe_url(url) or safe_url(getattr(doc, "url", None))
    source = getattr(doc, "sitename", None) or (urlsplit(page_url).hostname if page_url else None)
    published = parse_date(getattr(doc, "date", None))
    language = _html_lang(data) or getattr(doc, "language", None)
    art = _article(
        derive_id(page_url, text), page_url, source, getattr(doc, "title", None), published, text, language
    )
    return IngestItem(art, origin)


# ----------------------------------------------------------------------------- dispatch


def _iter_file(
    path: Path, origin: str, limits: IngestLimits, identity: tuple[int, int] | None = None
) -> Iterator[IngestItem]:
    """One file's items. JSON Lines are streamed line by line; other files are read whole, up to
    ``limits.max_file_bytes``."""
    try:
        fh = open_regular(path, origin, identity)
    except Refused as exc:
        yield IngestItem(None, origin, str(exc))
        return
    with fh:
        suffix = path.suffix.lower()
        try:
            if suffix in JSONL_SUFFIXES:
                for line in iter_text_lines(fh, origin, limits.max_line_bytes):
                    if line.error:
                        yield IngestItem(None, f"{origin}:{line.number}", line.error)
                    elif line.text is not None and line.text.strip():
                        yield parse_jsonl_line(line.text, f"{origin}:{line.number}")
                return
            data = read_capped(fh, limits.max_file_bytes, origin)
            if suffix in FEED_SUFFIXES or looks_like_feed(data):
                yield from parse_feed(data, origin)
            elif suffix in HTML_SUFFIXES:
                yield parse_html(data, origin)
            else:
                text, _encoding = decode_document(data, origin)
                yield parse_text_file(text, origin, path.name)
        except Refused as exc:
            yield IngestItem(None, origin, str(exc))
        except Exception as exc:  # a parser bug on one file must not stop a folder
            log.exception("ingest %s", origin)
            yield IngestItem(None, origin, f"{origin}: cannot parse ({type(exc).__name__}: {exc})")


def _folder_entries(folder: Path) -> list[Entry]:
    return walk_folder(folder, FOLDER_SUFFIXES, folder.name)


def _is_url(path: str | Path) -> bool:
    return isinstance(path, str) and path.strip().lower().startswith(("http://", "https://"))


def iter_articles(
    path: str | Path,
    fetch: Callable[[str], bytes] | None = None,
    limits: IngestLimits | None = None,
    today: date | None = None,
) -> Iterator[IngestItem]:
    """Yield every article (or error) found at ``path``: a folder, a file, or an http(s) URL.

    Every article passes ``check_article`` (size, dates, valid text) on the way out.
    """
    limits = limits or IngestLimits()
    window = limits.window(today)
    for item in _raw_items(path, fetch, limits):
        yield check_article(item, limits, window)


def check_article(item: IngestItem, limits: IngestLimits, window: tuple[date, date]) -> IngestItem:
    """An article too long, dated outside ``window`` or holding text that is not valid Unicode
    becomes an error item saying so; anything else passes unchanged."""
    art = item.article
    if art is None:
        return item
    where = item.origin
    for name in ("text", "title", "source", "url", "id"):
        problem = _not_unicode(getattr(art, name))
        if problem:
            return replace(item, article=None, error=f"{where}: its {name} {problem}; not stored")
    if len(art.text) > limits.max_article_chars:
        return replace(
            item,
            article=None,
            error=(
                f"{where}: article text is {len(art.text):,} characters, more than the limit of "
                f"{limits.max_article_chars:,} (CONFLICTMAP_INGEST_MAX_ARTICLE_CHARS); not stored"
            ),
        )
    lo, hi = window
    if art.published is not None and not lo <= art.published <= hi:
        return replace(
            item,
            article=None,
            error=(
                f"{where}: publication date {art.published.isoformat()} is outside the accepted "
                f"{lo.isoformat()} to {hi.isoformat()} (CONFLICTMAP_INGEST_DATE_MIN/MAX); not stored"
            ),
        )
    return item


def _raw_items(
    path: str | Path, fetch: Callable[[str], bytes] | None, limits: IngestLimits
) -> Iterator[IngestItem]:
    if _is_url(path):
        url = str(path).strip()
        try:
            data = (fetch or functools.partial(fetch_url, max_bytes=limits.max_file_bytes))(url)
        except FetchError as exc:
            yield IngestItem(None, url, str(exc))
            return
        except Exception as exc:
            yield IngestItem(None, url, f"{url}: fetch failed ({type(exc).__name__}: {exc})")
            return
        if looks_like_feed(data):
            yield from parse_feed(data, url)
        else:
            yield parse_html(data, url, url=url)
        return
    p = Path(path)
    if p.is_dir():
        for entry in _folder_entries(p):
            if entry.problem:
                yield IngestItem(None, entry.origin, f"{entry.origin}: {entry.problem}")
            else:
                yield from _iter_file(entry.path, entry.origin, limits, entry.identity)
    elif p.exists() or p.is_symlink():
        yield from _iter_file(p, p.name, limits)
    else:
        yield IngestItem(None, str(path), f"{path}: no such file or folder")


def _count_file(path: Path, limits: IngestLimits) -> int:
    suffix = path.suffix.lower()
    with open_regular(path, path.name) as fh:
        if suffix in JSONL_SUFFIXES:
            return count_lines(fh)
        if suffix in TEXT_SUFFIXES | HTML_SUFFIXES:
            return 1
        try:
            data = read_capped(fh, limits.max_file_bytes, path.name)
        except Refused:
            return 1
    if suffix in FEED_SUFFIXES or looks_like_feed(data):
        return max(1, len(re.findall(rb"<(?:[a-zA-Z0-9_]+:)?(?:item|entry)[\s>]", data)))
    return 1


def count_items(path: str | Path, limits: IngestLimits | None = None) -> int | None:
    """Roughly how many items ``iter_articles`` will yield, for a progress bar; None if unknown."""
    if _is_url(path):
        return None
    limits = limits or IngestLimits()
    p = Path(path)
    try:
        if p.is_dir():
            total = 0
            for e in _folder_entries(p):
                try:
                    total += 1 if e.problem else _count_file(e.path, limits)
                except (OSError, Refused):
                    total += 1
            return total
        if p.exists():
            return _count_file(p, limits)
    except (OSError, Refused):
        return None
    return None
