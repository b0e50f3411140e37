"""De-duplication speed: the (day, cell) grid against comparing every pair.

usage: python benchmarks/bench_dedupe.py [--events N] [--naive-events M]

Prints seconds and events per second for ``cluster_incidents`` on N synthetic events spread
over the bundled gazetteer's towns, and the same on M events with every pair compared (the
naive baseline), with the ratio of the two per-event costs. Synthetic events only
(conflictmap.synthetic): the figures are about the algorithm, not about any report.
"""

from __future__ import annotations

import argparse
import time
from itertools import combinations

import conflictmap.incidents.dedupe as dedupe
from conflictmap.geo.gazetteer import load_gazetteer
from conflictmap.synthetic import synthetic_events


def _places() -> list[tuple[str, str, float, float]]:
    gaz = load_gazetteer()
    return [
        (p.place_id, p.name, p.latitude, p.longitude)
        for p in gaz.places
        if p.kind in ("town", "village", "city")
    ]


def _timed(events: list, naive: bool) -> tuple[float, int]:
    grid = dedupe._candidate_pairs
    if naive:
        dedupe._candidate_pairs = lambda evs, _km: combinations(range(len(evs)), 2)  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        out = dedupe.cluster_incidents(events)
        return time.perf_counter() - t0, len({inc for inc, _ in out.values()})
    finally:
        dedupe._candidate_pairs = grid  # type: ignore[assignment]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--naive-events", type=int, default=3_000)
    args = ap.parse_args()
    places = _places()
    big = synthetic_events(args.events, seed=3, places=places)
    small = synthetic_events(args.naive_events, seed=3, places=places)
    grid_s, grid_inc = _timed(big, naive=False)
    grid_small_s, grid_small_inc = _timed(small, naive=False)
    naive_s, naive_inc = _timed(small, naive=True)
    assert naive_inc == grid_small_inc, "the grid and the naive pass disagree"
    print(
        f"grid:  {args.events:>7} events  {grid_s:6.2f} s  {args.events / grid_s:10.0f} events/s  {grid_inc} incidents"
    )
    print(
        f"grid:  {args.naive_events:>7} events  {grid_small_s:6.2f} s  {args.naive_events / grid_small_s:10.0f} events/s"
    )
    print(
        f"naive: {args.naive_events:>7} events  {naive_s:6.2f} s  {args.naive_events / naive_s:10.0f} events/s (every pair)"
    )
    print(f"per-event cost, naive / grid at {args.naive_events} events: {naive_s / grid_small_s:.1f}x")
    pairs_big = args.events * (args.events - 1) / 2
    pairs_small = args.naive_events * (args.naive_events - 1) / 2
    print(
        f"naive at {args.events} events, extrapolated by pairs: {naive_s * pairs_big / pairs_small / 3600:.1f} h"
    )


if __name__ == "__main__":
    main()
