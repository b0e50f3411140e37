"""Colours and labels shared by figures and panels.

Colour-blind safe, checked by ``tests/test_palette.py``: every pair of marker colours stays at
least 15 CIELAB units apart with normal vision and under simulated deuteranopia and protanopia
(Machado et al. 2009), and every marker stands out from every zone fill it can sit on.
"""

from __future__ import annotations

EVENT_COLOURS: dict[str, str] = {
    "battle": "#D55E00",  # vermillion
    "explosion_remote_violence": "#0072B2",  # blue
    "violence_against_civilians": "#882255",  # wine
    "protest": "#009E73",  # bluish green
    "riot": "#56B4E9",  # sky blue (orange sat too close to the vermillion of battles)
    "strategic_development": "#000000",  # black (dark grey merged with the wine under deuteranopia)
}

ZONE_COLOURS: dict[str, str] = {
    "SDF": "#F0E442",  # yellow
    "Syrian regime and Iran-backed militias": "#CC6677",  # rose
    "Syrian transitional government": "#44AA99",  # teal
}
# Contested areas: a neutral grey fill under a dashed dark-red outline (see figures).
CONTESTED_COLOUR = "#9a9a9a"
FALLBACK_ZONE_COLOURS = ("#DDCC77", "#88CCEE", "#AA4499", "#999933")

BASEMAP_COLOURS = {
    "background": "#f4f1ea",
    "countries": "#8c8c8c",
    "governorates": "#c8c2b4",
    "deir_ez_zor": "#5b4a2f",
    "rivers": "#3a7dc9",
    "lakes": "#a9cbea",
    "sites": "#332288",  # indigo (brown turned into battles' olive under deuteranopia)
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


# The density layer: pale lilac to deep purple, a hue no zone fill or event type uses, so a hot
# spot reads over yellow, rose and teal zones alike. The lowest stop is drawn transparent; the
# ramp rises fast at first so that a village's few incidents still show beside a city's many
# (the colour bar's ticks stay linear in incidents per area, so it reads true).
DENSITY_COLOURS: tuple[tuple[float, str], ...] = (
    (0.0, "#efedf5"),
    (0.03, "#dadaeb"),
    (0.1, "#bcbddc"),
    (0.25, "#9e9ac8"),
    (0.45, "#756bb1"),
    (0.7, "#54278f"),
    (1.0, "#3f007d"),
)
