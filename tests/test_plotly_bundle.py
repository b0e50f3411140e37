"""The page's plotly.js bundle: built for the plotly.js Dash serves, with every trace type the
dashboard draws, and a stale one never served."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import dash
import pytest
from dash import html

from components import plotly_bundle
from components.plotly_bundle import assets_ignore, bundle_name, dash_plotly_version, stale_bundles
from conflictmap.config import PROJECT_ROOT, Settings

FRONTEND = PROJECT_ROOT / "frontend"
# The core of plotly.js (lib/core) registers scatter itself; the rest come from the entry.
CORE_TYPES = {"scatter"}


def registered_types() -> set[str]:
    entry = (FRONTEND / "plotly-entry.js").read_text()
    return CORE_TYPES | set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry)) - {"core"}


def test_the_bundle_pins_the_plotly_js_that_the_python_plotly_writes_figures_for():
    wanted = dash_plotly_version()
    assert wanted and re.fullmatch(r"\d+\.\d+\.\d+", wanted), wanted
    package = json.loads((FRONTEND / "package.json").read_text())
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    assert package["dependencies"]["plotly.js"] == wanted, (
        f"frontend/package.json pins plotly.js {package['dependencies']['plotly.js']}, Dash serves {wanted}: "
        "set it there and run `npm install --ignore-scripts` in frontend/"
    )
    assert lock["packages"]["node_modules/plotly.js"]["version"] == wanted, "package-lock.json is stale"
    # esbuild is pinned too: the same bytes from the same lock file
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["devDependencies"]["esbuild"])


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    return create_app(Settings(data_dir=tmp_path_factory.mktemp("bundle")))


def trace_types(fig: dict) -> set[str]:
    return {t.get("type", "scatter") for t in fig["data"]}


def test_every_trace_type_the_page_draws_is_in_the_bundle(app):
    from components.views import render_map, render_timeline

    searches = [
        "",  # the default view: zones, events, sites, labels
        "?layers=zones,events,density,labels,arabic,sites,rivers,borders",  # every layer, density too
        "?layers=zones,density",
        "?area=40.0,35.0,40.6,35.4",
        "?type=Battles&start=2019-01-01&end=2019-12-31&tl=week",
    ]
    drawn: set[str] = set()
    with app.server.test_request_context():
        for search in searches:
            drawn |= trace_types(render_map(search)) | trace_types(render_timeline(search))
    assert {"scattermap", "choroplethmap", "densitymap", "bar"} <= drawn, drawn  # the searches reach them
    missing = drawn - registered_types()
    assert not missing, (
        f"frontend/plotly-entry.js does not register {sorted(missing)}: the page would not draw them"
    )


def write_bundle(assets: Path, version: str) -> Path:
    folder = assets / plotly_bundle.VENDOR
    folder.mkdir(parents=True, exist_ok=True)
    for kind in ("js", "css"):
        (folder / bundle_name(version, kind)).write_text(f"/* plotly.js {version} {kind} */")
    return folder / bundle_name(version)


def page_html(assets: Path) -> str:
    app = dash.Dash(__name__, assets_folder=str(assets), assets_ignore=assets_ignore(assets))
    app.layout = html.Div("map")
    return app.server.test_client().get("/").get_data(as_text=True)


def test_a_bundle_for_another_plotly_js_is_left_out_and_the_log_says_how_to_rebuild(tmp_path, caplog):
    current = dash_plotly_version()
    assert current
    write_bundle(tmp_path, current)
    write_bundle(tmp_path, "0.0.1")
    assert [p.name for p in stale_bundles(tmp_path, current)] == [
        bundle_name("0.0.1", "css"),
        bundle_name("0.0.1"),
    ]
    with caplog.at_level(logging.WARNING, logger="conflictmap.app"):
        html_text = page_html(tmp_path)
    assert bundle_name(current) in html_text and bundle_name(current, "css") in html_text
    assert "0.0.1" not in html_text
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert bundle_name("0.0.1") in warned and "make bundle" in warned and current in warned


def test_without_a_bundle_the_page_serves_only_its_own_assets(tmp_path):
    (tmp_path / "style.css").write_text("body {}")
    assert assets_ignore(tmp_path) == ""
    html_text = page_html(tmp_path)
    assert "style.css" in html_text and "conflictmap.min" not in html_text


def test_a_bundle_built_from_other_frontend_files_is_left_out(tmp_path, caplog):
    """A checkout whose entry or lock file changed after the bundle was built (and whose rebuild
    failed: no network) serves Dash's plotly.js, not a bundle that may lack a trace type."""
    from components.plotly_bundle import inputs_digest

    current = dash_plotly_version()
    assert current
    frontend = tmp_path / "frontend"
    frontend.mkdir()
    for name in plotly_bundle.FRONTEND_INPUTS:
        (frontend / name).write_text((FRONTEND / name).read_text())
    assets = tmp_path / "assets"
    script = write_bundle(assets, current)
    script.write_text(
        f"/*! plotly.js v{current}, partial bundle (conflictmap-inputs {inputs_digest(frontend)}) */"
    )
    assert assets_ignore(assets) == ""
    (frontend / "plotly-entry.js").write_text("// one more trace type\n")
    with caplog.at_level(logging.WARNING, logger="conflictmap.app"):
        html_text = page_html(assets)
    assert "conflictmap.min" not in html_text
    assert "make bundle" in " ".join(r.getMessage() for r in caplog.records)


def test_the_bundle_is_kept_by_the_browser_and_other_assets_are_revalidated(app):
    """Its URL changes with each build (version in the name, file time in ``?m=``), so the page
    may keep it; without this Flask's no-cache and the compressed answer's ETag re-sent 3 MB on
    every page load."""
    client = app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    vendor = re.search(r'src="(/assets/plotly-bundle/plotly-[^"]+\.js\?m=[^"]+)"', page)
    if vendor is None:
        pytest.skip("no plotly.js bundle built in this checkout (make bundle)")
    bundle = client.get(vendor.group(1), headers={"Accept-Encoding": "gzip"})
    assert bundle.status_code == 200
    assert bundle.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    style = client.get("/assets/style.css")
    assert "immutable" not in style.headers.get("Cache-Control", "")
