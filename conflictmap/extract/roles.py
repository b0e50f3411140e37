"""Sentence roles and names that are not places: what a sentence does in a report.

A news report mixes the incident it reports with background (history, standing situations),
aggregates ("135 attacks since October"), generic habits ("they plant mines and launch
ambushes") and the names of people and outlets. Only the first is an event. The word classes
live in ``rules/roles.json``; the rules here are grammatical, not tied to any one report:

- ``sentence_role``: ``"aggregate"`` when a plural event noun is counted (a number of ten or
  more, or "dozens", "hundreds") in a frame of a period or a tally; ``"background"`` for standing
  situations and history ("remains a flashpoint", "six years have passed since"); ``"generic"``
  for a present-tense habit of a group. ``None`` for a sentence that may report an incident.
- ``person_or_outlet``: a gazetteer hit that is a person (after a title, a role or "spokesman",
  or followed by a capitalised surname that is no place word) or an outlet ("Khabour network",
  "told Al Arabiya") is not a place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from conflictmap.extract.rules import RULES_DIR


@dataclass(frozen=True)
class Roles:
    """The word classes of ``rules/roles.json`` compiled (case-insensitive), plus the name lists
    that tell people and outlets from places."""

    aggregate: re.Pattern[str]
    aggregate_frame: re.Pattern[str]
    background: re.Pattern[str]
    generic_present: re.Pattern[str]
    air_agent: re.Pattern[str]
    clash_words: re.Pattern[str]
    generic_attack: re.Pattern[str]
    person_before: re.Pattern[str]
    protesters: re.Pattern[str]
    force_on_protest: re.Pattern[str]
    crowd: re.Pattern[str]
    toll_rise: re.Pattern[str]
    responsibility: re.Pattern[str]
    elsewhere: re.Pattern[str]
    foiled: re.Pattern[str]
    generic_blast: re.Pattern[str]
    attributive: re.Pattern[str]
    participle_object: re.Pattern[str]
    media_after: re.Pattern[str]
    place_nouns: frozenset[str]
    media_names: frozenset[str]
    given_names: frozenset[str]
    place_cue_before: re.Pattern[str]


def given_names() -> list[str]:
    """The common given names of ``rules/given_names.txt`` (shared with the gazetteer)."""
    lines = (RULES_DIR / "given_names.txt").read_text(encoding="utf-8").splitlines()
    return [n for n in (ln.split("#", 1)[0].strip() for ln in lines) if n]


@lru_cache(maxsize=2)
def load_roles() -> Roles:
    """``rules/roles.json`` and the given names, compiled once; keys starting with "_" are comments."""
    data = json.loads((RULES_DIR / "roles.json").read_text(encoding="utf-8"))
    rx = {k: re.compile(v, re.I) for k, v in data.items() if isinstance(v, str) and not k.startswith("_")}
    return Roles(
        place_nouns=frozenset(data["place_nouns"]),
        media_names=frozenset(n.lower() for n in data["media_names"]),
        given_names=frozenset(n.lower() for n in given_names()),
        **rx,
    )


def sentence_role(text: str, day_given: bool) -> str | None:
    """``aggregate``, ``toll``, ``background``, ``generic`` or None (may report an incident)."""
    r = load_roles()
    if r.aggregate.search(text) and (r.aggregate_frame.search(text) or not day_given):
        return "aggregate"
    if r.toll_rise.search(text):
        return "toll"  # "the death toll has risen to 90 since August 27": a running total
    if r.background.search(text) and not day_given:
        return "background"
    if r.generic_present.search(text) and not day_given:
        return "generic"
    return None


_NEXT = re.compile(r"\s+([A-Z][\w'’-]+)")
_PREV_NAME = re.compile(r"\b([A-Z][\w'’-]+)(?:\s+[A-Z][\w'’-]+)?\s+$")  # "Ahmad Hamad al-Omar"
_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def _title_case(text: str) -> bool:
    words = _WORD.findall(text[:300])
    long = [w for w in words if len(w) > 3]
    return len(long) >= 4 and sum(w[0].isupper() for w in long) / len(long) > 0.6


def person_or_outlet(text: str, start: int, end: int, listed: bool = False) -> str | None:
    """Why the name at text[start:end] is not a place here ("person", "outlet"), or None.
    ``listed``: the name follows a place in a list ("Hatla, Mazlum, Busayra"), so a given name
    there is a village."""
    r = load_roles()
    name = text[start:end]
    if name.lower() in r.media_names or r.media_after.match(text, end):
        return "outlet"
    left = text[max(0, start - 30) : start]
    if r.person_before.search(left):
        return "person"
    before = _PREV_NAME.search(left)
    names = before.group(0).split() if before else []
    if before and (
        any(w.lower() in r.given_names for w in names)
        or r.person_before.search(left[: before.start()])
        or (len(names) == 2 and r.person_before.search(left[: before.start()] + names[0] + " "))
    ):
        return "person"  # "Farhad Shami", "commander Abu Layla Hasan": a surname
    if name.lower() in r.given_names and not listed and not r.place_cue_before.search(left):
        return "person"  # "Mohammed" read by the gazetteer's loose spelling match as a village
    nxt = _NEXT.match(text, end)
    if nxt and _title_case(text):
        return None  # a headline capitalises every word: no surname can be told
    if nxt and nxt.group(1) not in r.place_nouns and not re.match(r"\s+(?:[Aa]l|[Ee]l)[- ]", text[end:]):
        word = nxt.group(1)
        # "Mazloum Abdi", "Hasakah Shiyar": two capitalised words in a row, the second no place
        # word and not the start of a new clause (a sentence never starts mid-line here)
        if not re.match(r"(?:The|A|An|In|On|At|And|But|Or|Of|To|For|From|With|By|As|Near|After)$", word):
            return "person"
    return None


_EXCHANGE = re.compile(
    r"(?:\s+\w+){0,4}?\s+(?:between|exchanged between)\s+(?:the\s+)?[\w'’ -]{2,40}?\s+and\s+", re.I
)


# "on the road between A and B", "the villages between A and B": places, not two sides
_BETWEEN_PLACES = re.compile(
    r"\b(?:road|highway|route|villages?|towns?|areas?|line|border|river)\s+between\b", re.I
)


def refine_triggers(text: str, triggers: list) -> list:
    """Type a bare "attack" by what the sentence says it was made with.

    "A rocket attack on the base": the rocket says how; the bare "attack" is not a second,
    ground event, so it yields to the weapon unless the sentence also tells of fighting (a clash
    word, gunfire). "The air force attacked positions": an attack whose agent is an aircraft is
    an air strike."""
    r = load_roles()
    triggers = [t for t in triggers if not _descriptive(text, t, r)]
    if not r.crowd.search(text):
        # "gunmen stormed the village", "ISIS torched the house": armed men storming a place or
        # burning a house are no riot; a riot needs a crowd
        triggers = [_unrioted(t) for t in triggers]
    if any(t.event_type == "protest" for t in triggers) and r.force_on_protest.search(text):
        # "forces opened fire on protesters": the protest, with intervention (ACLED), is the
        # event; lethal force is its own sub-type
        sub = (
            "excessive force against protesters"
            if re.search(r"\b(?:killed|killing|dead|died)\b", text, re.I)
            else "protest with intervention"
        )
        triggers = [
            replace(t, event_type="protest", sub_event_type=sub, priority=61)
            if t.event_type in ("protest", "battle") and t.kind != "kill"
            else t
            for t in triggers
        ]
    fought = bool(r.clash_words.search(text))
    out = []
    for t in triggers:
        if t.event_type == "explosion_remote_violence" and (
            r.foiled.search(text[max(0, t.start - 50) : t.start])
            or (fought and r.generic_blast.match(t.text.strip()))
        ):
            # "security forces foiled a suicide attack", "gunfire followed by explosions": the
            # fight is the event, not a bombing
            t = replace(t, event_type="battle", sub_event_type="armed clash", priority=60)
        elif (
            t.sub_event_type == "shelling/artillery/missile attack"
            and (ex := _EXCHANGE.match(text, t.end))
            and not _BETWEEN_PLACES.search(ex.group(0))
        ):
            # "shelling between the SDF and regime loyalists": fire exchanged by two armed sides is
            # a clash (ACLED), not one side's bombardment of the other
            t = replace(t, event_type="battle", sub_event_type="armed clash", priority=60)
        out.append(t)
    triggers = out
    generic = [t for t in triggers if t.event_type == "battle" and r.generic_attack.match(t.text.strip())]
    if not generic:
        return triggers
    weapons = [t for t in triggers if t.event_type == "explosion_remote_violence"]
    if weapons and not r.clash_words.search(text):
        # "a rocket attack on the base": the weapon says how. Not "ISIS attacked X and detonated
        # a car bomb in Y": two actions joined by "and", each its own event
        return [t for t in triggers if t not in generic or _second_action(text, t, weapons)]
    out = []
    for t in triggers:
        if t in generic and r.air_agent.search(text[max(0, t.start - 60) : t.start]):
            t = replace(
                t, event_type="explosion_remote_violence", sub_event_type="air/drone strike", priority=80
            )
        out.append(t)
    return out


def _unrioted(t):
    if t.event_type != "riot" or re.match(r"(?i)riot", t.text):
        return t
    if re.match(r"(?i)storm", t.text):
        return replace(t, event_type="battle", sub_event_type="armed clash", priority=60)
    return replace(
        t, event_type="strategic_development", sub_event_type="looting/property destruction", priority=39
    )


_AND_VERB = re.compile(r"\band\s+(?:then\s+|later\s+|also\s+)?\w+ed\b", re.I)


def _second_action(text: str, attack, weapons: list) -> bool:
    """The bare attack and the weapon are two coordinated actions ("attacked X and shelled Y")."""
    later = [w for w in weapons if w.start >= attack.end]
    return bool(later) and bool(_AND_VERB.search(text[attack.end : later[0].start + 1]))


_TARGET_NOUN = re.compile(
    r"\bthe (?:\w+ )?(?:area|site|village|town|position|base|building|house|vehicle|checkpoint|post)\s+$",
    re.I,
)


def _descriptive(text: str, t, r: Roles) -> bool:
    """A trigger that describes who someone is, not what happened: "a force battling ISIS",
    "the coalition fighting Daesh" (a participle after the group, no auxiliary), "areas
    liberated from the group" (a participle after a place noun)."""
    left = text[max(0, t.start - 40) : t.start]
    word = t.text.lower()
    stem = re.match(r"[\w-]*", text[t.start :])  # always matches, if only the empty string
    whole = stem.group(0).lower() if stem else ""  # "liberate" matched in "liberated"
    if word in ("fighting", "battling", "combating", "combatting") and r.attributive.search(left):
        return True
    if t.sub_event_type.endswith("territory") and whole.endswith("ed") and r.participle_object.search(left):
        return True
    if (
        word == "attacked"
        and _TARGET_NOUN.search(left)
        and re.match(r"\s+(?:is|was|lies|belongs|had|has)\b", text[t.end :])
    ):
        return True  # "the area attacked is under regime control": which area, not a second attack
    if text[t.start : t.start + 8].lower() == "besieged" and re.match(
        r"\s+(?:[A-Z]|(?:city|town|enclave|garrison|areas?)\b)", text[t.start + 8 :]
    ):
        return True  # "the besieged city", "in besieged Deir ez-Zor": a state, not a siege laid
    return False


def elsewhere(text: str) -> bool:
    """The sentence places its event outside the study area by name ("Iraq's Anbar", "in
    northern Syria") without a place the gazetteer resolves: it must not fall back to the
    article's place."""
    return any(
        not _AGENT_BEFORE.search(text[max(0, m.start() - 20) : m.start()])
        for m in load_roles().elsewhere.finditer(text)
    )


# "strikes believed to be by Israel", "drones launched from Iraq": a country that acts, or that a
# weapon came from, does not say where the event happened
_AGENT_BEFORE = re.compile(r"\b(?:by|from|backed by|with)\s+(?:the\s+)?$", re.I)


_UNKNOWN = frozenset({"Unidentified armed group", "Unidentified drone", "Other: Unidentified aircraft"})
_VIOLENT = frozenset({"battle", "explosion_remote_violence", "violence_against_civilians"})


def claimed_by(text: str, actors: list[str], drafts: list) -> bool:
    """ "The Islamic Resistance in Iraq claimed responsibility": the claimant becomes the
    attacker of the latest violent event of the article (replacing an unidentified one).
    True when the sentence was such a claim (it reports no incident of its own)."""
    if not load_roles().responsibility.search(text):
        return False
    claimants = [a for a in actors if a != "Civilians" and a not in _UNKNOWN]
    target = next((d for d in reversed(drafts) if d.event_type in _VIOLENT), None)
    if target is None:
        return False  # "ISIS claimed an attack that killed four in X on Saturday": the report itself
    if claimants and target is not None and target.actors[:1] != claimants[:1]:
        others = [a for a in target.actors if a not in _UNKNOWN and a != claimants[0]]
        target.actors = [claimants[0], *others][:2]
        target.notes.append(f"attacker from a claim of responsibility ({claimants[0]})")
    return True


def bare_attack(d) -> bool:
    """A draft coded from a bare "attack" with no word of fighting in its sentence."""
    r = load_roles()
    return bool(r.generic_attack.match(d.trigger.strip())) and not r.clash_words.search(d.sentence.text)
