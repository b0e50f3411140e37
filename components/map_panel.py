"""The map panel: zones of the as-of date, basemap, key sites and event markers."""

from __future__ import annotations

from dataclasses import replace

import dash
import flask
from dash import Dash, Input, Output, Patch, State, dcc, html, no_update

from components import ids
from components.figures import DEFAULT_ZOOM, drawn_size, map_figure, map_spec, selection_index
from components.service_access import service, settings
from conflictmap.geo.zones import coverage_note
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
        "selected": selected_marker(search),
        "glyphs_url": glyphs_url(),
    }
    return args, kwargs


def glyphs_url() -> str | None:
    """The app's own glyph template as an absolute URL of the host the request came to.

    Absolute, because the export browser (kaleido) draws the same figure from a page of its own,
    where a path alone would not resolve; the host is the app's, so nothing leaves the machine.
    None outside a request (tests, scripts): the map is then drawn without place names.
    """
    if not flask.has_request_context():
        return None
    return flask.request.host_url.rstrip("/") + dash.get_asset_url("glyphs/{fontstack}/{range}.pbf")


def selected_marker(search: str | None) -> tuple[float, float, float] | None:
    """Where the selected incident is drawn and how big its marker is; None when it is not in
    view (no selection, filtered out, or without a point)."""
    flt = EventFilter.from_query(search)
    if not flt.event or "events" not in flt.layers:
        return None
    svc = service()
    groups = svc.view(flt).groups
    frame = svc.index().frame
    row = frame[frame["incident_id"] == flt.event]
    if row.empty or groups.empty:
        return None
    r = row.iloc[0]
    same = groups[
        (groups["latitude"] == r["latitude"])
        & (groups["longitude"] == r["longitude"])
        & (groups["event_type"] == r["event_type"])
        & (groups["geo_precision"] == r["geo_precision"])
    ]
    if same.empty:
        return None
    g = same.iloc[0]
    size = drawn_size(float(g["fatalities"]), int(g["count"]), int(g["geo_precision"]))
    return (float(g["latitude"]), float(g["longitude"]), round(size, 2))


def build_map(search: str | None):
    """Map ``go.Figure`` for a URL query string: exports use it, so they draw what the screen shows."""
    args, kwargs = _map_args(search)
    return map_figure(*args, **kwargs)


def drawn_key(search: str | None) -> str:
    """What the map's data depends on: the filter and layers, not the view or the selection."""
    flt = EventFilter.from_query(search)
    return replace(flt, event=None, lat=None, lon=None, zoom=None, embed=False).to_query()


def render_map(search: str | None) -> dict:
    """The map for a URL query string as a plain figure dict, for the callback (exports use ``build_map``)."""
    # The plain dict: same figure as build_map without plotly's validation copy of every array.
    args, kwargs = _map_args(search)
    return map_spec(*args, **kwargs)


def update_map(search, drawn):
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
    )(update_map)
