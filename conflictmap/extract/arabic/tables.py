"""The Arabic rule tables in ``extract/rules/ar/``, read once and compiled.

Vocabulary lives in data (CSV/JSON) as for English, so an analyst can add a surface form
without touching code. Patterns are written in plain Arabic; ``text.word_pattern`` folds them
and adds the attached prefixes and endings every Arabic word may carry.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from conflictmap.extract.arabic.text import Scanner, fold, head_literals, word_pattern

log = logging.getLogger(__name__)
RULES_DIR = Path(__file__).resolve().parent.parent / "rules" / "ar"


class RuleTableError(ValueError):
    """An Arabic rule table is missing or has a bad row; the message names file and line."""


@dataclass(frozen=True)
class TriggerRule:
    """One row of ``rules/ar/triggers.csv``: a folded word pattern and the type it codes."""

    pattern: re.Pattern[str]
    event_type: str
    sub_event_type: str
    priority: int
    kind: str  # noun / verb / generic (typed by its instrument) / shoot / kill


@dataclass(frozen=True)
class ActorRule:
    """One row of ``rules/ar/actors.csv``: a folded word pattern and the actor label (same names as
    English). ``valid_until``/``valid_from``: as in English, from the row's ``period``."""

    pattern: re.Pattern[str]
    actor: str
    valid_until: date | None
    valid_from: date | None


@dataclass(frozen=True)
class PlaceAlias:
    """An Arabic spelling of a gazetteer place (named by its English name), checked before the
    gazetteer's own Arabic names."""

    key: str  # folded Arabic spelling
    place: str  # the gazetteer's English name
    cue: bool  # only after a place word (قرية، بلدة، حي ...): the name is also a common word


def _rows(name: str) -> list[tuple[int, dict[str, str]]]:
    path = RULES_DIR / name
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return [(n, row) for n, row in enumerate(csv.DictReader(fh), 2)]
    except OSError as exc:
        raise RuleTableError(f"cannot read Arabic rule table {path}: {exc.strerror}") from None


@lru_cache(maxsize=1)
def trigger_rules() -> tuple[TriggerRule, ...]:
    """The Arabic trigger table, read once, in table order.

    Raises ``RuleTableError`` (file and line) for a type/sub-type pair not in ``SUB_EVENT_TYPES``:
    a typo must not code events under a type the schema does not have."""
    from conflictmap.models import SUB_EVENT_TYPES

    out = []
    for n, row in _rows("triggers.csv"):
        etype, sub = row.get("event_type", ""), row.get("sub_event_type", "")
        if sub not in SUB_EVENT_TYPES.get(etype, ()):
            raise RuleTableError(f"{RULES_DIR / 'triggers.csv'}:{n}: unknown type {etype!r} / {sub!r}")
        out.append(
            TriggerRule(
                word_pattern(row["pattern"]), etype, sub, int(row["priority"]), row.get("kind") or "noun"
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def actor_rules() -> tuple[ActorRule, ...]:
    """Actor surface forms. ``period`` regime/transition ties a label to the side of the regime
    change it belongs to; the day itself is ``models.REGIME_CHANGE``,
    so both languages switch labels on the same date."""
    from conflictmap.models import REGIME_CHANGE

    out = []
    for n, row in _rows("actors.csv"):
        period = (row.get("period") or "").strip()
        if period not in ("", "regime", "transition"):
            raise RuleTableError(
                f"{RULES_DIR / 'actors.csv'}:{n}: period {period!r} is not regime/transition"
            )
        out.append(
            ActorRule(
                word_pattern(row["pattern"]),
                row["actor"],
                REGIME_CHANGE if period == "regime" else None,
                REGIME_CHANGE if period == "transition" else None,
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def trigger_scanner() -> Scanner:
    """All trigger rules searched in one pass (``Scanner``), in table order."""
    return Scanner(
        [(r.pattern, head_literals(row["pattern"])) for r, (_n, row) in _zip("triggers.csv", trigger_rules())]
    )


@lru_cache(maxsize=1)
def actor_scanner() -> Scanner:
    """All actor rules searched in one pass (``Scanner``), in table order."""
    return Scanner(
        [(r.pattern, head_literals(row["pattern"])) for r, (_n, row) in _zip("actors.csv", actor_rules())]
    )


def _zip(name: str, rules: tuple[Any, ...]) -> list[tuple[Any, tuple[int, dict[str, str]]]]:
    rows = _rows(name)
    if len(rows) != len(rules):
        raise RuleTableError(f"{RULES_DIR / name} changed while it was read")
    return list(zip(rules, rows, strict=True))


@lru_cache(maxsize=1)
def place_aliases() -> dict[str, PlaceAlias]:
    """``rules/ar/places.csv`` by folded spelling (spaces removed), read once.

    A spelling listed twice keeps its first row and the later one is named in the log: a rule
    table never drops a row without saying so."""
    out: dict[str, PlaceAlias] = {}
    for n, row in _rows("places.csv"):
        key = fold(row["arabic"]).replace(" ", "")
        if key in out:
            log.warning(
                "rules/ar/places.csv:%s: %r is already listed for %s; this row (%s) is ignored",
                n,
                row["arabic"],
                out[key].place,
                row["place"],
            )
            continue
        out[key] = PlaceAlias(key, row["place"], (row.get("cue") or "").strip() == "cue")
    return out


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Folded words that are gazetteer names but almost never a place in news prose; never looked up."""
    path = RULES_DIR / "stopwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(x).strip() for x in lines if x.strip() and not x.startswith("#"))


@lru_cache(maxsize=1)
def lexicon() -> dict[str, Any]:
    """Dates, numbers and the small word lists of ``lexicon.json``, folded."""
    path = RULES_DIR / "lexicon.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleTableError(f"cannot read Arabic lexicon {path}: {exc}") from None
    return _fold_json(raw)


def _fold_json(value: Any) -> Any:
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, list):
        return [_fold_json(v) for v in value]
    if isinstance(value, dict):
        return {fold(k): _fold_json(v) for k, v in value.items()}
    return value


@cache
def words(key: str, suffixes: bool = True) -> re.Pattern[str]:
    """The word list ``key`` of the lexicon as one whole-word pattern."""
    return word_pattern("|".join(lexicon()[key]), suffixes)


def warm_up() -> None:
    """Read and compile every Arabic table now, so the first article (or a timed run) does not pay for it."""
    trigger_rules()
    actor_rules()
    trigger_scanner()
    actor_scanner()
    place_aliases()
    stopwords()
    lexicon()
