"""The timeline under the map: incidents per day/week by type, fatalities, control changes.

Dragging a range on it sets the date filter (handled in ``filters.sync_filters``).
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html, no_update

from components import ids
from components.map_panel import redraw_if_changed
from components.views import render_timeline


def layout() -> html.Div:
    """The timeline panel: the graph (drag to set dates, double-click to clear), its hint, and the
    store of the drawn figure's data key."""
    return html.Div(
        [
            dcc.Store(id=ids.TIMELINE_DRAWN),
            dcc.Graph(
                id=ids.TIMELINE,
                config={
                    "showSendToCloud": False,
                    "displaylogo": False,
                    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
                    # Double-click autoranges (relayout "xaxis.autorange"), which the filter bar
                    # reads as "clear the range"; plotly's default "reset" would re-send the
                    # figure's own range and write it into the URL.
                    "doubleClick": "autosize",
                },
                style={"height": "180px"},
            ),
            html.Div(
                "Drag across the timeline to set the date range; double-click to clear it.", className="hint"
            ),
        ],
        className="timeline-panel",
    )


def update_timeline(search, drawn, _data_version=None, map_drawn=True):
    """Callback: a new timeline for the URL's filter; nothing is resent when only the selection or
    the map view moved. Nothing either before the page's first map is drawn (``map_drawn``, see
    ``map_panel.FIRST_DRAWN_JS``): the map comes first, the timeline a moment later."""
    if not map_drawn:
        return no_update, no_update
    return redraw_if_changed(render_timeline, search, drawn)


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``): every app built by
    ``create_app`` gets its own, so several apps can live in one process (tests build many)."""
    app.callback(
        Output(ids.TIMELINE, "figure"),
        Output(ids.TIMELINE_DRAWN, "data"),
        Input(ids.URL, "search"),
        State(ids.TIMELINE_DRAWN, "data"),
        Input(ids.DATA_VERSION, "data"),
        Input(ids.MAP_FIRST_DRAWN, "data"),
    )(update_timeline)
