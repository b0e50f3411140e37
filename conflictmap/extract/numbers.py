"""Fatality counts under ACLED's rules: the most conservative stated number, number words read,
casualties (wounded) never counted as deaths, vague amounts and running tolls left null."""

from __future__ import annotations

import re
from functools import lru_cache

from conflictmap.extract.rules import load_lexicon

_DEATH = r"(?:killed|dead|died|slain|lost (?:their|his|her) lives|perished|executed|assassinated|shot dead|eliminated|martyred|fell (?:as )?martyrs)"  # noqa: E501
_LOWER = r"(?:at least|more than|over|no fewer than|nearly|almost|about|around|some|up to|as many as|approximately)"  # noqa: E501


@lru_cache(maxsize=1)
def _num_rx() -> str:
    words = sorted(load_lexicon().number_words, key=len, reverse=True)
    word = "|".join(re.escape(w) for w in words)
    return r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+\+?|(?:" + word + r")(?:[- ](?:" + word + r"))?)"


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], ...]:
    n = _num_rx()
    noun = r"(?:[\w’'-]+\s+){0,7}?"
    return (
        # "twenty regime fighters were killed", "five members of X lost their lives"
        re.compile(
            r"\b("
            + _LOWER
            + r"\s+)?("
            + n
            + r")\s+"
            + noun
            + r"(?:were|was|have been|had been|are|been|reportedly)?\s*(?:\w+ly\s+)?"
            + _DEATH
            + r"\b",
            re.I,
        ),
        # "killed 15 militants", "the elimination of 19 mercenaries", "killing at least 3"
        re.compile(
            r"\b(?:killed|killing|kills|executed|executing|assassinated|eliminated|elimination of|claimed the lives of|death of|deaths of)\s+("  # noqa: E501
            + _LOWER
            + r"\s+)?("
            + n
            + r")\b",
            re.I,
        ),
        # "left one American contractor dead"
        re.compile(
            r"\b(?:left|leaving)\s+(" + _LOWER + r"\s+)?(" + n + r")\s+(?:[\w’'-]+\s+){0,4}?dead\b", re.I
        ),
        # "an attack on six soldiers, killing them": the pronoun counts the people just named
        re.compile(
            r"\b("
            + _LOWER
            + r"\s+)?("
            + n
            + r")\s+(?:[\w’'-]+\s+){0,3}?(?:fighters|soldiers|members|militants|troops|men|people|civilians|"
            r"guards|officers|policemen|workers|shepherds|gunmen|operatives|personnel|recruits)\b[^.;]{0,80}?"
            r"\b(?:killing|killed|kill)\s+(?:them|all of them|all (?:six|five|four|three|two))\b",
            re.I,
        ),
        # "3 deaths", "two fatalities"
        re.compile(r"\b(" + _LOWER + r"\s+)?(" + n + r")\s+(?:deaths|fatalities|bodies)\b", re.I),
        # "the bodies of three shepherds"
        re.compile(r"\bbod(?:y|ies) of\s+(" + _LOWER + r"\s+)?(" + n + r")\b", re.I),
    )


@lru_cache(maxsize=1)
def _coordinated() -> re.Pattern[str]:
    n = _num_rx()
    noun = r"(?:[\w’'-]+\s+){1,3}?"
    return re.compile(
        r"\b("
        + _LOWER
        + r"\s+)?("
        + n
        + r")\s+"
        + noun
        + r"and\s+("
        + n
        + r"|an?|one)\s+"
        + noun
        + r"(?:were|have been|had been)\s+(?:\w+ly\s+)?"
        + _DEATH
        + r"\b",
        re.I,
    )


@lru_cache(maxsize=1)
def _killed_list() -> re.Pattern[str]:
    """'killed two soldiers and three militiamen', 'killing one woman, identified as X, and one
    girl': the verb's object is a list of counted groups, and the deaths are their sum. The
    second group must end the clause, so 'killed two and wounded three' is not a list."""
    n = _num_rx()
    word = r"(?!(?:were|was|are|is|have|has|had|been|died|wound\w*|injur\w*|hurt)\b)[\w’'-]+"
    words = word + r"(?:\s+" + word + r"){0,5}?"
    group = r"(?:" + _LOWER + r"\s+)?(" + n + r")\s+" + words
    aside = r"(?:,\s+(?:identified as|named|aged|a|an|the)\b[^,;.]{1,60})?,?\s+"
    return re.compile(
        r"\b(?:killed|killing|kills|claimed the lives of)\s+"
        + group
        + aside
        + r"and\s+"
        + group
        + r"(?=\s*[,.;]|\s*$|\s+(?:in|on|at|near|and|while|when|during|after|as|who)\b)",
        re.I,
    )


_ANY_DEATH = re.compile(
    r"kill|dead|die|slain|lives|perish|execut|assassin|eliminat|death|fatalit|bodies|casualt|injur|hurt|loss|harm|martyr|"
    r"damage|murder|shot|wound",
    re.I,
)
_ZERO = re.compile(
    r"\b(?:no (?:casualties|deaths|fatalities|injuries|one was (?:killed|hurt|injured))|nobody was (?:killed|hurt)|"  # noqa: E501
    r"without (?:any )?casualties|no (?:\w+ )?(?:casualties|deaths) (?:or|and) (?:damage|injuries)|"
    r"caused no (?:casualties|deaths)|no reports? of (?:casualties|deaths)|"
    r"without (?:causing |leaving |resulting in )?(?:any )?(?:casualties|deaths|fatalities|injuries|human losses)|"
    r"(?:no|none) (?:one|of them) (?:was|were) (?:killed|hurt|injured)|no (?:human )?losses|"
    r"(?:caus|result)(?:ed|ing) (?:only )?(?:in )?(?:material damage|no (?:human )?(?:losses|casualties)))\b",
    re.I,
)
# "no casualties among its fighters": one side's losses only, which says nothing of the other's
_ONE_SIDE = re.compile(
    r"\s+(?:among|in|within|to|for)\s+(?:its|their|his|our|the\s+\w+['’]s)\s+(?:own\s+)?"
    r"(?:fighters|ranks|members|forces|personnel|troops|soldiers|men|side)\b",
    re.I,
)
_SINGLE = re.compile(r"\bwas (?:\w+ly )?(?:killed|assassinated|executed|shot dead|slain)\b", re.I)
_PAIR = re.compile(
    r"^\W*(?:an?|the)\s+[\w\s-]{2,40}?\s+and\s+(?:an?|the|his|her|their)\s+[\w\s-]{2,40}?\s+were\s+(?:\w+ly\s+)?(?:killed|assassinated|executed)",
    re.I,
)


# "assassinated a council member", "killing a shepherd and wounding his son": one victim named;
# "killing a woman and her son": two. Words after the verb that make the object not a person:
_KILL_VERB = r"(?:killed|killing|kills|assassinated|assassinating|shot dead|executed|executing|murdered|murdering|the death of|the killing of)"  # noqa: E501
_NOT_ONE = r"(?!(?:number|total|series|few|dozen|couple|group|family|convoy|patrol|vehicle)\b)"
_ONE_OBJ = re.compile(
    r"\b" + _KILL_VERB + r"\s+(?:an?|one)\s+" + _NOT_ONE + r"([\w’'-]+(?:\s+[\w’'-]+){0,5})", re.I
)
_SECOND = re.compile(r"^(?:[\w’'-]+\s+){0,4}?and\s+(?:an?|the|his|her|their|another)\s+(?!\w+ing\b)\w+", re.I)


_NAMED_VICTIM = re.compile(
    r"\b" + _KILL_VERB + r"\s+(?:(?:Sheikh|Shaykh|Mr\.?|Dr\.?|Imam|Mukhtar|commander|leader)\s+)?"
    r"(?:[A-Z][\w’'-]+\s+){1,3}?[A-Z]?[\w’'-]+,\s+(?:an?|the)\s+\w+"
)


_THE_ONE = re.compile(
    r"\b" + _KILL_VERB + r"\s+(?:its|his|her|the)\s+(?:\w+\s+)?"
    r"(?:driver|owner|passenger|son|daughter|brother|father|mother|wife|husband|commander|leader|head|"
    r"mukhtar|guard|shepherd|farmer|teacher|doctor|official|member)\b(?!\s+and\s+(?!wound|injur))"
)


def _object_count(sentence: str) -> int | None:
    if _NAMED_VICTIM.search(sentence) or _THE_ONE.search(sentence):
        return 1  # "gunmen killed Sheikh Ahmed al-Khalaf, a tribal dignitary", "killing its driver"
    m = _ONE_OBJ.search(sentence)
    if not m:
        return None
    tail = sentence[m.start(1) : m.start(1) + 80]
    second = _SECOND.match(tail)
    if second and not re.search(r"\b(?:wound|injur)", second.group(0), re.I):
        return 2
    return 1


def parse_number(token: str) -> int | None:
    """'20', '1,000', 'twenty', 'twenty-one' -> int; vague words -> None."""
    t = token.lower().strip().rstrip("+")  # "15+ killed": at least 15
    if re.fullmatch(r"\d[\d,]*", t):
        return int(t.replace(",", ""))
    words = load_lexicon().number_words
    if t in words:
        return words[t]
    parts = re.split(r"[- ]", t)
    if all(p in words for p in parts):
        if len(parts) == 2 and words[parts[1]] == 100:
            return words[parts[0]] * 100
        return sum(words[p] for p in parts)
    return None


_ASIDE = re.compile(
    r",\s+(?:including|among them|among whom|one of them|most of them)\b[^,.;]{1,60},|\s\([^()]{1,60}\)"
)


def fatalities(sentence: str) -> tuple[int | None, bool]:
    """(count, is_running_toll). A running toll or a vague amount gives None."""
    lex = load_lexicon()
    toll = bool(lex.toll.search(sentence))
    if not _ANY_DEATH.search(sentence):
        return None, toll  # most sentences name no death or casualty: one search, not twenty
    sentence = _ASIDE.sub(" ", sentence)  # "five members, including a leader, were killed"
    listed = _killed_list().search(sentence) if " and " in sentence else None
    if listed:  # "killed two soldiers and three militiamen": 5
        first, second = parse_number(listed.group(1)), parse_number(listed.group(2))
        if first is not None and second is not None:
            return (None, True) if toll else (first + second, False)
    both = _coordinated().search(sentence) if " and " in sentence else None
    if both:  # "two fighters and a civilian were killed": 3
        first, second = parse_number(both.group(2)), parse_number(both.group(3)) or 1
        if first is not None:
            return (None, True) if toll else (first + second, False)
    for rx in _patterns():
        m = rx.search(sentence)
        if m:
            value = parse_number(m.group(2))
            if value is not None and not _is_not_death_count(sentence, m):
                return (None, True) if toll else (value, False)
    zero = _ZERO.search(sentence)
    if zero and not _ONE_SIDE.match(sentence, zero.end()):
        return 0, False
    if toll:
        return None, True
    if _PAIR.search(sentence):
        return 2, False
    one = _object_count(sentence)
    if one is not None:
        return one, False
    if _SINGLE.search(sentence) and not re.search(r"\b(?:were|have been)\b", sentence):
        return 1, False
    return None, False


def _is_not_death_count(sentence: str, m: re.Match[str]) -> bool:
    """'48-hour', '5 a.m.', years and ages are numbers that are not deaths; 'with six airstrikes
    and killed 11' counts strikes, the killed are after the verb."""
    if re.search(r"\band\s+(?:\w+ly\s+)?(?:killed|killing)\b", m.group(0), re.I):
        return True
    after = sentence[m.end(2) : m.end(2) + 6].lower()
    return after.startswith(("-hour", " hour", "-day", " a.m", " p.m", " years", "-year", " km", "%"))


def count_before(text: str, end: int) -> int | None:
    """A number written just before a place ('6 in the town of Dhiban', '13 others in ...')."""
    window = text[max(0, end - 60) : end]
    m = re.search(
        r"("
        + _num_rx()
        + r")\s+(?:others?\s+|more\s+|of them\s+|[\w-]+\s+)?(?:were\s+killed\s+)?in\s+(?:the\s+)?(?:(?:town|village|city|area|district|countryside)\s+of\s+)?$",  # noqa: E501
        window,
        re.I,
    )
    return parse_number(m.group(1)) if m else None


_CLAUSES = re.compile(r";|,\s*(?:and|while|whereas|but)\b|:\s")


def group_fatalities(
    text: str, trig_start: int, fat: int | None, is_primary: bool, n_groups: int
) -> int | None:
    """Deaths of one event of a sentence that reports several ("two civilians were shot dead in X,
    and three fighters were killed in an ambush near Y"): the count of the trigger's own clause
    when clauses split the sentence, else the sentence's count for its main event only."""
    if n_groups > 1:
        cuts = [0, *(m.end() for m in _CLAUSES.finditer(text)), len(text) + 1]
        for a, b in zip(cuts, cuts[1:], strict=False):
            if a <= trig_start < b and (a, b) != (0, len(text) + 1):
                own, toll = fatalities(text[a:b])
                if own is not None and not toll:
                    return own
                break
    return fat if is_primary else None
