"""`conflictmap` command line: ingest, import-acled, import-ucdp, extract, evaluate, reextract, audit, export-gold, prepare, serve, zones, synth.

Reports go to stdout (rich tables), progress bars to stderr, logs through logging.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from conflictmap.config import Settings

console = Console()
err = Console(stderr=True)


@contextmanager
def progress_bar(label: str) -> Iterator:
    """A rich progress bar; yields a callback(done, total, what) for the pipeline."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[what]}"),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=None, what="")

        def update(done: int, total: int | None, what: str) -> None:
            bar.update(task, completed=done, total=total, what=Path(what).name[:40])

        yield update


# Exit status of `conflictmap ingest`, for scripts and cron jobs (documented in the README).
INGEST_OK, INGEST_REFUSED, INGEST_INCOMPLETE = 0, 1, 3


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap ingest`: store the articles named and print what was added, skipped and refused.

    Exit status for scripts: ``INGEST_OK`` (0), ``INGEST_REFUSED`` (1: some items refused, the
    rest stored) or ``INGEST_INCOMPLETE`` (3: the run stopped or left reports ungrouped; rerun it)."""
    from conflictmap.pipeline import ingest_paths
    from conflictmap.storage.store import EventStore

    store = EventStore(settings.db_url)
    max_errors = 0 if args.strict else args.max_errors
    with progress_bar("ingest") as update:
        report = ingest_paths(
            store,
            args.paths,
            progress=update,
            limits=settings.ingest_limits,
            max_errors=max_errors,
            settings=settings,
        )
    table = Table(title=f"Ingest report ({store.shown_url})")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("articles read", str(report.articles_read))
    table.add_row("articles added", str(report.articles_added))
    table.add_row("articles skipped (seen before)", str(len(report.articles_skipped)))
    table.add_row("events added", str(report.events_added))
    table.add_row("incidents in store (after grouping reports)", str(store.counts()["incidents"]))
    table.add_row("places not resolved to a town", str(len(report.unresolved)))
    table.add_row("items refused", str(len(report.errors)))
    table.add_row("events refused (date outside the window)", str(len(report.events_refused)))
    if report.not_stored:
        table.add_row("articles not stored (run stopped)", str(report.not_stored))
    console.print(table)
    for line in report.language_lines():  # per language, and any language no extractor reads
        unread = "no extractor" in line
        console.print(f"  {line}", markup=False, highlight=False, style="yellow" if unread else None)
    for u in report.unresolved[:50]:
        console.print(
            f"  unresolved: [bold]{u.location}[/] in {u.article_id}: {u.why}", markup=True, highlight=False
        )
    for origin, why in report.articles_skipped[:20]:
        console.print(f"  skipped: {origin}: {why}", markup=False)
    for e in report.errors:
        console.print(f"  refused: {e}", markup=False, highlight=False, style="red", soft_wrap=True)
    for e in report.events_refused:
        console.print(f"  refused: {e}", markup=False, highlight=False, style="red", soft_wrap=True)
    for line in report.webhook:  # saved views' webhook: what was sent, or why not (never fails the run)
        console.print(f"  webhook: {line}", markup=False, highlight=False, soft_wrap=True)
    if not report.complete or report.incidents_pending:
        lines = [f"STOPPED: {report.stopped}." if report.stopped else "NOT COMPLETE."]
        lines.append(f"Stored: {report.articles_added} new article(s) with {report.events_added} event(s).")
        if report.not_stored:
            lines.append(
                f"Not stored: {report.not_stored} article(s), from {report.first_not_stored} on. Free space "
                "(or fix the store) and run the same command again: stored articles are skipped, the rest go in."
            )
        for p in report.paths_not_read:
            lines.append(f"Not read: {p}")
        if report.incidents_pending:
            lines.append("Reports were not grouped into incidents yet; the next ingest does it.")
        console.print("\n".join(lines), markup=False, highlight=False, style="bold red", soft_wrap=True)
        return INGEST_INCOMPLETE
    if report.refused:
        console.print(
            f"{report.refused} item(s) refused (listed above); everything else was stored.",
            markup=False,
            highlight=False,
            style="yellow",
        )
        return INGEST_REFUSED
    return INGEST_OK


# Exit status of `conflictmap import-acled` / `import-ucdp` (documented in the README).
IMPORT_OK, IMPORT_REFUSED, IMPORT_UNREADABLE, IMPORT_NOT_STORED = 0, 1, 2, 3
IMPORT_LABELS = {"acled": "ACLED", "ucdp": "UCDP GED"}


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap import-acled|import-ucdp FILE...`: read a dataset's export files and store all
    their rows as that dataset's origin, replacing its previous import, then link them to ours.

    An import replaces the previous import of the same dataset (``EventStore.replace_origin``):
    re-importing a newer export is the normal way to update it, and rows ACLED or UCDP dropped
    leave with it. All files named are one import (a row in two files is stored once). Imported
    rows are never merged into our incidents; the links (same incident) are stored and counted.

    Exit status: ``IMPORT_OK`` (0); ``IMPORT_REFUSED`` (1: rows refused, listed, the rest stored);
    ``IMPORT_UNREADABLE`` (2: a file could not be read at all; nothing is stored and the previous
    import stays whole, since storing the other files alone would drop that file's rows);
    ``IMPORT_NOT_STORED`` (3: the store could not be written; the previous import stays)."""
    from conflictmap.ingest import acled, ucdp
    from conflictmap.ingest.tabular import ImportResult, combine
    from conflictmap.pipeline import STORAGE_ERRORS, refresh_cross_links
    from conflictmap.storage.store import EventStore

    origin: str = args.origin
    label = IMPORT_LABELS[origin]
    read = {"acled": acled.read_acled, "ucdp": ucdp.read_ucdp}[origin]
    results: list[ImportResult] = []
    with progress_bar(f"import-{origin}") as update:
        for n, path in enumerate(args.files):
            update(n, len(args.files), path)
            results.append(read(path, settings.ingest_limits))
            update(n + 1, len(args.files), path)
    found = combine(results)
    for result in results:
        for line in result.report():
            bad = line.startswith(("refused:", "not read:"))
            console.print(line, markup=False, highlight=False, soft_wrap=True, style="red" if bad else None)
    if any(r.problems for r in results):
        console.print(
            f"NOT STORED: {sum(1 for r in results if r.problems)} file(s) could not be read (above). "
            f"Nothing was stored; the previous {label} import stays as it was. An import replaces the "
            "whole dataset, so storing the other files alone would drop that file's rows.",
            markup=False,
            highlight=False,
            style="bold red",
            soft_wrap=True,
        )
        return IMPORT_UNREADABLE
    store = EventStore(settings.db_url)
    try:
        before = len(store.all_events(origin=origin))
        stored = store.replace_origin(origin, found)
    except STORAGE_ERRORS as exc:
        console.print(
            f"NOT STORED: the store cannot be written ({exc}); the previous {label} import stays.",
            markup=False,
            highlight=False,
            style="bold red",
            soft_wrap=True,
        )
        return IMPORT_NOT_STORED
    console.print(
        f"{label}: {stored} row(s) stored as origin {origin!r}, replacing the {before} of the previous import",
        markup=False,
        highlight=False,
    )
    try:
        links = [lk for lk in refresh_cross_links(store) if lk.origin == origin]
    except STORAGE_ERRORS as exc:
        console.print(
            f"links to our incidents not updated ({exc}); the next ingest or import updates them",
            markup=False,
            highlight=False,
            style="yellow",
        )
    else:
        console.print(
            f"{len(links)} of {stored} {label} row(s) are the same incident as one already in the store: "
            "linked, never merged",
            markup=False,
            highlight=False,
        )
        for lk in links[:20]:
            console.print(f"  {lk.label} = {lk.incident_id}: {lk.reason}", markup=False, highlight=False)
        if len(links) > 20:
            console.print(f"  ... and {len(links) - 20} more", markup=False)
    refused = sum(len(r.refused) for r in results)
    if refused:
        console.print(
            f"{refused} row(s) refused (listed above); every other row was stored.",
            markup=False,
            highlight=False,
            style="yellow",
        )
        return IMPORT_REFUSED
    return IMPORT_OK


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap extract`: articles JSONL to events JSONL with no store, for evaluation and debugging."""
    from conflictmap.extract_file import extract_jsonl

    with progress_bar("extract") as update:
        result = extract_jsonl(
            Path(args.input),
            Path(args.output),
            progress=lambda d, t: update(d, t, args.input),
            include_candidates=args.all,
        )
    console.print(result, markup=False)
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap evaluate`: score the extractor against gold files; exit 2 when the gold or the
    scorer cannot be used (``EvaluationError``), so a broken setup is never read as a score."""
    import json

    from conflictmap.evaluate import EvaluationError, evaluate, format_report

    if args.reviews:
        return _print_review_quality(settings)
    if not args.gold:
        err.print("evaluate: name gold file(s), or --reviews to judge from the store's reviews", markup=False)
        return 2
    try:
        result = evaluate(
            [Path(g) for g in args.gold],
            Path(args.scorer) if args.scorer else None,
            folds=args.folds,
            **({"threshold": args.threshold} if args.threshold is not None else {}),
        )
    except EvaluationError as exc:
        err.print(f"evaluate: {exc}", markup=False, highlight=False)
        return 2
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        console.print(
            format_report(result, tuple(args.hide_fold)), markup=False, highlight=False, soft_wrap=True
        )
    return 0


def _print_review_quality(settings: Settings) -> int:
    """`conflictmap evaluate --reviews`: the machine's precision from the store's reviewed incidents."""
    from conflictmap.review.quality import review_quality
    from conflictmap.storage.store import EventStore

    quality = review_quality(EventStore(settings.db_url))
    if not quality.overall.reviewed:
        console.print("no machine report is in a confirmed, corrected or rejected incident yet", markup=False)
        return 0

    def pct(p: float | None) -> str:
        return "-" if p is None else f"{p:.3f}"

    for title, tallies in (("extractor version", quality.by_version), ("event type", quality.by_type)):
        table = Table(title=f"Machine precision from reviews, by {title}")
        table.add_column(title)
        for col in ("reviewed", "right", "wrong", "precision"):
            table.add_column(col, justify="right")
        for key, t in sorted(tallies.items()):
            table.add_row(key, str(t.reviewed), str(t.right), str(t.wrong), pct(t.precision))
        o = quality.overall
        table.add_row("all", str(o.reviewed), str(o.right), str(o.wrong), pct(o.precision), style="bold")
        console.print(table)
    console.print(
        f"{quality.incidents} reviewed incident(s). Right: confirmed, or corrected with type, date "
        "and place left as read. Wrong: rejected, or corrected in type, date or place:",
        markup=False,
    )
    for why, n in quality.why_wrong.most_common():
        console.print(f"  {why}: {n}", markup=False, highlight=False)
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap audit`: the analysts' decisions as CSV, to a file or stdout (all, or one incident)."""
    from conflictmap.review.audit import audit_rows, write_audit_csv
    from conflictmap.storage.store import EventStore

    rows = audit_rows(EventStore(settings.db_url), args.incident)
    if args.out:
        with Path(args.out).open("w", encoding="utf-8", newline="") as fh:
            n = write_audit_csv(rows, fh)
        err.print(f"wrote {n} decision(s) to {args.out}", markup=False)
    else:
        write_audit_csv(rows, sys.stdout)
    return 0


def cmd_export_gold(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap export-gold`: reviewed articles and their events in the dev-corpus format."""
    from conflictmap.review.gold import export_gold
    from conflictmap.storage.store import EventStore

    counts = export_gold(EventStore(settings.db_url), Path(args.output))
    console.print(
        f"wrote {counts.articles} article(s) with {counts.events} gold event(s) to {args.output}",
        markup=False,
    )
    if counts.articles_left_out:
        console.print(
            f"left out {counts.articles_left_out} article(s) with incidents not reviewed yet "
            "(a gold article must list all its events)",
            markup=False,
        )
    if counts.events_without_article:
        console.print(
            f"left out {counts.events_without_article} event(s) added with no article (no text to score)",
            markup=False,
        )
    return 0


def cmd_reextract(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap reextract`: re-read stored articles with the current rules and print what changed.

    ``--dry-run`` only counts. Always exits 0: articles that failed are listed, their events kept."""
    from conflictmap.reextract import reextract
    from conflictmap.storage.store import EventStore

    store = EventStore(settings.db_url)
    with progress_bar("re-extract") as update:
        report = reextract(store, progress=update, dry_run=args.dry_run)
    table = Table(
        title=f"Re-extraction report ({'dry run, nothing written' if args.dry_run else store.shown_url})"
    )
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("articles read again", str(report.articles))
    table.add_row("extracted events before", str(report.events_before))
    table.add_row("extracted events after", str(report.events_after))
    table.add_row("added", str(len(report.added)))
    table.add_row("removed", str(len(report.removed)))
    table.add_row("changed", str(len(report.changed)))
    table.add_row("kept (decided by hand, or reviewed and not read again)", str(len(report.kept)))
    table.add_row("reviewed reports carried to their new reading", str(len(report.reattached)))
    table.add_row("articles that failed (events left as they were)", str(len(report.failed)))
    console.print(table)
    before = ", ".join(f"{v} ({n})" for v, n in sorted(report.versions_before.items())) or "none"
    console.print(f"extractor before: {before}; now: {report.version_after}", markup=False, highlight=False)
    fields: dict[str, int] = {}
    for _, diff in report.changed:
        for f in diff:
            fields[f] = fields.get(f, 0) + 1
    if fields:
        console.print(
            "changed fields: "
            + ", ".join(f"{f} {n}" for f, n in sorted(fields.items(), key=lambda x: -x[1])),
            markup=False,
            highlight=False,
        )
    for f in report.failed:
        console.print(f"  failed: {f}", markup=False, style="red")
    if report.incidents is not None:
        console.print(f"incidents after regrouping: {report.incidents}", markup=False)
    return 0


def cmd_prepare(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap prepare`: create the store and load the bundled data (idempotent).

    Problems (a missing or refused file) are printed and the exit status is 1, so a script sees
    the run was not whole; what could be loaded stays loaded."""
    from conflictmap.pipeline import prepare
    from conflictmap.storage.store import EventStore

    with progress_bar("prepare") as update:
        problems = prepare(settings, progress=update)
    for p in problems:
        console.print(f"problem: {p}", markup=False, style="yellow")
    store = EventStore(settings.db_url)
    console.print(f"store ready: {store.shown_url} {store.counts()}", markup=False)
    return 1 if problems else 0


def cmd_zones(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap zones`: validate a control-zones GeoJSON file without touching the store.

    Exit 1 when the file is refused; warnings alone still exit 0."""
    from conflictmap.geo.zones import ZonesError, load_zones

    try:
        loaded = load_zones(Path(args.path))
    except (ZonesError, OSError) as exc:
        console.print(f"refused: {exc}", markup=False, style="red")
        return 1
    for w in loaded.warnings:
        console.print(f"warning: {w}", markup=False, style="yellow")
    for z in loaded.zones:
        console.print(f"{z.zone_id}: {z.controller} {z.valid_from} -> {z.valid_to or 'open'}", markup=False)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap serve`: the dashboard's development server (gunicorn ``wsgi:server`` in
    production). The domain package never imports the web layer, so this hands the process over
    to ``python -m app`` (the same interpreter, settings and environment) instead of importing it."""
    import importlib.util

    if importlib.util.find_spec("app") is None:
        console.print("cannot serve: the dashboard module 'app' is not installed here", markup=False)
        return 2
    argv = [sys.executable, "-m", "app", "--host", args.host, "--port", str(args.port)]
    sys.stdout.flush()
    os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter and module, fixed arguments
    return 0  # pragma: no cover - execv does not return


def cmd_synth(args: argparse.Namespace, settings: Settings) -> int:
    """`conflictmap synth`: a store of made-up events for benchmarks; never mix it with real data."""
    from conflictmap.synthetic import write_synthetic_store

    path = write_synthetic_store(Path(args.output), args.count, seed=args.seed, settings=settings)
    console.print(
        f"wrote {args.count} SYNTHETIC events to {path} (never mix it with real data)", markup=False
    )
    return 0


def _non_negative(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, got {value!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand; each sets ``func`` to the ``cmd_*`` that runs it."""
    ap = argparse.ArgumentParser(prog="conflictmap", description=__doc__.split("\n")[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser(
        "ingest", help="read articles (files, folders, JSON Lines, RSS/Atom, URLs) into the store"
    )
    p.add_argument("paths", nargs="+")
    strict = p.add_mutually_exclusive_group()
    strict.add_argument(
        "--strict", action="store_true", help="stop at the first refused item (same as --max-errors 0)"
    )
    strict.add_argument(
        "--max-errors",
        type=_non_negative,
        metavar="N",
        help="stop once more than N items were refused (default: read everything, exit 1 if any was)",
    )
    p.set_defaults(func=cmd_ingest)
    for origin, label in IMPORT_LABELS.items():
        p = sub.add_parser(
            f"import-{origin}",
            help=f"store {label} export CSV file(s) as origin {origin!r}, replacing its previous import "
            "(never merged with our incidents, linked to them; see docs/imports.md)",
        )
        p.add_argument("files", nargs="+", metavar="FILE")
        p.set_defaults(func=cmd_import, origin=origin)
    p = sub.add_parser("extract", help="articles JSONL -> events JSONL (offline, no database)")
    p.add_argument("input")
    p.add_argument("--output", "-o", required=True)
    p.add_argument(
        "--all",
        action="store_true",
        help="also write low-confidence candidates (below the default threshold), with their confidence",
    )
    p.set_defaults(func=cmd_extract)
    p = sub.add_parser("evaluate", help="score the extractor against gold events (per file, per fold)")
    p.add_argument("gold", nargs="*", help="gold JSONL file(s)")
    p.add_argument(
        "--reviews",
        action="store_true",
        help="instead of gold files: the machine's precision from the store's reviewed incidents",
    )
    p.add_argument("--scorer", help="path to score_events.py (default: ../shared/tools/score_events.py)")
    p.add_argument("--folds", type=int, default=0, help="split articles into K folds by a hash of their id")
    p.add_argument("--threshold", type=float, help="score events at or above this confidence")
    p.add_argument(
        "--hide-fold",
        type=int,
        action="append",
        default=[],
        help="do not list the articles of this fold (the fold kept unread)",
    )
    p.add_argument("--json", action="store_true", help="print the whole result as JSON")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser(
        "reextract", help="re-run the current extractor over stored articles and report what changed"
    )
    p.add_argument("--dry-run", action="store_true", help="count the changes, write nothing")
    p.set_defaults(func=cmd_reextract)
    p = sub.add_parser("audit", help="write the analysts' decisions (the audit trail) as CSV")
    p.add_argument("--out", "-o", help="write to this file (default: stdout)")
    p.add_argument("--incident", help="only this incident's history")
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser(
        "export-gold", help="write reviewed articles and their events as a gold corpus (dev-corpus format)"
    )
    p.add_argument("output")
    p.set_defaults(func=cmd_export_gold)
    p = sub.add_parser(
        "prepare", help="create the store and load the bundled data (idempotent; upgrades its schema)"
    )
    p.set_defaults(func=cmd_prepare)
    p = sub.add_parser("zones", help="validate a control-zones GeoJSON file")
    p.add_argument("path")
    p.set_defaults(func=cmd_zones)
    p = sub.add_parser("serve", help="serve the dashboard")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("synth", help="write a store of SYNTHETIC events for benchmarks")
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--output", default="var/synthetic.sqlite")
    p.set_defaults(func=cmd_synth)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``conflictmap`` console script; returns the exit status.

    A setting in the environment that cannot be read exits 2 with its name, before any command runs."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a setting from the environment that cannot be read: say which
        print(f"conflictmap: {exc}", file=sys.stderr)
        return 2
    status = int(args.func(args, settings) or 0)
    if args.func in (cmd_ingest, cmd_import, cmd_prepare, cmd_reextract):
        publish_index(settings)
    return status


def publish_index(settings: Settings) -> None:
    """After a write, build the store version's shared incident table (``read.columnar``) so
    the dashboard's workers map it instead of building it when the next request comes. A
    failure is said and never fails the write: the first worker that needs it builds it."""
    import time

    from conflictmap.read.columnar import open_version
    from conflictmap.storage.store import EventStore

    started = time.perf_counter()
    try:
        store = EventStore(settings.db_url)
        # Written here, not mapped: this command ends, the dashboard's workers read it.
        _, version, how, _ = open_version(
            settings.effective_index_dir,
            store,
            settings.show_reference,
            store.version(),
            child_above=None,
            read=False,
        )
        if how == "mapped":  # already there (a worker, or an earlier command, wrote it)
            return
    except Exception as exc:  # noqa: BLE001 - the store write already succeeded; say and go on
        console.print(f"incident index not built ({exc}); the dashboard builds it itself", markup=False)
        return
    console.print(
        f"incident index of store version {version} ready for the dashboard ({how} in "
        f"{time.perf_counter() - started:.1f} s): {settings.effective_index_dir}",
        markup=False,
    )


if __name__ == "__main__":
    sys.exit(main())
