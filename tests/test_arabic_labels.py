"""The Arabic place-name layer: off by default, the gazetteer's Arabic spelling of each labelled
place under its Latin name, and in exports placed under the Latin name too."""

from __future__ import annotations

import pandas as pd

from components.figures import ARABIC_LABEL_FONT, arabic_label_names, label_names, map_spec
from conflictmap.read.query import DEFAULT_LAYERS, EventFilter

SETTLEMENTS = pd.DataFrame(
    {
        "name": ["Al-Mayadin", "Hajin", "Nowhere"],
        "name_ar": ["الميادين", "هجين", None],
        "kind": ["city", "town", "village"],
        "latitude": [35.0183, 34.695, 35.5],
        "longitude": [40.4533, 40.835, 40.5],
    }
)


def test_the_layer_is_asked_for_not_shown_by_default() -> None:
    assert "arabic" not in DEFAULT_LAYERS and "arabic" not in EventFilter().layers
    flt = EventFilter.from_query("layers=labels,arabic")
    assert flt.layers == ("labels", "arabic") and flt.to_query() == "layers=labels%2Carabic"


def test_arabic_names_follow_the_labels_order_and_skip_places_with_none() -> None:
    names = label_names(pd.DataFrame(), SETTLEMENTS)
    assert arabic_label_names(names, SETTLEMENTS)["name_ar"].tolist() == ["الميادين", "هجين"]


def test_the_map_draws_them_in_the_arabic_glyph_stack_only_when_asked() -> None:
    empty = pd.DataFrame(columns=["latitude", "longitude", "geo_precision", "location", "count"])
    glyphs = "http://127.0.0.1/assets/glyphs/{fontstack}/{range}.pbf"
    with_layer = map_spec(
        empty, None, {}, None, ("labels", "arabic"), settlements=SETTLEMENTS, glyphs_url=glyphs
    )
    arabic = [t for t in with_layer["data"] if (t.get("meta") or {}).get("script") == "arabic"]
    assert len(arabic) == 1 and arabic[0]["text"] == ["الميادين", "هجين"]
    assert (
        arabic[0]["textfont"]["family"] == ARABIC_LABEL_FONT and arabic[0]["textposition"] == "bottom right"
    )
    without = map_spec(empty, None, {}, None, ("labels",), settlements=SETTLEMENTS, glyphs_url=glyphs)
    assert not [t for t in without["data"] if (t.get("meta") or {}).get("script") == "arabic"]
