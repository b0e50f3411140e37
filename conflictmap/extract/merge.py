"""Article-level merging of drafts, event ids and the confidence score.

Split from ``assemble`` to keep modules small: these rules decide when two sentences describe
one incident (same type, day and place with compatible sides), and when a lead sentence that
names no place or date is only a summary of a detailed event reported later.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conflictmap.extract.draft import Draft
    from conflictmap.extract.places import PlaceMention
    from conflictmap.extract.sentences import Sentence


# "Other" strategic developments of different kinds are different events even on one day and
# place: a curfew announced and an operation launched are two rows for an analyst.
_RESTRICTION = re.compile(r"curfew|siege|besieg|blockade|emergency|closed the")


def _same_kind(a: Draft, b: Draft) -> bool:
    if a.sub_event_type == b.sub_event_type == "other":
        return bool(_RESTRICTION.search(a.trigger)) == bool(_RESTRICTION.search(b.trigger))
    return True


# Types whose sub-types are ways of telling one incident ("a drone attack" in the lead, "the
# shelling" in the detail): a coarse mention of one merges into a town-level one of another.
_VIOLENT = frozenset({"battle", "explosion_remote_violence", "violence_against_civilians"})


def _compatible(a: Draft, b: Draft) -> bool:
    sa, sb = set(a.actors), set(b.actors)
    return _same_kind(a, b) and (not sa or not sb or sa <= sb or sb <= sa)


def _absorb(keep: Draft, d: Draft) -> None:
    for span in d.spans:
        if span not in keep.spans:
            keep.spans.append(span)
    if keep.fatalities is None:
        keep.fatalities = d.fatalities
    for a in d.actors:
        if a not in keep.actors and len(keep.actors) < 2:
            keep.actors.append(a)


def _near_day(k: Draft, d: Draft) -> bool:
    """Same day, or a day apart when one of them is dated only by the publication ("on Monday"
    in the detail, the report's day in the lead)."""
    return k.day == d.day or (not (d.date_explicit and k.date_explicit) and abs((k.day - d.day).days) <= 1)


def _retype_told_attacks(drafts: list[Draft]) -> None:
    """ "...came under rocket attack twice. The first attack targeted the X base": an attack
    the article already typed by its weapon keeps that type in the sentences that tell it."""
    from conflictmap.extract.roles import bare_attack

    for i, d in enumerate(drafts):
        if d.event_type != "battle" or not bare_attack(d) or not _DEFINITE_ATTACK.search(d.sentence.text):
            continue
        told = next(
            (
                k
                for k in reversed(drafts[:i])
                if k.event_type == "explosion_remote_violence" and d.sentence.index - k.sentence.index <= 2
            ),
            None,
        )
        if told is not None:
            d.event_type, d.sub_event_type = told.event_type, told.sub_event_type
            if not d.date_explicit and told.date_explicit:
                d.day, d.date_precision, d.date_explicit = told.day, told.date_precision, True


def merge_drafts(drafts: list[Draft]) -> list[Draft]:
    """One draft per incident of an article, in text order.

    Drafts of the same type, day and place with compatible sides become one; then a lead that names
    no place or date of its own (or only a coarse one) is folded into the town-level draft that
    details it. Mutates the drafts it keeps."""
    _retype_told_attacks(drafts)
    out: list[Draft] = []
    for d in drafts:
        twin = next(
            (
                k
                for k in out
                if k.event_type == d.event_type
                and k.place.place_id == d.place.place_id
                and k.day == d.day
                and _compatible(k, d)
            ),
            None,
        )
        if twin:
            _absorb(twin, d)
            if (d.place_explicit and not twin.place_explicit) or d.geo_precision < twin.geo_precision:
                # "the army withdrew from Deir ez-Zor" then "the city centre of Deir ez-Zor ...":
                # the same place, told more precisely the second time
                twin.location, twin.geo_precision, twin.geo_method = d.location, d.geo_precision, d.geo_method
                twin.place_explicit, twin.fallback, twin.area = d.place_explicit, d.fallback, d.area
        else:
            out.append(d)
    final: list[Draft] = []
    for d in out:
        detail = next((k for k in out if _detail_of(k, d) or _weapon_of(k, d)), None)
        if detail is not None:
            own = detail.fatalities
            _absorb(detail, d)
            if d.date_explicit and not detail.date_explicit:
                # "attacked on Monday" in the lead, the detail dated only by the report's day
                detail.day, detail.date_precision, detail.date_explicit = d.day, d.date_precision, True
            if sum(_detail_of(k, d) for k in out) > 1:
                detail.fatalities = own  # the lead's toll sums several incidents: not this one's
        else:
            final.append(d)
    return final


_DEFINITE_ATTACK = re.compile(r"\b(?:the|this|that|its)\s+(?:\w+\s+)?attack\b", re.I)


def _weapon_of(k: Draft, d: Draft) -> bool:
    """ "The attack on Sunday was the third on the base. Three rockets landed inside it": the
    bare attack is the rocket fire told in the next sentence (same place, a day apart at most)."""
    from conflictmap.extract.roles import bare_attack

    return (
        k is not d
        and d.event_type == "battle"
        and k.event_type == "explosion_remote_violence"
        and k.place.place_id == d.place.place_id
        and abs(k.sentence.index - d.sentence.index) <= 2
        and (_near_day(k, d) or (not k.date_explicit and 0 <= (k.day - d.day).days <= 7))
        and bare_attack(d)
        and bool(_DEFINITE_ATTACK.search(d.sentence.text))  # "the attack", not "launched an attack"
    )


def _detail_of(k: Draft, d: Draft) -> bool:
    """``k`` is the town-level telling of ``d``, a lead that names no place or date of its own,
    or only the governorate or a region (same type, a day apart at most)."""
    vague = d.fallback and not d.date_explicit
    coarse = d.geo_precision == 3 or d.fallback or d.area or not d.place_explicit
    return (
        k is not d
        and k.event_type == d.event_type
        and (
            k.sub_event_type == d.sub_event_type or (coarse and not d.secondary and d.event_type in _VIOLENT)
        )
        and k.place_explicit
        and not k.area
        and _same_kind(k, d)
        and _same_side(k, d)
        and (vague or (coarse and _near_day(k, d)))
    )


def _same_side(k: Draft, d: Draft) -> bool:
    """Not a reply: "regime forces shelled X ... the SDF responded by shelling Y" are two
    incidents, whatever places they name (strikes and shelling: the first actor fired).
    Unknown attackers agree with anyone."""
    if k.event_type != "explosion_remote_violence":
        return True  # a battle has two sides; the order the text names them in says nothing
    a, b = k.actors[:1], d.actors[:1]
    return not (
        a and b and a != b and not a[0].startswith("Unidentified") and not b[0].startswith("Unidentified")
    )


def event_id(article_id: str, spans: list[tuple[int, int]], event_type: str, place_id: str | None) -> str:
    """A stable 16-hex id from the article, the first evidence span, the type and the place.

    Stable across runs so ``reextract`` can compare old and new events by id; any change to one of
    those four gives a new id."""
    key = f"{article_id}|{spans[0][0]}:{spans[0][1]}|{event_type}|{place_id or ''}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]  # noqa: S324 - an id, not security


STUDY_AREA = "Deir ez-Zor"
_QUOTED = re.compile(r"[“\"][^”\"]{12,}[”\"]|^\W*[“\"]")


def in_study_area(d: Draft) -> bool:
    """The event's place lies in the governorate the map is about."""
    return d.place.admin1 == STUDY_AREA


def confidence(d: Draft) -> float:
    """The extractor's own estimate of how likely the row is right, from what the text gave it.

    Weights were set from the calibration table of ``conflictmap evaluate --folds 5`` on the
    folds of the dev corpus read while writing rules (what predicts a wrong row there: a place
    no finer than the governorate, a place taken from the article rather than the sentence,
    quoted speech, an event outside the study area):
    0.5 base; +0.2 the sentence names a town or site (+0.15 a district, bank or "near" a town);
    -0.15 the place is the article's, not the sentence's; -0.1 a governorate-level place and no
    date of its own; -0.15 the sentence is quoted speech; +0.05 the sentence dates the event;
    +0.05 both sides named; -0.05 hedged wording ("reportedly", "claimed", "unconfirmed"); -0.1 a
    secondary clause of a longer sentence; -0.3 outside the study area (Deir ez-Zor governorate):
    only an out-of-area event the sentence places and dates well stays above the threshold.
    Clipped to [0.05, 0.95]. ``CONFIDENCE_THRESHOLD`` (package ``extract``) cuts below.

    Hedges (EVENTS.md codes what was reported, and ACLED codes single-source claims): an adverbial
    hedge ("reportedly", "allegedly", "likely") keeps the event at lower confidence; a claimed
    state with no date of its own ("sources claimed the SDF had withdrawn") or a claim the outlet
    says it could not verify is not coded at all (``triggers._blocked``: "unverified claim")."""
    c = 0.5
    c += 0.2 if d.geo_precision == 1 and d.place_explicit else 0.15 if d.geo_precision == 2 else 0.0
    c -= 0.15 if d.fallback or not d.place_explicit else 0.0
    c -= 0.1 if (d.geo_precision == 3 or d.area) and not d.date_explicit else 0.0
    c -= 0.15 if _QUOTED.search(d.sentence.text) else 0.0
    c += 0.05 if d.date_explicit else 0.0
    c += 0.05 if len(d.actors) >= 2 else 0.0
    c -= 0.05 if d.hedged else 0.0
    c -= 0.1 if d.secondary else 0.0
    c -= 0.3 if not in_study_area(d) else 0.0
    return round(min(0.95, max(0.05, c)), 2)


# --- follow-up sentences: 'The attack killed three' adds to the event before it ---------------


def previous_event(drafts: list[Draft], sent: Sentence, places: list[PlaceMention]) -> Draft | None:
    """The event a follow-up sentence is about: from the last sentence that gave one, the
    event at the place this sentence names (if any), else the last."""
    if not drafts:
        return None
    last = drafts[-1]
    if sent.index - last.sentence.index > 2 or sent.paragraph - last.sentence.paragraph > 1:
        return None
    recent = [d for d in drafts if d.sentence.index == last.sentence.index]
    ids = {p.place.place_id for p in places if not p.area}
    return next((d for d in recent if d.place.place_id in ids), last)


def same_place(places: list[PlaceMention], prev: Draft) -> bool:
    """Whether a follow-up sentence can be about ``prev``: it names no town, names ``prev``'s town,
    or ``prev`` was placed no finer than a region (the follow-up may then give its town)."""
    towns = [p for p in places if not p.area]
    if not towns:
        return True
    return any(p.place.place_id == prev.place.place_id for p in towns) or _coarse(prev)


def _coarse(d: Draft) -> bool:
    """Placed no finer than a governorate, a region or the article's area."""
    return not d.place_explicit or d.area or d.geo_precision == 3


def merge_follow_up(
    prev: Draft, sent: Sentence, text: str, fat: int | None, places: list[PlaceMention], actors: list[str]
) -> None:
    """Fold a follow-up sentence ("The attack killed three") into ``prev``, in place.

    It fills a toll ``prev`` lacks, gives a coarsely placed ``prev`` its town, adds sides up to two
    (named civilians replace a side only guessed from context) and adds the sentence's span."""
    if fat is not None and prev.fatalities is None:
        prev.fatalities = fat
    towns = [p for p in places if not p.area]
    if towns and _coarse(prev):  # "The target was the X base": the lead's region gets its town
        p = towns[0]
        prev.place, prev.location, prev.geo_precision, prev.geo_method = (
            p.place,
            p.text,
            p.precision,
            p.method,
        )
        prev.place_explicit, prev.fallback, prev.area = True, False, False
    if (
        "Civilians" in actors
        and "Civilians" not in prev.actors
        and prev.event_type in ("explosion_remote_violence", "violence_against_civilians")
    ):
        # "The shelling killed a woman": the victims the follow-up names are the target, in place
        # of a side only guessed from the rest of the article
        prev.actors = [a for a in prev.actors if a not in prev.guessed_actors]
        if len(prev.actors) < 2:
            prev.actors.append("Civilians")
    for a in actors:
        if a not in prev.actors and len(prev.actors) < 2 and a != "Civilians":
            prev.actors.append(a)
    if (sent.start, sent.end) not in prev.spans:
        prev.spans.append((sent.start, sent.end))


def no_casualties(sent: Sentence, drafts: list[Draft]) -> None:
    """'No casualties were reported.': a sentence with no event of its own that says nobody
    died belongs to the events of the sentence before (0 deaths where none was stated)."""
    from conflictmap.extract.numbers import fatalities as _fatalities

    if not drafts or sent.index - drafts[-1].sentence.index > 1 or _fatalities(sent.text) != (0, False):
        return
    for d in drafts:
        if d.sentence.index == drafts[-1].sentence.index and d.fatalities is None:
            d.fatalities = 0
            d.spans.append((sent.start, sent.end))
