"""Static images of figures with kaleido on Debian's Chromium: one browser, started lazily, reused.

Why not ``kaleido.start_sync_server``: its singleton blocks forever (``Queue.join``) when the
browser fails to start or a render wedges, and two request threads calling it at once can take
each other's results. Here one daemon thread runs an asyncio loop that owns a single
``kaleido.Kaleido`` (``mathjax=False``: with MathJax on it fetches a script from a CDN), and every
caller waits on its own future with a timeout, so a stuck render costs one request a clear
error instead of hanging a worker. Rendering is serialised by kaleido's tab queue.

Figures arrive as plain dicts (``fig.to_dict()``): this module never imports dash or plotly.

Arabic text (a place, an outlet, a typed title) is drawn in the app's own Noto Naskh Arabic
(``assets/fonts``), never in whatever font the server happens to have: another machine may have
none, and the page would print boxes. kaleido draws the figure as an SVG and loads it into an
``<img>`` (PDF) or a canvas (PNG); an SVG image sees no web font of the page around it (an
``@font-face`` in kaleido's page, or a ``page_generator``, changes nothing: measured), only
fonts the browser knows as installed. So kaleido's Chromium is started with a fontconfig file
of its own that adds ``assets/fonts`` to the system's fonts (``FONTCONFIG_FILE``, set only in
that process's environment), and a figure holding Arabic names the family after ``arial`` (Latin
letters keep their font). An SVG export carries the font inside it, as a data: URL, since it is
opened elsewhere.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import functools
import io
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from conflictmap.config import ASSETS_DIR

log = logging.getLogger(__name__)

FORMATS: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
INSTALL_HINT = (
    "Image export needs Chromium on the server. On Debian/Ubuntu: `sudo apt-get install chromium` "
    "(or set BROWSER_PATH to a Chrome/Chromium binary), then restart the app. The rest of the app "
    "works without it, and each chart's camera button in the dashboard still saves a PNG."
)
DEFAULT_TIMEOUT = 60.0
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

# The app's own fonts (served to the page from the same folder, see assets/style.css).
FONT_DIR = ASSETS_DIR / "fonts"
ARABIC_FONT_FILE = FONT_DIR / "NotoNaskhArabic-Regular.ttf"
ARABIC_FAMILY = "Noto Naskh Arabic"
# plotly.js's default family, with the Arabic face after arial: a Latin letter finds Arial (or its
# metric twin Liberation Sans) first; an Arabic one finds none there and takes Noto Naskh Arabic
# before the generic sans-serif, whose DejaVu Sans has cruder Arabic of its own.
ARABIC_FAMILIES = f'"Open Sans", verdana, arial, "{ARABIC_FAMILY}", sans-serif'
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


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


# ---- Arabic: the app's own font in kaleido's Chromium and in the figures -------------------------


def fontconfig_file(folder: Path, font_dir: Path = FONT_DIR) -> Path | None:
    """A fontconfig file in ``folder``: the system's configuration plus the app's font folder.

    Chromium on Linux finds "installed" fonts through fontconfig, and an SVG drawn as an image
    can use no others. None when the folder is missing (an install without the assets): exports
    then draw Arabic with whatever the system has, as before.
    """
    if not font_dir.is_dir():
        log.warning("no font folder at %s: Arabic in exports falls back to system fonts", font_dir)
        return None
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<fontconfig>\n"
        f'  <include ignore_missing="yes">{xml_escape(system)}</include>\n'
        f"  <dir>{xml_escape(str(font_dir))}</dir>\n"
        f"  <cachedir>{xml_escape(str(folder / 'cache'))}</cachedir>\n"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    return conf


def chromium_with_env(extra: dict[str, str]) -> type:
    """choreographer's Chromium launcher, with ``extra`` added to the browser's environment only.

    ``browser_cls`` and ``get_env`` are choreographer's documented hooks; the app's own
    environment is left alone (other threads, other libraries).
    """
    from choreographer.browsers.chromium import Chromium

    class ChromiumWithEnv(Chromium):
        def get_env(self):  # noqa: ANN202 - choreographer's signature
            env = super().get_env()
            env.update(extra)
            return env

    return ChromiumWithEnv


def _strings(value: Any) -> Any:
    """Every string in a figure dict: dicts, lists, tuples and numpy arrays of text, walked."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
    elif getattr(getattr(value, "dtype", None), "kind", "") in ("O", "U"):
        yield from _strings(value.tolist())


def _drawn(fig: dict[str, Any]) -> Any:
    """The parts of a figure whose text can be drawn on a static image.

    Not the map's own settings (its basemap GeoJSON carries Arabic country names that are never
    drawn), and of a map trace only its legend name: its hover texts are not drawn on paper and
    its labels have become annotations (``place_labels``) by the time it is rendered.
    """
    layout = {k: v for k, v in (fig.get("layout") or {}).items() if k != "map"}
    traces = [
        {k: t.get(k) for k in ("name", "legendgrouptitle")} if str(t.get("type", "")).endswith("map") else t
        for t in fig.get("data") or []
    ]
    return [layout, traces]


def has_arabic(fig: dict[str, Any]) -> bool:
    """Whether any text the figure draws (labels, table cells, titles, legend names) is Arabic."""
    return any(ARABIC_SCRIPT.search(s) for s in _strings(_drawn(fig)))


_GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}


def with_arabic_family(family: str | None) -> str:
    """A CSS font list with Noto Naskh Arabic before its generic family (or plotly's default)."""
    if not family:
        return ARABIC_FAMILIES
    if ARABIC_FAMILY.lower() in family.lower():
        return family
    names = [n.strip() for n in family.split(",") if n.strip()]
    at = next((i for i, n in enumerate(names) if n.strip("\"'").lower() in _GENERIC_FAMILIES), len(names))
    names.insert(at, f'"{ARABIC_FAMILY}"')
    return ", ".join(names)


def arabic_fonts(fig: dict[str, Any]) -> dict[str, Any]:
    """The figure with Noto Naskh Arabic in every font list, when it holds Arabic text.

    A figure without Arabic comes back as it was (Latin exports do not change by a pixel). The
    map's own settings and map traces' fonts are left alone: there a family names a MapLibre
    glyph stack, not a browser font.
    """
    if not has_arabic(fig):
        return fig
    fig = copy.deepcopy(fig)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "family" and isinstance(value, str):
                    node[key] = with_arabic_family(value)
                elif key != "map":
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for trace in fig.get("data") or []:
        if not str(trace.get("type", "")).endswith("map"):
            visit(trace)
    layout = fig.setdefault("layout", {})
    visit(layout)
    font = layout.setdefault("font", {})
    font["family"] = with_arabic_family(font.get("family"))
    return fig


def svg_with_font(body: bytes, font_file: Path = ARABIC_FONT_FILE) -> bytes:
    """An SVG export with Noto Naskh Arabic inside it (a data: URL), for a viewer without it."""
    start = body.find(b"<svg")
    end = body.find(b">", start)
    if start == -1 or end == -1 or not font_file.is_file():
        return body
    data = base64.b64encode(font_file.read_bytes()).decode("ascii")
    style = (
        f'<style>@font-face{{font-family:"{ARABIC_FAMILY}";'
        f'src:url(data:font/ttf;base64,{data}) format("truetype");'
        "unicode-range:U+0600-06FF,U+0750-077F,U+0870-08FF,U+FB50-FDFF,U+FE70-FEFF}</style>"
    ).encode("ascii")
    return body[: end + 1] + style + body[end + 1 :]


class Renderer:
    """One kaleido browser on a private event loop; thread-safe ``render`` with a deadline."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, browser_path: str | None = None) -> None:
        self.timeout = timeout
        self.browser_path = browser_path
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self._font_dir: tempfile.TemporaryDirectory | None = None
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

        fonts = tempfile.TemporaryDirectory(prefix="conflictmap-fonts-")
        conf = fontconfig_file(Path(fonts.name))
        extra: dict[str, Any] = {}
        if conf is not None:
            extra["browser_cls"] = chromium_with_env({"FONTCONFIG_FILE": str(conf)})

        async def open_browser() -> Any:
            k = kaleido.Kaleido(n=1, timeout=self.timeout, mathjax=False, path=path, **extra)
            await k.open()
            return k

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(open_browser(), loop).result(self.timeout)
        except Exception as exc:
            loop.call_soon_threadsafe(loop.stop)
            fonts.cleanup()
            raise SnapshotError(f"Chromium at {path} did not start: {exc}. {INSTALL_HINT}") from exc
        self._font_dir = fonts
        self._loop, self._thread = loop, thread
        self.started_in = time.perf_counter() - t0
        log.info("kaleido started on %s in %.1f s", path, self.started_in)

    def ensure_started(self) -> None:
        """Start the browser now if it is not running (the first export otherwise pays for it).

        Raises ``ChromiumMissing`` or ``SnapshotError`` when it cannot start."""
        with self._lock:
            if self._kaleido is None:
                self._start()

    def close(self) -> None:
        """Stop the browser and its loop; safe to call twice, and the next render starts a fresh one.

        Used after a stuck render as well as at shutdown, so a browser that already died is only logged."""
        with self._lock:
            loop, k, fonts = self._loop, self._kaleido, self._font_dir
            self._loop = self._kaleido = self._thread = self._font_dir = None
        if fonts is not None:
            fonts.cleanup()  # Chromium read the file when it started
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
        arabic = has_arabic(fig)
        if arabic:
            fig = arabic_fonts(fig)
        opts = {"format": fmt, "width": int(width), "height": int(height), "scale": float(scale)}
        future = asyncio.run_coroutine_threadsafe(k.calc_fig(fig, opts=opts), loop)
        try:
            # kaleido times out the render itself; the extra margin covers waiting for the tab.
            body = future.result(self.timeout * 2 + 5)
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
        if fmt == "pdf":
            body = pdf_with_title(body, figure_title(fig))
        elif fmt == "svg" and arabic:
            body = svg_with_font(body)
        return body

    def _browser_gone(self) -> bool:
        k = self._kaleido
        proc = getattr(k, "subprocess", None)
        return k is None or proc is None or proc.poll() is not None


@functools.lru_cache(maxsize=4)
def get_renderer(timeout: float = DEFAULT_TIMEOUT) -> Renderer:
    """The process's renderer for a timeout (one browser, started on first use; each gunicorn
    worker gets its own). A cached accessor, not module state: building a ``Renderer`` starts
    nothing (the browser starts on the first render, under the renderer's own lock), so two
    threads racing on the first call at worst build one spare object that is never used."""
    return Renderer(timeout)


def render(
    fig: dict[str, Any],
    fmt: str,
    width: int,
    height: int,
    scale: float = 1.0,
    timeout: float = DEFAULT_TIMEOUT,
) -> bytes:
    """Render with the shared renderer; ``timeout`` is the app's ``Settings.export_timeout``."""
    return get_renderer(timeout).render(fig, fmt, width, height, scale)


def figure_title(fig: dict[str, Any]) -> str:
    """The text of a figure's title ("" when it has none)."""
    title = (fig.get("layout") or {}).get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return str(title or "")


def pdf_with_title(body: bytes, title: str) -> bytes:
    """The PDF with ``title`` as its document title.

    Chromium prints the page's own title into the PDF, which for kaleido is "Kaleido-fier": a
    reader's window, tab and search index would show that instead of the briefing's title.
    """
    if not title:
        return body
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(body)))
    writer.add_metadata({"/Title": title, "/Creator": "conflictmap (kaleido, Chromium)"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
