"""Target-language sentences that mention the training set's entities, and a random control corpus.

:func:`harvest_sentences` is the last step of Section 3.1: stream the target-language dump and keep the
sentences that contain a mapped entity -- its target page title (without a disambiguation suffix such
as " (Stadt)") or its English surface form -- at word boundaries. The paper uses 60,000 such
sentences for NER. Two choices keep the corpus task-related *and* diverse:

* a **per-entity cap**: each sentence is credited to the entity with the fewest sentences so far among
  those it mentions, and each entity keeps a uniform random sample (reservoir) of at most
  ``per_entity_cap`` of its sentences, so "Germany" cannot fill the corpus;
* a **total cap** (``max_sentences``): when the entities together hold more, the same per-entity
  limit is lowered for everyone until the total fits ("water filling"); leftover slots go to randomly
  chosen entities.

The MBERT-wiki ablation's corpus (:func:`xlt.wiki.random_sample.sample_random_sentences`) is a uniform random
sample (reservoir sampling, constant memory) of all sentences of the same dumps, as many as the entity corpus.

Both keep sentences of ``min_tokens`` to ``max_tokens`` words that end with sentence punctuation,
drop repeated sentences, and are seeded: the same dumps, entities and seed give the same corpus, in
dump order. Cheap pre-filters keep the wikitext parser away from most text: redirects and other
namespaces are skipped, and only prose paragraphs whose words could start an entity name are parsed.
The entity harvest can hand that parsing to worker processes (``workers``) while the dump is read;
results are taken back in order, so the corpus does not depend on the number of workers.

Both log a progress line every ``progress_seconds`` (pages read, MB of XML read and MB/s, sentences kept
so far). :func:`check_corpus_size` turns an empty or near-empty result into one error line naming the
language, the mapping and the counts; :func:`corpus_warning` is the one warning line for dumps cut off,
malformed link rows skipped and unmapped entities.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import random
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from xlt.text import word_tokenize
from xlt.wiki.dump import iter_articles
from xlt.wiki.wikitext import paragraph_to_text, prose_paragraphs
from xlt.wiki.mapping import TitleRow
from xlt.wiki.sentences import (
    SUBSTRING_SCRIPTS,
    CandidateIndex,
    ends_like_sentence,
    split_sentences,
    strip_disambiguation,
)

log = logging.getLogger(__name__)

__all__ = [
    "HarvestResult",
    "entity_names",
    "iter_dump_sentences",
    "harvest_sentences",
    "allocate_caps",
    "Progress",
]


class Progress:
    """A log line every ``every`` seconds while a dump is read: pages, MB of XML and MB/s, sentences kept.

    :meth:`tick` is called once per page and costs one clock reading; ``counts`` is the reader's
    counter (``pages_read``, ``xml_bytes``) and ``kept_key`` names its count of sentences kept so far.
    ``every`` of ``None`` or 0 turns the lines off.
    """

    def __init__(self, counts: Counter, every: float | None, kept_key: str, what: str = "harvest"):
        self.counts, self.every, self.kept_key, self.what = counts, every, kept_key, what
        self.start = time.monotonic()
        self.due = self.start + every if every else float("inf")
        self.lines = 0

    def tick(self) -> None:
        now = time.monotonic()
        if now >= self.due:
            self.due = now + self.every
            self.report(now)

    def report(self, now: float | None = None) -> None:
        elapsed = max(1e-9, (now or time.monotonic()) - self.start)
        mb = self.counts["xml_bytes"] / 1e6
        log.info(
            "%s: %d pages read, %.1f MB of XML (%.1f MB/s), %d sentences kept, %.0f s",
            self.what,
            self.counts["pages_read"],
            mb,
            mb / elapsed,
            self.counts[self.kept_key],
            elapsed,
        )
        self.lines += 1


@dataclass
class HarvestResult:
    records: list[dict]
    stats: dict = field(default_factory=dict)
    per_type: dict = field(default_factory=dict)  # type -> {entities, entities_with_sentences, sentences_kept}


def entity_names(rows: Iterable[TitleRow]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Names to look for, as ``(name, entity)`` pairs, and each entity's type.

    An entity is a target page; its names are its title without disambiguation suffix, the full title,
    and the English surfaces mapped to it. Its type is that of its most frequent surface.
    """
    names: list[tuple[str, str]] = []
    best: dict[str, tuple[int, str]] = {}
    for r in rows:
        key = r.target_title
        names.append((strip_disambiguation(r.target_title), key))
        names.append((r.target_title, key))
        names.append((r.surface, key))
        if key not in best or r.frequency > best[key][0]:
            best[key] = (r.frequency, r.type)
    return names, {k: t for k, (_, t) in best.items()}


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()


def iter_dump_sentences(
    dumps: Sequence,
    lang: str,
    *,
    index: CandidateIndex | None = None,
    counts: Counter | None = None,
    progress: Progress | None = None,
) -> Iterator[str]:
    """Sentences of the articles of ``dumps``, in order; with ``index`` only paragraphs that may
    mention one of its names are parsed (the others are skipped unread)."""
    counts = counts if counts is not None else Counter()
    for dump in dumps:
        for page in iter_articles(dump, counts=counts):
            if progress is not None:
                progress.tick()
            if index is not None and not index.may_match(page.text):
                continue
            counts["articles_parsed"] += 1
            for para in prose_paragraphs(page.text):
                if index is not None and not index.may_match(para):
                    continue
                counts["paragraphs_parsed"] += 1
                yield from split_sentences(paragraph_to_text(para, lang=lang), lang)


_BATCH_CHARS = 1 << 17  # wikitext characters of articles handed to a worker at a time
_PENDING_PER_WORKER = 3  # batches in flight per worker: memory stays bounded
_WORKER_STATE: dict = {}  # the index and language, set in the parent before the workers fork


def _mentions(articles: list[str], lang: str, index: CandidateIndex, tokenize: bool) -> tuple[int, list[tuple]]:
    """The prose paragraphs of ``articles`` (wikitext) that may name an entity, and ``(sentence, keys,
    tokens)`` for each of their sentences that does, in order.

    ``tokens`` is the sentence's word tokens where ``tokenize`` is set and it ends like a sentence,
    else ``None`` (the caller tokenizes only what it still needs)."""
    paragraphs = 0
    out = []
    for text in articles:
        for para in prose_paragraphs(text):
            if not index.may_match(para):
                continue
            paragraphs += 1
            for sentence in split_sentences(paragraph_to_text(para, lang=lang), lang):
                keys = index.find(sentence)
                if keys:
                    tokens = word_tokenize(sentence, lang) if tokenize and ends_like_sentence(sentence) else None
                    out.append((sentence, keys, tokens))
    return paragraphs, out


def _mentions_in_worker(articles: list[str]) -> tuple[int, list[tuple]]:
    return _mentions(articles, _WORKER_STATE["lang"], _WORKER_STATE["index"], True)


def _candidate_articles(
    dumps: Sequence, index: CandidateIndex, counts: Counter, chars: int, progress: Progress | None = None
) -> Iterator[list[str]]:
    """Batches of the wikitext of articles that may mention a name (about ``chars`` each), in dump order."""
    batch: list[str] = []
    size = 0
    for dump in dumps:
        for page in iter_articles(dump, counts=counts):
            if progress is not None:
                progress.tick()
            if not index.may_match(page.text):
                continue
            counts["articles_parsed"] += 1
            batch.append(page.text)
            size += len(page.text)
            if size >= chars:
                yield batch
                batch, size = [], 0
    if batch:
        yield batch


def _iter_mentions(
    dumps: Sequence, lang: str, index: CandidateIndex, counts: Counter, workers: int, progress: Progress | None = None
) -> Iterator[tuple]:
    """``(sentence, keys, tokens)`` of the dumps' sentences that name an entity, in dump order.

    With ``workers`` > 1, articles are cut into paragraphs, converted, split and searched in that many
    worker processes while this process reads the dump; results are taken in submission order (the
    output is the same as without workers) and at most a few batches per worker are in flight, so
    memory stays flat whatever the dump's size.
    """
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for batch in _candidate_articles(dumps, index, counts, 1, progress):
            parsed, found = _mentions(batch, lang, index, False)
            counts["paragraphs_parsed"] += parsed
            yield from found
        return
    # the workers fork before the dump's reader thread starts and inherit the compiled index
    _WORKER_STATE.update(lang=lang, index=index)
    try:
        pool = multiprocessing.get_context("fork").Pool(workers)
    finally:
        _WORKER_STATE.clear()
    pending: deque = deque()

    def take() -> Iterator[tuple]:
        parsed, found = pending.popleft().get()
        counts["paragraphs_parsed"] += parsed
        yield from found

    try:
        for batch in _candidate_articles(dumps, index, counts, _BATCH_CHARS, progress):
            pending.append(pool.apply_async(_mentions_in_worker, (batch,)))
            if len(pending) >= workers * _PENDING_PER_WORKER:
                yield from take()
        while pending:
            yield from take()
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _length_ok(tokens: list[str], min_tokens: int, max_tokens: int | None) -> bool:
    return len(tokens) >= min_tokens and (max_tokens is None or len(tokens) <= max_tokens)


def allocate_caps(sizes: dict, total: int, rng: random.Random) -> dict:
    """How many items each group keeps so that no group exceeds what the others get ("water filling").

    The largest common limit ``c`` with ``sum(min(size, c)) <= total`` is found; the remaining slots go,
    one each, to groups chosen at random among those holding more than ``c``.
    """
    if sum(sizes.values()) <= total:
        return dict(sizes)
    lo, hi = 0, max(sizes.values())
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(s, mid) for s in sizes.values()) <= total:
            lo = mid
        else:
            hi = mid - 1
    caps = {k: min(s, lo) for k, s in sizes.items()}
    left = total - sum(caps.values())
    bigger = sorted(k for k, s in sizes.items() if s > lo)
    for k in rng.sample(bigger, left):
        caps[k] += 1
    return caps


def harvest_sentences(
    dumps: Sequence,
    rows: Sequence[TitleRow],
    lang: str,
    *,
    max_sentences: int = 60000,
    per_entity_cap: int = 100,
    min_tokens: int = 5,
    max_tokens: int | None = 120,
    seed: int = 0,
    workers: int = 1,
    substring_scripts: Sequence[str] = SUBSTRING_SCRIPTS,
    progress_seconds: float | None = 60.0,
) -> HarvestResult:
    """Sentences of the target dumps that mention the mapped entities (records ``text, tokens, entity``).

    ``workers`` > 1 converts and searches paragraphs in that many processes beside the one reading the
    dump (POSIX ``fork`` only; elsewhere it runs serially); the corpus is the same for any ``workers``.
    ``substring_scripts``: see :class:`~xlt.wiki.sentences.CandidateIndex` (languages without spaces).
    """
    names, entity_type = entity_names(rows)
    index = CandidateIndex(names, lang, substring_scripts)
    order = {key: i for i, key in enumerate(dict.fromkeys(r.target_title for r in rows))}
    rng = random.Random(seed)
    cap = min(per_entity_cap, max_sentences)
    counts: Counter = Counter()
    offered: Counter = Counter()  # sentences credited to each entity so far
    reservoirs: dict[str, list] = defaultdict(list)
    seen: set[bytes] = set()
    seq = 0
    progress = Progress(counts, progress_seconds, "sentences_accepted", f"harvest {lang}")
    for sentence, keys, tokens in _iter_mentions(dumps, lang, index, counts, workers, progress):
        counts["sentences_mentioning"] += 1
        # a sentence seen before passed every filter then, so testing it first changes no count
        digest = _digest(sentence)
        if digest in seen:
            counts["dropped_duplicate"] += 1
            continue
        if not ends_like_sentence(sentence):
            counts["dropped_not_a_sentence"] += 1
            continue
        if tokens is None:
            tokens = word_tokenize(sentence, lang)
        if not _length_ok(tokens, min_tokens, max_tokens):
            counts["dropped_length"] += 1
            continue
        seen.add(digest)
        counts["sentences_accepted"] += 1
        key = min(keys, key=lambda k: (offered[k], order.get(k, 0)))
        offered[key] += 1
        item = (seq, sentence, tokens, key)
        seq += 1
        res = reservoirs[key]
        if len(res) < cap:
            res.append(item)
        else:
            j = rng.randrange(offered[key])
            if j < cap:
                res[j] = item
    counts["sentences_candidates"] = seq

    caps = allocate_caps({k: len(v) for k, v in reservoirs.items()}, max_sentences, rng)
    kept = []
    for key in sorted(reservoirs, key=lambda k: order.get(k, 0)):
        res = reservoirs[key]
        kept.extend(res if caps[key] >= len(res) else rng.sample(res, caps[key]))
    kept.sort(key=lambda item: item[0])
    records = [{"text": s, "tokens": t, "entity": k} for _, s, t, k in kept]

    per_type: dict = defaultdict(Counter)
    for key, typ in entity_type.items():
        per_type[typ]["entities"] += 1
    kept_by_entity = Counter(r["entity"] for r in records)
    for key, n in kept_by_entity.items():
        per_type[entity_type.get(key, "?")]["entities_with_sentences"] += 1
        per_type[entity_type.get(key, "?")]["sentences_kept"] += n
    stats = {
        "entities": len(rows),
        "mapped_titles": len(entity_type),
        "names_searched": len(index),
        "dumps": len(dumps),
        "dumps_truncated": counts["dumps_truncated"],
        "pages_read": counts["pages_read"],
        "xml_mb_read": round(counts["xml_bytes"] / 1e6, 1),
        "articles": counts["articles"],
        "articles_parsed": counts["articles_parsed"],
        "paragraphs_parsed": counts["paragraphs_parsed"],
        "sentences_mentioning": counts["sentences_mentioning"],
        "dropped_not_a_sentence": counts["dropped_not_a_sentence"],
        "dropped_length": counts["dropped_length"],
        "dropped_duplicate": counts["dropped_duplicate"],
        "sentences_candidates": counts["sentences_candidates"],
        "sentences_kept": len(records),
        "entities_with_sentences": len(kept_by_entity),
        "max_sentences": max_sentences,
        "per_entity_cap": per_entity_cap,
        "seed": seed,
    }
    if progress.lines:
        progress.report()
    if len(records) < max_sentences:
        log.info(
            "kept %d sentences, fewer than max_sentences=%d: %d entities found in the dumps, each keeps at most %d",
            len(records),
            max_sentences,
            len(kept_by_entity),
            cap,
        )
    return HarvestResult(records, stats, {t: dict(c) for t, c in sorted(per_type.items())})
