"""What the read side makes of analysts' decisions: the review filter, the CSV's columns, the
review queue's order, the map's key, and the corrections form sending only what changed."""

import csv
import io

import pytest

from conflictmap.config import Settings
from conflictmap.review import Reviews
from tests.test_detail_panel import _texts as text_of  # all text under a panel, as a reader sees it

INCIDENTS_QUERY = (
    "api/events.csv?review=unreviewed&review=confirmed&review=corrected&review=rejected&limit=5000"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("reviewread")))
    with app.server.app_context():
        yield app


def _rows(client, query: str) -> dict[str, dict[str, str]]:
    resp = client.get("/" + query)
    assert resp.status_code == 200, resp.data[:300]
    return {r["incident_id"]: r for r in csv.DictReader(io.StringIO(resp.get_data(as_text=True)))}


def test_decisions_reach_the_csv_filter_and_the_map_key(app):
    from components.map_panel import drawn_key
    from components.service_access import service

    client = app.server.test_client()
    every = _rows(client, INCIDENTS_QUERY)
    ids = sorted(every)[:3]
    assert {every[i]["review_status"] for i in ids} == {"unreviewed"}
    key_before = drawn_key("type=battle")
    reviews = Reviews(service().store)
    reviews.confirm(ids[0], who="tester", expected_version=0)
    reviews.reject(ids[1], "not_an_event", who="tester", expected_version=0)
    assert drawn_key("type=battle") != key_before  # same filter, new data: the map redraws

    every = _rows(client, INCIDENTS_QUERY)
    assert every[ids[0]]["review_status"] == "confirmed" and every[ids[0]]["reviewed_by"] == "tester"
    assert every[ids[1]]["review_status"] == "rejected"
    assert every[ids[2]]["review_status"] == "unreviewed" and every[ids[2]]["reviewed_by"] == ""
    default = _rows(client, "api/events.csv?limit=5000")
    assert ids[1] not in default and ids[0] in default  # rejected hidden unless asked for
    assert set(_rows(client, "api/events.csv?review=rejected")) == {ids[1]}
    assert client.get("/api/events.csv?review=maybe").status_code == 400


def test_the_queue_puts_the_deadliest_then_the_newest_first(app):
    from components.review_panel import queue_of
    from components.service_access import service
    from conflictmap.read.query import EventFilter

    flt = EventFilter()
    queue = queue_of(flt)
    frame = service().view(flt).selected.set_index("incident_id")
    assert queue and set(frame.loc[queue, "review_status"]) == {"unreviewed"}
    fat = frame.loc[queue, "fatalities"].fillna(-1).tolist()
    assert fat == sorted(fat, reverse=True)
    Reviews(service().store).confirm(queue[0], who="tester", expected_version=0)
    after = queue_of(flt)
    assert (
        queue[0] not in after and after == queue[1:]
    )  # reviewed: it leaves the queue, the rest keep their order


def test_a_correction_sends_only_the_fields_the_analyst_changed(app):
    from components.review_panel import changes_from, form_values
    from components.service_access import service

    row = service().index().frame.iloc[0]
    form = form_values(row)
    assert changes_from(form, row) == {}
    form[9] = 41  # fatalities
    form[6] = "tribal elders"  # actor 1: Other: …
    assert changes_from(form, row) == {"fatalities": 41, "actor1": "Other: tribal elders"}


def test_the_panel_tells_a_viewer_they_cannot_review(app):
    from components.review_panel import render_review

    with app.server.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        identity, queue, status, *_ = render_review("")
    assert "viewing only" in identity.lower()
    assert queue.startswith("Queue: ") and "Select an incident" in status


def test_the_detail_panel_says_also_in_acled_for_a_linked_row(tmp_path, monkeypatch):
    """An ACLED row of the same shelling is linked to our incident and named in its panel."""
    from components import detail_panel
    from components.service_access import serving
    from conflictmap.cli import main
    from conflictmap.pipeline import prepare

    settings = Settings(data_dir=tmp_path / "var")
    assert prepare(settings) == []
    header = (
        "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
        "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,"
        "admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,"
        "tags,timestamp"
    )
    row = (
        "SYR77001,9 August 2024,2024,1,Political violence,Explosions/Remote violence,"
        "Shelling/artillery/missile attack,Military Forces of Syria (2000-2024),,State forces,Civilians (Syria),,"
        "Civilians,State forces-Civilians,Civilian targeting,760,Middle East,Syria,Deir ez Zor,Deir ez Zor,,"
        'Al Dahla,35.2240,40.3860,1,Local outlet,Subnational,"Shells fell on houses in Al Dahla. [test row]",4,,1723200000'
    )
    export = tmp_path / "acled.csv"
    export.write_text(header + "\n" + row + "\n", encoding="utf-8")
    monkeypatch.setenv("CONFLICTMAP_DATA_DIR", str(settings.data_dir))
    assert main(["import-acled", str(export)]) == 0
    with serving(settings):
        body = detail_panel.render_incident("ref:INC-2024-08-09-shelling-dahla", "")
    assert "ACLED SYR77001" in text_of(body)


def test_a_map_pick_names_the_nearest_place_or_says_why_not(app):
    """The pick's server side: the form gets a place id only when a place is near the click, and
    a pick made for one incident never lands in another's form."""
    from dash import no_update

    from components.review_panel import PICK_LABEL, place_picked, start_place_pick

    seen = {"incident": "inc:x", "version": 1}
    picking, said, label = start_place_pick(1, None, seen)
    assert picking == {"incident": "inc:x", "tries": 1} and "Click the map" in said and label != PICK_LABEL
    assert start_place_pick(2, picking, seen) == (None, "Place pick cancelled.", PICK_LABEL)

    place, said, still, label = place_picked({"lat": 35.016, "lon": 40.511}, picking, seen)
    assert place == "dz:diban" and said.startswith("Place: Diban") and still is None and label == PICK_LABEL

    place, said, still, _ = place_picked({"lat": 34.0, "lon": 42.5}, picking, seen)  # open desert
    assert place is no_update  # the form keeps what it had
    assert "No place of the gazetteer within 15 km of 34.0000, 42.5000" in said
    assert still == {"incident": "inc:x", "tries": 2}  # armed again for another click

    place, said, still, label = place_picked({"lat": 35.016, "lon": 40.511}, picking, {"incident": "inc:y"})
    assert "another incident was selected" in said and still is None and label == PICK_LABEL
