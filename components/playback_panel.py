"""Playback panel: step the map, the zones and the timeline through time, or let it play.

Each step is written into the URL as the view's dates (``start``, ``end``, and ``asof`` = the
step's last day, so the zones follow) plus ``play`` (day, week or month) and ``window`` (days
shown at each step): a stopped playback is a link like any view, and a reload resumes from the
same step. The rule of stepping is ``conflictmap.read.playback``; here are only the buttons, the
clock (a ``dcc.Interval`` that runs while playing) and the keys (space plays or pauses, the left
and right arrows step, when no text box or the map has the focus).

*Playback PDF* prints the next steps, one page each, with the export's own dressing (title,
legend, zones date, counts), so a briefing can show the sequence.
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from typing import Any

import flask
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from components import exports, ids
from components.identity import Refused, check_origin
from components.service_access import service, settings
from conflictmap.export.naming import download_name
from conflictmap.read.playback import next_window, sequence
from conflictmap.read.query import DEFAULT_WINDOW, PLAY_STEPS, EventFilter

log = logging.getLogger(__name__)

PREV = "playback-prev"
TOGGLE = "playback-toggle"
NEXT = "playback-next"
UNIT = "playback-unit"
WINDOW = "playback-window"
TICK = "playback-tick"
STATUS = "playback-status"
EXPORT = "playback-export"
DOWNLOAD = "playback-download"
KEYS = "playback-keys"
TICK_MS = 1800  # long enough for the map to draw a step before the next one
EXPORT_STEPS = 6  # pages of a playback PDF (each is a full map render)


def layout() -> html.Div:
    """The play controls, above the timeline."""
    return html.Div(
        [
            html.Span("Playback", className="filter-label"),
            html.Button("◀ Back", id=PREV, n_clicks=0, className="button", title="One step back (←)"),
            html.Button("▶ Play", id=TOGGLE, n_clicks=0, className="button", title="Play or pause (space)"),
            html.Button("Next ▶", id=NEXT, n_clicks=0, className="button", title="One step forward (→)"),
            html.Label(
                [
                    "step",
                    dcc.Dropdown(
                        id=UNIT,
                        options=list(PLAY_STEPS),
                        value="week",
                        clearable=False,
                        className="playback-unit",
                    ),
                ],
                className="playback-field",
            ),
            html.Label(
                [
                    "showing the last",
                    dcc.Input(id=WINDOW, type="number", min=1, max=3660, step=1, value=DEFAULT_WINDOW),
                    "days",
                ],
                className="playback-field",
            ),
            html.Span(id=STATUS, className="hint playback-status", role="status"),
            html.Button(
                "Playback PDF",
                id=EXPORT,
                n_clicks=0,
                className="button",
                title=f"The next {EXPORT_STEPS} steps, one page each",
            ),
            dcc.Interval(id=TICK, interval=TICK_MS, disabled=True),
            dcc.Download(id=DOWNLOAD),
            dcc.Store(id=KEYS),
        ],
        className="playback-panel filter-buttons",
    )


def _window_value(raw: Any, flt: EventFilter) -> int:
    try:
        n = int(raw)
    except (TypeError, ValueError):
        return flt.window
    return n if 1 <= n <= 3660 else flt.window


def step(
    _prev: int, _next: int, _tick: int, unit: str | None, window: Any, search: str | None
) -> tuple[Any, Any]:
    """One step back or forward (a button, an arrow key or the clock): the URL's new dates.
    Returns (URL search, whether the clock stops)."""
    flt = EventFilter.from_query(search)
    unit = unit if unit in PLAY_STEPS else (flt.play or "week")
    days = _window_value(window, flt)
    span = service().index().span()
    if span is None:
        return no_update, True
    steps = -1 if ctx.triggered_id == PREV else 1
    found = next_window(flt.end, unit, days, steps, span)
    if found is None:
        return no_update, True  # past the data: playback stops where it is
    start, end = found
    query = replace(flt, start=start, end=end, as_of=end, play=unit, window=days).to_query()
    return "?" + query, no_update


def toggle(_n: int, disabled: bool) -> bool:
    """Play or pause: the clock runs while playing (the button's label follows the clock)."""
    return not disabled


def label_for_clock(disabled: bool) -> str:
    """The play button says what a press will do (the clock may stop by itself at the end)."""
    return "▶ Play" if disabled else "⏸ Pause"


def status(search: str | None, _data_version: Any = None) -> tuple[str, Any, Any]:
    """Where playback stands, and the step and window the URL carries into the controls."""
    flt = EventFilter.from_query(search)
    if not flt.play or not flt.end:
        return "Steps through time from the first incident; the dates and zones follow.", no_update, no_update
    start = flt.start.isoformat() if flt.start else "the first incident"
    return (
        f"Step: {start} → {flt.end.isoformat()} (the last {flt.window} days, zones as of {flt.end.isoformat()})",
        flt.play,
        flt.window,
    )


def export_sequence(_n: int, search: str | None) -> tuple[Any, str]:
    """The next steps as one PDF, a page per step, each the dressed map export of that step."""
    from pypdf import PdfReader, PdfWriter

    try:
        check_origin()
    except Refused as exc:
        return no_update, str(exc)
    flt = EventFilter.from_query(search)
    span = service().index().span()
    if span is None:
        return no_update, "No incidents to play back."
    steps = sequence(flt.end, flt.play or "week", flt.window, EXPORT_STEPS, span)
    base = flask.request.host_url.rstrip("/") + settings().url_prefix
    writer = PdfWriter()
    try:
        for start, end in steps:
            page_flt = replace(flt, start=start, end=end, as_of=end, event=None)
            art = exports.image_export("map", "pdf", page_flt.to_query(), base)
            for page in PdfReader(io.BytesIO(art.body)).pages:
                writer.add_page(page)
    except Exception as exc:  # noqa: BLE001 - a failed render is said on the page, as the export row does
        log.warning("playback export failed: %s", exc)
        return no_update, f"Playback PDF failed: {exc}"
    out = io.BytesIO()
    writer.add_metadata({"/Title": f"Playback: {flt.describe()}"})
    writer.write(out)
    name = download_name(flt, "pdf", "map").replace(".pdf", "-playback.pdf")
    return dcc.send_bytes(out.getvalue(), name, type="application/pdf"), f"Saved {name} ({len(steps)} steps)"


KEYS_JS = (
    """
function(id) {
    if (window.__conflictmapPlaybackKeys) { return window.dash_clientside.no_update; }
    window.__conflictmapPlaybackKeys = true;
    document.addEventListener("keydown", function(ev) {
        var t = ev.target;
        if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
        if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName))) { return; }
        if (t && t.closest && t.closest(".js-plotly-plot, .dash-dropdown")) { return; }
        var map = {" ": "__TOGGLE__", "ArrowRight": "__NEXT__", "ArrowLeft": "__PREV__"};
        var target = map[ev.key] && document.getElementById(map[ev.key]);
        if (target) { ev.preventDefault(); target.click(); }
    });
    return window.dash_clientside.no_update;
}
""".replace("__TOGGLE__", TOGGLE)
    .replace("__NEXT__", NEXT)
    .replace("__PREV__", PREV)
)


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``)."""
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(TICK, "disabled", allow_duplicate=True),
        Input(PREV, "n_clicks"),
        Input(NEXT, "n_clicks"),
        Input(TICK, "n_intervals"),
        State(UNIT, "value"),
        State(WINDOW, "value"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )(step)
    app.callback(
        Output(TICK, "disabled"),
        Input(TOGGLE, "n_clicks"),
        State(TICK, "disabled"),
        prevent_initial_call=True,
    )(toggle)
    app.callback(Output(TOGGLE, "children"), Input(TICK, "disabled"), prevent_initial_call=True)(
        label_for_clock
    )
    app.callback(
        Output(STATUS, "children"),
        Output(UNIT, "value"),
        Output(WINDOW, "value"),
        Input(ids.URL, "search"),
    )(status)
    app.callback(
        Output(DOWNLOAD, "data"),
        Output(STATUS, "children", allow_duplicate=True),
        Input(EXPORT, "n_clicks"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )(export_sequence)
    app.clientside_callback(KEYS_JS, Output(KEYS, "data"), Input(TOGGLE, "id"))
