"""Imported rows linked to our incidents, never merged: the sample ACLED and UCDP files against
reports written for the test, shaped like what the extractor stores."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from conflictmap.incidents.crossref import link_to_incidents, links_by_incident, links_frame, match
from conflictmap.ingest.acled import read_acled
from conflictmap.ingest.ucdp import read_ucdp
from conflictmap.storage.store import EventStore
from tests.helpers import make_event

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def imported():
    return read_acled(DATA / "acled_sample.csv").events + read_ucdp(DATA / "ucdp_ged_sample.csv").events


def ours():
    """Our incidents: some are in the datasets, some are near misses that must stay unlinked."""
    return [
        # the Diban clash of 12 March 2024: in ACLED (SYR90001) and in UCDP (500001)
        make_event(
            "diban",
            event_date=date(2024, 3, 12),
            actor1="SDF",
            actor2="Arab tribal fighters",
            location="Diban",
            place_id="dz:diban",
            latitude=35.01556,
            longitude=40.51028,
            incident_id="inc:diban",
        ),
        # the drone strike near Busayrah, reported the next day: ACLED SYR90002, UCDP 500004
        # (a battle in UCDP, which does not tell strikes from fighting)
        make_event(
            "strike",
            event_date=date(2024, 3, 15),
            event_type="explosion_remote_violence",
            sub_event_type="air/drone strike",
            actor1="US forces",
            actor2="ISIS",
            location="Al-Busayrah",
            place_id="dz:busayrah",
            latitude=35.15556,
            longitude=40.42583,
            geo_precision=2,
            incident_id="inc:strike",
        ),
        # the killing in al-Shuhayl, dated by the outlet to a day inside ACLED's and UCDP's week
        make_event(
            "shuhayl",
            event_date=date(2024, 4, 17),
            event_type="violence_against_civilians",
            sub_event_type="attack",
            actor1="Unidentified armed group",
            actor2="Civilians",
            civilian_targeting=True,
            location="Al-Shuhayl",
            place_id="dz:shuhayl",
            latitude=35.09,
            longitude=40.45,
            incident_id="inc:shuhayl",
        ),
        # a protest ACLED dated only to the month
        make_event(
            "protest",
            event_date=date(2024, 6, 20),
            event_type="protest",
            sub_event_type="peaceful protest",
            actor1=None,
            actor2=None,
            location="Al-Mayadin",
            place_id="dz:mayadin",
            latitude=35.01833,
            longitude=40.45333,
            incident_id="inc:protest",
        ),
        # near misses: the next village (4 km), two days off, other actors
        make_event(
            "tayanah",
            event_date=date(2024, 3, 12),
            actor1="SDF",
            actor2="Arab tribal fighters",
            location="Al-Tayanah",
            place_id="dz:tayanah",
            latitude=34.983,
            longitude=40.537,
            incident_id="inc:tayanah",
        ),
        make_event(
            "hajin-arrest",
            event_date=date(2024, 5, 4),
            event_type="strategic_development",
            sub_event_type="arrest",
            actor1="SDF",
            actor2="Civilians",
            location="Hajin",
            place_id="dz:hajin",
            latitude=34.68944,
            longitude=40.83083,
            incident_id="inc:hajin-arrest",
        ),
        make_event(
            "kasrah-isis",
            event_date=date(2024, 12, 15),
            actor1="ISIS",
            actor2="Russia",
            location="Al-Kasrah",
            place_id="dz:kasrah",
            latitude=35.566,
            longitude=39.92,
            incident_id="inc:kasrah-isis",
        ),
    ]


def _pairs(links):
    return sorted((lk.incident_id, lk.label) for lk in links)


EXPECTED = [
    ("inc:diban", "ACLED SYR90001"),
    ("inc:diban", "UCDP GED 500001"),
    ("inc:protest", "ACLED SYR90005"),
    ("inc:shuhayl", "ACLED SYR90003"),
    ("inc:shuhayl", "UCDP GED 500002"),
    ("inc:strike", "ACLED SYR90002"),
    ("inc:strike", "UCDP GED 500004"),
]


def test_rows_that_are_our_incidents_are_linked_and_near_misses_are_not(imported):
    links = link_to_incidents(imported, ours())
    assert _pairs(links) == EXPECTED
    by = {(lk.incident_id, lk.origin): lk for lk in links}
    diban = by[("inc:diban", "acled")]
    assert (diban.row_id, diban.event_id, diban.report_id, diban.days) == (
        "SYR90001",
        "acled:SYR90001",
        "diban",
        0,
    )
    assert diban.km is not None and diban.km < 0.1 and "same day" in diban.reason
    assert by[("inc:strike", "acled")].days == 1
    assert by[("inc:protest", "acled")].reason.startswith("5 days apart (±31, month)")
    # Each near miss, alone with the datasets, still finds nothing.
    for_near_misses = [e for e in ours() if e.event_id in ("tayanah", "hajin-arrest", "kasrah-isis")]
    assert len(for_near_misses) == 3
    assert link_to_incidents(imported, for_near_misses) == []


def test_linking_changes_no_incident_and_no_event(imported):
    mine = ours()
    before = [e.to_dict() for e in mine]
    theirs_before = [e.to_dict() for e in imported]
    link_to_incidents(imported, mine)
    assert [e.to_dict() for e in mine] == before
    assert [e.to_dict() for e in imported] == theirs_before


def test_the_result_does_not_depend_on_input_order(imported):
    first = link_to_incidents(imported, ours())
    mine, theirs = ours()[::-1], list(imported)
    theirs = theirs[5:][::-1] + theirs[:5]
    assert link_to_incidents(theirs, mine) == first


def test_one_row_links_to_one_incident_the_best_placed(imported):
    # Two of our incidents the dedupe did not join, both matching ACLED's Diban row: the one at
    # the same place name wins, and the row is cited once.
    twin = make_event(
        "diban-near",
        event_date=date(2024, 3, 12),
        actor1="SDF",
        actor2=None,
        location="near Diban",
        place_id=None,
        latitude=35.02,
        longitude=40.50,
        geo_precision=2,
        incident_id="inc:diban-near",
    )
    links = link_to_incidents([e for e in imported if e.origin == "acled"], [twin, *ours()])
    diban_rows = [lk for lk in links if lk.row_id == "SYR90001"]
    assert [lk.incident_id for lk in diban_rows] == ["inc:diban"]
    alone = link_to_incidents([e for e in imported if e.origin == "acled"], [twin])
    assert [(lk.incident_id, lk.row_id) for lk in alone] == [("inc:diban-near", "SYR90001")]


def test_governorate_level_rows_link_only_at_the_same_point_and_day(imported):
    ucdp_month = next(e for e in imported if e.event_id == "ucdp:500003")  # precision 3, month
    here = make_event(
        "desert",
        event_date=date(2023, 8, 17),
        actor1="Syrian regime forces",
        actor2="ISIS",
        location="Deir ez-Zor desert",
        place_id=None,
        latitude=35.0,
        longitude=40.3,
        geo_precision=3,
    )
    assert match(ucdp_month, here)[0]
    two_days = make_event("desert2", **{**_fields(here), "event_date": date(2023, 8, 19)})
    assert not match(ucdp_month, two_days)[0]
    capital = make_event("capital", **{**_fields(here), "latitude": 35.336, "longitude": 40.145})
    assert match(ucdp_month, capital)[:1] == (False,)


def _fields(e):
    d = e.to_dict()
    d.pop("event_id")
    d["event_date"] = e.event_date
    return d


def test_ucdp_one_sided_violence_matches_a_strike_only_on_civilians(imported):
    one_sided = next(e for e in imported if e.event_id == "ucdp:500002")
    strike = make_event(
        "s",
        event_date=date(2024, 4, 18),
        event_type="explosion_remote_violence",
        sub_event_type="air/drone strike",
        actor1=None,
        actor2=None,
        location="Al-Shuhayl",
        latitude=35.09,
        longitude=40.45,
        civilian_targeting=True,
    )
    assert match(one_sided, strike)[0]
    assert not match(one_sided, make_event("t", **{**_fields(strike), "civilian_targeting": False}))[0]


def test_store_frame_gives_the_same_links_and_imported_rows_in_it_are_ignored(imported, tmp_path):
    store = EventStore(f"sqlite:///{tmp_path / 'events.db'}")
    store.upsert_events(ours())
    store.replace_origin("acled", [e for e in imported if e.origin == "acled"])
    store.replace_origin("ucdp", [e for e in imported if e.origin == "ucdp"])
    frame = store.events_frame()
    assert set(frame["origin"]) == {"extracted", "acled", "ucdp"}
    links = link_to_incidents(store.all_events(origin="acled") + store.all_events(origin="ucdp"), frame)
    assert _pairs(links) == EXPECTED
    grouped = links_by_incident(links)
    assert [lk.label for lk in grouped["inc:diban"]] == ["ACLED SYR90001", "UCDP GED 500001"]
    table = links_frame(links)
    assert list(table["row_id"][table["incident_id"] == "inc:strike"]) == ["SYR90002", "500004"]


def test_nothing_to_link():
    assert link_to_incidents([], ours()) == []
    assert link_to_incidents([], pd.DataFrame()) == []
    assert links_frame([]).empty


def test_a_shared_name_links_nearby_but_never_across_the_governorate(imported):
    shelling = next(e for e in imported if e.event_id == "acled:SYR90006")  # Al Salihiyah, near the city
    kw = dict(
        event_date=date(2024, 11, 20),
        event_type="explosion_remote_violence",
        sub_event_type="shelling/artillery/missile attack",
        actor1="Syrian regime forces",
        actor2="SDF",
        location="Al-Salihiyah",
        place_id=None,
    )
    near_abu_kamal = make_event("far", latitude=34.718, longitude=40.756, **kw)  # another al-Salihiyah
    assert match(shelling, near_abu_kamal)[:1] == (False,)
    five_km_off = make_event("near", latitude=35.334 + 0.045, longitude=40.179, **kw)
    ok, _days, km, why = match(shelling, five_km_off)
    assert ok and km is not None and 4.5 < km < 5.5 and "same place name" in why
    no_point = make_event("unplaced", latitude=None, longitude=None, **kw)
    assert match(shelling, no_point)[0]


def test_a_low_confidence_candidate_is_not_linked(imported):
    candidate = [make_event("cand", **{**_fields(ours()[0]), "confidence": 0.2})]
    assert link_to_incidents(imported, candidate) == []


def test_links_are_stored_once_and_read_back_per_incident(imported, tmp_path):
    from conflictmap.pipeline import refresh_cross_links

    store = EventStore(f"sqlite:///{tmp_path / 'events.db'}")
    store.upsert_events(ours())
    assert store.cross_links() == {}
    store.replace_origin("acled", [e for e in imported if e.origin == "acled"])
    store.replace_origin("ucdp", [e for e in imported if e.origin == "ucdp"])
    version = store.version()
    links = refresh_cross_links(store)
    assert _pairs(links) == EXPECTED
    assert store.version() == version + 1  # one write, one move of the readers' version
    stored = store.cross_links()
    assert sorted((inc, lk["label"]) for inc, found in stored.items() for lk in found) == EXPECTED
    diban = stored["inc:diban"][0]
    assert set(diban) >= {"origin", "row_id", "label", "reason", "days", "km"}
    assert (diban["origin"], diban["row_id"], diban["days"]) == ("acled", "SYR90001", 0)
    assert diban["km"] is not None and diban["km"] < 1 and diban["reason"].startswith("same day")
    # The same links again write nothing, so readers' caches stay valid.
    refresh_cross_links(store)
    assert store.version() == version + 1
    # A link follows its report when an analyst's merge moves it to another incident.
    store.set_incidents({"diban": ("inc:strike", "merged by hand")})
    moved = store.cross_links()
    assert "inc:diban" not in moved and len(moved["inc:strike"]) == 4
    # A newer import without the row: its link is no longer shown, even before links are redone.
    store.replace_origin("ucdp", [])
    assert all(lk["origin"] == "acled" for found in store.cross_links().values() for lk in found)
    store.replace_origin("acled", [])
    refresh_cross_links(store)
    assert store.cross_links() == {} and store.get_meta("crosslinks") is not None
