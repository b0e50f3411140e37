"""A team's server while reports arrive (issue 11, item 6): gunicorn with 3 workers on a store of
SYNTHETIC events, one ``conflictmap ingest`` run beside it, and filter changes sent the whole time.

usage: python benchmarks/bench_live_ingest.py [--count 100000] [--workers 3] [--articles 1]

Prints: gunicorn's boot (until every worker has answered a filter with its index built) and each
worker's memory; filter-change latency before the ingest (p50/p95); the ingest's own time; the
slowest and p95 filter change while it ran and while the workers took the new store version
in; how long after the ingest ended the new report was found by a filter; and gunicorn's boot
again after a restart, when the store version's incident table is already on disk. Memory is
each worker's own heap plus mapped files (the shared incident table, read/columnar.py). A filter change
here is ``GET api/events.csv?<filters>&limit=1`` with a filter never asked before (the view
memo cannot answer it): the same server-side path as the dashboard's map callback (mask, map
groups, timeline bins) plus one CSV row, so it says what a user waits for on the data side.

The reports ingested are invented here (benchmarks/bench_ingest.py's feed writer). Prints
figures; asserts nothing (timings on a shared machine are not tests).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

OUTLETS = ("Bench Wire", "Bench Post", "Bench Monitor")  # the invented feed's outlets, nowhere else


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workers_of(master: int) -> list[int]:
    """The gunicorn master's worker processes."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().split(") ")[1].split()[1]) == master:
                    out.append(int(d.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def get(url: str, timeout: float = 300) -> tuple[float, int]:
    """Seconds taken and the X-Total-Count the API answered."""
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - our own server on 127.0.0.1
        resp.read()
        total = int(resp.headers.get("X-Total-Count") or 0)
    return time.perf_counter() - t, total


class Prober(threading.Thread):
    """Sends filter changes one after another, each a filter not asked before, and keeps
    (start time, latency) of each."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.n = 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.n += 1
            # A new minimum toll and year each time: never in any worker's view memo.
            year = 2017 + self.n % 9
            query = f"start={year}-01-01&end={year}-12-31&minfat={self.n}&limit=1"
            started = time.perf_counter()
            try:
                took, _ = get(f"{self.base}api/events.csv?{query}")
            except OSError as exc:
                print(f"  a filter change failed: {exc}")
                took = time.perf_counter() - started
            self.samples.append((started, took))
            time.sleep(0.05)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--articles", type=int, default=1)
    args = ap.parse_args()

    from bench_ingest import write_feed

    from conflictmap.pipeline import regroup_all
    from conflictmap.storage.store import EventStore
    from conflictmap.synthetic import write_synthetic_store

    db = ROOT / "var" / "bench" / f"live-{args.count}.sqlite"
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    t = time.perf_counter()
    write_synthetic_store(db, args.count)
    store = EventStore(f"sqlite:///{db}")
    regroup_all(store)  # the state an earlier ingest leaves: the next one regroups incrementally
    store.engine.dispose()
    store.writer.dispose()
    print(f"{args.count:,} SYNTHETIC events written and grouped in {time.perf_counter() - t:.1f} s")
    data_dir = Path(tempfile.mkdtemp(prefix="bench-live-"))
    env = dict(
        os.environ,
        CONFLICTMAP_DATA_DIR=str(data_dir),
        CONFLICTMAP_DATABASE_URL=f"sqlite:///{db}",
        PYTHONUNBUFFERED="1",
    )
    conflictmap = str(Path(sys.executable).with_name("conflictmap"))
    # A team's store as the README sets it up: prepared once (schema, zones, the bundled
    # reports: a full regrouping), then grouped by an ingest. Neither is measured; both leave
    # the store version's incident table on disk, as every write does.
    t = time.perf_counter()
    subprocess.run([conflictmap, "prepare"], cwd=ROOT, env=env, capture_output=True, check=False)  # noqa: S603
    settle = write_feed(data_dir / "settle.jsonl", 1, 3, "settle")
    subprocess.run(  # noqa: S603
        [conflictmap, "ingest", str(settle)], cwd=ROOT, env=env, capture_output=True, check=False
    )
    print(f"prepared and one ingest, not measured: {time.perf_counter() - t:.1f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    server, up, booted = boot(args.workers, port, env, data_dir / "gunicorn.log")
    try:
        pids = workers_of(server.pid)
        print(
            f"gunicorn, {args.workers} workers: answering after {up:.1f} s, every worker's index ready "
            f"after {booted:.1f} s; memory per worker " + memory_line(pids)
        )
        time.sleep(5)

        prober = Prober(base)
        prober.start()
        time.sleep(8)
        before = [s[1] for s in prober.samples]
        feed = write_feed(data_dir / "live.jsonl", args.articles, 7, "live")
        ingest_started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own command line
            [conflictmap, "ingest", str(feed)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        ingest_ended = time.perf_counter()
        if done.returncode:
            print(f"ingest exited {done.returncode}: {done.stderr[-400:]}")
        visible_after = None
        while time.perf_counter() - ingest_ended < 300:
            outlets = "&".join(f"outlet={urllib.parse.quote(o)}" for o in OUTLETS)
            _, total = get(f"{base}api/events.csv?{outlets}&limit=1")
            if total:
                visible_after = time.perf_counter() - ingest_ended
                break
            time.sleep(0.2)
        time.sleep(5)  # every worker takes the new version in on its next request
        prober.stop.set()
        prober.join()
        during = [took for started, took in prober.samples if started >= ingest_started]
        print(
            f"filter change before the ingest: p50 {1000 * statistics.median(before):.0f} ms, "
            f"p95 {1000 * pct(before, 95):.0f} ms ({len(before)} changes)"
        )
        print(
            f"ingest of {args.articles} article(s): {ingest_ended - ingest_started:.1f} s (a separate process)"
        )
        print(
            f"filter change from the ingest's start until 5 s after its report was visible: "
            f"slowest {1000 * max(during):.0f} ms, p95 {1000 * pct(during, 95):.0f} ms, "
            f"p50 {1000 * statistics.median(during):.0f} ms ({len(during)} changes)"
        )
        slow = sorted((took, started) for started, took in prober.samples if started >= ingest_started)[-3:]
        print(
            "  the slowest began "
            + ", ".join(
                f"{started - ingest_ended:+.1f} s ({1000 * took:.0f} ms)" for took, started in reversed(slow)
            )
            + " from the ingest's end"
        )
        if visible_after is None:
            print("the new report was not found within 300 s of the ingest's end")
        else:
            print(f"the new report was found by a filter {visible_after:.2f} s after the ingest ended")
        print("memory per worker after: " + memory_line(workers_of(server.pid)))
    finally:
        stop(server)
    # A restart (a deploy, a crash): the store version's table is on disk, every worker maps it.
    server, up, booted = boot(args.workers, port, env, data_dir / "gunicorn-restart.log")
    try:
        print(
            f"restarted with the table on disk: answering after {up:.1f} s, every worker ready after "
            f"{booted:.1f} s; memory per worker " + memory_line(workers_of(server.pid))
        )
    finally:
        stop(server)


def memory_line(pids: list[int]) -> str:
    """Each worker's resident memory, as its own heap + mapped files (the shared index and the
    program's files, held once on the machine): ``bench_dashboard.memory_mb``."""
    from bench_dashboard import memory_mb

    parts = []
    for pid in pids:
        rss, own, mapped = memory_mb(pid)
        parts.append(f"{rss:.0f} MB ({own:.0f} own + {mapped:.0f} mapped)")
    return ", ".join(parts)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def boot(
    workers: int, port: int, env: dict[str, str], log_path: Path
) -> tuple[subprocess.Popen, float, float]:
    """Start gunicorn (the README's command line) and wait until every worker answers a filter
    fast; returns the server, when it first answered and when every worker was warm (seconds)."""
    base = f"http://127.0.0.1:{port}/"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    log = log_path.open("w")
    t0 = time.perf_counter()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, the README's command line
        [
            gunicorn,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--timeout",
            "120",
            "wsgi:server",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    while True:
        try:
            get(f"{base}api/meta", timeout=5)
            break
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn stopped: see {log_path}") from None
            time.sleep(0.5)
    up = time.perf_counter() - t0
    # Ask twice as many at once as there are workers, round after round, until the answers
    # come fast (every worker warm). Warm when two rounds in a row answer fast: one can miss one.
    rounds = fast = 0
    while True:
        rounds += 1
        took: list[float] = []

        def ask(i: int, sink: list[float] = took, n: int = rounds) -> None:
            sink.append(get(f"{base}api/events.csv?minfat={100 * n + i}&limit=1")[0])

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(workers * 2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        fast = fast + 1 if max(took) < 1.0 else 0
        if fast == 2 or rounds > 60:
            break
    return server, up, time.perf_counter() - t0


if __name__ == "__main__":
    main()
