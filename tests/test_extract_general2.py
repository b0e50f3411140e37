"""The extractor on a second set of unseen-style reports, in styles the first set
(test_extract_general.py) does not cover: long reports mixing several incidents, a background
first paragraph, quotes from local networks (Deir ezZor 24, Euphrates Post, SOHR), Arabic
transliteration variants, digit counts of "people" / "members" / "elements", "killed and
wounded" lists, a statement-only report, hedged claims, background events with their own
dates, "a day later" relative dates, and reports after 8 Dec 2024.

All texts were written for this test; none is copied from any corpus.
"""

from __future__ import annotations

from datetime import date

import pytest

from conflictmap.geo.gazetteer import load_gazetteer
from tests.test_extract_general import (
    ARREST,
    CLASH,
    DISRUPT,
    DRONE,
    IED,
    OTHER,
    PROTEST,
    SHELL,
    TAKE,
    VAC,
    Case,
    check,
    w,
)

TUE = date(2024, 8, 13)  # Sunday 11, Monday 12, Saturday 10, Friday 9, Thursday 8 Aug
WED_2025 = date(2025, 2, 12)  # after 8 Dec 2024: Monday 10 Feb, Tuesday 11 Feb
TRANSITIONAL = "Other: Syrian transitional government"
TRANSFER = "strategic_development", "non-violent transfer of territory"
ABDUCT = "violence_against_civilians", "abduction/forced disappearance"  # ACLED: kidnappings

CASES2 = [
    Case(
        "long report: three incidents, three villages, three days",
        TUE,
        "Deir ez-Zor has seen a wave of violence in the past days, according to the Syrian "
        "Observatory for Human Rights.\n\n"
        "On Saturday, ISIS cells attacked an SDF checkpoint in the village of al-Izba, killing two "
        "SDF members.\n\n"
        "On Sunday, gunmen on a motorcycle shot dead a teacher in the town of Hajin.\n\n"
        "On Monday evening, an explosive device went off near a patrol in the town of al-Busaira, "
        "wounding three fighters.",
        [
            w(CLASH, date(2024, 8, 10), "dz:al-izbah", {"ISIS", "SDF"}, 2),
            w(VAC, date(2024, 8, 11), "dz:hajin", {"Unidentified armed group", "Civilians"}, 1),
            w(IED, date(2024, 8, 12), "dz:al-busayrah", set(), None),
        ],
    ),
    Case(
        "background first paragraph, then the event",
        TUE,
        "The eastern countryside of Deir ez-Zor has been the scene of repeated tensions between the "
        "SDF and Arab tribes since last year.\n\n"
        "On Monday, tribal gunmen clashed with SDF fighters in the town of al-Shheil, leaving one "
        "fighter dead.",
        [w(CLASH, date(2024, 8, 12), "dz:al-shuhayl", {"Arab tribal fighters", "SDF"}, 1)],
    ),
    Case(
        "deir ezzor 24 quote with digits and members",
        TUE,
        "Deir ezZor 24 network said that 4 members of the SDF were killed on Sunday when ISIS "
        "cells targeted their car near the village of al-Sabha.",
        [w(CLASH, date(2024, 8, 11), "dz:al-sabha", {"ISIS", "SDF"}, 4)],
    ),
    Case(
        "euphrates post: elements of the regime killed by a landmine",
        TUE,
        "Three elements of the regime forces were killed on Friday by the explosion of a landmine "
        "in the desert of Mohassan, Euphrates Post reported.",
        [w(IED, date(2024, 8, 9), "dz:muhassan", {"Syrian regime forces"}, 3)],
    ),
    Case(
        "killed and wounded list in digits",
        TUE,
        "A mortar shell fired by regime forces fell on a market in the town of Theyban on Thursday, "
        "killing 3 people and wounding 7 others, among them children.",
        [w(SHELL, date(2024, 8, 8), "dz:diban", {"Syrian regime forces", "Civilians"}, 3)],
    ),
    Case(
        "statement-only report",
        TUE,
        "The SDF General Command said in a statement on Monday that it holds the regime responsible "
        "for the escalation in Deir ez-Zor.\n\n"
        "It called on the international community to pressure Damascus and warned that it would "
        "respond to any attack on its areas.",
        [],
    ),
    Case(
        "after december 2024: syrian army shells sdf positions",
        WED_2025,
        "The Syrian army shelled SDF positions in the town of al-Kasra on Monday, local sources "
        "told North Press.",
        [w(SHELL, date(2025, 2, 10), "dz:al-kasrah", {TRANSITIONAL, "SDF"})],
    ),
    Case(
        "hedged withdrawal claim is not an event",
        TUE,
        "Local sources claimed that SDF fighters had withdrawn from several posts in Hajin, but the "
        "report could not be verified.",
        [],
    ),
    Case(
        "reportedly keeps the event with lower confidence",
        TUE,
        "A drone reportedly struck a car on the road near Gharanij on Sunday, killing two men.",
        [w(DRONE, date(2024, 8, 11), "dz:gharanij", set(), 2)],
    ),
    Case(
        "background arrest with its own date",
        TUE,
        "Residents of Dhiban protested on Monday, demanding the release of a local elder. The SDF "
        "had arrested him in the town of al-Hawayij on August 2.",
        [
            w(PROTEST, date(2024, 8, 12), "dz:diban"),
            w(ARREST, date(2024, 8, 2), "dz:al-hawayij", {"SDF"}),
        ],
    ),
    Case(
        "a day later",
        TUE,
        "ISIS gunmen attacked an SDF checkpoint in the village of al-Zir on Saturday. A day later, "
        "the SDF arrested five suspects in the village of al-Dahla.",
        [
            w(CLASH, date(2024, 8, 10), "dz:al-zir", {"ISIS", "SDF"}),
            w(ARREST, date(2024, 8, 11), "dz:al-dahla", {"SDF"}),
        ],
    ),
    Case(
        "a day after, anchored on a date in the same sentence; the arrest retold without a date",
        TUE,
        "Fighting broke out in the town of al-Shheil on August 5, a day after the SDF detained a "
        "tribal commander in the village of al-Zir. The SDF arrested him and two of his aides at "
        "a checkpoint in the village of al-Zir.",
        [
            w(CLASH, date(2024, 8, 5), "dz:al-shuhayl"),
            w(ARREST, date(2024, 8, 4), "dz:al-zir", {"SDF"}),
        ],
    ),
    Case(
        "hours after a dated arrest, an operation is launched",
        TUE,
        "On Saturday the SDF arrested a commander of the military council in the town of al-Busaira. "
        "Hours after he was arrested, the SDF launched a security operation in the town of Hajin "
        "to hunt ISIS cells, citing appeals from residents.",
        [
            w(ARREST, date(2024, 8, 10), "dz:al-busayrah", {"SDF"}),
            w(OTHER, date(2024, 8, 10), "dz:hajin", {"SDF", "ISIS"}),
        ],
    ),
    Case(
        "undated pluperfect background is not an event of the publication day",
        TUE,
        "Dozens of people demonstrated in the town of al-Busaira on Monday against the SDF. The SDF "
        "had arrested several young men from the town during a raid on homes.",
        [w(PROTEST, date(2024, 8, 12), "dz:al-busayrah")],
    ),
    # --- third batch, written after the fixes above, to check they transfer -----------------
    Case(
        "sohr monthly style",
        TUE,
        "SOHR activists documented the killing of 5 people in Deir ez-Zor on Monday: two civilians were shot dead by unknown gunmen in the town of al-Kasra, and three members of the SDF were killed in an ISIS ambush near the village of Jadid Ekaidat.",
        [
            w(VAC, date(2024, 8, 12), "dz:al-kasrah", {"Unidentified armed group", "Civilians"}, 2),
            w(CLASH, date(2024, 8, 12), "dz:jadid-ekeidat", {"ISIS", "SDF"}, 3),
        ],
    ),
    Case(
        "killed and wounded elements",
        TUE,
        "Two elements of the NDF were killed and four others wounded on Saturday when their vehicle hit a landmine on the road between al-Mayadin and al-Quriyah.",
        [w(IED, date(2024, 8, 10), "dz:al-mayadin", {"NDF (pro-regime militia)"}, 2)],
    ),
    Case(
        "after december 2024: government security forces arrests by interior ministry",
        WED_2025,
        "Security forces of the new Syrian government arrested 3 members of a cell in the city of Abu Kamal on Monday, the Interior Ministry said.",
        [w(ARREST, date(2025, 2, 10), "dz:abu-kamal", {TRANSITIONAL})],
    ),
    Case(
        "euphrates post drone strike",
        TUE,
        "A drone of unknown identity targeted a car carrying members of Iranian militias on the outskirts of al-Bukamal on Sunday evening, killing 4 of them, Euphrates Post said.",
        [w(DRONE, date(2024, 8, 11), "dz:abu-kamal", {"Unidentified drone", "Iran-backed militias"}, 4)],
    ),
    Case(
        "alleged by sana",
        TUE,
        "SANA alleged that US forces had looted dozens of tankers of oil from the al-Omar field.",
        [],
    ),
    Case(
        "two days later protest",
        TUE,
        "SDF fighters shot dead a young man at a checkpoint in the town of Hajin on Friday. Two days later, hundreds of residents protested in the town, demanding accountability.",
        [
            w(VAC, date(2024, 8, 9), "dz:hajin", {"SDF", "Civilians"}, 1),
            w(PROTEST, date(2024, 8, 11), "dz:hajin"),
        ],
    ),
    Case(
        "tribal fighters who support the regime",
        TUE,
        "Tribal gunmen loyal to the regime crossed the Euphrates and attacked SDF positions in the town of Dhiban at dawn on Monday, leaving 2 SDF members dead.",
        [w(CLASH, date(2024, 8, 12), "dz:diban", {"Pro-regime tribal fighters", "SDF"}, 2)],
    ),
    Case(
        "statement by coalition only",
        TUE,
        "The coalition said on Sunday that it remains committed to the lasting defeat of ISIS and will continue to support its partners in Deir ez-Zor.",
        [],
    ),
    # --- fourth batch: separate incidents, an actor's own statement, "Aug. 5", history lead ---
    Case(
        "in a separate incident",
        TUE,
        "ISIS gunmen killed an SDF fighter in the village of al-Jurdi on Sunday. In a separate incident on Monday, unknown gunmen kidnapped a truck driver near the town of al-Busaira.",
        [
            w(CLASH, date(2024, 8, 11), "dz:al-jurdi-al-sharqi", {"ISIS", "SDF"}, 1),
            w(ABDUCT, date(2024, 8, 12), "dz:al-busayrah", {"Unidentified armed group", "Civilians"}),
        ],
    ),
    Case(
        "sdf statement reporting its own operation",
        TUE,
        "In a statement on Monday, the SDF said its forces killed 3 ISIS members and captured another during an operation in the village of Abu Hardub.",
        [w(CLASH, date(2024, 8, 12), "dz:abu-hardub", {"SDF", "ISIS"}, 3)],
    ),
    Case(
        "aug. 5 abbreviation and 3 people",
        TUE,
        "3 people were killed and 2 injured on Aug. 5 when a rocket hit a house in the town of al-Mayadin, according to Deir Ezzor 24.",
        [w(SHELL, date(2024, 8, 5), "dz:al-mayadin", {"Civilians"}, 3)],
    ),
    Case(
        "meanwhile paragraph with protest",
        TUE,
        "Regime forces shelled the town of al-Asharah on Saturday.\n\nMeanwhile, residents of the town of Hajin held a demonstration on Sunday calling for the release of detainees.",
        [
            w(SHELL, date(2024, 8, 10), "dz:al-asharah", {"Syrian regime forces"}),
            w(PROTEST, date(2024, 8, 11), "dz:hajin"),
        ],
    ),
    Case(
        "intercepted rockets at the omar base",
        TUE,
        "Air defences at the al-Omar base shot down two drones on Monday night, a coalition spokesman said.",
        [w(DISRUPT, date(2024, 8, 12), "dz:al-omar-oil-field")],
    ),
    Case(
        "two killed, one wounded in an explosion near khasham",
        TUE,
        "Two oil workers were killed and another was wounded on Thursday when a landmine exploded near their vehicle in the Khasham desert.",
        [w(IED, date(2024, 8, 8), "dz:khasham", {"Civilians"}, 2)],
    ),
    Case(
        "first paragraph background history then arrests",
        TUE,
        "The SDF took control of the eastern bank of the Euphrates in 2019 after defeating ISIS in al-Baghuz.\n\nOn Sunday, the SDF arrested seven people in the town of Gharanij on charges of dealing with ISIS.",
        [w(ARREST, date(2024, 8, 11), "dz:gharanij", {"SDF"})],
    ),
    Case(
        "no one was killed",
        TUE,
        "An explosive device went off near a bakery in the town of al-Shhail on Friday morning, but no one was hurt, local sources said.",
        [w(IED, date(2024, 8, 9), "dz:al-shuhayl", set(), 0)],
    ),
    # --- fifth batch: area-only place, "(Thiban)", "allegedly", 2025 ministry forces, a body ---
    Case(
        "eastern countryside only",
        TUE,
        "Unknown gunmen shot dead a man in Deir Ezzor's eastern countryside on Sunday, the Deir Ezzor 24 network said.",
        [w(VAC, date(2024, 8, 11), "dz:deir-ez-zor", {"Unidentified armed group", "Civilians"}, 1)],
    ),
    Case(
        "parenthesised alternative spelling",
        TUE,
        "Clashes broke out on Monday between the SDF and local gunmen in the town of Dhiban (Thiban), killing a fighter.",
        [w(CLASH, date(2024, 8, 12), "dz:diban", {"SDF"}, 1)],
    ),
    Case(
        "allegedly executed",
        TUE,
        "ISIS allegedly executed two shepherds in the desert near al-Kasra on Saturday.",
        [w(VAC, date(2024, 8, 10), "dz:al-kasrah", {"ISIS", "Civilians"}, 2)],
    ),
    Case(
        "2025 clash between sdf and defence ministry forces",
        WED_2025,
        "Fighting erupted on Tuesday between the SDF and Defence Ministry forces near the town of al-Busaira, leaving 4 people dead.",
        [w(CLASH, date(2025, 2, 11), "dz:al-busayrah", {"SDF", TRANSITIONAL}, 4)],
    ),
    Case(
        "the killed and wounded list",
        TUE,
        "The dead included two women and a child, while five other civilians were wounded, after a drone strike on a house in the village of al-Hasrat on Sunday.",
        [w(DRONE, date(2024, 8, 11), "dz:al-hasrat", {"Civilians"})],
    ),
    Case(
        "body found",
        TUE,
        "Residents found the body of a young man with gunshot wounds on the outskirts of al-Mayadin on Monday.",
        [w(VAC, date(2024, 8, 12), "dz:al-mayadin", {"Civilians"})],
    ),
    Case(
        "statement threatening and denying",
        TUE,
        "A tribal leader said on Sunday that the tribes would not accept the SDF's presence in their villages, and denied that his fighters had attacked any checkpoint.",
        [],
    ),
    Case(
        "days ago",
        TUE,
        "Three days ago, an SDF patrol came under fire in the village of al-Hawayij, SOHR said.",
        [w(CLASH, date(2024, 8, 10), "dz:al-hawayij", {"SDF"})],
    ),
    Case(
        "a curfew and an operation launch on the same day are two events",
        TUE,
        "The Asayish announced a curfew in the eastern countryside of Deir ez-Zor on Monday. On the "
        "same day, the SDF launched a military operation against ISIS cells in Deir ez-Zor.",
        [
            w(OTHER, date(2024, 8, 12), "dz:deir-ez-zor", {"Asayish"}),
            w(OTHER, date(2024, 8, 12), "dz:deir-ez-zor", {"SDF"}),
        ],
    ),
    Case(
        "curfew sentence that mentions arrests",
        TUE,
        "The SDF imposed a curfew on the town of al-Susa on Sunday and arrested several young men "
        "during raids on homes.",
        [w(OTHER, date(2024, 8, 11), "dz:al-susah", {"SDF"})],
    ),
    Case(
        "gunmen crossing the euphrates from regime areas",
        TUE,
        "Gunmen crossing the Euphrates from regime-held areas attacked SDF positions in the town of "
        "al-Quriyah on Sunday night.",
        [w(CLASH, date(2024, 8, 11), "dz:al-quriyah", {"Pro-regime tribal fighters", "SDF"})],
    ),
    Case(
        "arab tribal fighters who back assad",
        TUE,
        "Arab tribal fighters who back Assad attacked SDF posts in the village of Subaykhan on Friday.",
        [w(CLASH, date(2024, 8, 9), "dz:subaykhan", {"Pro-regime tribal fighters", "SDF"})],
    ),
    Case(
        "tribal forces take villages, transliterated names",
        TUE,
        "Tribal fighters took control of the villages of Tayyaneh and Thiban on Wednesday after "
        "SDF members left their posts.",
        [
            w(TAKE, date(2024, 8, 7), "dz:al-tayanah", {"Arab tribal fighters"}),
            w(TAKE, date(2024, 8, 7), "dz:diban", {"Arab tribal fighters"}),
        ],
    ),
    Case(
        "after december 2024: general security arrests in al-mayadin",
        WED_2025,
        "General Security forces arrested 6 people accused of belonging to ISIS cells in the city of "
        "al-Mayadin on Tuesday, the Interior Ministry said.",
        [w(ARREST, date(2025, 2, 11), "dz:al-mayadin", {TRANSITIONAL})],
    ),
]


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


# Cases the extractor still reads wrong: listed so the suite states the gap (strict xfail: a
# fixed case must leave this list).
KNOWN_GAPS: set[str] = set()


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason="known gap"))
        if c.name in KNOWN_GAPS
        else c
        for c in CASES2
    ],
    ids=[c.name for c in CASES2],
)
def test_general_report_2(case, gaz):
    assert check(case, gaz) == []


def test_hedged_event_has_lower_confidence(gaz):
    from conflictmap.extract import extract_article
    from conflictmap.models import Article

    plain = "A drone struck a car on the road near Gharanij on Sunday, killing two men."
    hedged = "A drone reportedly struck a car on the road near Gharanij on Sunday, killing two men."
    a = extract_article(Article("p", None, "T", None, TUE, plain), gaz)
    b = extract_article(Article("h", None, "T", None, TUE, hedged), gaz)
    assert len(a) == len(b) == 1
    assert b[0].confidence < a[0].confidence
