"""Synthetic Wikipedia pages: entity articles, random articles and redirects in wikitext (see
:mod:`xlt.synthetic`)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Callable

from xlt.synthetic.common import _rng, _stable_hash, SOURCE
from xlt.synthetic.conll import _CONLL_TEMPLATES, _ENTITY_SLOTS, _SLOT, _slot_entities, _surface, _value
from xlt.synthetic.gazetteer import _BY_KEY, GAZETTEER, GazetteerEntity, _Namer

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
