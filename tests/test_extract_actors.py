"""Actors: surface forms outlets use for the same forces, who the victims of violence against
civilians are, a speaker who is not the attacker, victims told in a follow-up sentence, and
"the group" / "the militia" / "the forces" read as the actor of that kind named last.

All texts were written for this test; none is copied from any corpus.
"""

from __future__ import annotations

from datetime import date

import pytest

from conflictmap.extract import extract_article
from conflictmap.extract.actors import find_actors, resolve_anaphors
from conflictmap.geo.gazetteer import load_gazetteer
from conflictmap.models import Article

TUE = date(2024, 8, 13)  # Sunday 11, Monday 12 Aug


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def events(text: str, gaz, published: date = TUE):
    return extract_article(Article("t", None, "Test", None, published, text), gaz)


@pytest.mark.parametrize(
    "phrase,actor,on",
    [
        ("a Russian airstrike", "Russia", TUE),
        ("Russian air raids", "Russia", TUE),
        ("Israeli airstrikes", "Israel", TUE),
        ("an Israeli air strike", "Israel", TUE),
        ("Turkish drone strikes", "Turkey", TUE),
        ("US strikes", "US forces", TUE),
        ("American special forces", "US forces", TUE),
        ("a US-backed force", "SDF", TUE),
        ("the U.S.-backed Kurdish-led fighters", "SDF", TUE),
        ("Iranian-backed foreign militias", "Iran-backed militias", TUE),
        ("Iran-aligned Iraqi militiamen", "Iran-backed militias", TUE),
        ("Syrian security forces", "Syrian regime forces", TUE),
        ("the Syrian Air Force", "Syrian regime forces", TUE),
        ("the Tiger Forces", "Syrian regime forces", TUE),
        ("the Fourth Division", "Syrian regime forces", TUE),
        ("sleeper cells", "ISIS", TUE),
        ("Harakat al-Nujaba", "Iran-backed militias", TUE),
        ("Wagner mercenaries", "Russia", TUE),
        ("Operation Inherent Resolve", "US-led coalition", TUE),
        ("Syrian warplanes", "Syrian regime forces", TUE),
        ("Syrian security forces", "Other: Syrian transitional government", date(2025, 6, 1)),
        ("government security forces", "Other: Syrian transitional government", date(2025, 6, 1)),
    ],
)
def test_surface_forms(phrase, actor, on):
    found = find_actors(f"On Sunday {phrase} hit a target in the area.", on)
    assert [m.actor for m in found] == [actor]


def test_violence_against_civilians_has_civilian_victims(gaz):
    evs = events("Khalil al-Hamad was shot dead by unidentified gunmen in Hajin on Sunday.", gaz)
    assert evs and evs[0].event_type == "violence_against_civilians"
    assert "Civilians" in (evs[0].actor1, evs[0].actor2)


def test_the_speaker_of_a_report_is_not_who_fired(gaz):
    evs = events(
        "CENTCOM confirmed that a rocket was fired at American forces at the Conoco gas field "
        "in Deir ez-Zor on Sunday.",
        gaz,
    )
    assert evs and evs[0].event_type == "explosion_remote_violence"
    assert evs[0].actor1 == "Unidentified armed group" and evs[0].actor2 == "US forces"


def test_the_speaker_who_speaks_of_itself_stays_the_attacker(gaz):
    evs = events("The SDF said on Sunday that its artillery shelled ISIS positions near Hajin.", gaz)
    assert evs and evs[0].actor1 == "SDF"


def test_victims_told_in_the_next_sentence_are_the_target(gaz):
    evs = events(
        "Pro-regime fighters clashed with the SDF near Diban on Saturday.\n\n"
        "On Sunday, mortar shells fired from the western bank hit the village of Gharanij. "
        "The shelling killed a woman and two children.",
        gaz,
    )
    shelling = [e for e in evs if e.event_type == "explosion_remote_violence"]
    assert shelling and "Civilians" in (shelling[0].actor1, shelling[0].actor2)


def test_the_group_is_the_group_named_last():
    text = (
        "ISIS cells attacked an SDF post on Sunday. The group later claimed the attack. "
        "Iran-backed militias moved into the town, and the militia set up checkpoints."
    )
    found = resolve_anaphors(text, find_actors(text, TUE))
    by_text = {m.text.lower(): m.actor for m in found}
    assert by_text["the group"] == "ISIS"
    assert by_text["the militia"] == "Iran-backed militias"


def test_an_anaphor_with_nothing_before_it_stays_unread():
    text = "The group claimed an attack on Sunday."
    assert resolve_anaphors(text, find_actors(text, TUE)) == []


def test_a_name_that_contains_the_phrase_is_not_an_anaphor():
    text = "ISIS struck first. Then the Kurdish-led forces answered."
    found = resolve_anaphors(text, find_actors(text, TUE))
    assert [m.actor for m in found] == ["ISIS", "SDF"]


@pytest.mark.parametrize(
    "text,sub",
    [
        (
            "ISIS militants have retaken half of Hajin in a counter-attack on Sunday.",
            "non-state actor overtakes territory",
        ),
        (
            "The SDF reclaimed the town of Diban from tribal fighters on Sunday.",
            "non-state actor overtakes territory",
        ),
        ("Syrian army troops have retaken the town of al-Mayadin on Sunday.", "government regains territory"),
    ],
)
def test_territory_retaken_or_reclaimed(gaz, text, sub):
    evs = events(text, gaz, date(2017, 11, 14))
    assert evs and evs[0].event_type == "battle" and evs[0].sub_event_type == sub


def test_arrest_label_is_the_schema_one(gaz):
    # EVENTS.md names the sub-type "arrest" (ACLED's "arrests")
    evs = events("The Asayish arrested three men in Hajin on Sunday.", gaz)
    assert [e.sub_event_type for e in evs] == ["arrest"]


def test_clash_between_two_sides_is_not_taken_over_by_an_agent_elsewhere(gaz):
    evs = events(
        "Fierce clashes broke out between the SDF and ISIS in Hajin on Sunday, amid shelling of the "
        "town by coalition artillery.",
        gaz,
    )
    battles = [e for e in evs if e.event_type == "battle"]
    assert battles and {battles[0].actor1, battles[0].actor2} == {"SDF", "ISIS"}


def test_a_pronoun_subject_is_the_last_events_perpetrator_even_with_victims_named(gaz):
    evs = events(
        "ISIS gunmen attacked an SDF post near Hajin on Sunday. They also kidnapped two shepherds near Hajin.",
        gaz,
    )
    kidnap = [e for e in evs if e.event_type == "violence_against_civilians"]
    assert kidnap and (kidnap[0].actor1, kidnap[0].actor2) == ("ISIS", "Civilians")


def test_the_regime_change_day_is_written_once():
    """The actor tables name the day (``regime-change``); the date itself lives in models."""
    from conflictmap.extract.rules import load_actor_rules
    from conflictmap.models import REGIME_CHANGE

    days = {d for r in load_actor_rules() for d in (r.valid_until, r.valid_from) if d is not None}
    assert days == {REGIME_CHANGE}
