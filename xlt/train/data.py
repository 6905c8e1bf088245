"""Tokenisation, first-sub-token label alignment, length-grouped batching and padding.

Sequence tasks (CLS) keep the first ``max_length`` sub-tokens of a text (``[CLS] … [SEP]``).

Token tasks (CoNLL NER) label the FIRST sub-token of every word and read predictions from it (paper, Section
4.2: "we only use the prediction of the first token as a result for this entity"); the other sub-tokens get
no label (``-100`` in the usual HF notation). A sentence longer than ``max_length`` sub-tokens is split into
consecutive chunks of whole words that fit, so every word still gets a prediction; a single word longer than
a chunk keeps its first ``max_length - 2`` sub-tokens (its first sub-token is what matters). A word that
tokenises to nothing (e.g. a lone zero-width space) is represented by the unknown token.

Batches are padded only to their own longest member ("dynamic padding"). Training batches are grouped by
length: a seeded permutation is cut into mega-batches of ``50 × batch_size`` examples, each sorted by length,
then cut into batches whose order is shuffled (the longest batch first, so memory errors show at once).
The order is a pure function of ``(seed, epoch)`` — a resumed run sees exactly the batches it would have seen.

Tokenised inputs are cached on disk across jobs when a cache folder is set (:mod:`xlt.train.token_cache`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from xlt.errors import UserError
from xlt.train.token_cache import cached

IGNORE = -100  # label of positions that carry no target (HF / PyTorch convention)


@dataclass
class WordChunk:
    """Up to ``max_length`` sub-tokens of whole words from one sentence.

    ``first_positions[j]`` is the index in ``input_ids`` of the first sub-token of word ``first_word + j``.
    """

    sentence: int
    first_word: int
    input_ids: list[int]
    first_positions: list[int]

    @property
    def n_words(self) -> int:
        return len(self.first_positions)


def special_ids(tokenizer) -> tuple[int, int]:
    """The ids that open and close every sequence (``[CLS]``/``[SEP]`` or ``<s>``/``</s>``)."""
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    if cls_id is None or sep_id is None:
        raise UserError("model: the tokenizer defines no [CLS]/[SEP] (or <s>/</s>) tokens; "
                        "a BERT-like model is expected")
    return cls_id, sep_id


def encode_texts(tokenizer, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids with special tokens, truncated to ``max_length``."""
    if max_length < 3:
        raise UserError(f"hp.max_length: expected at least 3, got {max_length}")
    texts = [t if isinstance(t, str) else "" for t in texts]
    return cached(tokenizer, "texts", max_length, texts,
                  lambda: {"ids": _encode_texts(tokenizer, texts, max_length)})["ids"]


def _encode_texts(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    out: list[list[int]] = []
    for start in range(0, len(texts), 4096):
        out.extend(tokenizer(texts[start:start + 4096], truncation=True, max_length=max_length)["input_ids"])
    return out


def word_pieces(tokenizer, sentences: Sequence[Sequence[str]]) -> list[list[list[int]]]:
    """For every sentence, the sub-token ids of every word (never empty: an empty word becomes ``unk``)."""
    unk = tokenizer.unk_token_id
    out: list[list[list[int]]] = []
    for start in range(0, len(sentences), 4096):
        part = [list(s) for s in sentences[start:start + 4096]]
        nonempty = [s if s else [""] for s in part]
        enc = tokenizer(nonempty, is_split_into_words=True, add_special_tokens=False)
        for i, words in enumerate(part):
            pieces: list[list[int]] = [[] for _ in words]
            for tid, w in zip(enc["input_ids"][i], enc.word_ids(i)):
                if w is not None and w < len(words):
                    pieces[w].append(tid)
            out.append([p if p else [unk] for p in pieces])
    return out


def encode_words(tokenizer, sentences: Sequence[Sequence[str]], max_length: int) -> list[WordChunk]:
    """Chunks of whole words, each ``[CLS] sub-tokens [SEP]`` of at most ``max_length`` ids (see module doc).

    A sentence without words has no chunk.
    """
    if max_length < 3:
        raise UserError(f"hp.max_length: expected at least 3, got {max_length}")
    sentences = [list(s) for s in sentences]
    packed = cached(tokenizer, "words", max_length, sentences,
                    lambda: _pack_chunks(_encode_words(tokenizer, sentences, max_length)))
    return [WordChunk(*fields) for fields in zip(packed["sentence"], packed["first_word"], packed["input_ids"],
                                                 packed["first_positions"])]


def _pack_chunks(chunks: list[WordChunk]) -> dict[str, list]:
    return {"sentence": [c.sentence for c in chunks], "first_word": [c.first_word for c in chunks],
            "input_ids": [c.input_ids for c in chunks], "first_positions": [c.first_positions for c in chunks]}


def _encode_words(tokenizer, sentences: list[list[str]], max_length: int) -> list[WordChunk]:
    cls_id, sep_id = special_ids(tokenizer)
    budget = max_length - 2
    chunks: list[WordChunk] = []
    for s, words in enumerate(word_pieces(tokenizer, sentences)):
        ids: list[int] = []
        firsts: list[int] = []
        start = 0
        for w, pieces in enumerate(words):
            pieces = pieces[:budget]
            if ids and len(ids) + len(pieces) > budget:
                chunks.append(WordChunk(s, start, [cls_id, *ids, sep_id], firsts))
                ids, firsts, start = [], [], w
            firsts.append(len(ids) + 1)
            ids.extend(pieces)
        if firsts:
            chunks.append(WordChunk(s, start, [cls_id, *ids, sep_id], firsts))
    return chunks


def token_labels(chunk: WordChunk, word_labels: Sequence[int]) -> list[int]:
    """Per-sub-token labels of a chunk: the word's label on its first sub-token, ``-100`` elsewhere."""
    labels = [IGNORE] * len(chunk.input_ids)
    for j, pos in enumerate(chunk.first_positions):
        labels[pos] = word_labels[chunk.first_word + j]
    return labels


# ------------------------------------------------------------------------------------------ batching


def length_grouped_batches(lengths: np.ndarray, batch_size: int, seed: int, epoch: int,
                           mega: int = 50) -> list[np.ndarray]:
    """Training batches for ``epoch``: similar lengths together, random otherwise; a function of (seed, epoch)."""
    n = len(lengths)
    if n == 0:
        return []
    rng = np.random.default_rng([seed, epoch, 0x5EED])
    order = rng.permutation(n)
    size = max(batch_size * mega, batch_size)
    grouped = []
    for start in range(0, n, size):
        part = order[start:start + size]
        grouped.append(part[np.argsort(-lengths[part], kind="stable")])
    flat = np.concatenate(grouped)
    batches = [flat[i:i + batch_size] for i in range(0, n, batch_size)]
    perm = rng.permutation(len(batches))
    batches = [batches[i] for i in perm]
    longest = int(np.argmax([lengths[b].max() for b in batches]))
    batches.insert(0, batches.pop(longest))
    return batches


def inference_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Batches of indices sorted by decreasing length (the caller scatters results back by index)."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def pad_ids(seqs: Sequence[Sequence[int]], pad_id: int, multiple: int = 1):
    """``(input_ids, attention_mask)`` LongTensors padded to the batch's longest sequence (rounded up)."""
    import torch

    width = max(len(s) for s in seqs)
    if multiple > 1:
        width = -(-width // multiple) * multiple
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.as_tensor(s, dtype=torch.long)
        mask[i, :len(s)] = 1
    return ids, mask


def flat_positions(chunks: Sequence[WordChunk], width: int):
    """Row-major indices ``b * width + position`` of every first sub-token of the batch (a LongTensor)."""
    import torch

    flat = [b * width + p for b, c in enumerate(chunks) for p in c.first_positions]
    return torch.as_tensor(flat, dtype=torch.long)
