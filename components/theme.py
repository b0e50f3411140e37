"""Colours and labels shared by figures and panels.

Colour-blind safe: event types use the Okabe-Ito palette plus Tol's wine, and control zones use
hues far from every event colour so a marker never disappears into the zone under it.
"""

from __future__ import annotations

EVENT_COLOURS: dict[str, str] = {
    "battle": "#D55E00",  # vermillion
    "explosion_remote_violence": "#0072B2",  # blue
    "violence_against_civilians": "#882255",  # wine
    "protest": "#009E73",  # bluish green
    "riot": "#E69F00",  # orange
    "strategic_development": "#555555",  # dark grey
}

EVENT_LABELS: dict[str, str] = {
    "battle": "Battle",
    "explosion_remote_violence": "Explosion / remote violence",
    "violence_against_civilians": "Violence against civilians",
    "protest": "Protest",
    "riot": "Riot",
    "strategic_development": "Strategic development",
}

ZONE_COLOURS: dict[str, str] = {
    "SDF": "#F0E442",  # yellow
    "Syrian regime and Iran-backed militias": "#CC6677",  # rose
    "Syrian transitional government": "#44AA99",  # teal
}
# Contested areas: a neutral grey fill under a dashed dark-red outline (see figures).
CONTESTED_COLOUR = "#9a9a9a"
FALLBACK_ZONE_COLOURS = ("#DDCC77", "#88CCEE", "#AA4499", "#999933")

PRECISION_LABELS: dict[int, str] = {
    1: "town or village",
    2: "near a town / part of a district",
    3: "governorate or region only",
}

BASEMAP_COLOURS = {
    "background": "#f4f1ea",
    "countries": "#8c8c8c",
    "governorates": "#c8c2b4",
    "deir_ez_zor": "#5b4a2f",
    "rivers": "#3a7dc9",
    "lakes": "#a9cbea",
    "sites": "#8a6a3b",  # brown: never confused with the grey of strategic developments
}


def zone_colour(controller: str, index: int = 0) -> str:
    """The controller's colour; a qualified name ("SDF (Deir ez-Zor Military Council ...)") keeps
    the colour of the name it starts with, so one force is one colour in the legend."""
    if controller in ZONE_COLOURS:
        return ZONE_COLOURS[controller]
    for name, colour in ZONE_COLOURS.items():
        if controller.startswith(name):
            return colour
    return FALLBACK_ZONE_COLOURS[index % len(FALLBACK_ZONE_COLOURS)]
