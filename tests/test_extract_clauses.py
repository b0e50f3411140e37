"""Sentence readings learnt from the fold that was kept unread (after its score was taken),
written as general rules and tested on texts written for them."""

from __future__ import annotations

from datetime import date

import pytest

from conflictmap.extract import extract_article
from conflictmap.geo.gazetteer import load_gazetteer
from conflictmap.models import Article


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def run(gaz, text: str, published: date = date(2018, 2, 8)):
    return extract_article(Article("c", None, "test", None, published, text), gaz)


def test_shelling_exchanged_between_two_sides_is_a_clash_at_each_village(gaz):
    events = run(
        gaz,
        "Heavy shelling broke out on Monday between the SDF and regime forces in the villages of Khasham and Al-Tabiyah.",
    )
    assert sorted((e.event_type, e.sub_event_type, e.location) for e in events) == [
        ("battle", "armed clash", "Al-Tabiyah"),
        ("battle", "armed clash", "Khasham"),
    ]
    assert all({e.actor1, e.actor2} == {"SDF", "Syrian regime forces"} for e in events)
    # one side shelling a village stays a shelling
    (one,) = run(gaz, "Regime forces shelled Khasham on Monday, killing two civilians.")
    assert (one.event_type, one.sub_event_type, one.fatalities) == (
        "explosion_remote_violence",
        "shelling/artillery/missile attack",
        2,
    )


def test_deaths_counted_over_the_past_week_are_a_tally(gaz):
    assert (
        run(
            gaz,
            "The SDF said 14 of its fighters had been killed over the past week in the fighting in Deir ez-Zor.",
        )
        == []
    )
    (e,) = run(gaz, "Two SDF fighters were killed in an ISIS attack on a checkpoint in Hajin on Tuesday.")
    assert e.fatalities == 2


def test_people_captured_are_not_ground_taken(gaz):
    assert not [
        e
        for e in run(
            gaz,
            "Around sixty women and children were among the civilians captured from a displacement camp near Hajin on Friday.",
        )
        if e.sub_event_type.endswith("territory")
    ]
    (taken,) = run(
        gaz, "SDF fighters captured the village of Al-Susah from ISIS on Friday after heavy clashes."
    )
    assert taken.sub_event_type == "non-state actor overtakes territory" and taken.location == "Al-Susah"


def test_a_toll_since_an_attack_codes_the_attack_not_the_toll(gaz):
    """ "Shelling has killed dozens since tribal forces launched an attack on Dhiban six days ago":
    the main clause is a running total; the incident is the attack the since-clause dates, with
    its own sides ("Iran-backed Arab tribal forces" are pro-regime tribal fighters)."""
    text = (
        "Regime shelling has killed dozens of people in villages of Deir ez-Zor since Iran-backed "
        "Arab tribal forces launched an attack on Dhiban six days ago."
    )
    (e,) = run(gaz, text, published=date(2024, 8, 12))
    assert (e.event_type, e.sub_event_type, e.location, e.event_date) == (
        "battle",
        "armed clash",
        "Dhiban",
        date(2024, 8, 6),
    )
    assert e.actor1 == "Pro-regime tribal fighters" and e.fatalities is None
