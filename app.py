"""conflictmap dashboard: ``create_app(settings)`` wires panels to data; ``python app.py`` serves it."""

from __future__ import annotations

import argparse
import logging
import sys

import dash
from dash import Input, Output, State, dcc, html

from conflictmap.config import Settings

log = logging.getLogger("conflictmap.app")
PAGE_ROOT = "page-root"


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the Dash app for ``settings``; prepares the store (idempotent) before serving."""
    from components import (
        detail_panel,
        export_panel,
        filters,
        map_panel,
        routes,
        security,
        status_panel,
        timeline_panel,
    )
    from components.service_access import service, use_settings
    from conflictmap.pipeline import prepare

    settings = settings or Settings.from_env()
    use_settings(settings)
    try:
        problems = prepare(settings)
    except Exception as exc:  # noqa: BLE001 - serve what we can and say what broke
        log.exception("preparing the data failed")
        problems = [f"Preparing the data failed: {exc}"]
    for p in problems:
        log.warning("%s", p)
    service().problems.extend(problems)

    app = dash.Dash(
        __name__,
        title="conflictmap: Deir ez-Zor",
        url_base_pathname=settings.url_prefix,
        serve_locally=True,
        update_title=None,
        suppress_callback_exceptions=False,
    )

    def page(embed: bool) -> list:
        """The screen; in embed mode (``?embed=1``) only map, timeline and a compact filter bar."""
        main = html.Main(
            [
                html.Div([map_panel.layout(), timeline_panel.layout()], className="main-column"),
                # Hidden, not removed, in embed mode: its callbacks still need their outputs.
                html.Aside(detail_panel.layout(), className="side-column"),
            ],
            className="main",
        )
        if embed:
            hidden = {"display": "none"}
            return [
                filters.layout(compact=True),
                status_panel.layout(),
                html.Div(export_panel.layout(), style=hidden),
                main,
            ]
        return [
            html.Header(
                [
                    html.H1("conflictmap · Deir ez-Zor"),
                    html.Span(
                        "Events read from news reports, control zones by date. Offline.", className="tagline"
                    ),
                ],
                className="page-header",
            ),
            filters.layout(),
            status_panel.layout(),
            export_panel.layout(),
            main,
            html.Footer(
                "Data: Natural Earth (public domain), GeoNames (CC BY 4.0), GSHHG rivers (LGPL-3.0), "
                "curated gazetteer (see data/README.md). Geometry is for briefing, not surveying.",
                className="page-footer",
            ),
        ]

    def serve_layout() -> html.Div:
        # The page body is drawn once the browser's URL is known (a layout function cannot see
        # the query string), so ``?embed=1`` can choose the compact page.
        return html.Div(
            [dcc.Location(id="url", refresh="callback-nav"), html.Div(id=PAGE_ROOT, className="page")],
        )

    app.layout = serve_layout
    app.validation_layout = html.Div([dcc.Location(id="url"), html.Div(page(False), id=PAGE_ROOT)])

    @app.callback(
        Output(PAGE_ROOT, "children"),
        Output(PAGE_ROOT, "className"),
        Input("url", "pathname"),
        State("url", "search"),
    )
    def draw_page(_pathname, search):
        embed = "embed=1" in (search or "")
        return page(embed), "page embed" if embed else "page"

    routes.register(app)
    security.install(app, settings)
    return app


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Serve the conflictmap dashboard")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8050)
    ap.add_argument("--debug", action="store_true", help="Dash dev tools and reloader (development only)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    log.info("serving on http://%s:%d%s", args.host, args.port, app.config.url_base_pathname)
    app.run(host=args.host, port=args.port, debug=args.debug, dev_tools_hot_reload=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
