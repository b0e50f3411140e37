"""The map panel: zones of the as-of date, basemap, key sites and event markers."""

from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.figures import DEFAULT_ZOOM, map_figure, map_spec
from components.service_access import service, settings
from conflictmap.query import EventFilter
from conflictmap.zones import coverage_note

GRAPH_CONFIG = {
    "showSendToCloud": False,  # plotly.js 4's "Share chart" uploads to the cloud: never offline-safe
    "displaylogo": False,
    "scrollZoom": True,
    "toImageButtonOptions": {"format": "png", "filename": "conflictmap-view", "scale": 2},
}


def layout() -> html.Div:
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


def _map_args(search: str | None) -> tuple[tuple, dict]:
    svc = service()
    flt = EventFilter.from_query(search)
    view = svc.view(flt)
    centre = (
        (flt.lat, flt.lon, flt.zoom or DEFAULT_ZOOM) if flt.lat is not None and flt.lon is not None else None
    )
    args = (view.groups, view.zones_fc, svc.basemap(), svc.sites(), flt.layers)
    notice = coverage_note(svc.zones(), view.as_of)
    kwargs = {
        "view": centre,
        "tile_url": settings().tile_url,
        "notice": notice,
        "settlements": svc.settlements(),
    }
    return args, kwargs


def build_map(search: str | None):
    """Map ``go.Figure`` for a URL query string: exports use it, so they draw what the screen shows."""
    args, kwargs = _map_args(search)
    return map_figure(*args, **kwargs)


def drawn_key(search: str | None) -> str:
    """What the map's data depends on: the filter and layers, not the view or the selection."""
    flt = EventFilter.from_query(search)
    return replace(flt, event=None, lat=None, lon=None, zoom=None, embed=False).to_query()


def render_map(search: str | None) -> dict:
    # The plain dict: same figure as build_map without plotly's validation copy of every array.
    args, kwargs = _map_args(search)
    return map_spec(*args, **kwargs)


@callback(
    Output(ids.MAP, "figure"),
    Output(ids.MAP_DRAWN, "data"),
    Input(ids.URL, "search"),
    State(ids.MAP_DRAWN, "data"),
)
def update_map(search, drawn):
    return redraw_if_changed(render_map, search, drawn)


def redraw_if_changed(render, search: str | None, drawn: str | None) -> tuple:
    """(figure, key) for a new filter; no update when only the view or the selection moved."""
    key = drawn_key(search)
    if drawn is not None and key == drawn:
        return no_update, no_update
    return render(search), key
