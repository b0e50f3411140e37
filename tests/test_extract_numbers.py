"""Fatality counts read from one sentence: lists of victims are summed, one side's zero is no zero,
and a follow-up naming "the bombardment" gives its toll to the incident just told."""

from __future__ import annotations

from datetime import date

import pytest

from conflictmap.extract import extract_article
from conflictmap.extract.numbers import fatalities
from conflictmap.geo.gazetteer import load_gazetteer
from conflictmap.models import Article


@pytest.mark.parametrize(
    ("sentence", "count"),
    [
        ("The strike killed two soldiers and three militiamen.", 5),
        (
            "Israeli jets killed at least nine soldiers and seven fighters of an Iraqi militia near the border.",
            16,
        ),
        (
            "The shelling killed one man, identified as Khalil Hamoud, and one boy, named as Omar Hamoud, in the village.",
            2,
        ),
        ("Gunmen ambushed a patrol, killing four members of the Asayish and two civilians.", 6),
        # the second group is wounded, arrested or the verb changes: not a list of the dead
        ("The strike killed two soldiers and wounded three others.", 2),
        ("Gunmen killed two people and three others were injured.", 2),
        ("The raid killed two cell members and arrested four others in the village.", 2),
        ("The attack killed two fighters and injured three civilians.", 2),
    ],
)
def test_a_list_of_victims_is_summed(sentence: str, count: int) -> None:
    assert fatalities(sentence) == (count, False)


def test_no_casualties_on_one_side_is_not_a_zero() -> None:
    assert fatalities("The SDF said the attack caused no casualties among its fighters.") == (None, False)
    assert fatalities("No casualties in their ranks were reported.") == (None, False)
    assert fatalities("The attack caused no casualties.") == (0, False)


def test_the_bombardment_follow_up_gives_its_toll_to_the_shelling() -> None:
    text = (
        "On March 3, 2024, regime forces stationed in Mayadin fired several artillery shells at the village "
        "of Dhiban. The bombardment killed one woman, identified as Salma Khalaf, and one boy, identified "
        "as Ali Khalaf, while four civilians were wounded."
    )
    art = Article(id="own-1", url=None, source="test", title=None, published=date(2024, 3, 4), text=text)
    events = extract_article(art, load_gazetteer())
    assert [(e.event_type, e.place_id, e.fatalities) for e in events] == [
        ("explosion_remote_violence", "dz:diban", 2)
    ]


def test_a_dateline_names_where_the_reporter_filed_not_where_it_happened():
    text = (
        "Shelling hits a village\n\nERBIL/HASAKAH — A family of four was killed on Friday when a shell "
        "struck their home in al-Dahla, residents said."
    )
    art = Article(id="own-2", url=None, source="test", title=None, published=date(2024, 8, 12), text=text)
    events = extract_article(art, load_gazetteer())
    assert [e.place_id for e in events] == ["dz:al-dahla"], [(e.location, e.place_id) for e in events]


def test_people_described_by_their_past_are_no_incident():
    """ "widows of fighters who had been killed" describes people; the sentence, dated only by
    when the camp was set up, tells no killing of its own."""
    text = (
        "The camp in Hajin, set up in September, housed hundreds of families, including widows of "
        "ISIS fighters who had been killed."
    )
    art = Article(id="own-3", url=None, source="test", title=None, published=date(2018, 10, 16), text=text)
    assert extract_article(art, load_gazetteer()) == []
