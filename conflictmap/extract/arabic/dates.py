"""Arabic date phrases resolved against the publication date.

Reports date events relative to the day they appear ("أمس الأحد", "فجر اليوم", "مساء الخميس"),
by weekday, by "الأسبوع الماضي", or by day and month in either calendar in use in Syria (the
Syriac month names of the Levant, آب / تشرين الأول, and the Latin ones, أغسطس / أكتوبر, often
both: "آب/أغسطس"), with Arabic-Indic or Western digits (folded before this runs).

Precision follows EVENTS.md: a day; a week for "last week" (the middle of it); a month for a
month with no day (the 15th).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from conflictmap.extract.arabic.tables import lexicon, words
from conflictmap.extract.arabic.text import WORD_END, WORD_START


@dataclass(frozen=True)
class DateHit:
    """An Arabic date phrase in a sentence and the day it stands for."""

    start: int  # offsets in the folded sentence
    end: int
    day: date | None  # None: a phrase that cannot be placed (no publication date)
    precision: str  # day / week / month / year
    kind: str  # calendar / relative / weekday / week / month / year


def _alts(words: list[str] | dict) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    lex = lexicon()
    mon = _alts(lex["months"])
    wd = "|".join(w[2:] for w in sorted(lex["weekdays"], key=len, reverse=True))  # without ال
    parts = _alts(lex["day_parts"])
    month_pair = rf"(?:شهر\s+)?(?P<m1>{mon})(?:\s*[/(\-–]\s*(?:شهر\s+)?(?P<m2>{mon})\s*\)?)?"
    year = r"(?:\s*[,،]?\s*(?:من\s+)?(?:عام|العام|سنه|لعام)?\s*(?P<y>(?:19|20)\d{2}))?"
    return {
        "numeric": re.compile(
            r"(?<![\d/])(?P<d>\d{1,2})\s*[/\-.]\s*(?P<m>\d{1,2})\s*[/\-.]\s*(?P<y>(?:19|20)\d{2})(?![\d/])"
        ),
        "iso": re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
        "calendar": re.compile(
            rf"{WORD_START}(?:[وف]?(?:ب|ل|في\s+)?(?:ال)?)(?P<d>\d{{1,2}})\s*(?:من\s+)?{month_pair}{year}{WORD_END}"
        ),
        "this_month": re.compile(
            rf"{WORD_START}(?:ال)?(?P<d>\d{{1,2}})\s+من\s+(?:الشهر|شهر)\s+(?P<which>الجاري|الحالي|الماضي|الفائت|المنصرم){WORD_END}"
        ),
        "month_year": re.compile(
            rf"{WORD_START}[وف]?(?:ب|ل|في\s+|خلال\s+)?(?:شهر\s+)?(?P<m1>{mon})(?:\s*[/(\-–]\s*(?P<m2>{mon})\s*\)?)?\s*(?:من\s+)?(?:عام|العام)?\s*(?P<y>(?:19|20)\d{{2}}){WORD_END}"
        ),
        "month_only": re.compile(
            rf"{WORD_START}[وف]?(?:ب|ل|في\s+|خلال\s+|مطلع\s+|منتصف\s+|اواخر\s+|اوائل\s+)?شهر\s+(?P<m1>{mon})(?:\s*[/(\-–]\s*(?P<m2>{mon})\s*\)?)?{WORD_END}"
        ),
        "year": re.compile(
            rf"{WORD_START}(?:[وف]?(?:ب|ل)?(?:عام|العام|سنه)\s+|في\s+|منذ\s+)(?P<y>(?:19|20)\d{{2}}){WORD_END}"
        ),
        "relative": re.compile(
            rf"{WORD_START}[وف]?(?:ب|ل|منذ\s+)?(?:{_alts(lex['relative_days'])}){WORD_END}"
        ),
        "week": re.compile(
            rf"{WORD_START}[وف]?(?:ب|ل|خلال\s+|في\s+)?(?:{_alts(lex['relative_weeks'])}){WORD_END}"
        ),
        "rel_month": re.compile(
            rf"{WORD_START}[وف]?(?:ب|ل|خلال\s+|في\s+)?(?:{_alts(lex['relative_months'])}){WORD_END}"
        ),
        # "ليل الخميس – الجمعة": the night that ends on the second day
        "night_pair": re.compile(
            rf"{WORD_START}[وف]?(?:ب|ل)?(?:ال)?(?:ليله|ليل)\s+(?:ال)(?P<wd1>{wd})\s*[-–—/]\s*(?:ال)(?P<wd2>{wd}){WORD_END}"
        ),
        "weekday": re.compile(
            rf"{WORD_START}[وف]?(?:ب|ل)?(?:(?:ال)?(?:{parts})\s+)?(?:(?:ال)?يوم\s+)?(?:ال|(?<=ل)ل)(?P<wd>{wd})(?P<past>\s+(?:الماضي|الفائت|المنصرم))?{WORD_END}"
        ),
    }


def _month(token: str | None) -> int | None:
    if not token:
        return None
    return lexicon()["months"].get(re.sub(r"\s+", " ", token))


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _year_for(month: int, day: int, pub: date | None) -> int | None:
    """A day and month with no year: the publication's year, or the one before when the day
    would fall more than two days after publication (a December event reported in January)."""
    if pub is None:
        return None
    candidate = _safe(pub.year, month, min(day, 28) if month == 2 and day == 29 else day)
    if candidate and candidate > pub + timedelta(days=2):
        return pub.year - 1
    return pub.year


def find_dates(text: str, pub: date | None) -> list[DateHit]:
    """Date phrases of one folded sentence, non-overlapping, most specific first at each place."""
    pats = _patterns()
    lex = lexicon()
    hits: list[DateHit] = []
    for key in ("numeric", "iso"):
        for m in pats[key].finditer(text):
            d = _safe(int(m["y"]), int(m["m"]), int(m["d"]))
            if d:
                hits.append(DateHit(m.start(), m.end(), d, "day", "calendar"))
    for m in pats["calendar"].finditer(text):
        month, day = _month(m["m1"]) or _month(m["m2"]), int(m["d"])
        year = int(m["y"]) if m["y"] else _year_for(month or 1, day, pub)
        d = _safe(year, month, day) if month and year else None
        hits.append(DateHit(m.start(), m.end(), d, "day", "calendar"))
    for m in pats["this_month"].finditer(text):
        if pub is None:
            hits.append(DateHit(m.start(), m.end(), None, "day", "calendar"))
            continue
        first = pub.replace(day=1)
        if m["which"] in ("الماضي", "الفائت", "المنصرم"):
            first = (first - timedelta(days=1)).replace(day=1)
        hits.append(
            DateHit(m.start(), m.end(), _safe(first.year, first.month, int(m["d"])), "day", "calendar")
        )
    for m in pats["month_year"].finditer(text):
        month = _month(m["m1"]) or _month(m["m2"])
        d = _safe(int(m["y"]), month, 15) if month else None
        hits.append(DateHit(m.start(), m.end(), d, "month", "month"))
    for m in pats["month_only"].finditer(text):
        month = _month(m["m1"]) or _month(m["m2"])
        year = _year_for(month, 15, pub) if month else None
        hits.append(
            DateHit(m.start(), m.end(), _safe(year, month, 15) if year and month else None, "month", "month")
        )
    for m in pats["year"].finditer(text):
        hits.append(DateHit(m.start(), m.end(), _safe(int(m["y"]), 7, 1), "year", "year"))
    for m in pats["relative"].finditer(text):
        phrase = _strip(m.group(0))
        shift = _lookup(lex["relative_days"], phrase)
        d = pub + timedelta(days=shift) if pub is not None and shift is not None else None
        hits.append(DateHit(m.start(), m.end(), d, "day", "relative"))
    for m in pats["week"].finditer(text):
        shift = _lookup(lex["relative_weeks"], _strip(m.group(0)))
        d = pub + timedelta(days=shift) if pub is not None and shift is not None else None
        hits.append(DateHit(m.start(), m.end(), d, "week", "week"))
    for m in pats["rel_month"].finditer(text):
        shift = _lookup(lex["relative_months"], _strip(m.group(0)))
        d = None
        if pub is not None and shift is not None:
            first = pub.replace(day=1)
            if shift < 0:
                first = (first - timedelta(days=1)).replace(day=1)
            d = first.replace(day=15)
        hits.append(DateHit(m.start(), m.end(), d, "month", "month"))
    for m in pats["night_pair"].finditer(text):
        second = _weekday(lex["weekdays"]["ال" + m["wd2"]], pub, False)
        hits.append(DateHit(m.start(), m.end(), second, "day", "calendar"))
    for m in pats["weekday"].finditer(text):
        hits.append(
            DateHit(
                m.start(),
                m.end(),
                _weekday(lex["weekdays"]["ال" + m["wd"]], pub, bool(m["past"])),
                "day",
                "weekday",
            )
        )
    duration = words("duration_before", False)
    hits = [
        h
        for h in hits
        if not (h.kind in ("week", "month") and duration.search(text[max(0, h.start - 12) : h.start + 1]))
    ]
    return _non_overlapping(hits)


_RANK = {"calendar": 0, "relative": 1, "weekday": 2, "week": 3, "month": 4, "year": 5}


def _non_overlapping(hits: list[DateHit]) -> list[DateHit]:
    """Keep the most specific phrase where several overlap or stand side by side ("أمس الأحد",
    "الخميس 12 آب": one date told twice)."""
    hits.sort(key=lambda h: (_RANK[h.kind], h.start))
    kept: list[DateHit] = []
    for h in hits:
        if any(h.start < k.end + 2 and k.start < h.end + 2 for k in kept):
            continue
        kept.append(h)
    return sorted(kept, key=lambda h: h.start)


def _strip(phrase: str) -> str:
    phrase = re.sub(r"\s+", " ", phrase.strip())
    return re.sub(
        r"^(?:[وف]?(?:ب|ل)?)(?=ال|امس|اول|قبل|منذ|صباح|مساء|فجر|ظهر|عصر|ليل|هذا|مطلع|خلال)", "", phrase
    )


def _lookup(table: dict[str, int], phrase: str) -> int | None:
    phrase = re.sub(r"^(?:منذ|خلال|في) ", "", phrase)
    if phrase in table:
        return table[phrase]
    for key in sorted(table, key=len, reverse=True):
        if phrase.endswith(key) or key in phrase:
            return table[key]
    return None


def _weekday(wd: int, pub: date | None, past: bool) -> date | None:
    """The latest such weekday on or before publication (the same day counts, as in English
    news convention), or strictly before it with "الماضي"."""
    if pub is None:
        return None
    back = (pub.weekday() - wd) % 7
    if back == 0 and past:
        back = 7
    return pub - timedelta(days=back)
