"""Saved views: name the page's current view, save it, and list the saved views with their feeds.

A saved view is the page's query string (filters, the drawn area, layers; not the selected
incident or the map position: ``conflictmap.notify.watch_query``) under a name. Each has an Atom
feed of its new incidents (``feeds/<slug>.atom``) and, when a webhook is configured, a POST of
them after each ingest. The list links each view (open it) and its feed (subscribe to it).

**Who may save**: saving and deleting need the reviewer role (``components.identity``), as other
writes do; everyone may open the views and read their feeds. A saved view is shared by the team:
saving under an existing name replaces that view (and what its feed and webhook say) for
everybody who follows it, and each view adds posts to the intranet's webhook. That is a write to
the team's shared state, not a personal bookmark (a copied link is that). With no identity
configured, the analyst at the app's own machine is a reviewer, so a single user saves freely.
Every write also checks that it came from the app's own page (``check_origin``).

Names are typed by people and shown to others: they are rendered as text, never markup.
"""

from __future__ import annotations

import logging

from dash import Dash, Input, Output, State, ctx, dcc, html

from components import ids
from components.identity import Refused, check_origin, current_identity
from components.service_access import service, settings
from conflictmap import notify
from conflictmap.storage import watches

log = logging.getLogger(__name__)

# Ids of this panel (kept here: components/ids.py belongs to the filter bar's owner).
NAME = "views-name"
SAVE = "views-save"
STATUS = "views-status"
LIST = "views-list"
SUMMARY = "views-summary"
# Deletes the view whose name is in the box. Not one button per listed view: the app's callback
# guard (components/security.py) accepts no pattern-matching (ALL) inputs.
DELETE = "views-delete"


def layout() -> html.Div:
    """Name box, save button, a status line, and the saved views folded under a summary."""
    return html.Div(
        [
            html.Label("Save this view as", htmlFor=NAME, className="filter-label"),
            dcc.Input(
                id=NAME,
                type="text",
                maxLength=watches.MAX_NAME,
                placeholder="a name, e.g. Around Hajin",
                debounce=False,
                style={"width": "180px"},
            ),
            html.Button("Save this view", id=SAVE, n_clicks=0, className="button"),
            html.Button(
                "Delete",
                id=DELETE,
                n_clicks=0,
                className="button views-delete",
                title="Delete the saved view of the name in the box (its feed stops)",
            ),
            html.Span(id=STATUS, className="hint views-status", role="status"),
            html.Details(
                [
                    html.Summary("Saved views", id=SUMMARY),
                    html.Ul(
                        id=LIST, className="saved-views", style={"margin": "4px 0", "paddingLeft": "18px"}
                    ),
                ],
                className="saved-views-fold",
            ),
        ],
        # export-panel: laid out like the export row, and hidden with it in embed mode.
        className="export-panel views-panel filter-buttons",
        style={"padding": "4px 14px", "flexWrap": "wrap"},
    )


def _home() -> str:
    """The dashboard's path under this app's prefix (``dash.get_app()`` would answer with the
    last app built in the process, not the one serving the request)."""
    return settings().url_prefix


def view_items(views: list[watches.SavedView], home: str) -> list[html.Li]:
    """One line per view: its name linking to it, its feed, who saved it and when. Every
    user-typed value is a text child or an attribute, never markup."""
    if not views:
        return [html.Li("No saved views yet: set the filters (or draw an area), name the view, save it.")]
    items = []
    for v in views:
        feed = home + notify.feed_path(v.slug)
        items.append(
            html.Li(
                [
                    html.A(v.name, href=notify.view_link(home, v.query), className="saved-view-link"),
                    " · ",
                    html.A(
                        "feed",
                        href=feed,
                        title=f"Atom feed of the new incidents of {v.name}",
                        className="saved-view-feed",
                    ),
                    html.Span(
                        f" saved by {v.saved_by}, {v.saved_at[:16].replace('T', ' ')} UTC",
                        className="hint",
                    ),
                ],
                className="saved-view",
            )
        )
    return items


def _list(views: list[watches.SavedView] | None = None) -> tuple[list[html.Li], str]:
    views = watches.list_views(service().store) if views is None else views
    return view_items(views, _home()), f"Saved views ({len(views)})"


def _may_write(what: str) -> str | None:
    """None when this request may save or delete views; else the message for the page."""
    try:
        check_origin()
    except Refused as exc:
        return str(exc)
    identity = current_identity()
    if identity.can_review:
        return None
    log.warning(
        "refused to %s a saved view for %s from %s", what, identity.name or "anonymous", identity.address
    )
    return (
        f"{identity.name or 'An anonymous visitor'} may not {what} views: {identity.why}. "
        f"Saved views are shared by the team; changing them needs {identity.needs}."
    )


def save(name: str | None, search: str | None) -> str:
    """Save the page's view under ``name``; the message for the status line."""
    if refused := _may_write("save"):
        return refused
    who = current_identity().name or "anonymous"
    store = service().store
    try:
        before = watches.get_view(store, watches.slugify(watches.clean_name(name)))
        view = notify.save_from_page(store, name or "", search, who)
    except watches.ViewError as exc:
        return f"Not saved: {exc}"
    feed = notify.feed_path(view.slug)
    if before is not None:
        return f"Replaced the saved view {view.name!r} (was saved by {before.saved_by}). Its feed: {feed}"
    return f"Saved {view.name!r}. Its feed: {feed}"


def delete(name: str | None) -> str:
    """Delete the view saved under ``name``; the message for the status line."""
    if refused := _may_write("delete"):
        return refused
    try:
        slug = watches.slugify(watches.clean_name(name))
    except watches.ViewError:
        return "Type the name of the saved view to delete in the box."
    view = watches.get_view(service().store, slug)
    if view is None or not watches.delete_view(service().store, slug):
        return f"No saved view is named {name!r}."
    return f"Deleted the saved view {view.name!r}; its feed no longer answers."


def update(_save, _submit, _delete, _path, search, name):
    """The panel's one callback: save, delete, or (on load) list the views."""
    trigger = ctx.triggered_id
    if trigger == DELETE:
        message = delete(name)
    elif trigger in (SAVE, NAME):
        message = save(name, search)
    else:
        message = ""
    items, summary = _list()
    return message, items, summary


def register(app: Dash) -> None:
    """Give ``app`` this panel's callback (Dash's public ``app.callback``)."""
    app.callback(
        Output(STATUS, "children"),
        Output(LIST, "children"),
        Output(SUMMARY, "children"),
        Input(SAVE, "n_clicks"),
        Input(NAME, "n_submit"),
        Input(DELETE, "n_clicks"),
        Input(ids.URL, "pathname"),
        State(ids.URL, "search"),
        State(NAME, "value"),
    )(update)
