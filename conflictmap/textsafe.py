"""Untrusted text (anything that came from a feed) made safe for the places that render markup.

Dash children render strings as text already; the danger is Plotly, whose hover and annotation
text accept a subset of HTML (links included). Everything from outside passes through
``plain`` before it is put in a figure, and links through ``safe_url`` before they are rendered.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import nh3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(value: object, limit: int | None = None) -> str:
    """Text with every tag removed and no character Plotly could read as markup: ``to_plain`` on
    one line, then the brackets themselves neutralised and control characters dropped."""
    if value is None:
        return ""
    return _plain(str(value), limit)


@lru_cache(maxsize=65536)
def _plain(value: str, limit: int | None) -> str:
    # Cached: hover texts repeat the same place and actor names thousands of times.
    text = to_plain(value, one_line=True)
    # "a < b" stays text, but Plotly must never see a bracket it could read as a tag.
    text = text.replace("<", "‹").replace(">", "›")
    text = _CONTROL.sub("", text)
    text = " ".join(text.split())
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


_TAGLIKE = re.compile(r"<[a-zA-Z!/?]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
_BLOCK_TAG = re.compile(
    r"<\s*/?\s*(p|br|div|li|ul|ol|h[1-6]|tr|table|blockquote|section|article)\b[^>]*>", re.I
)


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


def safe_url(value: object) -> str | None:
    """An http(s) address, or None: javascript:, data: and other schemes are never linked."""
    if not value:
        return None
    url = str(value).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Quotes, brackets or whitespace in an address are either broken or an injection attempt.
    if any(c in url for c in "\"'<> \n"):
        return None
    return url


def json_depth(value: object, limit: int) -> int:
    """Nesting depth of a parsed JSON value (scalars 0), without recursion; stops counting past
    ``limit``. Untrusted JSON (a zones file, a callback body) is checked with it before any code
    that recurses walks it."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            deepest = max(deepest, d + 1)
            if deepest > limit:
                return deepest
            stack.extend((x, d + 1) for x in v)
    return deepest
