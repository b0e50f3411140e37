"""Counts for the current filter, data problems, and what the page could not understand in its link.

The link notice exists because a link is obeyed in part: a mistyped ``type=battles`` is
dropped and every type is shown, ``start=garbage`` is dropped, a reversed range is ignored.
Without a word the analyst would read the map as the view the link promised. Messages quote
values from the link, which anyone can write, so they go into the page as text children
(React escapes them), never as markup.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from components import ids
from components.service_access import service
from conflictmap.read.query import EventFilter, did_you_mean, shown

ZONE_EXTRAS = ("none", "unknown")  # the filter bar's zone choices besides the controllers


def layout() -> html.Div:
    """The status panel: counts of the view, the link notice and the data problems."""
    return html.Div(
        [
            html.Div(id=ids.COUNTS, className="counts"),
            html.Div(id=ids.LINK_NOTICE, className="problems link-notice", role="status"),
            html.Div(id=ids.PROBLEMS, className="problems"),
            dcc.Store(id=ids.LINK_OPENED),
        ],
        className="status-panel",
    )


def update_status(search, _data_version=None):
    """Callback: the counts and date span of the URL's view, and the service's problems (missing layers)."""
    svc = service()
    flt = EventFilter.from_query(search)
    view = svc.view(flt)
    c = view.counts
    counts = [
        html.Span(f"{c['incidents']:,}", className="count", id="count-incidents"),
        html.Span(" incidents", className="count-label"),
        html.Span(f"{c['reports']:,}", className="count"),
        html.Span(" reports", className="count-label"),
        html.Span(f"{c['fatalities']:,}", className="count", id="count-fatalities"),
        html.Span(" fatalities", className="count-label"),
        html.Span(f"{view.start} → {view.end}; zones as of {view.as_of}", className="count-range"),
    ]
    return counts, [html.Div(p, className="problem") for p in svc.problems]


# Filter fields whose values come from the data; the filter bar offers only known values.
NAMED = (("actor", "actors"), ("zone", "zones"), ("outlet", "outlets"))


def _known(field: str) -> list[str]:
    svc = service()
    if field == "zones":
        return sorted({z.controller for z in svc.zones()}) + list(ZONE_EXTRAS)
    return svc.index().choices(field)


def unmatched(flt: EventFilter) -> list[tuple[str, str, str]]:
    """(field, value, message) for each actor, zone or outlet of ``flt`` that nothing in the data has.

    Not a reading error: the API obeys it and answers no row. On the page it is the usual
    cause of a surprising view after a typo, so the notice names it with the nearest real name.
    """
    out = []
    for param, field in NAMED:
        values = getattr(flt, field)
        if not values:
            continue
        choices = _known(field)
        for v in values:
            if v not in choices:
                out.append(
                    (field, v, f"{param}={shown(v)} matches nothing in the data{did_you_mean(v, choices)}")
                )
    return out


def notice_messages(search: str | None, opened: str | None) -> list[str]:
    """What to list for the page's URL ``search``, given the link the page was opened with.

    The filter bar rewrites the URL from its controls soon after the page opens (a clamped
    ``minfat``, a dropped range, an actor its list does not offer), and the rewritten URL
    reads cleanly. So while the filter is still what the opened link turned into, the opened
    link's problems stay listed; once the analyst changes the filter, they no longer apply.
    """
    current = EventFilter.from_query(search)
    first = EventFilter.from_query(opened) if opened is not None else current
    missing = unmatched(first)
    # Values the filter bar dropped because its list does not offer them: ignored, say so.
    lost = {(f, v) for f, v, _ in missing if v not in getattr(current, f)}
    kept_values: dict[str, Any] = {
        f: tuple(v for v in getattr(first, f) if (f, v) not in lost) for _, f in NAMED
    }
    kept = replace(first, **kept_values)
    if not (first.problems or missing) or kept.without_view() != current.without_view():
        first, missing, lost = current, unmatched(current), set()
    named = [m + ("; ignored" if (f, v) in lost else "; no incident matches it") for f, v, m in missing]
    return [*first.problems, *named]


def remember_link(_pathname, search):
    """The link the page was opened with: called once, on load (the pathname never changes).

    Not recorded by ``link_notice`` itself: its first call can be overtaken by the filter
    bar's rewrite, and Dash drops an overtaken answer.
    """
    return search or ""


def link_notice(search, opened):
    """What the link asked for that the page ignored or could not match, as a foldable list."""
    messages = notice_messages(search, opened)
    if not messages:
        return []
    n = len(messages)
    summary = (
        f"This link was not fully understood ({n} item{'s' if n != 1 else ''}); "
        "the map and counts show what could be read:"
    )
    return html.Details(
        [
            html.Summary(summary),
            html.Ul([html.Li(m) for m in messages], style={"margin": "2px 0", "paddingLeft": "20px"}),
        ],
        open=True,
        className="problem",
    )


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``): every app built by
    ``create_app`` gets its own, so several apps can live in one process (tests build many)."""
    app.callback(
        Output(ids.COUNTS, "children"),
        Output(ids.PROBLEMS, "children"),
        Input(ids.URL, "search"),
        Input(ids.DATA_VERSION, "data"),
    )(update_status)
    app.callback(Output(ids.LINK_OPENED, "data"), Input(ids.URL, "pathname"), State(ids.URL, "search"))(
        remember_link
    )
    app.callback(
        Output(ids.LINK_NOTICE, "children"), Input(ids.URL, "search"), Input(ids.LINK_OPENED, "data")
    )(link_notice)
