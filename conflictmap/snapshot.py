"""Static images of figures with kaleido on Debian's Chromium: one browser, started lazily, reused.

Why not ``kaleido.start_sync_server``: its singleton blocks forever (``Queue.join``) when the
browser fails to start or a render wedges, and two request threads calling it at once can take
each other's results. Here one daemon thread runs an asyncio loop that owns a single
``kaleido.Kaleido`` (``mathjax=False``: with MathJax on it fetches a script from a CDN), and every
caller waits on its own future with a timeout, so a stuck render costs one request a clear
error instead of hanging a worker. Rendering is serialised by kaleido's tab queue.

Figures arrive as plain dicts (``fig.to_dict()``): this module never imports dash or plotly.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

log = logging.getLogger(__name__)

FORMATS: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
INSTALL_HINT = (
    "Image export needs Chromium on the server. On Debian/Ubuntu: `sudo apt-get install chromium` "
    "(or set BROWSER_PATH to a Chrome/Chromium binary), then restart the app. The rest of the app "
    "works without it, and each chart's camera button in the dashboard still saves a PNG."
)
DEFAULT_TIMEOUT = 60.0
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


class SnapshotError(RuntimeError):
    """An export could not be rendered; the message says why and what to do."""


class ChromiumMissing(SnapshotError):
    """No Chromium/Chrome binary: exports are off, everything else works."""


class SnapshotTimeout(SnapshotError):
    """A render took longer than the renderer's timeout."""


def find_chromium() -> str | None:
    """The browser kaleido will drive: ``BROWSER_PATH`` if set, else Debian's chromium, else PATH."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit:
        return explicit if os.path.exists(explicit) else None
    for path in CANDIDATES:
        if os.path.exists(path):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Renderer:
    """One kaleido browser on a private event loop; thread-safe ``render`` with a deadline."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, browser_path: str | None = None) -> None:
        self.timeout = timeout
        self.browser_path = browser_path
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self.started_in: float | None = None

    # ---- life cycle ---------------------------------------------------------------------------
    def _start(self) -> None:
        path = self.browser_path or find_chromium()
        if not path:
            raise ChromiumMissing(f"Chromium was not found. {INSTALL_HINT}")
        try:
            import kaleido
        except ImportError as exc:  # pragma: no cover - kaleido is a declared dependency
            raise SnapshotError(f"kaleido is not installed ({exc}); `pip install kaleido==1.5.0`") from exc
        t0 = time.perf_counter()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kaleido-loop", daemon=True)
        thread.start()

        async def open_browser() -> Any:
            k = kaleido.Kaleido(n=1, timeout=self.timeout, mathjax=False, path=path)
            await k.open()
            return k

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(open_browser(), loop).result(self.timeout)
        except Exception as exc:
            loop.call_soon_threadsafe(loop.stop)
            raise SnapshotError(f"Chromium at {path} did not start: {exc}. {INSTALL_HINT}") from exc
        self._loop, self._thread = loop, thread
        self.started_in = time.perf_counter() - t0
        log.info("kaleido started on %s in %.1f s", path, self.started_in)

    def ensure_started(self) -> None:
        with self._lock:
            if self._kaleido is None:
                self._start()

    def close(self) -> None:
        with self._lock:
            loop, k = self._loop, self._kaleido
            self._loop = self._kaleido = self._thread = None
        if loop is None or k is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(15)
        except Exception:  # noqa: BLE001 - closing a browser that already died is fine
            log.warning("kaleido did not close cleanly", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)

    # ---- work -----------------------------------------------------------------------------------
    def render(self, fig: dict[str, Any], fmt: str, width: int, height: int, scale: float = 1.0) -> bytes:
        """Bytes of ``fig`` as PNG/SVG/PDF; raises ``SnapshotError`` (never hangs past the timeout)."""
        if fmt not in FORMATS:
            raise SnapshotError(f"unknown image format {fmt!r}; use one of {', '.join(FORMATS)}")
        self.ensure_started()
        loop, k = self._loop, self._kaleido
        assert loop is not None and k is not None
        opts = {"format": fmt, "width": int(width), "height": int(height), "scale": float(scale)}
        future = asyncio.run_coroutine_threadsafe(k.calc_fig(fig, opts=opts), loop)
        try:
            # kaleido times out the render itself; the extra margin covers waiting for the tab.
            return future.result(self.timeout * 2 + 5)
        except TimeoutError as exc:  # concurrent.futures' is the builtin since 3.11
            future.cancel()
            raise SnapshotTimeout(
                f"rendering the {fmt.upper()} took longer than {self.timeout:.0f} s"
            ) from exc
        except SnapshotError:
            raise
        except Exception as exc:
            log.exception("render failed")
            if self._browser_gone():
                self.close()  # the next request starts a fresh browser
            raise SnapshotError(f"rendering the {fmt.upper()} failed: {exc}") from exc

    def _browser_gone(self) -> bool:
        k = self._kaleido
        proc = getattr(k, "subprocess", None)
        return k is None or proc is None or proc.poll() is not None


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


def get_renderer(timeout: float | None = None) -> Renderer:
    """The process's renderer, created on first use (each gunicorn worker gets its own browser)."""
    global _renderer  # noqa: PLW0603 - a lazily built, read-only accessor, like lru_cache
    with _renderer_lock:
        if _renderer is None:
            env_timeout = os.environ.get("CONFLICTMAP_EXPORT_TIMEOUT")
            _renderer = Renderer(timeout or float(env_timeout or DEFAULT_TIMEOUT))
        return _renderer


def render(fig: dict[str, Any], fmt: str, width: int, height: int, scale: float = 1.0) -> bytes:
    """Render with the shared renderer."""
    return get_renderer().render(fig, fmt, width, height, scale)


def timed(fn: Callable[[], bytes]) -> tuple[bytes, float]:
    """``fn()`` and its wall time in seconds (benchmarks and logs)."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


# ---- the briefing graphic: a figure dict dressed with what it shows -------------------------------
# Plain dict surgery (no plotly import): the map and timeline are the dashboard's own figures.

LICENCE_LINE = (
    "Basemap: Natural Earth (public domain) · places: GeoNames (CC BY 4.0) · rivers: GSHHG (LGPL-3.0)"
)


@dataclass(frozen=True)
class Stamp:
    """What a briefing graphic says about itself: what, when, how many, from where, which view."""

    title: str
    start: date | None
    end: date | None
    as_of: date
    incidents: int
    reports: int
    fatalities: int
    outlets: tuple[str, ...]
    url: str
    exported_at: datetime

    def subtitle(self) -> str:
        span = f"{self.start} to {self.end}" if self.start and self.end else "all dates"
        return (
            f"{span} · zones as of {self.as_of} · {self.incidents:,} incidents "
            f"({self.reports:,} reports, {self.fatalities:,} fatalities)"
        )

    def sources(self, limit: int = 8) -> str:
        shown = list(self.outlets[:limit])
        more = len(self.outlets) - len(shown)
        events = ", ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "none"
        return f"Events: {events} · {LICENCE_LINE}"

    def footer(self) -> str:
        when = self.exported_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"Exported {when} · view: {self.url}"


def _wrap(text: str, width: int) -> str:
    """Plotly does not wrap annotations: break long lines at spaces (or hard, for URLs)."""
    words, lines, line = text.split(" "), [], ""
    for w in words:
        while len(w) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(w[:width])
            w = w[width:]
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(line)
    return "<br>".join(lines)


def _note(text: str, y: float, yanchor: str, size: int, colour: str = "#333") -> dict[str, Any]:
    return {
        "text": text,
        "x": 0,
        "xref": "paper",
        "xanchor": "left",
        "y": y,
        "yref": "paper",
        "yanchor": yanchor,
        "showarrow": False,
        "align": "left",
        "font": {"size": size, "color": colour},
    }


def _legend_every_type(fig: dict[str, Any]) -> None:
    """A type drawn only as pale "area only" discs still gets a legend entry on paper."""
    shown = {t.get("legendgroup") for t in fig.get("data", []) if t.get("showlegend", True)}
    for t in fig.get("data", []):
        group = t.get("legendgroup")
        if (t.get("meta") or {}).get("kind") == "events" and group not in shown:
            t["showlegend"] = True
            shown.add(group)


def dress(
    fig: dict[str, Any], stamp: Stamp, width: int, height: int, legend_bottom: int = 0
) -> dict[str, Any]:
    """Title, subtitle, sources/licences and export stamp around a map or timeline figure dict."""
    from .textsafe import plain

    fig = copy.deepcopy(fig)
    _legend_every_type(fig)
    layout = fig.setdefault("layout", {})
    chars = max(60, int(width / 6.2))
    footer = _wrap(plain(stamp.sources()), chars) + "<br>" + _wrap(plain(stamp.footer()), chars)
    n_footer = footer.count("<br>") + 1
    top, bottom = 84, 16 + 13 * n_footer + legend_bottom
    margin = dict(layout.get("margin") or {})
    margin.update({"t": top, "b": bottom, "l": max(margin.get("l", 0), 10), "r": max(margin.get("r", 0), 10)})
    plot_h = max(50, height - top - bottom)
    layout.update(
        margin=margin,
        width=width,
        height=height,
        title={
            "text": plain(stamp.title, 160),
            "x": 0.01,
            "xanchor": "left",
            "y": 1 - 10 / height,
            "yanchor": "top",
            "yref": "container",
            "font": {"size": 20, "color": "#111"},
        },
    )
    notes = list(layout.get("annotations") or [])
    notes.append(_note(plain(stamp.subtitle()), 1 + 8 / plot_h, "bottom", 13))
    notes.append(_note(footer, -(legend_bottom + 6) / plot_h, "top", 10, "#444"))
    layout["annotations"] = notes
    return fig


def _timeline_into(fig: dict[str, Any], timeline: dict[str, Any], y0: float, y1: float) -> None:
    """Move the timeline's traces, axes, lines and notes into ``fig`` within paper rows y0..y1."""
    tl = copy.deepcopy(timeline)
    tlay = tl.get("layout", {})
    for trace in tl.get("data", []):
        trace["showlegend"] = False  # the map's legend already names every type, in the same colours
        fig["data"].append(trace)
    lay = fig["layout"]
    lay["xaxis"] = {**tlay.get("xaxis", {}), "domain": [0, 1], "anchor": "y"}
    lay["yaxis"] = {**tlay.get("yaxis", {}), "domain": [y0, y1], "anchor": "x"}
    lay["yaxis2"] = {**tlay.get("yaxis2", {}), "overlaying": "y", "side": "right", "anchor": "x"}
    lay["barmode"] = tlay.get("barmode", "stack")
    lay["bargap"] = tlay.get("bargap", 0.05)
    lay["plot_bgcolor"] = "white"
    shapes = list(lay.get("shapes") or [])
    for s in tlay.get("shapes") or []:
        if s.get("yref") in ("paper", None):
            s["yref"] = "y domain"
        shapes.append(s)
    lay["shapes"] = shapes
    notes = list(lay.get("annotations") or [])
    for a in tlay.get("annotations") or []:
        if a.get("yref") == "paper":
            a["yref"] = "y domain"
        if a.get("xref") == "paper":
            a["xref"] = "x domain"
        notes.append(a)
    lay["annotations"] = notes


def briefing_figure(
    map_fig: dict[str, Any],
    timeline_fig: dict[str, Any],
    table: list[dict[str, str]],
    stamp: Stamp,
    width: int = 1100,
    height: int = 1550,
) -> dict[str, Any]:
    """One page: the map on top, the timeline under it, then the period's main events with sources."""
    from .textsafe import plain

    fig = copy.deepcopy(map_fig)
    fig.setdefault("data", [])
    lay = fig.setdefault("layout", {})
    lay.setdefault("map", {})["domain"] = {"x": [0, 1], "y": [0.47, 1.0]}
    _timeline_into(fig, timeline_fig, 0.31, 0.43)
    columns = list(table[0].keys()) if table else ["date", "type", "place", "actors", "fatalities", "sources"]
    cells = [[plain(row.get(c), 90) for row in table] for c in columns]
    fig["data"].append(
        {
            "type": "table",
            "domain": {"x": [0, 1], "y": [0, 0.27]},
            "columnwidth": [70, 110, 110, 170, 55, 160][: len(columns)],
            "header": {
                "values": [c.capitalize() for c in columns],
                "fill": {"color": "#e9e4d8"},
                "font": {"size": 11, "color": "#111"},
                "align": "left",
            },
            "cells": {
                "values": cells
                if table
                else [["No events match these filters"]] + [[""]] * (len(columns) - 1),
                "font": {"size": 10, "color": "#222"},
                "align": "left",
                "height": 22,
            },
        }
    )
    notes = list(lay.get("annotations") or [])
    notes.append(
        _note("Main events of the period (most fatalities first), with their sources", 0.285, "bottom", 12)
    )
    notes.append(_note("Incidents per period by type (bars), fatalities (line)", 0.445, "bottom", 12))
    lay["annotations"] = notes
    lay["showlegend"] = True
    return dress(fig, stamp, width, height)
