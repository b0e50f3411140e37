"""Dashboard budgets, measured: filter-change cost and payload with 100,000 SYNTHETIC events,
against a naive baseline (plotly express over the whole frame on every callback); first-page
draw time with the bundled data in Debian's Chromium; server memory.

usage: python benchmarks/bench_dashboard.py [--count 100000] [--repeat 5] [--no-browser] [--first-page-only]

Budgets (issue 2): < 300 ms server-side per filter change, < 3 MB sent, first page < 3 s,
server < 1 GB. Prints figures; asserts nothing (timings on a shared machine are not tests).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = {
    "no filter": "",
    "battles only": "type=battle",
    "one year": "start=2023-01-01&end=2023-12-31",
    "actor SDF, >=3 killed": "actor=SDF&minfat=3",
    "text search": "q=benchmarking&prec=1",
    "text search, two words": "q=river%20crossing",
    "zone SDF as of 2020": "zone=SDF&asof=2020-06-01",
}


def rss_mb(pid: int | None = None) -> float:
    """Resident memory now (MB), from /proc."""
    path = f"/proc/{pid or os.getpid()}/status"
    for line in Path(path).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_mb(pid: int | None = None) -> tuple[float, float, float]:
    """Resident memory now (MB), split into the process's own (anonymous: its heap, what each
    further worker costs) and mapped files (the shared incident index, program files: pages in
    the machine's page cache, held once however many workers map them), from /proc's smaps_rollup."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid or os.getpid()}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            fields[key] = int(rest.split()[0])
    rss, anon = fields.get("Rss", 0) / 1024, fields.get("Anonymous", 0) / 1024
    return rss, anon, rss - anon


def payload_bytes(*figs) -> int:
    from plotly.io.json import to_json_plotly

    return sum(len(to_json_plotly(f if isinstance(f, dict) else f.to_plotly_json()).encode()) for f in figs)


def bench_ours(url: str, data_dir: Path, repeat: int) -> dict[str, tuple[float, float]]:
    from components.service_access import serving
    from components.views import render_map, render_timeline
    from conflictmap.config import Settings

    settings = Settings(data_dir=data_dir, database_url=url)
    for old in settings.effective_index_dir.glob("*.arrow"):  # measure a build, not a mapping
        old.unlink()
    with serving(settings) as svc:
        return _time_views(svc, repeat, render_map, render_timeline)


def _time_views(svc, repeat: int, render_map, render_timeline) -> dict[str, tuple[float, float]]:
    """Index build once, then each query with the view memo cleared (a new filter each time)."""
    from conflictmap.read.service import DataService

    t0 = time.perf_counter()
    n = len(svc.index())
    print(
        f"  index of this store version: {1000 * (time.perf_counter() - t0):.0f} ms for {n:,} incidents "
        "(built and written once per store change, or mapped if a process already wrote it)"
    )
    t0 = time.perf_counter()
    other = DataService(svc.settings)  # as a second worker: maps the file the first one wrote
    other.index()
    print(f"  a further worker's index (maps the shared file): {1000 * (time.perf_counter() - t0):.0f} ms")
    out = {}
    for name, q in QUERIES.items():
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            svc._views.clear()  # measure a new filter, not the memo
            m, tl = render_map(q), render_timeline(q)
            times.append(time.perf_counter() - t)
        times.sort()
        out[name] = (1000 * statistics.median(times), payload_bytes(m, tl) / 1e6)
        P95[name] = 1000 * times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    rss, own, mapped = memory_mb()
    print(
        f"  memory of this process after the filters (two services: two workers' worth): resident "
        f"{rss:.0f} MB = its own {own:.0f} MB + mapped files {mapped:.0f} MB (held once on the machine)"
    )
    return out


P95: dict[str, float] = {}  # each query's 95th percentile of its repeats (ms), filled by _time_views


def bench_naive(url: str, repeat: int) -> dict[str, tuple[float, float]]:
    """What a first Dash prototype does: read everything, filter, px over the whole frame."""
    import pandas as pd
    import plotly.express as px

    from conflictmap.read.query import EventFilter
    from conflictmap.storage.store import EventStore

    store = EventStore(url)
    out = {}
    for name, q in QUERIES.items():
        times = []
        for _ in range(min(repeat, 2)):
            t = time.perf_counter()
            df = store.events_frame()
            flt = EventFilter.from_query(q)
            if flt.start:
                df = df[df["event_date"] >= pd.Timestamp(flt.start)]
            if flt.end:
                df = df[df["event_date"] <= pd.Timestamp(flt.end)]
            if flt.types:
                df = df[df["event_type"].isin(flt.types)]
            if flt.actors:
                df = df[df["actor1"].isin(flt.actors) | df["actor2"].isin(flt.actors)]
            if flt.min_fatalities:
                df = df[df["fatalities"].fillna(0) >= flt.min_fatalities]
            if flt.text:
                df = df[df["evidence"].str.lower().str.contains(flt.text.lower(), regex=False)]
            df = df.assign(size=df["fatalities"].fillna(0) + 1)
            m = px.scatter_map(
                df,
                lat="latitude",
                lon="longitude",
                color="event_type",
                size="size",
                hover_data=["event_date", "actor1", "actor2", "location"],
                custom_data=["event_id"],
            )
            tl = px.histogram(df, x="event_date", color="event_type")
            times.append(time.perf_counter() - t)
        out[name] = (1000 * statistics.median(times), payload_bytes(m, tl) / 1e6)
    return out


# Polled at every animation frame (Playwright's "raf"), so each time is that of the first frame
# in which the condition held.
EVENTS_ON_SCREEN = """() => { const gd = document.querySelector('#map .js-plotly-plot');
  const m = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
  const style = m && m.getStyle();
  if (!style || !style.layers) return false;
  const kinds = new Set(gd._fullData.filter(t => t.meta && t.meta.kind === 'events').map(t => t.uid));
  const ids = style.layers.filter(l => l.type === 'circle' && [...kinds].some(u => l.id.includes(u))).map(l => l.id);
  return ids.length > 0 && m.queryRenderedFeatures({layers: ids}).length > 0; }"""
EVERY_LAYER = """() => { const gd = document.querySelector('#map .js-plotly-plot');
  return gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map.loaded()
    && gd.data.some(t => t.meta && t.meta.kind === 'events'); }"""


TIMELINE_DRAWN = "() => document.querySelectorAll('#timeline .barlayer .point path').length > 0"


def first_page(runs: int = 5) -> tuple[float, float, float, float, str] | None:
    """Seconds from navigation to the first frame with event markers on screen and to the map with
    every layer drawn (MapLibre loaded: place names included), and to the timeline's bars (drawn
    after the map), medians of ``runs`` pages in one browser; server RSS; and which plotly.js the
    page ran."""
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  playwright not installed: skipped (pip install -e '.[test]')")
        return None
    from conftest import CHROMIUM_ARGS, AppServer  # the test fixtures' own launcher

    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("  chromium not installed: skipped (apt-get install chromium)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        server = AppServer(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                on_screen, complete, timeline, plotly_used = [], [], [], set()
                for _ in range(runs):
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.on("request", lambda r: plotly_used.add(r.url.split("?")[0].rsplit("/", 1)[-1]))
                    t = time.perf_counter()
                    page.goto(server.base, wait_until="commit")
                    page.wait_for_function(EVENTS_ON_SCREEN, timeout=60_000, polling="raf")
                    on_screen.append(time.perf_counter() - t)
                    page.wait_for_function(EVERY_LAYER, timeout=60_000, polling="raf")
                    complete.append(time.perf_counter() - t)
                    page.wait_for_function(TIMELINE_DRAWN, timeout=60_000, polling="raf")
                    timeline.append(time.perf_counter() - t)
                    page.close()
                browser.close()
            used = sorted(u for u in plotly_used if u.startswith("plotly") and u.endswith(".js"))
            return (
                statistics.median(on_screen),
                statistics.median(complete),
                statistics.median(timeline),
                rss_mb(server.proc.pid),
                ", ".join(used),
            )
        finally:
            server.stop()


def synthetic_store(count: int, database_url: str | None) -> tuple[str, Path]:
    """The store to measure (its URL) and the folder its index files go in: a SQLite file under
    var/bench, written once per count, or the PostgreSQL database named, filled once."""
    from conflictmap.storage.store import EventStore
    from conflictmap.synthetic import fill_synthetic_store, write_synthetic_store

    if database_url is None:
        db = ROOT / "var" / "bench" / f"synthetic-{count}.sqlite"
        db.parent.mkdir(parents=True, exist_ok=True)
        if not db.exists():
            t = time.perf_counter()
            write_synthetic_store(db, count)
            print(f"wrote {count:,} SYNTHETIC events to {db} in {time.perf_counter() - t:.1f} s")
        return f"sqlite:///{db}", db.parent
    store = EventStore(database_url)
    data_dir = ROOT / "var" / "bench" / f"postgres-{count}"
    data_dir.mkdir(parents=True, exist_ok=True)
    filled = store.get_meta("synthetic_count")
    if filled is None and store.report_count() == 0:
        t = time.perf_counter()
        fill_synthetic_store(store, count)
        store.set_meta("synthetic_count", str(count))
        print(f"wrote {count:,} SYNTHETIC events to {store.shown_url} in {time.perf_counter() - t:.1f} s")
    elif filled != str(count):
        raise SystemExit(
            f"{store.shown_url} holds other data ({store.report_count():,} reports, synthetic count "
            f"{filled}): give an empty database, or the one this benchmark filled with {count:,}"
        )
    return database_url, data_dir


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--first-page-only", action="store_true", help="only the first page, in the browser")
    ap.add_argument("--no-naive", action="store_true", help="skip the baseline (minutes at 1M events)")
    ap.add_argument(
        "--database-url",
        help="a PostgreSQL database to run on (postgresql+psycopg://...): filled with the synthetic "
        "events if empty; one this benchmark filled with another count is refused",
    )
    args = ap.parse_args()
    if args.first_page_only:
        report_first_page()
        return

    url, data_dir = synthetic_store(args.count, args.database_url)
    print(
        f"\nfilter change -> map + timeline figures, {args.count:,} synthetic events on "
        f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'} (median of {args.repeat})"
    )
    ours = bench_ours(url, data_dir, args.repeat)
    rss_ours = rss_mb()
    nan = (float("nan"), float("nan"))
    naive = {name: nan for name in QUERIES} if args.no_naive else bench_naive(url, args.repeat)
    print(
        f"  {'query':<26}{'ours ms':>9}{'p95 ms':>8}{'ours MB':>9}{'naive ms':>10}{'naive MB':>10}"
        f"{'x faster':>10}{'x smaller':>10}"
    )
    for name in QUERIES:
        (ms, mb), (nms, nmb) = ours[name], naive[name]
        print(
            f"  {name:<26}{ms:>9.0f}{P95[name]:>8.0f}{mb:>9.2f}{nms:>10.0f}{nmb:>10.2f}{nms / ms:>10.1f}"
            f"{nmb / max(mb, 1e-6):>10.1f}"
        )
    worst = max(v[0] for v in ours.values()), max(v[1] for v in ours.values())
    print(f"  worst case ours: {worst[0]:.0f} ms (budget 300), {worst[1]:.2f} MB (budget 3)")
    print(
        f"  process RSS after our callbacks: {rss_ours:.0f} MB; peak incl. baseline: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (budget 1024)"
    )
    if not args.no_browser:
        report_first_page()


def report_first_page() -> None:
    print("\nfirst page with the bundled data, Debian Chromium headless, 1400x1000 (median of 5)")
    res = first_page()
    if res:
        print(f"  event markers on screen {res[0]:.2f} s, every layer drawn (place names too) {res[1]:.2f} s")
        print(f"  (budget 3 s); the timeline's bars {res[2]:.2f} s")
        print(f"  page ran {res[4] or '(no plotly file seen)'}; server RSS {res[3]:.0f} MB")


if __name__ == "__main__":
    main()
