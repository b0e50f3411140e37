"""Marker colours stay apart for colour-blind readers, and off every zone they are drawn over.

Deuteranopia and protanopia are simulated with the matrices of Machado, Oliveira and Fernandes
(2009, severity 1) in linear RGB; distances are CIE76 Delta E in CIELAB. About 10 is "clearly
different side by side"; markers are small and scattered, so the floors ask for more.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from components.theme import BASEMAP_COLOURS, EVENT_COLOURS, ZONE_COLOURS

VISION = {
    "normal": np.eye(3),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
}
ZONE_OPACITY = 0.38  # as drawn by components.figures


def rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def linear(c: np.ndarray) -> np.ndarray:
    c = c / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(lin: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    x, y, z = xyz / np.array([0.95047, 1.0, 1.08883])

    def f(t: float) -> float:
        return float(np.cbrt(t)) if t > 0.008856 else 7.787 * t + 16 / 116

    return np.array([116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))])


def seen(c: np.ndarray, vision: str) -> np.ndarray:
    return lab(np.clip(VISION[vision] @ linear(c), 0, 1))


def delta(a: np.ndarray, b: np.ndarray, vision: str) -> float:
    return float(np.linalg.norm(seen(a, vision) - seen(b, vision)))


MARKERS = {**EVENT_COLOURS, "key sites": BASEMAP_COLOURS["sites"]}
BACKGROUND = rgb(BASEMAP_COLOURS["background"])
GROUNDS = {"background": BACKGROUND} | {
    f"zone {name}": rgb(colour) * ZONE_OPACITY + BACKGROUND * (1 - ZONE_OPACITY)
    for name, colour in ZONE_COLOURS.items()
}


@pytest.mark.parametrize("vision", list(VISION))
def test_every_pair_of_marker_colours_stays_apart(vision):
    pairs = list(itertools.combinations(MARKERS.items(), 2))
    assert len(pairs) == 21
    worst = min((delta(rgb(a), rgb(b), vision), na, nb) for (na, a), (nb, b) in pairs)
    assert worst[0] >= 15, f"{worst[1]} and {worst[2]} look alike under {vision}: Delta E {worst[0]:.1f}"


@pytest.mark.parametrize("vision", list(VISION))
def test_every_marker_stands_out_from_every_zone_it_can_sit_on(vision):
    worst = min(
        (delta(rgb(c), ground, vision), name, gname)
        for name, c in MARKERS.items()
        for gname, ground in GROUNDS.items()
    )
    assert worst[0] >= 20, f"{worst[1]} fades into {worst[2]} under {vision}: Delta E {worst[0]:.1f}"


def test_the_old_palette_fails_this_check():
    """The check can fail: wine and dark grey (the palette before) merge under deuteranopia."""
    assert delta(rgb("#882255"), rgb("#555555"), "deuteranopia") < 5
