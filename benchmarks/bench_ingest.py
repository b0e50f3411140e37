"""Ingest into a large store, measured (issue 11, item 2): one article, and 2,000, into SYNTHETIC
stores of 10k/100k/300k events, against the naive baseline of regrouping every report.

usage: python benchmarks/bench_ingest.py [--sizes 10k,100k] [--articles 2000] [--keep DIR]

(a) one article into the store: seconds in total and in the regrouping, reports reclustered, rows
written, store versions moved. (b) ``--articles`` articles into the store and into an empty one:
their ratio (target < 2x). Beside them, the full regrouping (``pipeline.regroup_all``) of the
same store: what every ingest cost before. Target: one article into 300k visible within 2 s.

The feed is invented here: short English reports shaped like news from Deir ez-Zor's towns,
never real text. Prints figures; asserts nothing (timings on a shared machine are not tests).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOWNS = ["Diban", "Hajin", "Mayadin", "al-Busayrah", "Shuhayl", "Hawaij", "al-Kishkiyah", "Gharanij", "Susah"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
STORIES = [
    (
        "Clash in {town}",
        "SDF fighters clashed with pro-regime National Defense Forces in {town} on {day}, "
        "residents said. {n} fighters were killed.",
    ),
    (
        "Drone strike near {town}",
        "A drone strike hit a car in {town} on {day}, killing {n} men, a local activist said.",
    ),
    (
        "Protest in {town}",
        "Dozens of residents protested peacefully in {town} on {day} against power cuts and fuel "
        "prices, witnesses said.",
    ),
    (
        "Arrests in {town}",
        "SDF security forces arrested {n} young men in a raid on {town} on {day}, relatives said.",
    ),
    (
        "Shelling hits {town}",
        "Regime artillery shelled the outskirts of {town} on {day}, wounding {n} civilians, a "
        "medical source said.",
    ),
]


def write_feed(path: Path, count: int, seed: int, tag: str) -> Path:
    """``count`` invented reports as JSON Lines, dated across the synthetic store's years."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not security
    start = date(2017, 1, 1)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            title, body = rng.choice(STORIES)
            town, day, n = rng.choice(TOWNS), rng.choice(DAYS), rng.randint(2, 9)
            published = start + timedelta(days=rng.randrange(2900))
            row = {
                "id": f"bench-{tag}-{i}",
                "url": f"https://example.org/bench/{tag}/{i}",
                "source": rng.choice(["Bench Wire", "Bench Post", "Bench Monitor"]),
                "title": title.format(town=town),
                "publication_date": published.isoformat(),
                "text": title.format(town=town)
                + "\n"
                + body.format(town=town, day=day, n=n)
                + f" (Invented report {tag}-{i} for a benchmark.)",
            }
            fh.write(json.dumps(row) + "\n")
    return path


def copy_store(src: Path, dst: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{src}{suffix}").exists():
            shutil.copy(f"{src}{suffix}", f"{dst}{suffix}")
    return dst


def ingest(db: Path, feed: Path) -> dict[str, float | int | str]:
    from conflictmap.pipeline import ingest_paths
    from conflictmap.storage.store import EventStore

    store = EventStore(f"sqlite:///{db}")
    before = store.version()
    started = time.perf_counter()
    report = ingest_paths(store, [feed])
    total = time.perf_counter() - started
    regroup = report.regrouping
    out: dict[str, float | int | str] = {
        "total_s": total,
        "regroup_s": regroup.seconds if regroup else 0.0,
        "mode": regroup.mode if regroup else "-",
        "reached": regroup.reports if regroup else 0,
        "rows_written": regroup.rows_written if regroup else 0,
        "versions": store.version() - before,
        "articles": report.articles_added,
        "events": report.events_added,
    }
    store.engine.dispose()
    store.writer.dispose()
    return out


def bench(size: int, articles: int, folder: Path, empty_ratio_base: dict | None) -> dict:
    from conflictmap.pipeline import regroup_all
    from conflictmap.storage.store import EventStore
    from conflictmap.synthetic import write_synthetic_store

    base = folder / f"base-{size}.sqlite"
    t = time.perf_counter()
    write_synthetic_store(base, size)
    built = time.perf_counter() - t
    store = EventStore(f"sqlite:///{base}")
    full = regroup_all(store)  # the naive baseline, and the grouped state every ingest starts from
    store.engine.dispose()
    store.writer.dispose()
    print(f"\n== {size:,} synthetic events (built in {built:.1f} s)")
    print(f"full regrouping (every ingest before): {full.seconds:.2f} s, {full.incidents:,} incidents")

    one = ingest(
        copy_store(base, folder / f"one-{size}.sqlite"), write_feed(folder / "one.jsonl", 1, 1, "one")
    )
    print(
        f"(a) one article: {one['total_s']:.2f} s total, {one['regroup_s']:.3f} s regrouping "
        f"({one['mode']}, {one['reached']} report(s) reclustered, {one['rows_written']} row(s) "
        f"written), {one['events']} event(s), version moved {one['versions']}x"
    )
    feed = write_feed(folder / "many.jsonl", articles, 2, "many")
    many = ingest(copy_store(base, folder / f"many-{size}.sqlite"), feed)
    empty = empty_ratio_base or ingest(folder / f"empty-{size}.sqlite", feed)
    ratio = float(many["total_s"]) / float(empty["total_s"])
    print(
        f"(b) {articles} articles: {many['total_s']:.2f} s into the store "
        f"({many['regroup_s']:.2f} s regrouping, {many['mode']}, {many['reached']} reclustered, "
        f"{many['rows_written']} written, version moved {many['versions']}x) vs "
        f"{empty['total_s']:.2f} s into an empty store: {ratio:.2f}x (target < 2x)"
    )
    print(f"    naive baseline for the same run: + {full.seconds:.2f} s full regrouping")
    return empty


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k", help="store sizes, e.g. 10k,100k,300k")
    ap.add_argument("--articles", type=int, default=2000, help="articles in the batch run (b)")
    ap.add_argument("--keep", type=Path, help="folder for the stores (default: a temporary one)")
    args = ap.parse_args()
    sizes = [
        int(float(s.lower().rstrip("k")) * 1000) if s.lower().endswith("k") else int(s)
        for s in args.sizes.split(",")
    ]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    folder.mkdir(parents=True, exist_ok=True)
    # Warm-up: the gazetteer and the extractor's tables load once a process (about as long as a
    # small ingest); a server or a long-running ingest has paid that already.
    warm = ingest(folder / "warm.sqlite", write_feed(folder / "warm.jsonl", 1, 9, "warm"))
    print(f"first ingest of the process (tables loading): {warm['total_s']:.2f} s, not counted below")
    empty = None
    for size in sizes:
        empty = bench(size, args.articles, folder, empty)  # the empty-store run is done once
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
