"""One reader for a bounded number in a request (a link's ``zoom``, an export's ``width``, a
page's ``limit``): each caller decides what a bad value costs (ignored with a message on the
page, 400 from the API), but the reading and the words of the message are the same everywhere."""

from __future__ import annotations

from collections.abc import Callable


class ParamError(ValueError):
    """A parameter value that is not a number, not whole, or out of its range; the message names it."""


def bounded_number(
    name: str,
    raw: str | None,
    lo: float,
    hi: float,
    *,
    whole: bool = False,
    quote: Callable[[str], str] = repr,
) -> float | None:
    """``raw`` read as a number within ``lo..hi`` (``whole``: an integer), None when empty.

    ``quote`` is how the value is written back in the message (``repr`` for the API, the page's
    own quoting for links)."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    try:
        x: float = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ParamError(f"{name}={quote(str(raw))} is not {kind}") from None
    if not lo <= x <= hi:
        raise ParamError(f"{name}={quote(str(raw))} is outside {_num(lo)}..{_num(hi)}")
    return x


def _num(v: float) -> str:
    """1000000000 as written, not 1e+09; 0.5 as 0.5."""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"
