"""English titles (MediaWiki's normalisation) and the offline link data of the title mapping (:mod:`xlt.wiki.mapping`): the English dump's ids, redirects
and inline interlanguage links, the ``langlinks`` and ``page`` MySQL dumps, Wikidata sitelinks, and the
target dump's titles (for ``same_title``). Each reader streams its file; a malformed one is a one-line
error naming ``file:line``."""

from __future__ import annotations

import html
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from xlt.errors import UserError
from xlt.wiki.dump import iter_pages, reading_dump

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------
# Titles


def normalize_title(title: str) -> str:
    """MediaWiki's canonical form of a title: entities decoded, ``_`` as space, single spaces, no
    ``#section``, first letter upper case (the wikis' ``first-letter`` case rule)."""
    title = html.unescape(title).replace("_", " ")
    title = title.split("#", 1)[0]
    title = " ".join(title.split())
    if title and len(title[0].upper()) == 1:
        title = title[0].upper() + title[1:]
    return title


def fold_title(title: str) -> str:
    """A title compared up to case and accents: "Berlín" and "berlin" fold alike."""
    decomposed = unicodedata.normalize("NFKD", normalize_title(title))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def english_candidates(surface: str) -> list[str]:
    """English titles to try for an entity surface, best first."""
    first = normalize_title(surface)
    out = [first] if first else []
    letters = [c for c in surface if c.isalpha()]
    if len(letters) > 3 and all(c.isupper() for c in letters):
        titled = normalize_title(surface.title())
        if titled and titled not in out:
            out.append(titled)
    return out


# --------------------------------------------------------------------------------------------------
# English dump: redirects, ids, inline links


@dataclass
class EnglishScan:
    """What one pass over the English dump gives the mapping."""

    redirects: dict[str, str] = field(default_factory=dict)  # wanted title -> redirect target
    id_title: dict[int, str] = field(default_factory=dict)  # page id -> title, for the kept ids
    inline: dict[str, str] = field(default_factory=dict)  # title -> target title from [[xx:...]]
    existing: set[str] = field(default_factory=set)  # wanted titles that are pages (or redirects)
    pages: int = 0

    def resolve(self, title: str, max_hops: int = 5) -> str:
        """Follow redirects from ``title`` (at most ``max_hops``; cycles stop)."""
        seen = {title}
        for _ in range(max_hops):
            nxt = self.redirects.get(title)
            if nxt is None or nxt in seen:
                break
            seen.add(nxt)
            title = nxt
        return title


def _inline_pattern(lang: str) -> re.Pattern:
    return re.compile(r"\[\[\s*" + re.escape(lang) + r"\s*:\s*([^\]\|\n]+?)\s*(?:\|[^\]]*)?\]\]")


def scan_english_dump(
    path,
    wanted: Iterable[str] = (),
    *,
    inline_lang: str | None = None,
    keep_ids: set[int] | None = None,
    counts: dict | None = None,
) -> EnglishScan:
    """One streaming pass over an English ``pages-articles`` dump (main namespace only).

    Collects redirects of the ``wanted`` titles (and of their targets where those come later in the
    dump; MediaWiki itself follows one redirect, and bots repair double redirects), the title of every
    page whose id is in ``keep_ids``, and -- with ``inline_lang`` -- the ``[[xx:Title]]`` link of every
    page that has one.
    """
    scan = EnglishScan()
    wanted = set(wanted)
    marker = f"[[{inline_lang}:" if inline_lang else None
    pattern = _inline_pattern(inline_lang) if inline_lang else None
    for page in iter_pages(path, counts=counts):
        scan.pages += 1
        if page.ns != 0:
            continue
        title = normalize_title(page.title)
        if title in wanted:
            scan.existing.add(title)
        if page.redirect is not None:
            if title in wanted:
                target = normalize_title(page.redirect)
                scan.redirects[title] = target
                wanted.add(target)
            continue
        if keep_ids and page.id in keep_ids:
            scan.id_title[page.id] = title
        if marker and marker in page.text:
            m = pattern.search(page.text)
            if m:
                scan.inline[title] = normalize_title(m.group(1))
    return scan


# --------------------------------------------------------------------------------------------------
# SQL dumps

_SQL_STRING = r"'((?:[^'\\]|\\.)*)'"
_SQL_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_SQL_ESCAPES = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "b": "\b"}


def _sql_unescape(value: str) -> str:
    return _SQL_UNESCAPE.sub(lambda m: _SQL_ESCAPES.get(m.group(1), m.group(1)), value)


def _sql_insert_lines(path, table: str, counts: dict | None = None) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of the ``INSERT INTO `table``` statements of a MySQL dump."""
    prefix = f"INSERT INTO `{table}` VALUES ".encode()
    found_table = False
    with reading_dump(path, "SQL dump", counts) as stream:
        for lineno, line in enumerate(stream, 1):
            if line.startswith(b"CREATE TABLE `" + table.encode() + b"`"):
                found_table = True
            if not line.startswith(prefix):
                continue
            found_table = True
            yield lineno, line[len(prefix) :].decode("utf-8", errors="replace")
    if not found_table:
        raise UserError(f"{path}: expected a MySQL dump of the `{table}` table (INSERT INTO `{table}` VALUES ...)")


_SQL_QUOTED = r"'[^'\\]*(?:\\.[^'\\]*)*'"  # a quoted string, as an unrolled loop (fast on long lines)
_LANGLINKS_ROW = rf"\(\d+,{_SQL_QUOTED},{_SQL_QUOTED}\)"
_LANGLINKS_LINE = re.compile(rf"(?:{_LANGLINKS_ROW},)*{_LANGLINKS_ROW};\s*")
_LANGLINKS_ANY_ROW = re.compile(r"\((\d+),'((?:[^'\\]|\\.)*)'," + _SQL_STRING + r"\)(?=[,;])")


def _well_formed_rows(line: str, lineno: int, path, counts: dict | None) -> Iterator[tuple[str, str, str]]:
    """``(ll_from, ll_lang, ll_title)`` of the well-formed rows of a damaged ``INSERT`` line; every stretch
    that is not a row (an unterminated quote, garbage) is skipped to the next well-formed row and counted."""
    pos, skipped = 0, 0
    end = len(line.rstrip())
    while pos < end:
        m = _LANGLINKS_ANY_ROW.search(line, pos)
        if m is None:
            skipped += 1
            break
        if m.start() > pos:
            skipped += 1
        yield m.group(1), m.group(2), m.group(3)
        pos = m.end() + 1
    if skipped:
        log.warning("%s:%d: skipped %d malformed langlinks row(s)", path, lineno, skipped)
        if counts is not None:
            counts["langlinks_rows_skipped"] = counts.get("langlinks_rows_skipped", 0) + skipped


def read_langlinks_sql(path, lang: str, counts: dict | None = None) -> dict[int, str]:
    """``ll_from`` page id -> target title for the rows of one language of a ``langlinks`` dump.

    A line whose rows are not all well-formed is read row by row; its malformed stretches are skipped,
    logged and counted in ``counts["langlinks_rows_skipped"]`` (a dump cut off: ``dumps_truncated``).
    """
    row = re.compile(r"\((\d+)," + "'" + re.escape(lang) + "'," + _SQL_STRING + r"\)")
    out: dict[int, str] = {}
    for lineno, line in _sql_insert_lines(path, "langlinks", counts):
        if _LANGLINKS_LINE.fullmatch(line):
            rows = ((m.group(1), lang, m.group(2)) for m in row.finditer(line))
        else:
            rows = (r for r in _well_formed_rows(line, lineno, path, counts) if r[1] == lang)
        for page_id, _, raw_title in rows:
            title = normalize_title(_sql_unescape(raw_title))
            if title:
                out[int(page_id)] = title
    return out


def read_page_sql(
    path, keep_ids: set[int] | None = None, namespace: int = 0, counts: dict | None = None
) -> dict[int, str]:
    """``page_id`` -> title of the main-namespace rows of a ``page`` table dump (only ``keep_ids``)."""
    row = re.compile(r"\((\d+),(-?\d+)," + _SQL_STRING + ",")
    out: dict[int, str] = {}
    for _, line in _sql_insert_lines(path, "page", counts):
        for m in row.finditer(line):
            page_id = int(m.group(1))
            if int(m.group(2)) != namespace or (keep_ids is not None and page_id not in keep_ids):
                continue
            out[page_id] = normalize_title(_sql_unescape(m.group(3)))
    return out


# --------------------------------------------------------------------------------------------------
# Wikidata


def _wiki_dbname(lang: str) -> str:
    return lang.replace("-", "_") + "wiki"


def _iter_wikidata_entities(path, counts: dict | None = None) -> Iterator[tuple[int, dict]]:
    """Entities of a ``wbgetentities`` answer, a single entity, or a Wikidata JSON dump (one per line)."""
    with reading_dump(path, "Wikidata dump", counts) as stream:
        first = stream.readline()
        while first and not first.strip():
            first = stream.readline()
        head = first.strip()
        lines_mode = head == b"["
        if not lines_mode and head.startswith(b"{"):
            try:
                obj = json.loads(head.rstrip(b","))
                lines_mode = isinstance(obj, dict) and "id" in obj and "type" in obj
            except ValueError:
                lines_mode = False
        if not lines_mode:
            text = first + stream.read()
            try:
                obj = json.loads(text)
            except ValueError as err:
                raise UserError(
                    f"{path}:{getattr(err, 'lineno', '?')}: invalid JSON ({getattr(err, 'msg', err)})"
                ) from None
            if isinstance(obj, dict) and isinstance(obj.get("entities"), dict):
                for ent in obj["entities"].values():
                    yield 1, ent
            elif isinstance(obj, dict) and "sitelinks" in obj:
                yield 1, obj
            elif isinstance(obj, list):
                for ent in obj:
                    yield 1, ent
            else:
                raise UserError(f"{path}:1: expected Wikidata entity JSON (wbgetentities answer or dump)")
            return
        lineno = 1
        line = first
        while line:
            s = line.strip().rstrip(b",")
            if s and s not in (b"[", b"]"):
                try:
                    yield lineno, json.loads(s)
                except ValueError as err:
                    raise UserError(f"{path}:{lineno}: invalid JSON line ({getattr(err, 'msg', err)})") from None
            line = stream.readline()
            lineno += 1


def read_wikidata_sitelinks(paths: Iterable, lang: str, counts: dict | None = None) -> dict[str, str]:
    """English title -> target title for every Wikidata item with both sitelinks."""
    site = _wiki_dbname(lang)
    out: dict[str, str] = {}
    for path in paths:
        for _, ent in _iter_wikidata_entities(path, counts):
            links = ent.get("sitelinks") if isinstance(ent, dict) else None
            if not isinstance(links, dict):
                continue
            en, tgt = links.get("enwiki"), links.get(site)
            if isinstance(en, dict) and isinstance(tgt, dict) and en.get("title") and tgt.get("title"):
                out[normalize_title(en["title"])] = normalize_title(tgt["title"])
    return out


# --------------------------------------------------------------------------------------------------
# Target dump titles (same_title fallback)


def read_target_titles(paths: Iterable, counts: dict | None = None) -> dict[str, str]:
    """Folded title -> article title of the target dumps' main namespace.

    Articles come first; a redirect adds its folded title pointing to its target. A folded form shared
    by two different articles (or by redirects to different articles) is ambiguous and left out.
    """
    articles: dict[str, str] = {}
    redirects: dict[str, str] = {}
    ambiguous: set[str] = set()
    for path in paths:
        for page in iter_pages(path, counts=counts):
            if page.ns != 0:
                continue
            key = fold_title(page.title)
            table = articles if page.redirect is None else redirects
            title = normalize_title(page.redirect or page.title)
            if table.setdefault(key, title) != title:
                ambiguous.add(key)
    out = {k: v for k, v in redirects.items() if k not in ambiguous and k not in articles}
    out.update((k, v) for k, v in articles.items() if k not in ambiguous)
    return out
