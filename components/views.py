"""Figures for a view: the map and timeline a URL query string asks for, from the data service.

The panels' callbacks send these to the page and the exports dress them for a briefing, so an
export can never drift from the screen. No Dash callbacks here: the HTTP API and the panels both
import this module, and neither imports the other.
"""

from __future__ import annotations

import dash
import flask
import plotly.graph_objects as go

from components.figures import DEFAULT_ZOOM, drawn_size, map_figure, map_mode, map_spec, timeline_spec
from components.service_access import service, settings
from conflictmap.geo.zones import control_changes, coverage_note
from conflictmap.read.query import EventFilter


def _centre(flt: EventFilter) -> tuple[float, float, float] | None:
    """The link's map position (centre and zoom), or None for the default view."""
    return (
        (flt.lat, flt.lon, flt.zoom or DEFAULT_ZOOM) if flt.lat is not None and flt.lon is not None else None
    )


def map_mode_key(search: str | None) -> str:
    """How the map for this link draws its incidents (circles, or density at a zoom with a count):
    the panel redraws when it changes, though the filter did not (zooming in past the threshold)."""
    flt = EventFilter.from_query(search)
    centre = _centre(flt)
    return map_mode(service().view(flt).groups, flt.layers, centre).key(centre)


def _map_args(search: str | None) -> tuple[tuple, dict]:
    svc = service()
    flt = EventFilter.from_query(search)
    view = svc.view(flt)
    centre = _centre(flt)
    args = (view.groups, view.zones_fc, svc.basemap(), svc.sites(), flt.layers)
    notice = coverage_note(svc.zones(), view.as_of)
    kwargs = {
        "view": centre,
        "tile_url": settings().tile_url,
        "notice": notice,
        "settlements": svc.settlements(),
        "selected": selected_marker(search),
        "glyphs_url": glyphs_url(),
        "area": flt.area,
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
    row = svc.index().rows_of(flt.event)
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


def render_map(search: str | None) -> dict:
    """The map for a URL query string as a plain figure dict, for the callback (exports use ``build_map``)."""
    # The plain dict: same figure as build_map without plotly's validation copy of every array.
    args, kwargs = _map_args(search)
    return map_spec(*args, **{**kwargs, "with_size_key": True})  # the exports draw their own key


def render_timeline(search: str | None) -> dict:
    """The timeline figure dict for a URL query string (what the dashboard sends)."""
    svc = service()
    view = svc.view(EventFilter.from_query(search))
    changes = [(c.day, c.label) for c in control_changes(svc.zones())]
    spec = timeline_spec(view.bins, view.unit, changes, view.start, view.end)
    # A new date range from a control must replace a range the user dragged earlier.
    spec["layout"]["uirevision"] = f"{view.start}:{view.end}"
    return spec


def build_timeline(search: str | None) -> go.Figure:
    """The same timeline as a validated ``go.Figure``, for exports."""
    return go.Figure(render_timeline(search))
