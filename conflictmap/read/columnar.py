"""The incident index as one Arrow file per store version, shared by every process on a machine.

Why a file: each gunicorn worker used to read every report and build its own incident table,
so a machine held one copy per worker (2.9 GB each at a million events), a worker's boot took
a minute, and every store change set all workers rebuilding at once. Now the first process to
need a version builds it once, under a file lock, and writes it as an uncompressed Arrow IPC
file; every process then maps that file. Mapped columns are shared through the page cache:
numbers and long texts are read in place (no copy), repeated texts (types, actors, places)
are stored once per distinct value with small integer codes, and a worker's private memory no
longer grows with the store.

A file is named by the store's identity (``EventStore.store_id``, so a store recreated at the
same address never reads an old file), what it shows (reference facts or not), the version
counter and a digest of the code that derives the table: a new release never reads a file an
older one wrote. Files of older versions are removed once a newer one is written; a process
still mapping one keeps reading it (the name goes, the data stays until it is unmapped).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from conflictmap.read.arrowfile import write_atomically
from conflictmap.read.words import SUFFIX as WORDS_SUFFIX
from conflictmap.read.words import (
    WORDS_OF,
    WordIndex,
    build_words,
    derive_words,
    read_words,
    words_file,
    write_words,
)

if TYPE_CHECKING:
    from conflictmap.storage.store import EventStore

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A short digest of the code that makes the incident table, read once per process: every
    module of the package (the table depends on the store's reading, reviews, zones, the
    confidence threshold, the event types ...) and the pandas and pyarrow versions. A worker
    still running the previous release during a deploy keeps naming its files by the code it
    runs; a new release builds its first table in full, once."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(f"pandas {pd.__version__} pyarrow {pa.__version__}".encode())
    for module in sorted(root.rglob("*.py")):
        h.update(module.relative_to(root).as_posix().encode())
        h.update(module.read_bytes())
    return h.hexdigest()[:12]


def index_file(directory: Path, store: EventStore, show_reference: bool, version: int) -> Path:
    """Where the incident table of one store version lives. Named by the store's id and address
    (a copy of a SQLite file keeps the id, not the path), the view, the code and the version."""
    where = hashlib.sha256(store.shown_url.encode()).hexdigest()[:8]
    shown = "all" if show_reference else "noref"
    return directory / f"incidents-{store.store_id()}{where}-{shown}-{code_digest()}-v{version}.arrow"


def to_arrow(frame: pd.DataFrame, like: pa.Schema | None = None) -> pa.Table:
    """The frame as an Arrow table laid out for mapping in place.

    Floats keep NaN as a value (a null would make pandas copy the column to put NaN back);
    texts with fewer distinct values than a tenth of the rows (or than half, when they are at
    most 4,096) are dictionary-encoded (they come back as pandas categoricals: one string per
    distinct value, one small code per row); other texts are large strings, read in place. The
    tenth: each distinct value becomes a Python string in every worker, and a column of one
    value per two rows (an article's id) cost 22 MB a worker at 1M incidents as a categorical.
    With ``like`` (the previous version's schema, when rows are added to it) each column follows
    that schema's layout, and a column the frame lacks is all nulls."""
    columns: dict[str, pa.Array] = {}
    for name in like.names if like is not None else frame.columns:
        want = like.field(name).type if like is not None else None
        if name not in frame.columns:
            columns[name] = pa.nulls(len(frame), type=want)
            continue
        columns[name] = _column(frame[name], want)
    return pa.table(columns)


def _column(series: pd.Series, want: pa.DataType | None) -> pa.Array:
    """One column as Arrow (``to_arrow``), in the layout ``want`` names when it is given."""
    if want is not None and not pa.types.is_floating(want) and not series.notna().any():
        return pa.nulls(len(series), type=want)  # no rows, or all blank: nothing to infer from
    if pd.api.types.is_datetime64_any_dtype(series):
        out = pa.array(series.to_numpy(dtype="datetime64[s]"))
    elif pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        out = pa.array(series.to_numpy(), from_pandas=False)
    elif want is not None and (pa.types.is_dictionary(want) or pa.types.is_large_string(want)):
        out = _text(series)
        return out.dictionary_encode() if pa.types.is_dictionary(want) else out
    elif want is None and _is_text(series):
        out = _text(series)
        distinct = series.nunique(dropna=True) if len(series) else 0
        if len(series) and (distinct * 10 < len(series) or (distinct <= 4096 and distinct * 2 < len(series))):
            out = out.dictionary_encode()
        return out
    elif want is None and not series.notna().any():
        return _blank(series.name, len(series))
    else:  # mixed (numbers kept as objects): let Arrow infer, as pandas would
        out = pa.array(series.astype(object).where(series.notna(), None), from_pandas=True)
    if want is not None and out.type != want and not pa.types.is_null(want):
        try:
            out = out.cast(want)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # concat_tables' permissive promotion reconciles it
    return out


def _blank(name: object, rows: int) -> pa.Array:
    """A column with no value in any row (no review yet, no URLs, no fatalities known): a
    number column as NaN floats, read in place; any other as a text of no values, read back as
    a categorical (one byte a row). Left to Arrow it was a null column, which pandas reads as
    one Python None per row: 56 MB in each worker at 1M incidents for the seven blank
    columns of a store nobody has reviewed."""
    if name in _number_columns():
        return pa.array(np.full(rows, np.nan))
    return pa.DictionaryArray.from_arrays(pa.nulls(rows, pa.int32()), pa.array([], pa.large_string()))


@lru_cache(maxsize=1)
def _number_columns() -> frozenset[str]:
    """The report columns the store declares as numbers (``storage.schema``)."""
    from sqlalchemy import Boolean, Float, Integer

    from conflictmap.storage.schema import events

    kinds = (Integer, Float, Boolean)
    return frozenset(c.name for c in events.columns if isinstance(c.type, kinds)) | {"review_version"}


def _text(series: pd.Series) -> pa.Array:
    """A text column as large strings, blanks as nulls."""
    return pa.array(series.astype(object).where(series.notna(), None), type=pa.large_string())


def _is_text(series: pd.Series) -> bool:
    """Whether every non-blank value of the column is a string (and there is at least one)."""
    present = series.dropna()
    return bool(len(present)) and all(isinstance(v, str) for v in present.head(1000))


def write_table(frame: pd.DataFrame | pa.Table, path: Path) -> None:
    """Write the frame (or a table already in Arrow) to ``path`` whole or not at all."""
    write_atomically(frame if isinstance(frame, pa.Table) else to_arrow(frame), path)


def write_indexed(frame: pd.DataFrame | pa.Table, path: Path, words: pa.Table | None = None) -> None:
    """Write the table and, first, its word index (``read.words``; made here unless given): a
    table on disk always has its word index beside it, since readers look for the table."""
    table = frame if isinstance(frame, pa.Table) else to_arrow(frame)
    write_words(words if words is not None else build_words(table.column(WORDS_OF)), words_file(path))
    write_table(table, path)


def read_table(path: Path) -> pd.DataFrame:
    """The incident table mapped from ``path`` as the pandas frame the read side uses: numbers
    and long texts stay in the mapped file (pandas' Arrow-backed strings), repeated texts are
    categoricals. Nothing is read from disk until a column is used."""
    table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    frame = table.to_pandas(split_blocks=True)
    for name in frame.columns:  # a column of unknown kind, all blank, comes back as nulls: keep None
        if frame[name].dtype == object:
            frame[name] = frame[name].where(frame[name].notna(), None)
    return frame


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if missing), held across processes of the machine.
    Opened read-only: a lock file another user created still locks."""
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def ensure_file(path: Path, build: Callable[[Path], None]) -> Path:
    """The file of the version ``path`` names, or of a newer version if one is on disk; built
    first by ``build(path)`` when neither is.

    Processes asking for the same version together wait on one lock: one builds, the others
    map what it wrote. A process that asks for a version after a newer one was written (it read
    the store's version just before a write) gets the newer one: building the older one again
    would cost a full build and retire the newer file."""
    found = _newest_from(path)
    if found is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path.with_name(path.name.rpartition("-v")[0] + ".lock")):
            found = _newest_from(path)
            if found is None:
                build(path)
                prune(path)
                found = path
    return found


def open_version(
    directory: Path,
    store: EventStore,
    show_reference: bool,
    version: int,
    *,
    child_above: int | None,
    read: bool = True,
) -> tuple[pd.DataFrame | None, int, str, WordIndex | None]:
    """The table of ``version`` (or a newer one already written), written first if no process
    has: (the frame, or None when ``read`` is off; the version it holds; "mapped", "derived" or
    "built"; its word index, None when not read or missing). ``child_above``: reports above
    which the file is written (derived or built) in a child process (None: in this process). The one way the
    service and the writing commands reach the files."""
    how = "mapped"

    def write(path: Path) -> None:
        nonlocal how
        how = write_version(path, store, show_reference, child_above=child_above)

    for _ in range(5):
        found = ensure_file(index_file(directory, store, show_reference, version), write)
        try:
            if not read:
                return None, version_of(found), how, None
            frame = read_table(found)
            return frame, version_of(found), how, read_words(words_file(found), len(frame))
        except FileNotFoundError:
            # Retired by a newer version's file between finding it and mapping it: take the
            # newer one rather than build an old one again.
            version = store.version()
    raise OSError(f"the index files in {directory} kept being replaced while read")


def _versions_beside(path: Path) -> list[tuple[int, Path]]:
    """Every file of the same store, view and code as ``path``, with the version it holds."""
    stem = path.name.rpartition("-v")[0]
    out: list[tuple[int, Path]] = []
    for other in path.parent.glob(f"{stem}-v*.arrow"):
        try:
            out.append((version_of(other), other))
        except ValueError:
            continue
    return out


def _newest_from(path: Path) -> Path | None:
    """``path`` or the newest file of a later version of the same store, view and code."""
    later = [vp for vp in _versions_beside(path) if vp[0] >= version_of(path)]
    return max(later)[1] if later else None


def prune(keep: Path) -> None:
    """Remove the files of older versions of the same store and view as ``keep`` (never a newer
    one), and any version written by another release of the code (never read again)."""
    stem = keep.name.rpartition("-v")[0]
    store_and_view = keep.name.rsplit("-", 2)[0]
    for old in keep.parent.glob(f"{store_and_view}-*-v*.arrow"):
        if old == keep:
            continue
        try:
            older = old.name.rpartition("-v")[0] != stem or version_of(old) < version_of(keep)
        except ValueError:
            continue
        if older:
            old.unlink(missing_ok=True)
            words_file(old).unlink(missing_ok=True)
    # A word index whose table never landed (its builder was killed between the two files).
    for words in keep.parent.glob(f"{store_and_view}-*-v*.arrow{WORDS_SUFFIX}"):
        table = words.with_name(words.name.removesuffix(WORDS_SUFFIX))
        if table != keep and not table.exists():
            words.unlink(missing_ok=True)
    # Temporary files left by a builder that was killed (not one still writing: those are
    # younger than the lock this caller holds, and no one else can be writing under it).
    for tmp in keep.parent.glob(f"{stem}-v*.arrow.*.tmp"):
        tmp.unlink(missing_ok=True)


def version_of(path: Path) -> int:
    """The store version a file holds, from its name (``...-v<version>.arrow``)."""
    return int(path.name.removesuffix(".arrow").rpartition("-v")[2])


def previous_file(path: Path) -> Path | None:
    """The newest file of an older version of the same store, code and view as ``path``."""
    older = [vp for vp in _versions_beside(path) if vp[0] < version_of(path)]
    return max(older)[1] if older else None


# Tables smaller than this are built again rather than derived: a derived file keeps the
# previous one's layout (which texts are dictionary-encoded), chosen when the store was small.
DERIVE_FROM_ROWS = 1000


def _rows_in(path: Path) -> int:
    """How many rows the file holds (read from its footer, no data touched)."""
    with pa.memory_map(str(path), "r") as source:
        reader = pa.ipc.open_file(source)
        return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))


def write_version(path: Path, store: EventStore, show_reference: bool, *, child_above: int | None) -> str:
    """Write the incident table of the version ``path`` names; returns "derived" or "built".

    Derived when the previous version's file is on disk and every write since recorded the
    incidents it changed (``EventStore.touched_between``, an ingest's regrouping does): the old
    rows of other incidents are kept as they are and only the changed incidents are built again
    from their reports, a second or two where a full build of 300,000 reports takes fifteen.
    Anything else (an import, zones, a file missing) is built from every report. A derivation
    that fails is logged and built in full.

    Either runs in a child process when the store holds more than ``child_above`` reports (a
    worker of the web server passes it): a derivation in a worker's thread, at a million
    incidents, held the worker's interpreter lock for seconds of numpy work, and a filter
    change that came meanwhile waited 4.5 s."""
    if child_above is not None and store.report_count() > child_above:
        return build_in_child(path, store.url, show_reference)
    previous = previous_file(path)
    if previous is not None and _rows_in(previous) < DERIVE_FROM_ROWS:
        previous = None  # a small table builds in a moment, and a new layout suits what it holds now
    if previous is not None:
        touched = store.touched_between(version_of(previous), version_of(path))
        if touched is not None:
            try:
                table, words = derive_table(previous, touched, store, show_reference)
                write_indexed(table, path, words)
                return "derived"
            except Exception:  # noqa: BLE001 - a full build is always right; say why it was needed
                log.exception("deriving %s from %s failed; building it from every report", path, previous)
    write_indexed(build_table(store.url, show_reference), path)
    return "built"


def derive_table(
    previous: Path, touched: set[str], store: EventStore, show_reference: bool
) -> tuple[pa.Table, pa.Table | None]:
    """The previous version's table with the ``touched`` incidents built again from their reports
    (``EventStore.incidents_frame``); the same rows, order and marker keys a full build gives.
    With it, its word index derived from the previous one (None: build it from the table)."""
    from conflictmap.read.index import MARKER_COLUMNS, build_incidents, marker_keys

    old = pa.ipc.open_file(pa.memory_map(str(previous), "r")).read_all()
    reports = _shown(store.incidents_frame(touched), show_reference)
    fresh = to_arrow(build_incidents(reports, store.zone_versions()), like=old.schema)
    ids = old.column("incident_id")
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(pa.large_string())
    gone = pc.is_in(ids, value_set=pa.array(sorted(touched), type=pa.large_string()))
    kept = np.flatnonzero(~gone.to_numpy(zero_copy_only=False))
    # Both parts are in (date, incident id) order already: place the few new rows among the kept
    # ones and gather everything with one take, instead of sorting the whole table again.
    order = _merged_order(
        old.column("event_date").to_numpy().astype("datetime64[s]").astype(np.int64)[kept],
        ids,
        kept,
        fresh.column("event_date").to_numpy().astype("datetime64[s]").astype(np.int64),
        fresh.column("incident_id").to_pylist(),
    )
    both = pa.concat_tables([old, fresh], promote_options="permissive").unify_dictionaries()
    both = both.take(pa.array(order)).combine_chunks()
    # A marker key numbers the distinct (point, type, precision, flags) of the whole table.
    keys = marker_keys(both.select([c for c in MARKER_COLUMNS if c in both.column_names]).to_pandas())
    table = both.set_column(both.schema.get_field_index("marker_key"), "marker_key", pa.array(keys))
    words = derive_words(read_words(words_file(previous), old.num_rows), order, fresh.column(WORDS_OF))
    return table, words


def _merged_order(
    kept_days: np.ndarray,
    old_ids: pa.ChunkedArray,
    kept: np.ndarray,
    new_days: np.ndarray,
    new_ids: list[str],
) -> np.ndarray:
    """Row positions in ``old`` followed by ``fresh`` (the new rows numbered after the old ones)
    that put the kept old rows and the new rows together in (date, incident id) order."""
    slots = np.empty(len(new_ids), dtype=np.int64)
    for j, (day, iid) in enumerate(zip(new_days.tolist(), new_ids, strict=True)):
        lo = int(np.searchsorted(kept_days, day, side="left"))
        hi = int(np.searchsorted(kept_days, day, side="right"))
        same_day = old_ids.take(pa.array(kept[lo:hi])).to_pylist() if hi > lo else []
        slots[j] = lo + sum(1 for other in same_day if other < iid)
    n_old = int(len(old_ids))
    order = np.empty(len(kept) + len(new_ids), dtype=np.int64)
    # new row j goes after the kept rows before its slot and the new rows before it
    new_at = slots + np.arange(len(new_ids))
    is_new = np.zeros(len(order), dtype=bool)
    is_new[new_at] = True
    order[new_at] = n_old + np.arange(len(new_ids))
    order[~is_new] = kept
    return order


class ChildBuildFailed(RuntimeError):
    """The child process building the table failed or ran out of time (``build_in_child``)."""


# Seconds a child build may take before it is stopped (a million reports take about a minute).
CHILD_BUILD_TIMEOUT = 3600


def build_in_child(path: Path, database_url: str, show_reference: bool) -> str:
    """Write the table (``write_version``: derived or built) in a separate Python process
    (``python -m conflictmap.read.columnar``); returns how it was written.

    Why a process: a large store's build holds the interpreter lock for seconds (pandas sorts
    and factorisations), so a thread beside the web server's starved its requests, and its
    peak memory stayed with the worker afterwards. A child's memory goes back when it exits.
    The store's URL goes through the environment, never the command line (a PostgreSQL URL
    holds a password, and command lines are readable by every user of the machine); the child
    refuses to write a file named for other code than its own (a deploy between the two)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "CONFLICTMAP_INDEX_BUILD_URL": database_url,
        "CONFLICTMAP_INDEX_BUILD_DIGEST": code_digest(),
    }
    args = [sys.executable, "-m", "conflictmap.read.columnar", str(path)]
    args.append("--show-reference" if show_reference else "--hide-reference")
    try:
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, check=False, timeout=CHILD_BUILD_TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        raise ChildBuildFailed(
            f"building the incident index in a child process took over {exc.timeout} s"
        ) from exc
    if done.returncode != 0 or not path.exists():
        raise ChildBuildFailed(
            f"building the incident index in a child process failed (exit {done.returncode}): "
            + (done.stderr.strip().splitlines() or ["no message"])[-1]
        )
    said = done.stdout.strip().splitlines()
    return said[-1] if said and said[-1] in ("derived", "built") else "built"


def build_table(database_url: str, show_reference: bool) -> pd.DataFrame:
    """The incident table of the store's current contents (``read.index.build_incidents``)."""
    from conflictmap.read.index import build_incidents
    from conflictmap.storage.store import EventStore

    store = EventStore(database_url)
    zones = store.zone_versions()
    return build_incidents(_shown(store.events_frame(), show_reference), zones)


def _shown(reports: pd.DataFrame, show_reference: bool) -> pd.DataFrame:
    """The reports the view shows: without the reference facts when they are hidden."""
    return reports if show_reference else reports[reports["origin"] != "reference"]


def _main(argv: list[str]) -> int:
    """``python -m conflictmap.read.columnar PATH [--hide-reference]``: write one file (derived
    from the previous one when it can be), of the store named by ``CONFLICTMAP_INDEX_BUILD_URL``
    (``build_in_child`` sets it); prints "derived" or "built"."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m conflictmap.read.columnar", description=_main.__doc__)
    ap.add_argument("path", type=Path)
    ap.add_argument("--show-reference", dest="show_reference", action="store_true", default=True)
    ap.add_argument("--hide-reference", dest="show_reference", action="store_false")
    args = ap.parse_args(argv)
    url = os.environ.get("CONFLICTMAP_INDEX_BUILD_URL")
    if not url:
        print("CONFLICTMAP_INDEX_BUILD_URL is not set: the store to build from", file=sys.stderr)
        return 2
    expected = os.environ.get("CONFLICTMAP_INDEX_BUILD_DIGEST")
    if expected and expected != code_digest():
        print(
            f"this code ({code_digest()}) is not the code that asked for {args.path.name} ({expected}): "
            "a deploy came between them; the next request builds it",
            file=sys.stderr,
        )
        return 3
    from conflictmap.storage.store import EventStore

    print(write_version(args.path, EventStore(url), args.show_reference, child_above=None))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
