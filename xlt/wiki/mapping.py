"""English entity -> English Wikipedia title -> target-language title, from offline material.

Section 3.1 finds the Wikipedia page of every training-set entity and "switches the language of the
page", i.e. follows its interlanguage link. The link data exists in several forms, each a backend here:

``langlinks``
    The ``langlinks`` table of the English Wikipedia as a MySQL dump (``enwiki-*-langlinks.sql.gz``,
    rows ``(ll_from, ll_lang, ll_title)``), plus the page id -> title mapping it needs: from the
    ``page`` table dump (``enwiki-*-page.sql.gz``) or from the ``<id>``/``<title>`` of the English
    ``pages-articles`` dump.
``wikidata``
    Wikidata entity JSON: its ``sitelinks`` pair the ``enwiki`` title with the target wiki's title.
    Both ``wbgetentities`` answers (``{"entities": {...}}``) and dump lines (``[``, one entity per
    line with a trailing comma, ``]``) are read, plain or compressed.
``inline``
    Interlanguage links written in the English page's wikitext (``[[de:Berlin]]``), as in dumps
    before 2013.
``same_title``
    Not from the paper: where no link data is at hand, a target page whose title equals the English
    title (or the entity surface) up to case and accents ("Berlin" -> "Berlín"). Weaker, and only meant
    as a fallback after the others.
``api``
    The live MediaWiki API (:mod:`xlt.wiki.api`).

``wikipedia.mapping`` names one backend or a list tried in order; an entity takes the first target
title found. An entity surface becomes an English title by MediaWiki's normalisation (first letter
upper case, underscores as spaces); all-capital headline surfaces ("GERMANY") also try their
title-cased form. Redirects are followed where the material has them: ``#REDIRECT`` pages of the
English dump (offline), the API's ``redirects`` (online).

Memory stays proportional to the link data for the target language (never to all English pages):
the English dump contributes ids only for pages with a langlink, and redirects only for wanted titles.
"""

from __future__ import annotations

import html
import json
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from xlt.errors import UserError
from xlt.io import atomic_path
from xlt.wiki.dump import iter_pages, reading_dump
from xlt.wiki.entities import Entity, _read_tsv

log = logging.getLogger(__name__)

__all__ = [
    "METHODS",
    "TitleRow",
    "TITLE_HEADER",
    "normalize_title",
    "fold_title",
    "english_candidates",
    "EnglishScan",
    "scan_english_dump",
    "read_langlinks_sql",
    "read_page_sql",
    "read_wikidata_sitelinks",
    "read_target_titles",
    "mapping_methods",
    "mapping_resources",
    "map_entities",
    "write_titles_tsv",
    "read_titles_tsv",
]

METHODS = ("langlinks", "wikidata", "inline", "same_title", "api")
TITLE_HEADER = ("surface", "type", "frequency", "en_title", "target_title")


@dataclass(frozen=True)
class TitleRow:
    """A training-set entity with its English page and the linked target-language page."""

    surface: str
    type: str
    frequency: int
    en_title: str
    target_title: str


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


# --------------------------------------------------------------------------------------------------
# Configuration and the whole mapping


def mapping_methods(wiki: dict) -> list[str]:
    """The backends of ``wikipedia.mapping`` (a name or a list of names), validated."""
    methods = wiki.get("mapping")
    methods = [methods] if isinstance(methods, str) else list(methods or [])
    if not methods:
        raise UserError("wikipedia.mapping: expected one of " + ", ".join(METHODS) + " (or a list of them)")
    for m in methods:
        if m not in METHODS:
            raise UserError(f"wikipedia.mapping: unknown method {m!r}; expected one of " + ", ".join(METHODS))
    return methods


def _need(wiki: dict, key: str, method: str):
    value = wiki.get(key)
    if not value:
        raise UserError(f"wikipedia.{key}: required when wikipedia.mapping uses {method}")
    return value


API_RUNTIME_KEYS = ("contact", "requests_per_second", "max_retries", "retry_wait", "cache_dir")
MAPPING_KEYS = ("mapping", "english_dump", "langlinks_sql", "page_sql", "wikidata_json")


def split_mapping_config(wiki: dict, lang: str) -> tuple[dict, dict]:
    """``(settings, api_runtime)`` of the ``wikipedia`` section for mapping titles into ``lang``.

    ``settings`` holds what decides the mapping (the backends, their files, the target's dumps, the API
    endpoint): a rule's parameter, so a change re-runs the mapping. ``api_runtime`` holds how the API is asked
    (contact, rate limit, retries, answer cache), which changes no title. :func:`join_mapping_config` puts them
    back together for :func:`map_entities`."""
    settings = {k: wiki.get(k) for k in MAPPING_KEYS}
    settings["dumps"] = {lang: (wiki.get("dumps") or {}).get(lang)}
    settings["api"] = {k: v for k, v in (wiki.get("api") or {}).items() if k not in API_RUNTIME_KEYS}
    return settings, api_runtime(wiki)


def api_runtime(wiki: dict) -> dict:
    """How the online API is asked (``wikipedia.api``: contact, rate limit, retries, answer cache)."""
    api = wiki.get("api") or {}
    return {k: api[k] for k in API_RUNTIME_KEYS if k in api}


def join_mapping_config(settings: dict, api_runtime: dict) -> dict:
    """The ``wikipedia`` section as :func:`map_entities` reads it, from :func:`split_mapping_config`'s parts."""
    return {**settings, "api": {**settings.get("api", {}), **dict(api_runtime)}}


def mapping_resources(wiki: dict, lang: str | None = None) -> list[str]:
    """Files the configured mapping reads (for a rule's ``input:``); checks that required keys are set."""
    files: list[str] = []
    for method in mapping_methods(wiki):
        if method == "langlinks":
            files.append(_need(wiki, "langlinks_sql", method))
            if not wiki.get("page_sql") and not wiki.get("english_dump"):
                raise UserError(
                    "wikipedia.page_sql: required (or wikipedia.english_dump) when wikipedia.mapping uses langlinks"
                )
            files.append(wiki.get("page_sql") or wiki["english_dump"])
        elif method == "wikidata":
            files.extend(_need(wiki, "wikidata_json", method))
        elif method == "inline":
            files.append(_need(wiki, "english_dump", method))
        elif method == "same_title":
            if lang is not None:
                dumps = (wiki.get("dumps") or {}).get(lang)
                if not dumps:
                    raise UserError(f"wikipedia.dumps.{lang}: required when wikipedia.mapping uses same_title")
                files.extend(dumps)
    if wiki.get("english_dump"):
        files.append(wiki["english_dump"])
    return list(dict.fromkeys(str(f) for f in files))


def map_entities(
    entities: Sequence[Entity],
    lang: str,
    wiki: dict,
    *,
    api_lookup: Callable[[list[str]], dict[str, tuple[str | None, str | None]]] | None = None,
) -> tuple[list[TitleRow], dict]:
    """Map every entity to a target-language title with the configured backends.

    Returns the mapped rows (entities without a target page are left out) and statistics. For the
    ``api`` backend, ``api_lookup`` (titles -> {title: (English title after redirects, target title)})
    replaces the default :class:`xlt.wiki.api.WikipediaApiMapper`; a title is only looked up when the
    backends before ``api`` found nothing for the entity, and an all-capital surface's title-cased
    form only when its first form found nothing.
    """
    methods = mapping_methods(wiki)
    api_mapper = None
    stats: Counter = Counter()
    stats["entities"] = len(entities)
    candidates = {e.surface: english_candidates(e.surface) for e in entities}
    wanted = {t for ts in candidates.values() for t in ts}
    stats["english_titles_tried"] = len(wanted)

    stats["langlinks_rows_skipped"] = 0
    stats["dumps_truncated"] = 0  # input files of the mapping cut off (a warning each)
    langlinks = (
        read_langlinks_sql(_need(wiki, "langlinks_sql", "langlinks"), lang, stats) if "langlinks" in methods else {}
    )
    if "langlinks" in methods:
        stats["langlinks_rows"] = len(langlinks)
        log.info("langlinks: %d rows for %s", len(langlinks), lang)
    english = None
    if wiki.get("english_dump"):
        need_ids = set(langlinks) if "langlinks" in methods and not wiki.get("page_sql") else None
        english = scan_english_dump(
            wiki["english_dump"],
            wanted,
            inline_lang=lang if "inline" in methods else None,
            keep_ids=need_ids,
            counts=stats,
        )
        stats["english_pages_read"] = english.pages
        stats["english_redirects_found"] = len(english.redirects)
        log.info("English dump: %d pages, %d redirects of wanted titles", english.pages, len(english.redirects))
    elif "inline" in methods:
        _need(wiki, "english_dump", "inline")

    # Each source answers (title tried, title after offline redirects, surface) -> (en_title, target).
    Lookup = Callable[[str, str, str], "tuple[str, str] | None"]
    sources: list[tuple[str, Lookup]] = []

    def from_map(mapping: dict[str, str]) -> Lookup:
        return lambda cand, en, surface: (en, mapping[en]) if en in mapping else None

    for method in methods:
        if method == "langlinks":
            if wiki.get("page_sql"):
                id_title = read_page_sql(wiki["page_sql"], keep_ids=set(langlinks), counts=stats)
            elif english is not None:
                id_title = english.id_title
            else:
                raise UserError(
                    "wikipedia.page_sql: required (or wikipedia.english_dump) when wikipedia.mapping uses langlinks"
                )
            by_title = {title: langlinks[i] for i, title in id_title.items() if i in langlinks}
            stats["langlinks_titles"] = len(by_title)
            sources.append((method, from_map(by_title)))
        elif method == "wikidata":
            sitelinks = read_wikidata_sitelinks(_need(wiki, "wikidata_json", method), lang, stats)
            stats["wikidata_sitelinks"] = len(sitelinks)
            sources.append((method, from_map(sitelinks)))
        elif method == "inline":
            inline = english.inline if english is not None else {}
            stats["inline_links"] = len(inline)
            sources.append((method, from_map(inline)))
        elif method == "same_title":
            dumps = (wiki.get("dumps") or {}).get(lang)
            if not dumps:
                raise UserError(f"wikipedia.dumps.{lang}: required when wikipedia.mapping uses same_title")
            folded = read_target_titles(dumps, stats)
            stats["target_titles"] = len(folded)

            def same_title(cand, en, surface, folded=folded):
                target = folded.get(fold_title(en)) or folded.get(fold_title(surface))
                return (en, target) if target else None

            sources.append((method, same_title))
        elif method == "api":
            lookup_many = api_lookup
            if lookup_many is None:
                from xlt.wiki.api import WikipediaApiMapper

                api_mapper = WikipediaApiMapper.from_config(wiki, lang)
                lookup_many = api_mapper.lookup_many
            answers: dict[str, tuple[str | None, str | None]] = {}

            def from_api(cand, en, surface, answers=answers, lookup_many=lookup_many):
                if cand not in answers:  # asked only when the backends before it found nothing
                    answers.update(lookup_many([cand]))
                    stats["api_titles_looked_up"] += 1
                en_title, target = answers.get(cand) or (None, None)
                return (en_title or cand, target) if target else None

            sources.append((method, from_api))

    rows: list[TitleRow] = []
    for e in entities:
        row = None
        cands = candidates[e.surface]
        if english is not None:  # titles the English dump has come first ("BERLIN" -> "Berlin")
            cands = sorted(cands, key=lambda t: t not in english.existing)
        for cand in cands:
            en = english.resolve(cand) if english is not None else cand
            for method, lookup in sources:
                hit = lookup(cand, en, e.surface)
                if hit:
                    row = TitleRow(e.surface, e.type, e.frequency, hit[0], normalize_title(hit[1]))
                    stats[f"mapped_by_{method}"] += 1
                    if hit[0] != cand:
                        stats["redirects_followed"] += 1
                    break
            if row:
                break
        if row is None:
            stats["unmapped"] += 1
            continue
        rows.append(row)
        stats[f"mapped_{e.type}"] += 1
    if api_mapper is not None:
        api_mapper.log_progress()
        stats["api_requests_sent"] = api_mapper.transport.sent
        stats["api_cache_hits"] = api_mapper.transport.cache_hits
    stats.setdefault("unmapped", 0)
    stats.pop("xml_bytes", None)  # read by the page reader, not a statistic of the mapping
    stats["mapped"] = len(rows)
    stats["target_titles_distinct"] = len({r.target_title for r in rows})
    return rows, dict(stats)


def write_titles_tsv(path, rows: Iterable[TitleRow]) -> int:
    """Write ``surface, type, frequency, en_title, target_title`` rows with a header, atomically."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(TITLE_HEADER) + "\n")
        for r in rows:
            fields = (r.surface, r.type, str(r.frequency), r.en_title, r.target_title)
            if any("\t" in f or "\n" in f for f in fields):
                raise UserError(f"{path}: a title holds a tab or newline: {fields!r}")
            fh.write("\t".join(fields) + "\n")
            n += 1
    return n


def read_titles_tsv(path) -> list[TitleRow]:
    """Read a file written by :func:`write_titles_tsv`."""
    path = Path(path)
    rows = []
    for lineno, row in _read_tsv(path, TITLE_HEADER):
        if len(row) < 5:
            raise UserError(f"{path}:{lineno}: expected 5 tab-separated fields {', '.join(TITLE_HEADER)}")
        try:
            freq = int(row[2])
        except ValueError:
            raise UserError(f"{path}:{lineno}: frequency {row[2]!r} is not an integer") from None
        rows.append(TitleRow(row[0], row[1], freq, row[3], row[4]))
    return rows
