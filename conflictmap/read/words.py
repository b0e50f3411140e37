"""A word index of the incident table's search text, so a text search looks words up instead of
reading every incident's sentence.

Why: the dashboard's text search is a case-blind substring of an incident's sentences and notes
(``EventFilter.text``). A scan of that column, even in Arrow's string kernels, reads all of it:
590-690 ms for a million incidents of forty-word sentences, more than a whole filter change may
take (17-27 ms looked up here). Here each whitespace-separated word of the column lists the rows that hold it. A needle
without whitespace lies inside one word wherever it occurs, so the rows of the words that
contain it are exactly the rows whose text contains it: the search reads the list of distinct
words (a few megabytes), not the text. A needle of several words is looked up by its longest
word and the rows found are then scanned for the whole needle.

Stored beside the table's file (``<table>.words``) as one Arrow row of three lists, mapped by
every worker as the table is: the words, where each word's rows start, and the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from conflictmap.read.arrowfile import write_atomically

SUFFIX = ".words"
WORDS_OF = "search"  # the table's column the index is made of: sentences and notes, lower case


def words_file(table_file: Path) -> Path:
    """Where the word index of the table in ``table_file`` lives."""
    return table_file.with_name(table_file.name + SUFFIX)


@dataclass(frozen=True)
class WordIndex:
    """Distinct words, and for word ``i`` the rows ``rows[starts[i]:starts[i + 1]]`` holding it."""

    words: pa.Array  # large_string, one per distinct word
    starts: np.ndarray  # int64, len(words) + 1
    rows: np.ndarray  # int32, row positions in the table, ascending within each word
    n_rows: int  # rows in the table it was made for

    def candidates(self, needle: str) -> tuple[np.ndarray, bool] | None:
        """(rows that may hold ``needle``, whether they certainly do), or None when the index
        cannot narrow it (a needle of only blanks, or one so short that most words hold it:
        then a scan is as quick)."""
        parts = split_words(needle)
        if not parts:
            return None
        longest = max(parts, key=len)
        exact = parts == [needle]
        hit = np.flatnonzero(pc.match_substring(self.words, longest).to_numpy(zero_copy_only=False))
        if not len(hit):
            return np.zeros(0, dtype=np.int32), True
        begin, end = self.starts[hit], self.starts[hit + 1]
        lengths = end - begin
        total = int(lengths.sum())
        if total > 2 * self.n_rows:
            return None
        # The rows of every matched word, gathered at once (no loop over the words).
        step = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths)
        return self.rows[np.arange(total, dtype=np.int64) + step], exact


def split_words(text: str) -> list[str]:
    """``text`` cut at whitespace the way the index cuts the column (Arrow's Unicode rule)."""
    out = pc.utf8_split_whitespace(pa.array([text], type=pa.large_string()))[0].as_py()
    return [w for w in (out or []) if w]


def build_words(search: pa.Array | pa.ChunkedArray) -> pa.Table:
    """The word index of a search column, as the one-row table written beside the table file.

    Every step runs in Arrow or numpy: cutting the sentences into words, numbering the distinct
    ones and sorting (word, row) pairs as single 64-bit keys took 8.6 s for a million
    forty-word sentences on this project's 2-core machine (a derivation: 0.7 s)."""
    column = search.combine_chunks() if isinstance(search, pa.ChunkedArray) else search
    lists = pc.utf8_split_whitespace(column.cast(pa.large_string()))
    flat = pc.list_flatten(lists)
    parent = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
    encoded = pc.dictionary_encode(flat)
    codes = encoded.indices.to_numpy().astype(np.int64)
    words = encoded.dictionary
    keys = (codes << 32) | parent
    keys.sort()
    if len(keys):
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]  # a word twice in one row: once
    counts = np.bincount(keys >> 32, minlength=len(words))
    starts = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    rows = (keys & 0xFFFFFFFF).astype(np.int32)
    return _as_table(words, starts, rows, len(column))


def _as_table(words: pa.Array, starts: np.ndarray, rows: np.ndarray, n_rows: int) -> pa.Table:
    """One row: each list holds a whole array, read back without a copy (``read_words``)."""

    def whole(values: pa.Array) -> pa.LargeListArray:
        return pa.LargeListArray.from_arrays(pa.array([0, len(values)], pa.int64()), values)

    return pa.table(
        {
            "words": whole(words),
            "starts": whole(pa.array(starts)),
            "rows": whole(pa.array(rows)),
            "n_rows": pa.array([n_rows], pa.int64()),
        }
    )


def write_words(table: pa.Table, path: Path) -> None:
    """Write the word index whole or not at all (``read.arrowfile``)."""
    write_atomically(table, path)


def read_words(path: Path, n_rows: int) -> WordIndex | None:
    """The word index mapped from ``path``, or None when there is none for a table of
    ``n_rows`` rows (a file from before word indexes, or one that does not match)."""
    try:
        table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    except (FileNotFoundError, pa.ArrowInvalid):
        return None
    if table.num_rows != 1 or table.column("n_rows")[0].as_py() != n_rows:
        return None
    words = table.column("words").chunk(0).values
    starts = table.column("starts").chunk(0).values.to_numpy()
    rows = table.column("rows").chunk(0).values.to_numpy()
    return WordIndex(words, starts, rows, n_rows)


# Above this many new (word, row) pairs a derivation builds the index again instead: each pair
# is placed by a search in its word's rows, and an import-sized change is quicker whole.
DERIVE_PAIRS = 200_000


def derive_words(
    previous: WordIndex | None, order: np.ndarray, fresh: pa.Array | pa.ChunkedArray
) -> pa.Table | None:
    """The word index of a derived table (``read.columnar.derive_table``) from the previous
    table's, or None when it must be built in full (no previous index, or too much changed).

    ``order``: for each row of the new table, its row in the previous table, or the previous
    table's length plus its row in ``fresh`` (the search texts of the incidents built again).
    The previous rows keep their relative order in a derived table, so each word's rows stay
    ascending when renumbered; the few new pairs are put in place by a search in their word's
    rows. At a million incidents this takes a fraction of a second where cutting every
    sentence again takes seconds."""
    if previous is None:
        return None
    n_old = previous.n_rows
    from_old = order < n_old
    new_row_of_old = np.full(n_old, -1, dtype=np.int64)
    new_row_of_old[order[from_old]] = np.flatnonzero(from_old)
    moved = new_row_of_old[previous.rows]
    keep = moved >= 0
    kept_before = np.concatenate(([0], np.cumsum(keep)))
    kept_counts = kept_before[previous.starts[1:]] - kept_before[previous.starts[:-1]]
    rows = moved[keep]

    texts = fresh.combine_chunks() if isinstance(fresh, pa.ChunkedArray) else fresh
    lists = pc.utf8_split_whitespace(texts.cast(pa.large_string()))
    flat = pc.list_flatten(lists)
    at_new_row = np.empty(len(texts), dtype=np.int64)
    at_new_row[order[~from_old] - n_old] = np.flatnonzero(~from_old)
    new_rows = at_new_row[pc.list_parent_indices(lists).to_numpy()]
    codes = pc.fill_null(pc.index_in(flat, value_set=previous.words), -1).to_numpy().astype(np.int64)
    unknown = codes < 0
    added = pc.unique(flat.filter(pa.array(unknown)))
    if len(added):
        codes[unknown] = (
            len(previous.words) + pc.index_in(flat.filter(pa.array(unknown)), value_set=added).to_numpy()
        )
    pairs = np.unique((codes << 32) | new_rows)
    if len(pairs) > DERIVE_PAIRS:
        return None
    n_words = len(previous.words) + len(added)
    counts = np.concatenate((kept_counts, np.zeros(len(added), dtype=np.int64)))
    kept_starts = np.concatenate(([0], np.cumsum(counts)))
    pair_words, pair_rows = pairs >> 32, pairs & 0xFFFFFFFF
    places = np.fromiter(
        (
            kept_starts[w] + np.searchsorted(rows[kept_starts[w] : kept_starts[w + 1]], r)
            for w, r in zip(pair_words.tolist(), pair_rows.tolist(), strict=True)
        ),
        dtype=np.int64,
        count=len(pairs),
    )
    rows = np.insert(rows, places, pair_rows)
    counts += np.bincount(pair_words, minlength=n_words)
    starts = np.concatenate(([0], np.cumsum(counts)))
    words = pa.concat_arrays([previous.words, added.cast(pa.large_string())])
    return _as_table(words, starts, rows.astype(np.int32), len(order))
