"""Grouping reports of one incident across articles: the rules, determinism and speed."""

from __future__ import annotations

import random
from datetime import date, timedelta

from conflictmap.incidents.dedupe import cluster_incidents, explain
from conflictmap.models import Event

# Two points about 40 km apart on the Euphrates, and one 3 km from the first.
HAJIN = (34.695, 40.835)
NEAR_HAJIN = (34.715, 40.860)
MAYADIN = (35.020, 40.450)


def ev(
    event_id: str,
    article: str,
    day: date,
    etype: str = "battle",
    sub: str = "armed clash",
    where: tuple[float, float] = HAJIN,
    precision: str = "day",
    actor1: str | None = "SDF",
    actor2: str | None = None,
    geo: int = 1,
    place_id: str | None = None,
    source: str | None = None,
) -> Event:
    return Event(
        event_id=event_id,
        article_id=article,
        event_date=day,
        event_type=etype,
        sub_event_type=sub,
        date_precision=precision,
        actor1=actor1,
        actor2=actor2,
        latitude=where[0],
        longitude=where[1],
        geo_precision=geo,
        place_id=place_id,
        location="Hajin",
        source=source or article,
    )


def incidents(assignment: dict[str, tuple[str, str]]) -> list[set[str]]:
    groups: dict[str, set[str]] = {}
    for eid, (inc, _why) in assignment.items():
        groups.setdefault(inc, set()).add(eid)
    return sorted(groups.values(), key=lambda g: sorted(g))


def test_one_arrest_reported_by_four_outlets_is_one_incident() -> None:
    d = date(2024, 3, 5)
    events = [
        ev("e-a", "art-a", d, "strategic_development", "arrests", actor1="SDF", source="Outlet A"),
        ev(
            "e-b",
            "art-b",
            d + timedelta(days=1),
            "strategic_development",
            "arrests",
            NEAR_HAJIN,
            actor1="Asayish",
        ),
        ev(
            "e-c",
            "art-c",
            d - timedelta(days=3),
            "strategic_development",
            "arrests",
            precision="week",
            actor1=None,
        ),
        ev("e-d", "art-d", d + timedelta(days=10), "strategic_development", "arrests", precision="month"),
    ]
    out = cluster_incidents(events)
    assert incidents(out) == [{"e-a", "e-b", "e-c", "e-d"}]
    inc, why = out["e-b"]
    assert inc == "inc:e-c"  # the earliest report names the incident
    assert "4 reports from 4 articles" in why
    assert "km apart" in why and "same type strategic_development" in why


def test_reason_names_the_linked_report_and_why() -> None:
    d = date(2024, 3, 5)
    out = cluster_incidents(
        [
            ev("e-1", "art-1", d, source="Outlet One"),
            ev("e-2", "art-2", d, where=NEAR_HAJIN, source="Outlet Two"),
        ]
    )
    why = out["e-1"][1]
    assert "e-2 [Outlet Two]" in why
    assert "same day" in why and "km apart" in why and "actors agree (SDF)" in why


def test_two_clashes_forty_km_apart_same_day_stay_apart() -> None:
    d = date(2024, 8, 7)
    out = cluster_incidents([ev("e-1", "art-1", d, where=HAJIN), ev("e-2", "art-2", d, where=MAYADIN)])
    assert incidents(out) == [{"e-1"}, {"e-2"}]
    assert out["e-1"] == ("inc:e-1", "single report")


def test_same_place_different_types_stay_apart() -> None:
    d = date(2024, 8, 7)
    protest = ev("e-p", "art-1", d, "protest", "peaceful protest", actor1="Civilians")
    strike = ev("e-s", "art-2", d, "explosion_remote_violence", "air/drone strike", actor1=None)
    assert incidents(cluster_incidents([protest, strike])) == [{"e-p"}, {"e-s"}]


def test_incompatible_subtypes_and_actors_stay_apart() -> None:
    d = date(2024, 8, 7)
    arrest = ev("e-1", "art-1", d, "strategic_development", "arrests")
    deal = ev("e-2", "art-2", d, "strategic_development", "agreement")
    sdf_vs_isis = ev("e-3", "art-3", d, actor1="SDF", actor2="ISIS")
    sdf_vs_ndf = ev("e-4", "art-4", d, actor1="SDF", actor2="NDF (pro-regime militia)")
    out = cluster_incidents([arrest, deal, sdf_vs_isis, sdf_vs_ndf])
    assert incidents(out) == [{"e-1"}, {"e-2"}, {"e-3"}, {"e-4"}]


def test_actor_classes_and_unknown_actors_are_compatible() -> None:
    d = date(2024, 8, 7)
    a = ev("e-1", "art-1", d, actor1="Syrian regime forces", actor2="SDF")
    b = ev("e-2", "art-2", d, actor1="Asayish", actor2="NDF (pro-regime militia)")
    c = ev("e-3", "art-3", d, actor1="Unidentified armed group", actor2=None)
    assert incidents(cluster_incidents([a, b, c])) == [{"e-1", "e-2", "e-3"}]


def test_a_clash_and_a_territory_change_stay_apart() -> None:
    """A report of fighting does not say ground changed hands: the takeover is its own incident."""
    d = date(2024, 8, 7)
    a = ev("e-1", "art-1", d, sub="armed clash")
    b = ev("e-2", "art-2", d, sub="non-state actor overtakes territory")
    assert incidents(cluster_incidents([a, b])) == [{"e-1"}, {"e-2"}]


def test_a_takeover_told_by_both_sides_is_one_incident() -> None:
    """One outlet credits the government, another the tribal fighters with it; the loser agrees."""
    d = date(2026, 1, 18)
    gov = ev(
        "e-1",
        "art-1",
        d,
        sub="government regains territory",
        actor1="Other: Syrian transitional government",
        actor2="SDF",
    )
    tribes = ev(
        "e-2",
        "art-2",
        d,
        sub="non-state actor overtakes territory",
        actor1="Arab tribal fighters",
        actor2="SDF",
    )
    out = cluster_incidents([gov, tribes])
    assert incidents(out) == [{"e-1", "e-2"}]
    assert "same direction (SDF)" in out["e-1"][1]


def test_a_takeover_and_its_retaking_are_two_incidents() -> None:
    """The taker of one report is the loser of the other: opposite moves, never one incident."""
    d = date(2023, 9, 6)
    taken = ev(
        "e-1",
        "art-1",
        d,
        sub="non-state actor overtakes territory",
        actor1="Arab tribal fighters",
        actor2="SDF",
    )
    retaken = ev(
        "e-2",
        "art-2",
        d,
        sub="non-state actor overtakes territory",
        actor1="SDF",
        actor2="Arab tribal fighters",
    )
    assert incidents(cluster_incidents([taken, retaken])) == [{"e-1"}, {"e-2"}]
    unknown_loser = ev(
        "e-3", "art-3", d, sub="non-state actor overtakes territory", actor1="Asayish", actor2=None
    )
    assert incidents(cluster_incidents([taken, unknown_loser])) == [{"e-1"}, {"e-3"}]


def test_dates_use_the_looser_precision() -> None:
    d = date(2024, 8, 7)
    day_a = ev("e-1", "art-1", d)
    day_b = ev("e-2", "art-2", d + timedelta(days=2))
    assert incidents(cluster_incidents([day_a, day_b])) == [{"e-1"}, {"e-2"}]
    week_b = ev("e-2", "art-2", d + timedelta(days=5), precision="week")
    assert incidents(cluster_incidents([day_a, week_b])) == [{"e-1", "e-2"}]
    late_week = ev("e-2", "art-2", d + timedelta(days=9), precision="week")
    assert incidents(cluster_incidents([day_a, late_week])) == [{"e-1"}, {"e-2"}]


def test_same_article_never_merges_even_through_a_chain() -> None:
    d = date(2024, 8, 7)
    x1 = ev("e-x1", "art-x", d)
    x2 = ev("e-x2", "art-x", d, where=NEAR_HAJIN)
    assert incidents(cluster_incidents([x1, x2])) == [{"e-x1"}, {"e-x2"}]
    y = ev("e-y", "art-y", d)  # would link both x1 and x2 if chaining were unchecked
    out = cluster_incidents([x1, x2, y])
    groups = incidents(out)
    assert len(groups) == 2
    for g in groups:
        assert not {"e-x1", "e-x2"} <= g


def test_governorate_level_reports_only_match_the_same_place() -> None:
    d = date(2024, 8, 7)
    capital = (35.336, 40.140)
    gov_a = ev("e-1", "art-1", d, where=capital, geo=3, place_id="deir-ez-zor")
    gov_b = ev("e-2", "art-2", d, where=capital, geo=3, place_id="deir-ez-zor")
    town_5km = ev("e-3", "art-3", d, where=(capital[0] + 0.045, capital[1]), geo=1, place_id="some-town")
    out = cluster_incidents([gov_a, gov_b, town_5km])
    assert incidents(out) == [{"e-1", "e-2"}, {"e-3"}]
    assert "governorate level" in out["e-1"][1]


def test_governorate_level_reports_need_close_dates_and_a_specific_sub_type() -> None:
    """Placed only at the governorate, two reports have nothing but the date and type to agree on:
    more than a day apart, or of the unspecific sub-type "other", they are not called one incident
    (however loose their dates are)."""
    d = date(2024, 8, 7)
    capital = (35.336, 40.140)

    def gov(eid: str, art: str, day: date, **kw: object) -> Event:
        return ev(eid, art, day, where=capital, geo=3, place_id="deir-ez-zor", **kw)  # type: ignore[arg-type]

    next_day = [gov("e-1", "art-1", d), gov("e-2", "art-2", d + timedelta(days=1))]
    assert incidents(cluster_incidents(next_day)) == [{"e-1", "e-2"}]
    same_week_day = [gov("e-1", "art-1", d, precision="week"), gov("e-2", "art-2", d, precision="week")]
    assert incidents(cluster_incidents(same_week_day)) == [{"e-1", "e-2"}]
    two_days_in_a_week = [
        gov("e-1", "art-1", d),
        gov("e-2", "art-2", d + timedelta(days=2), precision="week"),
    ]
    out = cluster_incidents(two_days_in_a_week)
    assert incidents(out) == [{"e-1"}, {"e-2"}]
    other = [
        gov("e-1", "art-1", d, etype="strategic_development", sub="other"),
        gov("e-2", "art-2", d, etype="strategic_development", sub="other"),
    ]
    out = cluster_incidents(other)
    assert incidents(out) == [{"e-1"}, {"e-2"}]
    # at a named town the same two developments are one
    town = [
        ev("e-1", "art-1", d, etype="strategic_development", sub="other", place_id="hajin"),
        ev("e-2", "art-2", d, etype="strategic_development", sub="other", place_id="hajin"),
    ]
    assert incidents(cluster_incidents(town)) == [{"e-1", "e-2"}]


def test_events_without_points_match_on_place_name() -> None:
    d = date(2024, 8, 7)
    a = Event("e-1", "art-1", d, "riot", "mob violence", location="al-Busayrah")
    b = Event("e-2", "art-2", d, "riot", "violent demonstration", location="Busayrah")
    c = Event("e-3", "art-3", d, "riot", "mob violence", location=None)
    assert incidents(cluster_incidents([a, b, c])) == [{"e-1", "e-2"}, {"e-3"}]


def test_max_km_is_configurable() -> None:
    d = date(2024, 8, 7)
    a, b = ev("e-1", "art-1", d, where=HAJIN), ev("e-2", "art-2", d, where=MAYADIN)
    assert incidents(cluster_incidents([a, b], max_km=60.0)) == [{"e-1", "e-2"}]


def _random_events(n: int, seed: int) -> list[Event]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    types = [
        ("battle", "armed clash"),
        ("explosion_remote_violence", "air/drone strike"),
        ("protest", "peaceful protest"),
    ]
    actors = ["SDF", "ISIS", "Syrian regime forces", None, "Arab tribal fighters"]
    out = []
    for i in range(n):
        t, s = rng.choice(types)
        out.append(
            Event(
                event_id=f"ev-{i:06d}",
                article_id=f"art-{rng.randrange(n // 3 + 1)}",
                event_date=date(2021, 1, 1) + timedelta(days=rng.randrange(1200)),
                event_type=t,
                sub_event_type=s,
                date_precision=rng.choices(["day", "week", "month"], [90, 8, 2])[0],
                actor1=rng.choice(actors),
                latitude=34.4 + rng.random() * 1.4,
                longitude=39.8 + rng.random() * 1.6,
                geo_precision=rng.choice([1, 1, 1, 2, 3]),
                location="x",
            )
        )
    return out


def test_result_does_not_depend_on_input_order() -> None:
    events = _random_events(3000, seed=7)
    first = cluster_incidents(events)
    assert any(why != "single report" for _inc, why in first.values())  # the sample does merge
    for seed in (1, 2):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)  # noqa: S311 - reproducible shuffle
        assert cluster_incidents(shuffled) == first


def test_no_incident_holds_two_events_of_one_article() -> None:
    events = _random_events(3000, seed=11)
    out = cluster_incidents(events)
    by_inc: dict[str, list[str]] = {}
    article = {e.event_id: e.article_id for e in events}
    for eid, (inc, _why) in out.items():
        by_inc.setdefault(inc, []).append(article[eid])
    assert all(len(arts) == len(set(arts)) for arts in by_inc.values())


def test_the_grid_finds_the_same_incidents_as_comparing_every_pair(monkeypatch) -> None:
    """The (day, cell) grid only saves work: on 2,000 events, clustering with every pair
    compared gives the same incidents. (Its speed is measured in benchmarks/bench_dedupe.py.)"""
    from itertools import combinations

    import conflictmap.incidents.dedupe as dedupe

    events = _random_events(2000, seed=3)
    fast = cluster_incidents(events)
    assert any(why != "single report" for _inc, why in fast.values())
    monkeypatch.setattr(dedupe, "_candidate_pairs", lambda evs, _km: combinations(range(len(evs)), 2))
    assert cluster_incidents(events) == fast


def test_explain_lists_the_reports_of_an_incident() -> None:
    d = date(2024, 3, 5)
    events = [
        ev("e-1", "art-1", d, source="Outlet One"),
        ev("e-2", "art-2", d, where=NEAR_HAJIN, source="Outlet Two"),
    ]
    out = cluster_incidents(events)
    text = explain(events, "inc:e-1", out)
    assert text.startswith("inc:e-1: 2 reports")
    assert "Outlet One" in text and "Outlet Two" in text
    assert explain(events, "inc:none", out) == "inc:none: no reports"


def test_two_named_villages_close_together_stay_two_incidents():
    day = date(2023, 9, 6)
    a = ev("a", "art-1", day, where=HAJIN, place_id="dz:hajin")
    b = ev("b", "art-2", day, where=NEAR_HAJIN, place_id="dz:bahra")
    c = ev("c", "art-3", day, where=NEAR_HAJIN, place_id="dz:hajin")
    out = cluster_incidents([a, b, c])
    assert out["a"][0] != out["b"][0]
    assert out["a"][0] == out["c"][0]  # same named village, other outlet: one incident


def test_a_chain_through_a_near_report_never_joins_two_named_towns():
    day = date(2023, 9, 25)
    a = ev("a", "art-1", day, where=HAJIN, place_id="dz:hajin")
    near = ev("n", "art-2", day, where=NEAR_HAJIN, geo=2, place_id="dz:hajin")
    b = ev("b", "art-3", day, where=NEAR_HAJIN, place_id="dz:bahra")
    out = cluster_incidents([a, near, b])
    assert out["a"][0] != out["b"][0]


# ---- across origins: hand-coded reference facts and extracted reports ----------------------


def ref(event_id: str, article: str, day: date, hand_id: str, **kw) -> Event:
    """A hand-coded reference fact: origin reference, its incident id given by a person."""
    e = ev(event_id, article, day, **kw)
    return Event(**{**e.__dict__, "origin": "reference", "incident_id": hand_id, "confidence": 1.0})


def test_a_reference_fact_and_an_extracted_report_of_one_incident_are_one_incident() -> None:
    d = date(2024, 8, 12)
    fact = ref("ref:1", "ref:art-a", d, "ref:INC-A", actor2="Syrian regime forces", source="Outlet A")
    read = ev("x-1", "art-a", d, actor2="Syrian regime forces", source="Outlet A")
    out = cluster_incidents([fact, read])
    assert out["ref:1"][0] == out["x-1"][0]
    assert "coded by hand" in out["x-1"][1]  # the reason says which source a person coded
    text = explain([fact, read], out["x-1"][0], out)
    assert text.startswith(f"{out['x-1'][0]}: 2 reports")
    assert "Outlet A, coded by hand" in text


def test_reference_facts_keep_their_hand_made_grouping() -> None:
    d = date(2023, 9, 25)
    # one incident told by two outlets, coded a day apart at two precisions: one incident
    a = ref("ref:a", "ref:art-1", d, "ref:INC-CLASH", precision="week")
    b = ref("ref:b", "ref:art-2", d + timedelta(days=1), "ref:INC-CLASH", geo=2)
    # same day, same place, same type, but a person coded it as another incident: stays apart
    c = ref(
        "ref:c",
        "ref:art-3",
        d + timedelta(days=1),
        "ref:INC-TAKEOVER",
        sub="non-state actor overtakes territory",
    )
    out = cluster_incidents([a, b, c])
    assert out["ref:a"][0] == out["ref:b"][0]
    assert out["ref:c"][0] != out["ref:a"][0]
    assert "grouped by hand" in out["ref:a"][1]


def test_no_extracted_report_joins_two_hand_coded_incidents() -> None:
    d = date(2023, 9, 25)
    a = ref("ref:a", "ref:art-1", d, "ref:INC-1")
    b = ref("ref:b", "ref:art-2", d, "ref:INC-2")
    x = ev("x", "art-x", d)  # matches both by the rules
    out = cluster_incidents([a, b, x])
    assert out["ref:a"][0] != out["ref:b"][0]
    assert out["x"][0] in {out["ref:a"][0], out["ref:b"][0]}


def test_a_report_joins_the_reference_fact_coded_from_its_own_article() -> None:
    d = date(2024, 8, 7)
    url = "https://example.org/the-report"
    # Two reference incidents a day apart; the extracted report is one day from both, but only
    # one was coded from the article it was read from.
    other = ref("ref:o", "ref:art-o", d - timedelta(days=1), "ref:INC-O", source="Other")
    own = Event(**{**ref("ref:s", "ref:art-s", d + timedelta(days=1), "ref:INC-S").__dict__, "url": url})
    read = Event(**{**ev("x", "art-s", d).__dict__, "url": url})
    out = cluster_incidents([other, own, read])
    assert out["x"][0] == out["ref:s"][0] != out["ref:o"][0]


def test_two_named_towns_never_merge_across_origins() -> None:
    day = date(2023, 9, 6)
    fact = ref("ref:h", "ref:art-1", day, "ref:INC-H", where=HAJIN, place_id="dz:hajin")
    other_town = ev("x", "art-2", day, where=NEAR_HAJIN, place_id="dz:bahra")
    near = ev("n", "art-3", day, where=HAJIN, geo=2, place_id="dz:hajin")
    out = cluster_incidents([fact, other_town, near])
    assert out["x"][0] != out["ref:h"][0]
    assert out["x"][0] != out["n"][0]
    assert out["n"][0] == out["ref:h"][0]  # a 'near Hajin' report joins the Hajin fact
