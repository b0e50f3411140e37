"""The domain package and the figures never import Dash (three layers, one direction)."""

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
