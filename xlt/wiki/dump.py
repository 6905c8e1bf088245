"""Stream MediaWiki ``pages-articles`` XML dumps (their wikitext becomes text in :mod:`xlt.wiki.wikitext`).

A Wikipedia dump is far larger than memory, so pages are streamed: the XML is parsed incrementally
(:class:`xml.etree.ElementTree.XMLPullParser`) and every finished ``<page>`` is cleared from the tree,
which keeps memory constant whatever the dump's size. Compression (bzip2, xz, gzip or none) is detected
from the file's first bytes; decompression runs in a background thread (the compressors release the
GIL), so parsing overlaps with it.

A dump cut off in the middle (an interrupted download) yields every complete page and one warning (and
counts ``dumps_truncated`` where the caller passes ``counts``);
a file that is not a readable dump raises :class:`~xlt.errors.UserError` naming the file and, where
known, the line or byte offset.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import logging
import lzma
import queue
import re
import threading
import zlib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator, NamedTuple


from xlt.errors import UserError

log = logging.getLogger(__name__)

# What the decompressors raise on damaged data (gzip raises zlib.error, which is no OSError).
DECOMPRESSION_ERRORS = (OSError, lzma.LZMAError, zlib.error)

__all__ = [
    "Page",
    "open_dump",
    "iter_pages",
    "iter_articles",
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
