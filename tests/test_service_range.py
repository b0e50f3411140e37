"""The range a view without dates shows, on a store with nothing in it yet."""

from datetime import date

from conflictmap.config import Settings
from conflictmap.read.service import DataService
from conflictmap.storage.store import EventStore
from tests.helpers import split_zones


def test_a_store_with_zones_and_no_incident_opens_on_the_zones_history(tmp_path):
    settings = Settings(data_dir=tmp_path)
    EventStore(settings.db_url).replace_zones(split_zones(), "test")
    versions = split_zones()
    lo, hi = DataService(settings).default_range()
    assert lo == min(z.valid_from for z in versions)
    assert hi == max(d for z in versions for d in (z.valid_from, z.valid_to) if d is not None)
    assert hi >= date(2024, 12, 6)  # the newest change is inside the range, so the map shows it


def test_an_empty_store_opens_on_today(tmp_path):
    before = date.today()
    lo, hi = DataService(Settings(data_dir=tmp_path)).default_range()
    assert lo == hi and before <= lo <= date.today()  # safe across midnight
