"""When an event happened: the date phrase that governs a trigger, relative phrases ("a day
later"), and background events mentioned again without a date.

Split from ``assemble`` (which decides what and where) because dating follows its own rules:
- the nearest date phrase to the trigger governs it, a speech verb's date ("said on Monday")
  only bounds it (week precision);
- "a day later" / "two days earlier" / "the next day" count from a date written before it in
  the same sentence ("on August 28, a day after ..."), else from the previous event reported;
- a trigger that refers back to something already told ("had arrested", "arrested him") and has
  no date of its own takes the date of the earlier dated mention of the same kind of event; a
  pluperfect with no such mention is background and is not given the publication date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from conflictmap.extract.dates import DatePhrase, relative_to
from conflictmap.extract.rules import load_lexicon
from conflictmap.extract.triggers import Trigger

_SUBORDINATE = re.compile(r"\b(?:after|following|since|before)\b(?:\s+\S+){0,6}\s*$", re.I)
_SOON_AFTER = re.compile(r"\b(?:hours|minutes|moments|shortly|soon|just|immediately|right)\s+after\b", re.I)
_PLUPERFECT = re.compile(r"\bhad\s+(?:been\s+)?(?:\w+ly\s+)?$", re.I)
_PRONOUN_OBJECT = re.compile(r"^\s+(?:him|her|them)\b", re.I)


@dataclass(frozen=True)
class DatedMention:
    """A trigger seen in a dated sentence: what kind of event, on which day, in which sentence."""

    sub_event_type: str
    day: date
    precision: str
    sentence: int


_CAME = re.compile(
    r"\b(?:came|comes|happened|occurred|took place|followed|was (?:carried out|launched))\s*$", re.I
)


def resolve_relative(dates: list[DatePhrase], previous_day: date | None, text: str = "") -> list[DatePhrase]:
    """Relative phrases resolved (see module doc); one with no anchor is dropped."""
    if not any(d.kind == "relative" for d in dates):
        return dates
    out: list[DatePhrase] = []
    for d in dates:
        if d.kind != "relative":
            out.append(d)
            continue
        before = [x for x in out if x.day is not None and x.end <= d.start and x.precision == "day"]
        if before and re.search(r"(?i)\b(?:after|before)$", d.text):
            # "on August 28, a day after the SDF detained him": the detention is the day before
            resolved = relative_to(d, before[-1].day, invert=True)
        elif (
            previous_day is not None
            and re.search(r"(?i)\b(?:after|before)$", d.text)
            and _CAME.search(text[: d.start])
        ):
            # "The strike came two days after ISIS attacked ...": the attack, two days before it
            resolved = relative_to(d, previous_day, invert=True)
        else:
            resolved = relative_to(d, before[-1].day if before else previous_day)
        if resolved is not None:
            out.append(resolved)
    return out


def refers_back(text: str, trig: Trigger) -> bool:
    """'had arrested', 'had been killed', 'arrested him': an event the article already told."""
    return bool(_PLUPERFECT.search(text[: trig.start]) or _PRONOUN_OBJECT.match(text[trig.end :]))


def pluperfect(text: str, trig: Trigger) -> bool:
    """Whether the trigger is in the pluperfect ("had attacked"): the article retells something
    that happened before, so with no date anywhere it is background, not an event of that day."""
    return bool(_PLUPERFECT.search(text[: trig.start]))


def earlier_mention(mentions: list[DatedMention], sub_event_type: str, sentence: int) -> DatedMention | None:
    """The latest dated mention of the same kind of event in an earlier sentence."""
    for m in reversed(mentions):
        if m.sub_event_type == sub_event_type and m.sentence < sentence:
            return m
    return None


def subordinate(text: str, trig: Trigger) -> tuple[int, int] | None:
    """The span of the temporal clause a trigger stands in ("hours after X was arrested, ...",
    "following the arrest of X"): an earlier event that frames the one the sentence reports."""
    head = text[: trig.start]
    cut = max(head.rfind(","), head.rfind(";"), head.rfind(":"))
    m = _SUBORDINATE.search(head[cut + 1 :])
    if not m:
        return None
    end = re.search(r"[,;:]", text[trig.end :])
    return cut + 1 + m.start(), trig.end + end.start() if end else len(text)


def main_clause(
    text: str, main: list[Trigger], mentions: list[DatedMention], sentence: int, dated: bool
) -> tuple[list[Trigger], list[tuple[int, int]], DatePhrase | None]:
    """Triggers of the main clause (framing ones dropped when another remains), the spans of the
    framing clauses (places there belong to the earlier event) and, for "hours after X" with no
    date in the sentence, X's date from its earlier dated mention."""
    spans = {t: subordinate(text, t) for t in main}
    framing = [t for t in main if spans[t]]
    if not framing or len(framing) == len(main):
        return main, [], None
    kept = [t for t in main if t not in framing]
    cut = [s for t in framing if (s := spans[t]) and not any(s[0] <= k.start < s[1] for k in kept)]
    m = _SOON_AFTER.search(text)
    told = earlier_mention(mentions, framing[0].sub_event_type, sentence) if m and not dated else None
    if told is None or m is None:
        return kept, cut, None
    return kept, cut, DatePhrase(m.start(), m.end(), m.group(0), told.day, told.precision, "same_day_as")


def pick_date(
    text: str, trig: Trigger, dates: list[DatePhrase], pub: date | None
) -> tuple[date | None, str, bool, str]:
    """(day, precision, the sentence dates it, note) for one trigger."""
    lex = load_lexicon()
    usable = [d for d in dates if d.day is not None]
    if not usable:
        if any(d.day is None for d in dates) or pub is None:
            return None, "day", False, ""
        return pub, "week", False, "date not stated; publication date used"
    if len(usable) > 1:
        weekday_or_cal = [d for d in usable if d.kind != "yesterday"]
        usable = weekday_or_cal or usable
    best = min(usable, key=lambda d: abs(d.start - trig.start))
    precision = best.precision
    # the speech verb must govern the date ("said on Monday", "told AFP on Monday", "on Monday
    # said"), not stand in a later clause ("killed on Monday, the monitor reported")
    around = text[max(0, best.start - 25) : best.start] + " " + text[best.end : best.end + 12]
    if precision == "day" and lex.speech.search(around) and len(usable) == 1:
        # "The SDF said on Monday it carried out an attack": on or before Monday
        if not re.search(r"\b(?:on|by)\s+\w+\s*$", text[: trig.start]) or trig.start < best.start:
            precision = "week"
    return best.day, precision, True, ""
