"""Place mentions in a sentence, resolved through the gazetteer, with their role and precision.

A sentence's own towns win over the article's area; a town named as an origin ("gunmen from X")
or as a reference point ("Dhiban, east of Deir ez-Zor") is not where the event happened.
Governorate-level wording ("the province", "Deir ez-Zor countryside") is coded to the
governorate capital at precision 3, or 2 when a direction or bank narrows it (EVENTS.md).
Capitalised names after "in"/"near" that the gazetteer does not know are reported, not guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from conflictmap.extract.roles import load_roles, person_or_outlet
from conflictmap.extract.rules import load_lexicon
from conflictmap.geo.gazetteer import GOVERNORATES, Gazetteer, Resolution, norm_exact
from conflictmap.models import Place, km_between

_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f\u0600-\u06ff][\w’'‘`\u0600-\u06ff]*(?:-[\w’'‘`\u0600-\u06ff]+)*")
# "the Omar oil field", "the Tishrin dam": a site's lowercase generic noun is part of its name
_SITE_TAIL = re.compile(
    r"\s(?:oil|gas)\s+fields?$|\s(?:field|dam|airport|airbase|camp|base|bridge|crossing|prison)$"
)
_ARTICLE_PREFIX = re.compile(r"^(?:al|el|as|ash|ad|ar|at|az|an|ath)-[A-Z\u0600-\u06ff]")
_GOV_AFTER = re.compile(r"^\W{0,2}\s*(?:province|governorate|countryside|region)\b", re.I)
_GOV_BEFORE = re.compile(r"\b(?:countryside|province|governorate)\s+of\s+(?:the\s+)?$", re.I)
_DIRECTION = re.compile(
    r"\b((?:north|south)?(?:east|west)ern|northern|southern|central)\s+(?:(?:countryside|province|governorate|parts?)\s+of\s+(?:the\s+)?)?$",
    re.I,
)
_ORIGIN = re.compile(
    r"\b(?:from|an? (?:resident|native) of|originally from|hails from)\s+(?:the\s+)?"
    r"(?:(?:town|village|city|area|direction)\s+of\s+)?$",
    re.I,
)
# "forces stationed in X fired shells at Y": X is where the fire came from, Y where it fell
_POSTED = re.compile(
    r"\b(?:stationed|positioned|deployed|based|entrenched)\s+(?:in|at)\s+(?:the\s+)?"
    r"(?:(?:town|village|city|area)\s+of\s+)?$",
    re.I,
)
_FIRED_AFTER = re.compile(
    r"^[^.;]{0,80}?\b(?:fired|shelled|targeted|launched|bombarded|struck|opened fire)\b", re.I
)
_RELATIVE = re.compile(r"\b(?:(?:north|south)?(?:east|west)|north|south)\s+of\s+(?:the\s+)?$", re.I)
# what a "north of B" phrase locates: a place named just before it ("Dhiban, east of B", "the
# village of X, 5 km south of B", "an area north of B")
_REFERENCE_FOR = re.compile(
    r"(?:[A-Z][\w’'-]*|\b(?:village|town|city|area|site|base|field|camp|checkpoint|position|road))\s*,?\s*"
    r"(?:(?:about|some|around|roughly|nearly)\s+)?(?:\d+(?:\.\d+)?\s*(?:km|kms|kilometres|kilometers|miles)\s+)?$"
)
_NEAR = re.compile(
    r"\b(?:near|outside|around|close to|vicinity of|outskirts of|suburbs of|edge of)\s+(?:the\s+)?(?:(?:town|village|city)\s+of\s+)?$",  # noqa: E501
    re.I,
)
# "on the road between Thiban and al-Hawayij": the first town locates the event (near it), the
# second is only the other end of the road.
_ROAD = r"\b(?:road|highway|route|stretch|desert road)\s+(?:between|linking|connecting|from)\s+(?:the\s+)?(?:(?:towns?|villages?|cit(?:y|ies))\s+of\s+)?"
_ROAD_FIRST = re.compile(_ROAD + r"$", re.I)
_ROAD_SECOND = re.compile(
    _ROAD
    + r"[\w’'-]+(?:\s+[\w’'-]+){0,2}\s+(?:and|with|to)\s+(?:the\s+)?(?:(?:town|village|city)\s+of\s+)?$",
    re.I,
)
_AREA_AFTER = re.compile(r"^\s+(?:area|areas|region|district|countryside)\b", re.I)
_BOUNDARY_AFTER = re.compile(
    r"^\s*(?:(?:governorates?|provinces?)\s+)?(?:border(?!\s+(?:crossing|post|gate))(?:s| line| lines| area)?|boundary|frontier|administrative line)\b",
    re.I,
)
_CITY_AFTER = re.compile(r"^\s+(?:city|town)\b", re.I)
_CITY_BEFORE = re.compile(r"\b(?:city|town) of\s+$", re.I)  # "the city of Deir ez-Zor": the city
_UNRESOLVED_CUE = re.compile(r"\b(?:in|near|at|outside|(?:town|village|city|area) of)\s+(?:the\s+)?$", re.I)
_AREA_PHRASE = re.compile(
    r"\b(?:the|this|that|entire|whole)\s+(?:entire\s+)?(?:((?:north|south)?(?:east|west)ern|northern|southern)\s+)?"
    r"(province|governorate|countryside)\b(?!\s+of\b)",
    re.I,
)


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """English function words ("There", "These", "Whereas" at a sentence start): never read as
    a place by a loose spelling match (folded, "There" is the district al-Thawra). spaCy's list,
    loaded with the sentence splitter anyway."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


@dataclass(frozen=True)
class PlaceMention:
    """A gazetteer place named in the text, with how it was resolved and what it is to the event.

    ``role``: "event" (where it happened), "origin" (where fire came from) or "relative" (a
    reference point or boundary); ``area``: a governorate or countryside, not a named town."""

    start: int
    end: int
    text: str
    place: Place
    method: str
    precision: int
    role: str  # "event", "origin", "relative"
    area: bool  # governorate / countryside level, not a named town


def _governorate_named(place: Place) -> bool:
    for _gov, (_admin1, names) in GOVERNORATES.items():
        if place.kind == "city" and any(norm_exact(n) == norm_exact(place.name) for n in names[:1]):
            return True
    return False


def _capital(gaz: Gazetteer, place: Place) -> Place:
    return gaz.governorate_capital(place.admin1 or "Deir ez-Zor") or place


def find_places(
    text: str, gaz: Gazetteer, masked: list[tuple[int, int]] | None = None, area_place: Place | None = None
) -> tuple[list[PlaceMention], list[tuple[int, str]]]:
    """Resolved mentions in text order, and (offset, name) of names that looked like places
    but did not resolve."""
    lex = load_lexicon()
    masked = masked or []
    toks = [m for m in _TOKEN.finditer(text) if not any(s <= m.start() < e for s, e in masked)]
    out: list[PlaceMention] = []
    unresolved: list[tuple[int, str]] = []
    i = 0
    while i < len(toks):
        tok = toks[i].group(0)
        if not (tok[0].isupper() or _ARTICLE_PREFIX.match(tok) or "\u0600" <= tok[0] <= "\u06ff"):
            i += 1
            continue
        hit = None
        for n in range(min(4, len(toks) - i), 0, -1):
            span_start, span_end = toks[i].start(), toks[i + n - 1].end()
            if re.search(r"[,.;:()]", text[span_start:span_end]):
                continue
            span = re.sub(r"[’']s$", "", text[span_start:span_end])
            if span in lex.not_places or (n == 1 and len(span) < 3):
                continue
            if n > 1 and toks[i + n - 1].group(0).islower() and not _SITE_TAIL.search(span):
                continue  # "Deir az-Zour as well": a trailing lowercase word is not part of a name
            loose = n > 1 or (
                len(span) >= 5
                and span.lower() not in _english_words()
                and span not in load_roles().place_nouns
            )
            res = gaz.lookup(span, allow_skeleton=(n == 1 and loose), allow_fold=loose)
            if res:
                hit = (n, span_start, span_start + len(span), res)
                break
        if hit is None:
            in_list = (
                bool(out)
                and toks[i].start() - out[-1].end <= 8
                and bool(re.search(r"(?:,\s*(?:and\s+)?|\band\s+)$", text[: toks[i].start()]))
            )
            if (
                in_list or _UNRESOLVED_CUE.search(text[: toks[i].start()][-30:])
            ) and tok not in lex.not_places:
                j = i
                while (
                    j + 1 < len(toks)
                    and toks[j + 1].group(0)[0].isupper()
                    and toks[j + 1].start() - toks[j].end() <= 1
                ):
                    j += 1
                name = text[toks[i].start() : toks[j].end()]
                if (
                    not lex.country_words.fullmatch(name)
                    and name.split()[0] not in lex.not_places
                    and not re.search(r"-(?:occupied|held|controlled|backed|led|linked|based)\b", name)
                ):
                    unresolved.append((toks[i].start(), name))
            i += 1
            continue
        n, s, e, res = hit
        listed = bool(
            re.search(r"\b[A-Za-z][\w'’-]*[a-z],\s*(?:and\s+)?$", text[max(0, s - 40) : s])
        ) and bool(re.match(r"\s*(?:,|and\b)", text[e:]))
        if person_or_outlet(text, s, e, listed):
            i += n  # "spokesman Farhad Shami", "Mazloum Abdi", "the Khabour network": no place
            continue
        out.append(_classify(text, s, e, res, gaz))
        i += n
    out.extend(area_phrases(text, gaz, masked, area_place))
    out.sort(key=lambda p: p.start)
    return out, unresolved


def area_phrases(
    text: str, gaz: Gazetteer, masked: list[tuple[int, int]], area_place: Place | None
) -> list[PlaceMention]:
    """'the province', 'the eastern countryside': the article's governorate, coded to its capital."""
    out: list[PlaceMention] = []
    if area_place is None:
        return out
    for m in _AREA_PHRASE.finditer(text):
        if any(s <= m.start() < e for s, e in masked):
            continue
        direction = m.group(1)
        cap = _capital(gaz, area_place)
        prec = 2 if direction or m.group(2).lower() == "countryside" and direction else 3
        method = (
            f"area: {direction.lower()} {m.group(2).lower()}, coded to {cap.name}"
            if direction
            else f"fallback: governorate capital ('{m.group(0)}')"
        )
        out.append(PlaceMention(m.start(), m.end(), m.group(0), cap, method, prec, "event", True))
    return out


def _classify(text: str, s: int, e: int, res: Resolution, gaz: Gazetteer) -> PlaceMention:
    before = text[max(0, s - 45) : s]
    after = text[e : e + 30]
    place, method, prec, area = res.place, res.method, res.precision, False
    role = "event"
    if _ROAD_SECOND.search(before) or _BOUNDARY_AFTER.match(after):
        role = "relative"  # "...border line with al-Hasakah": a boundary, not where it happened
    elif _ORIGIN.search(before) or (_POSTED.search(before) and _FIRED_AFTER.match(text[e : e + 100])):
        role = "origin"
    elif (rel := _RELATIVE.search(before)) and _REFERENCE_FOR.search(before[: rel.start()]):
        role = "relative"  # "Dhiban, 40 km east of Deir ez-Zor": B says where A lies
    direction = _DIRECTION.search(before)
    if _GOV_AFTER.match(after) or _GOV_BEFORE.search(before):
        area = True
        if place.kind == "city":
            cap = _capital(gaz, place)
            if direction:
                place, method, prec = cap, f"area: {direction.group(1).lower()} part, coded to {cap.name}", 2
            else:
                place, method, prec = cap, "fallback: governorate capital", 3
        else:
            method, prec = f"area: countryside of {place.name}", 2
    elif direction and place.kind == "city":
        area, method, prec = (
            True,
            f"area: {direction.group(1).lower()} {place.name}, coded to {place.name}",
            2,
        )
    elif (
        _NEAR.search(before)
        or _AREA_AFTER.match(after)
        or _ROAD_FIRST.search(before)
        or _RELATIVE.search(before)
    ):
        # "the strikes south of Abu Kamal": with no place before it, the town the direction
        # is taken from is where it happened, near it (precision 2)
        method, prec = f"near/area of {place.name} ({res.method})", 2
    elif _governorate_named(place) and not _CITY_AFTER.match(after) and not _CITY_BEFORE.search(before):
        area, method, prec = True, f"governorate or city name, coded to the city ({res.method})", 3
    return PlaceMention(s, e, text[s:e], place, method, prec, role, area)


def article_area(
    title: str | None, text: str, gaz: Gazetteer, mentions: list[PlaceMention] | None = None
) -> tuple[Place | None, str]:
    """The place an article is about, for sentences that name none: the title's place, else the
    most-named place of the study area (Deir ez-Zor governorate), else the most-named place."""
    if title:
        in_title, _ = find_places(title, gaz)
        towns = [m for m in in_title if m.role == "event"]
        if towns:
            return towns[0].place, "article context: place in the title"
    if mentions is None:
        mentions, _ = find_places(text, gaz)
    if not mentions:
        return None, ""
    counts = Counter(m.place.place_id for m in mentions)
    order = {m.place.place_id: i for i, m in reversed(list(enumerate(mentions)))}
    by_id = {m.place.place_id: m.place for m in mentions}
    study = [pid for pid in counts if by_id[pid].admin1 == "Deir ez-Zor"]
    pool = study or list(counts)
    best = max(pool, key=lambda pid: (counts[pid], -order[pid]))
    return by_id[best], "article context: most-named place"


def _place_km(a: Place, b: Place) -> float:
    return km_between(a.latitude, a.longitude, b.latitude, b.longitude)


_CONTAINED = re.compile(
    r"^(?:\s+(?:village|town|city|area|district|subdistrict|neighbou?rhood|camp))?\s*,?\s+"
    r"(?:in|near|close to|not far from|outside|on the outskirts of|in the vicinity of)\s+(?:the\s+)?"
    r"(?:(?:town|city|village|area|countryside|district|region)\s+of\s+)?$",
    re.I,
)


_IN_B = re.compile(r"\bin\s+(?:the\s+)?(?:\w+\s+of\s+)?$", re.I)


def drop_containers(
    text: str, mentions: list[PlaceMention], gaz: Gazetteer, near_km: float = 25.0
) -> list[PlaceMention]:
    """ "the village of A in B city", "A near B": B says where A is, it is not a second place of the event.
    B is dropped, and A is read as the namesake nearest to B; when no place of that name lies
    within ``near_km`` of B, the event is placed at B (near precision) and the method says why."""
    out = list(mentions)
    for a, b in zip(mentions, mentions[1:], strict=False):
        if b not in out or a not in out or not _CONTAINED.match(text[a.end : b.start]):
            continue
        out.remove(b)
        if a.place.place_id == b.place.place_id or _place_km(a.place, b.place) <= near_km:
            continue
        i = out.index(a)
        namesakes = gaz.candidates(a.text, every=True)
        near = min(namesakes, key=lambda p: _place_km(p, b.place), default=None)
        # "A village in B city" where B is a district seat: A's namesake in B's district
        district = [p for p in namesakes if p.admin2 and norm_exact(p.admin2) == norm_exact(b.place.name)]
        inside = _IN_B.search(text[a.end : b.start])
        if near is not None and _place_km(near, b.place) <= near_km:
            out[i] = replace(a, place=near, method=f"{a.method}; the namesake in {b.text}")
        elif inside and district:
            best = min(district, key=lambda p: _place_km(p, b.place))
            out[i] = replace(a, place=best, method=f"{a.method}; the namesake in the district of {b.text}")
        elif not inside:
            continue  # "A near B": writers say "near" loosely (B often a district seat); A stands
        else:
            method = f"in {b.text}: no {a.text} known within {near_km:.0f} km of it"
            out[i] = replace(a, place=b.place, method=method, precision=2, area=b.area)
    return out


_SPAN_START = re.compile(
    r"\b(?:road|highway|route|motorway|stretch|area|region|desert|countryside|line|front)\s+"
    r"(?:linking|connecting|joining|between|from)\s+(?:the\s+)?(?:(?:town|city|village)s?\s+of\s+)?$",
    re.I,
)


def span_ends(text: str, mentions: list[PlaceMention]) -> list[PlaceMention]:
    """ "on the road linking A and B", "in the area between A and B": A and B bound a stretch,
    they are not two places of the event. One event, near A (precision 2)."""
    out = list(mentions)
    for a, b in zip(mentions, mentions[1:], strict=False):
        if a not in out or b not in out:
            continue
        if _SPAN_START.search(text[max(0, a.start - 60) : a.start]) and re.fullmatch(
            r"\s*(?:,\s*)?(?:and|to|with)\s+(?:the\s+)?(?:(?:town|city|village)\s+of\s+)?",
            text[a.end : b.start],
        ):
            out.remove(b)
            out[out.index(a)] = replace(
                a, precision=2, method=f"{a.method}; one end of a stretch to {b.text}"
            )
    return out


def trigger_distance(p: PlaceMention, t: Any) -> int:
    """How far a place stands from a trigger (characters; places before it count double)."""
    if p.start >= t.end:
        return p.start - t.end
    return (t.start - p.end) * 2 + 5  # places after the trigger are its objects more often


def choose_places(places: list[PlaceMention]) -> list[PlaceMention]:
    """The places a sentence's event happened at, each once: named towns if any, else
    governorate-level areas, else reference points; "origin" places never."""
    event = [p for p in places if p.role == "event"]
    towns = [p for p in event if not p.area]
    pool = towns or event or [p for p in places if p.role == "relative"]
    seen: set[str] = set()
    out = []
    for p in pool:
        if p.place.place_id not in seen:
            seen.add(p.place.place_id)
            out.append(p)
    return out
