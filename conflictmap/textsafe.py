"""Untrusted text (anything that came from a feed) made safe for the places that render markup.

Dash children render strings as text already; the danger is Plotly, whose hover and annotation
text accept a subset of HTML (links included). Everything from outside passes through
``plain`` before it is put in a figure, and links through ``safe_url`` before they are rendered.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urlsplit

import nh3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(value: object, limit: int | None = None) -> str:
    """Text with every tag removed and no character Plotly could read as markup."""
    if value is None:
        return ""
    return _plain(str(value), limit)


@lru_cache(maxsize=65536)
def _plain(value: str, limit: int | None) -> str:
    # Cached: hover texts repeat the same place and actor names thousands of times.
    text = nh3.clean(value, tags=set(), strip_comments=True)
    text = html.unescape(text)
    # After unescaping, "&lt;script&gt;" is "<script>" again: neutralise the brackets themselves.
    text = text.replace("<", "‹").replace(">", "›")
    text = _CONTROL.sub("", text)
    text = " ".join(text.split())
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


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
