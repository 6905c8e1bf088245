"""Synthetic CoNLL-2002/2003 files: sentence templates, tagging and the file conventions of each language
(see :mod:`xlt.synthetic`)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Mapping

from xlt.synthetic.common import _rng, _stable_hash, SOURCE
from xlt.synthetic.gazetteer import GAZETTEER, GazetteerEntity

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
