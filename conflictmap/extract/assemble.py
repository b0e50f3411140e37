"""Sentences -> events: one event per incident and place, follow-up sentences merged in.

Per sentence: triggers (what happened), places (where), date phrases (when), actors (who),
casualty numbers. Then, per article: a sentence that only adds a toll or detail about "the
attack" merges into the event before it; events of the same type, day and place merge; a lead
sentence that names no place and no date (a summary of what the article details later) merges
into the detailed event of the same type instead of standing alone at the governorate capital.
When an event happened is decided in ``timing`` (relative phrases, framing clauses such as
"hours after X was arrested", events retold without a date); follow-up merging lives in ``merge``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date

from conflictmap.extract.actors import (
    AIR_ACTORS,
    ActorMention,
    air_actor,
    distinct,
    find_actors,
    named_attacker,
    order_actors,
    pick_actors,
    resolve_anaphors,
)
from conflictmap.extract.dates import find_dates, year_anchor
from conflictmap.extract.draft import Draft
from conflictmap.extract.merge import merge_drafts, merge_follow_up, no_casualties, previous_event, same_place
from conflictmap.extract.numbers import count_before, fatalities, group_fatalities
from conflictmap.extract.places import (
    PlaceMention,
    area_phrases,
    article_area,
    choose_places,
    drop_containers,
    find_places,
    span_ends,
    trigger_distance,
)
from conflictmap.extract.roles import claimed_by, elsewhere, refine_triggers, sentence_role
from conflictmap.extract.rules import load_lexicon
from conflictmap.extract.sentences import Sentence, split_sentences
from conflictmap.extract.timing import (
    DatedMention,
    earlier_mention,
    main_clause,
    pick_date,
    pluperfect,
    refers_back,
    resolve_relative,
)
from conflictmap.extract.triggers import Trigger, find_triggers, resolve_raids
from conflictmap.geo.gazetteer import Gazetteer
from conflictmap.models import REGIME_CHANGE, Place

# A list of more towns than this is a summary of an area: one event at the first town. Not for
# a change of territory (taken in battle or handed over): each town that changed hands is an
# event of its own (atomic by place).
MAX_SPLIT = 3
_TERRITORY = (
    "non-state actor overtakes territory",
    "government regains territory",
    "non-violent transfer of territory",
)
_ARMED_NONE = {"Civilians"}
_ARMED_KILLED = re.compile(
    r"\b(?:killing|killed)\b[^.;]{0,40}\b(?:members|fighters|militants|gunmen|terrorists|insurgents|jihadists|operatives)\b",
    re.I,
)
_DATELINE_PLACES = re.compile(
    r"^[ \t]*[A-Z][A-Z'’.\- ]{2,40}(?:/[A-Z][A-Z'’.\- ]{2,40})*(?:,\s*[^—–\n]{0,40}?)?\s*(?:\([A-Za-z .]{2,20}\)\s*)?[—–-]\s",
    re.M,
)
_TOLL_SINCE = re.compile(
    r"\b(?:has|have)\s+(?:\w+\s+){0,3}?(?:killed|injured|wounded|displaced|claimed)\b[^.;]{0,160}?\bsince\b(?!\s+(?:then|the start|the beginning|early|late|mid))",
    re.I,
)
_DATELINE_END = re.compile(r"\s*(?:,?\s*\d{4})?\s*(?:\([A-Za-z .]{2,20}\)\s*)?[-–—:]\s")
_PLURAL_BACK = re.compile(
    r"\b(?:these|those|the|both) (?:\w+ )?(?:attacks|clashes|strikes|airstrikes|incidents|operations)\b", re.I
)


@dataclass
class Context:
    """What one article's sentences share while they are read: the article's area and date, its
    actors and places found once for the whole text, and what was left unresolved or undated."""

    gaz: Gazetteer
    published: date | None
    area: Place | None
    area_method: str
    unresolved: list[str] = field(default_factory=list)
    undated: int = 0
    anchor: date | None = None  # year source when there is no publication date
    main_actors: list[str] = field(default_factory=list)
    actor_mentions: list[ActorMention] = field(default_factory=list)
    all_places: list[PlaceMention] = field(default_factory=list)
    all_unresolved: list[tuple[int, str]] = field(default_factory=list)
    dated: list[DatedMention] = field(default_factory=list)  # triggers seen in dated sentences


def extract_drafts(
    text: str, title: str | None, published: date | None, gaz: Gazetteer
) -> tuple[list[Draft], Context]:
    """The English extractor's drafts of one article, merged per incident, and the context they
    were read in (for the caller's notes on unresolved places and undated sentences).

    ``published`` dates relative phrases ("yesterday"); without it the year comes from the text."""
    all_places, all_unresolved = find_places(text, gaz)  # once per article; sliced per sentence
    area, area_method = article_area(title, text, gaz, all_places)
    # "ERBIL/HASAKAH —": where the reporter filed from, not where anything happened
    datelines = [(m.start(), m.end()) for m in _DATELINE_PLACES.finditer(text[:600])]
    if datelines:
        all_places = [p for p in all_places if not any(a <= p.start < b for a, b in datelines)]
    ctx = Context(gaz, published, area, area_method, all_places=all_places, all_unresolved=all_unresolved)
    named = find_actors(text, published)  # once per article; sliced per sentence
    ctx.actor_mentions = resolve_anaphors(text, named)  # "the group": the group named last
    if published is None:
        ctx.anchor = year_anchor(text)
    counts = Counter(m.actor for m in named if m.actor != "Civilians")
    ctx.main_actors = [a for a, _ in counts.most_common(2)]
    drafts: list[Draft] = []
    for sent in split_sentences(text, title):
        _sentence(sent, ctx, drafts)
    return merge_drafts(drafts), ctx


def _sentence(sent: Sentence, ctx: Context, drafts: list[Draft]) -> None:
    lex = load_lexicon()
    text = sent.text
    triggers = find_triggers(text)
    since = _TOLL_SINCE.search(text)
    if since:
        # "shelling has killed dozens since tribal forces launched an attack six days ago": the
        # main clause is a running toll; the incident is the one the since-clause dates
        triggers = [t for t in triggers if t.start >= since.end()]
    triggers = refine_triggers(text, triggers)
    if not triggers and not lex.anaphor.search(text):
        no_casualties(sent, drafts)
        return
    dates = find_dates(text, ctx.published, ctx.anchor)
    if since:
        dates = [d for d in dates if d.start >= since.end()]
    if sent.index == 0:  # "DEIR EZ-ZOR, Jan. 10 (NPA) -": the dateline dates the report, not the event
        dates = [d for d in dates if not (d.start < 40 and _DATELINE_END.match(text, d.end))]
    if any(d.kind == "range" for d in dates):
        return  # "from Aug. 27 to Sept. 12": a period summarised, not one event
    dates = resolve_relative(dates, drafts[-1].day if drafts else None, text)
    day_given = any(d.day is not None and d.precision == "day" for d in dates)
    if sentence_role(text, day_given):
        return  # background, a tally over a period, or a habit: no incident of its own
    actors_m = [
        ActorMention(m.start - sent.start, m.end - sent.start, m.text, m.actor)
        for m in ctx.actor_mentions
        if sent.start <= m.start and m.end <= sent.end
    ]
    masked = [(a.start, a.end) for a in actors_m]
    if since:  # the sides of the toll's clause are not those of the incident the since-clause tells
        actors_m = [a for a in actors_m if a.start >= since.end()]
    places = [
        replace(p, start=p.start - sent.start, end=p.end - sent.start)
        for p in ctx.all_places
        if sent.start <= p.start
        and p.end <= sent.end
        and not any(s < p.end - sent.start and p.start - sent.start < e for s, e in masked)
    ]
    places = sorted(places + area_phrases(text, ctx.gaz, masked, ctx.area), key=lambda p: p.start)
    unresolved = [
        name
        for off, name in ctx.all_unresolved
        if sent.start <= off < sent.end and not any(s <= off - sent.start < e for s, e in masked)
    ]
    if claimed_by(text, distinct(actors_m), drafts):
        return  # a claim of responsibility names who did it; it is not a new incident
    fat, toll = fatalities(text)
    main = resolve_raids([t for t in triggers if t.kind != "kill"], fat)
    if (
        fat
        and main
        and _ARMED_KILLED.search(text)
        and all(t.sub_event_type in ("arrest", "other") for t in main)
    ):
        # "an operation in X, killing two ISIS members and arresting five": a fight, not only arrests
        main = [replace(main[0], event_type="battle", sub_event_type="armed clash", priority=60)]
    anaphor = lex.anaphor.search(text)
    if any(
        re.match(r"(?i)kidnap|abduct|arrest|detain|apprehend", t.text)
        or t.sub_event_type == "non-violent transfer of territory"
        for t in main
    ) and not any(p.role == "event" and not p.area for p in places):
        # "kidnapped five men from the village of X": where they were taken from is the place,
        # unless the sentence says where it happened ("a resident of X, at a checkpoint in Y");
        # "withdrew from X": X is the ground handed over
        places = [replace(p, role="event") if p.role == "origin" else p for p in places]
    own_places = [p for p in places if p.role == "event"]
    for t in main if any(d.day for d in dates) else ():  # framing clauses included
        day, precision, _, _ = pick_date(text, t, dates, ctx.published)
        if day is not None:
            ctx.dated.append(DatedMention(t.sub_event_type, day, precision, sent.index))
    main, framing, same_day = main_clause(text, main, ctx.dated, sent.index, any(d.day for d in dates))
    if framing:  # "..., a day after the SDF detained him in al-Zir": al-Zir is not where it happened
        places = [p for p in places if not any(s <= p.start < e for s, e in framing)]
        own_places = [p for p in places if p.role == "event"]
    if same_day is not None:
        dates = [*dates, same_day]
    explicit_dates = [d for d in dates if d.day is not None]
    prev = previous_event(drafts, sent, own_places)
    if prev and anaphor and not explicit_dates and same_place(own_places, prev):
        _follow_up(prev, sent, text, fat, own_places, distinct(actors_m), drafts)
        if fat == 0 and _PLURAL_BACK.search(text):  # "no casualties in these attacks": in each
            for d in drafts:
                if d.fatalities is None and sent.index - d.sentence.index <= 3:
                    d.fatalities = 0
        return
    if not main:
        if (
            prev is not None
            and not toll
            and not explicit_dates
            and sent.index - prev.sentence.index <= 1
            and same_place(own_places, prev)
        ):
            # "Two fighters and a civilian were killed.": the toll of the incident just told
            _follow_up(prev, sent, text, fat, own_places, distinct(actors_m), drafts)
            return
        told = _told_here(drafts, sent, own_places) if not toll and not explicit_dates else None
        if told is not None:
            # "A site on the outskirts of X was targeted, killing seven": deaths, no event word and
            # no date of their own, at a town where the article already told a violent event
            _follow_up(told, sent, text, fat, own_places, distinct(actors_m), drafts)
            return
        if not triggers or toll or anaphor or lex.background.search(text):
            return  # a toll, a follow-up to an event not coded here, or deaths of a recap
        victims = bool(lex.civilian_victims.search(text))
        perpetrators = [a for a in distinct(actors_m) if a not in _ARMED_NONE]
        if fat is None and not perpetrators:
            return
        civilians_hit = victims and not re.search(r"\b(?:clash|fight|battle)", text, re.I)
        unknown_gunmen = perpetrators == ["Unidentified armed group"]
        if civilians_hit or unknown_gunmen:
            t = triggers[0]
            main = [Trigger(t.start, t.end, t.text, "violence_against_civilians", "attack", 30, "kill")]
        else:
            main = triggers[:1]
    groups: dict[str, list[Trigger]] = {}
    for t in main:
        groups.setdefault(t.event_type, []).append(t)
    primary = max(groups, key=lambda k: max(t.priority for t in groups[k]))
    assigned: dict[str, list[PlaceMention]] = {k: [] for k in groups}
    for p in own_places + [p for p in places if p.role == "relative"]:
        best = min(groups, key=lambda k: min(trigger_distance(p, t) for t in groups[k]))
        assigned[best].append(p)
    for etype, trigs in groups.items():
        is_primary = etype == primary
        if not is_primary and not any(p.role == "event" for p in assigned[etype]):
            continue
        trig = max(trigs, key=lambda t: t.priority)
        sub = trig.sub_event_type
        _build(
            sent,
            ctx,
            drafts,
            etype,
            sub,
            trig,
            assigned[etype],
            dates,
            actors_m,
            group_fatalities(text, trig.start, fat, is_primary, len(groups)),
            unresolved,
            not is_primary,
        )


def _build(sent, ctx, drafts, etype, sub, trig, places, dates, actors_m, fat, unresolved, secondary) -> None:
    lex = load_lexicon()
    text = sent.text
    day, precision, explicit, note = pick_date(text, trig, dates, ctx.published)
    if not explicit and refers_back(text, trig):
        told = earlier_mention(ctx.dated, sub, sent.index)
        if told is not None:  # "The SDF arrested him ...": the arrest dated earlier in the article
            day, precision, explicit, note = told.day, told.precision, True, "date of its earlier mention"
        elif pluperfect(text, trig):
            return  # "had arrested" with no date anywhere: background, not an event of this day
    if day is None:
        ctx.undated += 1
        return
    if (
        actors_m
        and ctx.published
        and (day < REGIME_CHANGE <= ctx.published or ctx.published < REGIME_CHANGE <= day)
    ):
        actors_m = find_actors(text, day)  # the event falls on the other side of a label's validity date
    actors = pick_actors(text, trig.start, trig.end, actors_m, etype)
    if sub == "air/drone strike" and not AIR_ACTORS & set(actors):
        actors.insert(0, air_actor(text, [m for m in ctx.actor_mentions if m.end <= sent.start]))
    elif etype == "explosion_remote_violence" and not named_attacker(text, trig.start, trig.end, actors_m):
        actors.insert(0, "Unidentified armed group")  # "a base was targeted in a rocket attack"
    sides = 2 if etype == "battle" or "Civilians" not in actors else 1  # victims are a side
    guessed: list[str] = []
    if (
        etype in ("battle", "explosion_remote_violence") or sub == "non-violent transfer of territory"
    ) and len(
        [a for a in actors if a != "Civilians"]
    ) < sides:  # a handover has two sides too: the one leaving and the one taking over
        for a in _context_actors(drafts, etype, ctx):
            if a not in actors and len([x for x in actors if x != "Civilians"]) < sides:
                actors.append(a)
                guessed.append(a)
    if (
        not [a for a in actors if a != "Civilians"]
        and re.match(r"^\W*(?:it|they|the group|the force|the forces)\b", text, re.I)
        and drafts
        and drafts[-1].actors[:1] != ["Civilians"]
    ):
        # "It also detained dozens of civilians": the subject of the last event, its victims kept
        actors = drafts[-1].actors[:1] + actors
    chosen = span_ends(sent.text, drop_containers(sent.text, choose_places(places), ctx.gaz))
    if not chosen and unresolved:
        ctx.unresolved.extend(unresolved)
        return
    listed = len({p.place.place_id for p in chosen if not p.area}) + len(unresolved)
    notes = [note] if note else []
    if unresolved:
        notes.append("unresolved place name(s): " + ", ".join(unresolved))
        ctx.unresolved.extend(unresolved)
    if listed > MAX_SPLIT and chosen and not _towns_changed_hands(sub, trig.text):
        notes.append(f"list of {listed} places; coded to the first: " + ", ".join(p.text for p in chosen))
        first = chosen[0]
        chosen = [
            PlaceMention(
                first.start,
                first.end,
                first.text,
                first.place,
                first.method + "; first of a list",
                2,
                "event",
                False,
            )
        ]
    hedged = bool(lex.hedge.search(text))
    if etype != "battle" and "Civilians" not in actors and lex.civilian_victims.search(text):
        actors.append("Civilians")
    if etype == "violence_against_civilians" and not [a for a in actors if a != "Civilians"]:
        actors.insert(0, "Unidentified armed group")  # "the bodies of three shepherds were found"
    if etype == "violence_against_civilians" and "Civilians" not in actors:
        actors.append("Civilians")  # ACLED: the victims of violence against civilians are civilians
    if (
        etype == "battle"
        and sub == "non-state actor overtakes territory"
        and actors[:1] in (["Syrian regime forces"], ["Other: Syrian transitional government"])
    ):
        sub = "government regains territory"
    targets: list[tuple[Place, str, int, str, bool, bool, int | None, bool]] = []
    if chosen:
        for p in chosen:
            n = count_before(text, p.start)
            targets.append((p.place, p.text, p.precision, p.method, True, False, n, p.area))
    elif elsewhere(text):
        ctx.unresolved.append("(a place outside the study area)")  # not the article's place
        return
    else:
        ctx_place = _paragraph_place(drafts, sent)
        background = ctx.published is not None and (ctx.published - day).days > 14
        if ctx_place is not None:
            method = "context: place of the previous sentence"
            targets.append((ctx_place.place, ctx_place.location, 2, method, False, False, None, False))
        elif ctx.area is not None and not background:
            prec = 3 if ctx.area.kind == "city" else 2
            targets.append((ctx.area, ctx.area.name, prec, ctx.area_method, False, True, None, True))
        else:
            # an older event the sentence does not place: the article's area would be a guess
            ctx.unresolved.append("(no place)")
            return
    for place, loc, prec, method, explicit_place, fallback, n, is_area in targets:
        count = n if n is not None else (fat if len(targets) == 1 or place is targets[0][0] else None)
        drafts.append(
            Draft(
                sentence=sent,
                event_type=etype,
                sub_event_type=sub,
                day=day,
                date_precision=precision,
                date_explicit=explicit,
                actors=order_actors(actors, etype, sub),
                place=place,
                location=loc,
                geo_precision=prec,
                geo_method=method,
                place_explicit=explicit_place,
                fallback=fallback,
                fatalities=count,
                hedged=hedged,
                secondary=secondary,
                trigger=trig.text.lower(),
                area=is_area,
                spans=[(sent.start, sent.end)],
                notes=list(notes),
                guessed_actors=list(guessed),
            )
        )


_POSITIONS = re.compile(r"\b(?:positions?|posts?|checkpoints?|headquarters|bases?|points?)\b", re.I)


def _towns_changed_hands(sub: str, trigger: str) -> bool:
    """A change of territory over a list of towns is one event per town, unless what was given up
    is positions in them ("abandoned its positions in A, B, C and D"): then the list only says
    where the positions stood, and it is one event, coded to the first town."""
    return sub in _TERRITORY and not _POSITIONS.search(trigger)


_VIOLENT = frozenset({"battle", "explosion_remote_violence", "violence_against_civilians"})


def _follow_up(
    prev: Draft,
    sent: Sentence,
    text: str,
    fat: int | None,
    places: list[PlaceMention],
    actors: list[str],
    drafts: list[Draft],
) -> None:
    """Merge a follow-up into the event it tells more of. A lead placed no finer than a region
    whose follow-up names several towns ("seven were killed near A, the other nine near B") is
    the incident at each of them: the lead takes the first town, each other town an event."""
    coarse = not prev.place_explicit or prev.area or prev.geo_precision == 3
    merge_follow_up(prev, sent, text, fat, places, actors)
    if not coarse:
        return
    seen = {prev.place.place_id}
    for p in places:
        if p.area or p.role != "event" or p.place.place_id in seen:
            continue
        seen.add(p.place.place_id)
        drafts.append(
            replace(
                prev,
                place=p.place,
                location=p.text,
                geo_precision=p.precision,
                geo_method=p.method,
                place_explicit=True,
                fallback=False,
                area=False,
                fatalities=None,
                spans=[(sent.start, sent.end)],
                notes=[*prev.notes, "a further place of the incident told in a follow-up"],
                actors=list(prev.actors),
                guessed_actors=list(prev.guessed_actors),
            )
        )


def _told_here(drafts: list[Draft], sent: Sentence, places: list[PlaceMention]) -> Draft | None:
    """The violent event told a few sentences before at a town this sentence names (by its id)."""
    towns = {p.place.place_id for p in places if not p.area}
    return next(
        (
            d
            for d in reversed(drafts)
            if d.event_type in _VIOLENT
            and d.place.place_id in towns
            and 0 < sent.index - d.sentence.index <= 4
            and d.sentence.paragraph >= sent.paragraph - 2
        ),
        None,
    )


def _context_actors(drafts: list[Draft], etype: str, ctx: Context) -> list[str]:
    """Sides of the last event of the same type in this article, else the article's main actors."""
    for d in reversed(drafts):
        if d.event_type == etype and len(d.actors) >= 2:
            return d.actors
    return ctx.main_actors


def _paragraph_place(drafts: list[Draft], sent: Sentence) -> Draft | None:
    for d in reversed(drafts):
        if d.sentence.paragraph != sent.paragraph:
            return None
        if d.place_explicit and d.geo_precision <= 2:
            return d
    return None
