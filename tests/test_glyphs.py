"""The committed map glyphs (assets/glyphs) are well-formed MapLibre glyph PBFs.

A small protobuf reader here, independent of the build script's writer, decodes every range:
one fontstack named like its folder, the range named like its file, each bitmap the size
MapLibre reads ((width + 6) * (height + 6) bytes), and the letters place names need are there.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GLYPHS = ROOT / "assets" / "glyphs"
FONTSTACK = "DejaVu Sans Book"
BORDER = 3
NEEDED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -'āīūḥṣṭḍẓĀĪŪḤṢʿʾ’–"


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs of one message: varints as int, length-delimited as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(buf, pos)
            out.append((number, buf[pos : pos + length]))
            pos += length
        else:
            raise AssertionError(f"unexpected wire type {wire} for field {number}")
    assert pos == len(buf), "message overruns its buffer"
    return out


def _unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def decode(data: bytes) -> list[dict]:
    """The fontstacks of a glyph PBF, each {name, range, glyphs: {id: glyph dict}}."""
    stacks = []
    for number, stack_bytes in _fields(data):
        assert number == 1 and isinstance(stack_bytes, bytes)
        stack: dict = {"glyphs": {}}
        for field, value in _fields(stack_bytes):
            if field == 1:
                stack["name"] = value.decode("utf-8")
            elif field == 2:
                stack["range"] = value.decode("ascii")
            elif field == 3:
                glyph: dict = {"bitmap": b""}
                for gfield, gvalue in _fields(value):
                    key = {1: "id", 2: "bitmap", 3: "width", 4: "height", 5: "left", 6: "top", 7: "advance"}[
                        gfield
                    ]
                    glyph[key] = _unzigzag(gvalue) if gfield in (5, 6) else gvalue
                assert {"id", "width", "height", "left", "top", "advance"} <= glyph.keys(), glyph
                assert glyph["id"] not in stack["glyphs"], f"glyph {glyph['id']} twice"
                stack["glyphs"][glyph["id"]] = glyph
        stacks.append(stack)
    return stacks


def _pbf_files() -> list[Path]:
    return sorted((GLYPHS / FONTSTACK).glob("*.pbf"), key=lambda p: int(p.stem.split("-")[0]))


def _all_glyphs() -> dict[int, dict]:
    out: dict[int, dict] = {}
    for path in _pbf_files():
        out.update(decode(path.read_bytes())[0]["glyphs"])
    return out


def test_the_fontstack_folder_holds_the_ranges():
    names = [p.name for p in _pbf_files()]
    for needed in ("0-255.pbf", "256-511.pbf", "512-767.pbf", "7680-7935.pbf", "8192-8447.pbf"):
        assert needed in names
    total = sum(p.stat().st_size for p in _pbf_files())
    assert total < 700_000, f"glyphs grew to {total} bytes"


@pytest.mark.parametrize("path", _pbf_files(), ids=lambda p: p.name)
def test_each_range_decodes_and_names_itself(path):
    stacks = decode(path.read_bytes())
    assert len(stacks) == 1
    stack = stacks[0]
    assert stack["name"] == path.parent.name == FONTSTACK
    assert stack["range"] == path.stem
    start, end = (int(v) for v in path.stem.split("-"))
    assert start % 256 == 0 and end == start + 255  # MapLibre asks for exactly these blocks
    assert stack["glyphs"], "an empty range"
    for cp, glyph in stack["glyphs"].items():
        assert start <= cp <= end
        if glyph["width"] and glyph["height"]:
            assert len(glyph["bitmap"]) == (glyph["width"] + 2 * BORDER) * (glyph["height"] + 2 * BORDER), cp
        else:
            assert glyph["bitmap"] == b"", cp
        assert 0 <= glyph["advance"] < 64, cp


def test_place_name_letters_are_covered():
    glyphs = _all_glyphs()
    missing = [ch for ch in NEEDED if ord(ch) not in glyphs]
    assert missing == []
    assert glyphs[ord(" ")]["advance"] > 0 and glyphs[ord(" ")]["width"] == 0
    for ch in NEEDED.replace(" ", ""):
        assert glyphs[ord(ch)]["width"] > 0 and glyphs[ord(ch)]["bitmap"], ch


def test_bitmaps_are_distance_fields_with_the_edge_at_192():
    """'I' is a 2 px bar: its middle is well inside (>192), the border far outside (0-ish)."""
    glyph = _all_glyphs()[ord("I")]
    cols = glyph["width"] + 2 * BORDER
    rows = glyph["height"] + 2 * BORDER
    bitmap = glyph["bitmap"]
    middle_row = bitmap[(rows // 2) * cols : (rows // 2 + 1) * cols]
    assert max(middle_row) > 192
    assert middle_row[0] < 192 and middle_row[-1] < 192
    ink = [i for i, v in enumerate(middle_row) if v >= 192]
    assert ink == list(range(ink[0], ink[-1] + 1)), "one solid stroke"
    assert 1 <= len(ink) <= 4
    # advances of a proportional 24 px font
    glyphs = _all_glyphs()
    assert glyphs[ord("i")]["advance"] < glyphs[ord("m")]["advance"]
    assert 10 <= glyphs[ord("A")]["height"] <= 20


@pytest.mark.skipif(
    importlib.util.find_spec("fontTools") is None, reason="fontTools: pip install -e '.[glyphs]'"
)
def test_the_committed_files_match_a_rebuild(capsys):
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.is_file():
        pytest.skip("DejaVu Sans is not installed (fonts-dejavu-core)")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_glyphs
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert build_glyphs.main(["--check"]) == 0, capsys.readouterr().err
