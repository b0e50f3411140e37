"""conflictmap dashboard: ``create_app(settings)`` wires panels to data; ``python app.py`` serves it."""

from __future__ import annotations

import argparse
import logging
import sys

import dash
from dash import Input, Output, State, dcc, html

from conflictmap.config import ASSETS_DIR, Settings

log = logging.getLogger("conflictmap.app")
PAGE_ROOT = "page-root"


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the Dash app for ``settings``; prepares the store (idempotent) before serving."""
    from components import (
        detail_panel,
        export_panel,
        filters,
        ids,
        map_panel,
        playback_panel,
        plotly_bundle,
        review_panel,
        security,
        status_panel,
        table_panel,
        timeline_panel,
        upload_panel,
        views_panel,
    )
    from components.service_access import attach
    from conflictmap.pipeline import prepare
    from conflictmap.read.service import get_service

    settings = settings or Settings.from_env()
    try:
        problems = prepare(settings)
    except Exception as exc:  # noqa: BLE001 - serve what we can and say what broke
        log.exception("preparing the data failed")
        problems = [f"Preparing the data failed: {exc}"]
    for p in problems:
        log.warning("%s", p)
    get_service(settings).problems.extend(problems)

    app = dash.Dash(
        __name__,
        assets_folder=str(ASSETS_DIR),  # the checkout's assets/, or the installed package's copy
        # A plotly.js bundle built for another plotly.js than Dash's is never served (the log says).
        assets_ignore=plotly_bundle.assets_ignore(ASSETS_DIR),
        title="conflictmap: Deir ez-Zor",
        url_base_pathname=settings.url_prefix,
        serve_locally=True,
        update_title=None,  # type: ignore[arg-type]  # Dash documents None (no "Updating..."); its stub says str
        suppress_callback_exceptions=False,
    )
    attach(app.server, settings)
    for panel in (
        detail_panel,
        export_panel,
        filters,
        map_panel,
        playback_panel,
        review_panel,
        status_panel,
        table_panel,
        timeline_panel,
        upload_panel,
        views_panel,
    ):
        panel.register(app)  # each panel's callbacks, through Dash's public app.callback

    def serve_layout() -> html.Div:
        return html.Div(
            [
                dcc.Location(id="url", refresh="callback-nav"),
                dcc.Store(id=ids.DATA_VERSION),
                html.Header(
                    [
                        html.H1("conflictmap · Deir ez-Zor"),
                        html.Span(
                            "Events read from news reports, control zones by date. Offline.",
                            className="tagline",
                        ),
                    ],
                    className="page-header",
                ),
                filters.layout(),
                html.Div(
                    [status_panel.layout(), export_panel.layout(), views_panel.layout()], className="toolbar"
                ),
                html.Main(
                    [
                        html.Div(
                            [
                                map_panel.layout(),
                                playback_panel.layout(),
                                timeline_panel.layout(),
                                table_panel.layout(),
                            ],
                            className="main-column",
                        ),
                        html.Aside(
                            [review_panel.layout(), upload_panel.layout(), detail_panel.layout()],
                            className="side-column",
                        ),
                    ],
                    className="main",
                ),
                html.Footer(
                    "Data: Natural Earth (public domain), GeoNames (CC BY 4.0), GSHHG rivers (LGPL-3.0), "
                    "curated gazetteer (see data/README.md). Geometry is for briefing, not surveying.",
                    className="page-footer",
                ),
            ],
            id=PAGE_ROOT,
            className="page",
        )

    with app.server.app_context():  # Dash calls the layout once here to check it: reads this app's data
        app.layout = serve_layout

    @app.callback(Output(PAGE_ROOT, "className"), Input("url", "pathname"), State("url", "search"))
    def embed_mode(_pathname, search):
        """``?embed=1``: map, timeline and the filter bar's first row, no page chrome (CSS ``.embed``).

        Decided once, when the page opens: a layout function cannot see the query string. The
        filter bar keeps ``embed=1`` in the URL, so a reload or a copied link stays embedded.
        """
        return "page embed" if "embed=1" in (search or "") else "page"

    from webapi import routes

    routes.register(app)
    security.install(app, settings)
    return app


def main(argv: list[str] | None = None) -> int:
    """Serve the dashboard on Flask's development server (gunicorn ``wsgi:server`` in production).

    Returns 2 with the variable named when a setting cannot be read."""
    ap = argparse.ArgumentParser(description="Serve the conflictmap dashboard")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8050)
    ap.add_argument("--debug", action="store_true", help="Dash dev tools and reloader (development only)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a setting that cannot be read (it names the variable)
        print(f"conflictmap: cannot start: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings)
    log.info("serving on http://%s:%d%s", args.host, args.port, app.config.url_base_pathname)
    from components.security import DevRequestHandler  # Server header without versions

    app.run(
        host=args.host,
        port=args.port,
        debug=args.debug,
        dev_tools_hot_reload=False,
        request_handler=DevRequestHandler,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
