"""Rule-based event extraction from Arabic news reports, in the English extractor's schema.

Modules mirror the English pipeline: ``text`` (folding with offsets kept), ``sentences`` (Arabic
punctuation and comma chains), ``dates``, ``numbers``, ``actors``, ``places`` and ``assemble``;
vocabulary is in ``extract/rules/ar/``. Shared pieces (``Draft``, ``merge_drafts``, confidence,
event ids, the regime-change date) are imported from the English modules, never copied.
"""

from __future__ import annotations

from conflictmap.extract.arabic.assemble import extract_drafts
from conflictmap.extract.arabic.tables import warm_up
from conflictmap.language import EXTRACTOR_LANGUAGES, article_language, script_language

__all__ = ["EXTRACTOR_LANGUAGES", "article_language", "extract_drafts", "script_language", "warm_up"]
