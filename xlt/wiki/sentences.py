"""Sentences of plain Wikipedia text, and which entity names they mention.

Sentence splitting is rule-based, as is usual for building MLM corpora from Wikipedia:

* Latin-script languages: a sentence ends at ``.``, ``!``, ``?`` or ``…`` (optionally followed by closing
  quotes or brackets) when white space and an upper-case letter, a digit or an opening quote follow --
  except after a known abbreviation of the language (``Dr.``, ``z. B.``, ``etc.`` ...), a single
  letter (initials such as ``J. S. Bach``), a dotted acronym (``U.S.``) or, in German, a one- or
  two-digit ordinal (``am 3. Oktober``, ``im 13. Jahrhundert``).
* Japanese and Chinese: a sentence ends after ``。``, ``！``, ``？`` (and their ASCII forms), with any
  closing brackets; no space is needed. An ASCII ``!`` or ``?`` right after a Latin letter or digit is
  part of a name ("Yahoo! JAPAN", "Jeopardy!") and ends nothing.

Brackets and quotes (ASCII and full-width: ``()``, ``[]``, ``（）``, ``「」``, ``『』``, ``【】``, ``“”``,
``„“``, ``«»``, ``"…"`` ...) are paired within the line; a sentence never ends inside a pair, so
"漢字（国字を含む。音読み）" and "(See below. It is.)" stay whole. A bracket without its partner (left by
a dropped template or a typo) is ignored rather than swallowing the rest of the paragraph.

Every line of the text is split on its own (lines are paragraphs).

Entity matching (:class:`CandidateIndex`) is exact and respects word boundaries: "Berlin" matches
"in Berlin." and "Berlin-Brandenburg" but not "Berliner". In languages written without spaces the
boundary depends on the script at each end of the name: a name ending (or starting) in Latin letters or
digits must not touch Latin letters or digits there ("UN" is not found in "UNIX"), a katakana edge must
not touch katakana ("パリ" is not found in "パリバ"); kanji and hiragana edges may touch their own script
(``substring_scripts``: Chinese is one run of Han characters, and Japanese kanji compounds such as
"東京都" contain their names).
"""

from __future__ import annotations

import re
from typing import Hashable, Iterable

from xlt.text import NO_SPACE_LANGS

__all__ = [
    "split_sentences",
    "bracket_spans",
    "ends_like_sentence",
    "CandidateIndex",
    "SUBSTRING_SCRIPTS",
    "script_of",
    "strip_disambiguation",
]

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
_CJK_BOUNDARY = re.compile(r"[。！？!?]+[」』）)\]］〕】》〉\"”’]*")
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


# Brackets and quotes: each opener with the characters that close it. A character that both opens and
# closes (an ASCII quote, "»" in German »…« and French «…», "“" closing German „…“) closes the nearest
# open pair it belongs to, and opens one otherwise.
_PAIRS = {
    "(": ")", "[": "]", "{": "}", "（": "）", "［": "］", "｛": "｝", "「": "」", "『": "』", "【": "】",
    "〔": "〕", "〖": "〗", "《": "》", "〈": "〉", "“": "”", "„": "“”", "‚": "‘’", "«": "»", "»": "«",
    "‹": "›", '"': '"', "＂": "＂",
}  # fmt: skip
_CLOSERS = {c: frozenset(o for o, cs in _PAIRS.items() if c in cs) for cs in _PAIRS.values() for c in cs}
_BRACKET = re.compile("[" + re.escape("".join(set(_PAIRS) | set(_CLOSERS))) + "]")


def bracket_spans(line: str) -> list[tuple[int, int]]:
    """``(open, close)`` positions of the bracket and quote pairs of ``line`` that are closed in it.

    A closer closes the nearest open pair it belongs to (openers left open inside that pair are dropped);
    a closer without an opener, and an opener never closed, pair with nothing."""
    stack: list[tuple[str, int]] = []
    spans: list[tuple[int, int]] = []
    for m in _BRACKET.finditer(line):
        ch, pos = m.group(), m.start()
        openers = _CLOSERS.get(ch)
        if openers:
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] in openers:
                    spans.append((stack[k][1], pos))
                    del stack[k:]
                    break
            else:
                if ch in _PAIRS:
                    stack.append((ch, pos))
            continue
        stack.append((ch, pos))
    return spans


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(o < pos < c for o, c in spans)


_LATIN_BEFORE = re.compile(r"[A-Za-z0-9\u00c0-\u024f\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def _split_cjk(line: str, out: list[str]) -> None:
    spans = bracket_spans(line) if _BRACKET.search(line) else []
    start = 0
    for m in _CJK_BOUNDARY.finditer(line):
        if m.group()[0] in "!?" and m.start() > 0 and _LATIN_BEFORE.match(line, m.start() - 1):
            continue  # "Yahoo!" inside a sentence: part of a name
        if spans and _inside(spans, m.start()):
            continue  # "（国字を含む。…）": the full stop of a bracketed aside
        piece = line[start : m.end()].strip()
        if piece:
            out.append(piece)
        start = m.end()
    if line[start:].strip():
        out.append(line[start:].strip())


def split_sentences(text: str, lang: str) -> list[str]:
    """Split plain text (one paragraph per line) into sentences."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if lang in NO_SPACE_LANGS:
            _split_cjk(line, out)
            continue
        spans = None
        start = 0
        for m in _BOUNDARY.finditer(line):
            if _is_boundary(line, m, lang):
                if spans is None:
                    spans = bracket_spans(line) if _BRACKET.search(line) else []
                if spans and _inside(spans, m.end() - 1):
                    continue  # "(See below. It is.)": a sentence inside brackets or quotes
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


# Scripts of the characters at the edges of a name, for boundaries in text written without spaces.
_SCRIPT_CHARS = {
    "latin": "A-Za-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\uff10-\uff19\uff21-\uff3a\uff41-\uff5a",
    "katakana": "\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f",  # with "ー", without "・"
    "hiragana": "\u3041-\u309f",
    "han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff々〆〇",
}
_SCRIPT_RE = {name: re.compile(f"[{chars}]") for name, chars in _SCRIPT_CHARS.items()}
#: Scripts in which a name may be the inside of a longer run of the same script (see the module's notes).
SUBSTRING_SCRIPTS = ("han", "hiragana")


def script_of(ch: str) -> str | None:
    """``latin``, ``katakana``, ``hiragana``, ``han`` or ``None`` (punctuation, space, other scripts)."""
    for name, regex in _SCRIPT_RE.items():
        if regex.match(ch):
            return name
    return None


def _trie_pattern(names: Iterable[str], edge=None) -> str:
    """One regular expression matching any of ``names``, factored as a character trie.

    Alternatives share their prefixes, so the regex engine follows one branch per character instead
    of trying thousands of names at every position; longer names are tried before their prefixes.
    ``edge(ch, side)`` gives the look-around a name must pass at its first (``side="start"``) or last
    character (``"end"``): a look-behind placed after the first character (the engine can still skip
    ahead to possible first characters), a look-ahead after the last one.
    """
    trie: dict = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict, last: str | None) -> str:
        ends = "" in node
        alts = [
            re.escape(ch) + (edge(ch, "start") if edge and last is None else "") + build(sub, ch)
            for ch, sub in sorted(node.items())
            if ch
        ]
        if not alts:
            return edge(last, "end") if edge and last else ""
        end = edge(last, "end") if edge and ends and last else ""
        if ends and end:
            return "(?:" + "|".join(alts + [end]) + ")"
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if ends:
            return ("(?:" + body + ")?") if len(alts) == 1 else body + "?"
        return body

    return build(trie, None)


class CandidateIndex:
    """Exact, word-boundary matching of many names (entity titles and surfaces) in text.

    ``entries`` are ``(name, key)`` pairs; several names may share a key (the target page and the
    English surfaces of one entity), and one name may belong to several keys. All names are compiled
    into one trie-shaped regular expression with word boundaries on both sides; in languages written
    without spaces the boundary depends on the script of the name's first and last character (see the
    module's notes; ``substring_scripts`` lists the scripts whose names may sit inside a longer run of
    the same script). :meth:`may_match` is the cheap pre-filter on raw wikitext (stops at the first
    hit, ignores boundaries); :meth:`find` returns the keys named in a sentence, in order of first
    occurrence, preferring the longest name at each position ("New York City" over "New York").
    """

    def __init__(
        self,
        entries: Iterable[tuple[str, Hashable]],
        lang: str,
        substring_scripts: Iterable[str] = SUBSTRING_SCRIPTS,
    ):
        self.lang = lang
        self.spaced = lang not in NO_SPACE_LANGS
        self.substring_scripts = frozenset(substring_scripts)
        unknown = self.substring_scripts - set(_SCRIPT_CHARS)
        if unknown:
            raise ValueError(f"unknown script {sorted(unknown)[0]!r}; expected one of {', '.join(_SCRIPT_CHARS)}")
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
        # the pre-filter ignores word boundaries: without look-arounds the engine skips ahead to the
        # possible first characters, several times faster on text that mentions no name
        self._prefilter = re.compile(_trie_pattern(self._keys))
        if self.spaced:
            self._regex = re.compile(r"(?<!\w)(?:" + self._prefilter.pattern + r")(?!\w)")
        else:
            self._regex = re.compile(_trie_pattern(self._keys, self._edge))

    def _edge(self, ch: str, side: str) -> str:
        script = script_of(ch)
        if script is None or script in self.substring_scripts:
            return ""
        chars = _SCRIPT_CHARS[script]
        return f"(?<![{chars}]{re.escape(ch)})" if side == "start" else f"(?![{chars}])"

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
