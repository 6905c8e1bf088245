"""Stream MediaWiki ``pages-articles`` XML dumps and turn their wikitext into plain text.

A Wikipedia dump is far larger than memory, so pages are streamed: the XML is parsed incrementally
(:class:`xml.etree.ElementTree.XMLPullParser`) and every finished ``<page>`` is cleared from the tree,
which keeps memory constant whatever the dump's size. Compression (bzip2, xz, gzip or none) is detected
from the file's first bytes; decompression runs in a background thread (the compressors release the
GIL), so parsing overlaps with it.

A dump cut off in the middle (an interrupted download) yields every complete page and one warning;
a file that is not a readable dump raises :class:`~xlt.errors.UserError` naming the file and, where
known, the line or byte offset.

Wikitext to text (:func:`wikitext_to_text`) keeps what a reader sees in the article's running text:
link text stays, while templates, references, tables, files, categories, interlanguage links, lists,
headings and comments go. Only prose paragraphs are handed to ``mwparserfromhell``, and paragraphs made
of plain words and simple links are converted by a fast path that gives the same result
(:func:`paragraph_to_text`), because the parser is the slowest step of a harvest.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import lzma
import queue
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator, NamedTuple

import mwparserfromhell
from mwparserfromhell.nodes import ExternalLink, HTMLEntity, Tag, Text, Wikilink

from xlt.errors import UserError

log = logging.getLogger(__name__)

__all__ = [
    "Page",
    "open_dump",
    "iter_pages",
    "iter_articles",
    "prose_paragraphs",
    "paragraph_to_text",
    "wikitext_to_text",
    "is_namespaced_link",
]

_CHUNK = 1 << 20  # bytes handed from the decompressing thread to the parser
_QUEUE = 8  # chunks in flight: memory stays bounded


class Page(NamedTuple):
    """One ``<page>`` of a dump. ``redirect`` is the target title of a redirect page, else ``None``."""

    title: str
    ns: int
    id: int | None
    redirect: str | None
    text: str


# --------------------------------------------------------------------------------------------------
# Opening and streaming


def _detect(path: Path, head: bytes) -> str:
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
    kind = _detect(path, raw.peek(6)[:6] if hasattr(raw, "peek") else b"")
    if kind == "bz2":
        return bz2.BZ2File(raw), raw
    if kind == "xz":
        return lzma.LZMAFile(raw), raw
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw), raw
    return raw, raw


class _Truncated(Exception):
    """The compressed stream ended before its end-of-stream marker."""


def _read_chunks(path: Path, read_ahead: bool) -> Iterator[bytes]:
    """Yield decompressed chunks; a truncated compressed stream ends with :class:`_Truncated`.

    With ``read_ahead`` a background thread decompresses up to :data:`_QUEUE` chunks ahead.
    """
    stream, raw = open_dump(path)

    def read() -> bytes:
        try:
            return stream.read(_CHUNK)
        except EOFError:
            raise _Truncated() from None
        except (OSError, lzma.LZMAError, ValueError) as err:
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


def iter_pages(path, *, read_ahead: bool = True) -> Iterator[Page]:
    """Yield every page of a ``pages-articles`` dump in file order, in constant memory.

    Works for export formats 0.3 to 0.11: where a page has no ``<ns>`` element (old exports), the
    namespace comes from the title's prefix and the dump's ``<siteinfo>``; where it has no
    ``<redirect>`` element, a ``#REDIRECT [[...]]`` text marks a redirect.
    """
    path = Path(path)
    parser = ET.XMLPullParser(events=("start", "end"))
    root = None
    ns_by_prefix: dict[str, int] = {}
    title = ns = page_id = redirect = text = None
    in_revision = False
    pages = 0

    def position() -> str:
        return f"{path}: after {pages} complete pages"

    def events():
        nonlocal root
        for event, elem in parser.read_events():
            if root is None:
                root = elem
                if _local(elem.tag) != "mediawiki":
                    raise UserError(f"{path}:1: expected a MediaWiki XML dump (<mediawiki>), found <{_local(elem.tag)}>")
            yield event, elem

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
            try:
                parser.feed(chunk)
            except ET.ParseError as err:
                line, col = err.position
                raise UserError(f"{path}:{line}: not well-formed XML at column {col} ({_reason(err)})") from None
            for event, elem in events():
                tag = _local(elem.tag)
                if event == "start":
                    if tag == "page":
                        title = ns = page_id = redirect = text = None
                    elif tag == "revision":
                        in_revision = True
                    elif tag == "redirect":
                        redirect = elem.get("title")
                    continue
                if tag == "title":
                    title = elem.text or ""
                elif tag == "ns":
                    ns = _int(elem.text)
                elif tag == "id" and not in_revision and page_id is None:
                    page_id = _int(elem.text)
                elif tag == "text" and in_revision:
                    text = elem.text or ""
                elif tag == "revision":
                    in_revision = False
                    elem.clear()
                elif tag == "namespace":
                    key = _int(elem.get("key"))
                    if key is not None and elem.text:
                        ns_by_prefix[elem.text.strip().casefold()] = key
                elif tag == "page":
                    if ns is None:
                        prefix, sep, _ = (title or "").partition(":")
                        ns = ns_by_prefix.get(prefix.strip().casefold(), 0) if sep else 0
                    if redirect is None and text and text.lstrip()[:1] == "#":
                        redirect = redirect_target_from_text(text)
                    pages += 1
                    yield Page(title or "", ns, page_id, redirect, text or "")
                    root.clear()
        if root is None and truncated is None:
            try:
                parser.close()
            except ET.ParseError as err:
                line, col = err.position
                raise UserError(f"{path}:{line}: expected a MediaWiki XML dump ({_reason(err)})") from None
            raise UserError(f"{path}: expected a MediaWiki XML dump, found no <mediawiki> element")
        if truncated is None:
            try:
                parser.close()
                for _ in events():
                    pass
            except ET.ParseError as err:
                truncated = f"the XML ends early ({_reason(err)} at line {err.position[0]})"
        if truncated is not None:
            if root is None:
                raise UserError(f"{path}: cut off before any page ({truncated})")
            log.warning("%s: dump cut off, %s; kept the %d complete pages", path, truncated, pages)
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

    If ``counts`` is given, ``pages_read`` and ``articles`` in it are incremented as pages stream by.
    """
    for page in iter_pages(path, read_ahead=read_ahead):
        if counts is not None:
            counts["pages_read"] = counts.get("pages_read", 0) + 1
        if page.ns != 0 or page.redirect is not None:
            continue
        if counts is not None:
            counts["articles"] = counts.get("articles", 0) + 1
        yield page


# --------------------------------------------------------------------------------------------------
# Wikitext to plain text

#: Namespaces whose links do not show in the running text: files and categories (English and the
#: CoNLL/CLS target languages), and other wikis.
_HIDDEN_LINK_PREFIXES = frozenset(
    p.casefold()
    for p in (
        "File", "Image", "Media", "Category",  # en
        "Datei", "Bild", "Kategorie",  # de
        "Archivo", "Imagen", "Categoría", "Anexo",  # es
        "Bestand", "Afbeelding", "Categorie",  # nl
        "Fichier", "Catégorie",  # fr
        "ファイル", "画像", "カテゴリ",  # ja
        "wikt", "wiktionary", "commons", "s", "q", "n", "b", "v", "voy", "species", "wikisource",
        "wikiquote", "wikibooks", "wikinews", "wikiversity", "wikivoyage", "d", "wikidata", "meta", "m",
        "mw", "w", "wikipedia", "user", "benutzer", "usuario", "help", "hilfe", "ayuda", "template",
        "vorlage", "plantilla", "portal", "special", "spezial", "especial",
    )
)
_LANG_PREFIX = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]+)*$")


def is_namespaced_link(target: str) -> bool:
    """Whether a link target points to a file, category, other wiki or another language's page."""
    target = target.lstrip()
    if target.startswith(":"):
        target = target[1:].lstrip()
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
            return not line[m.end():].strip()
    return False


def prose_paragraphs(wikitext: str) -> list[str]:
    """The prose paragraphs of a page's wikitext, still in wikitext.

    Comments, references and non-prose blocks (galleries, math, ``<table>``...) are removed first;
    then, line by line, wiki tables (``{| ... |}``), templates standing on their own lines
    (infoboxes, navigation boxes), headings, list items, file and category lines are dropped. A template
    that opens inside a prose line and spans several lines stays with that paragraph.
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
            continue
        cur = [line]
        out.append(cur)
    return ["\n".join(p) for p in out]


_SIMPLE_LINK = re.compile(r"\[\[([^\[\]|{}<>\n]+)(?:\|([^\[\]{}<>\n]*))?\]\]")
_STYLE = re.compile(r"'{2,}")
_MAGIC = re.compile(r"__[A-Z]+__")
_SPACES = re.compile(r"\s+")
_EMPTY_PARENS = re.compile(r"\(\s*[,;:]?\s*\)|\[\s*\]")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?)])")


def _finish(text: str) -> str:
    text = _STYLE.sub("", text)
    text = _MAGIC.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _EMPTY_PARENS.sub("", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def _fast_path(paragraph: str) -> str | None:
    """Plain text of a paragraph made only of words, bold/italic quotes and simple links, else None."""
    if "{" in paragraph or "<" in paragraph or "&" in paragraph or "}" in paragraph:
        return None
    failed = False

    def link(m: re.Match) -> str:
        nonlocal failed
        target, label = m.group(1), m.group(2)
        if is_namespaced_link(target):
            failed = True
            return ""
        return label if label else target.lstrip(":")

    out = _SIMPLE_LINK.sub(link, paragraph)
    if failed or "[" in out or "]" in out or "://" in out:
        return None
    return out


_SKIP_TAGS = frozenset(
    "ref references table gallery math chem timeline syntaxhighlight source pre score graph imagemap "
    "mapframe templatedata nowiki li dt dd hr categorytree inputbox section noinclude includeonly "
    "onlyinclude hiero code".split()
)


def _walk(code, out: list[str]) -> None:
    for node in code.nodes:
        if isinstance(node, Text):
            out.append(node.value)
        elif isinstance(node, Wikilink):
            target = str(node.title)
            if is_namespaced_link(target):
                continue
            if node.text is not None and str(node.text).strip():
                _walk(node.text, out)
            else:
                out.append(target.strip().lstrip(":"))
        elif isinstance(node, ExternalLink):
            if node.title is not None:
                _walk(node.title, out)
        elif isinstance(node, HTMLEntity):
            out.append(node.normalize())
        elif isinstance(node, Tag):
            tag = str(node.tag).strip().lower()
            if tag == "br":
                out.append(" ")
            elif tag not in _SKIP_TAGS and node.contents is not None:
                _walk(node.contents, out)
        # templates, comments, headings and template arguments show nothing in the running text


def paragraph_to_text(paragraph: str, fast: bool = True) -> str:
    """Plain text of one wikitext paragraph (see :func:`prose_paragraphs`).

    Link text is kept (``[[Berlin|the capital]]`` gives "the capital"), bold and italic quotes go,
    templates, references, files, categories and interlanguage links are dropped, HTML entities are
    decoded and white space is collapsed. With ``fast``, paragraphs holding nothing but words and simple
    links skip ``mwparserfromhell``; the result is the same.
    """
    if fast:
        simple = _fast_path(paragraph)
        if simple is not None:
            return _finish(simple)
    out: list[str] = []
    _walk(mwparserfromhell.parse(paragraph, skip_style_tags=True), out)
    return _finish("".join(out))


def wikitext_to_text(wikitext: str, fast: bool = True) -> str:
    """Plain text of a page: its prose paragraphs, one per line."""
    paras = (paragraph_to_text(p, fast) for p in prose_paragraphs(wikitext))
    return "\n".join(p for p in paras if p)
