"""Split an article into sentences with character offsets, dropping page furniture.

spaCy's rule-based sentencizer (no model download) is run per paragraph: outlets put headlines,
bylines and datelines on their own lines without a full stop, and a paragraph break is always a
sentence break in news copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from conflictmap.extract.rules import load_lexicon

_DATE_ARTEFACT = re.compile(r"^\s*date \d{4}-\d{2}-\d{2}\s*")
_DATELINE = re.compile(
    r"^[A-Z][A-Z ,.]{2,40}(?:\([^)]{0,40}\))?(?:,\s*[A-Z][\w ]{2,30})?\s*(?:\([^)]{0,20}\))?\s*[-–—]\s+"
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article: offsets into the article text (so evidence can be highlighted),
    its paragraph number and its index among the kept sentences, counted from 0."""

    text: str  # exactly text[start:end] of the article
    start: int
    end: int
    paragraph: int
    index: int


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def split_sentences(text: str, title: str | None = None) -> list[Sentence]:
    """Sentences of the body, each an exact slice of ``text``; headlines and furniture skipped."""
    lex = load_lexicon()
    title_key = _norm(title) if title else None
    paragraphs: list[tuple[int, str]] = []
    pos = 0
    for para in re.split(r"(\n\s*\n|\n)", text):
        if para and not para.isspace() and not para.startswith("\n"):
            paragraphs.append((pos, para))
        pos += len(para)
    out: list[Sentence] = []
    nlp = _nlp()
    idx = 0
    for p_no, (p_start, para) in enumerate(paragraphs):
        stripped = para.strip()
        if not stripped:
            continue
        if title_key and _norm(stripped) == title_key:
            continue
        if lex.boilerplate.match(stripped):
            continue
        if (
            not re.search(r"[.!?”\"’:]\s*$", stripped)
            and len(stripped.split()) < 14
            and p_no < len(paragraphs) - 1
        ):
            continue  # headline, byline, dateline on its own line
        for sent in nlp(para).sents:
            s_text = sent.text
            lead = len(s_text) - len(s_text.lstrip())
            s_text = s_text.strip()
            if len(s_text) < 12:
                continue
            start = p_start + sent.start_char + lead
            m = _DATE_ARTEFACT.match(s_text)
            if m:
                start += m.end()
                s_text = s_text[m.end() :]
            m = _DATELINE.match(s_text)
            if m and idx == 0 or (m and len(out) < 2):
                start += m.end()
                s_text = s_text[m.end() :]
            if lex.boilerplate.match(s_text):
                continue
            out.append(Sentence(s_text, start, start + len(s_text), p_no, idx))
            idx += 1
    return out
