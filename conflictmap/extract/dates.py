"""Find date phrases in a sentence and resolve each against the publication date.

``dateparser.search_dates`` guesses wrong on news prose, so the phrases are found here with
explicit patterns and each calendar phrase is parsed alone with dateparser (``languages=['en']``,
``RELATIVE_BASE`` = publication date, ``PREFER_DATES_FROM='current_period'``). Weekdays and
relative words follow the news convention of EVENTS.md and are computed directly: "on Monday"
is the latest Monday on or before publication; "overnight"/"last night"/"yesterday" the day before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MON = r"(?:jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|sept?(?:ember|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?)"  # noqa: E501
_WD = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    (
        "range",
        re.compile(
            r"\b(?:from|between)\s+(?:"
            + _MON
            + r"\s+\d{1,2}|\d{1,2}\s+"
            + _MON
            + r")\S*\s+(?:to|and|until|till)\b",
            re.I,
        ),
    ),
    ("mdy", re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?", re.I)),
    ("dmy", re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r"\b(?:,?\s+(\d{4}))?", re.I)),
    (
        "part_rel_month",
        re.compile(
            r"\b(early|mid|late|the end of|end of|the beginning of|beginning of|the start of|start of|the middle of)[\s-]+(last|this|the past|the previous|previous) month\b",  # noqa: E501
            re.I,
        ),
    ),
    ("days_ago", re.compile(r"\b(two|three|four|five|six|\d) days ago\b|\bthe day before yesterday\b", re.I)),
    (
        "relative",
        re.compile(
            r"\b(?:(?:a|one|two|three|four|five|six|\d) days? (?:later|after(?:wards)?|earlier|before)|"
            r"the (?:next|following|previous|preceding) day|the day (?:after|before)(?! yesterday)|"
            r"(?:the|that) same (?:day|night))\b",
            re.I,
        ),
    ),
    (
        "part_month",
        re.compile(
            r"\b(early|mid|late|the end of|end of|the beginning of|beginning of|the start of|start of|the middle of)[\s-]+("  # noqa: E501
            + _MON
            + r")\b(?:\s+(\d{4}))?",
            re.I,
        ),
    ),
    ("month", re.compile(r"\b(?:in|during|since|by|throughout)\s+(" + _MON + r")\b(?:\s+(\d{4}))?", re.I)),
    ("past_weekday", re.compile(r"\b(?:this past|last|previous|past)\s+(" + _WD + r")\b", re.I)),
    ("weekday", re.compile(r"\b(" + _WD + r")(?:\s+(?:morning|evening|night|afternoon))?\b", re.I)),
    ("yesterday", re.compile(r"\b(?:yesterday|last night|overnight|the previous night|on the eve)\b", re.I)),
    (
        "today",
        re.compile(
            r"\b(?:today|tonight|this morning|this evening|earlier today|in the last 24 hours|in the past 24 hours)\b",  # noqa: E501
            re.I,
        ),
    ),
    ("this_week", re.compile(r"\b(?:(?:earlier )?this week|in recent days|over the weekend)\b", re.I)),
    ("last_week", re.compile(r"\b(?:last|past|previous) week\b", re.I)),
    ("this_month", re.compile(r"\b(?:earlier )?this month\b", re.I)),
    ("last_month", re.compile(r"\blast month\b", re.I)),
    # "in 2019", "since 2017": a year alone dates nothing to the day; the sentence is history
    (
        "year",
        re.compile(
            r"\b(?:in|since|during|by|until|throughout|of)\s+(?:early |mid-|late )?(?:19|20)\d{2}\b", re.I
        ),
    ),
]


@dataclass(frozen=True)
class DatePhrase:
    """A date phrase found in a sentence, with the day it stands for.

    ``day`` is None when the phrase dates nothing by itself (a range, a year, a relative phrase
    resolved later by ``relative_to``, or no publication date to count from). ``precision`` is
    day/week/month, or "range"/"year" for phrases that give no day; ``kind`` names the pattern
    that matched ("mdy", "weekday", "relative" ...)."""

    start: int
    end: int
    text: str
    day: date | None
    precision: str  # day / week / month
    kind: str


def _part_day(part: str) -> int:
    """Day of month ACLED-style for 'early' (5), 'mid' (15) and 'late'/'end of' (25)."""
    part = part.lower()
    if "early" in part or "beginning" in part or "start" in part:
        return 5
    return 25 if ("late" in part or "end" in part) else 15


def _month_no(token: str) -> int:
    t = token.lower().rstrip(".")[:3]
    return [m[:3] for m in MONTHS].index(t) + 1


@lru_cache(maxsize=4096)
def _dateparser(phrase: str, base: date) -> date | None:
    import dateparser

    settings = {
        "RELATIVE_BASE": datetime(base.year, base.month, base.day),
        "PREFER_DATES_FROM": "current_period",
        "REQUIRE_PARTS": ["day", "month"],
    }
    try:
        parsed = dateparser.parse(phrase, languages=["en"], settings=settings)
    except Exception:  # dateparser raises a variety of errors on odd input
        return None
    return parsed.date() if parsed else None


def _calendar(phrase: str, base: date | None, explicit_year: bool) -> date | None:
    if base is None and not explicit_year:
        return None
    cleaned = re.sub(r"(?i)\bsept\b\.?", "Sep", phrase).replace(".", " ")
    ref = base or date(2000, 1, 1)
    day = _dateparser(cleaned, ref)
    if day and not explicit_year and base and day > base + timedelta(days=2):
        try:
            day = day.replace(year=day.year - 1)  # "December 28" in a January report
        except ValueError:
            day = None
    return day


def _near_anchor(phrase: str, anchor: date) -> date | None:
    """A year-less day ('September 6') in the year that puts it nearest the anchor date."""
    day = _dateparser(re.sub(r"(?i)\bsept\b\.?", "Sep", phrase).replace(".", " "), anchor)
    if day is None:
        return None
    options = []
    for y in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            options.append(day.replace(year=y))
        except ValueError:
            continue
    return min(options, key=lambda d: abs((d - anchor).days), default=None)


def year_anchor(text: str) -> date | None:
    """The latest full date (with its year) written anywhere in an article: with no publication
    date, the only honest source for the year of 'September 6' elsewhere in the same text."""
    best: date | None = None
    day: date | None
    for kind in ("iso", "mdy", "dmy"):
        rx = dict(_PATTERNS)[kind]
        for m in rx.finditer(text):
            if kind == "iso":
                try:
                    day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    continue
            else:
                year = m.group(m.lastindex) if m.lastindex else None
                if not year or len(year) != 4:
                    continue
                day = _calendar(m.group(0), None, True)
            if day and (best is None or day > best):
                best = day
    return best


def find_dates(text: str, published: date | None, anchor: date | None = None) -> list[DatePhrase]:
    """All resolved (or unresolvable: day None) date phrases of one sentence, in text order.

    ``anchor`` (see ``year_anchor``) is used only when there is no publication date, and only to
    give a year to calendar days written without one; weekdays and 'yesterday' stay unresolved.
    """
    found: list[DatePhrase] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _PATTERNS:
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            phrase = _resolve(kind, m, published)
            if (
                phrase is not None
                and phrase.day is None
                and published is None
                and anchor is not None
                and kind in ("mdy", "dmy")
            ):
                phrase = DatePhrase(
                    m.start(), m.end(), m.group(0), _near_anchor(m.group(0), anchor), "day", kind
                )
            if phrase is None:
                continue
            taken.append((m.start(), m.end()))
            found.append(phrase)
    return sorted(found, key=lambda p: p.start)


def _resolve(kind: str, m: re.Match[str], pub: date | None) -> DatePhrase | None:
    text = m.group(0)
    day: date | None = None
    precision = "day"
    if kind == "iso":
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    elif kind == "range":
        return DatePhrase(m.start(), m.end(), text, None, "range", kind)
    elif kind == "year":
        return DatePhrase(m.start(), m.end(), text, None, "year", kind)
    elif kind == "relative":
        return DatePhrase(m.start(), m.end(), text, None, "day", kind)  # see relative_to
    elif kind in ("mdy", "dmy"):
        year = (
            m.group(m.lastindex)
            if m.lastindex and m.group(m.lastindex) and len(m.group(m.lastindex)) == 4
            else None
        )
        if kind == "mdy" and re.match(r"(?i)may\b", text) and not year:
            return None  # "may 5 people" is not a date often enough to guess
        day = _calendar(text, pub, bool(year))
    elif kind in ("part_month", "month"):
        mon = _month_no(m.group(2) if kind == "part_month" else m.group(1))
        year_s = m.group(3) if kind == "part_month" else m.group(2)
        if year_s:
            year = int(year_s)
        elif pub:
            year = pub.year if mon <= pub.month else pub.year - 1
        else:
            return DatePhrase(m.start(), m.end(), text, None, "month", kind)
        dom = _part_day(m.group(1)) if kind == "part_month" else 15
        day = date(year, mon, dom)
        precision = "month"
    elif kind in ("weekday", "past_weekday"):
        wd = WEEKDAYS.index(m.group(1).lower())
        if pub is None:
            return DatePhrase(m.start(), m.end(), text, None, "week", kind)
        back = (pub.weekday() - wd) % 7
        if kind == "past_weekday" and back == 0:
            back = 7
        day = pub - timedelta(days=back)
    elif pub is None:
        return DatePhrase(m.start(), m.end(), text, None, "day", kind)
    elif kind == "part_rel_month":
        first = pub.replace(day=1)
        if m.group(2).lower() != "this":
            first = (first - timedelta(days=1)).replace(day=1)
        day = first.replace(day=_part_day(m.group(1)))
        precision = "month"
    elif kind == "days_ago":
        n = m.group(1)
        back = (
            2
            if n is None
            else ("two three four five six".split().index(n.lower()) + 2 if not n.isdigit() else int(n))
        )
        day = pub - timedelta(days=back)
    elif kind == "yesterday":
        day = pub - timedelta(days=1)
    elif kind == "today":
        day = pub
    elif kind == "this_week":
        day = max(pub - timedelta(days=3), pub - timedelta(days=pub.weekday()))
        precision = "week"
    elif kind == "last_week":
        day = pub - timedelta(days=7)
        precision = "week"
    elif kind == "this_month":
        day = pub - timedelta(days=min(7, pub.day - 1))
        precision = "month"
    elif kind == "last_month":
        first = pub.replace(day=1) - timedelta(days=1)
        day = first.replace(day=15)
        precision = "month"
    return DatePhrase(m.start(), m.end(), text, day, precision, kind)


def relative_to(phrase: DatePhrase, previous: date | None, invert: bool = False) -> DatePhrase | None:
    """'A day later', 'two days earlier', 'the next day': counted from the day of the event the
    article reported just before (news narrates in order). None when there is no such event.
    ``invert``: the phrase dates what follows it from a date before it ("on the 28th, a day after
    X" puts X on the 27th)."""
    if previous is None:
        return None
    t = phrase.text.lower()
    m = re.match(r"(a|one|two|three|four|five|six|\d)\b", t)
    n = (
        1
        if not m or m.group(1) in ("a", "one")
        else (
            int(m.group(1))
            if m.group(1).isdigit()
            else "two three four five six".split().index(m.group(1)) + 2
        )
    )
    if "same" in t:
        return DatePhrase(phrase.start, phrase.end, phrase.text, previous, "day", phrase.kind)
    back = any(w in t for w in ("earlier", "before", "previous", "preceding")) != invert
    day = previous - timedelta(days=n) if back else previous + timedelta(days=n)
    return DatePhrase(phrase.start, phrase.end, phrase.text, day, "day", phrase.kind)


_URL_DATE = re.compile(r"/(20\d{2}|19\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|$|-)")
_HEAD_DATES = [
    re.compile(r"\bdate (\d{4})-(\d{2})-(\d{2})\b"),
    re.compile(r"\b(\d{1,2})-(\d{1,2})-(\d{4})\b"),
    re.compile(r"\b" + _WD + r",?\s+(\d{1,2})\s+(" + _MON + r")\s+(\d{4})\b", re.I),
]


def infer_publication_date(url: str | None, text: str) -> tuple[date | None, str]:
    """A publication date when the feed gave none: from the address or the page header.

    An impossible date ("2024-02-30") is skipped, never raised: one bad header must not cost
    the whole article.
    """
    if url:
        m = _URL_DATE.search(url)
        if m:
            day = _safe_date(m.group(1), m.group(2), m.group(3))
            if day:
                return day, "in url"
    head = text[:400]
    m = _HEAD_DATES[0].search(head)
    if m and (day := _safe_date(m.group(1), m.group(2), m.group(3))):
        return day, "in text"
    m = _HEAD_DATES[1].search(head)
    if m and (day := _safe_date(m.group(3), m.group(2), m.group(1))):
        return day, "in text"
    m = _HEAD_DATES[2].search(head)
    if m and (day := _safe_date(m.group(3), _month_no(m.group(2)), m.group(1))):
        return day, "in text"
    return None, "unknown"


def _safe_date(year: object, month: object, day: object) -> date | None:
    try:
        return date(int(str(year)), int(str(month)), int(str(day)))
    except (TypeError, ValueError):
        return None


def warm_up() -> None:
    """Load dateparser's language data and compile its patterns now (it does so lazily on the
    first parse, ~1 s), so that timing and the first real article do not pay for it."""
    _dateparser("September 6", date(2020, 1, 1))
    _dateparser("6 Sep 2019", date(2020, 1, 1))
