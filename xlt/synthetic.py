"""A small SYNTHETIC multilingual benchmark, written in the real distribution formats of the paper's data.

The demo must run every stage -- the loaders, the Wikipedia harvest of Section 3.1, Bilingual Task Fitting,
self-training -- on a laptop, without the licensed corpora and without a network. This module invents such
a benchmark from a small built-in lexicon and writes it in the formats of the originals, so that the
project's real readers and harvest run on it unchanged:

* Webis-CLS-10 "unprocessed" review XML: ``cls/<en|de|fr|jp>/<domain>/{train,test,unlabeled}.review``
  (English items carry summary, rating, text and category only; German, French and Japanese items carry
  the longer field list of the originals);
* CoNLL-2003 English (``word POS chunk NER``, IOB1, ASCII) and German (``word lemma POS chunk NER``, IOB1,
  ISO-8859-1), CoNLL-2002 Spanish and Dutch (``word POS NER``, IOB2, UTF-8), each with the ``-DOCSTART-``
  convention of its original file;
* MediaWiki ``pages-articles`` exports (export-0.10, bzip2) for English and every target language, an
  English ``langlinks`` MySQL dump (gzip) and a Wikidata ``wbgetentities`` answer for the same entities.

What makes the data useful to the paper's method, not only parseable:

* Sentiment is learnable and partly transferable. A review's polarity is carried by language-specific
  sentiment words; about half of the reviews in every language also carry a language-independent token
  (``super``, ``top``, ``:-)``, ``10/10``, ``flop``, ``meh``...), as real reviews do. A model trained on
  English therefore beats chance on the other languages without reaching its English accuracy, and the
  target-language unlabeled reviews put the shared tokens next to target words: the co-occurrence that
  BTF's masked language modelling and self-training can exploit. French shares cognates with English
  (``excellent``, ``horrible``), German only sub-words (``perfekt``, ``fantastisch``), Japanese nothing
  but the shared tokens, so the targets differ in difficulty as in the paper.
* NER entities come from one invented gazetteer. Most names are spelled alike in every language, some
  differ (the city ``Veltra`` is ``Weltra`` in German), as in real news. Every entity has an English
  Wikipedia page (some reached through redirects), langlinks to its target-language pages and target pages
  whose sentences mention it, so the chain English training entity -> English page -> langlink -> target
  page -> target sentences of Section 3.1 works end to end; a few entities have no page in some language,
  or interlanguage links only inline in the English wikitext (old style), as happens in the real data.
  Random target pages about unrelated invented topics feed the random-Wikipedia ablation. Some entities
  are held out of the English training file, so the target test sets are not pure memorisation.

Everything is deterministic for a seed (bzip2 and gzip streams carry no time stamps; every file has its
own random stream, so adding a language leaves the other files unchanged) and labelled as synthetic:
``README.txt`` at the root, the dumps' ``<sitename>``, a comment in the SQL dump and ``manifest.json``,
which also records the gazetteer, the page ids and which entities occur in the English training file.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import random
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping
from xml.sax.saxutils import escape

from xlt.errors import UserError
from xlt.io import atomic_path

__all__ = [
    "CLS_LANGUAGES",
    "CLS_DOMAINS",
    "CONLL_LANGUAGES",
    "WIKI_LANGUAGES",
    "DEFAULT_CLS_SIZES",
    "DEFAULT_CONLL_SIZES",
    "DEFAULT_WIKI_RANDOM_PAGES",
    "GAZETTEER",
    "GazetteerEntity",
    "synthetic_files",
    "wiki_languages",
    "make_synthetic_benchmark",
]

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
# Public API


def synthetic_files(
    cls_languages: Iterable[str], cls_domains: Iterable[str], conll_languages: Iterable[str]
) -> list[str]:
    """Every file :func:`make_synthetic_benchmark` writes, as paths relative to its ``out_root``.

    An empty ``cls_languages`` or ``conll_languages`` means that task is not generated; otherwise English
    (the source language) is always included. The Wikipedia files cover the target languages of both
    tasks (:func:`wiki_languages`).
    """
    cls_langs = _languages(cls_languages, CLS_LANGUAGES, "cls_languages")
    conll_langs = _languages(conll_languages, CONLL_LANGUAGES, "conll_languages")
    domains = _domains(cls_domains) if cls_langs else []
    files = ["README.txt", "manifest.json"]
    files += [
        f"cls/{CLS_DIRS[lang]}/{dom}/{split}.review" for lang in cls_langs for dom in domains for split in CLS_SPLITS
    ]
    files += [f"conll/{_CONLL[lang].prefix}.{suffix}" for lang in conll_langs for suffix, _ in _CONLL[lang].splits]
    files += ["wikipedia/en/wiki.xml.bz2"]
    files += [f"wikipedia/{lang}/wiki.xml.bz2" for lang in _wiki_languages(cls_langs, conll_langs)]
    files += ["wikipedia/enwiki-langlinks.sql.gz", "wikipedia/wikidata.json"]
    return files


def wiki_languages(cls_languages: Iterable[str], conll_languages: Iterable[str]) -> list[str]:
    """The target-language Wikipedias generated: CoNLL targets, then CLS targets (``ja`` for ``jp``)."""
    return _wiki_languages(
        _languages(cls_languages, CLS_LANGUAGES, "cls_languages"),
        _languages(conll_languages, CONLL_LANGUAGES, "conll_languages"),
    )


def make_synthetic_benchmark(
    out_root,
    *,
    seed: int = 0,
    cls_languages: Iterable[str] = CLS_LANGUAGES,
    cls_domains: Iterable[str] = CLS_DOMAINS,
    cls_sizes: Mapping[str, int] = DEFAULT_CLS_SIZES,
    conll_languages: Iterable[str] = CONLL_LANGUAGES,
    conll_sizes: Mapping[str, int] = DEFAULT_CONLL_SIZES,
    wiki_pages: Mapping[str, int] | None = None,
) -> list[Path]:
    """Write the synthetic benchmark under ``out_root``; return the written paths (as :func:`synthetic_files`).

    * ``cls_sizes``: reviews per language-domain for ``train``, ``test`` and ``unlabeled``. Labelled splits
      are balanced (ratings 1-2 negative, 4-5 positive); each train file holds ``max(1, train // 20)``
      three-star reviews more (the loader drops them) and one exact duplicate review, both quirks of the
      real corpus. Unlabeled reviews have every rating, 3 included.
    * ``conll_sizes``: sentences (not counting ``-DOCSTART-`` lines) for ``train`` (``eng.train``), ``dev``
      (``*.testa``) and ``test`` (``*.testb``).
    * ``wiki_pages``: language -> number of random pages on unrelated invented topics written beside the
      entity pages (missing languages get :data:`DEFAULT_WIKI_RANDOM_PAGES`; the key ``en`` adds random
      English pages, none by default).

    Same arguments, same bytes. Each file is written atomically.
    """
    seed = _seed(seed)
    cls_langs = _languages(cls_languages, CLS_LANGUAGES, "cls_languages")
    conll_langs = _languages(conll_languages, CONLL_LANGUAGES, "conll_languages")
    domains = _domains(cls_domains) if cls_langs else []
    cls_n = _sizes(cls_sizes, {"train": 2, "test": 2, "unlabeled": 1}, "cls_sizes")
    conll_n = _sizes(conll_sizes, {"train": 1, "dev": 1, "test": 1}, "conll_sizes")
    wiki_langs = _wiki_languages(cls_langs, conll_langs)
    random_pages = _wiki_random_pages(wiki_pages, wiki_langs)

    contents: dict[str, bytes] = {}
    manifest: dict = {
        "synthetic": True,
        "description": "Invented benchmark in the formats of Webis-CLS-10, CoNLL-2002/2003 and Wikipedia dumps; "
        "no real text. Generated by xlt.synthetic.",
        "seed": seed,
    }

    if cls_langs:
        manifest["cls"] = _write_cls(contents, seed, cls_langs, domains, cls_n)
    train_surfaces: dict[str, set] = {}
    if conll_langs:
        manifest["conll"] = _write_conll(contents, seed, conll_langs, conll_n, train_surfaces)
    manifest["wikipedia"] = _write_wikipedia(contents, seed, wiki_langs, random_pages)
    for entry in manifest["wikipedia"]["entities"]:
        entry["english_train_surfaces"] = sorted(train_surfaces.get(entry["key"], ()))
        entry["in_english_train"] = bool(entry["english_train_surfaces"])
    contents["manifest.json"] = (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    contents["README.txt"] = _readme(seed, cls_langs, domains, cls_n, conll_langs, conll_n, wiki_langs).encode("utf-8")

    expected = synthetic_files(cls_langs, domains, conll_langs)
    if sorted(expected) != sorted(contents):  # pragma: no cover - an internal inconsistency, not a user error
        raise AssertionError(f"generated {sorted(contents)} but synthetic_files lists {sorted(expected)}")
    out_root = Path(out_root)
    written = []
    for rel in expected:
        path = out_root / rel
        with atomic_path(path) as tmp:
            tmp.write_bytes(contents[rel])
        written.append(path)
    return written


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


# ==================================================================================================
# The invented gazetteer (NER entities and Wikipedia pages)


@dataclass(frozen=True, eq=False)
class GazetteerEntity:
    """One invented named entity, its spellings per language and its Wikipedia presence."""

    key: str
    type: str  # PER, ORG, LOC or MISC
    en: str  # English name (ASCII)
    ja: str  # Japanese name
    forms: Mapping[str, str] = field(default_factory=dict)  # de/es/nl/fr names that differ from the English one
    titles: Mapping[str, str] = field(default_factory=dict)  # page titles that differ from the name
    alias: str | None = None  # short name used in running text; an English redirect leads to the page
    country: bool = False
    nationality_of: str | None = None  # a nationality adjective (MISC) of that country: no page of its own
    no_page: tuple[str, ...] = ()  # languages whose Wikipedia has no article on it
    held_out: bool = False  # never in the English training file
    langlinks_sql: bool = True  # False: interlanguage links only inline in the English page

    def name(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.forms.get(lang, self.en)

    def title(self, lang: str) -> str:
        return self.titles.get(lang, self.name(lang))

    def has_page(self, lang: str) -> bool:
        return self.nationality_of is None and lang not in self.no_page


def _E(key, etype, en, ja, **kw) -> GazetteerEntity:
    return GazetteerEntity(key, etype, en, ja, **kw)


def _all(form: str) -> dict[str, str]:
    return {lang: form for lang in ("de", "es", "nl", "fr")}


# fmt: off
GAZETTEER: tuple[GazetteerEntity, ...] = (
    # persons: the same name in every Latin-script language, with few exceptions
    _E("per-brightwater", "PER", "Ansel Brightwater", "アンセル・ブライトウォーター"),
    _E("per-kostavin", "PER", "Mirela Kostavin", "ミレラ・コスタヴィン"),
    _E("per-ashgrove", "PER", "Tobin Ashgrove", "トビン・アッシュグローヴ"),
    _E("per-varnhold", "PER", "Ilse Varnhold", "イルゼ・ファルンホルト"),
    _E("per-quenteros", "PER", "Rafael Quenteros", "ラファエル・ケンテロス"),
    _E("per-velesco", "PER", "Dario Velesco", "ダリオ・ヴェレスコ"),
    _E("per-lindqvam", "PER", "Petra Lindqvam", "ペトラ・リンドクヴァム"),
    _E("per-marrant", "PER", "Hugo Marrant", "ユゴー・マラン"),
    _E("per-sakimori", "PER", "Yuna Sakimori", "崎森ゆな"),
    _E("per-obarata", "PER", "Kenji Obarata", "小原田健二", held_out=True),
    _E("per-muhlberg", "PER", "Lena Muhlberg", "レーナ・ミュールベルク", forms=_all("Lena Mühlberg")),
    _E("per-odara", "PER", "Sean O'Dara", "ショーン・オダラ", no_page=("ja",)),
    _E("per-zolvany", "PER", "Marek Zolvany", "マレク・ゾルヴァニ", held_out=True),
    _E("per-tessavin", "PER", "Clara Tessavin", "クララ・テッサヴィン", langlinks_sql=False),
    _E("per-brenneke", "PER", "Olaf Brenneke", "オーラフ・ブレンネケ", held_out=True),
    # organisations
    _E("org-norvik", "ORG", "Norvik Holding", "ノルヴィク・ホールディング", alias="Norvik"),
    _E("org-talmarbank", "ORG", "Talmar Union Bank", "タルマル・ユニオン銀行",
       forms={"de": "Talmar Unionsbank", "es": "Banco Unión de Talmar", "nl": "Talmar Uniebank",
              "fr": "Banque de l'Union de Talmar"}),
    _E("org-kestrel", "ORG", "Kestrel Motors", "ケストレル・モーターズ"),
    _E("org-ostara", "ORG", "Ostara Telecom", "オスタラ・テレコム"),
    _E("org-velden", "ORG", "Velden Chemie", "フェルデン化学"),
    _E("org-brask", "ORG", "Brask Airways", "ブラスク航空", no_page=("nl",)),
    _E("org-farmers", "ORG", "Osmark Farmers Union", "オスマルク農民連合",
       forms={"de": "Osmarkischer Bauernverband", "es": "Unión de Agricultores de Osmarca",
              "nl": "Osmarkse Boerenbond", "fr": "Union des agriculteurs d'Osmarque"}),
    _E("org-rovers", "ORG", "Calden Rovers", "カルデン・ローヴァーズ"),
    _E("org-sorell", "ORG", "Sorell Institute", "ソレル研究所",
       forms={"de": "Sorell-Institut", "es": "Instituto Sorell", "nl": "Sorell Instituut", "fr": "Institut Sorell"}),
    _E("org-quillon", "ORG", "Quillon Press", "クイロン出版"),
    _E("org-daventa", "ORG", "Daventa Group", "ダヴェンタ・グループ", held_out=True),
    _E("org-rimstock", "ORG", "Rimstock Energy", "リムストック・エナジー", held_out=True,
       forms={"de": "Rimstock Energie", "es": "Rimstock Energía", "nl": "Rimstock Energie", "fr": "Rimstock Énergie"}),
    # locations: countries and places, several with language-specific names
    _E("loc-osmark", "LOC", "Osmark", "オスマルク", country=True,
       forms={"de": "Osmarken", "es": "Osmarca", "nl": "Osmarken", "fr": "Osmarque"}),
    _E("loc-talmar", "LOC", "Talmar", "タルマル", country=True),
    _E("loc-sundria", "LOC", "Sundria", "スンドリア", country=True,
       forms={"de": "Sundrien", "nl": "Sundrië", "fr": "Sundrie"}),
    _E("loc-veltra", "LOC", "Veltra", "ヴェルトラ", forms={"de": "Weltra", "fr": "Veltre"}),
    _E("loc-portcalden", "LOC", "Port Calden", "ポート・カルデン", forms={"es": "Puerto Calden", "fr": "Port-Calden"}),
    _E("loc-brenholm", "LOC", "Brenholm", "ブレンホルム", langlinks_sql=False),
    _E("loc-merin", "LOC", "Merin", "メリン川",
       titles={"en": "Merin (river)", "de": "Merin (Fluss)", "es": "Merin (río)", "nl": "Merin (rivier)",
               "fr": "Merin (fleuve)"}),
    _E("loc-kastelburg", "LOC", "Kastelburg", "カステルブルク", forms={"es": "Castelburgo", "fr": "Castelbourg"}),
    _E("loc-orvin", "LOC", "Lake Orvin", "オルヴィン湖",
       forms={"de": "Orvinsee", "es": "Lago Orvin", "nl": "Orvinmeer", "fr": "Lac Orvin"}),
    _E("loc-grelow", "LOC", "Grelow", "グレロウ", no_page=("nl",), held_out=True),
    _E("loc-bruckendorf", "LOC", "Bruckendorf", "ブリュッケンドルフ", forms=_all("Brückendorf")),
    _E("loc-azmeri", "LOC", "Azmeri Mountains", "アズメリ山脈",
       forms={"de": "Azmerigebirge", "es": "Montes Azmeri", "nl": "Azmerigebergte", "fr": "Monts Azmeri"}),
    _E("loc-corvane", "LOC", "Corvane", "コルヴァーヌ", held_out=True),
    _E("loc-newcalden", "LOC", "New Calden", "ニューカルデン",
       forms={"de": "Neu-Calden", "es": "Nueva Calden", "nl": "Nieuw-Calden", "fr": "Nouvelle-Calden"}),
    _E("loc-nordhaven", "LOC", "Nordhaven", "ノルドハーフェン", held_out=True),
    # miscellaneous: events, prizes, products, agreements
    _E("misc-veltracup", "MISC", "Veltra Cup", "ヴェルトラ杯",
       forms={"de": "Weltra-Pokal", "es": "Copa Veltra", "nl": "Veltra Beker", "fr": "Coupe de Veltre"}),
    _E("misc-orvinfest", "MISC", "Orvin Festival", "オルヴィン音楽祭",
       forms={"de": "Orvin-Festival", "es": "Festival de Orvin", "nl": "Orvinfestival", "fr": "Festival d'Orvin"}),
    _E("misc-k7", "MISC", "Kestrel K7", "ケストレルK7"),
    _E("misc-prize", "MISC", "Brightwater Prize", "ブライトウォーター賞",
       forms={"de": "Brightwater-Preis", "es": "Premio Brightwater", "nl": "Brightwaterprijs", "fr": "Prix Brightwater"}),
    _E("misc-accord", "MISC", "Talmar Accord", "タルマル協定", held_out=True,
       forms={"de": "Talmar-Abkommen", "es": "Acuerdo de Talmar", "nl": "Talmarakkoord", "fr": "Accord de Talmar"}),
    # nationality adjectives (MISC in CoNLL): no page of their own, English redirects to the country
    _E("nat-osmark", "MISC", "Osmarkian", "オスマルクの", nationality_of="loc-osmark",
       forms={"de": "osmarkische", "es": "osmarqueño", "nl": "Osmarkse", "fr": "osmarquois"}),
    _E("nat-sundria", "MISC", "Sundrian", "スンドリアの", nationality_of="loc-sundria",
       forms={"de": "sundrische", "es": "sundrio", "nl": "Sundrische", "fr": "sundrien"}),
    _E("nat-talmar", "MISC", "Talmari", "タルマルの", nationality_of="loc-talmar",
       forms={"de": "talmarische", "es": "talmarí", "nl": "Talmaarse", "fr": "talmarien"}),
)
# fmt: on
_BY_KEY = {e.key: e for e in GAZETTEER}


def _gazetteer_words() -> set[str]:
    words = set()
    for e in GAZETTEER:
        for lang in ("en", "de", "es", "nl", "fr"):
            words.update(w.lower() for w in re.split(r"[\s\-']+", e.name(lang)) if w)
        words.add(e.ja)
    return words


# Invented names for topics unrelated to the gazetteer (random Wikipedia pages, reviewers, products).
_SYLLABLES = (
    ("ka", "カ"),
    ("ri", "リ"),
    ("no", "ノ"),
    ("se", "セ"),
    ("to", "ト"),
    ("ma", "マ"),
    ("ru", "ル"),
    ("ba", "バ"),
    ("shi", "シ"),
    ("ne", "ネ"),
    ("ho", "ホ"),
    ("mi", "ミ"),
    ("ra", "ラ"),
    ("te", "テ"),
    ("yo", "ヨ"),
    ("ga", "ガ"),
    ("do", "ド"),
    ("ki", "キ"),
    ("su", "ス"),
    ("na", "ナ"),
    ("po", "ポ"),
    ("zu", "ズ"),
    ("fu", "フ"),
    ("ha", "ハ"),
)


class _Namer:
    """Invented names that never coincide with a gazetteer word, in Latin and katakana spellings."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.taken = _gazetteer_words()

    def word(self, low: int = 2, high: int = 3) -> tuple[str, str]:
        while True:
            parts = self.rng.choices(_SYLLABLES, k=self.rng.randint(low, high))
            latin = "".join(p[0] for p in parts)
            if latin not in self.taken:
                return latin.capitalize(), "".join(p[1] for p in parts)

    def person(self) -> tuple[str, str]:
        (f, fj), (l, lj) = self.word(2, 2), self.word(2, 3)
        return f"{f} {l}", f"{fj}・{lj}"


# ==================================================================================================
# CoNLL: templates, tagging and the file conventions of each language


@dataclass(frozen=True)
class _ConllSpec:
    prefix: str
    splits: tuple[tuple[str, str], ...]  # (file suffix, size key)
    scheme: str  # "iob1" or "iob2"
    encoding: str
    docstart: Mapping[str, str]  # file suffix -> the -DOCSTART- line of that file (none: no documents)
    blank_after_docstart: bool


# fmt: off
_TARGET_SPLITS = (("testa", "dev"), ("testb", "test"))
_CONLL = {
    "en": _ConllSpec("eng", (("train", "train"),) + _TARGET_SPLITS, "iob1", "ascii",
                     {"train": "-DOCSTART- -X- O O", "testa": "-DOCSTART- -X- O O", "testb": "-DOCSTART- -X- -X- O"}, True),
    "de": _ConllSpec("deu", _TARGET_SPLITS, "iob1", "latin-1",
                     {"testa": "-DOCSTART- -X- -X- -X- O", "testb": "-DOCSTART- -X- -X- -X- O"}, True),
    "es": _ConllSpec("esp", _TARGET_SPLITS, "iob2", "utf-8", {}, False),
    "nl": _ConllSpec("ned", _TARGET_SPLITS, "iob2", "utf-8",
                     {"testa": "-DOCSTART- -DOCSTART- O", "testb": "-DOCSTART- -DOCSTART- O"}, False),
}
_COLUMNS = {"en": 4, "de": 5, "es": 3, "nl": 3}

# Sentence templates: ``word/POS`` (German ``word/POS=lemma``) or a slot in braces. Entity slots: PER, ORG,
# LOC, MISC (event, prize, product), NAT (nationality adjective, tagged MISC); value slots: NUM, YEAR, DAY,
# MONTH, SCORE; English datelines use LOC_UPPER and DATE.
_CONLL_TEMPLATES = {
    "en": (
        "{PER} ,/, the/DT chairman/NN of/IN {ORG} ,/, said/VBD on/IN {DAY} that/IN the/DT company/NN would/MD open/VB a/DT new/JJ plant/NN in/IN {LOC} ./.",
        "Shares/NNS in/IN {ORG} rose/VBD {NUM} percent/NN in/IN {LOC} on/IN {DAY} ./.",
        "{PER} won/VBD the/DT {MISC} in/IN {LOC} for/IN the/DT second/JJ time/NN ./.",
        "The/DT {NAT} government/NN said/VBD it/PRP would/MD hold/VB talks/NNS with/IN {ORG} ./.",
        "{PER} told/VBD reporters/NNS in/IN {LOC} that/IN talks/NNS with/IN {LOC} would/MD continue/VB ./.",
        "Police/NNS in/IN {LOC} said/VBD {NUM} people/NNS were/VBD hurt/VBN ./.",
        "{NAT} {NAT} talks/NNS ended/VBD in/IN {LOC} on/IN {DAY} ./.",
        "{ORG} beat/VBD {ORG} {SCORE} in/IN {LOC} on/IN {DAY} ./.",
        "{PER} joined/VBD {ORG} in/IN {YEAR} ./.",
        "Prime/NNP minister/NN {PER} arrived/VBD in/IN {LOC} for/IN talks/NNS with/IN {PER} ./.",
        "{ORG} said/VBD its/PRP$ net/JJ profit/NN rose/VBD to/TO {NUM} million/CD dollars/NNS in/IN {YEAR} ./.",
        "The/DT {MISC} will/MD be/VB held/VBN in/IN {LOC} next/JJ year/NN ./.",
        "{PER} ,/, who/WP lives/VBZ in/IN {LOC} ,/, works/VBZ for/IN {ORG} ./.",
        "{PER} (/( {LOC} )/) {NUM}",
        "Prices/NNS were/VBD steady/JJ on/IN {DAY} ./.",
        "The/DT report/NN is/VBZ due/JJ next/JJ week/NN ./.",
    ),
    "de": (
        "{PER} ,/$, Chef/NN von/APPR {ORG} ,/$, sagte/VVFIN=sagen am/APPRART=an {DAY} ,/$, das/ART=d Unternehmen/NN werde/VAFIN=werden ein/ART=ein neues/ADJA=neu Werk/NN in/APPR {LOC} eröffnen/VVINF ./$.",
        "Die/ART=d Aktien/NN=Aktie von/APPR {ORG} stiegen/VVFIN=steigen am/APPRART=an {DAY} in/APPR {LOC} um/APPR {NUM} Prozent/NN ./$.",
        "{PER} gewann/VVFIN=gewinnen in/APPR {LOC} zum/APPRART=zu zweiten/ADJA=zweit Mal/NN den/ART=d {MISC} ./$.",
        "Die/ART=d {NAT} Regierung/NN will/VMFIN=wollen mit/APPR {ORG} verhandeln/VVINF ./$.",
        "{PER} sagte/VVFIN=sagen in/APPR {LOC} ,/$, die/ART=d Gespräche/NN=Gespräch mit/APPR {LOC} würden/VAFIN=werden fortgesetzt/VVPP=fortsetzen ./$.",
        "Nach/APPR Angaben/NN=Angabe der/ART=d Polizei/NN in/APPR {LOC} wurden/VAFIN=werden {NUM} Menschen/NN=Mensch verletzt/VVPP=verletzen ./$.",
        "{ORG} schlug/VVFIN=schlagen am/APPRART=an {DAY} {ORG} mit/APPR {SCORE} ./$.",
        "{PER} wechselte/VVFIN=wechseln {YEAR} zu/APPR {ORG} ./$.",
        "Bürgermeister/NN {PER} empfing/VVFIN=empfangen in/APPR {LOC} eine/ART=ein Delegation/NN aus/APPR {LOC} ./$.",
        "{ORG} meldete/VVFIN=melden für/APPR das/ART=d Jahr/NN {YEAR} einen/ART=ein Gewinn/NN von/APPR {NUM} Millionen/NN=Million Mark/NN ./$.",
        "Der/ART=d {MISC} findet/VVFIN=finden im/APPRART=in nächsten/ADJA=nächst Jahr/NN in/APPR {LOC} statt/PTKVZ ./$.",
        "Das/ART=d größte/ADJA=groß Problem/NN sei/VAFIN=sein die/ART=d Straße/NN nach/APPR {LOC} ,/$, sagte/VVFIN=sagen {PER} ./$.",
        "{PER} ,/$, der/PRELS=d in/APPR {LOC} lebt/VVFIN=leben ,/$, arbeitet/VVFIN=arbeiten für/APPR {ORG} ./$.",
        "Die/ART=d Preise/NN=Preis blieben/VVFIN=bleiben am/APPRART=an {DAY} stabil/ADJD ./$.",
        "Der/ART=d Bericht/NN wird/VAFIN=werden für/APPR nächste/ADJA=nächst Woche/NN erwartet/VVPP=erwarten ./$.",
    ),
    "es": (
        "{PER} ,/Fc presidente/NC de/SP {ORG} ,/Fc dijo/VMI el/DA {DAY} que/CS la/DA empresa/NC abrirá/VMI una/DI nueva/AQ planta/NC en/SP {LOC} ./Fp",
        "Las/DA acciones/NC de/SP {ORG} subieron/VMI un/DI {NUM} por/SP ciento/NC en/SP {LOC} ./Fp",
        "{PER} participó/VMI en/SP {MISC} en/SP {LOC} por/SP segunda/AO vez/NC ./Fp",
        "{LOC} ,/Fc {NUM} {MONTH} (/Fpa {ORG} )/Fpt ./Fp",
        "El/DA alcalde/NC de/SP {LOC} ,/Fc {PER} ,/Fc recibió/VMI a/SP una/DI delegación/NC de/SP {LOC} ./Fp",
        "{PER} se/P0 unió/VMI a/SP {ORG} en/SP {YEAR} ./Fp",
        "La/DA policía/NC de/SP {LOC} informó/VMI que/CS {NUM} personas/NC resultaron/VMI heridas/AQ ./Fp",
        "{MISC} se/P0 celebrará/VMI el/DA próximo/AQ año/NC en/SP {LOC} ./Fp",
        "{ORG} ganó/VMI {NUM} millones/NC de/SP pesetas/NC en/SP {YEAR} ./Fp",
        "{PER} dijo/VMI en/SP {LOC} que/CS las/DA conversaciones/NC con/SP {LOC} continuarán/VMI ./Fp",
        "{PER} ,/Fc que/PR vive/VMI en/SP {LOC} ,/Fc trabaja/VMI para/SP {ORG} ./Fp",
        "{ORG} venció/VMI a/SP {ORG} por/SP {SCORE} el/DA {DAY} ./Fp",
        "Los/DA precios/NC se/P0 mantuvieron/VMI estables/AQ el/DA {DAY} ./Fp",
    ),
    "nl": (
        "{PER} ,/Punc topman/N van/Prep {ORG} ,/Punc zei/V {DAY} dat/Conj het/Art bedrijf/N een/Art nieuwe/Adj fabriek/N in/Prep {LOC} opent/V ./Punc",
        "De/Art aandelen/N van/Prep {ORG} stegen/V {DAY} in/Prep {LOC} met/Prep {NUM} procent/N ./Punc",
        "{PER} won/V in/Prep {LOC} voor/Prep de/Art tweede/Num keer/N de/Art {MISC} ./Punc",
        "De/Art {NAT} regering/N wil/V praten/V met/Prep {ORG} ./Punc",
        "Burgemeester/N {PER} ontving/V in/Prep {LOC} een/Art delegatie/N uit/Prep {LOC} ./Punc",
        "{PER} stapte/V in/Prep {YEAR} over/Adv naar/Prep {ORG} ./Punc",
        "Volgens/Prep de/Art politie/N in/Prep {LOC} raakten/V {NUM} mensen/N gewond/Adj ./Punc",
        "De/Art {MISC} wordt/V volgend/Adj jaar/N in/Prep {LOC} gehouden/V ./Punc",
        "{ORG} versloeg/V {DAY} {ORG} met/Prep {SCORE} ./Punc",
        "{PER} zei/V in/Prep {LOC} dat/Conj de/Art gesprekken/N met/Prep {LOC} doorgaan/V ./Punc",
        "{PER} ,/Punc die/Pron in/Prep {LOC} woont/V ,/Punc werkt/V voor/Prep {ORG} ./Punc",
        "De/Art prijzen/N bleven/V {DAY} stabiel/Adj ./Punc",
    ),
}
_DATELINE = "{LOC_UPPER} {DATE}"

_VALUE_WORDS = {
    "DAY": {
        "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        "ja": ("月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日", "日曜日"),
    },
    "MONTH": {
        "en": ("January", "March", "May", "July", "September", "November"),
        "de": ("Januar", "März", "Mai", "Juli", "September", "November"),
        "es": ("enero", "marzo", "mayo", "julio", "septiembre", "noviembre"),
        "nl": ("januari", "maart", "mei", "juli", "september", "november"),
        "fr": ("janvier", "mars", "mai", "juillet", "septembre", "novembre"),
        "ja": ("1月", "3月", "5月", "7月", "9月", "11月"),
    },
}
_VALUE_POS = {
    "en": {"DAY": "NNP", "MONTH": "NNP", "NUM": "CD"},
    "de": {"DAY": "NN", "MONTH": "NN", "NUM": "CARD"},
    "es": {"DAY": "NC", "MONTH": "NC", "NUM": "Z"},
    "nl": {"DAY": "N", "MONTH": "N", "NUM": "Num"},
}

# fmt: on
_SLOT = re.compile(r"\{([A-Z_]+)\}")
_ENTITY_SLOTS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC", "NAT": "MISC"}


def _value(slot: str, lang: str, rng: random.Random) -> str:
    if slot in _VALUE_WORDS:
        return rng.choice(_VALUE_WORDS[slot][lang])
    if slot == "NUM":
        return str(rng.randint(2, 95))
    if slot == "YEAR":
        return str(rng.randint(1952, 2019))
    if slot == "SCORE":
        return f"{rng.randint(0, 4)}-{rng.randint(0, 3)}"
    if slot == "DATE":
        return f"1996-{rng.randint(8, 12):02d}-{rng.randint(1, 28):02d}"
    raise KeyError(slot)


def _slot_entities(slot: str, pool: list[GazetteerEntity]) -> list[GazetteerEntity]:
    if slot == "NAT":
        return [e for e in pool if e.nationality_of]
    if slot == "LOC_UPPER":
        return [e for e in pool if e.type == "LOC"]
    return [e for e in pool if e.type == slot and not e.nationality_of]


def _surface(entity: GazetteerEntity, lang: str, rng: random.Random) -> str:
    """How running text names an entity: mostly in full; persons by surname, organisations by alias at times."""
    name = entity.name(lang)
    if lang != "ja":
        if entity.type == "PER" and " " in name and rng.random() < 0.3:
            return name.split(" ")[-1]
        if entity.alias and rng.random() < 0.3:
            return entity.alias
    return name


def _entity_pos(lang: str, entity: GazetteerEntity, token: str) -> str:
    if lang == "en":
        return "JJ" if entity.nationality_of else ("IN" if token == "of" else "NNP")
    if lang == "de":
        return "ADJA" if entity.nationality_of or token.lower().endswith(("ische", "ischer", "ischen")) else "NE"
    if lang == "es":
        if token in ("de", "del"):
            return "SP"
        return "NP" if entity.type == "PER" else "NC"
    return "Adj" if entity.nationality_of else "N"  # nl


def _entity_lemma(entity: GazetteerEntity, token: str) -> str:
    if entity.nationality_of:
        return re.sub(r"e[nr]?$", "", token.lower())
    return "<unknown>" if _stable_hash(token) % 3 == 0 else token


@dataclass
class _Token:
    word: str
    pos: str
    lemma: str
    etype: str | None = None  # entity type, None outside entities
    mention: int = -1  # which mention of the sentence the token belongs to


def _realise_conll(
    lang: str, template: str, rng: random.Random, pool: list[GazetteerEntity], used: dict
) -> list[_Token]:
    """Tokens of one template with its slots filled; ``used`` counts (entity key, surface) mentions."""
    out: list[_Token] = []
    mention = 0
    in_sentence: set[str] = set()
    for spec in template.split(" "):
        m = _SLOT.fullmatch(spec)
        if not m:
            word, _, rest = spec.partition("/")
            pos, _, lemma = rest.partition("=")
            out.append(_Token(word, pos, lemma or word))
            continue
        slot = m.group(1)
        if slot in _ENTITY_SLOTS or slot == "LOC_UPPER":
            choices = _slot_entities(slot, pool)
            entity = rng.choice(choices)
            for _ in range(5):  # two different entities where a template names two
                if entity.key not in in_sentence:
                    break
                entity = rng.choice(choices)
            in_sentence.add(entity.key)
            surface = entity.en.upper() if slot == "LOC_UPPER" else _surface(entity, lang, rng)
            used.setdefault(entity.key, set()).add(surface)
            for token in surface.split(" "):
                lemma = _entity_lemma(entity, token) if lang == "de" else token
                out.append(_Token(token, _entity_pos(lang, entity, token), lemma, entity.type, mention))
            mention += 1
        else:
            word = _value(slot, lang, rng)
            pos = _VALUE_POS[lang].get(slot if slot in ("DAY", "MONTH") else "NUM")
            lemma = "@card@" if lang == "de" and pos == "CARD" else word
            out.append(_Token(word, pos, lemma))
    return out


# fmt: off
_CHUNK_OF = {
    "en": lambda pos: "NP" if pos in ("NN", "NNS", "NNP", "NNPS", "DT", "JJ", "CD", "PRP", "PRP$", "WP") else
    "VP" if pos.startswith("VB") or pos in ("MD", "TO") else "PP" if pos == "IN" else "ADVP" if pos == "RB" else "O",
    "de": lambda pos: "NC" if pos in ("NN", "NE", "ART", "ADJA", "CARD", "PPER", "PRELS") else
    "VC" if pos.startswith("V") else "PC" if pos in ("APPR", "APPRART") else "O",
}
# fmt: on


def _chunk_tags(lang: str, tokens: list[_Token]) -> list[str]:
    """IOB1 chunk tags from the part of speech: a run of one phrase type is one chunk; every preposition
    is its own chunk; two different entity mentions side by side are two chunks (``B-`` on the second)."""
    tags: list[str] = []
    prev_type, prev = None, None
    for tok in tokens:
        ctype = _CHUNK_OF[lang](tok.pos)
        if ctype == "O":
            tags.append("O")
        else:
            new_mention = (
                tok.etype is not None and prev is not None and prev.etype is not None and tok.mention != prev.mention
            )
            continues = ctype == prev_type and ctype not in ("PP", "PC") and not new_mention
            tags.append(f"B-{ctype}" if (not continues and ctype == prev_type) else f"I-{ctype}")
        prev_type, prev = (None if ctype == "O" else ctype), tok
    return tags


def _ner_tags(tokens: list[_Token], scheme: str) -> list[str]:
    """IOB1: ``I-`` throughout, ``B-`` only where an entity follows one of the same type; IOB2: ``B-`` first."""
    tags: list[str] = []
    prev = None
    for tok in tokens:
        if tok.etype is None:
            tags.append("O")
        elif prev is not None and prev.etype is not None and prev.mention == tok.mention:
            tags.append(f"I-{tok.etype}")
        elif scheme == "iob2" or (prev is not None and prev.etype == tok.etype):
            tags.append(f"B-{tok.etype}")
        else:
            tags.append(f"I-{tok.etype}")
        prev = tok
    return tags


def _conll_lines(lang: str, tokens: list[_Token], scheme: str) -> list[str]:
    ner = _ner_tags(tokens, scheme)
    if lang == "en":
        chunks = _chunk_tags(lang, tokens)
        return [f"{t.word} {t.pos} {c} {n}" for t, c, n in zip(tokens, chunks, ner)]
    if lang == "de":
        chunks = _chunk_tags(lang, tokens)
        return [f"{t.word} {t.lemma} {t.pos} {c} {n}" for t, c, n in zip(tokens, chunks, ner)]
    return [f"{t.word} {t.pos} {n}" for t, n in zip(tokens, ner)]


def _conll_file(lang: str, suffix: str, n: int, rng: random.Random, pool, used: dict) -> bytes:
    spec = _CONLL[lang]
    docstart = spec.docstart.get(suffix)
    templates = _CONLL_TEMPLATES[lang]
    lines: list[str] = []
    written = 0
    while written < n:
        doc_size = min(n - written, rng.randint(4, 12)) if docstart else n
        if docstart:
            lines.append(docstart)
            if spec.blank_after_docstart:
                lines.append("")
        for i in range(doc_size):
            template = _DATELINE if (lang == "en" and i == 0 and rng.random() < 0.5) else rng.choice(templates)
            lines.extend(_conll_lines(lang, _realise_conll(lang, template, rng, pool, used), spec.scheme))
            lines.append("")
        written += doc_size
    text = "\n".join(lines) + "\n"
    return text.encode("ascii" if spec.encoding == "ascii" else spec.encoding)


def _write_conll(contents: dict, seed: int, langs: list[str], sizes: dict, train_surfaces: dict) -> dict:
    info = {"languages": langs, "sizes": sizes, "files": {}}
    for lang in langs:
        spec = _CONLL[lang]
        for suffix, size_key in spec.splits:
            rel = f"conll/{spec.prefix}.{suffix}"
            is_train = lang == SOURCE and suffix == "train"
            pool = [e for e in GAZETTEER if not (is_train and e.held_out)]
            used: dict = {}
            contents[rel] = _conll_file(lang, suffix, sizes[size_key], _rng(seed, rel), pool, used)
            if is_train:
                for key, surfaces in used.items():
                    train_surfaces.setdefault(key, set()).update(surfaces)
            info["files"][rel] = {
                "sentences": sizes[size_key],
                "columns": _COLUMNS[lang],
                "scheme": spec.scheme.upper(),
                "encoding": spec.encoding,
                "docstart": spec.docstart.get(suffix),
            }
    return info


# ==================================================================================================
# Webis-CLS-10 reviews

# fmt: off
# Language-independent tokens: the bridge that lets an English-trained model beat chance elsewhere.
_SHARED = {
    "pos": ("super", "top", ":-)", "10/10", "wow", "<3"),
    "neg": ("flop", ":-(", "0/10", "meh", "argh", "-_-"),
    "neutral": ("ok", "!!", "...", "??", "btw"),
}
_BRANDS = {  # artists, publishers and studios: the same Latin-script names in every language
    "books": ("Harlow Quint", "Edda Marisol", "Penwick House", "Corvin Ashe"),
    "dvd": ("Starwell Pictures", "Lumen Arc", "Dax Ferrow", "Nina Solberg"),
    "music": ("The Velvet Orbits", "Kiri Amano", "Solace Nine", "Brass Lantern"),
}
_SHARED_RATE = 0.4  # reviews with a shared sentiment token
_NEUTRAL_SHARED_RATE = 0.3  # reviews with an uninformative shared token
_CONTRAST_RATE = 0.35  # 2- and 4-star reviews with one sentence of the opposite polarity

_LEXICON = {
    "en": {
        "pos": ("great", "excellent", "wonderful", "brilliant", "fantastic", "perfect", "delightful", "superb",
                "moving", "enjoyable", "gripping", "lovely"),
        "neg": ("boring", "terrible", "awful", "disappointing", "dull", "horrible", "weak", "tedious", "annoying",
                "poor", "bland", "dreadful"),
        "pos_phrase": ("I loved it", "highly recommended", "worth every penny", "a real pleasure"),
        "neg_phrase": ("I hated it", "a waste of money", "not recommended", "a total letdown"),
        "nouns": {
            "books": ("book", "novel", "story", "author", "plot", "ending", "narrator", "chapter"),
            "dvd": ("film", "movie", "director", "actor", "scene", "soundtrack", "ending", "sequel"),
            "music": ("album", "song", "singer", "band", "melody", "voice", "track", "recording"),
        },
        "verb": {"books": "read", "dvd": "watched", "music": "listened to"},
        "sentiment": ("The {n} is {a}.", "Honestly, the {n} is really {a}.", "{A}!", "Overall: {p}."),
        "contrast": ("But the {n} is {a}.", "Only the {n} is {a}."),
        "filler": ("I bought this {n} last month.", "It arrived two days after I ordered it.",
                   "I have {v} it {k} times now.", "This is the latest release by {b}.", "It first came out in {y}.",
                   "A friend gave it to me as a present."),
        "summary": ("{A}!", "{P}", "{A} {n}"),
        "neutral_summary": "It is okay",
        "categories": {"books": "books", "dvd": "dvd", "music": "music"},
    },
    "de": {
        "pos": ("toll", "hervorragend", "wunderbar", "großartig", "fantastisch", "perfekt", "spannend", "schön",
                "gelungen", "begeisternd", "exzellent", "klasse"),
        "neg": ("langweilig", "schrecklich", "furchtbar", "enttäuschend", "öde", "miserabel", "schwach", "mühsam",
                "ärgerlich", "dürftig", "grauenhaft", "katastrophal"),
        "pos_phrase": ("ich habe es geliebt", "absolut empfehlenswert", "jeden Cent wert", "ein echtes Vergnügen"),
        "neg_phrase": ("ich habe es gehasst", "rausgeworfenes Geld", "nicht empfehlenswert", "eine echte Enttäuschung"),
        "nouns": {
            "books": ("das Buch", "der Roman", "die Geschichte", "der Autor", "die Handlung", "das Ende", "der Erzähler",
                      "das Kapitel"),
            "dvd": ("der Film", "der Regisseur", "der Schauspieler", "die Szene", "der Soundtrack", "das Ende",
                    "die Fortsetzung", "die Besetzung"),
            "music": ("das Album", "das Lied", "die Sängerin", "die Band", "die Melodie", "die Stimme", "der Titel",
                      "die Aufnahme"),
        },
        "verb": {"books": "gelesen", "dvd": "gesehen", "music": "gehört"},
        "sentiment": ("{N} ist {a}.", "Ehrlich gesagt ist {n} wirklich {a}.", "{A}!", "Fazit: {p}."),
        "contrast": ("Aber {n} ist {a}.", "Nur {n} ist {a}."),
        "filler": ("Ich habe es letzten Monat gekauft.", "Die Lieferung kam zwei Tage nach der Bestellung.",
                   "Ich habe es inzwischen {k} Mal {v}.", "Es ist die neueste Veröffentlichung von {b}.",
                   "Erschienen ist es {y}.", "Ein Freund hat es mir geschenkt."),
        "summary": ("{A}!", "{P}"),
        "neutral_summary": "Ganz okay",
        "categories": {"books": "Bücher", "dvd": "DVD &amp;amp; Blu-ray", "music": "Musik"},
        "months": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                   "November", "Dezember"),
    },
    "fr": {
        "pos": ("génial", "excellent", "magnifique", "brillant", "fantastique", "parfait", "passionnant", "superbe",
                "émouvant", "agréable", "captivant", "charmant"),
        "neg": ("ennuyeux", "terrible", "horrible", "décevant", "fade", "affreux", "faible", "pénible", "agaçant",
                "médiocre", "nul", "lamentable"),
        "pos_phrase": ("je l'ai adoré", "vivement recommandé", "vaut chaque centime", "un vrai plaisir"),
        "neg_phrase": ("je l'ai détesté", "de l'argent gaspillé", "à éviter", "une vraie déception"),
        "nouns": {
            "books": ("le livre", "le roman", "l'histoire", "l'auteur", "l'intrigue", "la fin", "le narrateur",
                      "le chapitre"),
            "dvd": ("le film", "le réalisateur", "l'acteur", "la scène", "la bande originale", "la fin", "la suite",
                    "le casting"),
            "music": ("l'album", "la chanson", "la chanteuse", "le groupe", "la mélodie", "la voix", "le morceau",
                      "l'enregistrement"),
        },
        "verb": {"books": "lu", "dvd": "vu", "music": "écouté"},
        "sentiment": ("{N} est {a}.", "Franchement, {n} est vraiment {a}.", "{A} !", "Bilan : {p}."),
        "contrast": ("Mais {n} est {a}.", "Seul {n} est {a}."),
        "filler": ("Je l'ai acheté le mois dernier.", "La livraison est arrivée deux jours après la commande.",
                   "Je l'ai {v} {k} fois.", "C'est la dernière sortie de {b}.", "Il est sorti en {y}.",
                   "Un ami me l'a offert."),
        "summary": ("{A} !", "{P}"),
        "neutral_summary": "Correct, sans plus",
        "categories": {"books": "Livres", "dvd": "DVD", "music": "Musique"},
        "months": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                   "novembre", "décembre"),
    },
    "ja": {
        "pos": ("最高", "素晴らしい", "面白い", "感動的", "良い", "おすすめ", "楽しい", "綺麗", "見事", "完璧", "魅力的", "傑作"),
        "neg": ("最悪", "つまらない", "退屈", "ひどい", "残念", "期待外れ", "不満", "微妙", "がっかり", "下手", "物足りない", "駄作"),
        "pos_phrase": ("大好きになりました", "強くおすすめします", "買って良かったです", "本当に楽しめました"),
        "neg_phrase": ("二度と買いません", "お金の無駄でした", "おすすめしません", "本当にがっかりしました"),
        "nouns": {
            "books": ("本", "小説", "物語", "作者", "結末", "文章", "翻訳", "主人公"),
            "dvd": ("映画", "監督", "俳優", "演出", "映像", "音楽", "結末", "続編"),
            "music": ("アルバム", "曲", "歌手", "バンド", "メロディー", "歌声", "歌詞", "録音"),
        },
        "verb": {"books": "読みました", "dvd": "観ました", "music": "聴きました"},
        "sentiment": ("この{n}は{a}です。", "正直に言って、{n}は本当に{a}です。", "{a}！", "結論：{p}。"),
        "contrast": ("でも{n}は{a}です。", "ただ、{n}だけは{a}です。"),
        "filler": ("先月この{n}を買いました。", "注文から二日後に届きました。", "これまでに{k}回{v}。",
                   "{b} の最新作です。", "{y}年に発売されました。", "友人からのプレゼントです。"),
        "summary": ("{a}！", "{p}。"),
        "neutral_summary": "まあまあです",
        "categories": {"books": "本", "dvd": "DVD", "music": "ミュージック"},
    },
}
# fmt: on


def _sentence(lang: str, template: str, domain: str, polarity: str | None, rng: random.Random) -> str:
    lex = _LEXICON[lang]
    noun = rng.choice(lex["nouns"][domain])
    adj = rng.choice(lex[polarity]) if polarity else ""
    phrase = rng.choice(lex[f"{polarity}_phrase"]) if polarity else ""
    return template.format(
        n=noun,
        N=_cap(noun),
        a=adj,
        A=_cap(adj),
        p=phrase,
        P=_cap(phrase),
        v=lex["verb"][domain],
        b=rng.choice(_BRANDS[domain]),
        y=rng.randint(1995, 2009),
        k=rng.randint(2, 5),
    )


def _review(lang: str, domain: str, stars: int, rng: random.Random) -> tuple[str, str]:
    """(summary, text) of one review with the given stars."""
    lex = _LEXICON[lang]
    polarity = "pos" if stars > 3 else "neg" if stars < 3 else None
    opposite = {"pos": "neg", "neg": "pos"}
    parts: list[tuple[str, bool]] = []  # (text, is a shared token)
    if polarity is None:  # three stars: praise and blame
        parts += [
            (_sentence(lang, rng.choice(lex["sentiment"]), domain, "pos", rng), False),
            (_sentence(lang, rng.choice(lex["contrast"]), domain, "neg", rng), False),
        ]
    else:
        strong = stars in (1, 5)
        for _ in range(rng.randint(2, 3) if strong else rng.randint(1, 2)):
            parts.append((_sentence(lang, rng.choice(lex["sentiment"]), domain, polarity, rng), False))
    parts += [(_sentence(lang, t, domain, None, rng), False) for t in rng.sample(lex["filler"], rng.randint(1, 3))]
    if polarity and rng.random() < _SHARED_RATE:
        parts.append((rng.choice(_SHARED[polarity]), True))
    if rng.random() < _NEUTRAL_SHARED_RATE:
        parts.append((rng.choice(_SHARED["neutral"]), True))
    rng.shuffle(parts)
    if polarity and stars in (2, 4) and rng.random() < _CONTRAST_RATE:
        parts.append((_sentence(lang, rng.choice(lex["contrast"]), domain, opposite[polarity], rng), False))
    if lang == "ja":  # no spaces in Japanese, except around Latin-script tokens
        text = "".join(f" {t} " if shared else t for t, shared in parts)
        text = re.sub(r" {2,}", " ", text).strip()
    else:
        text = " ".join(t for t, _ in parts)
    if polarity is None:
        summary = lex["neutral_summary"]
    else:
        summary = _sentence(lang, rng.choice(lex["summary"]), domain, polarity, rng)
        if rng.random() < 0.15:
            summary += " " + rng.choice(_SHARED[polarity])
    return summary, text


def _asin(rng: random.Random, domain: str) -> str:
    if domain == "books" and rng.random() < 0.5:
        return "".join(rng.choices("0123456789", k=10))
    return "B00" + "".join(rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=7))


def _date(lang: str, rng: random.Random) -> str:
    year, month, day = rng.randint(2004, 2010), rng.randint(1, 12), rng.randint(1, 28)
    if lang == "de":
        return f"{day}. {_LEXICON['de']['months'][month - 1]} {year}"
    if lang == "fr":
        return f"{day} {_LEXICON['fr']['months'][month - 1]} {year}"
    return f"{year}年{month}月{day}日"


def _x(text: str) -> str:
    return escape(text)


def _review_item(lang: str, domain: str, stars: int, rng: random.Random, namer: _Namer) -> str:
    """One ``<item>`` in the layout of the corpus' files for that language."""
    summary, text = _review(lang, domain, stars, rng)
    category = _LEXICON[lang]["categories"][domain]
    rating = f"{stars:.1f}"
    if lang == "en":
        return (
            f"<item>\n\t<summary>{_x(summary)}\n</summary>\n\t<rating>{rating}</rating>\n"
            f"\t<text>{_x(text)}\n</text>\n\t<category>{category}</category>\n\t</item>\n"
        )
    asin = _asin(rng, domain)
    (w1, k1), (w2, k2) = namer.word(), namer.word()
    title = f"{k1}{k2}" if lang == "ja" else f"{w1} {w2}"
    reviewer = namer.person()[1 if lang == "ja" else 0]
    place = namer.word()[1 if lang == "ja" else 0]
    location = "<location />" if rng.random() < 0.45 else f"<location>{_x(place)}</location>"
    low = rng.randint(0, 9)
    votes = f"<helpfulness_votes><value>{low}</value><value>{low + rng.randint(0, 20)}</value></helpfulness_votes>"
    fields = [f"<category>{category}</category>", f"<rating>{rating}</rating>"]
    if lang == "de":
        fields.append(f"<realname>{'True' if rng.random() < 0.4 else 'False'}</realname>")
    fields += [
        f"<asin>{asin}</asin>",
        f"<url>http://reviews.synthetic.invalid/{CLS_DIRS[lang]}/product-reviews/{asin}/</url>",
        f"<text>{_x(text)}</text>",
        f"<title>{_x(title)}</title>",
        f"<summary>{_x(summary)}</summary>",
        f"<date>{_date(lang, rng)}</date>",
        location,
        votes,
        f"<reviewer>{_x(reviewer)}</reviewer>",
    ]
    if lang == "fr":
        fields.append(
            "<badges />"
            if rng.random() < 0.5
            else f"<badges><value>{rng.choice(('REAL NAME', 'TOP 500 REVIEWER'))}</value></badges>"
        )
    return "<item>" + "".join(fields) + "</item>"


_ITEM_SEPARATOR = {"en": "", "de": "\n\n", "fr": "\n\n\n", "ja": "\n\n"}


def _review_file(lang: str, items: list[str]) -> bytes:
    sep = _ITEM_SEPARATOR[lang]
    body = "".join(items) if lang == "en" else sep.join(items) + sep
    return ('<?xml version="1.0" encoding="utf-8"?>\n<items>' + body + "</items>").encode("utf-8")


def _labelled_stars(n: int, rng: random.Random) -> list[int]:
    neg = n // 2
    stars = [rng.choices((1, 2), (0.55, 0.45))[0] for _ in range(neg)]
    stars += [rng.choices((4, 5), (0.3, 0.7))[0] for _ in range(n - neg)]
    rng.shuffle(stars)
    return stars


def _write_cls(contents: dict, seed: int, langs: list[str], domains: list[str], sizes: dict) -> dict:
    neutral = max(1, sizes["train"] // 20)
    for lang in langs:
        for domain in domains:
            for split in CLS_SPLITS:
                rel = f"cls/{CLS_DIRS[lang]}/{domain}/{split}.review"
                rng = _rng(seed, rel)
                namer = _Namer(rng)
                if split == "unlabeled":
                    stars = rng.choices((1, 2, 3, 4, 5), (0.15, 0.1, 0.1, 0.2, 0.45), k=sizes[split])
                else:
                    stars = _labelled_stars(sizes[split], rng)
                items = [_review_item(lang, domain, s, rng, namer) for s in stars]
                if split == "train":
                    # the corpus' quirks: an exact duplicate review, and three-star reviews the loader drops
                    same = [i for i, s in enumerate(stars) if (s > 3) == (stars[0] > 3)]
                    if len(same) >= 2:
                        items[same[-1]] = items[same[0]]
                    for _ in range(neutral):
                        items.insert(rng.randint(0, len(items)), _review_item(lang, domain, 3, rng, namer))
                contents[rel] = _review_file(lang, items)
    return {
        "languages": langs,
        "dirs": {lang: CLS_DIRS[lang] for lang in langs},
        "domains": domains,
        "sizes": sizes,
        "train_three_star_items": neutral,
        "train_duplicate_items": 1 if sizes["train"] >= 4 else 0,
        "shared_sentiment_tokens": {k: list(v) for k, v in _SHARED.items()},
    }


# ==================================================================================================
# Wikipedia: pages, dumps, langlinks, Wikidata

# fmt: off
_WIKI_META = {
    # lang: (namespace names for -2 -1 1 2 4 6 10 14, redirect magic word, category label, headings)
    "en": (("Media", "Special", "Talk", "User", "Wikipedia", "File", "Template", "Category"), "#REDIRECT",
           ("History", "See also", "References"), "Synthetic test data"),
    "de": (("Medium", "Spezial", "Diskussion", "Benutzer", "Wikipedia", "Datei", "Vorlage", "Kategorie"), "#WEITERLEITUNG",
           ("Geschichte", "Siehe auch", "Einzelnachweise"), "Synthetische Testdaten"),
    "es": (("Medio", "Especial", "Discusión", "Usuario", "Wikipedia", "Archivo", "Plantilla", "Categoría"), "#REDIRECCIÓN",
           ("Historia", "Véase también", "Referencias"), "Datos de prueba sintéticos"),
    "nl": (("Media", "Speciaal", "Overleg", "Gebruiker", "Wikipedia", "Bestand", "Sjabloon", "Categorie"), "#DOORVERWIJZING",
           ("Geschiedenis", "Zie ook", "Referenties"), "Synthetische testgegevens"),
    "fr": (("Média", "Spécial", "Discussion", "Utilisateur", "Wikipédia", "Fichier", "Modèle", "Catégorie"), "#REDIRECTION",
           ("Histoire", "Voir aussi", "Références"), "Données de test synthétiques"),
    "ja": (("メディア", "特別", "ノート", "利用者", "Wikipedia", "ファイル", "Template", "Category"), "#転送",
           ("歴史", "関連項目", "脚注"), "合成テストデータ"),
}
_NS_KEYS = (-2, -1, 1, 2, 4, 6, 10, 14)

_INFOBOX = {
    "en": {"PER": "Infobox person", "ORG": "Infobox company", "LOC": "Infobox settlement", "MISC": "Infobox event"},
    "de": {"PER": "Infobox Person", "ORG": "Infobox Unternehmen", "LOC": "Infobox Ort", "MISC": "Infobox Veranstaltung"},
    "es": {"PER": "Ficha de persona", "ORG": "Ficha de empresa", "LOC": "Ficha de localidad", "MISC": "Ficha de evento"},
    "nl": {"PER": "Infobox persoon", "ORG": "Infobox bedrijf", "LOC": "Infobox plaats", "MISC": "Infobox evenement"},
    "fr": {"PER": "Infobox Biographie", "ORG": "Infobox Entreprise", "LOC": "Infobox Localité", "MISC": "Infobox Événement"},
    "ja": {"PER": "基礎情報 人物", "ORG": "基礎情報 会社", "LOC": "基礎情報 都市", "MISC": "基礎情報 イベント"},
}
_TYPE_CATEGORY = {
    "en": {"PER": "People", "ORG": "Organisations", "LOC": "Places", "MISC": "Events"},
    "de": {"PER": "Person", "ORG": "Organisation", "LOC": "Ort", "MISC": "Veranstaltung"},
    "es": {"PER": "Personas", "ORG": "Organizaciones", "LOC": "Lugares", "MISC": "Eventos"},
    "nl": {"PER": "Persoon", "ORG": "Organisatie", "LOC": "Plaats", "MISC": "Evenement"},
    "fr": {"PER": "Personnalité", "ORG": "Organisation", "LOC": "Lieu", "MISC": "Événement"},
    "ja": {"PER": "人物", "ORG": "組織", "LOC": "地名", "MISC": "催し"},
}
# Lead sentences by type: {T} the page's name in bold, {C} a country link, {L} a place link, {Y} a year.
_LEAD = {
    "en": {"country": "'''{T}''' is a country.", "LOC": "'''{T}''' is a place in {C}.",
           "PER": "'''{T}''' (born {Y} in {L}) is a business executive.",
           "ORG": "'''{T}''' is an organisation based in {L}.", "MISC": "The '''{T}''' is an event first held in {L} in {Y}."},
    "de": {"country": "'''{T}''' ist ein Staat.", "LOC": "'''{T}''' ist ein Ort in {C}.",
           "PER": "'''{T}''' (* {Y} in {L}) ist eine Führungskraft.",
           "ORG": "'''{T}''' ist eine Organisation mit Sitz in {L}.",
           "MISC": "'''{T}''' ist eine Veranstaltung, die seit {Y} in {L} stattfindet."},
    "es": {"country": "'''{T}''' es un país.", "LOC": "'''{T}''' es una localidad de {C}.",
           "PER": "'''{T}''' (nacido en {L} en {Y}) es un empresario.",
           "ORG": "'''{T}''' es una organización con sede en {L}.", "MISC": "'''{T}''' es un evento celebrado en {L} desde {Y}."},
    "nl": {"country": "'''{T}''' is een land.", "LOC": "'''{T}''' is een plaats in {C}.",
           "PER": "'''{T}''' ({L}, {Y}) is een bestuurder.",
           "ORG": "'''{T}''' is een organisatie gevestigd in {L}.", "MISC": "'''{T}''' is een evenement dat sinds {Y} in {L} wordt gehouden."},
    "fr": {"country": "'''{T}''' est un pays.", "LOC": "'''{T}''' est une localité de {C}.",
           "PER": "'''{T}''', né en {Y} à {L}, est un dirigeant d'entreprise.",
           "ORG": "'''{T}''' est une organisation basée à {L}.", "MISC": "'''{T}''' est un événement organisé à {L} depuis {Y}."},
    "ja": {"country": "'''{T}'''は国家である。", "LOC": "'''{T}'''は{C}の地名である。",
           "PER": "'''{T}'''（{Y}年 - ）は{L}出身の実業家である。",
           "ORG": "'''{T}'''は{L}に本部を置く団体である。", "MISC": "'''{T}'''は{Y}年から{L}で開催されている催しである。"},
}
_WIKI_EXTRA_TEMPLATES = {
    "fr": (
        "{PER}, président de {ORG}, a annoncé {DAY} que l'entreprise ouvrirait une nouvelle usine à {LOC}.",
        "Les actions de {ORG} ont progressé de {NUM} % à {LOC}.",
        "{PER} a assisté au {MISC} à {LOC} en {YEAR}.",
        "Le gouvernement {NAT} a rencontré des représentants de {ORG}.",
        "{PER} a rejoint {ORG} en {YEAR}.",
        "Le maire de {LOC}, {PER}, a reçu une délégation de {LOC}.",
        "Selon la police de {LOC}, {NUM} personnes ont été blessées.",
        "{ORG} a été fondée à {LOC} en {YEAR}.",
    ),
    "ja": (
        "{PER}は{ORG}の会長である。",
        "{ORG}は{LOC}に本社を置く企業である。",
        "{PER}は{YEAR}年に{LOC}で生まれた。",
        "{MISC}は毎年{LOC}で開催される。",
        "{YEAR}年、{ORG}は{LOC}に新しい工場を開設した。",
        "{NAT}政府は{ORG}の代表と会談した。",
        "{PER}は{YEAR}年に{ORG}に入社した。",
        "{LOC}の市長である{PER}は、{LOC}からの代表団を迎えた。",
    ),
}
_RANDOM_PATTERNS = {  # names of invented organisations and events on random pages
    "ORG": {"en": ("{} Group", "{} Holding"), "de": ("{} AG", "{}-Gruppe"), "es": ("Grupo {}", "Banco {}"),
            "nl": ("{} Groep", "{} NV"), "fr": ("Groupe {}", "Banque {}"), "ja": ("{}グループ", "{}銀行")},
    "MISC": {"en": ("{} Festival", "{} Cup"), "de": ("{}-Festival", "{}-Pokal"), "es": ("Festival de {}", "Copa {}"),
             "nl": ("{} Festival", "{} Beker"), "fr": ("Festival de {}", "Coupe {}"), "ja": ("{}音楽祭", "{}杯")},
}
# fmt: on


def _plain_template(template: str) -> str:
    """A CoNLL template as running text: annotations dropped, punctuation attached."""
    words = [spec if _SLOT.fullmatch(spec) else spec.partition("/")[0] for spec in template.split(" ")]
    text = re.sub(r" ([.,:;!?)])", r"\1", " ".join(words))
    return text.replace("( ", "(")


def _wiki_templates(lang: str) -> tuple[str, ...]:
    if lang in _WIKI_EXTRA_TEMPLATES:
        return _WIKI_EXTRA_TEMPLATES[lang]
    return tuple(
        _plain_template(t)
        for t in _CONLL_TEMPLATES[lang]
        if t.endswith("./.") or t.endswith("./$.") or t.endswith("./Fp") or t.endswith("./Punc")
    )


def _link(entity: GazetteerEntity, lang: str, surface: str) -> str:
    """Wikitext of a mention linked to the entity's page (a nationality links its country's page)."""
    target = _BY_KEY[entity.nationality_of] if entity.nationality_of else entity
    if not target.has_page(lang):
        return surface
    title = target.title(lang)
    return f"[[{title}]]" if title == surface else f"[[{title}|{surface}]]"


def _fill_wiki(template: str, lang: str, rng: random.Random, choose: Callable[[str], str]) -> str:
    def repl(m: re.Match) -> str:
        slot = m.group(1)
        return choose(slot) if slot in _ENTITY_SLOTS else _value(slot, lang, rng)

    return _SLOT.sub(repl, template)


def _gazetteer_chooser(lang: str, rng: random.Random, page: GazetteerEntity | None, link_rate: float):
    """Fill entity slots from the gazetteer; the first slot of the page's own type names the page's entity."""
    pending = {"first": page is not None}

    def choose(slot: str) -> str:
        if pending["first"] and page is not None and slot == page.type:
            pending["first"] = False
            return _surface(page, lang, rng)
        entity = rng.choice(_slot_entities(slot, list(GAZETTEER)))
        surface = _surface(entity, lang, rng)
        return _link(entity, lang, surface) if rng.random() < link_rate else surface

    return choose


def _random_chooser(lang: str, rng: random.Random, namer: _Namer):
    """Fill entity slots with invented names unrelated to the gazetteer (some as links to missing pages)."""

    def choose(slot: str) -> str:
        latin, kana = namer.person() if slot == "PER" else namer.word()
        name = kana if lang == "ja" else latin
        if slot in _RANDOM_PATTERNS:
            name = rng.choice(_RANDOM_PATTERNS[slot][lang]).format(name)
        return f"[[{name}]]" if rng.random() < 0.2 else name

    return choose


def _ref(rng: random.Random, year: int) -> str:
    return f"<ref>{{{{cite web |title=Synthetic source {rng.randint(1, 999)} |publisher=xlt synthetic data |year={year}}}}}</ref>"


def _article(
    lang: str,
    type_: str,
    name: str,
    country: str,
    place: str,
    rng: random.Random,
    sentences: list[str],
    see_also: list[str],
    is_country: bool = False,
) -> str:
    """Wikitext of an article: infobox, lead, a history section with references, see also, categories."""
    namespaces, _, headings, synthetic_cat = _WIKI_META[lang]
    year = rng.randint(1890, 1999)
    lead = _LEAD[lang]["country" if is_country else type_].format(T=name, C=country, L=place, Y=year)
    sep = "" if lang == "ja" else " "
    body = [lead + _ref(rng, year)] + sentences[:1]
    history = sentences[1:]
    parts = [
        "{{" + _INFOBOX[lang][type_],
        f"| name = {name}",
        f"| country = {country}",
        f"| established = {year}",
    ]
    parts += ["}}", sep.join(body), ""]
    if history:
        parts += [f"== {headings[0]} ==", sep.join(history[:2]) + (_ref(rng, year + 1) if rng.random() < 0.7 else "")]
        if history[2:]:
            parts += ["", sep.join(history[2:])]
        parts.append("")
    if see_also:
        parts += [f"== {headings[1]} =="] + [f"* {s}" for s in see_also] + [""]
    parts += [f"== {headings[2]} ==", "<references />", ""]
    parts += [f"[[{namespaces[7]}:{_TYPE_CATEGORY[lang][type_]}]]", f"[[{namespaces[7]}:{synthetic_cat}]]"]
    return "\n".join(parts)


@dataclass
class _Page:
    title: str
    text: str
    ns: int = 0
    redirect: str | None = None
    entity: str | None = None  # gazetteer key of an entity's article
    id: int = 0


def _entity_article(entity: GazetteerEntity, lang: str, seed: int) -> str:
    rng = _rng(seed, "wiki", lang, entity.key)
    countries = [e for e in GAZETTEER if e.country and e.key != entity.key]
    places = [e for e in GAZETTEER if e.type == "LOC" and not e.country and e.key != entity.key]
    country, place = rng.choice(countries), rng.choice(places)
    templates = _wiki_templates(lang)
    own = [t for t in templates if "{" + entity.type + "}" in t]
    sentences = []
    for i in range(rng.randint(3, 5)):
        template = rng.choice(own) if i % 2 == 0 or len(own) == len(templates) else rng.choice(templates)
        choose = _gazetteer_chooser(lang, rng, entity, link_rate=0.4)
        sentences.append(_fill_wiki(template, lang, rng, choose))
    others = [e for e in GAZETTEER if e.has_page(lang) and e.key != entity.key]
    see_also = [_link(e, lang, e.name(lang)) for e in rng.sample(others, 2)]
    return _article(
        lang,
        entity.type,
        entity.name(lang),
        _link(country, lang, country.name(lang)),
        _link(place, lang, place.name(lang)),
        rng,
        sentences,
        see_also,
        is_country=entity.country,
    )


def _random_article(lang: str, seed: int, index: int) -> tuple[str, str]:
    rng = _rng(seed, "wiki-random", lang, str(index))
    namer = _Namer(rng)
    type_ = rng.choice(("PER", "ORG", "LOC", "MISC"))
    latin, kana = namer.person() if type_ == "PER" else namer.word()
    title = kana if lang == "ja" else latin
    if type_ in _RANDOM_PATTERNS:
        title = rng.choice(_RANDOM_PATTERNS[type_][lang]).format(title)
    choose = _random_chooser(lang, rng, namer)
    templates = [t for t in _wiki_templates(lang) if "{NAT}" not in t]
    sentences = [_fill_wiki(rng.choice(templates), lang, rng, choose) for _ in range(rng.randint(3, 5))]
    country, place = namer.word(), namer.word()
    pick = 1 if lang == "ja" else 0
    text = _article(
        lang, type_, title, f"[[{country[pick]}]]", f"[[{place[pick]}]]", rng, sentences, [], is_country=False
    )
    return title, text


def _redirect_text(lang: str, target: str) -> str:
    tail = "\n\n{{R from alternative name}}" if lang == "en" else ""
    return f"{_WIKI_META[lang][1]} [[{target}]]{tail}"


def _wiki_pages(lang: str, seed: int, wiki_langs: list[str], random_pages: int) -> list[_Page]:
    """Every page of one language's dump, with page ids assigned (sorted by id, as in a real dump)."""
    namespaces, _, _, synthetic_cat = _WIKI_META[lang]
    pages: list[_Page] = []
    titles: set[str] = set()

    def add(page: _Page) -> None:
        if page.title not in titles:
            titles.add(page.title)
            pages.append(page)

    for entity in GAZETTEER:
        if entity.has_page(lang):
            text = _entity_article(entity, lang, seed)
            if lang == SOURCE and (not entity.langlinks_sql or _stable_hash(entity.key) % 4 == 0):
                text += "\n" + "\n".join(f"[[{t}:{entity.title(t)}]]" for t in wiki_langs if entity.has_page(t))
            add(_Page(entity.title(lang), text, entity=entity.key))
    for entity in GAZETTEER:  # redirects: short names, undisambiguated names, English names, nationalities
        target = _BY_KEY[entity.nationality_of] if entity.nationality_of else entity
        if not target.has_page(lang):
            continue
        sources = {entity.name(lang)}
        if lang == SOURCE and entity.alias:
            sources.add(entity.alias)
        if lang != SOURCE and lang != "ja" and not entity.nationality_of:
            sources.add(entity.en)
        if lang != SOURCE and entity.nationality_of:
            sources = set()
        for source in sorted(sources):
            if source != target.title(lang) and source not in titles:
                add(_Page(source, _redirect_text(lang, target.title(lang)), redirect=target.title(lang)))
    index = added = 0
    while added < random_pages:  # an invented title may repeat one already taken: draw another
        title, text = _random_article(lang, seed, index)
        index += 1
        if title not in titles:
            add(_Page(title, text))
            added += 1
    add(
        _Page(
            f"{namespaces[7]}:{synthetic_cat}",
            f"Pages of a synthetic test corpus. [[{namespaces[7]}:{_TYPE_CATEGORY[lang]['LOC']}]]",
            ns=14,
        )
    )
    add(
        _Page(
            f"{namespaces[6]}:{_INFOBOX[lang]['LOC']}",
            '{| class="infobox"\n! {{{name}}}\n|-\n| {{{country}}}\n|}<noinclude>Synthetic template.</noinclude>',
            ns=10,
        )
    )

    rng = _rng(seed, "wiki-ids", lang)
    rng.shuffle(pages)
    next_id = rng.randint(1000, 5000)
    for page in pages:
        page.id = next_id
        next_id += rng.randint(3, 400)
    return pages


def _sha1_base36(text: str) -> str:
    """MediaWiki's ``<sha1>``: the SHA-1 of the text in base 36, 31 digits."""
    n = int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16)
    digits = ""
    while n:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
    return digits.rjust(31, "0")


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _dump_xml(lang: str, pages: list[_Page], seed: int) -> bytes:
    namespaces = _WIKI_META[lang][0]
    rng = _rng(seed, "wiki-revisions", lang)
    out = [
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.10/ http://www.mediawiki.org/xml/export-0.10.xsd" '
        f'version="0.10" xml:lang="{lang}">',
        "  <siteinfo>",
        f"    <sitename>{_x(SYNTHETIC_LABEL)}</sitename>",
        f"    <dbname>{lang}wiki</dbname>",
        f"    <base>https://{lang}.wikipedia.synthetic.invalid/wiki/Main_Page</base>",
        "    <generator>MediaWiki 1.35.0 (synthetic export by xlt.synthetic)</generator>",
        "    <case>first-letter</case>",
        "    <namespaces>",
    ]
    for key, name in zip(_NS_KEYS[:2], namespaces[:2]):
        out.append(f'      <namespace key="{key}" case="first-letter">{_x(name)}</namespace>')
    out.append('      <namespace key="0" case="first-letter" />')
    for key, name in zip(_NS_KEYS[2:], namespaces[2:]):
        out.append(f'      <namespace key="{key}" case="first-letter">{_x(name)}</namespace>')
    out += ["    </namespaces>", "  </siteinfo>"]
    rev = rng.randint(10_000_000, 20_000_000)
    for page in sorted(pages, key=lambda p: p.id):
        rev += rng.randint(1, 50_000)
        stamp = f"20{rng.randint(19, 21)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
        out += [
            "  <page>",
            f"    <title>{_x(page.title)}</title>",
            f"    <ns>{page.ns}</ns>",
            f"    <id>{page.id}</id>",
        ]
        if page.redirect is not None:
            out.append(f'    <redirect title="{_attr(page.redirect)}" />')
        out += [
            "    <revision>",
            f"      <id>{rev}</id>",
            f"      <parentid>{rev - rng.randint(1, 9_999)}</parentid>",
            f"      <timestamp>{stamp}</timestamp>",
            "      <contributor>",
            f"        <username>SyntheticEditor{rng.randint(1, 40)}</username>",
            f"        <id>{rng.randint(1000, 99_999)}</id>",
            "      </contributor>",
            "      <comment>synthetic revision</comment>",
            "      <model>wikitext</model>",
            "      <format>text/x-wiki</format>",
            f'      <text bytes="{len(page.text.encode("utf-8"))}" xml:space="preserve">{_attr(page.text)}</text>',
            f"      <sha1>{_sha1_base36(page.text)}</sha1>",
            "    </revision>",
            "  </page>",
        ]
    out.append("</mediawiki>")
    return bz2.compress(("\n".join(out) + "\n").encode("utf-8"), 9)


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"') + "'"


# fmt: off
_SQL_HEAD = """-- MySQL dump 10.19  Distrib 10.3.38-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: synthetic    Database: enwiki
-- ------------------------------------------------------
-- Server version	10.3.38-MariaDB
-- SYNTHETIC DATA generated by xlt.synthetic (seed {seed}): every page id and title is invented.

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `langlinks`
--

DROP TABLE IF EXISTS `langlinks`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8 */;
CREATE TABLE `langlinks` (
  `ll_from` int(8) unsigned NOT NULL DEFAULT 0,
  `ll_lang` varbinary(35) NOT NULL DEFAULT '',
  `ll_title` varbinary(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`ll_from`,`ll_lang`),
  KEY `ll_lang` (`ll_lang`,`ll_title`)
) ENGINE=InnoDB DEFAULT CHARSET=binary ROW_FORMAT=COMPRESSED;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `langlinks`
--

/*!40000 ALTER TABLE `langlinks` DISABLE KEYS */;
"""
_SQL_TAIL = """/*!40000 ALTER TABLE `langlinks` ENABLE KEYS */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2021-03-01 12:00:00
"""
_SQL_ROWS_PER_INSERT = 25
# fmt: on


def _langlinks_sql(rows: list[tuple[int, str, str]], seed: int) -> bytes:
    statements = []
    for i in range(0, len(rows), _SQL_ROWS_PER_INSERT):
        values = ",".join(
            f"({pid},{_sql_string(lang)},{_sql_string(title)})"
            for pid, lang, title in rows[i : i + _SQL_ROWS_PER_INSERT]
        )
        statements.append(f"INSERT INTO `langlinks` VALUES {values};\n")
    text = _SQL_HEAD.format(seed=seed) + "".join(statements) + _SQL_TAIL
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def _wikidata(wiki_langs: list[str]) -> bytes:
    entities = {}
    for i, entity in enumerate(e for e in GAZETTEER if e.has_page(SOURCE)):
        qid = f"Q{900_000_000 + i + 1}"
        langs = [SOURCE] + wiki_langs
        entities[qid] = {
            "id": qid,
            "type": "item",
            "labels": {lang: {"language": lang, "value": entity.name(lang)} for lang in langs},
            "aliases": {},
            "descriptions": {
                SOURCE: {"language": SOURCE, "value": "synthetic entity of the xlt demo benchmark (not a real item)"}
            },
            "claims": {},
            "sitelinks": {
                f"{lang}wiki": {"site": f"{lang}wiki", "title": entity.title(lang), "badges": []}
                for lang in langs
                if entity.has_page(lang)
            },
        }
    return (json.dumps({"entities": entities, "success": 1}, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _write_wikipedia(contents: dict, seed: int, wiki_langs: list[str], random_pages: dict[str, int]) -> dict:
    pages_by_lang = {
        lang: _wiki_pages(lang, seed, wiki_langs, random_pages.get(lang, 0)) for lang in [SOURCE] + wiki_langs
    }
    for lang, pages in pages_by_lang.items():
        contents[f"wikipedia/{lang}/wiki.xml.bz2"] = _dump_xml(lang, pages, seed)

    en_pages = pages_by_lang[SOURCE]
    rows = []
    for page in en_pages:
        entity = _BY_KEY.get(page.entity or "")
        if entity is not None and entity.langlinks_sql:
            rows += [(page.id, lang, entity.title(lang)) for lang in wiki_langs if entity.has_page(lang)]
        elif page.ns == 14:  # the category page is linked too, as most rows of a real table are non-articles
            rows += [(page.id, lang, f"{_WIKI_META[lang][0][7]}:{_WIKI_META[lang][3]}") for lang in wiki_langs]
    rows.sort(key=lambda r: (r[0], r[1]))
    contents["wikipedia/enwiki-langlinks.sql.gz"] = _langlinks_sql(rows, seed)
    contents["wikipedia/wikidata.json"] = _wikidata(wiki_langs)

    ids = {lang: {p.entity: p.id for p in pages if p.entity} for lang, pages in pages_by_lang.items()}
    redirects = [p.title for p in en_pages if p.redirect is not None]
    entities = []
    for entity in GAZETTEER:
        entities.append(
            {
                "key": entity.key,
                "type": entity.type,
                "names": {lang: entity.name(lang) for lang in [SOURCE] + wiki_langs},
                "titles": {lang: entity.title(lang) for lang in [SOURCE] + wiki_langs if entity.has_page(lang)},
                "page_ids": {lang: ids[lang][entity.key] for lang in ids if entity.key in ids[lang]},
                "nationality_of": entity.nationality_of,
                "held_out_of_english_train": entity.held_out,
                "langlinks_in_sql": entity.langlinks_sql and entity.has_page(SOURCE),
            }
        )
    return {
        "languages": [SOURCE] + wiki_langs,
        "random_pages": {lang: random_pages.get(lang, 0) for lang in [SOURCE] + wiki_langs},
        "pages": {lang: len(pages) for lang, pages in pages_by_lang.items()},
        "english_redirects": sorted(redirects),
        "langlinks_rows": len(rows),
        "entities": entities,
    }


# ==================================================================================================
# README


def _readme(seed, cls_langs, domains, cls_n, conll_langs, conll_n, wiki_langs) -> str:
    lines = [
        "SYNTHETIC BENCHMARK -- GENERATED TEST DATA, NOT REAL TEXT",
        "",
        "Every review, sentence, name and Wikipedia page under this folder was invented by xlt.synthetic",
        f"(seed {seed}) from a small built-in lexicon. The files imitate the distribution formats of",
        "Webis-CLS-10, CoNLL-2002/2003 and Wikipedia dumps so that the workflow's real loaders and its",
        "Wikipedia harvest run on them; scores measured on these files say nothing about the method.",
        "",
    ]
    if cls_langs:
        lines += [
            f"cls/<{'|'.join(CLS_DIRS[l] for l in cls_langs)}>/<{'|'.join(domains)}>/{{train,test,unlabeled}}.review",
            f"  Webis-CLS-10 unprocessed XML, UTF-8; {cls_n['train']} train / {cls_n['test']} test reviews (balanced),",
            f"  {cls_n['unlabeled']} unlabeled; train files add {max(1, cls_n['train'] // 20)} three-star reviews and one duplicate.",
        ]
    if conll_langs:
        formats = {
            "en": "eng: word POS chunk NER, IOB1, ASCII",
            "de": "deu: word lemma POS chunk NER, IOB1, ISO-8859-1",
            "es": "esp: word POS NER, IOB2, UTF-8, no -DOCSTART-",
            "nl": "ned: word POS NER, IOB2, UTF-8",
        }
        lines += ["conll/: " + ", ".join(f"{_CONLL[l].prefix}.{s}" for l in conll_langs for s, _ in _CONLL[l].splits)]
        lines += [f"  {formats[l]}" for l in conll_langs]
        lines += [
            f"  Sentences: train {conll_n['train']}, dev (testa) {conll_n['dev']}, test (testb) {conll_n['test']}."
        ]
    lines += [
        "wikipedia/<lang>/wiki.xml.bz2: MediaWiki export-0.10 dumps for " + ", ".join([SOURCE] + wiki_langs) + ".",
        "wikipedia/enwiki-langlinks.sql.gz: MySQL dump of a langlinks table keyed by the English page ids.",
        "wikipedia/wikidata.json: a wbgetentities answer with sitelinks for the same entities.",
        "manifest.json: the gazetteer, page ids and which entities occur in the English training file.",
        "",
    ]
    return "\n".join(lines)
