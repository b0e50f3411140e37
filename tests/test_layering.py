"""The domain package and the figures never import Dash (three layers, one direction), and
inside the domain package each stage imports only what the stage graph allows."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CODE = """
import importlib, pkgutil, sys
import conflictmap
for mod in pkgutil.walk_packages(conflictmap.__path__, "conflictmap."):
    importlib.import_module(mod.name)
import components.figures, components.theme
bad = sorted(m for m in sys.modules if m == "dash" or m.startswith("dash."))
print(",".join(bad))
"""


def test_domain_and_figures_do_not_import_dash():
    out = subprocess.run([sys.executable, "-c", CODE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"dash imported by the lower layers: {out.stdout}"


# ---- the stage graph (README, Development) -------------------------------------------------
# What each part of the domain package may import from the others. Shared modules are the
# vocabulary every stage speaks; a stage imports only what lies below it; the conductors
# (pipeline, reextract, evaluate, extract_file, synthetic, cli) run the stages and may import any.
SHARED = frozenset({"models", "config", "textsafe", "confidence", "language", "params"})
CONDUCTORS = frozenset({"pipeline", "reextract", "evaluate", "extract_file", "synthetic", "cli", "notify"})
ALLOWED: dict[str, frozenset[str]] = {
    "ingest": SHARED,
    "geo": SHARED,
    "extract": SHARED | {"geo"},
    "incidents": SHARED,
    "storage": SHARED,
    "read": SHARED | {"storage", "geo"},
    "export": SHARED | {"read", "geo"},
    "review": SHARED | {"storage", "geo"},
    **{name: SHARED for name in SHARED},
}


def _part(module: str) -> str:
    """conflictmap.geo.zones -> geo; conflictmap.models -> models."""
    return module.split(".")[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every conflictmap module a file imports, at any depth (function-level imports included)."""
    import ast

    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out += [(node.lineno, n) for n in names if n.startswith("conflictmap.")]
    return out


def test_each_stage_imports_only_what_the_graph_allows():
    package = ROOT / "conflictmap"
    files = sorted(package.rglob("*.py"))
    assert len(files) > 40  # the walk found the package
    wrong = []
    for path in files:
        rel = path.relative_to(ROOT).with_suffix("")
        source = _part(".".join(rel.parts)) if len(rel.parts) > 1 else "conflictmap"
        if source in CONDUCTORS or source == "__init__":
            continue
        assert source in ALLOWED, f"{rel}: not in the stage graph; add it to ALLOWED and the README"
        for line, target in _imports(path):
            part = _part(target)
            if part != source and part not in ALLOWED[source]:
                wrong.append(f"{rel}.py:{line} ({source}) imports {target} ({part})")
    assert wrong == [], "imports across the stage graph:\n" + "\n".join(wrong)


def test_the_graph_catches_a_sideways_import(tmp_path):
    """The check itself has teeth: an export module importing the extractor is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from conflictmap.extract import EXTRACTOR_VERSION\n", encoding="utf-8")
    (line, target) = _imports(bad)[0]
    assert (line, _part(target)) == (2, "extract") and "extract" not in ALLOWED["export"]
