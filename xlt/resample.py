"""Language-balanced mixing of unlabeled text (paper Section 3.1) and seeded down-sampling.

Bilingual Task Fitting continues MLM training on source- and target-language task text. "Since the
corpus size in the source language is generally more massive than those of other languages, the
mixed unlabeled training data for the MLM task are resampled. Therefore the numbers of training
samples between two languages are guaranteed balanced." :func:`balance_languages` does that mixing;
:func:`sample_records` is the seeded down-sampling used to cap a corpus (the paper down-samples the
CLS unlabeled data to 10,000 texts for self-training, Section 4.2).
"""

from __future__ import annotations

import random
from typing import Literal, Sequence

from xlt.errors import UserError


def _as_record(item, lang: str) -> dict:
    record = {"text": item} if isinstance(item, str) else dict(item)
    record["lang"] = lang
    return record


def _resize(records: list, size: int, rng: random.Random) -> list:
    """``size`` items from ``records``: whole copies plus a random remainder drawn without replacement."""
    copies, remainder = divmod(size, len(records))
    return records * copies + rng.sample(records, remainder)


def balance_languages(
    source: Sequence,
    target: Sequence,
    *,
    seed: int,
    mode: Literal["upsample", "downsample"] = "upsample",
    source_lang: str = "en",
    target_lang: str = "target",
) -> list[dict]:
    """Mix source and target texts so that both languages contribute the same number of records.

    Items are dicts (kept field by field) or plain strings (become ``{"text": ...}``); every output
    record also gets ``"lang"`` (``source_lang`` or ``target_lang``, replacing any existing value).
    ``mode="upsample"`` repeats the smaller side up to the larger one's size: as many whole copies as
    fit, then a seeded random remainder without replacement. ``mode="downsample"`` draws a seeded
    random subset of the larger side of the smaller one's size. The result is shuffled with ``seed``;
    the same inputs and seed always give the same list.
    """
    if mode not in ("upsample", "downsample"):
        raise ValueError(f"mode {mode!r}: expected 'upsample' or 'downsample'")
    for side, items in (("source", source), ("target", target)):
        if len(items) == 0:
            raise UserError(f"language balancing: the {side} corpus is empty; expected at least one text")
    rng = random.Random(seed)
    src = list(source)
    tgt = list(target)
    size = max(len(src), len(tgt)) if mode == "upsample" else min(len(src), len(tgt))
    src_part = src if len(src) == size else _resize(src, size, rng)
    tgt_part = tgt if len(tgt) == size else _resize(tgt, size, rng)
    mixed = [_as_record(x, source_lang) for x in src_part] + [_as_record(x, target_lang) for x in tgt_part]
    rng.shuffle(mixed)
    return mixed


def sample_records(records: Sequence, n: int | None, *, seed: int) -> list:
    """A seeded random subset of ``n`` records in their original order (all of them when n is None or
    at least the corpus size)."""
    records = list(records)
    if n is None or n >= len(records):
        return records
    if n < 0:
        raise ValueError(f"sample size must be >= 0, got {n}")
    keep = sorted(random.Random(seed).sample(range(len(records)), n))
    return [records[i] for i in keep]


def hold_out_texts(texts: Sequence[str], n: int, *, seed: int) -> tuple[list[str], list[str]]:
    """Keep ``n`` distinct texts (at most a tenth of the distinct texts, drawn with ``seed``) out of ``texts``.

    Returns ``(rest, held)``: ``texts`` without any copy of a held-out text, in order, and the held-out texts
    sorted. BTF measures its masked-LM loss on them before and after training (``btf.heldout_texts``)."""
    distinct = sorted(set(texts))
    random.Random(seed).shuffle(distinct)
    held = set(distinct[: min(int(n), len(distinct) // 10)])
    return [t for t in texts if t not in held], sorted(held)
