"""What a worker keeps of the mapped incident table (read/columnar.py, read/index.py): blank
columns and repeated texts stay small codes, filters on them never widen them to one Python
object per row, an incident is found without a dict of every id, and a worker's first map
does not read the gazetteer or basemap from disk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from components.service_access import serving
from components.views import render_map
from conflictmap.config import Settings
from conflictmap.geo import basemap as basemap_module
from conflictmap.geo import gazetteer as gazetteer_module
from conflictmap.read import columnar
from conflictmap.read.index import EventIndex
from conflictmap.read.query import EventFilter
from conflictmap.read.service import DataService
from conflictmap.storage.store import EventStore
from tests.test_columnar_index import ROWS, _fill


@pytest.fixture
def settings(tmp_path):
    s = Settings(data_dir=tmp_path)
    store = EventStore(s.db_url)
    _fill(store)
    # The same kinds of events two weeks later: each actor, place and type repeated.
    _fill(store, ROWS, "Valley News", later=15, told="Two weeks on: ")
    return s


def test_blank_columns_come_back_as_codes_and_blank_numbers_as_nan(settings):
    frame = DataService(settings).index().frame
    # Nobody reviewed anything and no report says where its sentence starts.
    assert isinstance(frame["reviewed_by"].dtype, pd.CategoricalDtype)
    assert frame["reviewed_by"].isna().all()
    assert frame["evidence_start"].dtype == np.float64 and frame["evidence_start"].isna().all()
    assert not any(frame[c].dtype == object for c in frame.columns), "no column of Python objects"


def test_a_column_of_many_distinct_values_is_read_in_place_not_as_categories(tmp_path):
    rows = 200
    frame = pd.DataFrame(
        {
            "article_id": [f"art-{i // 2}" for i in range(rows)],  # one value per two rows
            "actor1": ["SDF" if i % 3 else "ISIS" for i in range(rows)],
        }
    )
    path = tmp_path / "t.arrow"
    columnar.write_table(frame, path)
    back = columnar.read_table(path)
    assert not isinstance(back["article_id"].dtype, pd.CategoricalDtype)
    assert isinstance(back["actor1"].dtype, pd.CategoricalDtype)
    assert list(back["article_id"]) == list(frame["article_id"])


@pytest.mark.parametrize(
    "query",
    [
        {"actors": ("SDF",)},
        {"actors": ("ISIS", "Civilians")},
        {"actors": ("nobody reported this",)},
        {"types": ("battle", "explosion")},
        {"zones": ("none",)},
    ],
)
def test_filters_on_codes_equal_filters_on_the_texts(settings, query):
    mapped = DataService(settings).index()
    assert isinstance(mapped.frame["actor1"].dtype, pd.CategoricalDtype)
    widened = EventIndex(mapped.frame.astype({c: object for c in ("actor1", "actor2", "zone", "event_type")}))
    flt = EventFilter(**query)
    got, want = mapped.mask(flt), widened.mask(flt)
    assert got.dtype == bool and len(got) == 2 * len(ROWS)
    assert got.tolist() == want.tolist()
    # Asked through codes, the actor columns were never made into arrays of row objects.
    assert "actor1" not in mapped._columns and "actor2" not in mapped._columns


def test_choices_leave_out_values_no_row_holds(settings):
    index = DataService(settings).index()
    kept = index.frame[index.frame["actor2"].astype(str) != "Civilians"].reset_index(drop=True)
    assert "Civilians" in list(kept["actor2"].cat.categories)  # the category outlives its rows
    assert "Civilians" not in EventIndex(kept).choices("actors")
    assert set(EventIndex(kept).choices("actors")) == {"SDF", "ISIS", "Tribal fighters"}


def test_an_incident_is_found_by_id_and_an_unknown_one_is_not(settings):
    index = DataService(settings).index()
    ids = list(index.frame["incident_id"])
    for pos in (0, len(ids) - 1):
        row = index.rows_of(ids[pos])
        assert len(row) == 1 and row.iloc[0]["incident_id"] == ids[pos]
    assert index.rows_of("inc:no-such").empty
    assert index.rows_of(None).empty
    assert len(index._positions) == 3, "only the ids asked for are remembered"


def test_the_first_map_of_a_worker_reads_no_fixed_layer_from_disk(settings, monkeypatch):
    with serving(settings) as svc:
        svc.index()

        def no_read(*_a, **_k):
            raise AssertionError("the map's fixed layers are read when the index is made, not on a request")

        monkeypatch.setattr(gazetteer_module, "load_gazetteer", no_read)
        monkeypatch.setattr(basemap_module, "load_basemap", no_read)
        fig = render_map("")
    names = [str(t.get("name", "")) for t in fig["data"]]
    assert any("site" in n.lower() for n in names), names
