"""Arabic sentences -> drafts of events, in the English pipeline's ``Draft`` shape.

Per sentence: triggers (what happened; negated, hedged-future and background sentences
dropped), the date phrase nearest the trigger (else the last date the article gave, else the
publication day), places (the sentence's own, else the place of the previous event of the
paragraph, else the article's area), actors and deaths. Follow-up sentences ("وأسفر الهجوم عن
مقتل ...") add to the event before them. The drafts then go through the English ``merge_drafts``
(one event per incident, type, day and place), and are turned into ``Event`` rows by the same
code as English ones (``extract.extract_article_counted``): same schema, confidence and ids.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date

from conflictmap.extract.actors import AIR_ACTORS, STRIKING_ACTORS, order_actors
from conflictmap.extract.arabic.actors import Mention, drone_named, find_actors, hedged, pick_actors
from conflictmap.extract.arabic.dates import DateHit, find_dates
from conflictmap.extract.arabic.numbers import fatalities
from conflictmap.extract.arabic.places import PlaceHit, drop_containers, find_places
from conflictmap.extract.arabic.sentences import ArSentence, split_sentences
from conflictmap.extract.arabic.tables import trigger_rules, trigger_scanner, words
from conflictmap.extract.arabic.text import Folded, fold_with_offsets
from conflictmap.extract.assemble import MAX_SPLIT
from conflictmap.extract.draft import Draft
from conflictmap.extract.merge import merge_drafts
from conflictmap.extract.triggers import Trigger
from conflictmap.geo.gazetteer import Gazetteer
from conflictmap.models import REGIME_CHANGE, Place

STALE_DAYS = 45  # a month- or year-dated event older than this is background, not news


@dataclass
class ArContext:
    """What the article-level steps found; the shape ``extract_article_counted`` reads."""

    gaz: Gazetteer
    published: date | None
    text: str  # the original article text
    folded: Folded
    places: list[PlaceHit]
    area: PlaceHit | None
    unresolved: list[str] = field(default_factory=list)
    undated: int = 0
    anchor: date | None = None
    last_date: tuple[date, str] | None = None
    main_actors: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)  # actors of the whole folded text
    trigger_matches: list[Trigger] = field(default_factory=list)  # trigger matches of the whole text
    generic: set[int] = field(default_factory=set)  # indices of drafts typed only by "هجوم"/"استهداف"


def find_triggers(text: str, cands: list[Trigger] | None = None) -> list[Trigger]:
    """Trigger words of a folded sentence, non-overlapping (longer, then higher priority first),
    without the negated ("لم تسفر", "نفت") and the intended or feared ("تعتزم", "تهدد").
    ``cands``: the sentence's matches when the article was searched once (``trigger_matches``)."""
    cands = list(trigger_matches(text) if cands is None else cands)
    cands.sort(key=lambda t: (-(t.end - t.start), -t.priority))
    kept: list[Trigger] = []
    for t in cands:
        if any(t.start < k.end and k.start < t.end for k in kept):
            continue
        if _negated(text, t) or _intended(text, t) or _framing(text, t) or _retreat(text, t):
            continue
        if _stance(text, t) or _conditional(text, t):
            continue
        kept.append(t)
    return sorted(kept, key=lambda t: t.start)


def trigger_matches(text: str) -> list[Trigger]:
    """Every match of every trigger rule in ``text`` (overlaps included)."""
    cands = []
    for rule, found in zip(trigger_rules(), trigger_scanner().scan(text), strict=True):
        for m in found:
            cands.append(
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
    return cands


def _negated(text: str, t: Trigger) -> bool:
    before = text[max(0, t.start - 22) : t.start]
    return bool(
        re.search(
            r"(?<!\w)[وف]?(?:لم|لن|لا|ليس|نفى|نفت|ينفي|تنفي|عدم|دون|بدون|نافيا|نافيه)\s+(?:\w+\s+)?$", before
        )
    )


def _framing(text: str, t: Trigger) -> bool:
    """ "بعد مواجهات مع ..." / "عقب الضربات": an event named to say when or why, told (if at
    all) in a sentence of its own; not this sentence's event. But "قتل عنصر ... إثر هجوم":
    deaths told first, then "as a result of" an attack, name the attack that killed them."""
    before = text[max(0, t.start - 14) : t.start]
    m = re.search(r"(?:^|\s)(" + "|".join(_FRAMING) + r")\s+(?:\S+\s+)?$", before)
    if not m:
        return False
    if m.group(1) in _CAUSE and _DEATHS_BEFORE.search(text[: t.start - len(before) + m.start(1)]):
        return False
    return True


_CAUSE = ("اثر", "على اثر", "جراء")
_DEATHS_BEFORE = re.compile(r"(?<!\w)(?:قتل|مقتل|مصرع|اصيب|اصابه|جرح|استشهد|قضى)")


_FRAMING = (
    "بعد",
    "عقب",
    "اثر",
    "على اثر",
    "جراء",
    "في اعقاب",
    "قبل",
    "على خلفيه",
    "ردا على",
    "انتقاما",
    "منذ",
)


def _retreat(text: str, t: Trigger) -> bool:
    """ "انسحبوا باتجاه بلدة ..." : fighters falling back, not a handover of ground."""
    return t.sub_event_type == "non-violent transfer of territory" and bool(
        re.match(r"\s*(?:\S+\s+){0,2}(?:باتجاه|نحو|الى)(?!\w)", text[t.end : t.end + 30])
    )


def _intended(text: str, t: Trigger) -> bool:
    """Planned, feared or announced, not done: a modal word shortly before the trigger
    ("تعتزم"، "تهدد"), a future verb before it in its sentence ("ستشن هجمات"، "سيرد التحالف
    بقصف"، "سوف") or a word just before it that starts like one ("ستستهدف")."""
    before = text[max(0, t.start - 50) : t.start]
    if words("modal", False).search(before) or words("future", False).search(text, 0, t.start):
        return True
    m = re.search(r"(?<!\w)[وف]?(س[تين]\w+)\s+$", before)
    return m is not None and m.group(1) not in _NOT_FUTURE


# words that begin with س + ت/ي/ن but are no future verb: a car, control, six, sixty, a lady,
# a year, years, politics (a trigger after them is told, not announced)
_NOT_FUTURE = frozenset(
    (
        "سياره",
        "سيارات",
        "سيارتين",
        "سيطره",
        "سيطرتها",
        "سيطرته",
        "سيطرتهم",
        "سته",
        "ستين",
        "ستون",
        "سيده",
        "سيدات",
        "سنه",
        "سنوات",
        "سنتين",
        "سياسه",
        "سياسي",
        "سياسيه",
        "سير",
        "سيرا",
    )
)


def _stance(text: str, t: Trigger) -> bool:
    """ "اتهمت قسد الحكومة بالوقوف وراء الهجوم" / "ندد الأهالي بالقصف" / "نفت الميليشيات وقوع
    قتلى جراء الغارات" / "طالب الوجهاء بالتحقيق في الهجوم": a trigger after an accusation,
    condemnation, demand, warning, threat or denial in its sentence is what someone says about
    an incident (told, if at all, in a sentence of its own), not the incident told."""
    return bool(words("stance_verbs", False).search(text, 0, t.start))


def _conditional(text: str, t: Trigger) -> bool:
    """ "في حال قيام الميليشيات بهجوم ..." / "إذا استمر القصف": a trigger after a condition in
    its sentence may happen; it has not."""
    return bool(words("conditional", False).search(text, 0, t.start))


def _refine(text: str, t: Trigger, civilians: bool, armed: list[Mention]) -> Trigger:
    """A generic attack word (هجوم، استهداف) takes the type its weapon gives it; shots at
    civilians by unknown gunmen are violence against civilians, not a battle."""
    if t.kind not in ("generic", "shoot", "kill"):
        return t
    if t.kind == "generic":
        window = text[max(0, t.start - 30) : t.end + 70]
        if words("air_words").search(window):
            return Trigger(
                t.start, t.end, t.text, "explosion_remote_violence", "air/drone strike", 80, "noun"
            )
        if words("ied_words").search(window):
            return Trigger(
                t.start,
                t.end,
                t.text,
                "explosion_remote_violence",
                "remote explosive/landmine/ied",
                76,
                "noun",
            )
        if words("shell_words").search(window):
            return Trigger(
                t.start,
                t.end,
                t.text,
                "explosion_remote_violence",
                "shelling/artillery/missile attack",
                78,
                "noun",
            )
    perps = {m.actor for m in armed}
    if civilians and (not perps or perps <= {"Unidentified armed group"} or t.kind == "kill"):
        return Trigger(t.start, t.end, t.text, "violence_against_civilians", "attack", 55, "verb")
    return t


def _date_for(text: str, t: Trigger, dates: list[DateHit]) -> DateHit | None:
    usable = [d for d in dates if d.day is not None]
    if not usable:
        return None
    return min(usable, key=lambda d: abs(d.start - t.start) if d.start > t.start else abs(t.start - d.end))


def extract_drafts(
    text: str, title: str | None, published: date | None, gaz: Gazetteer
) -> tuple[list[Draft], ArContext]:
    """Drafts of one Arabic article, merged as English ones are."""
    folded = fold_with_offsets(text)
    places = find_places(folded.text, gaz)
    sentences = split_sentences(text, folded, title)
    area = next((p for p in places if p.role == "event" and p.place.admin1 == "Deir ez-Zor"), None)
    if area is None:
        area = next((p for p in places if p.place.admin1 == "Deir ez-Zor"), None)
    ctx = ArContext(gaz, published, text, folded, places, area)
    ctx.mentions = find_actors(folded.text, published)
    ctx.trigger_matches = trigger_matches(folded.text)
    counts = Counter(m.actor for m in ctx.mentions if m.actor != "Civilians")
    ctx.main_actors = [a for a, _ in counts.most_common(2)]
    drafts: list[Draft] = []
    for s in sentences:
        _sentence(s, ctx, drafts)
    _retype_generic(drafts, ctx.generic)
    return merge_drafts(drafts), ctx


def _retype_generic(drafts: list[Draft], generic: set[int]) -> None:
    """ "هجوم مزدوج" in the lead, "فجر نفسه بحزام ناسف" further on: an attack told without its
    weapon takes the type the article gives it a few sentences later (same day, same place or
    none of its own), and the two then merge into one event."""
    for i, d in enumerate(drafts):
        if i not in generic:
            continue
        told = next(
            (
                k
                for k in drafts
                if k.event_type == "explosion_remote_violence"
                and 0 < k.sentence.index - d.sentence.index <= 4
                and k.day == d.day
                and (k.place.place_id == d.place.place_id or not k.place_explicit)
            ),
            None,
        )
        if told is not None:
            d.event_type, d.sub_event_type = told.event_type, told.sub_event_type
            told.place, told.location, told.geo_precision = d.place, d.location, d.geo_precision
            told.geo_method, told.place_explicit, told.fallback, told.area = (
                d.geo_method,
                d.place_explicit,
                d.fallback,
                d.area,
            )


def _sentence(s: ArSentence, ctx: ArContext, drafts: list[Draft]) -> None:
    text = s.folded
    end = s.fstart + len(text)
    trigs = find_triggers(
        text,
        [
            replace(t, start=t.start - s.fstart, end=t.end - s.fstart)
            for t in ctx.trigger_matches
            if s.fstart <= t.start and t.end <= end
        ],
    )
    fat, speaks_of_deaths = fatalities(text)
    dates = find_dates(text, ctx.published)
    explicit = [d for d in dates if d.day is not None and d.kind != "year"]
    prev = drafts[-1] if drafts else None
    near_prev = prev is not None and s.sentence.index - prev.sentence.index <= 2
    if not trigs:
        if prev is not None and near_prev and fat is not None and not explicit and prev.fatalities is None:
            prev.fatalities = fat  # "وأسفر ذلك عن مقتل ثلاثة": the toll of the event just told
            prev.spans.append((s.sentence.start, s.sentence.end))
        return
    if _background(text, dates, ctx.published):
        return
    on = explicit[0].day if explicit else ctx.published
    if (
        on is not None
        and ctx.published is not None
        and (on < REGIME_CHANGE) == (ctx.published < REGIME_CHANGE)
    ):
        mentions = [  # the article was searched once with the labels of its publication day
            Mention(m.start - s.fstart, m.end - s.fstart, m.actor)
            for m in ctx.mentions
            if s.fstart <= m.start and m.end <= end
        ]
    else:
        mentions = find_actors(text, on)
    civilians = any(m.actor == "Civilians" for m in mentions)
    armed = [m for m in mentions if m.actor != "Civilians"]
    main = [t for t in trigs if t.kind != "kill"]
    if not main:
        kill = trigs[0]
        if prev is not None and near_prev and not explicit:
            if prev.fatalities is None:
                prev.fatalities = fat
            prev.spans.append((s.sentence.start, s.sentence.end))
            return
        if not (civilians or words("gun_words").search(text)):
            return  # "تسببت بمقتل عناصر": deaths of an event told elsewhere, no event of its own
        main = [kill]
    main = [_refine(text, t, civilians, armed) for t in main]
    t = max(main, key=lambda x: (x.priority, -x.start))
    own = drop_containers([p for p in ctx.places if s.fstart <= p.start and p.end <= s.fstart + len(text)])
    if not [p for p in own if p.role == "event"]:
        own = own + _definite_place(s, ctx)
    if (
        prev is not None
        and near_prev
        and not explicit
        and (words("anaphora").fullmatch(t.text) or t.event_type == prev.event_type)
        and (
            not [p for p in own if p.role == "event"]
            or any(p.place.place_id == prev.place.place_id for p in own)
        )
    ):
        if prev.fatalities is None:
            prev.fatalities = fat  # "الهجوم أسفر عن ...": more of the event before
        prev.spans.append((s.sentence.start, s.sentence.end))
        return
    _build(s, ctx, drafts, t, own, dates, mentions, fat, speaks_of_deaths)


def _definite_place(s: ArSentence, ctx: ArContext) -> list[PlaceHit]:
    """ "البلدة" / "وسط المدينة" with no name: the town named last before this sentence."""
    m = words("definite_places", False).search(s.folded)
    if m is None:
        return []
    here = m.start() + s.fstart
    if m.group(0).strip().endswith("مدينه"):  # "وسط المدينة": the city named last, even as a governorate
        before = [p for p in ctx.places if p.end <= here and p.place.kind == "city"]
    else:
        before = [p for p in ctx.places if p.end <= here and not p.area and p.role == "event"]
    if not before:
        return []
    p = before[-1]
    if p.place.kind == "city":
        p = PlaceHit(p.start, p.end, p.place, p.method, 1, p.role, False, p.capital)
    how = f"context: the town named before ({m.group(0).strip()})"
    return [PlaceHit(p.start, p.end, p.place, how, p.precision, "event", False, p.capital)]


_NOT_NAMES = ("الساحليه", "السوريه", "المذكوره", "نفسها", "ذاتها", "المجاوره", "المتاخمه")


def _unresolved_name(text: str) -> str | None:
    """A place word followed by a name the gazetteer does not know ("مدينة طرطوس"): the event
    happened there, so it must not be moved to the article's area."""
    for m in re.finditer(r"(?<!\w)[وف]?[بل]?(?:مدينه|بلده|قريه)\s+(?P<n>(?:ال)?[\u0621-\u064a]{3,})", text):
        if m["n"] not in _NOT_NAMES:
            return m["n"]
    return None


# "سبع هجمات ... خلال الأسبوع": attacks counted over a period, a tally (however it is dated: the
# day such a sentence names is the day the tally was announced)
_TALLY = re.compile(
    r"(?<!\w)(?:\d+|[\u0660-\u0669]+|ثلاث|اربع|خمس|ست|سبع|ثماني|تسع|عشر|عده|عشرات)\s+"
    r"(?:هجمات|عمليات|هجوما|ضربات|غارات|استهدافات)(?!\w)[^.،؛]*?خلال\s+(?:ال)?(?:اسبوع|شهر|ايام|اسابيع|اشهر|عام|سنه)"
)


def _background(text: str, dates: list[DateHit], pub: date | None) -> bool:
    """A sentence that recalls the past or sums a period: background words with no day of its
    own, a count of attacks over a period, or dated only by a month or year well before the
    report."""
    if _TALLY.search(text):
        return True
    day_dates = [d for d in dates if d.precision == "day" and d.day is not None]
    if words("background", False).search(text) and not day_dates:
        return True
    coarse = [d for d in dates if d.precision in ("month", "year") and d.day is not None]
    return bool(
        coarse
        and not day_dates
        and pub is not None
        and all(d.day is not None and (pub - d.day).days > STALE_DAYS for d in coarse)
    )


def _build(
    s: ArSentence,
    ctx: ArContext,
    drafts: list[Draft],
    t: Trigger,
    own: list[PlaceHit],
    dates: list[DateHit],
    mentions: list[Mention],
    fat: int | None,
    speaks_of_deaths: bool,
) -> None:
    text = s.folded
    hit = _date_for(text, t, [d for d in dates if d.kind != "year"])
    if hit is not None and hit.day is not None:
        day, precision, date_explicit = hit.day, hit.precision, True
        ctx.last_date = (hit.day, hit.precision)
    elif ctx.last_date is not None:
        (day, precision), date_explicit = ctx.last_date, False
    elif ctx.published is not None:
        day, precision, date_explicit = ctx.published, "day", False
    else:
        ctx.undated += 1
        return
    if ctx.published and (day < REGIME_CHANGE <= ctx.published or ctx.published < REGIME_CHANGE <= day):
        mentions = find_actors(text, day)  # the event falls on the other side of the labels' date
    etype, sub = t.event_type, t.sub_event_type
    actors = pick_actors(text, t.start, t.end, mentions, etype)
    if sub == "air/drone strike":
        named_air = [a for a in actors if a in AIR_ACTORS and a != "Unidentified drone"]
        if named_air:
            actors = [a for a in actors if a != "Unidentified drone"]
        elif "Unidentified drone" not in actors and "Unidentified aircraft" not in actors:
            earlier = [d.actors[0] for d in drafts if d.actors and d.actors[0] in STRIKING_ACTORS]
            actors.insert(
                0,
                earlier[-1]
                if earlier
                else ("Unidentified drone" if drone_named(text) else "Unidentified aircraft"),
            )
    elif etype == "explosion_remote_violence" and not [a for a in actors if a != "Civilians"]:
        actors.insert(0, "Unidentified armed group")
    if etype == "violence_against_civilians":
        if not [a for a in actors if a != "Civilians"]:
            actors.insert(0, "Unidentified armed group")
        if "Civilians" not in actors:
            actors.append("Civilians")
    guessed: list[str] = []
    if etype == "battle" and len([a for a in actors if a != "Civilians"]) < 2:
        for a in ctx.main_actors:
            if a not in actors and len([x for x in actors if x != "Civilians"]) < 2:
                actors.append(a)
                guessed.append(a)
    if (
        etype == "battle"
        and sub == "non-state actor overtakes territory"
        and actors[:1] in (["Syrian regime forces"], ["Other: Syrian transitional government"])
    ):
        sub = "government regains territory"
    # where people were taken from, whose ground was handed over, whose residents came out: the
    # "من أهالي X" place is the event's when the sentence names no other
    arrest_like = etype == "protest" or sub in (
        "arrest",
        "abduction/forced disappearance",
        "non-violent transfer of territory",
    )
    event_places = [p for p in own if p.role == "event"]
    if not event_places and arrest_like:
        event_places = [p for p in own if p.role in ("origin", "relative")]
    towns = [p for p in event_places if not p.capital and not p.area]
    if towns:
        event_places = [p for p in event_places if not (p.capital or p.area)] or event_places
    seen: set[str] = set()
    chosen: list[PlaceHit] = []
    for p in event_places:
        if p.place.place_id not in seen:
            seen.add(p.place.place_id)
            chosen.append(p)
    notes: list[str] = []
    if len(chosen) > MAX_SPLIT:
        notes.append(f"list of {len(chosen)} places; coded to the first")
        chosen = chosen[:1]
    targets: list[tuple[Place, str, int, str, bool, bool, bool]] = []
    for p in chosen:
        targets.append((p.place, _original(ctx, p), p.precision, p.method, True, False, p.area))
    if not targets and _unresolved_name(text):
        ctx.unresolved.append(_unresolved_name(text) or "")
        return
    if not targets:
        ctx_place = next(
            (
                d
                for d in reversed(drafts)
                if d.sentence.paragraph == s.sentence.paragraph and d.place_explicit
            ),
            None,
        )
        stale = ctx.published is not None and (ctx.published - day).days > 14
        if ctx_place is not None:
            targets.append(
                (
                    ctx_place.place,
                    ctx_place.location,
                    2,
                    "context: place of the previous sentence",
                    False,
                    False,
                    False,
                )
            )
        elif ctx.area is not None and not stale:
            area = ctx.area
            prec = 3 if area.capital or area.precision == 3 else 2
            targets.append(
                (area.place, _original(ctx, area), prec, "context: the article's area", False, True, True)
            )
        else:
            ctx.unresolved.append("(no place)")
            return
    fat_one = fat if len(targets) == 1 else None
    for place, loc, prec, method, explicit_place, fallback, is_area in targets:
        if t.kind == "generic" and etype == "battle":
            ctx.generic.add(len(drafts))
        drafts.append(
            Draft(
                sentence=s.sentence,
                event_type=etype,
                sub_event_type=sub,
                day=day,
                date_precision=precision if precision in ("day", "week", "month") else "month",
                date_explicit=date_explicit,
                actors=order_actors(actors, etype, sub),
                place=place,
                location=loc,
                geo_precision=prec,
                geo_method=method,
                place_explicit=explicit_place,
                fallback=fallback,
                fatalities=fat_one,
                hedged=hedged(text),
                secondary=False,
                trigger=t.text,
                area=is_area,
                spans=[(s.sentence.start, s.sentence.end)],
                notes=list(notes),
                guessed_actors=guessed,
            )
        )


def _original(ctx: ArContext, p: PlaceHit) -> str:
    """The place name as the article writes it (attached letters already left out)."""
    start, end = ctx.folded.span(p.start, p.end)
    return ctx.text[start:end]
