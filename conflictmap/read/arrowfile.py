"""Writing an Arrow file that other processes map: whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa


def write_atomically(table: pa.Table, path: Path) -> None:
    """Write ``table`` as an uncompressed Arrow IPC file at ``path``: to a temporary file in the
    same folder, synced, then renamed over the final name, so a reader never maps half a file.
    Readable by other users (a server may run as another user than the writer)."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as raw:
            with pa.ipc.new_file(raw, table.schema) as writer:
                writer.write_table(table)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
