"""The harvest's statistics file (``harvest_stats.tsv``) and the checks that a task corpus is large enough
(see :mod:`xlt.wiki.harvest`)."""

from __future__ import annotations

import logging

from xlt.errors import UserError
from xlt.io import atomic_path

log = logging.getLogger(__name__)


def write_stats_tsv(path, stats: dict, per_type: dict | None = None) -> None:
    """``key<TAB>value`` rows, then ``type.<TYPE>.<key><TAB>value`` rows per entity type."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write("key\tvalue\n")
        for k, v in stats.items():
            fh.write(f"{k}\t{v}\n")
        for typ, values in (per_type or {}).items():
            for k in ("entities", "entities_with_sentences", "sentences_kept"):
                fh.write(f"type.{typ}.{k}\t{values.get(k, 0)}\n")


def read_stats_tsv(path) -> dict[str, str]:
    """The ``key -> value`` rows of a file written by :func:`write_stats_tsv` (values as text)."""
    out: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if lineno == 1 or not line.strip():
                    continue
                key, sep, value = line.rstrip("\n").partition("\t")
                if not sep:
                    raise UserError(f"{path}:{lineno}: expected key<TAB>value")
                out[key] = value
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    return out


def _n(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def check_corpus_size(stats: dict, min_sentences: int, *, lang: str, mapping, what: str = "harvest") -> None:
    """Raise one :class:`UserError` line when fewer than ``min_sentences`` sentences were kept.

    The line names the language, the mapping and the counts that explain an empty corpus: entities
    mapped, dumps and pages read (and cut off), sentences that mention a name or are eligible.
    """
    kept = _n(stats.get("sentences_kept"))
    if kept >= min_sentences:
        return
    methods = "+".join([mapping] if isinstance(mapping, str) else list(mapping or [])) or "none"
    parts = [f"{what} {lang}: {kept} sentences kept, fewer than wikipedia.min_sentences = {min_sentences}"]
    if "mapped_titles" in stats:
        entities = _n(stats.get("mapping_entities")) or _n(stats.get("entities"))
        parts.append(
            f"mapping {methods} found target pages for {_n(stats.get('entities'))} of {entities} entities "
            f"({_n(stats.get('mapped_titles'))} titles)"
        )
    dumps = (
        f"{_n(stats.get('dumps'))} dump(s): {_n(stats.get('pages_read'))} pages, {_n(stats.get('articles'))} articles"
    )
    if _n(stats.get("dumps_truncated")):
        dumps += f", {_n(stats.get('dumps_truncated'))} cut off"
    parts.append(dumps)
    if "sentences_mentioning" in stats:
        parts.append(f"{_n(stats.get('sentences_mentioning'))} sentences mention a mapped name")
    if "sentences_eligible" in stats:
        parts.append(f"{_n(stats.get('sentences_eligible'))} sentences eligible")
    raise UserError("; ".join(parts))


def corpus_warning(stats: dict, *, lang: str, what: str = "harvest") -> str | None:
    """The one warning line for a corpus built from damaged or partial input, or ``None``.

    Counts dumps cut off (target dumps and the mapping's inputs), malformed ``langlinks`` rows skipped
    and entities without a target page, as ``stats`` (harvest_stats.tsv) has them."""
    parts = []
    cut = _n(stats.get("dumps_truncated")) + _n(stats.get("mapping_dumps_truncated"))
    if cut:
        parts.append(f"{cut} input file(s) cut off (kept what came before the cut)")
    if _n(stats.get("langlinks_rows_skipped")):
        parts.append(f"{_n(stats.get('langlinks_rows_skipped'))} malformed langlinks rows skipped")
    if _n(stats.get("entities_unmapped")):
        parts.append(
            f"{_n(stats.get('entities_unmapped'))} of {_n(stats.get('mapping_entities'))} entities have no {lang} page"
        )
    if not parts:
        return None
    return f"{what} {lang}: " + ", ".join(parts)
