"""Build the map's text glyphs: SDF glyph PBFs for MapLibre from DejaVu Sans, no network.

Why: MapLibre (inside plotly.js) draws no text without a style ``"glyphs"`` URL, and the
dashboard must work offline, so the glyph ranges are made here from a TTF on this machine and
committed under ``assets/glyphs/<fontstack>/<start>-<end>.pbf``; the app serves them as assets.

The format is MapLibre's glyph protobuf (``glyphs { repeated fontstack stacks = 1 }``,
``fontstack { name = 1; range = 2; repeated glyph glyphs = 3 }``, ``glyph { id = 1; bitmap = 2;
width = 3; height = 4; left = 5 (sint32); top = 6 (sint32); advance = 7 }``), encoded by hand.
Each bitmap is a signed distance field of ``(width + 6) * (height + 6)`` bytes (a 3 px border
all round, rows top first) for a 24 px em, the convention MapLibre's shaders decode
(``SDF_PX 8.0``, edge at ``(256 - 64) / 256``): the outline is at 191-192, inside is higher,
and one pixel of distance is 256 / 8 = 32 steps, so the field reaches 8 px (6 px out, 2 px in).
The metrics follow the convention of the usual glyph builders: ``left`` is the rounded left of
the outline's box, ``top`` its rounded top less the font's ascender at 24 px (rounded up),
``width``/``height`` the rounded box, ``advance`` the horizontal advance.

How: the outlines are read with fontTools (components decomposed), the quadratic curves cut
into short lines (at most 0.01 px off the curve), and every bitmap pixel centre gets its exact
distance to the nearest line, negative inside (non-zero winding, TrueType's fill rule). Only
numpy arithmetic, in a fixed order: the same font gives the same bytes on every run.

usage: python scripts/build_glyphs.py [--font PATH] [--out DIR] [--check] [--arabic] [--stack NAME]
  --check  rebuild in memory and compare with the files on disk; exit 1 on any difference.
  --stack naskh  the Arabic fontstack "Noto Naskh Arabic Regular" from the app's own
           assets/fonts/NotoNaskhArabic-Regular.ttf: the Arabic block and the presentation
           forms that MapLibre's rtl-text plugin shapes Arabic into (see ARABIC_STACK_RANGES).

fontTools is a build-time need only (``pip install -e '.[glyphs]'``); the app never imports it.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEFAULT_OUT = ROOT / "assets" / "glyphs"
FONTSTACK = "DejaVu Sans Book"

# MapLibre asks for glyphs in blocks of 256 code points, named "<start>-<end>".
# 0-767: Latin-1, Latin Extended-A/B, IPA and spacing modifiers (ʿ ʾ of transliterations);
# 7680-7935: Latin Extended Additional (ḥ ṣ ṭ ḍ ẓ ...); 8192-8447: punctuation (– — ’ “ …).
RANGES: tuple[tuple[int, int], ...] = ((0, 255), (256, 511), (512, 767), (7680, 7935), (8192, 8447))
# DejaVu's own Arabic (1536-1791) and Presentation Forms-B block (65024-65279: MapLibre asks for
# whole 256 blocks, so U+FE70-U+FEFF comes as "65024-65279"). Only with --arabic, not committed:
# Arabic place names have their own stack, "Noto Naskh Arabic Regular" (--stack naskh).
ARABIC_RANGES: tuple[tuple[int, int], ...] = ((1536, 1791), (65024, 65279))

# The Arabic place-name stack: Noto Naskh Arabic (SIL OFL 1.1, assets/fonts, provenance in
# data/README.md). Arabic (1536-1791, with the Arabic-Indic digits and punctuation), and the blocks
# the rtl-text plugin's letter shaping (ICU u_shapeArabic) writes: Presentation Forms-B
# (U+FE70-U+FEFF, lam-alef included, in MapLibre's block 65024-65279) and the start of Forms-A
# (U+FB50-U+FBFF in block 64256-64511: the contextual forms of peh, tcheh, gaf, keheh, farsi yeh).
# Not the rest of Forms-A (64512-65023, 360 KB of ligatures that shaping letters never writes).
# Also 0-255 and 8192-8447: the font's space, digits, punctuation, and the joiners and direction
# marks (ZWNJ, ZWJ, LRM, RLM) an Arabic name may hold, so no character of a label is drawn with a
# local browser font. The plotly.js 3 MapLibre shapes and orders Arabic itself (a built-in
# fallback when no rtl-text plugin is registered), so these ranges are all a label needs.
NASKH_FONT = ROOT / "assets" / "fonts" / "NotoNaskhArabic-Regular.ttf"
NASKH_FONTSTACK = "Noto Naskh Arabic Regular"
ARABIC_STACK_RANGES: tuple[tuple[int, int], ...] = (
    (0, 255),
    (1536, 1791),
    (8192, 8447),
    (64256, 64511),
    (65024, 65279),
)
STACKS: dict[str, tuple[Path, str, tuple[tuple[int, int], ...]]] = {
    "dejavu": (DEFAULT_FONT, FONTSTACK, RANGES),
    "naskh": (NASKH_FONT, NASKH_FONTSTACK, ARABIC_STACK_RANGES),
}

SIZE = 24  # px per em: MapLibre's ONE_EM
BORDER = 3  # px of field around each glyph box: MapLibre's GLYPH_PBF_BORDER
RADIUS = 8.0  # px of distance the 0-255 field spans: the shaders' SDF_PX
CUTOFF = 0.25  # share of the field outside the edge: edge at 255 - 64 = 191
FLATNESS = 0.01  # px: most a flattened curve strays from the true one


# ---------------------------------------------------------------- protobuf, by hand


def _varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("varint of a negative number")
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) if value >= 0 else ((-value << 1) - 1)


def _field_varint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _field_bytes(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def encode_glyph(
    codepoint: int, bitmap: bytes | None, width: int, height: int, left: int, top: int, advance: int
) -> bytes:
    out = _field_varint(1, codepoint)
    if bitmap:
        out += _field_bytes(2, bitmap)
    out += _field_varint(3, width) + _field_varint(4, height)
    out += _field_varint(5, _zigzag(left)) + _field_varint(6, _zigzag(top))
    out += _field_varint(7, advance)
    return out


def encode_range(name: str, start: int, end: int, glyphs: Iterable[bytes]) -> bytes:
    stack = _field_bytes(1, name.encode("utf-8")) + _field_bytes(2, f"{start}-{end}".encode("ascii"))
    for glyph in glyphs:
        stack += _field_bytes(3, glyph)
    return _field_bytes(1, stack)


# ---------------------------------------------------------------- outlines


def _round_half_away(value: float) -> int:
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


def _flattening_pen(glyph_set, scale: float):
    """A fontTools pen that collects closed polylines (in px, y up) from a glyph's outline."""
    from fontTools.pens.basePen import BasePen

    class FlatteningPen(BasePen):
        def __init__(self) -> None:
            super().__init__(glyph_set)
            self.rings: list[list[tuple[float, float]]] = []
            self._ring: list[tuple[float, float]] = []

        def _px(self, pt) -> tuple[float, float]:
            return (pt[0] * scale, pt[1] * scale)

        def _moveTo(self, pt) -> None:
            self._finish()
            self._ring = [self._px(pt)]

        def _lineTo(self, pt) -> None:
            self._ring.append(self._px(pt))

        def _qCurveToOne(self, pt1, pt2) -> None:
            p0 = self._ring[-1]
            p1, p2 = self._px(pt1), self._px(pt2)
            bend = math.hypot(p0[0] - 2 * p1[0] + p2[0], p0[1] - 2 * p1[1] + p2[1])
            steps = max(1, math.ceil(math.sqrt(bend / (4 * FLATNESS))))
            for i in range(1, steps + 1):
                t = i / steps
                u = 1 - t
                self._ring.append(
                    (
                        u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0],
                        u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1],
                    )
                )

        def _curveToOne(self, pt1, pt2, pt3) -> None:
            p0 = self._ring[-1]
            p1, p2, p3 = self._px(pt1), self._px(pt2), self._px(pt3)
            bend = max(
                math.hypot(p0[0] - 2 * p1[0] + p2[0], p0[1] - 2 * p1[1] + p2[1]),
                math.hypot(p1[0] - 2 * p2[0] + p3[0], p1[1] - 2 * p2[1] + p3[1]),
            )
            steps = max(1, math.ceil(math.sqrt(6 * bend / (8 * FLATNESS))))
            for i in range(1, steps + 1):
                t = i / steps
                u = 1 - t
                self._ring.append(
                    (
                        u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                        u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
                    )
                )

        def _closePath(self) -> None:
            self._finish()

        def _endPath(self) -> None:
            self._finish()

        def _finish(self) -> None:
            ring = self._ring
            self._ring = []
            if len(ring) < 3:
                return
            if ring[0] != ring[-1]:
                ring.append(ring[0])
            self.rings.append(ring)

    return FlatteningPen()


def signed_distance_field(
    rings: list[list[tuple[float, float]]], left: int, top_px: int, width: int, height: int
):
    """Bytes of the SDF for a glyph box [left, left+width] x [top_px-height, top_px] (px, y up)."""
    starts = np.array([pt for ring in rings for pt in ring[:-1]], dtype=np.float64)
    ends = np.array([pt for ring in rings for pt in ring[1:]], dtype=np.float64)
    cols = width + 2 * BORDER
    rows = height + 2 * BORDER
    xs = left - BORDER + 0.5 + np.arange(cols, dtype=np.float64)
    ys = top_px + BORDER - 0.5 - np.arange(rows, dtype=np.float64)  # first row is the top one
    px = np.tile(xs, rows)[:, None]
    py = np.repeat(ys, cols)[:, None]

    ax, ay = starts[:, 0][None, :], starts[:, 1][None, :]
    bx, by = ends[:, 0][None, :], ends[:, 1][None, :]
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    safe = np.where(length2 > 0, length2, 1.0)
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / safe, 0.0, 1.0)
    t = np.where(length2 > 0, t, 0.0)
    ex = px - (ax + t * dx)
    ey = py - (ay + t * dy)
    dist = np.sqrt((ex * ex + ey * ey).min(axis=1))

    # Non-zero winding: a ray to the right crosses upward edges (+1) and downward ones (-1).
    cross = dx * (py - ay) - (px - ax) * dy
    upward = (ay <= py) & (by > py) & (cross > 0)
    downward = (ay > py) & (by <= py) & (cross < 0)
    winding = upward.sum(axis=1) - downward.sum(axis=1)
    signed = np.where(winding != 0, -dist, dist)

    steps = np.minimum(signed, RADIUS) * (256.0 / RADIUS) + CUTOFF * 256.0
    level = np.clip(np.floor(steps + 0.5), 0, 255)
    return (255 - level).astype(np.uint8).tobytes()


class GlyphSource:
    def __init__(self, font_path: Path) -> None:
        from fontTools.ttLib import TTFont

        self.font = TTFont(str(font_path), lazy=False)
        self.cmap = self.font.getBestCmap()
        self.glyph_set = self.font.getGlyphSet()
        self.hmtx = self.font["hmtx"]
        upem = self.font["head"].unitsPerEm
        self.scale = SIZE / upem
        # FreeType's size ascender: the hhea ascent scaled, rounded up to a whole pixel.
        self.ascender = math.ceil(self.font["hhea"].ascent * self.scale)

    def codepoints(self, start: int, end: int) -> list[int]:
        return sorted(cp for cp, name in self.cmap.items() if start <= cp <= end and name != ".notdef")

    def glyph(self, codepoint: int) -> bytes:
        name = self.cmap[codepoint]
        advance = _round_half_away(self.hmtx[name][0] * self.scale)
        pen = _flattening_pen(self.glyph_set, self.scale)
        self.glyph_set[name].draw(pen)
        rings = pen.rings
        if not rings:
            return encode_glyph(codepoint, None, 0, 0, 0, 0, advance)
        points = np.array([pt for ring in rings for pt in ring], dtype=np.float64)
        xmin = _round_half_away(float(points[:, 0].min()))
        xmax = _round_half_away(float(points[:, 0].max()))
        ymin = _round_half_away(float(points[:, 1].min()))
        ymax = _round_half_away(float(points[:, 1].max()))
        width, height = xmax - xmin, ymax - ymin
        if width <= 0 or height <= 0:
            return encode_glyph(codepoint, None, 0, 0, 0, 0, advance)
        bitmap = signed_distance_field(rings, xmin, ymax, width, height)
        return encode_glyph(codepoint, bitmap, width, height, xmin, ymax - self.ascender, advance)

    def range_pbf(self, start: int, end: int, name: str = FONTSTACK) -> bytes:
        return encode_range(name, start, end, (self.glyph(cp) for cp in self.codepoints(start, end)))


def build(
    font_path: Path, ranges: Iterable[tuple[int, int]] = RANGES, name: str = FONTSTACK
) -> Iterator[tuple[str, bytes]]:
    source = GlyphSource(font_path)
    for start, end in ranges:
        yield f"{start}-{end}.pbf", source.range_pbf(start, end, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=sorted(STACKS), default="dejavu", help="which fontstack to build")
    parser.add_argument("--font", type=Path, default=None, help="the TTF to read (default: the stack's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder holding the fontstack folder")
    parser.add_argument("--check", action="store_true", help="compare a rebuild with the files on disk")
    parser.add_argument("--arabic", action="store_true", help="also the two Arabic ranges (not committed)")
    args = parser.parse_args(argv)
    stack_font, stack, ranges = STACKS[args.stack]
    font = args.font or stack_font
    if args.arabic and args.stack == "dejavu":
        ranges = ranges + ARABIC_RANGES

    folder = args.out / stack
    if args.check:
        bad = []
        for name, data in build(font, ranges, stack):
            path = folder / name
            if not path.is_file() or path.read_bytes() != data:
                bad.append(str(path))
        if bad:
            print("glyphs differ from a rebuild: " + ", ".join(bad), file=sys.stderr)
            return 1
        print(f"{len(ranges)} glyph ranges in {folder} match a rebuild")
        return 0

    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, data in build(font, ranges, stack):
        (folder / name).write_bytes(data)
        total += len(data)
        print(f"{folder / name}: {len(data):,} bytes")
    print(f"total {total:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
