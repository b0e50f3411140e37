"""A few export slots shared by every worker process, so image exports cannot starve the app.

An image export holds a gunicorn worker for seconds (a headless browser draws it). Three big
exports at once held all three workers, and a simple ``api/meta`` then waited 26–46 s. Each
export now takes one of ``slots`` lock files in the data folder (``fcntl.flock``, released by
the kernel even if the process dies); when none is free within ``wait`` seconds the export is
answered "busy, retry" and the worker goes back to serving everyone else.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conflictmap.export.snapshot import SnapshotError

POLL_SECONDS = 0.1


class ExportBusy(SnapshotError):
    """Every export slot is taken; ``retry_after`` is a fair guess in seconds."""

    def __init__(self, slots: int, retry_after: int) -> None:
        super().__init__(
            f"all {slots} export slot{'s are' if slots != 1 else ' is'} busy with other exports; "
            f"try again in about {retry_after} s (CONFLICTMAP_EXPORT_SLOTS sets how many run at once)"
        )
        self.retry_after = retry_after


@contextmanager
def export_slot(folder: Path, slots: int, wait: float) -> Iterator[int]:
    """Hold one of ``slots`` export slots for the ``with`` block; raise ``ExportBusy`` after ``wait`` s."""
    folder.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        for i in range(slots):
            fd = os.open(folder / f"export-slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield i
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        if time.monotonic() >= deadline:
            raise ExportBusy(slots, retry_after=10)
        time.sleep(POLL_SECONDS)
