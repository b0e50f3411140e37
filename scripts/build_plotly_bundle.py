"""Build the page's plotly.js: only the trace types the dashboard draws (see components/plotly_bundle.py).

Why: the full plotly.js Dash serves is 4.8 MB and takes 1.3 s of the page's main thread to
evaluate on two cores; this bundle is 3 MB and puts the first map about 0.6-0.7 s sooner.

How: ``npm ci`` installs the versions pinned in ``frontend/package-lock.json`` (plotly.js, the
same version the Python plotly package writes figures for, and esbuild), then esbuild bundles
``frontend/plotly-entry.js`` into ``assets/plotly-bundle/plotly-<version>.conflictmap.min.js``, licence
comments kept at the end. Install time only: the app never runs npm and nothing is fetched
when it serves.

usage: python scripts/build_plotly_bundle.py [--if-possible]
  --if-possible  what ``make install`` runs: when Node.js/npm are missing or the build fails,
                 say so and exit 0; the page then loads Dash's full plotly.js (it works, it
                 is slower). Without it, any failure exits 1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.plotly_bundle import (  # noqa: E402
    BUNDLE_NAME,
    VENDOR,
    bundle_name,
    dash_plotly_version,
    inputs_digest,
)

FRONTEND = ROOT / "frontend"
OUT_DIR = ROOT / "assets" / VENDOR


class BuildError(Exception):
    """A reason the bundle cannot be built, worded as what to do about it."""


def pinned_version() -> str:
    """The plotly.js version frontend/package.json pins."""
    spec = json.loads((FRONTEND / "package.json").read_text())["dependencies"]["plotly.js"]
    if not spec[:1].isdigit():
        raise BuildError(f"frontend/package.json must pin plotly.js to one version, not {spec!r}")
    return str(spec)


# npm on a network that drops packets waits 5 minutes a request by default; `make run` must not
# hang that long before saying it falls back to Dash's plotly.js.
NPM_TIMEOUT_S = 600


def run(cmd: list[str], cwd: Path, timeout: float = NPM_TIMEOUT_S) -> None:
    try:
        proc = subprocess.run(  # noqa: S603
            cmd, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"`{' '.join(cmd)}` did not finish in {timeout:.0f} s") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise BuildError(f"`{' '.join(cmd)}` failed ({proc.returncode}):\n  " + "\n  ".join(tail))


def build() -> Path:
    """Build the bundle and remove any other version's; returns the file written."""
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        raise BuildError("Node.js and npm are not installed (Debian: apt-get install nodejs npm)")
    wanted = dash_plotly_version()
    if wanted is None:
        raise BuildError("cannot read the plotly.js version of the Python plotly package")
    pinned = pinned_version()
    if pinned != wanted:
        raise BuildError(
            f"frontend/package.json pins plotly.js {pinned} but the installed Python plotly writes "
            f"figures for plotly.js {wanted}: set {wanted} there and run `npm install --ignore-scripts` "
            "in frontend/ to update the lock file"
        )
    t = time.perf_counter()
    # --ignore-scripts: nothing the packages ship runs here; the bundle needs none of it.
    # --prefer-offline: what npm's cache holds is used without asking the registry (a rebuild
    # after a change of the entry works offline); --fetch-timeout: a dead network fails in 30 s.
    run(
        [
            npm,
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            "--fetch-retries=1",
            "--fetch-timeout=30000",
        ],
        FRONTEND,
    )
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / bundle_name(wanted)
    # Built beside, then moved in: never a half-written file under a served name. esbuild writes
    # the stylesheet plotly.js imports (MapLibre's) next to the script, as <name>.css.
    tmp = FRONTEND / ".build"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    run(
        [
            str(FRONTEND / "node_modules" / ".bin" / "esbuild"),
            "plotly-entry.js",
            "--bundle",
            "--minify",
            "--format=iife",
            "--define:global=window",  # plotly's modules read node's `global`
            "--legal-comments=eof",
            # plotly.js's own notice, which its sources do not carry (its build adds it), and what
            # the bundle was built from (components/plotly_bundle.py leaves out a stale one).
            f"--banner:js=/*! plotly.js v{wanted}, partial bundle (frontend/plotly-entry.js;"
            f" conflictmap-inputs {inputs_digest(FRONTEND)}) | Copyright (c) Plotly Technologies Inc."
            f" | MIT License: https://github.com/plotly/plotly.js/blob/v{wanted}/LICENSE */",
            "--log-level=warning",
            f"--outfile={tmp / 'bundle.js'}",
        ],
        FRONTEND,
    )
    built = {out: tmp / "bundle.js", OUT_DIR / bundle_name(wanted, "css"): tmp / "bundle.css"}
    for target, source in built.items():
        if not source.is_file():
            raise BuildError(f"esbuild wrote no {source.name}")
        source.replace(target)
    shutil.rmtree(tmp, ignore_errors=True)
    for other in OUT_DIR.iterdir():
        if other not in built and BUNDLE_NAME.match(other.name):
            other.unlink()
    print(
        f"plotly.js {wanted} bundle: {out.relative_to(ROOT)} "
        f"({out.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t:.0f} s)"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--if-possible", action="store_true", help="never fail: fall back to Dash's plotly.js")
    args = ap.parse_args(argv)
    try:
        build()
    except BuildError as exc:
        print(f"plotly.js bundle not built: {exc}", file=sys.stderr)
        if args.if_possible:
            print(
                "  the dashboard works without it, on Dash's full plotly.js (its first map about 0.6 s "
                "later); `make bundle` builds it once the cause is fixed",
                file=sys.stderr,
            )
            return 0
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
