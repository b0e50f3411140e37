"""The page's own plotly.js: a build with only the trace types the dashboard draws.

Why: Dash's dcc.Graph loads the full plotly.js (4.8 MB) unless ``window.Plotly`` is already
set. Evaluating it costs 1.3 s of the page's main thread on two cores, the largest single
part of the first page's 4 s. ``scripts/build_plotly_bundle.py`` builds a 3 MB bundle at
install (npm, ``frontend/``) into ``assets/plotly-bundle/``; Dash serves every script of the assets
folder, so the page sets ``window.Plotly`` before dcc.Graph asks for its own.

The bundle must be the plotly.js the Python ``plotly`` package writes figures for: a stale
bundle left from an older install would draw figures for another version. So its version is in
its file name, and the app leaves out (``assets_ignore``) every bundle whose version differs,
saying so in the log; the page then falls back to Dash's full plotly.js, which always matches.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

log = logging.getLogger("conflictmap.app")

# Not a Python identifier: setuptools would take a folder named like one, holding files, for an
# undeclared package of ``conflictmap.bundled_assets`` and warn (tests/test_install.py).
VENDOR = "plotly-bundle"
# The script, and the MapLibre stylesheet plotly.js imports (its own build injects it; esbuild
# writes it beside the script, and Dash serves the assets' stylesheets too).
BUNDLE_NAME = re.compile(r"^plotly-(?P<version>\d+\.\d+\.\d+[\w.-]*?)\.conflictmap\.min\.(?:js|css)$")
_HEADER_VERSION = re.compile(rb"plotly\.js v(\d+\.\d+\.\d+[\w.-]*)")
# The build writes a digest of what it was built from into the bundle's licence banner
# (scripts/build_plotly_bundle.py): a checkout whose frontend/ moved on since (a trace type added
# to the entry, a new lock file) and whose rebuild failed must not keep serving the old bundle.
FRONTEND_INPUTS = ("package-lock.json", "plotly-entry.js")
_HEADER_INPUTS = re.compile(rb"conflictmap-inputs ([0-9a-f]{16})")


def bundle_name(version: str, kind: str = "js") -> str:
    """The file name of the bundle's script (``kind`` js) or stylesheet (css) for plotly.js
    ``version``."""
    return f"plotly-{version}.conflictmap.min.{kind}"


def dash_plotly_version() -> str | None:
    """The plotly.js version Dash serves (the Python plotly package's own copy), read from the
    licence header of its file; None if the file or the header is not where it is expected."""
    try:
        import plotly
    except ImportError:  # pragma: no cover - a dependency of Dash
        return None
    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    try:
        with path.open("rb") as fh:
            head = fh.read(400)
    except OSError:
        return None
    m = _HEADER_VERSION.search(head)
    return m.group(1).decode() if m else None


def inputs_digest(frontend: Path) -> str | None:
    """What a bundle built from ``frontend`` records of it (None without those files: an
    installed package has no frontend/, and its bundle is taken as built)."""
    h = hashlib.sha256()
    try:
        for name in FRONTEND_INPUTS:
            h.update((frontend / name).read_bytes())
    except OSError:
        return None
    return h.hexdigest()[:16]


def built_from(script: Path) -> str | None:
    """The inputs digest in a bundle's banner (None when it has none or cannot be read)."""
    try:
        with script.open("rb") as fh:
            m = _HEADER_INPUTS.search(fh.read(600))
    except OSError:
        return None
    return m.group(1).decode() if m else None


def stale_bundles(assets_dir: Path, wanted: str | None, inputs: str | None = None) -> list[Path]:
    """Bundles under ``assets_dir/plotly-bundle`` that must not be served: every one whose version is
    not ``wanted`` (all of them when the wanted version is unknown), and, when ``inputs`` is
    given, the script and stylesheet of one built from other frontend/ files."""
    folder = assets_dir / VENDOR
    if not folder.is_dir():
        return []
    stale = []
    for path in sorted(folder.iterdir()):
        m = BUNDLE_NAME.match(path.name)
        if not m:
            continue
        version = m.group("version")
        if version != wanted or (inputs is not None and built_from(folder / bundle_name(version)) != inputs):
            stale.append(path)
    return stale


def assets_ignore(assets_dir: Path) -> str:
    """Dash's ``assets_ignore`` pattern for the stale bundles (an empty string when none), and a
    warning in the log for each that names it and the command that rebuilds it."""
    wanted = dash_plotly_version()
    stale = stale_bundles(assets_dir, wanted, _checkout_inputs(assets_dir))
    for path in stale:
        log.warning(
            "%s is not built for plotly.js %s (the version Dash serves) from this checkout's "
            "frontend/: it is left out and the page loads Dash's full plotly.js (its first map about 0.6 s "
            "later); rebuild it with `make bundle`",
            path,
            wanted or "(unknown)",
        )
    return "|".join(re.escape(p.name) + "$" for p in stale)


def served_bundle(assets_dir: Path) -> Path | None:
    """The bundle the page will load, if one is built for the plotly.js Dash serves (and, in a
    checkout, from its frontend/ files)."""
    wanted = dash_plotly_version()
    path = assets_dir / VENDOR / bundle_name(wanted) if wanted else None
    if path is None or not path.is_file():
        return None
    return None if path in stale_bundles(assets_dir, wanted, _checkout_inputs(assets_dir)) else path


def _checkout_inputs(assets_dir: Path) -> str | None:
    """The digest of the checkout's frontend/ beside ``assets_dir`` (None in an installed
    package, which has none)."""
    return inputs_digest(assets_dir.parent / "frontend")
