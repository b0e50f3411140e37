"""The map panel: zones of the as-of date, basemap, key sites and event markers."""

from __future__ import annotations

import hashlib
import json
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
            dcc.Store(id=ids.MAP_KEEPER),  # output of the view keeper below, never read
            # The key of the fixed map layers (basemap, contested outlines) the page holds: a
            # redraw of the same layers is sent without them (see ``update_map``).
            dcc.Store(id=ids.MAP_LAYERS_HELD),
            dcc.Store(id=ids.MAP_FIRST_DRAWN),  # FIRST_DRAWN_JS below; the timeline waits for it
            dcc.Loading(
                [
                    # The figure as the server drew it; SHOW_JS hands it to the graph.
                    dcc.Store(id=ids.MAP_FIGURE),
                    dcc.Graph(
                        id=ids.MAP, config=GRAPH_CONFIG, style={"height": "100%"}, className="map-graph"
                    ),
                ],
                id=ids.MAP_LOADING,  # style.css lets the wheel and drags pass through its cover
                type="circle",
                delay_show=400,
                # The map stays visible and usable under the spinner: the analyst zooming through
                # density redraws must not see it vanish at each step, nor lose the wheel.
                overlay_style={"visibility": "visible", "opacity": 0.7},
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


def layers_key(fig: dict) -> str:
    """A digest of the figure's fixed map layers (countries, governorates, rivers, lakes and the
    contested zones' outlines): what the page must hold to draw them again."""
    layers = fig.get("layout", {}).get("map", {}).get("layers") or []
    return hashlib.sha256(json.dumps(layers, sort_keys=True, default=str).encode()).hexdigest()[:16]


def without_held_layers(fig: dict, held: str | None) -> dict:
    """The figure to send: whole, marked with its layers' key, or without the layers when the
    page already holds the same ones (``SHOW_JS`` puts them back from its copy).

    Why: the basemap is 145 KB of the 150 KB a map update weighs with no events in view, and
    it is the same for every filter; only an as-of date that changes the contested outlines
    changes it."""
    key = layers_key(fig)
    if held != key:
        return {**fig, "layersKey": key}
    layout = {**fig["layout"], "map": {k: v for k, v in fig["layout"]["map"].items() if k != "layers"}}
    return {**fig, "layout": layout, "layersFrom": key}


def update_map(search, drawn, _data_version=None, held=None):
    """A new filter redraws the map (without the fixed layers the page holds); a new selection
    only moves the halo (a two-array patch)."""
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
    fig = without_held_layers(render_map(search), held)
    return fig, {"key": key, "halo": selection_index(fig), "selected": wanted}


def redraw_if_changed(render, search: str | None, drawn: str | None) -> tuple:
    """(figure, key) for a new filter; no update when only the view or the selection moved."""
    key = drawn_key(search)
    if drawn is not None and key == drawn:
        return no_update, no_update
    return render(search), key


# A redraw never moves the map once it is drawn: the server draws each figure at the URL's view,
# and the URL follows the map, but a redraw the map caused (density is redrawn at each zoom step)
# can arrive after the map has moved on, and plotly.react would throw the analyst back to the
# older view (uirevision does not help: plotly keeps a view the analyst set only while the
# figure's own view stays unchanged). So the server's figure passes through this step, which
# puts the map's live view in it; only the first draw (a link opened) places the map.
#
# It also keeps the fixed map layers: a figure marked ``layersKey`` is kept (per page) with its
# key, which goes to MAP_LAYERS_HELD so the server sends the next figures of the same layers
# without them (``layersFrom``), and they are put back here. Both marks are removed before
# plotly sees the figure. A figure that asks for layers this page does not hold (it cannot
# happen: the key is set only here, with the copy) is shown without them, never refused.
SHOW_JS = """
function (fig, graphId) {
    var none = window.dash_clientside.no_update;
    if (!fig) { return [none, none]; }
    var held = none;
    fig = Object.assign({}, fig);
    var cache = window.__conflictmapLayers;
    if (fig.layersKey && fig.layout && fig.layout.map) {
        window.__conflictmapLayers = {key: fig.layersKey, layers: fig.layout.map.layers || []};
        if (!cache || cache.key !== fig.layersKey) { held = fig.layersKey; }
    } else if (fig.layersFrom && fig.layout && fig.layout.map && cache && cache.key === fig.layersFrom) {
        var withLayers = Object.assign({}, fig.layout.map, {layers: cache.layers});
        fig.layout = Object.assign({}, fig.layout, {map: withLayers});
    }
    delete fig.layersKey;
    delete fig.layersFrom;
    var root = document.getElementById(graphId);
    var gd = root && root.querySelector(".js-plotly-plot");
    var sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    var map = sub && sub.map;
    if (!map || !fig.layout || !fig.layout.map) { return [fig, held]; }
    var c = map.getCenter();
    var view = Object.assign({}, fig.layout.map, {center: {lon: c.lng, lat: c.lat}, zoom: map.getZoom()});
    return [Object.assign({}, fig, {layout: Object.assign({}, fig.layout, {map: view})}), held];
}
"""

# Plotly reports a wheel zoom (plotly_relayout, hence relayoutData and the URL) only if no other
# move ended while the wheel animation ran: a redraw arriving mid-zoom (density is redrawn at
# each zoom step) ends a move of its own, which clears plotly's "wheeling" flag, so the zoom the
# wheel then settles at is never reported. The URL kept the older zoom and the next redraw threw
# the analyst back to it. This keeper remembers the last view plotly reported and, whenever a move
# the analyst began (wheel, drag, touch) has settled, reports the map's live view if it differs,
# through plotly's public relayout (which emits plotly_relayout like the analyst's own move).
# Plotly's own layout is no baseline: SHOW_JS writes the live view into each redraw, which would
# hide a move nobody reported. Redraws emit no plotly_relayout, and a report equal to the live
# view is never repeated, so the keeper cannot loop.
VIEW_KEEPER_JS = """
function (_figure, graphId) {
    var root = document.getElementById(graphId);
    var gd = root && root.querySelector(".js-plotly-plot");
    if (!gd || gd.__viewKeeper || !window.Plotly) { return window.dash_clientside.no_update; }
    gd.__viewKeeper = true;
    var reported = null;  // the view plotly last told Dash about
    gd.on("plotly_relayout", function (e) {
        var c = e && e["map.center"];
        if (c && e["map.zoom"] !== undefined) { reported = {lon: c.lon, lat: c.lat, zoom: e["map.zoom"]}; }
    });
    function attach() {
        var opts = gd._fullLayout && gd._fullLayout.map;
        var map = opts && opts._subplot && opts._subplot.map;
        if (!map || map.__viewKeeper) { return; }
        map.__viewKeeper = true;
        if (!reported && opts.center) {  // the view the page opened at, as its link says
            reported = {lon: opts.center.lon, lat: opts.center.lat, zoom: opts.zoom};
        }
        var touched = false;  // the analyst moved the map since the view was last reported
        ["wheel", "mousedown", "touchstart", "dragstart"].forEach(function (name) {
            map.on(name, function () { touched = true; });
        });
        function keep() {
            if (!touched || !reported || map.isMoving()) { return; }
            var c = map.getCenter(), z = map.getZoom();
            if (Math.abs(c.lng - reported.lon) < 1e-5 && Math.abs(c.lat - reported.lat) < 1e-5
                && Math.abs(z - reported.zoom) < 1e-3) { return; }
            touched = false;
            window.Plotly.relayout(gd, {"map.center": {lon: c.lng, lat: c.lat}, "map.zoom": z});
        }
        // Looked at when a move ends and, in case a redraw's own move ended it early, when the
        // map is next idle; an equal view leaves the flag set for the move still settling.
        map.on("moveend", keep);
        map.on("idle", keep);
    }
    gd.on("plotly_afterplot", attach);
    attach();
    return window.dash_clientside.no_update;
}
"""


# The first map goes before the timeline: the page's main thread is the bottleneck on a small
# machine, and the timeline's callback answering and plotly drawing it while the map was being
# built put the first map 0.3 s later (bundled data, two cores: every layer drawn at 3.0-3.3 s
# with the timeline alongside, 2.7-2.9 s with it after). This resolves once the page's first map
# is drawn (MapLibre loaded), and the timeline's callback starts then. It gives up waiting
# FIRST_DRAWN_WAIT_MS after the page started, so a map that cannot draw never keeps the
# timeline away.
FIRST_DRAWN_WAIT_MS = 4000
FIRST_DRAWN_JS = """
function (graphId, already) {
    if (already) { return window.dash_clientside.no_update; }
    return new Promise(function (resolve) {
        var done = false;
        function finish() { if (!done) { done = true; resolve(true); } }
        // The time limit does not depend on the polling below: an exception there (plotly or
        // MapLibre internals changing) must not leave the store unset, which would keep the
        // timeline's callback answering no_update for good.
        setTimeout(finish, WAIT_MS);
        function check() {
            if (done) { return; }
            try {
                var root = document.getElementById(graphId);
                var gd = root && root.querySelector(".js-plotly-plot");
                var sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
                if (sub && sub.map && sub.map.loaded()) { finish(); return; }
            } catch (e) {
                finish();
                return;
            }
            setTimeout(check, 50);
        }
        check();
    });
}
""".replace("WAIT_MS", str(FIRST_DRAWN_WAIT_MS))


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``): every app built by
    ``create_app`` gets its own, so several apps can live in one process (tests build many)."""
    app.callback(
        Output(ids.MAP_FIGURE, "data"),
        Output(ids.MAP_DRAWN, "data"),
        Input(ids.URL, "search"),
        State(ids.MAP_DRAWN, "data"),
        Input(ids.DATA_VERSION, "data"),
        State(ids.MAP_LAYERS_HELD, "data"),
    )(update_map)
    app.clientside_callback(
        SHOW_JS,
        Output(ids.MAP, "figure"),
        Output(ids.MAP_LAYERS_HELD, "data"),
        Input(ids.MAP_FIGURE, "data"),
        State(ids.MAP, "id"),
    )
    app.clientside_callback(
        VIEW_KEEPER_JS, Output(ids.MAP_KEEPER, "data"), Input(ids.MAP, "figure"), State(ids.MAP, "id")
    )
    app.clientside_callback(
        FIRST_DRAWN_JS,
        Output(ids.MAP_FIRST_DRAWN, "data"),
        # The graph's id: an input no callback writes, so this starts with the page. An input
        # the map's callbacks write (its figure) would start only once they answered, and a map
        # that never came would keep the timeline away for good.
        Input(ids.MAP, "id"),
        State(ids.MAP_FIRST_DRAWN, "data"),
    )
