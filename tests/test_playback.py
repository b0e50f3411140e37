"""The windows playback steps through (conflictmap.read.playback)."""

from datetime import date

import pytest

from conflictmap.read.playback import moved, next_window, sequence, window_ending

SPAN = (date(2024, 1, 10), date(2024, 12, 31))


@pytest.mark.parametrize(
    ("end", "unit", "steps", "want"),
    [
        (date(2024, 3, 5), "day", 1, date(2024, 3, 6)),
        (date(2024, 3, 5), "week", -2, date(2024, 2, 20)),
        (date(2024, 1, 31), "month", 1, date(2024, 2, 29)),  # a shorter month keeps its last day
        (date(2024, 12, 15), "month", 1, date(2025, 1, 15)),
        (date(2024, 1, 15), "month", -1, date(2023, 12, 15)),
    ],
)
def test_a_step_moves_the_end(end, unit, steps, want):
    assert moved(end, unit, steps) == want


def test_an_unknown_step_is_named():
    with pytest.raises(ValueError, match="fortnight"):
        moved(date(2024, 1, 1), "fortnight", 1)


def test_the_first_window_starts_at_the_data_and_the_last_stops_there():
    assert next_window(None, "week", 30, 1, SPAN) == (date(2024, 1, 10), date(2024, 2, 8))
    assert next_window(date(2024, 12, 28), "week", 7, 1, SPAN) == window_ending(date(2024, 12, 31), 7)
    assert next_window(date(2024, 12, 31), "week", 7, 1, SPAN) is None  # past the data: stop
    assert next_window(date(2024, 1, 12), "week", 7, -1, SPAN) is None  # before it: stop


def test_a_sequence_is_the_current_window_then_the_next_ones():
    steps = sequence(date(2024, 11, 26), "week", 7, 3, SPAN)
    assert [end for _, end in steps] == [date(2024, 11, 26), date(2024, 12, 3), date(2024, 12, 10)]
    assert all((end - start).days == 6 for start, end in steps)
    assert len(sequence(date(2024, 12, 24), "week", 7, 5, SPAN)) == 2  # as many as the data allows
