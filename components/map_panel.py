"""The map panel: zones of the as-of date, basemap, key sites and event markers."""

from __future__ import annotations

from dataclasses import replace

from dash import Dash, Input, Output, Patch, State, dcc, html, no_update

from components import ids
from components.figures import selection_index
from components.service_access import service
from components.views import map_mode_key, render_map, selected_marker
from conflictmap.read.query import EventFilter

GRAPH_CONFIG: dcc.Graph.Config = {
    "showSendToCloud": False,  # plotly.js 4's "Share chart" uploads to the cloud: never offline-safe
    "displaylogo": False,
    "scrollZoom": True,
    "toImageButtonOptions": {"format": "png", "filename": "conflictmap-view", "scale": 2},
}


def layout() -> html.Div:
    """The map panel: the graph, and a store of what the figure on screen was drawn from (its data key
    and selection), so a callback can tell when only a patch is needed."""
    return html.Div(
        [
            # The data key of the figure on screen: panning or selecting an event changes the
            # URL but not the data, and must not resend the whole map.
            dcc.Store(id=ids.MAP_DRAWN),
            dcc.Loading(
                dcc.Graph(id=ids.MAP, config=GRAPH_CONFIG, style={"height": "100%"}, className="map-graph"),
                type="circle",
                delay_show=400,
                parent_style={"height": "100%"},
            ),
        ],
        className="map-panel",
    )


def drawn_key(search: str | None) -> str:
    """What the map's data depends on: the data's version, the filter and layers, and how it
    draws them (circles, or density at a zoom: zooming in past ``CIRCLES_ZOOM`` redraws); not
    the view otherwise, nor the selection."""
    flt = EventFilter.from_query(search)
    query = replace(flt, event=None, lat=None, lon=None, zoom=None, embed=False).to_query()
    return f"v{service().version()}|{query}|{map_mode_key(search)}"


def update_map(search, drawn, _data_version=None):
    """A new filter redraws the map; a new selection only moves the halo (a two-array patch)."""
    key = drawn_key(search)
    selected = selected_marker(search)
    wanted = list(selected) if selected else None
    if isinstance(drawn, dict) and drawn.get("key") == key:
        if drawn.get("selected") == wanted:
            return no_update, no_update
        patch = Patch()
        halo = patch["data"][drawn["halo"]]
        halo["lat"] = [selected[0]] if selected else []
        halo["lon"] = [selected[1]] if selected else []
        halo["marker"]["size"] = [selected[2] + 14] if selected else []
        return patch, {**drawn, "selected": wanted}
    fig = render_map(search)
    return fig, {"key": key, "halo": selection_index(fig), "selected": wanted}


def redraw_if_changed(render, search: str | None, drawn: str | None) -> tuple:
    """(figure, key) for a new filter; no update when only the view or the selection moved."""
    key = drawn_key(search)
    if drawn is not None and key == drawn:
        return no_update, no_update
    return render(search), key


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``): every app built by
    ``create_app`` gets its own, so several apps can live in one process (tests build many)."""
    app.callback(
        Output(ids.MAP, "figure"),
        Output(ids.MAP_DRAWN, "data"),
        Input(ids.URL, "search"),
        State(ids.MAP_DRAWN, "data"),
        Input(ids.DATA_VERSION, "data"),
    )(update_map)
