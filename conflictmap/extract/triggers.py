"""Event triggers: which kind of event a sentence reports, and which words say it.

Each trigger match is checked against its left context so that what did not happen is not
coded: negated ("no clashes"), denied ("denied reports that ..."), a purpose ("to end the
fighting") or a topic ("protested against the arrests"), modal or future ("would target", "could lead to"), called for
("urged his followers to attack"), habitual ("frequently clash"), background ("amid clashes"),
or continuing summaries ("has continued since then"), or an unverified claim ("sources
claimed the SDF had withdrawn", "... could not be verified").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from conflictmap.extract.rules import load_lexicon, load_trigger_rules


@dataclass(frozen=True)
class Trigger:
    """A trigger match that survived the context checks: span, words, the type it codes, and the
    rule's priority and kind ("verb", "noun", "kill")."""

    start: int
    end: int
    text: str
    event_type: str
    sub_event_type: str
    priority: int
    kind: str


_FRAME = re.compile(
    r"\b(?:under|as part of|in line with|in accordance with|per)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+)?$", re.I
)
_RECAP = re.compile(
    r"\b(?:\w+ )?(?:days?|weeks?|months?|years?) (?:after|since) (?:the|last|this|those) (?:\w+ )?$", re.I
)
_LIFTED = re.compile(
    r"\b(?:lift(?:ed|s|ing)?|br(?:oke|eak|eaks|eaking)|end(?:ed|s|ing)?|ended|rais(?:ed|es|ing)|end of|lifting of)\s+"
    r"(?:the\s+|a\s+|an\s+|its\s+)?(?:[\w-]+\s+){0,3}$",
    re.I,
)
_SERIES = re.compile(
    r"\bha(?:s|ve) (?:\w+ly )?(?:carried out|conducted|mounted|staged|launched|intensified)\s+"
    r"(?:[\w-]+\s+){0,2}(?:operations|campaigns|raids|sweeps|patrols)\b",
    re.I,
)
_AFTER = re.compile(r"\b(?:after|when|following|once)\b", re.I)


# A relative clause in the pluperfect describes the people named by something further back in
# time; it tells no incident of the report ("families of fighters who had been killed").
_DESCRIBED = re.compile(r"\b(?:who|whom|that|which)\s+had\s+(?:been\s+|previously\s+|earlier\s+)?$", re.I)


def _left(text: str, start: int, words: int) -> str:
    head = text[:start]
    parts = re.split(r"[,;:()“”\"]", head)
    clause = parts[-1] if parts else head
    return " ".join(clause.split()[-words:])


def _blocked(text: str, m: re.Match[str], kind: str) -> str | None:
    """Why this trigger does not report an event that happened (None: it does)."""
    lex = load_lexicon()
    left4 = _left(text, m.start(), 4)
    # a subordinate clause starts afresh: "vowed to respond after the regime shelled X" reports
    # the shelling; modal, call and background words before "after" belong to the other clause
    left8 = _AFTER.split(_left(text, m.start(), 8))[-1]
    right = text[m.end() : m.end() + 25]
    if lex.negation.search(left4):
        return "negated"
    if lex.denial.search(text[: m.start()]):
        return "denied"  # "the SDF denied reports that its fighters had withdrawn"
    if lex.claim.search(text[max(0, m.start() - 100) : m.start()]) and (
        re.search(r"\bhad\s+(?:been\s+)?(?:\w+ly\s+)?$", text[: m.start()]) or lex.unverifiable.search(text)
    ):
        # "sources claimed that the SDF had withdrawn ...": a claimed state with no date of its own,
        # or a claim the outlet says it could not verify. A plain "reportedly" keeps the event
        # (with lower confidence, see merge.confidence); an unverified claim is not coded.
        return "unverified claim"
    if _DESCRIBED.search(text[max(0, m.start() - 40) : m.start()]):
        return "described"  # "relatives of fighters who had been killed": people described by their past
    head = text[max(0, m.start() - 60) : m.start()]
    if lex.purpose.search(head):
        return "purpose"  # "an agreement to end the fighting"
    if re.match(r"(?i)siege|blockade|besieg", m.group(0)) and _LIFTED.search(head):
        return "lifted"  # "the army broke the three-year siege": the end of a siege, not one laid
    if lex.topic.search(head):
        return "topic"  # "protested against the arrest campaign": what a protest is about
    if (
        kind == "noun"
        and _FRAME.search(head)
        and re.match(r"(?i)agreement|deal|truce|ceasefire|cease-fire", m.group(0))
    ):
        return "frame"  # "handed over checkpoints under an agreement reached last week"
    if lex.modal.search(left8) or re.match(r"^\s+(?:could|would|may|might|will)\b", right):
        return "modal"
    word = m.group(0).lower()
    if (
        kind == "verb"
        and not word.endswith(("ing", "ed"))
        and re.search(r"\bto\s+$", text[: m.start()])
        and not lex.infinitive_ok.search(text[: m.start()][-40:])
    ):
        return "infinitive"
    if lex.call_verbs.search(left8):
        return "called for"
    if (
        lex.habitual.search(left8)
        or lex.habitual.search(right)
        or lex.habitual.search(text[max(0, m.start() - 12) : m.end()])
    ):
        return "habitual"
    if lex.background.search(left8):
        return "background"
    if not m.group(0).lower().endswith("ed") and _RECAP.search(text[max(0, m.start() - 40) : m.start()]):
        return "recap"  # "a week after the clashes in X, the town remains tense"
    around = text[max(0, m.start() - 30) : m.end() + 50]
    if re.search(r"\b(?:ha(?:s|ve|d) been \w+ing|(?:is|are) (?:still )?\w+ing)\b", around) and m.group(
        0
    ).lower() not in ("killed",):
        return "continuing"
    if re.search(r"\b(?:ha(?:s|ve) continued|continues? to|since then|for (?:days|weeks|months))\b", around):
        return "continuing"
    if _SERIES.search(around):
        return "continuing"  # "the SDF has carried out combing operations in the area": a series, no one day
    return None


_PERSON_OBJECT = re.compile(
    r"\s+(?:another|others|him|her|them|one of|(?:\d+|an?|one|two|three|four|five|six|several|a number of)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:members?|fighters?|militants?|soldiers?|elements?|suspects?|people|men|"
    r"commanders?|leaders?|emirs?|officers?|gunmen|prisoners?)\b)",
    re.I,
)


# "hundreds of civilians captured from a camp", "women who were taken": people taken, not ground
_PERSON_SUBJECT = re.compile(
    r"\b(?:(?:civilians|people|women|children|residents|families|villagers|hostages|prisoners|detainees)"
    r"\s+(?:(?:who|that)\s+)?(?:were\s+|had been\s+|was\s+)?"
    r"|(?:members|fighters|soldiers|men)\s+(?:(?:who|that)\s+)?(?:were|had been|was)\s+)$",
    re.I,
)


@lru_cache(maxsize=1)
def _any_trigger() -> re.Pattern[str]:
    """One alternation of every trigger: most sentences have none and are dismissed in one pass."""
    return re.compile("|".join(f"(?:{r.pattern.pattern})" for r in load_trigger_rules()), re.I)


def find_triggers(text: str) -> list[Trigger]:
    """Accepted triggers, non-overlapping (higher priority first), in text order."""
    out: list[Trigger] = []
    if not _any_trigger().search(text):
        return out
    for rule in load_trigger_rules():
        for m in rule.pattern.finditer(text):
            if any(m.start() < t.end and t.start < m.end() for t in out):
                continue
            if _blocked(text, m, rule.kind):
                continue
            if rule.sub_event_type.endswith("territory") and (
                _PERSON_OBJECT.match(text, m.end())
                or _PERSON_SUBJECT.search(text[max(0, m.start() - 40) : m.start()])
            ):
                continue  # "captured another", "civilians captured from a camp": people, not ground
            out.append(
                Trigger(
                    m.start(),
                    m.end(),
                    m.group(0),
                    rule.event_type,
                    rule.sub_event_type,
                    rule.priority,
                    rule.kind,
                )
            )
    return sorted(out, key=lambda t: t.start)


def resolve_raids(main: list[Trigger], fat: int | None) -> list[Trigger]:
    """An airdrop or commando raid is one incident whatever it led to: a battle when someone was
    killed (the arrests in it are part of it), an arrest when it only detained people, and an
    operation launch (strategic development, other) when the report gives no outcome."""
    raids = [t for t in main if t.kind == "raid"]
    if not raids:
        return main
    arrests = [t for t in main if t.sub_event_type == "arrest"]
    if fat:
        return [t for t in main if t not in arrests]
    if arrests:
        return [t for t in main if t not in raids]
    return [
        replace(t, event_type="strategic_development", sub_event_type="other") if t in raids else t
        for t in main
    ]
