"""Where an extracted event stops being shown as fact: one threshold for the extractor, the store,
the filters and the map.

``merge.confidence`` is calibrated on the development corpus (``conflictmap evaluate --folds 5``
prints the table): at 0.4 and above about nine predicted events in ten match a hand-coded one;
below it fewer than two in three do. Events below the threshold are kept as *low-confidence
candidates*: stored, hidden from the map, counts and exports by default, and shown on request
(``cand=1``, the "Low-confidence candidates" box) with their own style, so an analyst can look
at what the extractor was unsure of without it passing for a reported incident.
"""

from __future__ import annotations

CONFIDENCE_THRESHOLD = 0.4


def is_candidate(confidence: float | None) -> bool:
    """True for an extracted reading below the threshold (a missing confidence is not one)."""
    return confidence is not None and confidence < CONFIDENCE_THRESHOLD
