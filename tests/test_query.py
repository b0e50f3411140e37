"""EventFilter <-> URL query string: every filter kind survives the round trip."""

from datetime import date

import pytest

from conflictmap.query import LAYERS, EventFilter, FilterError


def test_full_round_trip():
    flt = EventFilter(
        start=date(2023, 8, 1),
        end=date(2023, 9, 30),
        as_of=date(2023, 9, 1),
        types=("battle", "protest"),
        actors=("SDF", "NDF (pro-regime militia)"),
        min_fatalities=3,
        precisions=(1, 2),
        zones=("SDF",),
        origins=("extracted",),
        outlets=("Rudaw",),
        text="checkpoint & bridge",
        layers=("zones", "events"),
        event="inc:abc",
        lat=35.3361,
        lon=40.1412,
        zoom=8.5,
        embed=True,
    )
    again = EventFilter.from_query(flt.to_query())
    assert again == flt
    assert EventFilter.from_query("?" + flt.to_query()) == flt


def test_defaults_make_an_empty_query():
    assert EventFilter().to_query() == ""
    assert EventFilter.from_query("") == EventFilter()
    assert EventFilter.from_query(None).layers == LAYERS


def test_no_layers_is_kept_distinct_from_all_layers():
    flt = EventFilter(layers=())
    assert "layers=none" in flt.to_query()
    assert EventFilter.from_query(flt.to_query()).layers == ()


def test_bad_values_are_dropped_and_named():
    flt = EventFilter.from_query("start=yesterday&type=battle&type=nonsense&prec=7&zoom=99")
    assert flt.start is None
    assert flt.types == ("battle",)
    assert flt.precisions == ()
    assert flt.zoom is None
    problems = flt.extra["problems"]
    assert "start='yesterday'" in problems and "nonsense" in problems and "prec='7'" in problems


def test_strict_mode_raises():
    with pytest.raises(FilterError, match="minfat"):
        EventFilter.from_query("minfat=lots", strict=True)


def test_reversed_range_is_swapped():
    flt = EventFilter.from_query("start=2024-02-01&end=2024-01-01")
    assert (flt.start, flt.end) == (date(2024, 1, 1), date(2024, 2, 1))


def test_describe_names_the_filters():
    text = EventFilter(types=("battle",), actors=("SDF",), min_fatalities=5).describe()
    assert "battle" in text and "SDF" in text and "5" in text
