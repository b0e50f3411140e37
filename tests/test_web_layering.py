"""The web side has layers too: pure figures, views and exports built from the data service,
Dash panels, and the HTTP API; each imports only what lies below it (README, Development)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PANELS = {
    "detail_panel",
    "export_panel",
    "filters",
    "map_panel",
    "playback_panel",
    "review_panel",
    "status_panel",
    "table_panel",
    "timeline_panel",
    "upload_panel",
    "views_panel",
}
PURE = {"figures", "briefing", "flat_map", "theme"}
VIEWS = {"views", "exports", "service_access", "identity"}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def _components(names: set[str]) -> set[str]:
    return {n.split(".")[1] for n in names if n.startswith("components.") and n.count(".") >= 1}


def test_every_web_module_is_in_a_layer():
    # app.py's own setup, beside the layers: ids, the security headers, the page's plotly.js
    found = {p.stem for p in (ROOT / "components").glob("*.py")} - {
        "__init__",
        "ids",
        "security",
        "plotly_bundle",
    }
    assert found == PANELS | PURE | VIEWS, "a new module: put it in a layer here and in the README"


def test_pure_figures_import_neither_dash_nor_flask_nor_the_data_service():
    for name in sorted(PURE):
        imported = _imports(ROOT / "components" / f"{name}.py")
        bad = {m for m in imported if m.split(".")[0] in ("dash", "flask")} | (_components(imported) - PURE)
        assert not bad, f"components/{name}.py imports {sorted(bad)}"


def test_views_and_exports_import_no_panel_and_no_api():
    for name in sorted(VIEWS):
        imported = _imports(ROOT / "components" / f"{name}.py")
        bad = (_components(imported) & PANELS) | {m for m in imported if m.startswith("webapi")}
        assert not bad, f"components/{name}.py imports {sorted(bad)}"


def test_the_http_api_imports_no_dash_panel_and_panels_import_no_api():
    api_files = sorted((ROOT / "webapi").glob("*.py"))
    assert len(api_files) >= 2
    for path in api_files:
        bad = _components(_imports(path)) & (PANELS | {"ids"})
        assert not bad, f"{path.relative_to(ROOT)} imports the panels {sorted(bad)}"
    for name in sorted(PANELS):
        bad = {m for m in _imports(ROOT / "components" / f"{name}.py") if m.startswith("webapi")}
        assert not bad, f"components/{name}.py imports the HTTP API"
