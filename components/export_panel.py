"""Export buttons: PNG, SVG, PDF of the map, a one-page briefing PDF, CSV and GeoJSON of the view.

The buttons feed one callback that calls the same functions as the ``/export`` and ``/api``
routes (``components.exports``) with the page's query string (plus ``title=`` from the title box), and hands the bytes
to a ``dcc.Download`` under a name that says what the view holds
(``deir-ez-zor-battle-protest-2023-08-01-to-2023-10-31.png``, see ``conflictmap.export.naming``).
While it runs the buttons are disabled and a line says what is being made; the renderer's own
timeout bounds the wait, and a failure (no Chromium, timeout) comes back as a message, so a
slow export never freezes the page. The title is not written into the page's URL: the filter
bar owns the URL, and the title belongs to the export, not the view.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from urllib.parse import urlencode

import dash
import flask
from dash import Dash, Input, Output, State, ctx, dcc, html

from components import exports, ids
from components.service_access import settings
from conflictmap.export import snapshot, tables
from conflictmap.export.naming import download_name
from conflictmap.read.query import EventFilter

log = logging.getLogger(__name__)

# Ids of this panel (kept here: components/ids.py belongs to the filter bar's owner).
TITLE = "export-title"
STATUS = "export-status"
PROGRESS = "export-progress"
DOWNLOAD = "export-download"
BUTTONS: dict[str, tuple[str, str]] = {
    # id: (label, what is made)
    "export-png": ("PNG", "map.png"),
    "export-svg": ("SVG", "map.svg"),
    "export-pdf": ("PDF", "map.pdf"),
    "export-briefing": ("Briefing PDF", "briefing.pdf"),
    "export-csv": ("CSV", "events.csv"),
    "export-geojson": ("GeoJSON", "events.geojson"),
    "export-gpkg": ("GeoPackage", "events.gpkg"),  # for QGIS
    "export-kml": ("KML", "events.kml"),  # for Google Earth briefs
}


def layout() -> html.Div:
    """The export bar: title box, one button per format, progress and status lines, and the download."""
    buttons = [
        html.Button(label, id=bid, n_clicks=0, className="button export-button", title=f"Download {made}")
        for bid, (label, made) in BUTTONS.items()
    ]
    return html.Div(
        [
            html.Label("Export title", htmlFor=TITLE, className="filter-label"),
            dcc.Input(
                id=TITLE,
                type="text",
                maxLength=160,
                placeholder="All events",
                className="export-title",
                style={"minWidth": "260px"},
            ),
            html.Span("Export:", className="filter-label"),
            *buttons,
            html.Span(id=PROGRESS, className="export-progress hint"),
            html.Span(id=STATUS, className="export-status hint", role="status"),
            dcc.Download(id=DOWNLOAD),
        ],
        className="export-panel filter-buttons",
        style={
            "padding": "4px 14px",
            "flexWrap": "wrap",
            "background": "#fff",
            "borderBottom": "1px solid #ddd",
        },
    )


def export_query(search: str | None, title: str | None) -> str:
    """The page's view plus the export title, as one query string."""
    query = exports.view_query(search or "")
    title = (title or "").strip()[:160]
    if title:
        query = (query + "&" if query else "") + urlencode({"title": title})
    return query


def make(kind: str, query: str, base_url: str) -> exports.Artifact:
    """The file a button makes, named after the view it holds (``deir-ez-zor-battles-2024.csv``)."""
    what, fmt = BUTTONS[kind][1].split(".")
    if what == "events":
        art = exports.data_export(fmt, query)
    else:
        art = exports.image_export(what, fmt, query, base_url)
    return replace(art, filename=download_name(EventFilter.from_query(query), fmt, what))


def title_placeholder(search):
    """The default title is what the filters say; typing replaces it for the exports."""
    return EventFilter.from_query(search).describe()


def run_export(*args):
    """Callback for every export button: make the file for the page's view and hand it to the download.

    The expected failures (no Chromium, a timeout, a bad parameter) come back as the status message,
    so a failed export leaves the page usable."""
    search, title = args[-2], args[-1]
    kind = ctx.triggered_id
    if kind not in BUTTONS:
        return dash.no_update, dash.no_update
    query = export_query(search, title)
    try:
        base = flask.request.host_url.rstrip("/") + settings().url_prefix
    except RuntimeError:
        base = "/"
    t0 = time.perf_counter()
    try:
        art = make(kind, query, base)
    except snapshot.ChromiumMissing as exc:
        return dash.no_update, f"Image export is off on this server: {exc}"
    except snapshot.SnapshotTimeout as exc:
        return dash.no_update, f"Export stopped: {exc}. Try a narrower filter."
    except (snapshot.SnapshotError, exports.BadRequest, tables.ExportError) as exc:
        return dash.no_update, f"Export failed: {exc}"
    took = time.perf_counter() - t0
    note = art.headers.get("X-Total-Count")
    extra = ""
    if note and int(note) > tables.DEFAULT_LIMIT:
        extra = f" (first {tables.DEFAULT_LIMIT:,} of {int(note):,}; use the API's offset= for the rest)"
    message = f"Saved {art.filename} ({len(art.body) / 1024:,.0f} KB, {took:.1f} s){extra}"
    return dcc.send_bytes(art.body, art.filename, type=art.mimetype), message


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``): every app built by
    ``create_app`` gets its own, so several apps can live in one process (tests build many)."""
    app.callback(Output(TITLE, "placeholder"), Input(ids.URL, "search"))(title_placeholder)
    app.callback(
        Output(DOWNLOAD, "data"),
        Output(STATUS, "children"),
        *[Input(bid, "n_clicks") for bid in BUTTONS],
        State(ids.URL, "search"),
        State(TITLE, "value"),
        prevent_initial_call=True,
        running=[
            *[(Output(bid, "disabled"), True, False) for bid in BUTTONS],
            (Output(PROGRESS, "children"), "Preparing the export… (images take a few seconds)", ""),
        ],
    )(run_export)
