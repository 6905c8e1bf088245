"""Stream MediaWiki ``pages-articles`` XML dumps and turn their wikitext into plain text.

A Wikipedia dump is far larger than memory, so pages are streamed: the XML is parsed incrementally
(:class:`xml.etree.ElementTree.XMLPullParser`) and every finished ``<page>`` is cleared from the tree,
which keeps memory constant whatever the dump's size. Compression (bzip2, xz, gzip or none) is detected
from the file's first bytes; decompression runs in a background thread (the compressors release the
GIL), so parsing overlaps with it.

A dump cut off in the middle (an interrupted download) yields every complete page and one warning (and
counts ``dumps_truncated`` where the caller passes ``counts``);
a file that is not a readable dump raises :class:`~xlt.errors.UserError` naming the file and, where
known, the line or byte offset.

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

import bz2
import contextlib
import gzip
import html
import logging
import lzma
import queue
import re
import threading
import zlib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator, NamedTuple

import mwparserfromhell
from mwparserfromhell.nodes import ExternalLink, HTMLEntity, Tag, Template, Text, Wikilink

from xlt.errors import UserError
from xlt.wiki.templates import render, renders

log = logging.getLogger(__name__)

# What the decompressors raise on damaged data (gzip raises zlib.error, which is no OSError).
DECOMPRESSION_ERRORS = (OSError, lzma.LZMAError, zlib.error)

__all__ = [
    "Page",
    "open_dump",
    "iter_pages",
    "iter_articles",
    "prose_paragraphs",
    "paragraph_to_text",
    "wikitext_to_text",
    "drop_templates",
    "is_namespaced_link",
]

_CHUNK = 1 << 20  # bytes handed from the decompressing thread to the parser
_FEED = 1 << 16  # bytes fed to the XML parser at a time
_QUEUE = 4  # chunks in flight: memory stays bounded


class Page(NamedTuple):
    """One ``<page>`` of a dump. ``redirect`` is the target title of a redirect page, else ``None``."""

    title: str
    ns: int
    id: int | None
    redirect: str | None
    text: str


# --------------------------------------------------------------------------------------------------
# Opening and streaming


def _detect(head: bytes) -> str:
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    return "plain"


def open_dump(path):
    """Open a dump for binary reading, decompressing bzip2/xz/gzip by content (not by name).

    Returns ``(stream, raw)``: the decompressed stream and the underlying file (whose ``tell()`` is
    the compressed offset, for error messages).
    """
    path = Path(path)
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except OSError as err:
        raise UserError(f"{path}: cannot open ({err.strerror})") from None
    kind = _detect(raw.peek(6)[:6])
    if kind == "bz2":
        return bz2.BZ2File(raw), raw
    if kind == "xz":
        return lzma.LZMAFile(raw), raw
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw), raw
    return raw, raw


@contextlib.contextmanager
def reading_dump(path, what: str, counts: dict | None = None):
    """``open_dump`` for readers that stream a whole file: a cut-off file keeps what came before it (one
    warning; ``counts["dumps_truncated"]`` is incremented), unreadable compressed data is a one-line
    :class:`UserError`, and the file is always closed."""
    stream, raw = open_dump(path)
    try:
        yield stream
    except EOFError:
        log.warning("%s: %s cut off; kept what came before the cut", path, what)
        if counts is not None:
            counts["dumps_truncated"] = counts.get("dumps_truncated", 0) + 1
    except DECOMPRESSION_ERRORS as err:
        raise UserError(f"{path}: unreadable compressed data near byte {raw.tell()} ({err})") from None
    finally:
        stream.close()
        raw.close()


class _Truncated(Exception):
    """The compressed stream ended before its end-of-stream marker."""


def _read_chunks(path: Path, read_ahead: bool) -> Iterator[bytes]:
    """Yield decompressed chunks; a truncated compressed stream ends with :class:`_Truncated`.

    With ``read_ahead`` a background thread decompresses up to :data:`_QUEUE` chunks ahead.
    """
    stream, raw = open_dump(path)

    read_some = getattr(stream, "read1", stream.read)  # read1: what is decoded so far, even if the rest is cut

    def read() -> bytes:
        try:
            return read_some(_CHUNK)
        except EOFError:
            raise _Truncated() from None
        except (*DECOMPRESSION_ERRORS, ValueError) as err:
            raise UserError(f"{path}: unreadable compressed data near byte {raw.tell()} ({err})") from None

    if not read_ahead:
        try:
            while chunk := read():
                yield chunk
        finally:
            stream.close()
            raw.close()
        return

    q: queue.Queue = queue.Queue(maxsize=_QUEUE)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def worker() -> None:
        try:
            while chunk := read():
                if not put(chunk):
                    return
            put(end)
        except BaseException as err:  # handed to the consumer, raised there
            put(err)

    thread = threading.Thread(target=worker, name=f"decompress {path.name}", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is end:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
        stream.close()
        raw.close()


_TAG_NAMES = ("page", "title", "ns", "id", "redirect", "revision", "text", "siteinfo", "namespace")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


_REDIRECT_TEXT = re.compile(
    r"\s*#\s*(?:REDIRECT|WEITERLEITUNG|REDIRECCI[OÓ]N|DOORVERWIJZING|REDIRECTION|RINVIA|"
    r"PATRZ|PRZEKIERUJ|OMDIRIGERING|転送|リダイレクト|重定向)\s*:?\s*\[\[([^\]\|#]+)",
    re.IGNORECASE,
)


def redirect_target_from_text(text: str) -> str | None:
    """The target of a ``#REDIRECT [[Target]]`` wikitext (old dumps have no ``<redirect>`` element)."""
    m = _REDIRECT_TEXT.match(text or "")
    return m.group(1).strip() if m else None


def iter_pages(path, *, read_ahead: bool = True, counts: dict | None = None) -> Iterator[Page]:
    """Yield every page of a ``pages-articles`` dump in file order, in constant memory.

    Works for export formats 0.3 to 0.11: where a page has no ``<ns>`` element (old exports), the
    namespace comes from the title's prefix and the dump's ``<siteinfo>``; where it has no
    ``<redirect>`` element, a ``#REDIRECT [[...]]`` text marks a redirect. With several revisions per
    page (history dumps) the last one's text is used. With ``counts``, ``xml_bytes`` (decompressed
    bytes read so far) and ``dumps_truncated`` (1 for a dump cut off) are incremented in it.
    """
    path = Path(path)
    parser = ET.XMLPullParser(events=("start", "end"))
    root = None
    tags: dict[str, str] = {}
    ns_by_prefix: dict[str, int] = {}
    pages = 0

    def handle() -> Iterator[Page]:
        nonlocal root, pages
        for event, elem in parser.read_events():
            if root is None:
                root = elem
                ns_uri = elem.tag[: elem.tag.index("}") + 1] if elem.tag.startswith("{") else ""
                if elem.tag[len(ns_uri) :] != "mediawiki":
                    raise UserError(
                        f"{path}:1: expected a MediaWiki XML dump (<mediawiki>), found <{_local(elem.tag)}>"
                    )
                tags.update({name: ns_uri + name for name in _TAG_NAMES})
                continue
            if event != "end":
                continue
            if elem.tag == tags["page"]:
                title = elem.findtext(tags["title"]) or ""
                ns = _int(elem.findtext(tags["ns"]))
                if ns is None:
                    prefix, sep, _ = title.partition(":")
                    ns = ns_by_prefix.get(prefix.strip().casefold(), 0) if sep else 0
                redirect_el = elem.find(tags["redirect"])
                redirect = redirect_el.get("title") if redirect_el is not None else None
                revisions = elem.findall(tags["revision"])
                text = (revisions[-1].findtext(tags["text"]) if revisions else None) or ""
                if redirect is None and text[:1] in ("#", " ", "\n") and text.lstrip()[:1] == "#":
                    redirect = redirect_target_from_text(text)
                pages += 1
                yield Page(title, ns, _int(elem.findtext(tags["id"])), redirect, text)
                root.clear()
            elif elem.tag == tags["siteinfo"]:
                for item in elem.iter(tags["namespace"]):
                    key = _int(item.get("key"))
                    if key is not None and item.text:
                        ns_by_prefix[item.text.strip().casefold()] = key

    chunks = _read_chunks(path, read_ahead)
    truncated = None
    try:
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except _Truncated:
                truncated = "the compressed stream ends early"
                break
            if counts is not None:
                counts["xml_bytes"] = counts.get("xml_bytes", 0) + len(chunk)
            # small slices keep the parsed-but-unread elements few (memory stays constant)
            for start in range(0, len(chunk), _FEED):
                try:
                    parser.feed(chunk[start : start + _FEED])
                    yield from handle()
                except ET.ParseError as err:
                    line, col = err.position
                    if root is None:
                        raise UserError(f"{path}:{line}: expected a MediaWiki XML dump ({_reason(err)})") from None
                    raise UserError(f"{path}:{line}: not well-formed XML at column {col} ({_reason(err)})") from None
        if truncated is None:
            try:
                parser.close()
                yield from handle()
            except ET.ParseError as err:
                if root is None:
                    raise UserError(
                        f"{path}:{err.position[0]}: expected a MediaWiki XML dump ({_reason(err)})"
                    ) from None
                truncated = f"the XML ends early ({_reason(err)} at line {err.position[0]})"
        if truncated is not None:
            if root is None:
                raise UserError(f"{path}: cut off before the first page ({truncated})")
            log.warning("%s: dump cut off, %s; kept the %d complete pages", path, truncated, pages)
            if counts is not None:
                counts["dumps_truncated"] = counts.get("dumps_truncated", 0) + 1
        elif root is None:
            raise UserError(f"{path}: expected a MediaWiki XML dump, found no <mediawiki> element")
    finally:
        chunks.close()


def _reason(err: ET.ParseError) -> str:
    return str(err).split(":")[0]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def iter_articles(path, *, read_ahead: bool = True, counts: dict | None = None) -> Iterator[Page]:
    """Pages of the main namespace that are not redirects (the articles).

    If ``counts`` is given, ``pages_read`` and ``articles`` in it are incremented as pages stream by
    (and ``xml_bytes``, ``dumps_truncated`` as :func:`iter_pages` does).
    """
    for page in iter_pages(path, read_ahead=read_ahead, counts=counts):
        if counts is not None:
            counts["pages_read"] = counts.get("pages_read", 0) + 1
        if page.ns != 0 or page.redirect is not None:
            continue
        if counts is not None:
            counts["articles"] = counts.get("articles", 0) + 1
        yield page


# --------------------------------------------------------------------------------------------------
# Wikitext to plain text

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
