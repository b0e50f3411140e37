"""Export times of the map as PNG, SVG and PDF (1400x1000 briefing graphic), cold and warm, with the
bundled data and with 100,000 SYNTHETIC events, plus the one-page briefing PDF.

cold = a fresh Chromium (kaleido start) plus the first render; warm = median of later renders
with the browser already running (what every export after the first one costs in a worker).
Each warm export is timed as the app draws it (the map flattened to 2D vector shapes,
components/flat_map.py) and as it was drawn before (a WebGL map in the export browser), with
the ratio between them. The 100k default view is the density layer; "zoomed" is a link at zoom
10.5 over the river, where circles are drawn.

usage: python benchmarks/bench_export.py [--count 100000] [--repeat 3]
Prints figures; asserts nothing (timings on a shared machine are not tests).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE = "http://127.0.0.1:8050/"


def bench(label: str, settings, repeat: int) -> None:
    from components.service_access import serving
    from conflictmap.export import snapshot

    with serving(settings) as svc:
        _bench(label, svc, repeat, snapshot)


def _bench(label: str, svc, repeat: int, snapshot) -> None:
    """Cold start, then each export warm, inside the app context ``bench`` opened."""
    from components import exports as routes

    n = len(svc.index())
    snapshot.get_renderer().close()
    t0 = time.perf_counter()
    snapshot.get_renderer().ensure_started()
    start = time.perf_counter() - t0
    t0 = time.perf_counter()
    routes.image_export("map", "png", "", BASE)
    first = time.perf_counter() - t0
    from components import flat_map

    print(f"\n{label}: {n:,} incidents")
    print(f"  cold: browser start {start:.1f} s + first PNG {first:.1f} s = {start + first:.1f} s")
    print(f"  {'warm export':<26} {'flat (ours)':>12} {'WebGL map':>10} {'ratio':>6}  size")
    flatten = flat_map.flatten
    for query, view in (("", "default view"), ("lat=35.0&lon=40.6&zoom=10.5", "zoomed")):
        for what, fmt in (
            ("map", "png"),
            ("map", "svg"),
            ("map", "pdf"),
            ("timeline", "png"),
            ("briefing", "pdf"),
        ):
            if view == "zoomed" and what == "timeline":
                continue
            medians, size = [], 0
            for draw in (flatten, lambda _fig: None):
                flat_map.flatten = draw  # the baseline: every map left to MapLibre
                times = []
                try:
                    for _ in range(repeat):
                        t0 = time.perf_counter()
                        art = routes.image_export(what, fmt, query, BASE)
                        times.append(time.perf_counter() - t0)
                        size = size or len(art.body)
                finally:
                    flat_map.flatten = flatten
                medians.append(statistics.median(times))
            print(
                f"  {view + ' ' + what + '.' + fmt:<26} {medians[0]:>10.2f} s {medians[1]:>8.2f} s"
                f" {medians[1] / medians[0]:>5.1f}x  {size / 1024:,.0f} KB"
            )
    t0 = time.perf_counter()
    routes.data_export("csv", "")
    print(f"  events.csv (first page) {time.perf_counter() - t0:.2f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from conflictmap.config import Settings
    from conflictmap.pipeline import prepare
    from conflictmap.synthetic import write_synthetic_store

    with tempfile.TemporaryDirectory() as tmp:
        bundled = Settings(data_dir=Path(tmp) / "bundled")
        bundled.data_dir.mkdir()
        prepare(bundled)
        bench("bundled data", bundled, args.repeat)
        db = write_synthetic_store(Path(tmp) / "syn.sqlite", args.count)
        synthetic = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{db}")
        bench(f"{args.count:,} SYNTHETIC events", synthetic, args.repeat)
    from conflictmap.export import snapshot

    snapshot.get_renderer().close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
