"""Which language an article is in: a declared tag normalised, else the majority script.

Kept free of heavy imports: ingest calls it for every article, and the extractor calls it to
route an article whose language was never recorded (rows stored before the column existed).
"""

from __future__ import annotations

import re

# Languages the project has an extractor for. Anything else is stored and reported, not read.
EXTRACTOR_LANGUAGES: frozenset[str] = frozenset({"en", "ar"})

_ARABIC_LETTER = re.compile(
    r"[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"
)
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$")
# A few long names feeds write instead of a tag.
_NAMES = {"arabic": "ar", "english": "en", "french": "fr", "kurdish": "ku", "turkish": "tr", "german": "de"}


def normalise_language(tag: object) -> str | None:
    """'ar-SY', 'AR', 'ar_SY', 'Arabic' -> 'ar'; anything unreadable -> None (then the script decides)."""
    if not isinstance(tag, str) or not tag.strip():
        return None
    name = _NAMES.get(tag.strip().lower())
    if name:
        return name
    m = _TAG.match(tag)
    return m.group(1).lower() if m else None


def script_language(text: str | None) -> str | None:
    """'ar' when Arabic-script letters outnumber Latin ones, 'en' when Latin letters do, None when
    the text has no letters of either. Mixed pages (an Arabic report quoting English names, an
    English page with an Arabic caption) go by the majority of letters."""
    if not text:
        return None
    sample = text[:20000]  # the head of a page says which language it is in; no need to count a book
    arabic = len(_ARABIC_LETTER.findall(sample))
    latin = len(_LATIN_LETTER.findall(sample))
    if arabic == 0 and latin == 0:
        return None
    return "ar" if arabic > latin else "en"


def article_language(declared: object, text: str | None) -> str | None:
    """The language to record for an article: the declared one when readable, else the script's."""
    return normalise_language(declared) or script_language(text)
