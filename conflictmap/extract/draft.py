"""``Draft``: one event as the extractor builds it, before it becomes an ``Event``.

Its own module because both the sentence assembler (``assemble``) and the document-level merging
(``merge``), English and Arabic alike, work on drafts: with the class here neither has to import
the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from conflictmap.extract.sentences import Sentence
from conflictmap.models import Place


@dataclass
class Draft:
    """One event under construction (mutable: merging edits it in place).

    ``place_explicit``/``date_explicit``: the sentence itself named the place/date (not the article
    or the publication day); ``fallback``: placed at the governorate capital for want of a town;
    ``secondary``: from a secondary clause of a longer sentence; ``spans``: every sentence folded
    into it, the first of which goes into the event id."""

    sentence: Sentence
    event_type: str
    sub_event_type: str
    day: date
    date_precision: str
    date_explicit: bool
    actors: list[str]
    place: Place
    location: str
    geo_precision: int
    geo_method: str
    place_explicit: bool
    fallback: bool
    fatalities: int | None
    hedged: bool
    secondary: bool = False
    trigger: str = ""  # the words that coded it ("curfew", "launched an operation")
    area: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    guessed_actors: list[str] = field(default_factory=list)  # sides taken from context, not the text
