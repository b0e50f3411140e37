"""Arabic place names through the gazetteer: attached letters stripped, area phrases read.

A name in an Arabic report carries its preposition and conjunction ("بريف", "والبوكمال",
"بالميادين", "للشحيل"); the candidates of a word are the word itself and the word with each
attached prefix removed. The gazetteer's Arabic names (``name_ar``, GeoNames' Arabic names) are
looked up first, then the table ``rules/ar/places.csv`` of spellings the gazetteer lacks. Names
that are also common words (صور "pictures", تدمر "destroys") count only after a place word
(قرية، بلدة، حي ...). "ريف X الشرقي" is the eastern countryside of X (precision 2, an area);
"محافظة X" the governorate (precision 3); "قرب X", "أطراف X", "شرقي X" near X (precision 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conflictmap.extract.arabic.tables import lexicon, place_aliases, stopwords, words
from conflictmap.extract.arabic.text import fold
from conflictmap.geo.gazetteer import Gazetteer, norm_arabic
from conflictmap.models import Place

_TOKEN = re.compile(r"[\u0621-\u064a]+|\d+")
_MAX_WORDS = 4
# what follows a place name when it is an outlet's name: "دير الزور 24", "فرات بوست", "... نيوز"
_OUTLET = re.compile(r"\s*(?:24|٢٤|بوست|نيوز|ميديا)(?!\w)")


@dataclass(frozen=True)
class PlaceHit:
    """A gazetteer place named in Arabic text, with how it was resolved and what it is to the event
    (``role`` and ``area`` as in English ``PlaceMention``)."""

    start: int  # folded offsets in the article
    end: int
    place: Place
    method: str
    precision: int
    role: str  # event / origin / relative
    area: bool
    capital: bool  # the governorate capital named bare: a container when a town is named too


def _variants(word: str) -> list[str]:
    """The word and the word with attached conjunction/preposition letters removed."""
    out = [word]
    w = word
    if len(w) > 3 and w[0] in "وف":
        w = w[1:]
        out.append(w)
    if len(w) > 3 and w[0] in "بلك":
        rest = w[1:]
        out.append(rest)
        if w.startswith("لل"):
            out.append("ال" + w[2:])  # "للميادين" = ل + الميادين
    return out


def _lookup(name: str, gaz: Gazetteer, cue: bool) -> tuple[Place, str] | None:
    key = norm_arabic(name)
    if len(key) < 3 or key in stopwords() or name in stopwords():
        return None
    alias = place_aliases().get(key) or (
        place_aliases().get("ال" + key) if not key.startswith("ال") else None
    )
    if alias is not None:
        if alias.cue and not cue:
            return None
        res = gaz.lookup(alias.place, allow_skeleton=False)
        if res is not None:
            return res.place, "Arabic name (alias table)"
    if " " not in name and key.startswith("ال") is False and len(key) < 4:
        return None
    res = gaz.lookup(name, allow_skeleton=False)
    if res is not None:
        return res.place, "Arabic name"
    return None


_CACHE: dict[tuple[int, str, bool], tuple[Place, str] | None] = {}
_HEADS: dict[int, frozenset[str]] = {}


def _lookup_cached(name: str, gaz: Gazetteer, cue: bool) -> tuple[Place, str] | None:
    key = (id(gaz), name, cue)
    if key not in _CACHE:
        if len(_CACHE) > 50_000:
            _CACHE.clear()
        _CACHE[key] = _lookup(name, gaz, cue)
    return _CACHE[key]


def _first_words(gaz: Gazetteer) -> frozenset[str]:
    """Folded first words of every Arabic name the gazetteer and the alias table know (with and
    without the article): a word that starts none of them starts no place name, so the lookups
    of its n-grams are skipped (most words of a report)."""
    if id(gaz) not in _HEADS:
        names = [a for p in gaz.places for a in (p.name_ar or "").split("|") if a]
        names += [a for p in gaz.places for a in p.alt_names if re.search(r"[\u0600-\u06ff]", a)]
        names += [row.key for row in place_aliases().values()]
        heads = set()
        for name in names:
            first = norm_arabic(fold(name).split(" ")[0]) if " " in fold(name) else norm_arabic(name)
            if not first:
                continue
            heads.add(first)
            if first.startswith("ال"):
                heads.add(first[2:])
        heads.update(norm_arabic(fold(a).split(" ")[0]) for a in _alias_words())
        _HEADS[id(gaz)] = frozenset(heads)
    return _HEADS[id(gaz)]


def _alias_words() -> list[str]:
    import csv

    from conflictmap.extract.arabic.tables import RULES_DIR

    with (RULES_DIR / "places.csv").open(encoding="utf-8") as fh:
        return [row["arabic"] for row in csv.DictReader(fh)]


def _before_words(text: str, start: int, n: int = 3) -> list[str]:
    return _TOKEN.findall(text[max(0, start - 40) : start])[-n:]


def find_places(text: str, gaz: Gazetteer) -> list[PlaceHit]:
    """Place mentions of the folded article text, in order, longest name first at each word."""
    toks = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
    place_word = words("place_words", False)
    heads = _first_words(gaz)
    out: list[PlaceHit] = []
    i = 0
    while i < len(toks):
        found = None
        plain_variants = _variants(toks[i][2])
        # A name spelt with its initial hamza-alef dropped ("بريهة" for "إبريهة") is read only
        # after a place word ("بلدة بريهة"): said alone, a shortened word is too often another word.
        alefed = ["ا" + v for v in plain_variants if not v.startswith("ا") and norm_arabic("ا" + v) in heads]
        variants = [v for v in plain_variants if norm_arabic(v) in heads] + alefed
        for n in range(min(_MAX_WORDS, len(toks) - i), 0, -1) if variants else ():
            span = toks[i : i + n]
            if any(not text[a[1] : b[0]].isspace() for a, b in zip(span, span[1:], strict=False)):
                continue
            if any(t[2].isdigit() for t in span[1:]):
                continue  # no name holds a number: "دير الزور 24" is an outlet
            rest = " ".join(t[2] for t in span[1:])
            before = text[max(0, span[0][0] - 25) : span[0][0]]
            cue = bool(place_word.search(before[-14:]))
            for v in variants:
                if v in alefed and not cue:
                    continue
                hit = _lookup_cached((v + " " + rest).strip(), gaz, cue)
                if hit:
                    start = span[0][1] - len(v) + (1 if v in alefed else 0)
                    found = (start, span[-1][1], *hit)
                    break
            if found:
                i += n
                break
        if found and _OUTLET.match(text, found[1]):
            pass  # "دير الزور 24", "فرات بوست": a news outlet named after a place
        elif found:
            out.append(_classify(text, gaz, *found))
        else:
            i += 1
    return out


def _classify(text: str, gaz: Gazetteer, start: int, end: int, place: Place, method: str) -> PlaceHit:
    lex = lexicon()
    before = text[max(0, start - 30) : start]
    after = text[end : end + 30]
    direction = next(
        (
            en
            for ar, en in sorted(lex["directions"].items(), key=lambda x: -len(x[0]))
            if after.lstrip().startswith(ar)
        ),
        None,
    )
    last = (_TOKEN.findall(before) or [""])[-1]
    capital = place.kind == "city" and place.admin1 == "Deir ez-Zor" and place.name.startswith("Deir")
    role = "event"
    if words("origin_before", False).search(before[-22:]):
        role = "origin"
    elif words("relative_before", False).search(before[-18:]):
        role = "relative"
    if re.fullmatch(r"[وف]?[بل]?ريف", last):
        if place.kind == "city" and not direction and capital:
            cap = gaz.governorate_capital(place.admin1 or "Deir ez-Zor") or place
            return PlaceHit(
                start, end, cap, "fallback: governorate capital (countryside)", 3, role, True, False
            )
        how = f"area: {direction + ' ' if direction else ''}countryside of {place.name}"
        return PlaceHit(start, end, place, how, 2, role, True, False)
    if re.fullmatch(r"[وف]?[بل]?(?:محافظه|المحافظه)", last):
        cap = gaz.governorate_capital(place.admin1 or "Deir ez-Zor") or place
        return PlaceHit(start, end, cap, "fallback: governorate capital", 3, role, True, False)
    if re.fullmatch(r"[وف]?[بل]?(?:باديه|الباديه)", last):
        return PlaceHit(start, end, place, f"area: desert of {place.name}", 2, role, True, False)
    if re.search(r"مراسل\w*(?:\s+\S+){0,3}\s+(?:في|ب)\s*$", before):
        role = "relative"  # "مراسل عنب بلدي في دير الزور": where the reporter is
    if words("near_before", False).search(before[-14:]):
        return PlaceHit(start, end, place, f"near {place.name} ({method})", 2, role, capital, capital)
    if capital and direction:  # "دير الزور الشرقي": the eastern part of the governorate
        return PlaceHit(start, end, place, f"area: {direction} Deir ez-Zor", 2, role, True, False)
    if capital and re.fullmatch(r"[وف]?[بل]?(?:مدينه|المدينه)", last):
        return PlaceHit(start, end, place, method, 1, role, False, False)
    return PlaceHit(start, end, place, method, 1, role, False, capital)


def drop_containers(hits: list[PlaceHit]) -> list[PlaceHit]:
    """ "في بادية السيال بريف مدينة البوكمال شرق دير الزور": the names after the first say
    where it lies, not further places of the event."""
    kept: list[PlaceHit] = []
    last_end = None
    for p in hits:
        container = p.area or p.capital or p.method.startswith("near")
        follows = last_end is not None and 0 <= p.start - last_end < 30
        last_end = p.end
        if container and follows and kept:
            continue
        kept.append(p)
    return kept
