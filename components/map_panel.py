"""The map panel: zones of the as-of date, basemap, key sites and event markers."""

from __future__ import annotations

from dash import Input, Output, callback, dcc, html

from components import ids
from components.figures import DEFAULT_ZOOM, map_figure, map_spec
from components.service_access import service, settings
from conflictmap.query import EventFilter

GRAPH_CONFIG = {
    "showSendToCloud": False,  # plotly.js 4's "Share chart" uploads to the cloud: never offline-safe
    "displaylogo": False,
    "scrollZoom": True,
    "toImageButtonOptions": {"format": "png", "filename": "conflictmap-view", "scale": 2},
}


def layout() -> html.Div:
    return html.Div(
        dcc.Loading(
            dcc.Graph(id=ids.MAP, config=GRAPH_CONFIG, style={"height": "100%"}, className="map-graph"),
            type="circle",
            delay_show=400,
            parent_style={"height": "100%"},
        ),
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
    return args, {"view": centre, "tile_url": settings().tile_url}


def build_map(search: str | None):
    """Map ``go.Figure`` for a URL query string: exports use it, so they draw what the screen shows."""
    args, kwargs = _map_args(search)
    return map_figure(*args, **kwargs)


@callback(Output(ids.MAP, "figure"), Input(ids.URL, "search"))
def update_map(search):
    # The plain dict: same figure as build_map without plotly's validation copy of every array.
    args, kwargs = _map_args(search)
    return map_spec(*args, **kwargs)
