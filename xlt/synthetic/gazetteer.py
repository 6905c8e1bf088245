"""The invented gazetteer: the entities of the synthetic NER data and Wikipedia pages, with their names in
every language (see :mod:`xlt.synthetic`)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Mapping


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
