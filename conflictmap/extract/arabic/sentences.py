"""Split Arabic news text into sentences with offsets into the original text.

Arabic copy ends sentences with the full stop, ؟ ! and often ؛, but long reports chain several
incidents with the Arabic comma ، and a connective ("، فيما ..." / "، كما ..." / "، وفي ...").
Such a chain is cut at the connective when the sentence is long, so each incident gets its own
sentence (its own date, place and actors). A paragraph break always ends a sentence; a short line
without final punctuation is a headline, byline or dateline and is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conflictmap.extract.arabic.tables import lexicon
from conflictmap.extract.arabic.text import Folded, fold
from conflictmap.extract.sentences import Sentence

# Sentence ends: . ! ? ؟ ؛ ; (a full stop between digits is a decimal point, not an end)
_END = re.compile(r"(?<!\d)[.!?؟؛;]+(?=\s|$|[\"»”)])|(?<=\d)[.!?؟؛;]+(?=\s+\D|$)")
LONG_SENTENCE = 160  # folded characters; a comma chain longer than this is cut at its connectives
_HEADLINE_WORDS = 8


@dataclass(frozen=True)
class ArSentence:
    """A sentence: the shared ``Sentence`` (original text and offsets) and its folded text."""

    sentence: Sentence
    folded: str
    fstart: int  # offset of ``folded`` in the folded article


def _connective() -> re.Pattern[str]:
    words = sorted((w for w in lexicon()["clause_breaks"]), key=len, reverse=True)
    alts = "|".join(re.escape(w) for w in words)
    return re.compile(rf"،\s*(?=(?:{alts})(?![\w]))")


def _pieces(text: str, start: int) -> list[tuple[int, int]]:
    """(start, end) of each sentence of one paragraph of folded text."""
    out = []
    pos = 0
    for m in _END.finditer(text):
        out.append((pos, m.end()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    cut = _connective()
    final = []
    for s, e in out:
        if e - s <= LONG_SENTENCE:
            final.append((s, e))
            continue
        last = s
        for m in cut.finditer(text, s, e):
            if m.start() - last >= 40 and e - m.end() >= 40:  # no crumbs
                final.append((last, m.start() + 1))
                last = m.end()
        final.append((last, e))
    return [(start + s, start + e) for s, e in final]


def split_sentences(original: str, folded: Folded, title: str | None = None) -> list[ArSentence]:
    """Sentences of the body in text order; a paragraph that repeats the title is skipped."""
    title_key = re.sub(r"\W+", "", fold(title)) if title else None
    out: list[ArSentence] = []
    ftext = folded.text
    paragraphs = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]+", ftext)]
    for p_no, (p_start, para) in enumerate(paragraphs):
        stripped = para.strip()
        if not stripped or (title_key and re.sub(r"\W+", "", stripped) == title_key):
            continue
        if (
            not re.search(r"[.!?؟؛:\"»”]\s*$", stripped)
            and len(stripped.split()) < _HEADLINE_WORDS
            and p_no < len(paragraphs) - 1
        ):
            continue  # headline, byline, dateline on its own line
        for s, e in _pieces(para, p_start):
            while s < e and ftext[s].isspace():
                s += 1
            while e > s and ftext[e - 1].isspace():
                e -= 1
            if e - s < 12:
                continue
            o_start, o_end = folded.span(s, e)
            sent = Sentence(original[o_start:o_end], o_start, o_end, p_no, len(out))
            out.append(ArSentence(sent, ftext[s:e], s))
    return out
