"""Extraction speed on ~2,000-character report-like texts, one core, model load excluded.

usage: python benchmarks/bench_extract.py [--articles N] [--rounds R]

The texts are assembled from short sentences written for this benchmark (never copied from the
corpus), in the shape of wire reports: dateline, attack with date and place, casualty follow-up,
statements, background. Prints articles per second of CPU time (best of R rounds; the process
runs on one core) beside the wall-clock figure, and the events found.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import date, timedelta

from conflictmap.extract import extract_article, warm_up
from conflictmap.geo.gazetteer import load_gazetteer
from conflictmap.models import Article

TOWNS = [
    "Hajin",
    "Diban",
    "Al-Shuhayl",
    "Al-Busayrah",
    "Abu Hamam",
    "Gharanij",
    "Al-Mayadin",
    "Al-Susah",
    "Khasham",
]
ACTORS = [
    "the SDF",
    "Arab tribal fighters",
    "ISIS cells",
    "regime forces",
    "Iran-backed militias",
    "US forces",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TEMPLATES = [
    "{a} clashed with {b} in {t} on {d}, local sources said.",
    "At least {n} fighters were killed in the fighting.",
    "A drone strike hit a vehicle near {t} overnight, killing {n} people.",
    "{a} said on {d} it had arrested {n} suspects during a raid in {t}.",
    "Residents of {t} staged a protest against {a} on {d}.",
    "The spokesman said the group would respond to any attack on its positions.",
    "Control of the province is split between {a} and {b}, with the river as the line.",
    "Shelling by {a} targeted the outskirts of {t} on {d}, a monitor reported.",
    "No casualties were reported in the attack, according to a statement.",
    "The area has seen repeated tensions since the start of the year.",
    "Officials did not comment on the reports when contacted on {d}.",
    "{a} imposed a curfew in {t} after the clashes, the group announced.",
]


def make_article(i: int, rng: random.Random, size: int = 2000) -> Article:
    parts = ["DEIR EZ-ZOR, Syria -"]
    while sum(len(p) + 1 for p in parts) < size:
        a, b = rng.sample(ACTORS, 2)
        tmpl = rng.choice(TEMPLATES)
        parts.append(
            tmpl.format(a=a, b=b, t=rng.choice(TOWNS), d=rng.choice(DAYS), n=rng.randint(2, 30)).capitalize()
        )
    text = " ".join(parts)[:size]
    return Article(f"bench-{i}", None, "bench", None, date(2023, 1, 1) + timedelta(days=i), text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(7)  # noqa: S311 - reproducible test texts, not security
    articles = [make_article(i, rng) for i in range(args.articles)]
    gaz = load_gazetteer()
    warm_up()
    best = best_cpu = float("inf")
    events = 0
    for _ in range(args.rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        events = sum(len(extract_article(a, gaz)) for a in articles)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    chars = sum(len(a.text) for a in articles) / len(articles)
    # CPU time is what one core spends; on a shared machine wall time also counts the waits
    print(
        f"{len(articles) / best_cpu:.1f} articles/s of CPU time on one core "
        f"({len(articles) / best:.1f} by wall clock; {len(articles)} articles of ~{chars:.0f} chars, "
        f"best of {args.rounds} rounds, {events} events, load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
