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

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from xlt.errors import UserError
from xlt.io import atomic_path
from xlt.wiki.entities import Entity, _read_tsv
from xlt.wiki.sources import (english_candidates, fold_title, normalize_title, read_langlinks_sql, read_page_sql,
                              read_target_titles, read_wikidata_sitelinks, scan_english_dump)

log = logging.getLogger(__name__)

__all__ = [
    "METHODS",
    "TitleRow",
    "TITLE_HEADER",
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
