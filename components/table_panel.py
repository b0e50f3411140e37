"""Incidents table: the incidents in view as rows, linked both ways with the map, usable by keyboard.

Why a table beside the map: analysts sort and compare (newest, deadliest, most reported), and a
screen-reader user cannot read circles on a map at all. The rows are the map's and the counts'
own selection (``service().view(flt).selected``, one row per incident), so the table never tells
a different story from the screen around it.

Linked both ways through the URL, which is the state: choosing a row (click, or moving the
active cell with the keyboard) writes ``event=<incident id>`` into the query string, which opens
the detail panel and highlights the marker; an ``event=`` in the URL (a map click, a shared
link) highlights its row and turns to the page that holds it.

Every cell comes from a feed, so cells are DataTable's plain-text presentation (React escapes
them); no column is markdown and markdown's HTML stays off.

Names in Arabic (places, actors, outlets) are wrapped in Unicode's first-strong isolate marks
(U+2068 ... U+2069), the plain-text form of ``dir="auto"``: DataTable cannot put attributes on a
cell, and without them an Arabic name beside English words ("(approximate)", a comma, another
outlet) is reordered with them. Only text holding right-to-left letters is wrapped, so English
rows are unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pandas as pd
from dash import Dash, Input, Output, State, ctx, dash_table, dcc, html, no_update

from components import ids
from components.service_access import service
from conflictmap.models import EVENT_LABELS
from conflictmap.read.index import split_outlets
from conflictmap.read.query import EventFilter

TITLE = "Incidents in view"
PAGE_SIZE = 15
# Rows sent to the browser at most: a 100k-incident store must not ship megabytes of JSON
# (and make every native sort walk them) on each filter change. The caption says when it cuts.
MAX_ROWS = 2_000
NOT_STATED = "not stated"
KEYS_HELP = (
    "Keyboard: Tab to the table, then Enter or an arrow key enters the rows; the arrow keys move "
    "between incidents and each one you move to opens in the detail panel; Tab leaves the table. "
    "The sort button beside each heading (Enter or Space) sorts by that column; type in the boxes "
    "under the headings to filter it (e.g. >= 10 under Fatalities, 2024-08 under Date)."
)

COLUMNS: list[dict] = [
    {"id": "date", "name": "Date", "type": "text"},
    {"id": "type", "name": "Type", "type": "text"},
    {"id": "place", "name": "Place", "type": "text"},
    {"id": "actors", "name": "Actors", "type": "text"},
    # Numeric so that it sorts and filters (>= 10) as numbers; "not stated" sorts last both ways.
    # Case-sensitive filters: the table's case-insensitive ">=" compares upper-cased STRINGS
    # ("9" >= "10" and "NOT STATED" >= "10" are both true), so every row would pass.
    {
        "id": "fatalities",
        "name": "Fatalities",
        "type": "numeric",
        "sort_as_null": [NOT_STATED],
        "filter_options": {"case": "sensitive"},
    },
    {"id": "reports", "name": "Reports", "type": "numeric", "filter_options": {"case": "sensitive"}},
    {"id": "sources", "name": "Sources", "type": "text"},
]
COLUMN_IDS = [c["id"] for c in COLUMNS]
DEFAULT_SORT = [{"column_id": "date", "direction": "desc"}]
# Bold as well as a colour: the selected row must not depend on telling colours apart.
SELECTED_STYLE = {"backgroundColor": "#fde7a9", "fontWeight": "600"}

_PLACE_NOTE = {2: " (approximate)", 3: " (governorate or region only)"}
# Right-to-left letters: Hebrew, Arabic, Syriac, Thaana, NKo ... and the Arabic presentation forms.
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
FSI, PDI = "\u2068", "\u2069"


def layout() -> html.Div:
    """A named region: heading, what the rows are, keyboard help, selection status, the table."""
    return html.Div(
        [
            html.H2(TITLE, className="table-heading"),
            html.P(id=ids.TABLE_CAPTION, className="hint table-caption"),
            html.P(KEYS_HELP, id=ids.TABLE_HELP, className="hint table-help"),
            # aria-* only pass as **kwargs, which mypy checks against every typed keyword of the stub
            html.P(id=ids.TABLE_STATUS, className="table-status", role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]
            # The filter the rows on screen were made for: selecting an incident changes the URL
            # but not the rows, and must not resend up to MAX_ROWS rows.
            dcc.Store(id=ids.TABLE_DRAWN),
            dash_table.DataTable(  # type: ignore[attr-defined]  # dash_table's __init__ star-imports it; mypy can't see it
                id=ids.TABLE,
                columns=COLUMNS,
                data=[],
                sort_action="native",
                sort_mode="single",
                sort_by=DEFAULT_SORT,
                filter_action="native",
                filter_options={"case": "insensitive", "placeholder_text": "filter…"},
                page_action="native",
                page_size=PAGE_SIZE,
                page_current=0,
                row_selectable=False,
                row_deletable=False,
                cell_selectable=True,  # the active cell is how a row is chosen, by mouse or keyboard
                editable=False,
                markdown_options={"html": False},  # no markdown column anyway; never raw HTML
                style_as_list_view=True,
                style_table={"overflowX": "auto"},
                style_cell={
                    "textAlign": "left",
                    "whiteSpace": "normal",
                    "height": "auto",
                    "fontFamily": "inherit",
                    "fontSize": "13px",
                    "padding": "4px 8px",
                },
                style_cell_conditional=[
                    {"if": {"column_id": c}, "textAlign": "right"} for c in ("fatalities", "reports")
                ],
                style_header={"fontWeight": "600"},
                style_data_conditional=[],
            ),
        ],
        id=ids.TABLE_REGION,
        role="region",
        className="table-panel",
        **{"aria-label": TITLE},  # type: ignore[arg-type]  # aria-* only as **kwargs (see above)
    )


# ---- rows -------------------------------------------------------------------------------------
def newest_first(selected: pd.DataFrame) -> pd.DataFrame:
    """The selection in the table's order: newest first, ties by incident id (descending) so
    pages are stable. The index keeps incidents sorted oldest first, so this is usually a
    reversal, not a sort: a string sort of 100k ids took ~0.4 s on every selection change."""
    if selected["event_date"].is_monotonic_increasing:
        return selected.iloc[::-1]
    return selected.sort_values(["event_date", "incident_id"], ascending=False, kind="stable")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def isolated(text: str) -> str:
    """``text`` between first-strong isolate marks when it holds right-to-left letters: its own
    direction is then worked out from its first letter, apart from the words around it."""
    return f"{FSI}{text}{PDI}" if _RTL.search(text) else text


def _date(r) -> str:
    day = r.event_date.date().isoformat()
    precision = _text(getattr(r, "date_precision", None)) or "day"
    return day if precision == "day" else f"{day} (precision: {precision})"


def _place(r) -> str:
    name = isolated(_text(r.location)) or "not named"
    try:
        note = _PLACE_NOTE.get(int(r.geo_precision), "")
    except (TypeError, ValueError):
        note = ""
    return name + note


def _sources(r) -> str:
    outlets = ", ".join(isolated(o) for o in split_outlets(r.outlets))
    if "reference" in split_outlets(r.origins):
        return f"{outlets} · hand-coded reference" if outlets else "hand-coded reference"
    return outlets or "unknown outlet"


def table_row(r) -> dict:
    """One incident as a row of plain strings and numbers; ``id`` is the incident, for linking."""
    fat = r.fatalities
    reports = r.n_reports
    return {
        "id": str(r.incident_id),
        "date": _date(r),
        "type": EVENT_LABELS.get(r.event_type, str(r.event_type)),
        "place": _place(r),
        "actors": " vs ".join(isolated(a) for a in (_text(r.actor1), _text(r.actor2)) if a) or "not named",
        # Unknown is not zero: a report that gives no toll must not read as "nobody died".
        "fatalities": NOT_STATED if fat is None or pd.isna(fat) else int(fat),
        "reports": 1 if reports is None or pd.isna(reports) else int(reports),
        "sources": _sources(r),
    }


def table_rows(selected: pd.DataFrame, limit: int | None = None) -> list[dict]:
    """The rows sent to the browser: the ``limit`` (``MAX_ROWS``) most recent incidents."""
    head = newest_first(selected).head(MAX_ROWS if limit is None else limit)
    return [table_row(r) for r in head.itertuples(index=False)]


def caption(total: int, shown: int) -> str:
    """The line above the table: how many incidents match, and whether the list is cut
    (``shown`` < ``total``) while the map and counts still hold them all."""
    if total == 0:
        return "No incidents match these filters."
    noun = "incident" if total == 1 else "incidents"
    if shown < total:
        return (
            f"The {shown:,} most recent of {total:,} {noun} are listed, newest first (the map and "
            "counts include all of them); narrow the filters to list the rest."
        )
    return f"{total:,} {noun}, newest first, {PAGE_SIZE} a page; the same incidents as the map and counts."


def table_key(search: str | None) -> str:
    """What the rows depend on: the data's version and the filter, not the selection, the map
    view or the layers."""
    return f"v{service().version()}|" + EventFilter.from_query(search).without_view().to_query()


def quoted(value: str) -> str:
    """A string literal of DataTable's filter-query language, for a value from the URL."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def selected_styles(incident_id: str | None) -> list[dict]:
    """The DataTable style that highlights the selected incident's row; none when nothing is selected."""
    if not incident_id:
        return []
    return [{"if": {"filter_query": "{id} = " + quoted(incident_id)}, **SELECTED_STYLE}]


# ---- callbacks --------------------------------------------------------------------------------
def update_table(search, drawn, _data_version=None):
    """Rows for the URL's filter; nothing is resent when only the selection or map view moved."""
    key = table_key(search)
    if drawn is not None and key == drawn:
        return no_update, no_update, no_update
    selected = service().view(EventFilter.from_query(search)).selected
    rows = table_rows(selected)
    return rows, caption(len(selected), len(rows)), key


def select_from_table(active_cell, search):
    """A row chosen by click or keyboard becomes the URL's selected event; the rest is kept."""
    incident = (active_cell or {}).get("row_id") if isinstance(active_cell, dict) else None
    if not incident:
        return no_update
    flt = EventFilter.from_query(search)
    if flt.event == str(incident):
        return no_update  # moving within the row, or the table echoing the URL's own selection
    query = replace(flt, event=str(incident)).to_query()
    return "?" + query if query else ""


def show_selection(search, shown_ids, page_current, active_cell):
    """Highlight the URL's incident and turn to its page, in the order the analyst sorted.

    The table's own ``derived_virtual_row_ids`` is read because the analyst may have sorted or
    filtered the columns: the page holding a row depends on that order, which the URL does not
    carry. Right after a filter change those ids can still be the old rows'; then the rows'
    own order (newest first) is used, and the table's next report corrects it.
    """
    flt = EventFilter.from_query(search)
    selected = service().view(flt).selected
    listed = newest_first(selected)["incident_id"].head(MAX_ROWS).astype(str).tolist()
    listed_set = set(listed)
    event = flt.event
    styles = selected_styles(event) if event in listed_set else []
    fresh = isinstance(shown_ids, list) and set(map(str, shown_ids)) <= listed_set
    order = [str(i) for i in shown_ids] if fresh else listed
    page = page_current or 0
    active = active_cell if isinstance(active_cell, dict) else None
    if event and event in order:
        pos = order.index(event)
        want_page, row = divmod(pos, PAGE_SIZE)
        page_out = want_page if want_page != page else no_update
        if active and active.get("row_id") == event and active.get("row") == row and page_out is no_update:
            cell_out = cells_out = no_update  # the analyst is on that row already: keep their column
        elif not active:
            # Selected elsewhere (a marker, a link) and the analyst is not in the table: highlight
            # and turn the page only. An active cell takes the focus, and the browser would
            # scroll the page away from the map the analyst just clicked.
            cell_out = cells_out = no_update
        else:
            column = active.get("column") if active else 0
            column = column if isinstance(column, int) and 0 <= column < len(COLUMN_IDS) else 0
            cell = {"row": row, "column": column, "column_id": COLUMN_IDS[column], "row_id": event}
            cell_out, cells_out = cell, [cell]
    else:
        # New rows, or a new sort or column filter, start on the first page, as a new list does.
        page_out = 0 if ctx.triggered_id == ids.TABLE and page else no_update
        cell_out, cells_out = (None, []) if active else (no_update, no_update)
    return styles, page_out, cell_out, cells_out, selection_status(event, selected, listed_set, order)


def selection_status(event: str | None, selected: pd.DataFrame, listed: set[str], order: list[str]) -> str:
    """One line for the status region, so a screen reader hears what is selected or why it is not shown."""
    if not event:
        return ""
    if event not in listed:
        if event in set(selected["incident_id"].astype(str)):
            return (
                f"The selected incident is older than the {MAX_ROWS:,} incidents listed here; "
                "narrow the filters to list it."
            )
        return "The selected incident does not match the current filters, so it is not listed."
    if event not in order:
        return "The selected incident is hidden by the table's column filters."
    r = table_row(next(selected[selected["incident_id"].astype(str) == event].itertuples(index=False)))
    page = order.index(event) // PAGE_SIZE + 1
    return f"Selected: {r['date']}, {r['type']}, {r['place']} (page {page})."


# ---- keyboard ---------------------------------------------------------------------------------
# dash-table's cells are tabindex=-1 and it moves between cells on Tab and Enter, so out of the
# box a keyboard user can neither reach the rows nor leave them (a keyboard trap), its page
# buttons lose Enter and its sort arrows are mouse-only. This gives the table one tab stop, lets
# Enter or an arrow key enter the rows at the selected incident (or the first row), keeps Tab
# native everywhere, keeps Enter for the page buttons and page box, makes the sort arrows
# buttons, and names the icon-only controls and the filter boxes. It runs each time
# the rows change (the table renders lazily, and page buttons come and go); every step is
# idempotent. Inline clientside code is covered by the CSP through ``app.csp_hashes()``.
_KEYBOARD_JS = """
function (_rowIds) {
    var region = document.getElementById(__REGION__);
    var table = document.getElementById(__TABLE__);
    if (!region || !table) { return window.dash_clientside.no_update; }
    if (!table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("role", "group");
        table.setAttribute("aria-label", "Incidents table");
        table.setAttribute("aria-describedby", __HELP__);
    }
    var names = {"first-page": "First page", "previous-page": "Previous page",
                 "next-page": "Next page", "last-page": "Last page"};
    Object.keys(names).forEach(function (cls) {
        table.querySelectorAll("button." + cls).forEach(function (b) {
            b.setAttribute("aria-label", names[cls]);
        });
    });
    table.querySelectorAll("input.current-page").forEach(function (i) {
        i.setAttribute("aria-label", "Go to page");
    });
    table.querySelectorAll("th[data-dash-column]").forEach(function (th) {
        var sort = th.querySelector(".column-header--sort");
        var name = th.querySelector(".column-header-name");
        if (sort && name) {
            sort.setAttribute("tabindex", "0");
            sort.setAttribute("role", "button");
            sort.setAttribute("aria-label", "Sort by " + name.textContent);
        }
        var box = th.querySelector("input[type=text]");
        var col = table.querySelector("th.dash-header[data-dash-column='" + th.getAttribute("data-dash-column") + "'] .column-header-name");
        if (box && col) { box.setAttribute("aria-label", "Filter " + col.textContent); }
        var match = th.querySelector("input.dash-filter--case");
        if (match && col) { match.setAttribute("aria-label", "Match case when filtering " + col.textContent); }
    });
    if (region.dataset.tableKeys === "on") { return window.dash_clientside.no_update; }
    region.dataset.tableKeys = "on";
    region.addEventListener("keydown", function (e) {
        var grid = document.getElementById(__TABLE__);
        var t = e.target;
        if (!grid || !grid.contains(t)) { return; }
        var enter = e.key === "Enter" || e.key === " ";
        var arrow = e.key.indexOf("Arrow") === 0;
        if (e.key === "Tab") { e.stopPropagation(); return; }
        if (t.classList.contains("column-header--sort")) {
            if (enter) { e.preventDefault(); e.stopPropagation(); t.click(); }
            else if (arrow) { e.stopPropagation(); }
            return;
        }
        if (t.tagName === "BUTTON" || t.type === "button") {
            if (enter || arrow) { e.stopPropagation(); }
            return;
        }
        if (t.tagName === "INPUT" && t.classList.contains("current-page")) {
            if (e.key === "Enter") { e.stopPropagation(); e.preventDefault(); t.blur(); }
            return;
        }
        if (t === grid && (enter || arrow)) {
            var active = grid.querySelector("td.dash-cell.focused");
            if (active && arrow) { return; }
            e.preventDefault();
            e.stopPropagation();
            var cell = active || grid.querySelector("td.dash-cell");
            if (!cell) { return; }
            if (!active) { cell.click(); }
            cell.focus();
            return;
        }
        if (enter && t.closest && t.closest("td.dash-cell")) {
            // the row is chosen already (moving chose it); Enter must not jump to the next one
            e.preventDefault();
            e.stopPropagation();
        }
    }, true);
    return window.dash_clientside.no_update;
}
"""
KEYBOARD_JS = (
    _KEYBOARD_JS.replace("__REGION__", json.dumps(ids.TABLE_REGION))
    .replace("__TABLE__", json.dumps(ids.TABLE))
    .replace("__HELP__", json.dumps(ids.TABLE_HELP))
)


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``): every app built by
    ``create_app`` gets its own, so several apps can live in one process (tests build many)."""
    app.callback(
        Output(ids.TABLE, "data"),
        Output(ids.TABLE_CAPTION, "children"),
        Output(ids.TABLE_DRAWN, "data"),
        Input(ids.URL, "search"),
        State(ids.TABLE_DRAWN, "data"),
        Input(ids.DATA_VERSION, "data"),
    )(update_table)
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.TABLE, "active_cell"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )(select_from_table)
    app.callback(
        Output(ids.TABLE, "style_data_conditional"),
        Output(ids.TABLE, "page_current"),
        Output(ids.TABLE, "active_cell"),
        Output(ids.TABLE, "selected_cells"),
        Output(ids.TABLE_STATUS, "children"),
        Input(ids.URL, "search"),
        Input(ids.TABLE, "derived_virtual_row_ids"),
        State(ids.TABLE, "page_current"),
        State(ids.TABLE, "active_cell"),
    )(show_selection)
    app.clientside_callback(KEYBOARD_JS, Input(ids.TABLE, "derived_virtual_row_ids"))
