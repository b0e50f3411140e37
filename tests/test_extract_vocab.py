"""Trigger vocabulary outlets use that the first rule tables did not read: nominal and passive
forms ("the shooting of", "a checkpoint targeted by gunmen", "other attacks hit"), an operation
"was launched", withdrawals told as "evacuated by the army" or "retreated from", "took over";
and the background sentences the same words must not turn into events.

All texts were written for this test; none is copied from any corpus.
"""

from __future__ import annotations

from datetime import date

import pytest

from conflictmap.extract import extract_article
from conflictmap.geo.gazetteer import load_gazetteer
from conflictmap.models import Article
from tests.test_extract_general import CLASH, DISRUPT, DRONE, IED, OTHER, SHELL, TAKE, VAC, Case, check, w

TUE = date(2024, 8, 13)  # Sunday 11, Monday 12 Aug
TRANSFER = "strategic_development", "non-violent transfer of territory"

CASES = [
    Case(
        "nominal: the shooting of a man",
        TUE,
        "On Sunday the observatory recorded the shooting of a shop owner by gunmen in the town of Hajin.",
        [w(VAC, date(2024, 8, 11), "dz:hajin", {"Civilians"})],
    ),
    Case(
        "passive: a checkpoint targeted by gunmen",
        TUE,
        "On Monday, an SDF checkpoint in al-Busayrah was targeted by gunmen riding a motorcycle.",
        [w(CLASH, date(2024, 8, 12), "dz:al-busayrah", {"SDF"})],
    ),
    Case(
        "passive with a weapon: the weapon says what it was",
        TUE,
        "On Monday, an SDF position in Hajin was targeted by rockets.",
        [w(SHELL, date(2024, 8, 12), "dz:hajin")],
    ),
    Case(
        "noun subject: attacks hit a post",
        TUE,
        "On Sunday, attacks hit an Asayish post in Diban.",
        [w(CLASH, date(2024, 8, 11), "dz:diban", {"Asayish"})],
    ),
    Case(
        "passive: an operation that was launched on a date",
        TUE,
        "Raids continue under a security operation in the town of Hajin that was launched on Sunday by the SDF.",
        [w(OTHER, date(2024, 8, 11), "dz:hajin", {"SDF"})],
    ),
    Case(
        "withdrawal told as areas evacuated by the army: one event per town",
        TUE,
        "Hajin, al-Quriyah, Mayadin, Abu Kamal and other areas were evacuated by the Syrian army on Monday.",
        [
            w(TRANSFER, date(2024, 8, 12), "dz:hajin"),
            w(TRANSFER, date(2024, 8, 12), "dz:al-quriyah"),
            w(TRANSFER, date(2024, 8, 12), "dz:al-mayadin"),
            w(TRANSFER, date(2024, 8, 12), "dz:abu-kamal"),
        ],
    ),
    Case(
        "positions given up in a list of towns: one event at the first",
        TUE,
        "On Monday the SDF abandoned its positions in Hajin, al-Quriyah, Mayadin and Gharanij.",
        [w(TRANSFER, date(2024, 8, 12), "dz:hajin")],
    ),
    Case(
        "a singular aircraft noun: an airplane targeted",
        TUE,
        "On Sunday an unidentified airplane targeted a militia depot in al-Quriyah.",
        [w(DRONE, date(2024, 8, 11), "dz:al-quriyah")],
    ),
    Case(
        "the country that struck is not where it happened; deaths told later at the same town",
        TUE,
        "Nine militiamen were killed on Monday in the strikes, believed to be by Israel, on a site "
        "near Abu Kamal, a monitor said. The monitor gave no more details of the toll. Officials "
        "were not available for comment. A depot near Abu Kamal was hit, killing four of them.",
        [w(DRONE, date(2024, 8, 12), "dz:abu-kamal", fat=9)],
    ),
    Case(
        "passive by a drone",
        TUE,
        "A car carrying two militiamen was targeted by an unidentified drone near al-Quriyah on Sunday.",
        [w(DRONE, date(2024, 8, 11), "dz:al-quriyah")],
    ),
    Case(
        "killed by a drone",
        TUE,
        "Two SDF fighters were killed by a drone near Hajin on Monday.",
        [w(DRONE, date(2024, 8, 12), "dz:hajin", {"SDF"}, 2)],
    ),
    Case(
        "gunned down",
        TUE,
        "Unknown gunmen gunned down a pharmacist in the town of Hajin on Monday.",
        [w(VAC, date(2024, 8, 12), "dz:hajin", {"Civilians"})],
    ),
    Case(
        "an exchange of fire",
        TUE,
        "An exchange of fire broke out between SDF members and tribal gunmen in Diban on Sunday.",
        [w(CLASH, date(2024, 8, 11), "dz:diban", {"SDF"})],
    ),
    Case(
        "seized a village",
        TUE,
        "On Sunday tribal fighters seized the village of Diban from the SDF.",
        [w(TAKE, date(2024, 8, 11), "dz:diban")],
    ),
    Case(
        "a weapons cache seized",
        TUE,
        "Security forces seized a weapons cache in a farm outside Mayadin on Monday.",
        [w(DISRUPT, date(2024, 8, 12), "dz:al-mayadin")],
    ),
    Case(
        "a suicide attacker who blew himself up",
        TUE,
        "On Monday a suicide attacker blew himself up at an SDF checkpoint in Hajin, killing two guards.",
        [w(("explosion_remote_violence", "suicide bomb"), date(2024, 8, 12), "dz:hajin", fat=2)],
    ),
    Case(
        "a place described by a relative clause of its capture is not a capture",
        TUE,
        "On Monday an IED exploded in the village of Diban, which was recently captured by tribal fighters.",
        [w(IED, date(2024, 8, 12), "dz:diban")],
    ),
    Case(
        "an attack on one village and a car bomb in another: two events",
        TUE,
        "On Sunday ISIS attacked the village of Diban and detonated a car bomb in Hajin.",
        [
            w(CLASH, date(2024, 8, 11), "dz:diban", {"ISIS"}),
            w(IED, date(2024, 8, 11), "dz:hajin", {"ISIS"}),
        ],
    ),
    Case(
        "armed men storming a village are no riot",
        TUE,
        "On Monday ISIS gunmen stormed the village of Diban and clashed with its guards.",
        [w(CLASH, date(2024, 8, 12), "dz:diban", {"ISIS"})],
    ),
    Case(
        "a crowd storming a headquarters is a riot",
        TUE,
        "On Monday hundreds of angry residents stormed the council headquarters in Hajin.",
        [w(("riot", "violent demonstration"), date(2024, 8, 12), "dz:hajin")],
    ),
    Case(
        "a house torched by gunmen is property destruction, not a riot",
        TUE,
        "On Sunday unknown gunmen torched the house of an SDF commander in Diban.",
        [w(("strategic_development", "looting/property destruction"), date(2024, 8, 11), "dz:diban")],
    ),
    Case(
        "one operation launched on a day is an event",
        TUE,
        "The SDF launched a combing operation in the town of Hajin on Monday.",
        [w(OTHER, date(2024, 8, 12), "dz:hajin", {"SDF"})],
    ),
    Case(
        "a gunbattle",
        TUE,
        "A gunbattle broke out between SDF members and tribal gunmen in Diban on Sunday.",
        [w(CLASH, date(2024, 8, 11), "dz:diban", {"SDF"})],
    ),
    Case(
        "a VBIED",
        TUE,
        "On Monday a VBIED exploded at an SDF checkpoint in Hajin.",
        [w(IED, date(2024, 8, 12), "dz:hajin")],
    ),
    Case(
        "took over a town",
        TUE,
        "Tribal fighters took over the village of Diban on Sunday after the SDF left.",
        [w(TAKE, date(2024, 8, 11), "dz:diban")],
    ),
]


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_vocabulary(case, gaz):
    assert check(case, gaz) == []


@pytest.mark.parametrize(
    "text",
    [
        # the words as the topic of a demand or an inquiry, not an incident of the report
        "Residents of Hajin marched on Monday, calling on the SDF to reveal the perpetrators of the "
        "assassinations of tribal elders.",
        "Tribal leaders in Diban demanded an investigation into the shooting of a teacher.",
        "Elders in Diban demanded accountability for the assault on the village last year.",
        "The SDF has repeatedly seized weapons caches in the desert south of Hajin over the years.",
        # a series of operations summed up, no one day
        "The SDF has carried out combing operations in the desert between Hajin and Diban.",
        "ISIS attacks hit a record high in the province of Deir ez-Zor last year, a monitor said.",
        "The family of the murdered teacher in Hajin held a funeral on Monday.",
        # a leader who takes over a post is not territory
        "A veteran officer took over as head of the local council in Hajin on Monday.",
    ],
)
def test_vocabulary_not_an_incident(text, gaz):
    events = extract_article(Article("t", None, "T", None, TUE, text), gaz)
    assert [e.event_type for e in events if e.event_type != "protest"] == []


def test_a_country_that_acts_is_not_where_it_happened():
    from conflictmap.extract.roles import elsewhere

    assert not elsewhere("Strikes believed to be by Israel killed nine militiamen overnight.")
    assert not elsewhere("Drones launched from Iraq hit a base on Monday.")
    assert elsewhere("A drone struck a car in Iraq's Anbar on Monday.")


@pytest.mark.parametrize(
    ("text", "place_id"),
    [
        # "A near B": B only says where A lies; one event, at A
        (
            "On Sunday, regime artillery shelled the village of Diban near Mayadin, killing a farmer.",
            "dz:diban",
        ),
        ("On Sunday, regime artillery shelled Hajin near Abu Kamal, killing a farmer.", "dz:hajin"),
        # "A village in B city": A's namesake in the district B is the seat of
        (
            "On Sunday, a landmine went off in Salihiyah village in Abu Kamal city, killing a shepherd.",
            "dz:al-salihiyah-abu-kamal",
        ),
    ],
)
def test_reference_town_is_not_a_second_place(text, place_id, gaz):
    events = extract_article(Article("t", None, "T", None, TUE, text), gaz)
    assert [e.place_id for e in events] == [place_id]


def test_a_siege_broken_is_not_a_siege_laid(gaz):
    text = "Government troops broke the three-year siege of the airport near Hajin on Monday, a source said."
    events = extract_article(Article("t", None, "T", None, TUE, text), gaz)
    assert [e for e in events if e.sub_event_type == "other"] == []


def test_a_place_told_more_precisely_later_is_kept(gaz):
    """One event told twice, the governorate first and the city next: the city's precision stays."""
    text = (
        "Regime forces withdrew from Deir ez-Zor on Monday, a monitor said. "
        "Deir ez-Zor city centre was evacuated by the regime army on Monday."
    )
    events = extract_article(Article("t", None, "T", None, TUE, text), gaz)
    assert [(e.sub_event_type, e.place_id, e.geo_precision) for e in events] == [
        ("non-violent transfer of territory", "dz:deir-ez-zor", 1)
    ]


def test_a_lead_followed_by_two_towns_is_an_event_at_each(gaz):
    """ "seven near A, the other five south of B": the incident at A and at B, each its own row;
    "south of B" with no place before it is where it happened (near B)."""
    text = (
        "Twelve militiamen were killed on Monday in air strikes in the eastern countryside of "
        "Deir ez-Zor, a monitor said. Seven of them were killed near Hajin, while the other five "
        "died in the strikes south of Abu Kamal."
    )
    events = extract_article(Article("t", None, "T", None, TUE, text), gaz)
    assert sorted((e.sub_event_type, e.place_id) for e in events) == [
        ("air/drone strike", "dz:abu-kamal"),
        ("air/drone strike", "dz:hajin"),
    ]


def test_a_direction_after_a_named_place_stays_a_reference(gaz):
    text = "On Monday a mine exploded in Diban, 40 km east of Mayadin, killing a shepherd."
    events = extract_article(Article("t", None, "T", None, TUE, text), gaz)
    assert [e.place_id for e in events] == ["dz:diban"]


def test_a_handover_has_two_sides(gaz):
    """A withdrawal names the side that left; the side it left to comes from the report."""
    text = (
        "Regime troops clashed with the SDF near Diban on Sunday, a monitor said. "
        "On Monday regime forces withdrew from Hajin."
    )
    events = extract_article(Article("t", None, "T", None, TUE, text), gaz)
    handover = [e for e in events if e.sub_event_type == "non-violent transfer of territory"]
    assert [(e.place_id, {e.actor1, e.actor2}) for e in handover] == [
        ("dz:hajin", {"Syrian regime forces", "SDF"})
    ]
