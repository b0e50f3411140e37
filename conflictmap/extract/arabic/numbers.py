"""Numbers and fatalities in Arabic report language, by ACLED's conservative rules.

Counts come as digits (either script, folded to ASCII), number words with their compounds
("خمسة وعشرون"), a dual ending ("عنصرين": two) or a singular noun ("مقتل شاب": one). Deaths
(مقتل، قتلى، لقي حتفه، استشهاد ...) are told apart from the wounded (جرحى، مصابين، إصابة) and
from casualties that mix both ("قتلى وجرحى", "مقتل وإصابة"), which give no death count. Vague
amounts (عشرات، عدد من) stay unknown, as the gold does (EVENTS.md). "No casualties" gives 0.
"""

from __future__ import annotations

import re
from functools import lru_cache

from conflictmap.extract.arabic.tables import lexicon, words
from conflictmap.extract.arabic.text import WORD_END, WORD_START


@lru_cache(maxsize=1)
def _number_rx() -> re.Pattern[str]:
    names = sorted(lexicon()["numbers"], key=len, reverse=True)
    alts = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
    one = rf"(?:\d+|(?:ال)?(?:{alts}))"
    return re.compile(rf"{WORD_START}[وب]?(?P<n>{one}(?:\s+و\s*{one})?){WORD_END}")


def parse_number(token: str) -> int | None:
    """'12' / 'ثلاثة' / 'خمسة وعشرون' -> int; anything else None."""
    total = 0
    for part in re.split(r"\s+و\s*", token.strip()):
        part = re.sub(r"\s+", " ", part)
        if part.isdigit():
            total += int(part)
            continue
        part = part[2:] if part.startswith("ال") and part[2:] in lexicon()["numbers"] else part
        value = lexicon()["numbers"].get(part)
        if value is None:
            return None
        total += value
    return total


def numbers_in(text: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of each number in the folded text."""
    out = []
    for m in _number_rx().finditer(text):
        v = parse_number(m["n"])
        if v is not None and not (1900 <= v <= 2100 and m["n"].isdigit()):  # a year is no count
            out.append((m.start(), m.end(), v))
    return out


def _count_near(text: str, start: int, end: int) -> tuple[int | None, bool]:
    """The count a death word states: a number just after ("مقتل 3 عناصر"), just before ("3
    قتلى"), a dual or singular person noun after it. Returns (count, vague)."""
    after = text[end : end + 40]
    before = text[max(0, start - 30) : start]
    vague = words("vague_numbers")
    m_vague = vague.match(after.lstrip()) or vague.search(before[-15:])
    nums = numbers_in(text)
    for s, _e, v in nums:
        if end <= s <= end + 3:
            return v, False
    for _s, e, v in nums:
        if 0 <= start - e <= 3:
            return v, False
    if m_vague:
        return None, True
    nxt = after.lstrip()
    first = nxt.split(" ", 1)[0] if nxt else ""
    if first and words("person_dual", False).match(nxt):
        return 2, False
    if first and words("person_singular", False).match(nxt):
        return 1, False
    dual = re.match(r"(?:قتيلين|قتيلان|شهيدين|شهيدان)", text[start:end])
    if dual:
        return 2, False
    return None, False


def fatalities(text: str) -> tuple[int | None, bool]:
    """(deaths the folded sentence states, whether it speaks of deaths at all).

    Several separate counts in one sentence add up ("مقتل 3 عناصر من قسد و2 من العشائر"); a
    count of killed-and-wounded is not a death count; "no casualties" is 0 deaths."""
    if words("no_casualties", False).search(text) and not words("death_words").search(text):
        return 0, False
    both = words("casualties_both", False)
    total, said = 0, False
    counted = False
    for m in words("death_words").finditer(text):
        said = True
        if both.search(text, max(0, m.start() - 8), m.end() + 12):
            continue  # "قتلى وجرحى": casualties, not deaths
        n, vague = _count_near(text, m.start(), m.end())
        if n is not None:
            total += n
            counted = True
    if not said:
        return None, False
    return (total if counted else None), True
