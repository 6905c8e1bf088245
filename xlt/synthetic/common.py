"""The synthetic benchmark's languages, sizes and argument checks, and the seeded random streams every
generated file draws from (see :mod:`xlt.synthetic`)."""

from __future__ import annotations

import random
import zlib
from typing import Mapping

from xlt.errors import UserError

CLS_LANGUAGES = ("en", "de", "fr", "ja")
CLS_DIRS = {"en": "en", "de": "de", "fr": "fr", "ja": "jp"}  # the corpus calls Japanese "jp"
CLS_DOMAINS = ("books", "dvd", "music")
CLS_SPLITS = ("train", "test", "unlabeled")
CONLL_LANGUAGES = ("en", "de", "es", "nl")
WIKI_LANGUAGES = ("de", "es", "nl", "fr", "ja")
SOURCE = "en"

DEFAULT_CLS_SIZES = {"train": 200, "test": 200, "unlabeled": 400}
DEFAULT_CONLL_SIZES = {"train": 600, "dev": 200, "test": 200}
DEFAULT_WIKI_RANDOM_PAGES = 20

SYNTHETIC_LABEL = "Synthetic Wikipedia (generated test data, not real articles)"


# ==================================================================================================
# Argument checks


def _seed(seed) -> int:
    try:
        return int(seed)
    except (TypeError, ValueError):
        raise UserError(f"seed: {seed!r} is not an integer") from None


def _languages(values, supported: tuple[str, ...], key: str) -> list[str]:
    """Normalised, de-duplicated languages with English first; empty stays empty (task not generated)."""
    if isinstance(values, str):
        raise UserError(f"{key}: expected a list of language codes, got the string {values!r}")
    langs: list[str] = []
    for value in values or ():
        lang = str(value).strip().lower()
        lang = "ja" if lang == "jp" else lang
        if lang not in supported:
            raise UserError(
                f"{key}: language {value!r} is not in the synthetic benchmark (expected {', '.join(supported)})"
            )
        if lang not in langs:
            langs.append(lang)
    if langs:
        langs = [SOURCE] + [lang for lang in langs if lang != SOURCE]
    return langs


def _domains(values) -> list[str]:
    if isinstance(values, str):
        raise UserError(f"cls_domains: expected a list of domains, got the string {values!r}")
    domains: list[str] = []
    for value in values or ():
        dom = str(value).strip().lower()
        if dom not in CLS_DOMAINS:
            raise UserError(
                f"cls_domains: domain {value!r} is not in the synthetic benchmark (expected {', '.join(CLS_DOMAINS)})"
            )
        if dom not in domains:
            domains.append(dom)
    if not domains:
        raise UserError(f"cls_domains: expected at least one of {', '.join(CLS_DOMAINS)}")
    return domains


def _sizes(value, minimum: Mapping[str, int], key: str) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise UserError(f"{key}: expected a mapping with keys {', '.join(minimum)}")
    unknown = sorted(set(map(str, value)) - set(minimum))
    if unknown:
        raise UserError(f"{key}: unknown key {unknown[0]!r} (expected {', '.join(minimum)})")
    out = {}
    for name, low in minimum.items():
        if name not in value:
            raise UserError(f"{key}.{name}: missing (expected an integer >= {low})")
        try:
            n = int(value[name])
        except (TypeError, ValueError):
            n = None
        if n is None or isinstance(value[name], bool) or n < low:
            raise UserError(f"{key}.{name}: {value[name]!r} is not an integer >= {low}")
        out[name] = n
    return out


def _wiki_languages(cls_langs: list[str], conll_langs: list[str]) -> list[str]:
    out: list[str] = []
    for lang in conll_langs[1:] + cls_langs[1:]:
        if lang not in out:
            out.append(lang)
    return out


def _wiki_random_pages(value, wiki_langs: list[str]) -> dict[str, int]:
    value = {} if value is None else value
    if not isinstance(value, Mapping):
        raise UserError("wiki_pages: expected a mapping language -> number of random pages")
    out = {lang: DEFAULT_WIKI_RANDOM_PAGES for lang in wiki_langs}
    out[SOURCE] = 0
    for key, n in value.items():
        lang = "ja" if str(key).lower() == "jp" else str(key).lower()
        if lang not in out:
            raise UserError(
                f"wiki_pages: language {key!r} is neither a CoNLL nor a CLS target here (expected {', '.join([SOURCE] + wiki_langs)})"
            )
        try:
            count = int(n)
        except (TypeError, ValueError):
            count = -1
        if count < 0 or isinstance(n, bool):
            raise UserError(f"wiki_pages.{key}: {n!r} is not a non-negative integer")
        out[lang] = count
    return out


def _rng(seed: int, *parts: str) -> random.Random:
    """An independent random stream per generated file (string seeds are hashed the same on every run)."""
    return random.Random("xlt.synthetic:" + str(seed) + ":" + "/".join(parts))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _stable_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))
