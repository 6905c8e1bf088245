"""The MBERT-wiki ablation's corpus: a uniform random sample of the sentences of the target dumps, as many as
the entity corpus (reservoir sampling, constant memory; see :mod:`xlt.wiki.harvest`)."""

from __future__ import annotations

import logging
import random
from collections import Counter
from typing import Sequence

from xlt.text import word_tokenize
from xlt.wiki.sentences import ends_like_sentence

from xlt.wiki.harvest import _digest, _length_ok, HarvestResult, iter_dump_sentences, Progress

log = logging.getLogger(__name__)


def sample_random_sentences(
    dumps: Sequence,
    lang: str,
    size: int,
    *,
    min_tokens: int = 5,
    max_tokens: int | None = 120,
    seed: int = 0,
    progress_seconds: float | None = 60.0,
) -> HarvestResult:
    """A uniform random sample of ``size`` sentences of the dumps (records ``text, tokens``), seeded.

    Reservoir sampling (Algorithm R) keeps memory at ``size`` sentences whatever the dump's size. A
    sentence equal to one already in the sample is skipped.
    """
    rng = random.Random(seed)
    counts: Counter = Counter()
    reservoir: list = []
    held: dict[bytes, int] = {}  # digest -> how many copies are in the reservoir
    n = 0
    progress = Progress(counts, progress_seconds, "sentences_eligible", f"random sample {lang}")
    for sentence in iter_dump_sentences(dumps, lang, counts=counts, progress=progress):
        if not ends_like_sentence(sentence):
            continue
        tokens = word_tokenize(sentence, lang)
        if not _length_ok(tokens, min_tokens, max_tokens):
            continue
        digest = _digest(sentence)
        if digest in held:
            counts["dropped_duplicate"] += 1
            continue
        item = (n, sentence, tokens, digest)
        n += 1
        counts["sentences_eligible"] = n
        if len(reservoir) < size:
            reservoir.append(item)
            held[digest] = 1
        else:
            j = rng.randrange(n)
            if j < size:
                del held[reservoir[j][3]]
                reservoir[j] = item
                held[digest] = 1
    reservoir.sort(key=lambda item: item[0])
    records = [{"text": s, "tokens": t} for _, s, t, _ in reservoir]
    if progress.lines:
        progress.report()
    stats = {
        "dumps": len(dumps),
        "dumps_truncated": counts["dumps_truncated"],
        "pages_read": counts["pages_read"],
        "xml_mb_read": round(counts["xml_bytes"] / 1e6, 1),
        "articles": counts["articles"],
        "sentences_eligible": n,
        "dropped_duplicate": counts["dropped_duplicate"],
        "sentences_kept": len(records),
        "size_requested": size,
        "seed": seed,
    }
    return HarvestResult(records, stats, {})
