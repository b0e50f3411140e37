"""`pip install .` ships what the dashboard reads: the wheel holds the bundled data, the assets
(CSS, font, glyphs) and the rule tables, and the installed package finds them outside a checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_data_assets_and_rules_and_finds_them_installed(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    assert "warning" not in build.stderr.lower(), build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("conflictmap-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "app.py",
        "conflictmap/bundled_data/zones.geojson",
        "conflictmap/bundled_data/deirezzor_places.csv",
        "conflictmap/bundled_data/sample_feed/rudaw-2024-08-13.jsonl",
        "conflictmap/bundled_assets/style.css",
        "conflictmap/bundled_assets/fonts/NotoNaskhArabic-Regular.ttf",
        "conflictmap/bundled_assets/glyphs/DejaVu Sans Book/0-255.pbf",
        "conflictmap/extract/rules/actors.csv",
        "conflictmap/extract/rules/ar/triggers.csv",
    ):
        assert needed in names, needed
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import conflictmap.config as c, conflictmap;"
        "print(conflictmap.__file__, c.IN_CHECKOUT, (c.BUNDLED_DATA / 'zones.geojson').is_file(),"
        " (c.ASSETS_DIR / 'style.css').is_file(), c.DEFAULT_DATA_DIR)"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=elsewhere,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    where, in_checkout, data_ok, assets_ok, var = run.stdout.split()
    assert where.startswith(str(site)) and in_checkout == "False" and data_ok == assets_ok == "True"
    assert var == str(elsewhere / "var")  # the store goes where the app starts, not into the package
