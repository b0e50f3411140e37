"""Actor mentions in a sentence, normalised to the EVENTS.md vocabulary via ``rules/actors.csv``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from conflictmap.extract.rules import label_applies, load_actor_rules, load_anaphor_rules, load_lexicon


@dataclass(frozen=True)
class ActorMention:
    """One actor named in the text: its character span, the words used and the EVENTS.md label."""

    start: int
    end: int
    text: str
    actor: str


def find_actors(text: str, on: date | None = None) -> list[ActorMention]:
    """Non-overlapping mentions, longest first at each position, in text order.

    Labels with a validity window (e.g. "Syrian regime forces" before 8 Dec 2024) are applied
    only to events dated inside it; with no date known the label before ``models.REGIME_CHANGE`` is used.
    """
    cands: list[ActorMention] = []
    low = text.lower()
    same_length = len(low) == len(text)  # offsets stay valid only if lower() kept the length
    for rule in load_actor_rules():
        if not label_applies(rule.valid_from, rule.valid_until, on):
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
        if (
            out
            and c.actor == "Unidentified armed group"
            and _GENERIC_ARMED.fullmatch(c.text)
            and not text[out[-1].end : c.start].strip()
            and out[-1].actor != "Civilians"
        ):
            continue  # "ISIS gunmen", "SDF fighters' gunmen": the named group is the actor
        out.append(c)
    return out


_GENERIC_ARMED = re.compile(r"(?i)gunmen|armed men")


def resolve_anaphors(text: str, mentions: list[ActorMention]) -> list[ActorMention]:
    """The mentions plus "the group", "the militia", "the forces" ... (``rules/anaphors.csv``),
    each read as the actor of its kind named last before it in the article; a phrase with no
    such actor before it stays unread."""
    out = list(mentions)
    named = sorted(mentions, key=lambda m: m.start)
    for rule in load_anaphor_rules():
        for m in rule.pattern.finditer(text):
            if any(a.start < m.end() and m.start() < a.end for a in out):
                continue  # part of a name already read ("the Kurdish-led forces")
            before = [a for a in named if a.end <= m.start() and a.actor in rule.antecedents]
            if before:
                out.append(ActorMention(m.start(), m.end(), m.group(0), before[-1].actor))
    return sorted(out, key=lambda a: a.start)


def distinct(mentions: list[ActorMention]) -> list[str]:
    """The actor labels of ``mentions``, each once, in the order first named."""
    seen: list[str] = []
    for m in mentions:
        if m.actor not in seen:
            seen.append(m.actor)
    return seen


# Actors that strike from the air: a drone strike with none of them named is an unidentified drone.
AIR_ACTORS = frozenset(
    {
        "US forces",
        "US-led coalition",
        "Israel",
        "Russia",
        "Turkey",
        "Syrian regime forces",
        "Other: Syrian transitional government",
        "Iran-backed militias",
        "Unidentified drone",
    }
)
# Forces that carry out most air and drone strikes here and are rarely their target: an earlier
# mention of one of them attributes an otherwise unattributed strike.
STRIKING_ACTORS = frozenset({"US forces", "US-led coalition", "Israel", "Russia", "Turkey"})
_AGENT = re.compile(r"\bby\s+(?!\w+ing\b)(?:the\s+)?(?:\S+\s+){0,2}$", re.I)  # not "by targeting X"
_BETWEEN = re.compile(r"^[^.;]{0,40}?\bbetween\b", re.I)
# Where the clause that holds a trigger ends: an object after this belongs to another clause.
_CLAUSE_END = re.compile(
    r"[;.]|,\s*(?:and|but|while|whereas|as|after|before|amid|amidst|despite|during)\b|\b(?:and\s+(?:simultaneously|meanwhile|also|then)|while|whereas)\b",
    re.I,
)


_VERB = re.compile(r"\b(?:struck|hit|targeted|bombed|shelled|attacked|carried out|launched|fired)\b", re.I)
_INSTRUMENT = re.compile(r"\b(?:with|using)\s+(?:\w+\s+){0,2}$", re.I)
_CONJUNCT = re.compile(
    r"\s*(?:,\s*)?(?:and|along with|together with|with)\s+(?:the\s+)?(?:allied\s+|affiliated\s+|local\s+)?",
    re.I,
)


def pick_actors(
    text: str, trig_start: int, trig_end: int, mentions: list[ActorMention], etype: str
) -> list[str]:
    """The sides of the event a trigger reports, perpetrator or subject first, plus civilians.

    Why not simply the two mentions nearest the trigger: both often stand on one side of it
    ("regime forces and allied tribal fighters attacked SDF posts"). The rules, in order:
    supporting forces ("backed by the coalition") are not sides when a side remains; a passive
    agent ("attacked by ISIS", "fired by regime forces") is the perpetrator; "clashes between X
    and Y" names both sides; otherwise the nearest actor before the trigger (its subject) and
    the nearest after it (its object). For violence against civilians the victims' affiliation
    is not a side.
    """
    lex = load_lexicon()
    armed = [m for m in mentions if m.actor != "Civilians"]
    supporting = [m for m in armed if lex.support.search(text[max(0, m.start - 45) : m.start])]
    if len(supporting) < len({m.actor for m in armed}):
        armed = [m for m in armed if m not in supporting]
    agents = [m for m in armed if _AGENT.search(text[max(0, m.start - 25) : m.start])]
    if agents:  # "X were shot dead by gunmen in A, and Y were killed in an ISIS ambush": own clause
        cut = max((c.end() for c in _CLAUSE_END.finditer(text, 0, trig_start)), default=0)
        stop = _CLAUSE_END.search(text, trig_end)
        agents = [m for m in agents if cut <= m.start < (stop.start() if stop else len(text))]
    chosen: list[ActorMention] = []
    between = etype == "battle" and _BETWEEN.match(text[trig_end:])
    if between:  # "clashes broke out between X and Y, amid shelling by Z": X and Y fought
        after = [m for m in armed if trig_end <= m.start < trig_end + between.end() + 60]
        if len({m.actor for m in after}) >= 2:
            agents = []
    if agents:
        agent = min(agents, key=lambda m: abs(m.start - trig_start))
        chosen.append(agent)
        if etype != "violence_against_civilians":
            rest = [m for m in armed if m.actor != agent.actor]
            if rest:
                chosen.append(min(rest, key=lambda m: abs(m.start - trig_start)))
    elif between:  # "clashes ... between X and Y"
        after = [m for m in armed if m.start >= trig_end]
        for m in after:
            if m.actor not in {c.actor for c in chosen} and len(chosen) < 2:
                chosen.append(m)
    allies: set[str] = set()
    inside = [
        m for m in armed if m.start < trig_end and m.end > trig_start and _VERB.search(text, m.end, trig_end)
    ]  # the subject inside the trigger ("a drone ... targeted"), not its object
    if not chosen and inside:
        # "a drone of unknown affiliation targeted", "Israeli strikes": the trigger names its author
        head = inside[0]
        partners = [m for m in armed if m.end <= head.start and _CONJUNCT.fullmatch(text[m.end : head.start])]
        if partners:  # "regime warplanes and Russian jets carried out": one side, the first heads it
            allies.add(head.actor)
            head = partners[0]
        chosen.append(head)
        rest = [m for m in armed if m.actor != head.actor and m.actor not in allies]
        if rest:
            chosen.append(min(rest, key=lambda m: abs(m.start - trig_start)))
    if not chosen:
        before = [m for m in armed if m.start < trig_start]
        stop = _CLAUSE_END.search(text, trig_end)
        limit = stop.start() if stop else len(text)
        after = [m for m in armed if trig_start <= m.start < limit]
        clause = max((c.end() for c in _CLAUSE_END.finditer(text, 0, trig_start)), default=0)
        own = [m for m in before if m.start >= clause]
        if len(own) >= 2 and _INSTRUMENT.search(text[max(0, trig_start - 30) : trig_start]):
            # "the SDF responded by targeting regime positions with mortar fire": the weapon is
            # the subject's, the nearer actor is its target
            chosen.append(own[0])
        elif len(before) >= 2 and _CONJUNCT.fullmatch(text[before[-2].end : before[-1].start]):
            # "Syrian forces and tribal fighters seized ...": one side, headed by the first
            chosen.append(before[-2])
            allies.add(before[-1].actor)
        elif before:
            chosen.append(before[-1])
        other = [m for m in after if (not chosen or m.actor != chosen[0].actor) and m.actor not in allies]
        if other:
            chosen.append(other[0])
    if len(chosen) < 2:  # fill from the nearest mentions on either side
        for m in sorted(armed, key=lambda m: abs(m.start - trig_start)):
            if m.actor not in {c.actor for c in chosen} | allies and len(chosen) < 2:
                chosen.append(m)
    out = [m.actor for m in chosen]
    if any(m.actor == "Civilians" for m in mentions):
        out.append("Civilians")
    return out


def named_attacker(text: str, trig_start: int, trig_end: int, mentions: list[ActorMention]) -> bool:
    """Whether the sentence names who fired: an armed actor before the trigger that is not the
    target of a passive ("a base housing US troops was targeted"), or an agent after "by"."""
    for m in mentions:
        if m.actor == "Civilians" or _speaker_only(text, m, trig_start):
            continue
        if re.search(r"\b(?:by|from)\s+(?:the\s+)?(?:\S+\s+){0,2}$", text[max(0, m.start - 25) : m.start]):
            return True
        if m.start < trig_end and m.end > trig_start:
            return True  # "Israeli strikes", "regime shelling": the trigger names its author
        if m.end <= trig_start and not re.search(
            r"\b(?:(?:was|were|been|being)\s+(?:\w+\s+)?(?:targeted|hit|struck|attacked|shelled|bombed|killed|wounded|injured|fired|launched|dropped|detonated)|came under|(?:was|were) under)\b",
            text[m.end : trig_start],
        ):
            return True
    return False


_SPEECH_AFTER = re.compile(
    r"^\)?\s*(?:\([^)]{0,40}\)\s*)?(?:(?:has|have|had)\s+)?(?:said|says|confirmed|announced|reported|stated|added|told\s+\w+)\b"
    r"(?![^.;]*\b(?:it|its|they|their|we|our|itself|themselves)\b)",
    re.I,
)


def _speaker_only(text: str, m: ActorMention, trig_start: int) -> bool:
    """ "CENTCOM confirmed that a rocket was fired at US forces": the name is the speaker of the
    report, not who fired; unless the report speaks of itself ("the SDF said its forces...")."""
    return m.end <= trig_start and bool(_SPEECH_AFTER.match(text[m.end : trig_start]))


def air_actor(text: str, earlier_mentions: list[ActorMention]) -> str:
    """Who flew a strike the sentence does not attribute: the air force last named earlier in the
    article ("backed by coalition airstrikes" ... "32 civilians were killed in the airstrikes"),
    else an unidentified drone ("a drone struck their car")."""
    earlier = [m for m in earlier_mentions if m.actor in STRIKING_ACTORS]
    if earlier:
        return earlier[-1].actor
    return "Unidentified drone" if re.search(r"\bdrones?\b", text, re.I) else "Unidentified armed group"


# Strategic developments whose other side is usually an armed group when one is named (an
# operation "to stop ISIS attacks", a base, a truce): civilians in passing are not that side.
_ARMED_SECOND = frozenset(
    {"other", "agreement", "headquarters or base established", "non-violent transfer of territory"}
)


def order_actors(actors: list[str], etype: str, sub: str = "") -> list[str]:
    """Sides in the order the event type reads them: perpetrator, then target or victims."""
    armed = [a for a in actors if a != "Civilians"]
    if etype == "strategic_development" and sub in _ARMED_SECOND and len(armed) >= 2:
        return armed[:2]
    if etype in ("violence_against_civilians", "strategic_development") or (
        etype == "explosion_remote_violence" and len(armed) < 2
    ):
        return armed[:1] + (["Civilians"] if "Civilians" in actors else armed[1:2])
    return armed[:2] if etype != "protest" else actors[:2]
