"""Playback through time: the windows a view steps through (a rule of reading, so it lives with
the read side; the panel that plays them and the export that prints them both use it).

A step is a window of ``window`` days ending on a day; moving one step moves that end by a day,
a week or a month (a month keeps the day of the month, or the month's last day when it has fewer).
The zones of a step are those of its last day, so a control change inside the window shows on the
map at the step that reaches it.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def moved(end: date, unit: str, steps: int) -> date:
    """``end`` moved by ``steps`` days, weeks or months (negative: back)."""
    if unit == "day":
        return end + timedelta(days=steps)
    if unit == "week":
        return end + timedelta(weeks=steps)
    if unit != "month":
        raise ValueError(f"playback step {unit!r} is not day, week or month")
    months = end.year * 12 + end.month - 1 + steps
    year, month = divmod(months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(end.day, last))


def window_ending(end: date, window: int) -> tuple[date, date]:
    """The ``window`` days that end on ``end``, both ends included."""
    return end - timedelta(days=window - 1), end


def next_window(
    end: date | None, unit: str, window: int, steps: int, span: tuple[date, date]
) -> tuple[date, date] | None:
    """The window ``steps`` steps from the one ending on ``end``; with no end yet, the first
    window of the data (ending ``window`` days after its first day). None past either end of the
    data's span, where playback stops."""
    first, last = span
    if end is None:
        target = min(first + timedelta(days=window - 1), last)
    else:
        target = moved(end, unit, steps)
    if target > last and (end is None or end >= last):
        return None
    target = min(target, last)
    if target < first:
        return None
    return window_ending(target, window)


def sequence(
    end: date | None, unit: str, window: int, count: int, span: tuple[date, date]
) -> list[tuple[date, date]]:
    """``count`` windows from the current one forward (the current one first), as many as the data
    allows: the pages of a playback export."""
    out: list[tuple[date, date]] = []
    current = window_ending(end, window) if end is not None else next_window(None, unit, window, 1, span)
    while current is not None and len(out) < count:
        out.append(current)
        current = next_window(current[1], unit, window, 1, span)
    return out
