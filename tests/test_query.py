"""EventFilter <-> URL query string: every filter kind survives the round trip."""

from datetime import date

import pytest

from conflictmap.read.query import DEFAULT_LAYERS, EventFilter, FilterError


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
    assert EventFilter.from_query(None).layers == DEFAULT_LAYERS


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
    problems = " | ".join(flt.problems)
    assert "start=yesterday is not a date" in problems
    assert "type=nonsense is not an event type" in problems
    assert "prec=7 is not a location precision" in problems
    assert "zoom=99 is outside 0..22" in problems


def test_a_clean_link_has_no_problems_and_problems_do_not_change_the_view():
    assert EventFilter.from_query("type=battle&start=2024-01-01&minfat=2").problems == ()
    # Two links that show the same view are the same filter (caches key on it).
    assert EventFilter.from_query("type=battle&type=battles") == EventFilter.from_query("type=battle")


def test_misspelt_type_is_named_with_a_suggestion_and_the_rest_still_applies():
    flt = EventFilter.from_query("type=battles&type=protest&start=2024-01-01")
    assert flt.types == ("protest",) and flt.start == date(2024, 1, 1)
    assert flt.problems == (
        'type=battles is not an event type (did you mean "battle"?); ignored (use one of: '
        "battle, explosion_remote_violence, violence_against_civilians, protest, riot, strategic_development)",
    )


def test_when_no_type_can_be_read_all_types_are_shown_and_the_notice_says_so():
    flt = EventFilter.from_query("type=%3Cscript%3E&actor=SDF")
    assert flt.types == () and flt.actors == ("SDF",)
    assert flt.problems[0].startswith("type=<script> is not an event type; ignored")
    assert flt.problems[1] == "no type= value could be read, so every event type is shown"


def test_values_joined_by_a_separator_are_explained():
    flt = EventFilter.from_query("prec=1|2&type=battle,riot")
    assert flt.precisions == () and flt.types == ()
    text = " | ".join(flt.problems)
    assert "(give each as its own parameter: prec=1&prec=2)" in text
    assert "(give each as its own parameter: type=battle&type=riot)" in text


def test_garbage_date_is_dropped_and_named_the_other_end_kept():
    flt = EventFilter.from_query("start=garbage&end=2024-03-01&asof=2024-13-01")
    assert (flt.start, flt.end, flt.as_of) == (None, date(2024, 3, 1), None)
    assert flt.problems == (
        "start=garbage is not a date (want YYYY-MM-DD); ignored",
        "asof=2024-13-01 is not a date (want YYYY-MM-DD); ignored",
    )
    # a date with trailing junk is not a date either (it used to be read from its first 10 characters)
    assert EventFilter.from_query("start=2024-01-01junk").start is None
    assert EventFilter.from_query("start=2024-01-01T12:30").start == date(2024, 1, 1)


def test_reversed_range_is_ignored_not_swapped():
    flt = EventFilter.from_query("start=2024-02-01&end=2024-01-01&type=riot")
    assert (flt.start, flt.end) == (None, None)
    assert flt.types == ("riot",)
    assert flt.problems == (
        "start=2024-02-01 is after end=2024-01-01; the date range is ignored "
        "(not swapped: which of the two is wrong cannot be known)",
    )


@pytest.mark.parametrize(
    ("value", "minfat", "message"),
    [
        ("1e9", 100_000, "minfat=1e9 is over 100000; used 100000"),
        ("inf", 100_000, "minfat=inf is over 100000; used 100000"),
        ("2.5", 3, "minfat=2.5 is not a whole number; used 3"),
        ("-4", 0, "minfat=-4 is not a count of fatalities (0 or more); ignored"),
        ("nan", 0, "minfat=nan is not a count of fatalities (0 or more); ignored"),
        ("lots", 0, "minfat=lots is not a number; ignored"),
    ],
)
def test_min_fatalities_out_of_reason(value, minfat, message):
    flt = EventFilter.from_query(f"minfat={value}&type=battle")
    assert flt.min_fatalities == minfat and flt.types == ("battle",)
    assert flt.problems == (message,)


def test_unknown_parameter_names_are_named_with_a_suggestion():
    flt = EventFilter.from_query("typo=1&as_of=2024-01-01&type=riot&width=800")
    assert flt.types == ("riot",)
    assert flt.problems == (
        'unknown parameter typo (did you mean "type"?); typo=1 ignored',
        'unknown parameter as_of (did you mean "asof"?); as_of=2024-01-01 ignored',
        "unknown parameter width; width=800 ignored",
    )
    # a caller that reads a parameter itself says so
    assert EventFilter.from_query("width=800", allow=("width",)).problems == ()


def test_layers_origin_embed_position_text_and_repeats():
    flt = EventFilter.from_query(
        "layers=zonez,events&origin=ref&origin=extracted&embed=maybe&lat=35&q="
        + "x" * 250
        + "&event=a&event=b"
    )
    assert flt.layers == ("events",) and flt.origins == ("extracted",)
    assert flt.embed is False and flt.lat is None and len(flt.text) == 200 and flt.event == "b"
    assert flt.problems == (
        'origin=ref is not a source (did you mean "reference"?); ignored (use one of: extracted, reference, analyst, acled, ucdp)',
        "q= is 250 characters long; only the first 200 are searched",
        'layers: "zonez" is not a layer (did you mean "zones"?); ignored (use zones, events, density, labels, arabic, sites, rivers, borders or none)',
        "event is given 2 times (a, b); used the last, b",
        "lat= without a valid lon=; the map position is ignored",
        "embed=maybe is not 1 or 0; ignored",
    )
    # no readable layer means every layer, never a blank map
    assert EventFilter.from_query("layers=foo").layers == DEFAULT_LAYERS


def test_untrusted_values_are_clipped_and_the_list_is_bounded():
    flt = EventFilter.from_query("type=" + "A" * 500 + "%0A")
    assert all(len(p) < 300 for p in flt.problems) and "\n" not in flt.problems[0]
    many = EventFilter.from_query("&".join(f"x{i}=1" for i in range(100)))
    assert len(many.problems) == 20 and many.problems[-1] == "… and 81 more"


def test_strict_mode_raises():
    with pytest.raises(FilterError, match="minfat"):
        EventFilter.from_query("minfat=lots", strict=True)


def test_a_corrected_link_round_trips():
    flt = EventFilter.from_query("type=battles&type=riot&minfat=1e9&start=x")
    again = EventFilter.from_query(flt.to_query())
    assert again == flt and again.problems == ()


def test_describe_names_the_filters():
    text = EventFilter(types=("battle",), actors=("SDF",), min_fatalities=5).describe()
    assert "battle" in text and "SDF" in text and "5" in text
