"""Counts for the current filter, and any data problems the analyst should know about."""

from __future__ import annotations

from dash import Input, Output, callback, html

from components import ids
from components.service_access import service
from conflictmap.query import EventFilter


def layout() -> html.Div:
    return html.Div(
        [html.Div(id=ids.COUNTS, className="counts"), html.Div(id=ids.PROBLEMS, className="problems")],
        className="status-panel",
    )


@callback(Output(ids.COUNTS, "children"), Output(ids.PROBLEMS, "children"), Input(ids.URL, "search"))
def update_status(search):
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
    problems = list(svc.problems)
    if flt.extra.get("problems"):
        problems.append("Link parameters ignored: " + flt.extra["problems"])
    return counts, [html.Div(p, className="problem") for p in problems]
