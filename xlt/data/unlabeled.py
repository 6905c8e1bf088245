"""Unlabeled target-language text given by path (``tasks.<task>.unlabeled.<lang>``): the task corpus of a target
instead of the Wikipedia harvest (NER) or the unlabeled review pool (CLS).

A corpus is one or more files, each read as ``xlt predict`` reads its input (:func:`xlt.predict.read_inputs`):
plain text (one text, or one sentence of space-separated words, per line), JSON lines (``field``: default
``text`` / ``tokens``), CoNLL columns (NER; tags dropped) or Webis-CLS-10 review XML (CLS; stars dropped).
Records are ``{"text"}`` (CLS) or ``{"tokens"}`` (NER). Where the file carries a gold label (a CoNLL tag
column, Webis stars), it rides along as ``oracle_label`` / ``oracle_tags``: read only by the oracle diagnostic
of the self-training health records (:mod:`xlt.selftrain.health`), never by training or selection.

Repeats are dropped (first occurrence kept), texts that are also target test items are left out, and
``size`` records are drawn with ``seed`` (all of them when ``size`` is None), in file order.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

from xlt.errors import UserError

FORMATS = ("auto", "text", "jsonl", "conll", "webis")


def corpus_spec(value, where: str) -> dict:
    """Normalise one ``tasks.<task>.unlabeled.<key>`` value: a path, a list of paths, or a mapping
    ``{files, format, field, encoding}`` -> ``{"files": [...], "format", "field", "encoding"}``."""
    if isinstance(value, str):
        value = {"files": [value]}
    elif isinstance(value, list):
        value = {"files": value}
    if not isinstance(value, dict):
        raise UserError(f"{where}: expected a path, a list of paths or a mapping with 'files'")
    files = value.get("files")
    if isinstance(files, str):
        files = [files]
    if not files or not all(isinstance(f, str) and f for f in files):
        raise UserError(f"{where}.files: expected one or more file paths")
    fmt = value.get("format", "auto")
    if fmt not in FORMATS:
        raise UserError(f"{where}.format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    return {"files": list(files), "format": fmt, "field": value.get("field"),
            "encoding": value.get("encoding", "auto")}


def _key(kind: str, rec: dict):
    return rec["text"] if kind == "sequence" else tuple(rec["tokens"])


def read_unlabeled(paths: Sequence, kind: str, *, input_format: str = "auto", field: str | None = None,
                   encoding: str = "auto") -> tuple[list[dict], dict]:
    """Every record of ``paths`` (see the module doc), repeats dropped, and ``{"read", "repeats", "formats",
    "oracle"}``: records read, repeats dropped, the format of each file, records with a gold label."""
    from xlt.data.cls import LABELS
    from xlt.predict import read_inputs

    records, seen, read, formats = [], set(), 0, {}
    for path in paths:
        rows, fmt = read_inputs(Path(path), kind, input_format, field, encoding)
        formats[str(path)] = fmt
        for row in rows:
            read += 1
            rec = {"text": row["text"]} if kind == "sequence" else {"tokens": row["tokens"]}
            if not (rec.get("text") or "").strip() and not rec.get("tokens"):
                continue
            key = _key(kind, rec)
            if key in seen:
                continue
            seen.add(key)
            if kind == "sequence" and row.get("gold") in LABELS:
                rec["oracle_label"] = LABELS.index(row["gold"])
            elif kind == "token" and row.get("gold_tags") is not None:
                rec["oracle_tags"] = row["gold_tags"]
            records.append(rec)
    oracle = sum(1 for r in records if "oracle_label" in r or "oracle_tags" in r)
    return records, {"read": read, "repeats": read - len(records), "formats": formats, "oracle": oracle}


def sample_corpus(records: list[dict], kind: str, *, size: int | None, seed: int,
                  exclude: Sequence[dict] = ()) -> tuple[list[dict], dict]:
    """Leave out records equal to an ``exclude`` record (target test items), then draw ``size`` of the rest
    with ``seed``, keeping their order. Raises a one-line error when nothing is left."""
    banned = {_key(kind, r) for r in exclude}
    pool = [r for r in records if _key(kind, r) not in banned]
    removed = len(records) - len(pool)
    if not pool:
        raise UserError(f"no unlabeled text left ({len(records)} read, {removed} are target test items)")
    if size is not None and size < len(pool):
        chosen = sorted(random.Random(seed).sample(range(len(pool)), size))
        pool = [pool[i] for i in chosen]
    return pool, {"removed_test_items": removed, "pool_size": len(records) - removed, "sampled": len(pool)}
