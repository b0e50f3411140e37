"""Arabic actor mentions, normalised to the same names as the English table (``rules/actors.csv``).

Labels tied to one side of the regime change (قوات النظام before it, الأمن العام after it) are
applied by the event's date, on ``models.REGIME_CHANGE``, as in English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from conflictmap.extract.arabic.tables import actor_rules, actor_scanner, words
from conflictmap.extract.rules import label_applies


@dataclass(frozen=True)
class Mention:
    """An Arabic actor mention: offsets in the folded text searched and the actor label."""

    start: int  # offsets in the folded text searched
    end: int
    actor: str


def find_actors(text: str, on: date | None) -> list[Mention]:
    """Non-overlapping mentions, longest first at each place, in text order. With no date the
    pre-change label is used (as in English)."""
    cands = []
    for rule, found in zip(actor_rules(), actor_scanner().scan(text), strict=True):
        if not label_applies(rule.valid_from, rule.valid_until, on):
            continue
        for m in found:
            cands.append(Mention(m.start(), m.end(), rule.actor))
    cands.sort(key=lambda a: (a.start, -(a.end - a.start)))
    out: list[Mention] = []
    for c in cands:
        if out and c.start < out[-1].end:
            continue
        out.append(c)
    return out


def _agent(text: str, m: Mention) -> bool:
    """Named as the one who did it: "برصاص X", "على يد X", "من قبل X", "تابعة لـ X"."""
    before = text[max(0, m.start - 22) : m.start]
    agent = words("agent_before", False)
    return any(a.end() >= len(before) - 1 for a in agent.finditer(before))


def pick_actors(text: str, trig_start: int, trig_end: int, mentions: list[Mention], etype: str) -> list[str]:
    """Sides of the event: a named agent first; "بين X و Y" names both sides of a clash;
    otherwise the armed actors nearest the trigger (Arabic puts the subject after the verb,
    so the nearest one either side), then civilians when they are named."""
    armed = [m for m in mentions if m.actor != "Civilians"]
    chosen: list[str] = []
    for m in sorted((m for m in armed if _agent(text, m)), key=lambda m: abs(m.start - trig_start)):
        if m.actor not in chosen:
            chosen.append(m.actor)
    between = text.find("بين", trig_end, trig_end + 40)
    if etype == "battle" and between >= 0 and not chosen:
        for m in armed:
            if m.start > between and m.actor not in chosen and len(chosen) < 2:
                chosen.append(m.actor)
    for m in sorted(armed, key=lambda m: (abs(m.start - trig_start), m.start < trig_start)):
        if m.actor not in chosen and len(chosen) < 2:
            chosen.append(m.actor)
    if any(m.actor == "Civilians" for m in mentions):
        chosen.append("Civilians")
    return chosen


def drone_named(text: str) -> bool:
    """The sentence speaks of a drone (not a warplane)."""
    return any(w in text for w in ("مسير", "درون", "بدون طيار", "دون طيار")) or bool(
        words("air_words").search(text) and "مسير" in text
    )


def hedged(text: str) -> bool:
    """Whether the sentence hedges ("reportedly" and the like, the lexicon's ``hedge`` list): the
    event is kept at lower confidence, as in English."""
    return bool(words("hedge", False).search(text))
