"""One bounded-number reader for links, exports and pages: same reading, same words."""

from __future__ import annotations

import pytest

from conflictmap.params import ParamError, bounded_number


def test_reads_within_bounds_and_empty_is_none():
    assert bounded_number("zoom", "8.5", 0, 22) == 8.5
    assert bounded_number("limit", "500", 1, 50_000, whole=True) == 500
    assert bounded_number("zoom", "", 0, 22) is None and bounded_number("zoom", None, 0, 22) is None


@pytest.mark.parametrize(
    ("args", "kw", "message"),
    [
        (("zoom", "far", 0, 22), {}, "zoom='far' is not a number"),
        (("limit", "2.5", 1, 50_000), {"whole": True}, "limit='2.5' is not a whole number"),
        (("offset", "-1", 0, 10**9), {"whole": True}, "offset='-1' is outside 0..1000000000"),
        (("scale", "9", 0.5, 4), {}, "scale='9' is outside 0.5..4"),
        (("zoom", "nan", 0, 22), {"quote": str}, "zoom=nan is outside 0..22"),
    ],
)
def test_refusals_name_the_parameter_and_its_range(args, kw, message):
    with pytest.raises(ParamError) as exc:
        bounded_number(*args, **kw)
    assert str(exc.value) == message
