"""MediaWiki wikitext to the plain text a reader sees (the harvest's paragraphs: :mod:`xlt.wiki.harvest`).

Wikitext to text (:func:`wikitext_to_text`) keeps what a reader sees in the article's running text:
link text stays, and so does the visible text of common inline templates (links to untranslated pages,
language and no-break wrappers, dates, numbers with units: :mod:`xlt.wiki.templates`), while other
templates, references, tables, files, categories, interlanguage links, lists, headings and comments go.
Non-prose blocks are cut out line by line first (:func:`prose_paragraphs`); templates are then rendered
or removed by pattern, innermost first, and paragraphs left with nothing but words, links, entities and
inline tags take a fast path that gives the same text as ``mwparserfromhell``, which converts all other
paragraphs (:func:`paragraph_to_text`) -- the parser is the slowest step of a harvest. What dropped
templates leave behind is tidied up: empty brackets, dangling commas, spaces before punctuation, in ASCII
and full-width (CJK) punctuation alike.
"""

from __future__ import annotations

import html
import re

import mwparserfromhell
from mwparserfromhell.nodes import ExternalLink, HTMLEntity, Tag, Template, Text, Wikilink

from xlt.wiki.templates import render, renders


#: Namespaces whose links do not show in the running text: files and categories, in English and the
#: CoNLL/CLS target languages. Links to other languages' pages (``[[de:Berlin]]``) do not show either.
_HIDDEN_LINK_PREFIXES = frozenset(
    p.casefold()
    for p in (
        "File",
        "Image",
        "Media",
        "Category",  # en
        "Datei",
        "Bild",
        "Kategorie",  # de
        "Archivo",
        "Imagen",
        "Categoría",  # es
        "Bestand",
        "Afbeelding",
        "Categorie",  # nl
        "Fichier",
        "Catégorie",  # fr
        "ファイル",
        "画像",
        "カテゴリ",  # ja
    )
)
_LANG_PREFIX = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]+)*$")


def is_namespaced_link(target: str) -> bool:
    """Whether a link does not show in the text: a file, a category or another language's page.

    A leading colon (``[[:Category:X]]``, ``[[:de:Berlin]]``) makes a link an ordinary visible one.
    """
    target = target.lstrip()
    if target.startswith(":"):
        return False
    prefix, sep, _ = target.partition(":")
    if not sep:
        return False
    prefix = prefix.strip()
    return prefix.casefold() in _HIDDEN_LINK_PREFIXES or bool(_LANG_PREFIX.match(prefix))


_BLOCK_TAGS = "gallery|math|chem|timeline|syntaxhighlight|source|pre|score|graph|imagemap|mapframe|templatedata|poem|table|references"
_PRESTRIP = re.compile(
    r"<!--.*?(?:-->|\Z)"  # comments (an unclosed one runs to the end)
    rf"|<(?:ref|{_BLOCK_TAGS})\b[^>]*/>"  # self-closing references and blocks
    r"|<ref\b[^>]*(?<!/)>.*?</ref\s*>"  # references
    rf"|<({_BLOCK_TAGS})\b[^>]*(?<!/)>.*?</\1\s*>",  # non-prose blocks
    re.DOTALL | re.IGNORECASE,
)
_BRACES = re.compile(r"\{\{|\}\}")


def _closes_at_end(line: str) -> bool:
    """Whether a line starting with ``{{`` is one template and nothing else."""
    depth = 0
    for m in _BRACES.finditer(line):
        depth += 1 if m.group() == "{{" else -1
        if depth == 0:
            return not line[m.end() :].strip()
    return False


def prose_paragraphs(wikitext: str) -> list[str]:
    """The prose paragraphs of a page's wikitext, still in wikitext.

    Comments, references and non-prose blocks (galleries, math, ``<table>``...) are removed first;
    then, line by line, wiki tables (``{| ... |}``), templates standing on their own lines
    (infoboxes, navigation boxes), headings, list items, file and category lines are dropped.
    Consecutive prose lines form one paragraph (a single line break does not end a paragraph in
    MediaWiki), and a template that opens inside a prose line and spans several lines stays with it.
    """
    text = _PRESTRIP.sub("", wikitext)
    out: list[list[str]] = []
    cur: list[str] | None = None
    depth = 0
    table = 0
    for line in text.split("\n"):
        if table:
            s = line.lstrip()
            if s.startswith("{|"):
                table += 1
            elif s.startswith("|}"):
                table -= 1
            continue
        balance = line.count("{{") - line.count("}}") if "{" in line or "}" in line else 0
        if depth > 0:
            depth = max(0, depth + balance)
            if cur is not None:
                cur.append(line)
            continue
        s = line.strip()
        if not s:
            cur = None
            continue
        first = s[0]
        if s.startswith("{|"):
            table, cur = 1, None
            continue
        skip = (
            first in "*#:;=|!"
            or s.startswith("----")
            or s.startswith("__")
            or (first == "{" and s.startswith("{{") and (balance > 0 or _closes_at_end(s)))
            or (s.startswith("[[") and is_namespaced_link(s[2:].split("|", 1)[0].split("]", 1)[0]))
        )
        depth = max(0, balance)
        if skip:
            cur = None
        elif cur is not None:  # consecutive lines form one paragraph, as MediaWiki renders them
            cur.append(line)
        else:
            cur = [line]
            out.append(cur)
    return ["\n".join(p) for p in out]


_SIMPLE_LINK = re.compile(r"\[\[([^\[\]|{}<>\n]+)(?:\|([^\[\]{}<>\n]*))?\]\]")
_EXTERNAL_LINK = re.compile(r"\[(?:https?:|ftp:)?//[^\s\[\]<>]+(?:[ \t]+([^\[\]\n]*))?\]")
_INNER_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_BR = re.compile(r"<br\s*/?\s*>", re.IGNORECASE)
_INLINE_TAGS = (
    "small|big|sup|sub|span|abbr|u|s|del|ins|font|center|div|b|i|em|strong|cite|q|var|kbd|tt|bdi|bdo|mark|time"
)
_INLINE_TAG = re.compile(rf"</?(?:{_INLINE_TAGS})(?:\s[^<>]*)?>", re.IGNORECASE)
_STYLE = re.compile(r"'{2,}")
_MAGIC = re.compile(r"__[A-Z]+__")
_EMPTY_PARENS = re.compile(r"\(\s*[,;:]?\s*\)|\[\s*\]")
_DANGLING_COMMA = re.compile(r"[,;]\s*\)|\(\s*[,;]\s*")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?)])")


_LEFTOVER_MARKS = ("( ", "()", "(,", "(;", "(:", ",)", ", )", ";)", "; )", "[]", "[ ]")
_SPACE_PUNCT_MARKS = (" ,", " .", " ;", " :", " !", " ?", " )")

# Full-width (CJK) punctuation: the same tidy-up
_CJK_OPEN, _CJK_CLOSE = "（「『【〔［〈《", "）」』】〕］〉》"
_CJK_MARKS = frozenset(_CJK_OPEN + _CJK_CLOSE + "、。，．！？：；")
_CJK_EMPTY = re.compile(r"[（(]\s*[、，,；;：:]?\s*[）)]|「\s*」|『\s*』|【\s*】|〔\s*〕|［\s*］|〈\s*〉|《\s*》")
_CJK_DANGLING = re.compile(rf"([{_CJK_OPEN}(])\s*[、，,；;]+\s*|\s*[、，,；;]+\s*([{_CJK_CLOSE})])")
_CJK_SPACE = re.compile(rf"\s+(?=[{_CJK_CLOSE}、。，．！？：；])|(?<=[{_CJK_OPEN}、。，])\s+")
_CJK_DOUBLE = re.compile(r"[、，]+(?=[。．！？])|(?<=[、，])[、，]+|(?<=。)。+")


def _tidy_cjk(text: str) -> str:
    """ "（）", "「」", "（、", "、）", "である 。", "、。" left where templates were dropped."""
    for _ in range(2):  # removing "（、）" can leave "「」"
        tidied = _CJK_EMPTY.sub("", text)
        tidied = _CJK_DANGLING.sub(lambda m: m.group(1) or m.group(2), tidied)
        tidied = _CJK_DOUBLE.sub("", _CJK_SPACE.sub("", tidied))
        if tidied == text:
            break
        text = tidied
    return text


def _finish(text: str) -> str:
    """Drop bold/italic quotes and magic words, collapse white space, tidy what dropped templates left.

    Substring tests guard every pattern, so most paragraphs pass with a few fast scans.
    """
    if "''" in text:
        text = _STYLE.sub("", text)
    if "__" in text:
        text = _MAGIC.sub("", text)
    text = " ".join(text.split())
    if any(mark in text for mark in _LEFTOVER_MARKS):  # "Berlin (, ) is" after a dropped template
        text = _EMPTY_PARENS.sub("", text)
        text = _DANGLING_COMMA.sub(lambda m: ")" if ")" in m.group() else "(", text)
        text = " ".join(text.split())
    if any(mark in text for mark in _SPACE_PUNCT_MARKS):
        text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    if not _CJK_MARKS.isdisjoint(text):
        text = _tidy_cjk(text)
    return text


#: What a dropped template leaves in the text: nothing (a visible marker shows where templates went).
DROPPED_TEMPLATE = ""


def _render_one(m: re.Match, lang: str | None) -> str:
    snippet = m.group()
    if renders(snippet[2:-2].split("|", 1)[0], lang):
        nodes = mwparserfromhell.parse(snippet).nodes
        if len(nodes) == 1 and isinstance(nodes[0], Template):
            text = render(nodes[0], lang)
            if text is not None:
                return text
    return DROPPED_TEMPLATE


def drop_templates(wikitext: str, lang: str | None = None) -> str:
    """Replace templates, innermost first, by their visible text (:mod:`xlt.wiki.templates`) or nothing."""
    while "{{" in wikitext:
        shorter = _INNER_TEMPLATE.sub(lambda m: _render_one(m, lang), wikitext)
        if shorter == wikitext:
            break
        wikitext = shorter
    return wikitext


def _link_text(target: str, label: str | None) -> str:
    if label is not None and label.strip():
        return label
    return target.strip().lstrip(":")


_LABELLED_LINK = re.compile(r"\[\[[^\[\]|{}<>\n]+\|([^\[\]{}<>\n]*?[^\s\[\]{}<>\n][^\[\]{}<>\n]*?)\]\]")
_BARE_LINK = re.compile(r"\[\[\s*:?([^\[\]|{}<>\n]*?)\s*(?:\|\s*)?\]\]")
_PREFIXED_LINK = re.compile(r"\[\[([^\[\]|{}<>\n]*?):")


def _fast_path(paragraph: str) -> str | None:
    """Plain text of a paragraph holding only words, bold/italic quotes, simple links, external links,
    HTML entities and inline formatting tags (after templates are dropped); ``None`` for anything
    else, which goes to ``mwparserfromhell``."""
    if "{" in paragraph or "}" in paragraph:
        return None
    out = paragraph
    if "[[" in out:
        if ":" in out and any(is_namespaced_link(p + ":") for p in _PREFIXED_LINK.findall(out)):
            return None
        out = _BARE_LINK.sub(r"\1", _LABELLED_LINK.sub(r"\1", out))
    if "[" in out:
        out = _EXTERNAL_LINK.sub(lambda m: m.group(1) or "", out)
        if "[" in out or "]" in out:
            return None
    if "://" in out:
        return None
    if "<" in out:
        out = _INLINE_TAG.sub("", _BR.sub(" ", out))
        if "<" in out:
            return None
    if "&" in out:
        out = html.unescape(out)
    return out


_SKIP_TAGS = frozenset(
    "ref references table gallery math chem timeline syntaxhighlight source pre score graph imagemap "
    "mapframe templatedata nowiki li dt dd hr categorytree inputbox section noinclude includeonly "
    "onlyinclude hiero code".split()
)


def _walk(code, out: list[str], lang: str | None = None) -> None:
    for node in code.nodes:
        if isinstance(node, Text):
            out.append(node.value)
        elif isinstance(node, Wikilink):
            target = str(node.title)
            if is_namespaced_link(target):
                continue
            label: list[str] = []
            if node.text is not None:
                _walk(node.text, label, lang)
            label_text = "".join(label)
            out.append(label_text if label_text.strip() else html.unescape(_link_text(target, None)))
        elif isinstance(node, ExternalLink):
            if node.title is not None:
                _walk(node.title, out, lang)
        elif isinstance(node, HTMLEntity):
            out.append(node.normalize())
        elif isinstance(node, Tag):
            tag = str(node.tag).strip().lower()
            if tag == "br":
                out.append(" ")
            elif tag not in _SKIP_TAGS and node.contents is not None:
                _walk(node.contents, out, lang)
        elif isinstance(node, Template):
            text = render(node, lang)
            if text is None:
                out.append(DROPPED_TEMPLATE)
            elif text:
                _walk(mwparserfromhell.parse(text, skip_style_tags=True), out, lang)
        # other templates, comments, headings and template arguments show nothing in the running text


def paragraph_to_text(paragraph: str, fast: bool = True, lang: str | None = None) -> str:
    """Plain text of one wikitext paragraph (see :func:`prose_paragraphs`).

    Link text is kept (``[[Berlin|the capital]]`` gives "the capital"), bold and italic quotes go,
    the common inline templates of ``lang`` (:mod:`xlt.wiki.templates`) give their visible text, other
    templates, references, files, categories and interlanguage links are dropped, HTML entities are
    decoded and white space is collapsed. With ``fast``, templates are replaced first (innermost first,
    by pattern) and paragraphs then holding nothing but words, links, entities and inline formatting
    tags skip ``mwparserfromhell``; the result is the same.
    """
    if fast:
        paragraph = drop_templates(paragraph, lang)
        simple = _fast_path(paragraph)
        if simple is not None:
            return _finish(simple)
    out: list[str] = []
    _walk(mwparserfromhell.parse(paragraph, skip_style_tags=True), out, lang)
    text = "".join(out)
    if "<" in text:  # tags the parser left as text (unbalanced <div>, ...)
        text = _INLINE_TAG.sub("", _BR.sub(" ", text))
    return _finish(text)


def wikitext_to_text(wikitext: str, fast: bool = True, lang: str | None = None) -> str:
    """Plain text of a page: its prose paragraphs, one per line."""
    paras = (paragraph_to_text(p, fast, lang) for p in prose_paragraphs(wikitext))
    return "\n".join(p for p in paras if p)
