"""Sentences of plain Wikipedia text, and which entity names they mention.

Sentence splitting is rule-based, as is usual for building MLM corpora from Wikipedia:

* Latin-script languages: a sentence ends at ``.``, ``!``, ``?`` or ``…`` (optionally followed by closing
  quotes or brackets) when white space and an upper-case letter, a digit or an opening quote follow --
  except after a known abbreviation of the language (``Dr.``, ``z. B.``, ``etc.`` ...), a single
  letter (initials such as ``J. S. Bach``), a dotted acronym (``U.S.``) or, in German, a one- or
  two-digit ordinal (``am 3. Oktober``, ``im 13. Jahrhundert``).
* Japanese and Chinese: a sentence ends after ``。``, ``！``, ``？`` (and their ASCII forms), with any
  closing brackets; no space is needed.

Every line of the text is split on its own (lines are paragraphs).

Entity matching (:class:`CandidateIndex`) is exact and respects word boundaries: "Berlin" matches
"in Berlin." and "Berlin-Brandenburg" but not "Berliner". In languages written without spaces a
candidate matches as a substring.
"""

from __future__ import annotations

import re
from typing import Hashable, Iterable

from xlt.text import NO_SPACE_LANGS

__all__ = ["split_sentences", "ends_like_sentence", "CandidateIndex", "strip_disambiguation"]

_ABBREVIATIONS = {
    "en": "mr mrs ms dr prof st jr sr vs etc e.g i.e inc ltd co corp no nos fig approx gen col lt sgt "
    "rev gov sen rep jan feb mar apr jun jul aug sep sept oct nov dec mt ft ca cf al dept est univ",
    "de": "z.b bzw ca dr prof st nr jh jhd jhs usw vgl evtl ggf inkl bzw u.a v.a d.h z.t s.o s.u o.a "
    "u.ä sog geb gest hl bd bde abs art str hrsg verf etc chr v.chr n.chr ev kath röm dt engl frz "
    "lat griech mio mrd tsd min max sek std akad dipl ing mag gem",
    "es": "sr sra srta dr dra prof pág págs art núm nº etc ej p.ej ee.uu ud uds av avda ca aprox "
    "c cía s.a gral lic ing vol tel d.c a.c",
    "nl": "dhr mevr mr dr prof ir ing drs st nr blz bijv o.a m.a.w d.w.z enz etc ca zgn jl resp",
    "fr": "m mm mme mlle dr pr st ste etc av apr j.-c p ex cf éd vol",
}
_ABBREV = {lang: frozenset(words.split()) for lang, words in _ABBREVIATIONS.items()}

_CLOSING = "\"'»«”“’‘)\\]"  # German closes with “ and «, French and Spanish with »
_BOUNDARY = re.compile(rf"[.!?…]+[{_CLOSING}]*\s+")
_OPENING = "\"'«„“‚‘([¿¡"
_CJK_BOUNDARY = re.compile(r"[。！？!?]+[」』）)\]］〕】\"”’]*")
_TERMINAL = re.compile(rf"[.!?…。！？][{_CLOSING}」』）］〕】]*$")
_DOTTED_ACRONYM = re.compile(r"^(?:\w\.)+\w?$")


def _previous_word(text: str, end: int) -> str:
    return text[text.rfind(" ", 0, end) + 1 : end]


def _is_boundary(text: str, m: re.Match, lang: str) -> bool:
    nxt = m.end()
    while nxt < len(text) and text[nxt] in _OPENING:
        nxt += 1
    if nxt >= len(text) or not (text[nxt].isupper() or text[nxt].isdigit()):
        return False
    punct = m.group()
    if punct[0] != ".":
        return True
    word = _previous_word(text, m.start())  # without the final period
    bare = word.lstrip(_OPENING).casefold()
    if len(bare) == 1 and bare.isalpha():
        return False  # initial: "J. S. Bach"
    if bare in _ABBREV.get(lang, ()) or bare in _ABBREV["en"] and lang not in _ABBREV:
        return False
    if "." in bare and _DOTTED_ACRONYM.match(bare):
        return False  # U.S., z.B., e.g.
    if lang == "de" and bare.isdigit() and len(bare) <= 2:
        return False  # German ordinals: "am 3. Oktober"
    return True


def split_sentences(text: str, lang: str) -> list[str]:
    """Split plain text (one paragraph per line) into sentences."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if lang in NO_SPACE_LANGS:
            start = 0
            for m in _CJK_BOUNDARY.finditer(line):
                piece = line[start : m.end()].strip()
                if piece:
                    out.append(piece)
                start = m.end()
            if line[start:].strip():
                out.append(line[start:].strip())
            continue
        start = 0
        for m in _BOUNDARY.finditer(line):
            if _is_boundary(line, m, lang):
                out.append(line[start : m.end()].strip())
                start = m.end()
        if line[start:].strip():
            out.append(line[start:].strip())
    return out


def ends_like_sentence(sentence: str) -> bool:
    """Whether the text ends with sentence-final punctuation (drops captions and list introductions)."""
    return bool(_TERMINAL.search(sentence))


_DISAMBIGUATION = re.compile(r"\s*\([^()]*\)$")


def strip_disambiguation(title: str) -> str:
    """A page title as running text names it: "Mercury (planet)" -> "Mercury"."""
    stripped = _DISAMBIGUATION.sub("", title).strip()
    return stripped or title


def _trie_pattern(names: Iterable[str]) -> str:
    """One regular expression matching any of ``names``, factored as a character trie.

    Alternatives share their prefixes, so the regex engine follows one branch per character instead
    of trying thousands of names at every position; longer names are tried before their prefixes.
    """
    trie: dict = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if ends:
            return ("(?:" + body + ")?") if len(alts) == 1 else body + "?"
        return body

    return build(trie)


class CandidateIndex:
    """Exact, word-boundary matching of many names (entity titles and surfaces) in text.

    ``entries`` are ``(name, key)`` pairs; several names may share a key (the target page and the
    English surfaces of one entity), and one name may belong to several keys. All names are compiled
    into one trie-shaped regular expression with word boundaries on both sides (none for languages
    written without spaces). :meth:`may_match` is the cheap pre-filter on raw wikitext (stops at the
    first hit, ignores word boundaries); :meth:`find` returns the keys named in a sentence, in order of first occurrence,
    preferring the longest name at each position ("New York City" over "New York").
    """

    def __init__(self, entries: Iterable[tuple[str, Hashable]], lang: str):
        self.lang = lang
        self.spaced = lang not in NO_SPACE_LANGS
        self._keys: dict[str, list[Hashable]] = {}
        for name, key in entries:
            name = " ".join(str(name).split())
            if len(name) < 2:
                continue
            keys = self._keys.setdefault(name, [])
            if key not in keys:
                keys.append(key)
        self.size = len(self._keys)
        if not self._keys:
            self._regex = self._prefilter = None
            return
        body = _trie_pattern(self._keys)
        # the pre-filter ignores word boundaries: without look-arounds the engine skips ahead to the
        # possible first characters, several times faster on text that mentions no name
        self._prefilter = re.compile(body)
        self._regex = re.compile(r"(?<!\w)(?:" + body + r")(?!\w)") if self.spaced else self._prefilter

    def __len__(self) -> int:
        return self.size

    def may_match(self, text: str) -> bool:
        """False only if no name occurs in ``text`` (True may still mean no whole-word match)."""
        return self._prefilter is not None and self._prefilter.search(text) is not None

    def find(self, sentence: str) -> list[Hashable]:
        """Keys of the names that occur in ``sentence``, first occurrence first."""
        found: list[Hashable] = []
        if self._regex is None:
            return found
        for name in self._regex.findall(sentence):
            for key in self._keys[name]:
                if key not in found:
                    found.append(key)
        return found
