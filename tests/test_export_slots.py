"""Export slots: lock files in the data folder, shared by every process, freed when done."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conflictmap.export.slots import ExportBusy, export_slot


def test_two_slots_hold_two_exports_and_a_third_is_busy(tmp_path):
    with export_slot(tmp_path, 2, 0) as first, export_slot(tmp_path, 2, 0) as second:
        assert {first, second} == {0, 1}
        with pytest.raises(ExportBusy) as busy:
            with export_slot(tmp_path, 2, 0):
                pass
        assert busy.value.retry_after > 0
    with export_slot(tmp_path, 2, 0) as again:  # both freed
        assert again == 0


def test_a_failed_export_frees_its_slot(tmp_path):
    with pytest.raises(RuntimeError), export_slot(tmp_path, 1, 0):
        raise RuntimeError("renderer crashed")
    with export_slot(tmp_path, 1, 0) as slot:
        assert slot == 0


def test_a_slot_held_by_another_process_counts(tmp_path):
    """gunicorn workers are processes: a slot one holds is busy for the others."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, pathlib\n"
            "from conflictmap.export.slots import export_slot\n"
            f"with export_slot(pathlib.Path({str(tmp_path)!r}), 1, 0):\n"
            "    print('held', flush=True)\n"
            "    sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ExportBusy), export_slot(tmp_path, 1, 0):
            pass
    finally:
        holder.communicate("\n", timeout=30)
    with export_slot(tmp_path, 1, 0) as slot:  # released when the other process let go
        assert slot == 0
