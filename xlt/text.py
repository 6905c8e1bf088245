"""Word tokenisation for unlabeled target-language sentences.

Harvested Wikipedia sentences become MLM and pseudo-label material for token classification, so each
sentence needs a list of words ("tokens") like the CoNLL files have. CoNLL-style tokenisation is
approximated with one regular expression: words (letters and digits, with inner hyphens and
apostrophes kept, as in ``Berlin-Brandenburg`` or ``l'Europe``), numbers with inner separators
(``1.000``, ``3,5``) and every punctuation mark as its own token.

Japanese has no spaces; it is split into runs of one script class (kanji, hiragana, katakana, Latin
letters, digits), with every punctuation mark its own token. The sub-word tokenizer of the model splits
further; these runs only need to be stable word-like units for first-sub-token labelling.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["word_tokenize", "NO_SPACE_LANGS"]

#: Languages written without spaces between words.
NO_SPACE_LANGS = frozenset({"ja", "zh"})

_LATIN_TOKEN = re.compile(
    r"\d+(?:[.,]\d+)+"  # numbers with inner separators: 1.000, 3,5, 1,234.5
    r"|\w+(?:[-'’]\w+)*"  # words, with inner hyphens/apostrophes kept
    r"|[^\w\s]"  # every other visible character on its own
)

_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff々〆ヵヶ"
_HIRAGANA = "\u3041-\u309f"
_KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_LATIN = "A-Za-z\uff21-\uff3a\uff41-\uff5a\u00c0-\u024f"
_DIGITS = "0-9\uff10-\uff19"
_JA_TOKEN = re.compile(f"[{_KANJI}]+|[{_HIRAGANA}]+|[{_KATAKANA}]+|[{_LATIN}]+|[{_DIGITS}]+(?:[.,][{_DIGITS}]+)*|\\S")
_HAN_TOKEN = re.compile(f"[{_KANJI}]|[{_LATIN}]+|[{_DIGITS}]+(?:[.,][{_DIGITS}]+)*|\\S")


def word_tokenize(text: str, lang: str) -> list[str]:
    """Split ``text`` into words and punctuation marks.

    ``lang`` is an ISO 639-1 code. ``ja`` splits into script-class runs, ``zh`` into single Han
    characters (plus Latin/digit runs); every other language uses the space-and-punctuation rules.
    Text is NFC-normalised first so that composed and decomposed accents give the same tokens.
    """
    text = unicodedata.normalize("NFC", text)
    if lang == "ja":
        return _JA_TOKEN.findall(text)
    if lang == "zh":
        return _HAN_TOKEN.findall(text)
    return _LATIN_TOKEN.findall(text)
