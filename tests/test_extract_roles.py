"""General rules for reports nobody tuned to: sentence roles, names that are not places, a bare
"attack" typed by its weapon or agent, one event per incident across an article, out-of-area
events as low-confidence candidates.

All texts were written for this test; none is copied from any corpus.
"""

from __future__ import annotations

from datetime import date

import pytest

from conflictmap.extract import CONFIDENCE_THRESHOLD, extract_article, extract_article_all
from conflictmap.extract.roles import person_or_outlet, sentence_role
from conflictmap.geo.gazetteer import load_gazetteer
from conflictmap.models import Article

TUE = date(2024, 8, 13)  # Sunday 11, Monday 12 Aug


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def events(text: str, gaz, published: date = TUE):
    return extract_article(Article("t", None, "Test", None, published, text), gaz)


@pytest.mark.parametrize(
    "text",
    [
        "Coalition bases in the region have faced more than 120 attacks since last October, "
        "according to a monitor's count.",
        "The province remains a flashpoint for clashes between pro-regime fighters and the SDF.",
        "Eight years have passed since the SDF announced the defeat of ISIS at its last town.",
        "The cells plant mines along desert tracks and launch ambushes on passing patrols.",
    ],
)
def test_background_tally_and_habit_sentences_are_not_events(text, gaz):
    assert events(text, gaz) == []


def test_sentence_role_keeps_a_dated_incident():
    assert sentence_role("ISIS cells attacked an SDF post in Hajin on Sunday.", True) is None
    assert sentence_role("Dozens of attacks were recorded this year in the eastern countryside.", False)


def test_spokesman_and_given_names_are_not_places():
    text = "Spokesman Farhad Shami said the SDF had repelled the attack."
    start = text.index("Shami")
    assert person_or_outlet(text, start, start + 5) == "person"
    text = "Mohammed, a farmer from the area, said the shells fell at dawn."
    assert person_or_outlet(text, 0, 8) == "person"
    text = "Shells fell on a house in the village of Kasra on Sunday."
    start = text.index("Kasra")
    assert person_or_outlet(text, start, start + 5) is None


def test_outlet_name_is_not_a_place():
    text = 'The local "Khabour" network said two drones hit the base.'
    start = text.index("Khabour")
    assert person_or_outlet(text, start, start + 7) == "outlet"


def test_name_before_a_surname_is_not_the_event_place(gaz):
    evs = events(
        "A drone struck an SDF vehicle near Gharanij on Sunday, SDF commander Mazloum Abdi said.",
        gaz,
    )
    assert [e.place_id for e in evs] == ["dz:gharanij"]


def test_rocket_attack_is_one_shelling_not_a_battle_too(gaz):
    evs = events("Militants fired a rocket attack against the Conoco gas field on Sunday.", gaz)
    assert [(e.event_type, e.sub_event_type) for e in evs] == [
        ("explosion_remote_violence", "shelling/artillery/missile attack")
    ]


def test_an_attack_by_an_air_force_is_an_air_strike(gaz):
    evs = events(
        "The Israeli Air Force attacked weapons depots of Iran-backed militias near Abu Kamal on Sunday.",
        gaz,
    )
    assert [(e.event_type, e.sub_event_type) for e in evs] == [
        ("explosion_remote_violence", "air/drone strike")
    ]
    assert evs[0].place_id == "dz:abu-kamal"


def test_a_force_battling_isis_describes_it_and_is_no_battle(gaz):
    evs = events(
        "A US-backed force battling ISIS said on Sunday that warplanes struck its positions near Hajin.",
        gaz,
    )
    assert {e.event_type for e in evs} == {"explosion_remote_violence"}


def test_lead_at_the_governorate_and_detail_in_a_town_are_one_event(gaz):
    text = (
        "Four fighters were killed on Monday in a drone attack in the desert of Deir ez-Zor.\n\n"
        "The target of the attack was a post at the Al-Omar oil field, the SDF said."
    )
    evs = events(text, gaz)
    assert len(evs) == 1
    assert evs[0].place_id == "dz:al-omar-oil-field"
    assert evs[0].event_date == date(2024, 8, 12)
    assert evs[0].fatalities == 4


def test_coarse_mention_merges_into_the_town_event_of_another_subtype(gaz):
    text = (
        "Regime forces launched a drone attack on SDF positions in eastern Deir ez-Zor on Monday.\n\n"
        "Regime artillery shelled the town of Diban on Monday, the SDF said."
    )
    evs = events(text, gaz)
    assert [(e.event_type, e.place_id) for e in evs] == [("explosion_remote_violence", "dz:diban")]


def test_out_of_area_event_is_noted_and_less_confident(gaz):
    outside = "A drone struck a base near Hasakah city on Sunday, killing two guards."
    inside = "A drone struck a base near Hajin on Sunday, killing two guards."
    a = extract_article_all(Article("o", None, "Test", None, TUE, outside), gaz)
    b = extract_article_all(Article("i", None, "Test", None, TUE, inside), gaz)
    assert len(a) == len(b) == 1
    assert "outside the study area" in a[0].notes and "outside" not in b[0].notes
    assert a[0].confidence <= b[0].confidence - 0.25


def test_threshold_splits_events_from_candidates(gaz):
    """A governorate-level mention with no date of its own, in quoted speech, is a candidate:
    left out of extract_article, kept by extract_article_all with its confidence."""
    text = '"Our fighters clashed with the cells in the Deir ez-Zor countryside," the commander said.'
    art = Article("q", None, "Test", None, TUE, text)
    cands = extract_article_all(art, gaz)
    assert cands and all(c.confidence < CONFIDENCE_THRESHOLD for c in cands)
    assert extract_article(art, gaz) == []


def test_a_site_named_with_a_lowercase_generic_noun_is_found(gaz):
    evs = events("Tribal fighters seized control of the Omar oil field on Sunday.", gaz)
    assert [e.place_id for e in evs] == ["dz:al-omar-oil-field"]


def test_the_town_a_village_lies_in_is_not_a_second_event(gaz):
    evs = events("A landmine exploded in the village of Kasra in Deir ez-Zor city on Sunday.", gaz)
    assert len(evs) == 1


def test_a_foiled_suicide_attack_is_a_clash(gaz):
    evs = events(
        "Security forces foiled a suicide attack on a checkpoint in Hajin on Sunday, killing the "
        "two attackers in a firefight.",
        gaz,
    )
    assert [(e.event_type, e.sub_event_type) for e in evs] == [("battle", "armed clash")]


def test_an_event_placed_abroad_is_not_put_at_the_articles_town(gaz):
    text = (
        "A drone struck an SDF post near Hajin on Sunday.\n\n"
        "Two soldiers were wounded in rocket attacks on a base in Iraq's Anbar province on Saturday."
    )
    evs = events(text, gaz)
    assert [(e.event_type, e.place_id, e.event_date) for e in evs] == [
        ("explosion_remote_violence", "dz:hajin", date(2024, 8, 11))
    ]


def test_besieged_as_an_adjective_is_no_siege(gaz):
    assert events("Army tanks reached the airport in besieged Deir ez-Zor on Sunday.", gaz) == []


def test_a_planted_mine_is_a_remote_explosive(gaz):
    evs = events("Three shepherds were killed by a mine planted near Gharanij on Sunday.", gaz)
    assert [(e.sub_event_type, e.fatalities) for e in evs] == [("remote explosive/landmine/ied", 3)]


def test_a_date_before_a_count_is_not_the_count(gaz):
    from conflictmap.extract.numbers import fatalities

    assert fatalities("On December 13, two soldiers and an interpreter were killed in an ambush.")[0] == 3
    assert fatalities("At least 1,200 fighters were killed in the battle.")[0] == 1200


def test_a_given_name_in_a_list_of_villages_is_a_village():
    text = "Fighters took the villages of Hatla, Mazlum, and Kasra on Sunday."
    start = text.index("Mazlum")
    assert person_or_outlet(text, start, start + 6, listed=True) is None
    assert person_or_outlet("Mazlum said the fighters took the villages.", 0, 6) == "person"


def test_the_leads_day_dates_the_detail(gaz):
    text = (
        "ISIS cells ambushed an army convoy in the Deir ez-Zor countryside on Monday.\n\n"
        "A military source said the convoy was ambushed near Gharanij."
    )
    evs = events(text, gaz)
    assert [(e.place_id, e.event_date) for e in evs] == [("dz:gharanij", date(2024, 8, 12))]


def test_a_claim_of_responsibility_names_the_attacker(gaz):
    text = (
        "A drone attack hit a base at the Al-Omar oil field on Monday, wounding two guards.\n\n"
        "The Islamic Resistance in Iraq claimed responsibility for the attack."
    )
    evs = events(text, gaz)
    assert len(evs) == 1
    assert evs[0].actor1 == "Iran-backed militias"
    assert "claim of responsibility" in evs[0].notes


def test_syrian_forces_after_december_2024_are_the_transitional_government(gaz):
    evs = events(
        "Syrian forces seized control of the town of Diban from the SDF on Sunday.",
        gaz,
        published=date(2026, 1, 20),
    )
    assert evs and "Other: Syrian transitional government" in {evs[0].actor1, evs[0].actor2}


def test_no_casualties_in_the_next_sentence_is_zero_deaths(gaz):
    text = "A drone struck an SDF post near Hajin on Sunday. No casualties were reported."
    evs = events(text, gaz)
    assert [(e.place_id, e.fatalities) for e in evs] == [("dz:hajin", 0)]


def test_no_casualties_in_these_attacks_covers_each_of_them(gaz):
    text = (
        "Gunmen targeted an SDF checkpoint with machine guns in Hajin on Sunday. Separately, "
        "cells attacked a patrol with small arms in Gharanij on Sunday. No casualties were "
        "confirmed in these attacks."
    )
    evs = events(text, gaz)
    assert sorted((e.place_id, e.event_type, e.fatalities) for e in evs) == [
        ("dz:gharanij", "battle", 0),
        ("dz:hajin", "battle", 0),
    ]


def test_a_count_written_with_a_plus_is_its_lower_bound():
    from conflictmap.extract.numbers import fatalities

    assert fatalities("The unit suffered over 30 casualties in the ambush, including 12+ killed.")[0] == 12


def test_the_ends_of_a_road_are_one_event_not_two(gaz):
    evs = events("A roadside bomb hit an SDF vehicle on the road linking Hajin and Gharanij on Sunday.", gaz)
    assert [(e.place_id, e.geo_precision) for e in evs] == [("dz:hajin", 2)]


def test_a_coordinated_subject_is_one_side_headed_by_the_first(gaz):
    evs = events(
        "Syrian forces and tribal fighters seized control of the town of Diban from the SDF on Sunday.",
        gaz,
        published=date(2026, 1, 20),
    )
    assert [(e.actor1, e.actor2, e.sub_event_type) for e in evs] == [
        ("Other: Syrian transitional government", "SDF", "government regains territory")
    ]


def test_a_rising_death_toll_is_not_an_event_but_the_dated_fight_is(gaz):
    text = (
        "The death toll from clashes between the SDF and tribal fighters in eastern Deir ez-Zor "
        "has risen to 90 since August 27, the monitor said on Tuesday. On Monday, fighting "
        "continued in the town of Dhiban, where five fighters were killed."
    )
    evs = events(text, gaz)
    assert [(e.place_id, e.event_date, e.fatalities) for e in evs] == [("dz:diban", date(2024, 8, 12), 5)]


def test_similar_strikes_in_a_recap_are_not_a_new_event(gaz):
    text = (
        "Israeli warplanes struck weapons depots of Iran-backed militias near Abu Kamal late on "
        "Sunday, killing nine fighters. Similar strikes have killed dozens of militiamen in the area."
    )
    evs = events(text, gaz)
    assert [(e.event_date, e.fatalities) for e in evs] == [(date(2024, 8, 11), 9)]


def test_he_was_attacked_tells_the_same_killing(gaz):
    text = (
        "Unknown gunmen shot dead a local council official in the town of al-Busayrah on Tuesday. "
        "The official was riding a motorcycle when he was attacked."
    )
    evs = events(text, gaz)
    assert [(e.event_type, e.fatalities) for e in evs] == [("violence_against_civilians", 1)]


def test_a_reply_is_its_own_event_and_the_weapon_is_the_subjects(gaz):
    text = (
        "Tensions rose in Deir ez-Zor after regime forces shelled the village of al-Tabiya on "
        "Sunday, wounding three civilians. The SDF responded on Sunday by targeting regime "
        "positions in the city of Deir ez-Zor with mortar fire."
    )
    evs = events(text, gaz)
    assert sorted((e.place_id, e.actor1, e.geo_precision) for e in evs) == [
        ("dz:deir-ez-zor", "SDF", 1),
        ("dz:tabiyah-jazira", "Syrian regime forces", 1),
    ]


def test_it_came_two_days_after_dates_the_earlier_event_before(gaz):
    text = (
        "A coalition drone strike killed an ISIS leader near al-Shuhayl on Thursday. The strike "
        "came two days after ISIS cells attacked an SDF checkpoint in Hajin, killing two fighters."
    )
    evs = {e.place_id: e.event_date for e in events(text, gaz)}
    assert evs == {"dz:al-shuhayl": date(2024, 8, 8), "dz:hajin": date(2024, 8, 6)}


def test_a_kidnapping_is_an_abduction_and_the_wounded_are_the_target(gaz):
    text = (
        "Two members of the Asayish were wounded on Sunday when an explosive device went off near "
        "their patrol in Hajin. Meanwhile, gunmen kidnapped a young man from the town of al-Susah "
        "on Sunday."
    )
    evs = {e.place_id: e for e in events(text, gaz)}
    assert evs["dz:hajin"].actor1 == "Unidentified armed group" and evs["dz:hajin"].actor2 == "Asayish"
    assert evs["dz:al-susah"].sub_event_type == "abduction/forced disappearance"


def test_the_author_named_inside_the_trigger_comes_first(gaz):
    text = (
        "On Sunday, a drone of unknown affiliation targeted a car on the road between al-Mayadin "
        "and al-Quriyah, killing two members of an Iran-backed militia."
    )
    evs = events(text, gaz)
    assert [(e.actor1, e.actor2, e.fatalities) for e in evs] == [
        ("Unidentified drone", "Iran-backed militias", 2)
    ]
    evs = events("ISIS targeted an Asayish checkpoint with machine guns in Hajin on Sunday.", gaz)
    assert [(e.actor1, e.actor2) for e in evs] == [("ISIS", "Asayish")]


def test_deaths_in_a_recap_of_days_of_fighting_are_not_an_event(gaz):
    text = "The situation was calm on Tuesday, after three days of clashes that left at least 25 people dead."
    assert events(text, gaz) == []


def test_a_prisoner_exchange_is_an_agreement(gaz):
    evs = events(
        "On Sunday, the SDF and regime forces exchanged prisoners at the al-Salihiyah crossing.", gaz
    )
    assert [(e.event_type, e.sub_event_type) for e in evs] == [("strategic_development", "agreement")]


def test_dateline_dates_the_report_and_a_bare_toll_joins_the_incident(gaz):
    text = (
        "DEIR EZ-ZOR, Aug. 13 (NPA) - Clashes broke out on Friday between members of the Baggara "
        "tribe and SDF fighters in the town of Diban, sources said. Two fighters and a civilian "
        "were killed."
    )
    evs = events(text, gaz)
    assert [(e.place_id, e.event_date, e.fatalities) for e in evs] == [("dz:diban", date(2024, 8, 9), 3)]
    assert {evs[0].actor1, evs[0].actor2} == {"Arab tribal fighters", "SDF"}


def test_a_modal_in_a_quote_does_not_block_the_event_after_it():
    from conflictmap.extract.triggers import find_triggers

    text = "A commander said 'our forces will respond to any attack' after the regime shelled Diban."
    assert [t.text for t in find_triggers(text)] == ["shelled"]


def test_a_persons_name_and_home_town_are_not_where_the_arrest_was(gaz):
    evs = events(
        "The Asayish arrested Ahmad Hamad al-Omar, a resident of Abu Hamam, at a checkpoint in Hajin on Thursday.",
        gaz,
    )
    assert [e.place_id for e in evs] == ["dz:hajin"]


def test_allied_air_forces_are_one_side(gaz):
    evs = events(
        "Regime warplanes and Russian jets carried out airstrikes on ISIS positions near al-Mayadin on Saturday.",
        gaz,
    )
    assert [(e.actor1, e.actor2) for e in evs] == [("Syrian regime forces", "ISIS")]


def test_a_claim_with_no_earlier_event_is_the_report_itself(gaz):
    evs = events(
        "ISIS claimed responsibility for an attack that killed four SDF members in Diban on Saturday.", gaz
    )
    assert [(e.place_id, e.event_date, e.fatalities, e.actor1) for e in evs] == [
        ("dz:diban", date(2024, 8, 10), 4, "ISIS")
    ]


def test_a_week_after_the_clashes_is_a_recap():
    from conflictmap.extract.triggers import find_triggers

    assert find_triggers("A week after the clashes in Diban, the town remains tense.") == []


def test_the_attack_told_by_its_rockets_is_one_event(gaz):
    text = (
        "The attack on Sunday was the third on the base this month. Three rockets landed inside "
        "the Conoco base, causing material damage, the coalition said."
    )
    evs = events(text, gaz)
    assert [(e.event_type, e.event_date, e.fatalities) for e in evs] == [
        ("explosion_remote_violence", date(2024, 8, 11), 0)
    ]


def test_liberation_and_its_toll_are_one_territorial_event(gaz):
    text = (
        "The SDF announced on Saturday the full liberation of the town of Hajin from ISIS. "
        "Dozens of militants were killed in the final assault."
    )
    evs = events(text, gaz)
    assert [(e.sub_event_type, e.place_id) for e in evs] == [
        ("non-state actor overtakes territory", "dz:hajin")
    ]


def test_checkpoints_handed_over_under_an_agreement_are_a_transfer(gaz):
    evs = events(
        "The SDF handed over 15 checkpoints near Hajin to government forces on Wednesday under an "
        "agreement reached last week.",
        gaz,
        published=date(2025, 3, 20),
    )
    assert [e.sub_event_type for e in evs] == ["non-violent transfer of territory"]


def test_a_named_victim_counts_one(gaz):
    evs = events("Gunmen killed Sheikh Ahmed al-Khalaf, a tribal dignitary, in Gharanij on Sunday.", gaz)
    assert [(e.event_type, e.fatalities) for e in evs] == [("violence_against_civilians", 1)]


def test_fire_on_protesters_is_a_protest_with_intervention(gaz):
    evs = events(
        "SDF forces opened fire on protesters in the town of al-Busayrah on Sunday, wounding two, "
        "after residents rallied against fuel prices.",
        gaz,
    )
    assert [(e.event_type, e.sub_event_type) for e in evs] == [("protest", "protest with intervention")]


def test_a_new_military_base_is_a_base_established(gaz):
    evs = events("Iran-backed militias set up a new military base near Abu Kamal on Sunday.", gaz)
    assert [e.sub_event_type for e in evs] == ["headquarters or base established"]


def test_a_town_named_as_a_boundary_is_not_the_event_place(gaz):
    evs = events(
        "Tribal fighters took control of the town of Hajin on Sunday and advanced to the al-Hasakah "
        "border line.",
        gaz,
    )
    assert [e.place_id for e in evs] == ["dz:hajin"]


def test_bodies_found_are_an_attack_by_someone_unknown(gaz):
    evs = events(
        "The bodies of three shepherds were found on Tuesday near Gharanij, local sources said.", gaz
    )
    assert [(e.event_type, e.actor1, e.actor2, e.fatalities) for e in evs] == [
        ("violence_against_civilians", "Unidentified armed group", "Civilians", 3)
    ]


def test_an_operation_that_killed_fighters_is_a_clash(gaz):
    evs = events(
        "The SDF carried out a security operation in the town of Diban on Sunday, killing two ISIS "
        "members and arresting five others.",
        gaz,
    )
    assert [(e.event_type, e.sub_event_type, e.fatalities) for e in evs] == [("battle", "armed clash", 2)]


def test_killing_its_driver_counts_one():
    from conflictmap.extract.numbers import fatalities

    assert fatalities("At dawn today, a drone struck a car near Gharanij, killing its driver.")[0] == 1
    assert fatalities("A drone struck a car, killing the driver and wounding two passengers.")[0] == 1


def test_given_names_read_as_people_not_villages(gaz):
    # each name folds to a village of the gazetteer under the loose spelling match
    evs = events("Local resident Mahmoud told reporters that a drone struck a car near Hajin on Sunday.", gaz)
    assert {e.location for e in evs} <= {"Hajin"}
    evs = events("Shells hit a house on Sunday, Salah, a farmer, told the outlet in Diban.", gaz)
    assert all(e.location != "Salah" for e in evs)


def test_a_sentence_opening_function_word_is_no_place(gaz):
    from conflictmap.extract.places import find_places

    found, _ = find_places("There were clashes on Sunday. These fighters fled to Hajin.", gaz)
    assert [m.place.place_id for m in found] == ["dz:hajin"]
    found, _ = find_places("Crowds gathered in Clock Square and on Market Street in Hajin.", gaz)
    assert [m.place.place_id for m in found] == ["dz:hajin"]  # place nouns are not loose names


def test_areas_liberated_from_a_group_describe_the_areas(gaz):
    # "liberated" was read by the trigger as "liberate", so the participle rule never applied
    evs = events("A drone struck a car on Sunday in areas liberated from ISIS near Hajin.", gaz)
    assert [e.event_type for e in evs] == ["explosion_remote_violence"]


@pytest.mark.parametrize(
    "text,place",
    [
        ("Mohammed Salah told the outlet that a drone hit a car near Hajin on Sunday.", "dz:hajin"),
        ("Local official Shiyar Hasakah said the shells fell on Diban.", "dz:diban"),
        ("Residents Mahmoud and Bilal said gunmen fled toward Gharanij.", "dz:gharanij"),
    ],
)
def test_peoples_names_are_not_places(gaz, text, place):
    from conflictmap.extract.places import find_places

    found, _ = find_places(text, gaz)
    assert [m.place.place_id for m in found] == [place]
