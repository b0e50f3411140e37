"""Folding Arabic text for matching, with a map back to the original offsets.

News Arabic writes one word many ways: with or without hamza on the alif (أ إ آ ا), ta marbuta
or ha at the end (ة ه), alif maqsura or ya (ى ي), with or without short vowels, shadda and the
tatweel that stretches a word for layout, and with Arabic-Indic or Western digits. Rules are
written once in plain spelling and matched against a folded copy of the text; every folded
character remembers where it came from, so the evidence offsets are those of the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DROP = re.compile(
    r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",  # Persian ya
        "ک": "ك",  # Persian kaf
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Eastern Arabic-Indic digits
        "٫": ".",  # Arabic decimal separator
        "٬": ",",  # Arabic thousands separator
    }
)


def fold(text: str) -> str:
    """Folded spelling of a rule or a name (no offsets kept)."""
    return _DROP.sub("", text).translate(_MAP)


@dataclass(frozen=True)
class Folded:
    """A folded copy of a text and, for each folded character, its offset in the original."""

    text: str
    offsets: tuple[int, ...]  # len(text) + 1 entries: the last is the original length

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of folded ``text[start:end]``."""
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


def fold_with_offsets(text: str) -> Folded:
    """Fold ``text`` character by character (dropped marks leave no folded character)."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if _DROP.match(ch):
            continue
        chars.append(ch.translate(_MAP))
        offsets.append(i)
    offsets.append(len(text))
    return Folded("".join(chars), tuple(offsets))


# Letters that attach to the front of a word: conjunctions و ف, prepositions ب ل ك, and the
# article ال (which after the preposition ل is written ل: لل-). The future prefix س is left out
# on purpose: "will strike" is not a strike.
_PREFIX = r"(?:[وف])?(?:[بك]|ل)?"
# Endings that attach to the back: plural/dual/feminine/verb endings, then a pronoun.
_SUFFIX = r"(?:ات|ين|ان|ون|يه|يات|ي|ا|وا|ت|تا|تان|تين)?(?:ها|هم|هما|ه|نا|كم)?"
WORD_START = r"(?<![\w])"
WORD_END = r"(?![\w])"


def _alternative(alt: str, suffixes: bool) -> str:
    """One alternative: the article on each word optional ("عبوة ناسفة" also matches
    "العبوة الناسفة"), "ل" + "ال" written "لل" understood."""
    out = []
    for n, word in enumerate(alt.split()):
        if word.startswith("ال"):
            head, word = r"(?:ال)?(?:ال|(?<=ل)ل)", word[2:]  # "الألغام": article + root alif-lam
        else:
            head = r"(?:ال|(?<=ل)ل)?" if suffixes or n else ""
        out.append(head + re.escape(word) if not _RX.search(word) else head + word)
    return r"\s+".join(out)


_RX = re.compile(r"[\\()\[\]?*+{}.]")  # the alternative already holds regex syntax


def word_pattern(alternatives: str, suffixes: bool = True) -> re.Pattern[str]:
    """A regex for ``a|b|c`` (plain Arabic, folded here) as whole words with attached prefixes
    and, when ``suffixes``, attached endings. Alternatives are tried longest first."""
    alts = sorted({fold(a).strip() for a in alternatives.split("|") if a.strip()}, key=len, reverse=True)
    end = _SUFFIX if suffixes else ""
    body = "|".join(_alternative(a, suffixes) for a in alts)
    return re.compile(f"{WORD_START}{_PREFIX}(?:{body}){end}{WORD_END}")


# How far into its first word a match's first alternative word may begin: conjunction (1),
# preposition (1), then up to two articles ("ال" + "ال" of a word that starts with one).
_MAX_LEAD = 6
_WORDS = re.compile(r"\w+")


def head_literals(alternatives: str) -> tuple[str, ...] | None:
    """The literal text every match of ``word_pattern(alternatives)`` has in its first word:
    each alternative's first word without its article. None when an alternative holds regex
    syntax (no literal can be promised)."""
    out = []
    for alt in alternatives.split("|"):
        alt = fold(alt).strip()
        if not alt:
            continue
        first = alt.split()[0]
        if _RX.search(first):
            return None
        out.append(first[2:] if first.startswith("ال") else first)
    return tuple(sorted(set(out)))


class Scanner:
    """Several whole-word patterns searched in one pass over a text.

    ``pattern.finditer`` tries every pattern at every character of a report, and with tables of
    hundreds of alternatives that was most of the Arabic extractor's time. A match can only
    begin where a word begins and its first word must contain one of the pattern's head
    literals (``head_literals``) within its first ``_MAX_LEAD`` letters; so the words of the
    text are looked up once in an index of those literals, and each pattern is tried
    (``match``) only at the word starts that hold one of its literals. Walking those starts in
    order and skipping past each match gives exactly ``finditer``'s matches."""

    def __init__(self, patterns: list[tuple[re.Pattern[str], tuple[str, ...] | None]]) -> None:
        self.patterns = [p for p, _ in patterns]
        self.unindexed = [i for i, (_, lits) in enumerate(patterns) if lits is None]
        index: dict[str, list[tuple[str, int]]] = {}
        for i, (_, lits) in enumerate(patterns):
            for lit in lits or ():
                index.setdefault(lit[:2], []).append((lit, i))
        self.index = {k: tuple(v) for k, v in index.items()}
        self.short = {k for k in self.index if len(k) == 1}  # one-letter literals ("ب ك ك")

    def scan(self, text: str) -> list[list[re.Match[str]]]:
        """``[list(p.finditer(text)) for p in patterns]``, computed from candidate word starts."""
        starts: list[set[int]] = [set() for _ in self.patterns]
        index, short = self.index, self.short
        for m in _WORDS.finditer(text):
            tok, s = m.group(0), m.start()
            for j in range(min(_MAX_LEAD + 1, len(tok))):
                keys = (tok[j : j + 2], tok[j]) if short else (tok[j : j + 2],)
                for key in keys:
                    for lit, i in index.get(key, ()):
                        if tok.startswith(lit, j):
                            starts[i].add(s)
        out: list[list[re.Match[str]]] = []
        for i, pat in enumerate(self.patterns):
            if i in self.unindexed:
                out.append(list(pat.finditer(text)))
                continue
            found: list[re.Match[str]] = []
            last = 0
            for s in sorted(starts[i]):
                if s < last:
                    continue
                hit = pat.match(text, s)
                if hit is not None:
                    found.append(hit)
                    last = hit.end()
            out.append(found)
        return out
