"""French text analysis for matching: words, elisions, accents, stop words, stems, names.

Pure functions, no I/O. Everything the ranker compares goes through :func:`analyse`; near-duplicate
detection goes through :func:`shingles`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import Stemmer

_PUNCTUATION = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "′": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": " - ",
        "—": " - ",
        "\u00ad": None,
        "\u00a0": " ",
        "\u202f": " ",
        "\ufeff": None,
    }
)


def _fold_table() -> dict[int, str]:
    table = {ord("œ"): "oe", ord("Œ"): "OE", ord("æ"): "ae", ord("Æ"): "AE", ord("ß"): "ss"}
    for code in range(0xC0, 0x250):
        char = chr(code)
        bare = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if bare != char and bare.isascii() and bare:
            table[code] = bare
    return table


_FOLD = _fold_table()

ELISIONS = frozenset(
    {"l", "d", "qu", "j", "n", "s", "c", "m", "t", "jusqu", "lorsqu", "puisqu", "quoiqu"}
)
"""Elided words that an apostrophe joins to the next: « l'armée », « qu'il », « jusqu'au »."""

_STOP_LIST = """
    au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me meme mes
    moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
    tu un une vos votre vous c d j l a m n s t y ete etee etees etes etant suis es est sommes
    sont serai seras sera serons serez seront serais serait serions seriez seraient etais etait
    etions etiez etaient fus fut fumes futes furent sois soit soyons soyez soient fusse fusses
    fussions fussiez fussent ayant eu eue eues eus ai as avons avez ont aurai auras aura aurons
    aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eumes
    eutes eurent aie aies ait ayons ayez aient eusse eusses eut eussions eussiez eussent ceci
    cela cet cette ici ils les leurs quel quels quelle quelles sans soi
    plus moins tres tout tous toute toutes comme aussi si dont entre etre avoir fait faire
    selon apres avant depuis lors ainsi encore bien peu autre autres alors donc car or ni
    deja sous vers chez contre pendant celui celle ceux celles quand comment
    hier aujourdhui demain lundi mardi mercredi jeudi vendredi samedi dimanche
"""
STOP_WORDS = frozenset(_STOP_LIST.split())
"""Snowball's French stop list with accents folded, plus words every news story is full of."""

NAME_JOINERS = frozenset({"de", "d", "du", "des", "la", "le", "l"})
"""Small words inside one name: « Caisse d'Épargne », « Côte d'Ivoire », « Burkina Faso »."""

# A word: letters or digits, with inner apostrophes or hyphens (« aujourd'hui », « ras-le-bol »).
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
# What ends a sentence or opens a quotation (whose first word is capitalised anyway).
_SENTENCE_BREAK = re.compile(r"[.!?…\n«“\"]+|\s-\s")

_STEMMER = Stemmer.Stemmer("french")

PREFIX_LENGTH = 5
"""Length of the word prefix indexed beside the stem."""


def fold(text: str) -> str:
    """Lowercase and strip accents: « Épargne » -> « epargne », « cœur » -> « coeur »."""
    return text.lower().translate(_FOLD)


def normalise(text: str) -> str:
    """Unicode NFC; typographic apostrophes, dashes and spaces made plain; BOM dropped."""
    return unicodedata.normalize("NFC", text).translate(_PUNCTUATION)


class _Word(NamedTuple):
    folded: str
    stem: str
    prefix: str
    kept: bool


@lru_cache(maxsize=200_000)
def _word(lower: str) -> _Word:
    folded = lower.translate(_FOLD)
    stemmed = _STEMMER.stemWord(lower).translate(_FOLD)
    # Of numbers only years are kept: other numbers match by chance.
    kept = len(folded) == 4 if folded.isdigit() else len(folded) > 1 and folded not in STOP_WORDS
    prefix = "#" + folded[:PREFIX_LENGTH] if len(folded) > 2 else ""
    return _Word(folded, stemmed, prefix, kept)


def stem(word: str) -> str:
    """The Snowball French stem of one word, accents folded after stemming."""
    return _word(word.lower()).stem


def _split(word: str) -> list[str]:
    """A word with apostrophes or hyphens: its parts, elisions dropped."""
    parts = []
    for part in word.split("-"):
        pieces = part.split("'")
        while len(pieces) > 1 and fold(pieces[0]) in ELISIONS:
            pieces.pop(0)
        joined = "".join(pieces)
        if joined:
            parts.append(joined)
    return parts


class Token(NamedTuple):
    surface: str
    """The word as written (case and accents kept), elision removed."""
    sentence_start: bool


def _words(text: str) -> tuple[list[str], list[bool]]:
    surfaces: list[str] = []
    starts: list[bool] = []
    for sentence in _SENTENCE_BREAK.split(normalise(text)):
        first = len(surfaces)
        for match in _WORD.findall(sentence):
            if "'" in match or "-" in match:
                surfaces.extend(_split(match))
            else:
                surfaces.append(match)
        if len(surfaces) > first:
            starts.extend([False] * (len(surfaces) - len(starts)))
            starts[first] = True
    return surfaces, starts


def tokens(text: str) -> list[Token]:
    """Words of ``text``, elisions dropped (« l'armée » -> « armée »), sentence starts marked."""
    return [Token(*pair) for pair in zip(*_words(text), strict=True)]


class _Surface(NamedTuple):
    word: _Word
    lower: str
    acronym: bool
    capitalised: bool
    candidate: bool
    """A letter word that is not a stop word: it may be part of a name."""


@lru_cache(maxsize=200_000)
def _surface(surface: str) -> _Surface:
    lower = surface.lower()
    word = _word(lower)
    acronym = len(surface) >= 2 and surface.isupper() and surface.isalpha()
    capitalised = len(surface) > 1 and surface[0].isupper() and not surface.isupper()
    return _Surface(word, lower, acronym, capitalised, surface[0].isalpha() and word.kept)


def _entity_flags(starts: list[bool], surfaces: list[_Surface]) -> list[bool]:
    if sum(s.acronym for s in surfaces) > 0.6 * len(surfaces):
        return [False] * len(surfaces)
    known = {
        s.lower
        for start, s in zip(starts, surfaces, strict=True)
        if s.acronym or (s.capitalised and not start)
    }
    return [
        s.candidate and (s.acronym or (s.capitalised and (not start or s.lower in known)))
        for start, s in zip(starts, surfaces, strict=True)
    ]


def entity_flags(words: list[Token]) -> list[bool]:
    """Which words belong to a name: acronyms (AES, CEDEAO) and capitalised words.

    A capitalised word opening a sentence is a name only when the same word is capitalised
    elsewhere in the text, away from a sentence start. Text written all in capitals has no names.
    """
    starts = [w.sentence_start for w in words]
    return _entity_flags(starts, [_surface(w.surface) for w in words]) if words else []


@dataclass(frozen=True)
class Weights:
    """How much each kind of term counts, before TF-IDF."""

    title: float = 3.0
    """A term of the title counts this many times a term of the body."""
    entity: float = 2.0
    """A word that is part of a name counts this many times an ordinary one."""
    entity_pairs: bool = True
    """Also index two adjacent name words as one term (« ingrid betancourt »)."""
    prefixes: float = 1.0
    """Weight of the word's first letters as a second, coarser term (« chinois » ~ « Chine »)."""


DEFAULT_WEIGHTS = Weights()


def _add_field(text: str, scale: float, weights: Weights, into: defaultdict[str, float]) -> None:
    words, starts = _words(text)
    if not words:
        return
    surfaces = [_surface(w) for w in words]
    flags = _entity_flags(starts, surfaces)
    entity_weight = scale * weights.entity
    prefix_weight = scale * weights.prefixes
    pairs = weights.entity_pairs
    previous: str | None = None
    for surface, is_entity in zip(surfaces, flags, strict=True):
        info = surface.word
        if not info.kept:
            if not (is_entity or info.folded in NAME_JOINERS):
                previous = None
            continue
        if is_entity:
            into[info.stem] += entity_weight
            if pairs:
                if previous is not None:
                    into[previous + "_" + info.stem] += entity_weight
                previous = info.stem
        else:
            into[info.stem] += scale
            previous = None
        if info.prefix and prefix_weight:
            into[info.prefix] += prefix_weight


def analyse(title: str, text: str, weights: Weights = DEFAULT_WEIGHTS) -> dict[str, float]:
    """Weighted terms of a document: stems, word prefixes (``#``) and name pairs (``a_b``).

    Title terms count ``weights.title`` times, names ``weights.entity`` times.
    """
    terms: defaultdict[str, float] = defaultdict(float)
    _add_field(title, weights.title, weights, terms)
    _add_field(text, 1.0, weights, terms)
    return dict(terms)


def plain_terms(text: str) -> list[str]:
    """Stemmed words, stop words dropped, nothing weighted: the benchmark's baseline."""
    return [info.stem for info in (_word(w.lower()) for w in _words(text)[0]) if info.kept]


def shingles(text: str, size: int = 3) -> set[str]:
    """Word ``size``-grams of folded words (stop words kept): what near-duplicates share."""
    words = [_word(w.lower()).folded for w in _words(text)[0]]
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def lead(text: str, words: int) -> str:
    """The first ``words`` words of ``text``."""
    return " ".join(text.split()[:words])
