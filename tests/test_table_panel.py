"""The incidents table: same incidents as the map and counts, linked both ways through the URL.

The callbacks are called directly (``dash.callback`` returns the function). ``show_selection``
asks ``ctx.triggered_id`` which input fired, so those calls run inside a callback context.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from contextvars import copy_context
from dataclasses import replace
from datetime import date
from urllib.parse import parse_qs

import pytest
from dash import dash_table, html, no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

from components import ids, table_panel
from components.service_access import service, serving
from conflictmap.config import Settings
from conflictmap.read.query import EventFilter
from conflictmap.storage.store import EventStore
from tests.helpers import make_event

HOSTILE_PLACE = "<img src=x onerror=alert(1)>"
HOSTILE_ACTOR = "<script>alert('x')</script> **bold** [link](javascript:alert(1))"
SEED = "ref:INC-2024-08-12-sdf-retaliation"  # the bundled Rudaw report's attack, also hand-coded


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """The bundled data prepared as on first run (reference facts plus the extracted seed)."""
    from conflictmap.pipeline import prepare

    settings = Settings(data_dir=tmp_path_factory.mktemp("table"))
    assert prepare(settings) == []
    return settings


@pytest.fixture
def on_bundled(bundled):
    """Panel code in each test reads the bundled store, as the app serving it would."""
    with serving(bundled):
        yield bundled


def run_selection(trigger: str, search, shown_ids=None, page_current=0, active_cell=None):
    """``show_selection`` as Dash calls it, with ``trigger`` ("url.search" or the table's ids) as the input that fired."""

    def call():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": trigger, "value": None}]))
        return table_panel.show_selection(search, shown_ids, page_current, active_cell)

    return copy_context().run(call)


URL_FIRED = f"{ids.URL}.search"
TABLE_FIRED = f"{ids.TABLE}.derived_virtual_row_ids"


# ---- the same incidents as the map and counts ------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "",
        "type=battle",
        "start=2024-08-01&end=2024-08-31",
        "origin=extracted",
        "type=violence_against_civilians&type=explosion_remote_violence&prec=1",
        "minfat=5&zone=SDF",
    ],
)
def test_rows_are_the_incidents_the_map_and_counts_show(on_bundled, query):
    data, caption, key = table_panel.update_table("?" + query, None)
    view = service().view(EventFilter.from_query(query))
    assert len(data) == view.counts["incidents"] == int(view.groups["count"].sum())
    assert sorted(r["id"] for r in data) == sorted(view.selected["incident_id"])
    assert len({r["id"] for r in data}) == len(data)  # one row per incident, not per report
    assert f"{len(data):,} incident" in caption or "No incidents" in caption
    # the rows' key: the data's version and the filter, never the selection or the map position
    assert key == f"v{service().version()}|" + EventFilter.from_query(query).without_view().to_query()


def test_default_view_lists_every_incident_newest_first(on_bundled):
    data, caption, _ = table_panel.update_table("", None)
    assert len(data) == service().view(EventFilter()).counts["incidents"] > 100
    days = [r["date"][:10] for r in data]
    assert days == sorted(days, reverse=True)
    assert "newest first" in caption


def test_the_seed_attack_is_one_row_with_both_sources(on_bundled):
    data, _, _ = table_panel.update_table("?start=2024-08-12&end=2024-08-12&type=battle", None)
    assert len(data) == 1
    row = data[0]
    assert row["id"] == SEED and row["type"] == "Battle"
    assert row["fatalities"] == 20 and row["reports"] == 2
    assert "Rudaw" in row["sources"] and "hand-coded" in row["sources"]
    assert row["place"].startswith("Deir ez-Zor") and "governorate or region only" in row["place"]


def test_selecting_or_panning_does_not_resend_the_rows(on_bundled):
    _, _, key = table_panel.update_table("?type=battle", None)
    moved = f"?type=battle&event={SEED}&lat=35.1&lon=40.2&zoom=8&layers=zones"
    assert table_panel.update_table(moved, key) == (no_update, no_update, no_update)
    assert table_panel.update_table("?type=protest", key)[0] is not no_update


# ---- table -> URL ----------------------------------------------------------------------------
def test_a_row_click_puts_the_incident_in_the_url_and_keeps_the_rest(on_bundled):
    search = "?start=2017-01-01&end=2026-12-31&type=battle&actor=SDF&q=oil&lat=35.1000&lon=40.2000&zoom=8.00"
    cell = {"row": 3, "column": 2, "column_id": "place", "row_id": SEED}
    out = table_panel.select_from_table(cell, search)
    assert out.startswith("?")
    before, after = EventFilter.from_query(search), EventFilter.from_query(out)
    assert after.event == SEED
    assert after == replace(before, event=SEED)
    qs = parse_qs(out[1:])
    assert (
        qs["event"] == [SEED] and qs["type"] == ["battle"] and qs["q"] == ["oil"] and qs["zoom"] == ["8.00"]
    )


def test_moving_within_the_selected_row_or_no_cell_leaves_the_url_alone(on_bundled):
    same = {"row": 0, "column": 4, "column_id": "fatalities", "row_id": SEED}
    assert table_panel.select_from_table(same, f"?event={SEED}") is no_update
    assert table_panel.select_from_table(None, "?type=battle") is no_update
    assert table_panel.select_from_table({"row": 0, "column": 0}, "?type=battle") is no_update


def test_a_row_click_on_a_plain_page_gives_a_url_with_only_the_event(on_bundled):
    out = table_panel.select_from_table({"row": 0, "column": 0, "row_id": SEED}, "")
    assert parse_qs(out[1:]) == {"event": [SEED]}


# ---- URL -> table ----------------------------------------------------------------------------
def test_the_urls_incident_is_highlighted_and_its_page_shown(on_bundled):
    data, _, _ = table_panel.update_table("", None)
    target = data[20]["id"]  # newest first, 15 a page: the 6th row of the second page
    styles, page, cell, cells, status = run_selection(URL_FIRED, f"?event={target}")
    assert page == 1
    # Selected on the map: no active cell, which would take the focus and scroll the page away.
    assert cell is no_update and cells is no_update
    in_table = {"row": 0, "column": 0, "column_id": "date", "row_id": data[0]["id"]}
    _, _, cell, cells, _ = run_selection(URL_FIRED, f"?event={target}", active_cell=in_table)
    assert cell == {"row": 5, "column": 0, "column_id": "date", "row_id": target} and cells == [cell]
    assert len(styles) == 1 and styles[0]["if"] == {"filter_query": "{id} = " + json.dumps(target)}
    assert styles[0]["fontWeight"] == "600"  # not by colour alone
    assert status.startswith("Selected: ") and "(page 2)" in status


def test_the_page_follows_the_order_the_analyst_sorted(on_bundled):
    data, _, _ = table_panel.update_table("", None)
    oldest_first = [r["id"] for r in reversed(data)]
    target = oldest_first[31]
    in_table = {"row": 0, "column": 0, "column_id": "date", "row_id": oldest_first[0]}
    _, page, cell, _, _ = run_selection(
        TABLE_FIRED, f"?event={target}", shown_ids=oldest_first, active_cell=in_table
    )
    assert page == 2 and cell["row"] == 1 and cell["row_id"] == target


def test_the_analysts_column_is_kept_and_nothing_moves_when_already_on_the_row(on_bundled):
    data, _, _ = table_panel.update_table("", None)
    target = data[2]["id"]
    on_row = {"row": 2, "column": 3, "column_id": "actors", "row_id": target}
    styles, page, cell, cells, _ = run_selection(URL_FIRED, f"?event={target}", active_cell=on_row)
    assert page is no_update and cell is no_update and cells is no_update and styles
    elsewhere = {"row": 7, "column": 3, "column_id": "actors", "row_id": data[7]["id"]}
    _, _, cell, _, _ = run_selection(URL_FIRED, f"?event={target}", active_cell=elsewhere)
    assert cell == {"row": 2, "column": 3, "column_id": "actors", "row_id": target}


def test_an_incident_outside_the_filter_is_not_highlighted_and_the_status_says_why(on_bundled):
    styles, page, cell, cells, status = run_selection(
        URL_FIRED, f"?type=protest&event={SEED}", active_cell={"row": 1, "column": 0, "row_id": "x"}
    )
    assert styles == [] and page is no_update and cell is None and cells == []
    assert "does not match the current filters" in status


def test_an_incident_hidden_by_a_column_filter_is_named(on_bundled):
    data, _, _ = table_panel.update_table("", None)
    others = [r["id"] for r in data if r["id"] != SEED][:5]
    styles, _, cell, _, status = run_selection(
        TABLE_FIRED, f"?event={SEED}", shown_ids=others, page_current=3
    )
    assert styles  # still highlighted for when the column filter is cleared
    assert "hidden by the table's column filters" in status
    assert cell is no_update  # no active cell to clear


def test_new_rows_without_a_selection_start_on_the_first_page(on_bundled):
    _, page, _, _, status = run_selection(TABLE_FIRED, "?type=battle", shown_ids=None, page_current=4)
    assert page == 0 and status == ""
    _, page, _, _, _ = run_selection(URL_FIRED, "?type=battle", page_current=4)
    assert page is no_update  # the URL alone (a pan, a cleared selection) does not turn pages


def test_a_stale_order_from_the_old_rows_falls_back_to_newest_first(on_bundled):
    data, _, _ = table_panel.update_table("?type=battle", None)
    target = data[16]["id"]
    stale = ["inc:from-the-previous-filter", target]
    in_table = {"row": 0, "column": 0, "column_id": "date", "row_id": data[0]["id"]}
    _, page, cell, _, _ = run_selection(
        URL_FIRED, f"?type=battle&event={target}", shown_ids=stale, active_cell=in_table
    )
    assert page == 1 and cell["row"] == 1


def test_quoted_ids_cannot_break_out_of_the_style_query():
    assert table_panel.quoted('a"b\\c') == '"a\\"b\\\\c"'
    assert table_panel.selected_styles(None) == []


# ---- big views -------------------------------------------------------------------------------
def test_big_views_send_only_the_most_recent_rows_and_say_so(on_bundled, monkeypatch):
    monkeypatch.setattr(table_panel, "MAX_ROWS", 10)
    total = service().view(EventFilter()).counts["incidents"]
    data, caption, _ = table_panel.update_table("", None)
    assert len(data) == 10 < total
    assert f"The 10 most recent of {total:,} incidents are listed" in caption
    newest = sorted(service().view(EventFilter()).selected["event_date"], reverse=True)[9]
    assert min(r["date"][:10] for r in data) >= newest.date().isoformat()
    oldest = service().view(EventFilter()).selected.iloc[0]["incident_id"]
    _, _, cell, _, status = run_selection(URL_FIRED, f"?event={oldest}")
    assert cell is no_update and "older than the 10 incidents listed" in status


# ---- what a cell says ------------------------------------------------------------------------
@pytest.fixture
def own_store(tmp_path):
    """A store written for the test: unknown and zero tolls, and hostile text from a feed."""
    settings = Settings(data_dir=tmp_path)
    store = EventStore(settings.db_url)
    store.upsert_events(
        [
            make_event("unknown", event_date=date(2024, 8, 7), fatalities=None),
            make_event("zero", event_date=date(2024, 8, 6), fatalities=0, article_id="a2"),
            make_event(
                "hostile",
                event_date=date(2024, 8, 5),
                article_id="a3",
                location=HOSTILE_PLACE,
                actor1=HOSTILE_ACTOR,
                actor2=None,
                source="<b>Outlet</b>",
                fatalities=3,
            ),
        ]
    )
    with serving(settings):
        data, _, _ = table_panel.update_table("", None)
        yield {r["id"]: r for r in data}


def test_unknown_fatalities_read_not_stated_and_zero_stays_zero(own_store):
    assert own_store["inc:unknown"]["fatalities"] == "not stated"
    assert own_store["inc:zero"]["fatalities"] == 0
    fat = next(c for c in table_panel.COLUMNS if c["id"] == "fatalities")
    assert fat["type"] == "numeric" and "not stated" in fat["sort_as_null"]  # sorts last, not as 0


def test_hostile_text_from_a_feed_reaches_the_table_as_plain_text(own_store):
    row = own_store["inc:hostile"]
    assert row["place"] == HOSTILE_PLACE  # verbatim: React shows it as text, nothing runs
    assert row["actors"] == HOSTILE_ACTOR
    assert row["sources"] == "<b>Outlet</b>"
    table = _table(table_panel.layout())
    assert all(c.get("presentation", "input") == "input" for c in table.columns)  # never markdown
    assert table.markdown_options == {"html": False}
    assert not hasattr(table, "tooltip_data")  # no tooltips, where markdown could sneak in


def test_the_status_line_quotes_hostile_text_as_a_string(own_store):
    *_, status = run_selection(URL_FIRED, "?event=inc:hostile")
    assert isinstance(status, str) and HOSTILE_PLACE in status


# ---- layout and keyboard ---------------------------------------------------------------------
def _table(node) -> dash_table.DataTable:
    found = [c for c in node.children if isinstance(c, dash_table.DataTable)]
    assert len(found) == 1
    return found[0]


def test_layout_is_a_named_region_with_a_heading_and_a_plain_sortable_filterable_table():
    region = table_panel.layout()
    assert region.id == ids.TABLE_REGION and region.role == "region"
    assert getattr(region, "aria-label") == "Incidents in view"
    heading = region.children[0]
    assert isinstance(heading, html.H2) and heading.children == "Incidents in view"
    table = _table(region)
    assert table.id == ids.TABLE and table.row_selectable is False and table.editable is False
    assert table.sort_action == table.filter_action == table.page_action == "native"
    assert table.page_size == table_panel.PAGE_SIZE
    assert table.sort_by == [{"column_id": "date", "direction": "desc"}]
    assert [c["name"] for c in table.columns] == [
        "Date",
        "Type",
        "Place",
        "Actors",
        "Fatalities",
        "Reports",
        "Sources",
    ]


def test_keyboard_script_names_the_right_elements_and_parses():
    js = table_panel.KEYBOARD_JS
    assert json.dumps(ids.TABLE) in js and json.dumps(ids.TABLE_REGION) in js and "__" not in js
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the script's syntax is not checked")
    result = subprocess.run([node, "--check", "-"], input=f"var f = {js};", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_order_is_the_same_whether_or_not_the_selection_arrives_sorted(on_bundled):
    """The fast path (the index's own oldest-first order, reversed) must equal a real sort."""
    selected = service().view(EventFilter()).selected
    assert selected["event_date"].is_monotonic_increasing  # the fast path is the one taken
    shuffled = selected.sample(frac=1, random_state=7)
    fast = table_panel.newest_first(selected)["incident_id"].tolist()
    assert table_panel.newest_first(shuffled)["incident_id"].tolist() == fast
