"""Group reports of one real-world incident across articles, without rewriting the reports.

Four outlets describing one arrest give four ``Event`` rows; the map should show one incident with
four sources. ``cluster_incidents`` returns ``event_id -> (incident_id, reason)`` and the store
records it beside the rows, so a wrong merge can be undone and the reason shown to an analyst.

Two reports are linked when all of these hold (the same tolerances the scorer uses for dates):

* different articles (two events of one article are, by construction, two events);
* neither is a low-confidence candidate (``conflictmap.confidence``): those stay single;
* dates within the looser precision of the two (day: 1 day, week: 7, month: 31);
* places within ``max_km`` (default 10 km); a governorate-level report (geo_precision 3) is coded
  to the capital, so it only links to a report at that same place (same place_id or < 1 km);
  without coordinates, the normalised location names must be equal;
* compatible types: the same event_type and a compatible sub-type (the two territory takeovers,
  which each side's outlets credit differently; air strike vs shelling, which outlets confuse;
  otherwise the same sub-type: a clash is not a takeover);
* a report placed only at governorate level links only when the two are at most a day apart
  (whatever their date precision) and neither is of the unspecific sub-type "other";
* compatible actors: normalised to classes as the scorer does; an unknown or missing actor is a
  wildcard, and the known actors of one report must each agree with one of the other's; for a
  territorial change the direction must agree (one report's taker is never the other's loser).

Links are accepted single-link, best pair first (two codings of one article address, then closest
in days, then km, then ids), and never when they would put two events of one article, or two
named towns, into one incident. Sorting the candidate pairs makes the result independent of
input order.

Hand-coded reference facts (origin ``reference``) take part too, so a report read by the
extractor and a reference fact of the same incident become one incident with both sources
instead of being counted twice. Their grouping is a person's judgement and is kept as given:
reference facts sharing an ``incident_id`` start as one group, two reference facts are never
linked by these rules, and no chain of extracted reports may join two hand-coded incidents. An
analyst's merges and splits are passed in the same way (``groups``: must-link inside a review,
cannot-link between two), so a regrouping after ingest or re-extraction keeps them. Candidates come from a grid keyed by (day, cell),
so each event is compared only with events a few days and one cell away: 100k events take
seconds, not the hours an all-pairs pass would.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from conflictmap.confidence import is_candidate
from conflictmap.models import Event, km_between

DAYS = {"day": 1, "week": 7, "month": 31}
HAND_CODED = "reference"  # origin of curated facts whose incident grouping is taken as given
DEFAULT_MAX_KM = 10.0
SAME_PLACE_KM = 1.0

# Labels outlets use for the same side (mirrors ACTOR_CLASSES of shared/tools/score_events.py);
# a report naming any member agrees with another naming any member of that class.
ACTOR_CLASSES: dict[str, frozenset[str]] = {
    "sdf": frozenset({"sdf", "asayish"}),
    "tribal": frozenset(
        {"arab tribal fighters", "pro-regime tribal fighters", "deir ez-zor military council"}
    ),
    "regime": frozenset(
        {
            "syrian regime forces",
            "ndf (pro-regime militia)",
            "pro-regime tribal fighters",
            "iran-backed militias",
        }
    ),
    "us": frozenset({"us forces", "us-led coalition"}),
}
# Actors that say nothing about who it was: treated like a missing actor.
WILDCARD_ACTORS = frozenset(
    {"unidentified armed group", "unidentified drone", "unidentified aircraft", "unknown"}
)

# Sub-types that different outlets use for one incident; any other pair must be equal.
COMPATIBLE_SUBTYPES: tuple[frozenset[str], ...] = (
    # Who took ground is read differently by each side's outlets; a clash is not a takeover.
    frozenset({"government regains territory", "non-state actor overtakes territory"}),
    frozenset({"air/drone strike", "shelling/artillery/missile attack"}),
    frozenset({"peaceful protest", "protest with intervention", "excessive force against protesters"}),
    frozenset({"violent demonstration", "mob violence"}),
)


@dataclass(frozen=True)
class _Link:
    other_url: bool  # False first: two codings of one article address are the likeliest pair
    days: int
    km: float | None
    a: int
    b: int
    why: str


@lru_cache(maxsize=65536)
def norm_name(name: str | None) -> str:
    """Place name -> comparable key: ASCII, lower case, no al-/el- article, letters only."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\b(al|el|ad|ar|as|ash|az)[- ]", "", text)
    return re.sub(r"[^a-z]", "", text)


@lru_cache(maxsize=65536)
def actor_keys(label: str | None) -> frozenset[str]:
    """Classes an actor label belongs to; empty for a missing or unidentified actor."""
    if not label:
        return frozenset()
    text = str(label).strip().lower()
    if text.startswith("other:"):
        text = text[6:].strip()
    if not text or text in WILDCARD_ACTORS:
        return frozenset()
    keys = frozenset(cls for cls, members in ACTOR_CLASSES.items() if text in members)
    return keys or frozenset({text})


def _known_actors(e: Event) -> list[tuple[str, frozenset[str]]]:
    return [(str(a), k) for a in (e.actor1, e.actor2) if (k := actor_keys(a))]


def actors_agree(a: Event, b: Event) -> tuple[bool, str]:
    """Known actors of the report naming fewer must each match a distinct one of the other's."""
    ka, kb = _known_actors(a), _known_actors(b)
    if not ka or not kb:
        return True, "actors unknown on one side"
    small, large = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    if len(small) == 1:
        ok = any(small[0][1] & k for _, k in large)
    else:  # two against two: either pairing
        ok = bool(small[0][1] & large[0][1] and small[1][1] & large[1][1]) or bool(
            small[0][1] & large[1][1] and small[1][1] & large[0][1]
        )
    if not ok:
        return False, "actors differ"
    return True, f"actors agree ({', '.join(sorted({name for name, _ in small}))})"


# Sub-types in which ground changes hands: actor1 takes the place, actor2 loses it.
TERRITORY_SUBTYPES = frozenset(
    {
        "government regains territory",
        "non-state actor overtakes territory",
        "non-violent transfer of territory",
    }
)


def _is_territory(e: Event) -> bool:
    return (e.sub_event_type or "").lower() in TERRITORY_SUBTYPES


def territory_actors_agree(a: Event, b: Event) -> tuple[bool, str]:
    """Two reports of ground changing hands are one incident when the direction agrees.

    Outlets name the taker differently (the government, or the tribal fighters who moved with
    it) far more often than they name the loser differently, so one shared side in the same
    role is enough; but when one report's taker is the other's loser the two describe opposite
    moves (a takeover and the retaking of it), which are never one incident.
    """
    a1, a2, b1, b2 = (actor_keys(x) for x in (a.actor1, a.actor2, b.actor1, b.actor2))
    if (a1 & b2) or (a2 & b1):
        return False, "opposite directions of a territorial change"
    if (a1 and b1 and not a1 & b1) and (a2 and b2 and not a2 & b2):
        return False, "actors differ"
    shared = sorted({str(x) for x, k, o in ((a.actor1, a1, b1), (a.actor2, a2, b2)) if k and k & o})
    return True, f"same direction ({', '.join(shared)})" if shared else "actors unknown on one side"


def types_agree(a: Event, b: Event) -> bool:
    """Whether two reports can be one incident by type: same event type, and sub-types equal,
    unknown on one side, or in one group of ``COMPATIBLE_SUBTYPES`` (ways outlets tell one event)."""
    if a.event_type != b.event_type:
        return False
    sa, sb = (a.sub_event_type or "").lower(), (b.sub_event_type or "").lower()
    if not sa or not sb or sa == sb:
        return True
    return any(sa in group and sb in group for group in COMPATIBLE_SUBTYPES)


def _has_point(e: Event) -> bool:
    return (
        e.latitude is not None
        and e.longitude is not None
        and math.isfinite(e.latitude)
        and math.isfinite(e.longitude)
    )


def _place_link(a: Event, b: Event, max_km: float) -> tuple[bool, float | None, str]:
    if not (_has_point(a) and _has_point(b)):
        na, nb = norm_name(a.location), norm_name(b.location)
        ok = bool(na) and na == nb
        return ok, None, f"same place name ({a.location})" if ok else "no comparable place"
    dist = km_between(a.latitude, a.longitude, b.latitude, b.longitude)  # type: ignore[arg-type]
    if a.geo_precision >= 3 or b.geo_precision >= 3:
        # A report placed only at governorate level says little about where, so only the date
        # and the kind of event can tell two incidents apart: such reports link only when at
        # most a day apart and of a specific sub-type (checked in ``link``), whatever a loose
        # date precision would otherwise allow.
        same = (a.place_id is not None and a.place_id == b.place_id) or dist <= SAME_PLACE_KM
        return same, dist, f"same place ({a.location or a.place_id}, governorate level)"
    if (
        a.geo_precision == 1
        and b.geo_precision == 1
        and a.place_id
        and b.place_id
        and a.place_id != b.place_id
    ):
        # Both reports name a town, and not the same one: ACLED codes events per place, so two
        # named villages a few km apart are two events, however close in time.
        return False, dist, f"different named places ({a.location} / {b.location})"
    return dist <= max_km, dist, f"{dist:.1f} km apart"


def is_hand_coded(e: Event) -> bool:
    """Whether a person coded the report (a curated reference fact): its grouping is taken as given."""
    return e.origin == HAND_CODED


def source_label(e: Event) -> str:
    """How a report is named in a reason: its outlet, and whether a person coded it."""
    name = e.source or e.article_id
    return f"{name}, coded by hand" if is_hand_coded(e) else name


def link(a: Event, b: Event, max_km: float = DEFAULT_MAX_KM) -> tuple[bool, int, float | None, str]:
    """Whether two reports may describe one incident: (ok, days apart, km apart, reason)."""
    if a.article_id == b.article_id:
        return False, 0, None, "same article"
    if is_candidate(a.confidence) or is_candidate(b.confidence):
        # A reading the extractor was unsure of neither adds a source to an incident nor lowers
        # its toll: it stays apart, shown only when low-confidence candidates are asked for.
        return False, 0, None, "low-confidence candidate"
    if is_hand_coded(a) and is_hand_coded(b):
        # Reference facts come grouped by hand; the rules never second-guess that grouping.
        return False, 0, None, "both coded by hand"
    days = abs((a.event_date - b.event_date).days)
    precision = max(a.date_precision, b.date_precision, key=lambda p: DAYS.get(p, 1))
    tol = DAYS.get(precision, 1)
    if days > tol or not types_agree(a, b):
        return False, days, None, "date or type differ"
    vague_place = a.geo_precision >= 3 or b.geo_precision >= 3
    if vague_place and days > 1:
        return False, days, None, "governorate-level place and more than a day apart"
    if vague_place and "other" in ((a.sub_event_type or "").lower(), (b.sub_event_type or "").lower()):
        # "other" names no kind of development (a curfew, a security sweep, a statement...):
        # with no town either, only the date would be left to match on
        return False, days, None, "governorate-level place and no specific sub-type"
    place_ok, dist, place_why = _place_link(a, b, max_km)
    if not place_ok:
        return False, days, dist, place_why
    if _is_territory(a) and _is_territory(b):
        act_ok, act_why = territory_actors_agree(a, b)
    else:
        act_ok, act_why = actors_agree(a, b)
    if not act_ok:
        return False, days, dist, act_why
    when = "same day" if days == 0 else f"{days} day{'s' if days > 1 else ''} apart"
    return True, days, dist, f"{when} (±{tol}, {precision}), {place_why}, same type {a.event_type}, {act_why}"


def max_abs_latitude(events: Iterable[Event]) -> float:
    """The largest |latitude| of the reports with a point: it sets the width of the grid's cells."""
    return max((abs(e.latitude) for e in events if _has_point(e)), default=0.0)  # type: ignore[arg-type]


def grid(max_km: float, ref_lat: float) -> tuple[float, float]:
    """(cell height, cell width) in degrees of the candidate grid.

    The width is taken at ``ref_lat``, the largest |latitude| of the reports clustered together,
    where a degree of longitude is shortest, so two reports ``max_km`` apart are never more than
    one cell apart. It depends on *all* the reports clustered, which is why an incremental
    regrouping passes the store's own ``ref_lat`` rather than its subset's: the same cells, the
    same candidate pairs."""
    cell_lat = max(max_km, SAME_PLACE_KM) / 111.0
    cos = math.cos(math.radians(min(ref_lat, 85.0)))
    return cell_lat, cell_lat / cos


def cell_key(e: Event, cell_lat: float, cell_lon: float) -> tuple:
    """The grid cell of a report: (type, "p", row, column) with a point, else (type, "n", name).

    Reports of different types never link, so they are kept in separate cells; reports without a
    point are compared only by their normalised place name."""
    if _has_point(e):
        return (e.event_type, "p", math.floor(e.latitude / cell_lat), math.floor(e.longitude / cell_lon))  # type: ignore[operator]
    return (e.event_type, "n", norm_name(e.location))


def neighbour_cells(key: tuple) -> list[tuple]:
    """The cells whose reports a report of cell ``key`` is compared with (itself included)."""
    if key[1] == "p":
        return [(key[0], "p", key[2] + dy, key[3] + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    return [key]


def _candidate_pairs(
    events: list[Event], max_km: float, ref_lat: float | None = None
) -> Iterable[tuple[int, int]]:
    """Index pairs (i < j) close enough in date and space to be worth comparing."""
    cell_lat, cell_lon = grid(max_km, max_abs_latitude(events) if ref_lat is None else ref_lat)

    def key(e: Event) -> tuple:
        return cell_key(e, cell_lat, cell_lon)

    # one list per cell, in index order = date order (events arrive sorted), so a date window
    # is one bisect away
    cell_idx: dict[tuple, list[int]] = defaultdict(list)
    cell_day: dict[tuple, list[int]] = defaultdict(list)
    keys = [key(e) for e in events]
    days = [e.event_date.toordinal() for e in events]
    for i, k in enumerate(keys):
        cell_idx[k].append(i)
        cell_day[k].append(days[i])
    tols = [DAYS.get(e.date_precision, 1) for e in events]
    for i, k in enumerate(keys):
        tol, day0 = tols[i], days[i]
        for cell in neighbour_cells(k):
            idx = cell_idx.get(cell)
            if not idx:
                continue
            cd = cell_day[cell]
            for pos in range(bisect_left(cd, day0 - tol), bisect_right(cd, day0 + tol)):
                j = idx[pos]
                # each pair once: from the lower index, unless only the other one's window reaches
                if j > i or (j < i and day0 - cd[pos] > tols[j]):
                    yield (i, j) if i < j else (j, i)


def cluster_incidents(
    events: list[Event],
    *,
    max_km: float = DEFAULT_MAX_KM,
    groups: Mapping[str, str] | None = None,
    ref_lat: float | None = None,
) -> dict[str, tuple[str, str]]:
    """event_id -> (incident_id, reason); see the module docstring for the rules.

    ``groups`` (event_id -> group key) are groupings a person decided (an analyst's review, see
    ``conflictmap.review``): reports of one key start as one incident whatever the rules say
    (must-link), and reports of two keys are never joined (cannot-link); the rules may still add
    other reports to them. They take precedence over the grouping of the reference facts.

    ``ref_lat`` sets the candidate grid (``grid``); None takes it from ``events``. A caller that
    clusters part of a larger set (``incidents.incremental``) passes the whole set's value, so
    the pairs compared are exactly those the whole set's clustering would compare.

    Each connected component of the graph of links (plus the hand-made groups) gets a result
    that depends on that component alone: links are taken in an order fixed by the pair itself,
    a group's root is its earliest report, and an incident is named after it. That is what lets
    an incremental regrouping recluster only the components new reports touch."""
    groups = groups or {}
    evs = sorted(events, key=lambda e: (e.event_date, e.event_id))
    links: list[_Link] = []
    # (two arguments when no ref_lat is given: tests swap in an every-pair version of this call)
    pairs = _candidate_pairs(evs, max_km) if ref_lat is None else _candidate_pairs(evs, max_km, ref_lat)
    for i, j in pairs:
        ok, days, dist, why = link(evs[i], evs[j], max_km)
        if ok:
            same_url = bool(evs[i].url) and evs[i].url == evs[j].url
            links.append(_Link(not same_url, days, dist, i, j, why))
    links.sort(
        key=lambda lk: (
            lk.other_url,
            lk.days,
            lk.km if lk.km is not None else 0.0,
            evs[lk.a].event_id,
            evs[lk.b].event_id,
        )
    )

    parent = list(range(len(evs)))
    articles: dict[int, set[str]] = {i: {e.article_id} for i, e in enumerate(evs)}
    # Towns named exactly (geo_precision 1) in each group: one incident happens in one town,
    # so no chain of "near" reports may join reports that name two different towns.
    towns: dict[int, set[str]] = {
        i: {e.place_id} if e.geo_precision == 1 and e.place_id else set() for i, e in enumerate(evs)
    }
    # The hand-coded incident each group holds (at most one): two of them never join.
    hand: dict[int, str | None] = {
        i: f"review:{groups[e.event_id]}"
        if e.event_id in groups
        else (f"reference:{e.incident_id or e.event_id}" if is_hand_coded(e) else None)
        for i, e in enumerate(evs)
    }

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(ra: int, rb: int) -> None:
        root, other = (ra, rb) if ra < rb else (rb, ra)  # lower index = earlier (date, id)
        parent[other] = root
        articles[root] |= articles.pop(other)
        towns[root] |= towns.pop(other)
        held = hand.pop(other)
        hand[root] = hand[root] or held

    # Reports of one hand-made group (reference facts of one incident, reports an analyst kept
    # together) start as one group, whatever the rules say.
    first_of: dict[str, int] = {}
    for i, key in sorted(((i, k) for i, k in hand.items() if k), key=lambda ik: ik[0]):
        if key in first_of:
            union(find(first_of[key]), find(i))
        else:
            first_of[key] = i

    joined: dict[int, list[str]] = defaultdict(list)
    for lk in links:
        ra, rb = find(lk.a), find(lk.b)
        if ra == rb or articles[ra] & articles[rb]:
            continue  # already together, or would join two events of one article
        if len(towns[ra] | towns[rb]) > 1:
            continue  # would put two named towns in one incident
        if hand[ra] and hand[rb] and hand[ra] != hand[rb]:
            continue  # would join two incidents a person coded apart
        union(ra, rb)
        ea, eb = evs[lk.a], evs[lk.b]
        joined[lk.a].append(f"{eb.event_id} [{source_label(eb)}]: {lk.why}")
        joined[lk.b].append(f"{ea.event_id} [{source_label(ea)}]: {lk.why}")

    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(evs)):
        members[find(i)].append(i)
    out: dict[str, tuple[str, str]] = {}
    for idx in members.values():
        incident = "inc:" + evs[min(idx)].event_id
        if len(idx) == 1:
            out[evs[idx[0]].event_id] = (incident, "single report")
            continue
        n_art = len({evs[i].article_id for i in idx})
        for i in idx:
            parts = [f"{len(idx)} reports from {n_art} articles"]
            if evs[i].event_id in groups and any(evs[j].event_id in groups for j in idx if j != i):
                parts.append("grouped by an analyst")
            elif is_hand_coded(evs[i]) and any(is_hand_coded(evs[j]) for j in idx if j != i):
                parts.append("grouped by hand in the reference facts")
            if joined[i]:
                parts.append("linked to " + "; ".join(joined[i]))
            out[evs[i].event_id] = (incident, "; ".join(parts))
    return out


def explain(events: list[Event], incident_id: str, assignment: dict[str, tuple[str, str]]) -> str:
    """A few lines for the UI: which reports make up an incident and why they were grouped."""
    rows = sorted(
        (e for e in events if assignment.get(e.event_id, ("",))[0] == incident_id),
        key=lambda e: (e.event_date, e.event_id),
    )
    if not rows:
        return f"{incident_id}: no reports"
    lines = [f"{incident_id}: {len(rows)} report{'s' if len(rows) > 1 else ''}"]
    for e in rows:
        where = e.location or e.place_id or "unknown place"
        lines.append(
            f"- {e.event_date.isoformat()} ({e.date_precision}) {e.event_type}/{e.sub_event_type} "
            f"at {where}, {source_label(e) if e.source else 'unknown source'} [{e.article_id}]: "
            f"{assignment[e.event_id][1]}"
        )
    return "\n".join(lines)
