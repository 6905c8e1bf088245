"""What a stage trains on (:class:`xlt.train.loop.Task`): tokenised examples with their targets, batched by
length, and the loss of Eq. 1 or Eq. 2 (see :mod:`xlt.train.api`)."""

from __future__ import annotations

import logging

import numpy as np
import torch

from xlt.errors import UserError
from xlt.models.heads import SOFT_LOSSES, hard_label_ce_loss
from xlt.train import loop
from xlt.train.data import (IGNORE, encode_texts, encode_words, pad_ids)
from xlt.train.stage import _sentences, _sequence_labels, _texts, _word_labels

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)


def _pad_multiple(device: torch.device) -> int:
    return 8 if device.type == "cuda" else 1


def _loss_fn(soft_loss: str | None):
    """The soft step's loss named ``soft_loss`` (:data:`xlt.models.heads.SOFT_LOSSES`, checked by ``_check_hp``),
    or Eq. 2 when None."""
    return hard_label_ce_loss if soft_loss is None else SOFT_LOSSES[soft_loss]


def _sequence_task(tokenizer, texts: list[str], targets: np.ndarray, max_length: int, soft_loss: str | None,
                   device: torch.device) -> loop.Task:
    """``soft_loss``: the soft step's loss (targets are probabilities ``[N, C]``), None for hard labels."""
    soft = soft_loss is not None
    ids = encode_texts(tokenizer, texts, max_length)
    pad, multiple = tokenizer.pad_token_id, _pad_multiple(device)
    target_tensor = torch.as_tensor(targets, dtype=torch.float32 if soft else torch.long)
    loss_fn = _loss_fn(soft_loss)

    def make_batch(indices, step):
        input_ids, mask = pad_ids([ids[i] for i in indices], pad, multiple)
        return {"input_ids": input_ids, "attention_mask": mask,
                "targets": target_tensor[torch.as_tensor(indices, dtype=torch.long)]}

    def loss(model, b):
        return loss_fn(model(b["input_ids"], b["attention_mask"]), b["targets"])

    return loop.Task(np.array([len(x) for x in ids]), make_batch, loss)


def _token_task(tokenizer, sentences: list[list[str]], word_targets: list, max_length: int, soft_loss: str | None,
                device: torch.device) -> loop.Task:
    """``word_targets[s]``: per-word label ids (hard, -100 = ignored) or probabilities [n_words, C] (soft: trained
    with the loss named ``soft_loss``)."""
    soft = soft_loss is not None
    loss_fn = _loss_fn(soft_loss)
    chunks = encode_words(tokenizer, sentences, max_length)
    pad, multiple = tokenizer.pad_token_id, _pad_multiple(device)
    kept, chunk_targets = [], []
    for c in chunks:
        t = np.asarray(word_targets[c.sentence])[c.first_word:c.first_word + c.n_words]
        if soft:
            kept.append(c)
            chunk_targets.append((c.first_positions, t.astype(np.float32)))
        else:
            labelled = t != IGNORE
            if labelled.any():  # a chunk whose words are all ignored teaches nothing
                kept.append(c)
                chunk_targets.append(([p for p, k in zip(c.first_positions, labelled) if k], t[labelled]))
    if not kept:
        raise UserError("examples: no word carries a label (every tag is None)")

    def make_batch(indices, step):
        seqs = [kept[i].input_ids for i in indices]
        input_ids, mask = pad_ids(seqs, pad, multiple)
        width = input_ids.shape[1]
        flat = [b * width + p for b, i in enumerate(indices) for p in chunk_targets[i][0]]
        targets = np.concatenate([chunk_targets[i][1] for i in indices])
        return {"input_ids": input_ids, "attention_mask": mask, "positions": torch.as_tensor(flat, dtype=torch.long),
                "targets": torch.as_tensor(targets, dtype=torch.float32 if soft else torch.long)}

    def loss(model, b):
        return loss_fn(model(b["input_ids"], b["attention_mask"], b["positions"]), b["targets"])

    return loop.Task(np.array([len(c.input_ids) for c in kept]), make_batch, loss)


def _hard_task(tokenizer, examples, kind: str, labels: list[str], max_length: int, device) -> loop.Task:
    if not examples:
        raise UserError("examples: no training examples")
    if kind == "sequence":
        texts = _texts(examples, "examples")
        return _sequence_task(tokenizer, texts, _sequence_labels(examples, len(labels), "examples"), max_length,
                              None, device)
    sentences = _sentences(examples, "examples")
    return _token_task(tokenizer, sentences, _word_labels(examples, labels, "examples"), max_length, None, device)
