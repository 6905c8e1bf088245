"""The visible text of common inline templates, so that dropping templates leaves no holes in sentences.

Templates are not expanded (that needs the wiki's template code and Lua modules); most inline templates
of running text belong to a few families whose visible text is one of their parameters or a simple
format of them. :func:`render` gives that text, as wikitext (it may hold links), for:

* link-like templates: ``{{ill|Target|de|Ziel|lt=label}}``, ``{{仮リンク|表示|en|Title|label=…}}``,
  ``{{Lien|fr=Titre|lang=en|texte=…}}``, ``{{link-en|中文|English}}``, ``{{tsl|en|English|中文}}``;
* language and script templates: ``{{lang|fr|texte}}``, ``{{lang-de|Berlin}}``, ``{{langue|en|text}}``,
  ``{{transl|ru|Moskva}}``, ``{{nihongo|Tokyo|東京}}``, ``{{ルビ|漢字|かんじ}}``, ``{{読み仮名|漢字|かんじ}}``;
* no-break and formatting wrappers: ``{{nowrap|…}}``, ``{{nobr|…}}``, ``{{small|…}}``, ``{{abbr|UN|…}}``,
  ``{{citation needed span|…}}``, ``{{要出典範囲|…}}``, French ``{{citation|…}}`` (« … »);
* dates: English ``{{start date|2004|3|12}}`` and the birth/death date families, French ``{{date|12|mars|2004}}``,
  Spanish ``{{fecha|12|3|2004}}``, Japanese ``{{生年月日と年齢|1950|1|2}}``, French and Spanish centuries
  (``{{s-|XIX}}``, ``{{XIXe siècle}}``, ``{{siglo|XIX||s}}``);
* numbers and units: ``{{convert|5|km|mi}}`` (the value as written and its unit: "5 km"), ``{{val|1.5|u=m}}``,
  ``{{formatnum:1234}}``, German ``{{FormatZahl|…}}``, French ``{{unité|10.5|km|2}}``, ``{{nombre|…}}``,
  ``{{tmp|11.7|°C}}``, Spanish ``{{esd|…}}``; dashes (``{{ndash}}``, ``{{snd}}``) and ``{{nbsp}}``.

Template names are compared as MediaWiki titles are (case of the first letter, ``_`` as space) and,
more leniently, regardless of case; names that differ between wikis are listed per language (the
common list applies everywhere). Every other template is dropped, as before: infoboxes, references,
maintenance flags, icons and the like show nothing in the running text.
"""

from __future__ import annotations

import re
from typing import Callable

__all__ = ["template_key", "renders", "render", "rendered_names"]

_NAMESPACES = ("template:", "vorlage:", "modèle:", "modele:", "plantilla:", "sjabloon:", "テンプレート:")


def template_key(name: str) -> str:
    """A template name as looked up here: no namespace prefix, ``_`` as space, single spaces, case folded."""
    key = " ".join(name.replace("_", " ").split()).casefold()
    for prefix in _NAMESPACES:
        if key.startswith(prefix):
            return key[len(prefix) :].strip()
    return key


# --------------------------------------------------------------------------------------------------
# Parameters


def _arg(t, key) -> str | None:
    """The value of parameter ``key`` (a position or a name), stripped; ``None`` when absent or empty."""
    key = str(key)
    if not t.has(key):
        return None
    value = str(t.get(key).value).strip()
    return value or None


def _positional(t) -> list[str]:
    """The positional parameters' values in order (``1=`` counts as the first), stripped."""
    out = []
    i = 1
    while t.has(str(i)):
        out.append(str(t.get(str(i)).value).strip())
        i += 1
    return out


def first(*keys) -> Callable:
    """The first of ``keys`` (positions or names) that has a value."""

    def render(t, lang):
        for key in keys:
            value = _arg(t, key)
            if value is not None:
                return value
        return None

    return render


def last_positional(t, lang):
    values = [v for v in _positional(t) if v]
    return values[-1] if values else None


def joined(*keys, sep: str = " ") -> Callable:
    def render(t, lang):
        values = [v for v in (_arg(t, k) for k in keys) if v is not None]
        return sep.join(values) or None

    return render


def literal(text: str) -> Callable:
    return lambda t, lang: text


def formatted(fmt: str, *keys, optional: tuple = ()) -> Callable:
    """``fmt`` with ``{1}``, ``{2}``... filled in; ``None`` when a required key is missing."""

    def render(t, lang):
        values = {}
        for key in keys:
            value = _arg(t, key)
            if value is None and key not in optional:
                return None
            values[str(key)] = value or ""
        out = fmt
        for key, value in values.items():
            out = out.replace("{" + key + "}", value)
        return " ".join(out.split()) if "  " in out else out

    return render


# --------------------------------------------------------------------------------------------------
# Numbers, units and dates

_DECIMAL = {"de": ",", "es": ",", "fr": ",", "nl": ",", "it": ",", "pt": ","}
_GROUP = {"de": ".", "es": " ", "fr": " ", "nl": ".", "it": ".", "pt": " "}
_NUMBER = re.compile(r"^(-?)(\d+)(?:\.(\d+))?$")


def format_number(value: str, lang: str, group_from: int = 4) -> str:
    """A plain number (``1234567.5``) as the language writes it (en "1,234,567.5", de "1.234.567,5",
    fr "1 234 567,5"); anything else as given. Integer parts shorter than ``group_from`` digits are not grouped."""
    m = _NUMBER.match(value.replace(",", "") if lang not in _DECIMAL else value)
    if not m:
        return value
    sign, whole, frac = m.groups()
    if len(whole) >= group_from:
        sep = _GROUP.get(lang, ",")
        head = len(whole) % 3 or 3
        whole = whole[:head] + "".join(sep + whole[i : i + 3] for i in range(head, len(whole), 3))
    return sign + whole + ((_DECIMAL.get(lang, ".") + frac) if frac else "")


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_UNIT_POWER = re.compile(r"^([A-Za-zµμ]+)([23])$")


def _unit(code: str) -> str:
    m = _UNIT_POWER.match(code)
    return m.group(1) + m.group(2).translate(_SUPERSCRIPT) if m else code


_RANGE = {"-": "–", "–": "–", "to": " to ", "and": " and ", "or": " or ", "x": " × ", "by": " by ", "+/-": " ± "}


def convert(t, lang):
    """``{{convert|5|km|mi}}`` -> "5 km"; ranges ``{{convert|5|to|10|km}}`` -> "5 to 10 km"."""
    p = _positional(t)
    if not p or not p[0]:
        return None
    value, rest = p[0], p[1:]
    while len(rest) >= 2 and rest[0] in _RANGE:
        value += _RANGE[rest[0]] + rest[1]
        rest = rest[2:]
    return f"{value} {_unit(rest[0])}" if rest and rest[0] else value


def val(t, lang):
    """``{{val|1.5|0.2|u=m}}`` -> "1.5 ± 0.2 m"."""
    value = _arg(t, 1)
    if value is None:
        return None
    if _arg(t, 2) is not None:
        value += " ± " + _arg(t, 2)
    unit = _arg(t, "u") or _arg(t, "ul")
    return f"{value} {unit}" if unit else value


def number_and_unit(t, lang):
    """French ``{{unité|10.5|km|2}}`` -> "10,5 km²", ``{{nombre|1000|habitants}}``, ``{{tmp|11.7|°C}}``."""
    value = _arg(t, 1)
    if value is None:
        return None
    out = format_number(value, lang, group_from=5)
    unit = _arg(t, 2)
    if unit:
        power = _arg(t, 3)
        out += " " + unit + (power.translate(_SUPERSCRIPT) if power and re.fullmatch(r"-?\d", power) else "")
    return out


def formatnum(t, lang):
    """The parser function ``{{formatnum:1234}}`` (its argument is part of the template's name)."""
    arg = str(t.name).split(":", 1)[1].strip() if ":" in str(t.name) else ""
    return format_number(arg, lang) if arg else None


def number(t, lang):
    value = _arg(t, 1)
    return format_number(value, lang) if value else None


_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
}


def _ymd(t, offset: int = 0) -> tuple[str | None, str | None, str | None]:
    return _arg(t, 1 + offset), _arg(t, 2 + offset), _arg(t, 3 + offset)


def _month(m: str | None, lang: str) -> str | None:
    if m is None:
        return None
    if m.isdigit() and 1 <= int(m) <= 12:
        return _MONTHS[lang].split()[int(m) - 1]
    return m


def english_date(offset: int = 0) -> Callable:
    """``{{start date|2004|3|12}}`` -> "March 12, 2004" (``df=y``: "12 March 2004")."""

    def render(t, lang):
        y, m, d = _ymd(t, offset)
        if y is None:
            return None
        month = _month(m, "en")
        if month is None:
            return y
        if d is None:
            return f"{month} {y}"
        d = d.lstrip("0") or d
        return f"{d} {month} {y}" if (_arg(t, "df") or "").lower() in ("y", "yes") else f"{month} {d}, {y}"

    return render


def spanish_date(t, lang):
    """``{{fecha|12|3|2004}}`` -> "12 de marzo de 2004"."""
    d, m, y = _ymd(t)
    parts = [p for p in (d, _month(m, "es"), y) if p]
    return " de ".join(parts) or None


def japanese_date(offset: int = 0) -> Callable:
    """``{{生年月日と年齢|1950|1|2}}`` -> "1950年1月2日"."""

    def render(t, lang):
        y, m, d = _ymd(t, offset)
        if y is None:
            return None
        return y + "年" + (f"{m}月" if m else "") + (f"{d}日" if m and d else "")

    return render


def spanish_century(t, lang):
    """``{{siglo|XIX}}`` -> "XIX"; ``{{siglo|XIX||s}}`` -> "siglo XIX"."""
    value = _arg(t, 1)
    if value is None:
        return None
    return ("siglo " + value) if (_arg(t, 3) or "").lower() == "s" else value


# --------------------------------------------------------------------------------------------------
# The tables

Renderer = Callable[..., "str | None"]

_COMMON: dict[str, Renderer] = {
    # language, script, no-break and formatting wrappers
    "lang": first(2),
    "transl": last_positional,
    "transliteration": last_positional,
    "nowrap": first(1),
    "nobr": first(1),
    "nobreak": first(1),
    "no wrap": first(1),
    "small": first(1),
    "smaller": first(1),
    "big": first(1),
    "larger": first(1),
    "visible anchor": first(1),
    "abbr": first(1),
    "nihongo": first(1),
    "sic": first(1),
    "not a typo": first(1),
    "proper name": first(1),
    "unicode": first(1),
    "citation needed span": first(1),
    "cn span": first(1),
    "better source needed span": first(1),
    # link-like
    "ill": first("lt", 1),
    "interlanguage link": first("lt", 1),
    "illm": first("lt", 1),
    "interlanguage link multi": first("lt", 1),
    # numbers and units
    "convert": convert,
    "cvt": convert,
    "val": val,
    # dashes and spaces
    "ndash": literal("–"),
    "mdash": literal("—"),
    "snd": literal(" – "),
    "spaced ndash": literal(" – "),
    "spaced en dash": literal(" – "),
    "nbsp": literal(" "),
}

_BY_LANG: dict[str, dict[str, Renderer]] = {
    "en": {
        "circa": formatted("c. {1}", 1),
        "c.": formatted("c. {1}", 1),
        "as of": formatted("As of {1}", 1),
        "start date": english_date(),
        "end date": english_date(),
        "birth date": english_date(),
        "death date": english_date(),
        "start date and age": english_date(),
        "birth date and age": english_date(),
        "death date and age": english_date(),
        "film date": english_date(),
        "flag": first(1),
        "sortname": joined(1, 2),
        "us$": formatted("US${1}", 1),
    },
    "de": {
        "formatzahl": number,
        "formnum": number,
        '"': formatted("„{1}“", 1),  # {{"|Zitat}}: a quotation in German quotation marks
        "polytonisch": first(1),
    },
    "es": {
        "fecha": spanish_date,
        "siglo": spanish_century,
        "esd": first(1),
        "versalita": lambda t, lang: (_arg(t, 1) or "").upper() or None,
    },
    "fr": {
        "lien": first("texte", "fr", 1, "trad"),
        "langue": first(2),
        "date": joined(1, 2, 3),
        "date-": joined(1, 2, 3),
        "date de naissance": joined(1, 2, 3),
        "date de décès": joined(1, 2, 3),
        "date sport": joined(1, 2, 3),
        "1er": literal("1er"),
        "er": literal("er"),
        "e": literal("e"),
        "re": literal("re"),
        "ier": literal("Ier"),
        "s": formatted("{1}e siècle", 1),
        "s-": formatted("{1}e siècle", 1),
        "siècle": formatted("{1}e siècle", 1),
        "-s": formatted("{1}e siècle av. J.-C.", 1),
        "-s-": formatted("{1}e siècle av. J.-C.", 1),
        "s2": formatted("{1}e et {2}e siècles", 1, 2),
        "s2-": formatted("{1}e et {2}e siècles", 1, 2),
        "nombre": number_and_unit,
        "nb": number_and_unit,
        "unité": number_and_unit,
        "tmp": number_and_unit,
        "température": number_and_unit,
        "citation": formatted("« {1} »", 1),
        "romain": first(1),
        "nobr": first(1),
    },
    "ja": {
        "仮リンク": first("label", 1),
        "ルビ": first(1),
        "読み仮名": formatted("{1}（{2}）", 1, 2),
        "読み仮名 ruby不使用": formatted("{1}（{2}）", 1, 2),
        "生年月日と年齢": japanese_date(),
        "死亡年月日と没年齢": japanese_date(3),
        "和暦": formatted("{1}年", 1),
        "要出典範囲": first(1),
        "独自研究範囲": first(1),
        "要検証範囲": first(1),
    },
    "zh": {
        "tsl": first(3, 2),
        "le": first(1),
    },
}

_FR_CENTURY = re.compile(r"^([ivxlc]+)(e|er)( siècle| millénaire)?$")


def _lookup(key: str, lang: str | None) -> Renderer | None:
    table = _BY_LANG.get(lang or "", {})
    fn = table.get(key) or _COMMON.get(key)
    if fn is not None:
        return fn
    if key.startswith("lang-") or key.startswith("langx"):
        return first(1) if key.startswith("lang-") else first(2)
    if key.startswith("formatnum:"):
        return formatnum
    if lang == "zh" and key.startswith("link-"):
        return first(1)
    if lang == "fr" and _FR_CENTURY.match(key):
        return lambda t, lang: " ".join(str(t.name).split())  # {{XIXe siècle}}, {{IIIe}}
    return None


def renders(name: str, lang: str | None) -> bool:
    """Whether a template of this name shows text in ``lang``'s running text (and :func:`render` gives it)."""
    return _lookup(template_key(name), lang) is not None


def render(template, lang: str | None) -> str | None:
    """The visible text (as wikitext) of a ``mwparserfromhell`` template node; ``None`` to drop it."""
    fn = _lookup(template_key(str(template.name)), lang)
    if fn is None:
        return None
    return fn(template, lang)


def rendered_names(lang: str | None) -> list[str]:
    """The template names rendered in ``lang`` (families matched by prefix are not listed)."""
    return sorted(set(_COMMON) | set(_BY_LANG.get(lang or "", {})))
