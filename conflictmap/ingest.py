"""Read articles from feeds, JSON Lines, folders of text/HTML files, or URLs.

Everything here is untrusted input: titles and bodies come out as plain text (markup removed with
nh3, entities unescaped, repeated until stable so an escaped ``&lt;script&gt;`` cannot turn back
into a tag), links only when they are http/https. One bad item yields an ``IngestItem`` with an
``error`` naming the file and line/item, and iteration goes on; a caller reports errors and keeps
the articles. Network access happens only through the ``fetch`` callable (``fetch.fetch_url`` by
default), so parsing stays testable offline.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import nh3
import trafilatura

from conflictmap.fetch import FetchError, fetch_url
from conflictmap.models import Article, content_hash
from conflictmap.textsafe import safe_url

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
FOLDER_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | FEED_SUFFIXES

_TAGLIKE = re.compile(r"<[a-zA-Z!/?]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
_BLOCK_TAG = re.compile(
    r"<\s*/?\s*(p|br|div|li|ul|ol|h[1-6]|tr|table|blockquote|section|article)\b[^>]*>", re.I
)
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


def to_plain(value: Any, *, one_line: bool = False) -> str:
    """Untrusted markup or text -> plain text: tags and script/style content removed, entities decoded.

    Block tags become line breaks first so paragraphs do not run together (the extractor splits
    sentences on them). Text without anything tag- or entity-like is returned exactly as it came
    (unless ``one_line``), so a plain-text article keeps its characters and evidence offsets.
    """
    text = "" if value is None else str(value)
    original = text
    for _ in range(5):  # unescaping can reveal new markup (&lt;script&gt;): clean until stable
        if not _TAGLIKE.search(text):
            break
        cleaned = _BLOCK_TAG.sub("\n", text)
        cleaned = html.unescape(nh3.clean(cleaned, tags=set(), clean_content_tags={"script", "style"}))
        if cleaned == text:
            break
        text = cleaned
    else:
        if _TAGLIKE.search(text):  # pathological nesting of escapes: defang what is left
            text = text.replace("<", "\u2039").replace(">", "\u203a")
    if one_line:
        return " ".join(text.split())
    if text == original:
        return text
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


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


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1256", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")  # pragma: no cover - latin-1 never fails


def looks_like_feed(data: bytes) -> bool:
    """A feed names its root early: <rss>, <feed> (Atom) or <rdf:RDF> in the first few KB."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] != b"<":
        return False
    m = _FEED_SNIFF.search(head)
    return bool(m) and b"<html" not in head[: m.start()].lower()


# ----------------------------------------------------------------------------- parsers


def _article(
    id_: str, url: str | None, source: Any, title: Any, published: date | None, text: str
) -> Article:
    return Article(
        id=id_,
        url=url,
        source=to_plain(source, one_line=True) or None,
        title=to_plain(title, one_line=True) or None,
        published=published,
        text=text,
    )


def parse_feed(data: bytes, origin: str) -> Iterator[IngestItem]:
    """RSS 2.0 / Atom / RDF bytes -> one item per entry; unparseable XML -> an error item."""
    parsed = feedparser.parse(data)
    entries = parsed.entries
    if parsed.bozo and not isinstance(parsed.bozo_exception, feedparser.CharacterEncodingOverride):
        exc = parsed.bozo_exception
        where = f" (line {exc.getLineNumber()})" if hasattr(exc, "getLineNumber") else ""
        recovered = f"; {len(entries)} entries recovered by the lenient parser" if entries else ""
        yield IngestItem(None, origin, f"{origin}: not a well-formed feed{where}: {exc}{recovered}")
        if not entries:
            return
    feed_title = parsed.feed.get("title")
    for n, entry in enumerate(entries, 1):
        where = f"{origin} item {n}"
        try:
            yield _feed_entry(entry, feed_title, where)
        except Exception as exc:  # one odd entry must not stop the feed
            log.exception("feed entry %s", where)
            yield IngestItem(None, where, f"{where}: cannot read entry ({exc})")


def _feed_entry(entry: Any, feed_title: Any, where: str) -> IngestItem:
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
    key = url or (str(entry.get("id")) if entry.get("id") else None)
    return IngestItem(_article(derive_id(key, text), url, source, entry.get("title"), published, text), where)


def parse_jsonl(lines: Iterator[str] | list[str], origin: str) -> Iterator[IngestItem]:
    """One JSON object a line (id, url, source, title, publication_date, text); blank lines skipped."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{origin}:{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield IngestItem(None, where, f"{where}: not JSON ({exc.msg}, column {exc.colno})")
            continue
        if not isinstance(row, dict):
            yield IngestItem(None, where, f"{where}: expected a JSON object, got {type(row).__name__}")
            continue
        raw_text = row.get("text")
        if not isinstance(raw_text, str) or not raw_text.strip():
            yield IngestItem(None, where, f"{where}: no 'text'")
            continue
        text = to_plain(raw_text)
        url = safe_url(row.get("url"))
        raw_date = row.get("publication_date")
        published = parse_date(raw_date)
        if raw_date and published is None:
            log.warning("%s: unreadable publication_date %r, kept as unknown", where, raw_date)
        raw_id = row.get("id")
        id_ = str(raw_id).strip() if raw_id not in (None, "") else derive_id(url, text)
        yield IngestItem(_article(id_, url, row.get("source"), row.get("title"), published, text), where)


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


def parse_html(data: bytes | str, origin: str, url: str | None = None) -> IngestItem:
    """An HTML page -> main text via trafilatura.

    Only its extractor runs, on bytes already in hand: trafilatura's own downloader (which can fall
    back to unverified TLS) is never called, and extraction makes no request.
    """
    doc = trafilatura.bare_extraction(
        data if isinstance(data, str) else _decode(data),
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
    art = _article(derive_id(page_url, text), page_url, source, getattr(doc, "title", None), published, text)
    return IngestItem(art, origin)


# ----------------------------------------------------------------------------- dispatch


def _iter_file(path: Path, origin: str) -> Iterator[IngestItem]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield IngestItem(None, origin, f"{origin}: cannot read ({exc.strerror or exc})")
        return
    suffix = path.suffix.lower()
    try:
        if suffix in JSONL_SUFFIXES:
            yield from parse_jsonl(_decode(data).splitlines(), origin)
        elif suffix in FEED_SUFFIXES or looks_like_feed(data):
            yield from parse_feed(data, origin)
        elif suffix in HTML_SUFFIXES:
            yield parse_html(data, origin)
        else:
            yield parse_text_file(_decode(data), origin, path.name)
    except Exception as exc:  # a parser bug on one file must not stop a folder
        log.exception("ingest %s", origin)
        yield IngestItem(None, origin, f"{origin}: cannot parse ({type(exc).__name__}: {exc})")


def _folder_files(folder: Path) -> list[Path]:
    """Readable article files under ``folder``, sorted, hidden files and folders skipped."""
    found = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES:
            found.append(p)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _is_url(path: str | Path) -> bool:
    return isinstance(path, str) and path.strip().lower().startswith(("http://", "https://"))


def iter_articles(path: str | Path, fetch: Callable[[str], bytes] | None = None) -> Iterator[IngestItem]:
    """Yield every article (or error) found at ``path``: a folder, a file, or an http(s) URL."""
    if _is_url(path):
        url = str(path).strip()
        try:
            data = (fetch or fetch_url)(url)
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
        for f in _folder_files(p):
            yield from _iter_file(f, (Path(p.name) / f.relative_to(p)).as_posix())
    elif p.exists():
        yield from _iter_file(p, p.name)
    else:
        yield IngestItem(None, str(path), f"{path}: no such file or folder")


def _count_file(path: Path) -> int:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    if suffix in FEED_SUFFIXES or (
        suffix not in TEXT_SUFFIXES | HTML_SUFFIXES and looks_like_feed(path.read_bytes())
    ):
        data = path.read_bytes()
        return max(1, len(re.findall(rb"<(?:[a-zA-Z0-9_]+:)?(?:item|entry)[\s>]", data)))
    return 1


def count_items(path: str | Path) -> int | None:
    """Roughly how many items ``iter_articles`` will yield, for a progress bar; None if unknown."""
    if _is_url(path):
        return None
    p = Path(path)
    try:
        if p.is_dir():
            return sum(_count_file(f) for f in _folder_files(p))
        if p.is_file():
            return _count_file(p)
    except OSError:
        return None
    return None
