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
