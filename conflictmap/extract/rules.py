"""Rule tables (actors, triggers, word lists) read once from ``rules/`` next to this module.

The tables are data so an analyst can add an outlet's wording without touching code; a row that
does not compile is reported with its file and line and skipped, never silently ignored.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from conflictmap.models import REGIME_CHANGE

log = logging.getLogger(__name__)

RULES_DIR = Path(__file__).resolve().parent / "rules"


@dataclass(frozen=True)
class ActorRule:
    """One row of ``rules/actors.csv``: a surface form and the EVENTS.md actor label it stands for.

    The validity days tie a label to one side of a date (``models.REGIME_CHANGE``): the rule is
    used for events before ``valid_until`` and from ``valid_from`` on; None leaves that side open."""

    pattern: re.Pattern[str]
    actor: str
    valid_until: date | None  # the label applies to events before this day
    valid_from: date | None
    lower: re.Pattern[str] | None = None  # same pattern for lower-cased text (about 2x faster)


def label_applies(valid_from: date | None, valid_until: date | None, on: date | None) -> bool:
    """Whether an actor label with these validity days names events of ``on``; with no date
    known, the label from before ``models.REGIME_CHANGE`` (one with no ``valid_from``). Shared by
    the English and Arabic actor tables, so both apply the date rule the same way."""
    if on is None:
        return valid_from is None
    return not (valid_until and on >= valid_until) and not (valid_from and on < valid_from)


_UPPER_ESCAPE = re.compile(r"\\[SWDBAZ]")


def lowered(pattern: str) -> re.Pattern[str] | None:
    """A case-sensitive copy of ``pattern`` for text already lower-cased, when lower-casing the
    pattern cannot change its meaning (no \\S, \\W, \\D, \\B, \\A, \\Z escapes)."""
    if _UPPER_ESCAPE.search(pattern):
        return None
    try:
        return re.compile(pattern.lower())
    except re.error:
        return None


@dataclass(frozen=True)
class TriggerRule:
    """One row of ``rules/triggers.csv``: words that report an event, and the type they code.

    Where several triggers match, the higher ``priority`` decides the type."""

    pattern: re.Pattern[str]
    event_type: str
    sub_event_type: str
    priority: int
    kind: str  # "verb", "noun" or "kill" (a casualty word alone)


@dataclass(frozen=True)
class Lexicon:
    """The word lists of ``rules/lexicon.json``, each string entry compiled as a case-insensitive pattern.

    Kept as data so an analyst can add wording without touching the extractor."""

    number_words: dict[str, int]
    vague_numbers: tuple[str, ...]
    negation: re.Pattern[str]
    denial: re.Pattern[str]
    purpose: re.Pattern[str]
    topic: re.Pattern[str]
    support: re.Pattern[str]
    modal: re.Pattern[str]
    call_verbs: re.Pattern[str]
    infinitive_ok: re.Pattern[str]
    habitual: re.Pattern[str]
    background: re.Pattern[str]
    continuing: re.Pattern[str]
    toll: re.Pattern[str]
    anaphor: re.Pattern[str]
    speech: re.Pattern[str]
    claim: re.Pattern[str]
    unverifiable: re.Pattern[str]
    hedge: re.Pattern[str]
    civilian_victims: re.Pattern[str]
    boilerplate: re.Pattern[str]
    not_places: frozenset[str]
    country_words: re.Pattern[str]


def _day(value: str) -> date | None:
    """A validity day of a table row: ISO, empty for none, or ``regime-change`` for the day actor
    labels change (``models.REGIME_CHANGE``), so that date is written in one place only."""
    value = value.strip()
    if value == "regime-change":
        return REGIME_CHANGE
    return date.fromisoformat(value) if value else None


def _compile(pattern: str, where: str, flags: int = re.I) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        log.error("%s: bad pattern %r (%s); row skipped", where, pattern, exc)
        return None


@lru_cache(maxsize=4)
def load_actor_rules(rules_dir: Path = RULES_DIR) -> tuple[ActorRule, ...]:
    """The actor table, compiled once (cached per folder); a row whose pattern does not compile
    is logged with its file and line and skipped."""
    path = rules_dir / "actors.csv"
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            where = f"{path}:{reader.line_num}"
            # every surface form starts a word; saying so lets the regex engine skip most
            # positions at once (about twice as fast on report text, same matches)
            pattern = r"\b(?:" + row["pattern"] + ")"
            rx = _compile(pattern, where)
            if rx is None:
                continue
            out.append(
                ActorRule(
                    rx,
                    row["actor"].strip(),
                    _day(row["valid_until"]),
                    _day(row["valid_from"]),
                    lowered(pattern),
                )
            )
    return tuple(out)


@dataclass(frozen=True)
class AnaphorRule:
    """One row of ``rules/anaphors.csv``: a phrase such as "the group" and the actors it may stand for."""

    pattern: re.Pattern[str]
    antecedents: frozenset[str]  # actor labels the phrase may stand for


@lru_cache(maxsize=4)
def load_anaphor_rules(rules_dir: Path = RULES_DIR) -> tuple[AnaphorRule, ...]:
    """ "the group", "the militia", "the forces": phrases that stand for the actor of their kind
    named last (``rules/anaphors.csv``)."""
    path = rules_dir / "anaphors.csv"
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            rx = _compile(r"\b(?:" + row["pattern"] + r")", f"{path}:{reader.line_num}")
            if rx is not None:
                names = frozenset(a.strip() for a in row["antecedents"].split("|") if a.strip())
                out.append(AnaphorRule(rx, names))
    return tuple(out)


@lru_cache(maxsize=4)
def load_trigger_rules(rules_dir: Path = RULES_DIR) -> tuple[TriggerRule, ...]:
    """The trigger table, compiled once (cached per folder), highest priority first; a row whose
    pattern does not compile is logged with its file and line and skipped."""
    path = rules_dir / "triggers.csv"
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            rx = _compile(r"\b(?:" + row["pattern"] + r")", f"{path}:{reader.line_num}")
            if rx is None:
                continue
            out.append(
                TriggerRule(
                    rx, row["event_type"], row["sub_event_type"], int(row["priority"]), row["kind"].strip()
                )
            )
    return tuple(sorted(out, key=lambda r: -r.priority))


@lru_cache(maxsize=4)
def load_lexicon(rules_dir: Path = RULES_DIR) -> Lexicon:
    """``rules/lexicon.json``, compiled once (cached per folder); keys starting with "_" are comments.

    Unlike a table row, a bad entry is not skipped: a pattern that does not compile raises
    ``re.error``, and a missing or unknown string entry raises ``TypeError``."""
    path = rules_dir / "lexicon.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    rx = {k: re.compile(v, re.I) for k, v in data.items() if isinstance(v, str) and not k.startswith("_")}
    return Lexicon(
        number_words=dict(data["number_words"]),
        vague_numbers=tuple(data["vague_numbers"]),
        not_places=frozenset(data["not_places"]),
        **rx,
    )
