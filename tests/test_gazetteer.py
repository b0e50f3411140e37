"""Gazetteer: transliteration variants, Arabic names, governorate fallback, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conflictmap.geo.gazetteer import GazetteerError, load_gazetteer


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


@pytest.mark.parametrize(
    "name",
    ["Deir ez-Zor", "Deir Ezzor", "Deir el-Zour", "Dayr az-Zawr", "Deir Ez-Zur", "Dier Ezzor", "دير الزور"],
)
def test_deir_ez_zor_spellings(gaz, name):
    res = gaz.resolve(name)
    assert res is not None and res.place.place_id == "dz:deir-ez-zor"
    assert res.precision == 1


@pytest.mark.parametrize(
    "name,pid",
    [
        ("Bukamal", "dz:abu-kamal"),
        ("Albukamal", "dz:abu-kamal"),
        ("Abu Kamal", "dz:abu-kamal"),
        ("البو كمال", "dz:abu-kamal"),
        ("Mayadeen", "dz:al-mayadin"),
        ("al-Mayadin", "dz:al-mayadin"),
        ("Thiban", "dz:diban"),
        ("Dhiban", "dz:diban"),
        ("Al-Thiban", "dz:diban"),
        ("al-Hawayej", "dz:al-hawayij"),
        ("Tayyaneh", "dz:al-tayanah"),
        ("Hasakeh", "dz:al-hasakah"),
    ],
)
def test_variants_resolve(gaz, name, pid):
    res = gaz.resolve(name)
    assert res is not None, name
    assert res.place.place_id == pid
    assert res.method  # says how it was matched


def test_unknown_and_common_words_do_not_resolve(gaz):
    for name in ("Manbij", "Tehran", "Syria", "Euphrates", ""):
        assert gaz.resolve(name) is None


def test_governorate_and_area_wording(gaz):
    prov = gaz.resolve("Deir ez-Zor province")
    assert prov.place.place_id == "dz:deir-ez-zor" and prov.precision == 3
    assert "governorate" in prov.method
    east = gaz.resolve("eastern countryside of Deir Ezzor")
    assert east.precision == 2
    near = gaz.resolve("near Hajin")
    assert near.place.place_id == "dz:hajin" and near.precision == 2


def test_get_and_key_sites(gaz):
    assert gaz.get("dz:hajin").name == "Hajin"
    assert gaz.get("nope") is None
    kinds = {p.kind for p in gaz.key_sites()}
    assert {"oil_field", "bridge", "camp", "crossing"} <= kinds
    assert "town" not in kinds


def test_geonames_merged_without_duplicates(gaz):
    ids = [p.place_id for p in gaz.places]
    assert len(ids) == len(set(ids))
    assert any(i.startswith("gn:") for i in ids)  # e.g. Tall Tamr is only in GeoNames
    # Deir ez-Zor city is in both files; only the curated row stays
    assert not any(p.place_id.startswith("gn:") and p.name == "Deir ez-Zor" for p in gaz.places)


def _copy_data(tmp_path: Path) -> Path:
    from conflictmap.config import BUNDLED_DATA

    for name in ("deirezzor_places.csv", "geonames_cities500_east_syria.csv"):
        (tmp_path / name).write_bytes((BUNDLED_DATA / name).read_bytes())
    return tmp_path


def test_missing_file_names_it(tmp_path):
    with pytest.raises(GazetteerError, match="deirezzor_places.csv"):
        load_gazetteer(tmp_path)


def test_corrupt_row_names_file_and_line(tmp_path):
    d = _copy_data(tmp_path)
    path = d / "deirezzor_places.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cols = lines[3].split(",")
    cols[4] = "north"  # latitude
    lines[3] = ",".join(cols)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"deirezzor_places\.csv:4: column 'latitude'"):
        load_gazetteer(d)


def test_small_custom_gazetteer(tmp_path):
    (tmp_path / "deirezzor_places.csv").write_text(
        "name,alt_names,name_ar,kind,latitude,longitude,bank,admin1,admin2,confidence,source_url\n"
        "Testville,Tesstville|Al-Testa,,village,35.0,40.0,east,Deir ez-Zor,,sourced,\n",
        encoding="utf-8",
    )
    (tmp_path / "geonames_cities500_east_syria.csv").write_text(
        "geonameid,name,lat,lon,admin1,population,in_ne_dy_polygon,names_ar,alt_latin\n"
        "1,Otherton,36.0,41.0,01,600,False,,Otherton\n",
        encoding="utf-8",
    )
    gaz = load_gazetteer(tmp_path)
    assert gaz.resolve("el-Testa").place.place_id == "dz:testville"
    assert gaz.resolve("Otherton").place.place_id == "gn:1"
    assert gaz.get("gn:1").admin1 == "Al-Hasakah"


@pytest.mark.parametrize(
    "name", ["Mohammed", "Muhammad", "Mahmoud", "Salah", "Saleh", "Shiyar", "Bilal", "Hala"]
)
def test_a_bare_given_name_takes_no_loose_spelling_match(gaz, name):
    # folded or reduced to consonants these would be villages (Muhaymidah, al-Shula, al-Suwar...)
    assert gaz.lookup(name) is None
    assert gaz.candidates(name) == []


def test_a_place_spelled_exactly_still_matches_even_when_a_given_name(gaz):
    assert gaz.lookup("Mazloum").place.name == "Mazlum"  # an alternate spelling in the table
    assert gaz.lookup("Abbas").place.name == "Al-Abbas"


def test_loose_spellings_of_villages_still_resolve(gaz):
    assert gaz.lookup("Mohaymida").place.place_id == "dz:muhaymidah"  # folded, not a given name
    assert gaz.lookup("Daranj").method == "similar spelling (consonant skeleton)"  # two letters swapped
    assert gaz.lookup("Bukmal").place.place_id == "dz:abu-kamal"  # a vowel dropped
    assert gaz.lookup("Dhban").place.place_id == "dz:diban"  # three consonants, one letter short


def test_a_folded_match_keeps_the_length_of_the_name(gaz):
    # vowels fold to one letter: a long name must not collapse onto a short village
    assert gaz.lookup("al-Siyasiyah") is None
    assert gaz.lookup("al-Sousa").place.place_id == "dz:al-susah"


def test_is_given_name_and_loose_guard():
    from conflictmap.geo.gazetteer import is_given_name, loose_match_ok

    assert is_given_name("Mohamed") and is_given_name("Muhammed")  # folded keys: any spelling
    assert not is_given_name("al-Hassan")  # written with the article: a place-like name
    assert not is_given_name("Hajin")
    assert not loose_match_ok("Salah", "Al-Shula")
    assert loose_match_ok("Muheymide", "Muhaymidah")


def test_candidates_lists_every_namesake(gaz):
    assert [p.place_id for p in gaz.candidates("Hajin")] == ["dz:hajin"]
    assert {p.place_id for p in gaz.candidates("Thiban")} == {"dz:diban"}
    assert gaz.candidates("") == [] and gaz.candidates("Atlantis") == []
    assert gaz.candidates("دير الزور")[0].place_id == "dz:deir-ez-zor"


@pytest.mark.parametrize(
    ("name", "pid"),
    [("Garanic", "dz:gharanij"), ("Cedid Ekeydat", "dz:jadid-ekeidat"), ("Coalition", None)],
)
def test_turkish_c_is_read_as_j(gaz, name, pid):
    """Turkish outlets write the jim as 'c'; a word that is no place stays none."""
    res = gaz.lookup(name)
    assert (res.place.place_id if res else None) == pid


def test_a_name_found_as_written_keeps_its_reading(gaz):
    res = gaz.lookup("Conoco")
    assert res is not None and "Turkish" not in res.method


def test_a_click_beside_a_town_picks_that_town_and_says_how_far(gaz):
    """What the review form's "pick on the map" gets: the closest named point, with its distance."""
    place, km = gaz.nearest(34.70, 40.83)  # a kilometre north of Hajin's centre
    assert place.place_id == "dz:hajin" and 0.5 < km < 2.0
    place, km = gaz.nearest(35.0156, 40.5103)  # on Diban itself
    assert place.place_id == "dz:diban" and km < 0.05


def test_a_click_in_the_open_desert_picks_nothing(gaz):
    assert gaz.nearest(34.0, 42.5) is None  # the Iraqi desert, far from every place
    assert gaz.nearest(34.0, 42.5, within_km=400) is not None  # the radius is what refused it


def test_a_wide_area_is_never_the_answer_to_a_click():
    from conflictmap.geo.gazetteer import Gazetteer
    from conflictmap.models import Place

    region = Place("r:jazira", "Jazira", 35.0, 40.5, kind="region")
    village = Place("v:near", "Near", 35.05, 40.5, kind="village")
    assert Gazetteer([region, village]).nearest(35.0, 40.5)[0].place_id == "v:near"
    assert Gazetteer([region]).nearest(35.0, 40.5) is None
