"""Actor mentions in a sentence, normalised to the EVENTS.md vocabulary via ``rules/actors.csv``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from conflictmap.extract.rules import load_actor_rules


@dataclass(frozen=True)
class ActorMention:
    start: int
    end: int
    text: str
    actor: str


def find_actors(text: str, on: date | None = None) -> list[ActorMention]:
    """Non-overlapping mentions, longest first at each position, in text order.

    Labels with a validity window (e.g. "Syrian regime forces" before 8 Dec 2024) are applied
    only to events dated inside it; with no date known the pre-2024-12-08 label is used.
    """
    cands: list[ActorMention] = []
    low = text.lower()
    same_length = len(low) == len(text)  # offsets stay valid only if lower() kept the length
    for rule in load_actor_rules():
        if on is not None:
            if rule.valid_until and on >= rule.valid_until:
                continue
            if rule.valid_from and on < rule.valid_from:
                continue
        elif rule.valid_from:
            continue
        if rule.lower is not None and same_length:
            matches = rule.lower.finditer(low)
        else:
            matches = rule.pattern.finditer(text)
        for m in matches:
            if m.end() > m.start():
                cands.append(ActorMention(m.start(), m.end(), text[m.start() : m.end()], rule.actor))
    cands.sort(key=lambda a: (a.start, -(a.end - a.start)))
    out: list[ActorMention] = []
    for c in cands:
        if out and c.start < out[-1].end:
            continue
        out.append(c)
    return out


def distinct(mentions: list[ActorMention]) -> list[str]:
    seen: list[str] = []
    for m in mentions:
        if m.actor not in seen:
            seen.append(m.actor)
    return seen
