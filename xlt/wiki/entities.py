"""Entities of the English training set: the seeds of the task-related Wikipedia corpus.

Section 3.1 assumes that target-language text is task-related when it mentions entities that occur in
the source-language training data. This module collects those entities from IOB2-tagged records
(``{"tokens": [...], "tags": [...]}``) as surface strings (tokens joined by single spaces) with their
type and frequency, and filters them by type, minimum frequency and maximum number.

An entity's identity is its (surface, type) pair: "Germany" as LOC and "Germany" as ORG (the football
team) are counted apart; the title mapping looks each surface up once.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from xlt.errors import UserError
from xlt.io import atomic_path

__all__ = [
    "Entity",
    "entity_spans",
    "count_entities",
    "select_entities",
    "extract_entities",
    "write_entities_tsv",
    "read_entities_tsv",
    "ENTITY_HEADER",
]

ENTITY_HEADER = ("surface", "type", "frequency")


@dataclass(frozen=True)
class Entity:
    """One distinct entity of the training set."""

    surface: str
    type: str
    frequency: int


def entity_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entity spans ``(start, end, type)`` (``end`` exclusive) of an IOB2 tag sequence.

    An ``I-X`` that does not continue an entity of type X starts a new one, as conlleval and seqeval
    count it (the real CoNLL files hold a few such slips).
    """
    spans: list[tuple[int, int, str]] = []
    start, cur = None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, typ = tag.partition("-")
        if prefix == "I" and typ == cur:
            continue
        if cur is not None:
            spans.append((start, i, cur))
            start, cur = None, None
        if prefix in ("B", "I") and typ:
            start, cur = i, typ
    return spans


def count_entities(records: Iterable[dict], source: str = "records") -> Counter:
    """Count ``(surface, type)`` over records with ``tokens`` and IOB2 ``tags``."""
    counts: Counter = Counter()
    for n, rec in enumerate(records, 1):
        try:
            tokens, tags = rec["tokens"], rec["tags"]
        except (KeyError, TypeError):
            raise UserError(f"{source}:{n}: expected an object with 'tokens' and 'tags'") from None
        if len(tokens) != len(tags):
            raise UserError(f"{source}:{n}: {len(tokens)} tokens but {len(tags)} tags")
        for start, end, typ in entity_spans(tags):
            counts[(" ".join(tokens[start:end]), typ)] += 1
    return counts


def select_entities(
    counts: Counter,
    types: Iterable[str] | None = None,
    min_frequency: int = 1,
    max_entities: int | None = None,
) -> list[Entity]:
    """Entities of the wanted types seen at least ``min_frequency`` times, most frequent first.

    Ties are broken by surface, then type, so the order (and the cut at ``max_entities``) is the same on
    every run.
    """
    wanted = None if types is None else set(types)
    ents = [
        Entity(surface, typ, freq)
        for (surface, typ), freq in counts.items()
        if freq >= min_frequency and (wanted is None or typ in wanted)
    ]
    ents.sort(key=lambda e: (-e.frequency, e.surface, e.type))
    return ents if max_entities is None else ents[:max_entities]


def extract_entities(
    records: Iterable[dict],
    types: Iterable[str] | None = None,
    min_frequency: int = 1,
    max_entities: int | None = None,
    source: str = "records",
) -> list[Entity]:
    """:func:`count_entities` followed by :func:`select_entities`."""
    return select_entities(count_entities(records, source), types, min_frequency, max_entities)


def write_entities_tsv(path, entities: Iterable[Entity]) -> int:
    """Write ``surface, type, frequency`` rows (with a header line), atomically; return the row count."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(ENTITY_HEADER) + "\n")
        for e in entities:
            fh.write(f"{e.surface}\t{e.type}\t{e.frequency}\n")
            n += 1
    return n


def read_entities_tsv(path) -> list[Entity]:
    """Read a file written by :func:`write_entities_tsv` (the header line is optional)."""
    path = Path(path)
    out = []
    for lineno, row in _read_tsv(path, ENTITY_HEADER):
        if len(row) < 3:
            raise UserError(f"{path}:{lineno}: expected 3 tab-separated fields surface, type, frequency")
        out.append(Entity(row[0], row[1], _positive_int(row[2], path, lineno)))
    return out


def _positive_int(value: str, path, lineno: int) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise UserError(f"{path}:{lineno}: frequency {value!r} is not a non-negative integer")
    return n


def _read_tsv(path: Path, header: Sequence[str]):
    """Yield ``(line number, fields)`` of a UTF-8 TSV, skipping a header equal to ``header``."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            for lineno, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
                if not row or (lineno == 1 and tuple(row[: len(header)]) == tuple(header)):
                    continue
                yield lineno, row
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 ({err.reason} at byte {err.start})") from None
