"""Probabilities of a classifier folder on examples (teacher soft labels, Eq. 4, the threshold curves, the
evaluation) and the dev-set score of fine-tuning (see :mod:`xlt.train.api`)."""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import torch

from xlt.errors import UserError
from xlt.models.classifier import XLTClassifier, load_classifier
from xlt.train import loop
from xlt.train.data import encode_texts, encode_words, flat_positions, inference_batches, pad_ids
from xlt.train.batches import _pad_multiple
from xlt.train.stage import _check_folder, _sentences, _sequence_labels, _texts

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)


def _predict(model: XLTClassifier, tokenizer, examples: Sequence[dict], batch_size: int, max_length: int,
             device: torch.device, progress=None):
    """Probabilities ``[M, N, C]`` (sequence) or a list of ``[M, n_words, C]`` (token), in example order.

    ``progress(done, total)``, if given, is called after each batch with the number of inputs (texts or
    sentence windows) done in that batch and their total."""
    kind = model.config.kind
    n_heads, n_labels = model.config.n_voters, len(model.config.labels)
    model.to(device)
    model.eval()
    pad, multiple = tokenizer.pad_token_id, _pad_multiple(device)
    amp = loop.autocast(device)
    if kind == "sequence":
        units = encode_texts(tokenizer, _texts(examples, "examples"), max_length)
    else:
        chunks = encode_words(tokenizer, _sentences(examples, "examples"), max_length)
        units = [c.input_ids for c in chunks]
    pieces, orders = [], []
    with torch.inference_mode():
        for indices in inference_batches(np.array([len(u) for u in units]), batch_size):
            input_ids, mask = pad_ids([units[i] for i in indices], pad, multiple)
            batch = {"input_ids": input_ids, "attention_mask": mask}
            if kind == "token":
                batch["positions"] = flat_positions([chunks[i] for i in indices], input_ids.shape[1])
            batch = loop.to_device(batch, device)
            with amp:
                logits = model(**batch)
            pieces.append(logits.float().softmax(dim=-1))
            orders.append(indices)
            if progress is not None:
                progress(len(indices), len(units))
    cpu = [p.cpu().numpy() for p in pieces]  # one transfer per batch, after all batches are queued
    if kind == "sequence":
        out = np.zeros((n_heads, len(units), n_labels), dtype=np.float32)
        for probs, indices in zip(cpu, orders):
            out[:, indices] = probs
        return out
    per_chunk: list[np.ndarray | None] = [None] * len(chunks)
    for probs, indices in zip(cpu, orders):
        offset = 0
        for i in indices:
            k = chunks[i].n_words
            per_chunk[i] = probs[:, offset:offset + k]
            offset += k
    result = [[] for _ in examples]
    for c, probs in zip(chunks, per_chunk):
        result[c.sentence].append(probs)
    return [np.concatenate(r, axis=1).astype(np.float32) if r else np.zeros((n_heads, 0, n_labels), np.float32)
            for r in result]


def inference_device(name: str | None = None) -> torch.device:
    """The device to predict on: ``None``/``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:K"``."""
    auto = loop.configure_torch()
    if name is None or name == "auto":
        return auto
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise UserError(f"device {name!r}: expected auto, cpu, cuda or cuda:<index>") from None
    if device.type not in ("cpu", "cuda"):
        raise UserError(f"device {name!r}: expected auto, cpu, cuda or cuda:<index>")
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise UserError(f"device {name!r}: no CUDA device is available (use cpu or auto)")
        if device.index is not None and device.index >= count:
            raise UserError(f"device {name!r}: there are {count} CUDA devices (0..{count - 1})")
    return device


def predict_probs(model_dir, examples: Sequence[dict], *, batch_size: int = 64, max_length: int = 128,
                  device: str | None = None, progress=None):
    """Class probabilities of every head of the classifier in ``model_dir``.

    Sequence: ``np.float32 [M, N, C]``. Token: a list (one per sentence) of ``np.float32 [M, n_words, C]``
    with a prediction for every word, however long the sentence. ``M`` = number of voters (1 = plain head).
    Inference runs under ``torch.inference_mode`` on length-sorted batches; results come back in order.
    ``device``: see :func:`inference_device`; ``progress``: see :func:`_predict`.
    """
    device = inference_device(device)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"batch_size: expected a positive integer, got {batch_size!r}")
    if not isinstance(max_length, int) or max_length < 8:
        raise UserError(f"max_length: expected an integer ≥ 8, got {max_length!r}")
    model, tokenizer, _ = load_classifier(_check_folder(model_dir, "model_dir"))
    return _predict(model, tokenizer, examples, batch_size, max_length, device, progress)


def _dev_evaluator(tokenizer, dev_examples, kind: str, labels: list[str], batch_size: int, max_length: int,
                   device: torch.device):
    """Dev accuracy (sequence) or seqeval entity F1 (token) of the ensemble's argmax: the test metric
    (:func:`xlt.metrics.evaluate`) on the dev set."""
    from xlt.metrics import evaluate as metric

    if kind == "sequence":
        gold = _sequence_labels(dev_examples, len(labels), "dev_examples").tolist()

        def evaluate(model):
            probs = _predict(model, tokenizer, dev_examples, batch_size, max_length, device)
            return metric("sequence", probs.mean(axis=0).argmax(-1).tolist(), gold)["score"]
        return evaluate

    _sentences(dev_examples, "dev_examples")
    gold_tags = [list(ex["tags"]) for ex in dev_examples]

    def evaluate(model):
        probs = _predict(model, tokenizer, dev_examples, batch_size, max_length, device)
        pred = [[labels[j] for j in p.mean(axis=0).argmax(-1)] for p in probs]
        return metric("token", pred, gold_tags)["score"]
    return evaluate
