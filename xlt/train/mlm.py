"""Masked-language modelling: Bilingual Task Fitting's continued MLM (paper Section 3.1), the masked-LM loss on
held-out text, and the warm-up of an MLM head for encoders that ship without one (see :mod:`xlt.train.api`)."""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from xlt.errors import UserError
from xlt.io import atomic_path
from xlt.models.files import reading_model
from xlt.models.providers import quiet_transformers
from xlt.train import loop
from xlt.train.checkpoint import fingerprint
from xlt.train.data import (IGNORE, encode_texts, pad_ids)
from xlt.train.batches import _pad_multiple
from xlt.train.stage import (_check_folder, _check_hp, DEFAULTS, _digest_data, _finish, _folder_signature, freeze_bottom, _runtime, _settings)

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)


def _mlm_head(model):
    """The module mapping hidden states to vocabulary logits, for logits at masked positions only."""
    if hasattr(model, "cls") and hasattr(model.cls, "predictions"):
        return model.cls  # BERT
    if hasattr(model, "lm_head"):
        return model.lm_head  # RoBERTa / XLM-R
    return None


def mlm_task(model, tokenizer, ids: list[list[int]], mlm_probability: float, seed: int,
             device: torch.device) -> loop.Task:
    """Masked-LM batches of ``ids`` (masks drawn per step from (seed, step)) and the masked-positions-only loss."""
    from transformers import DataCollatorForLanguageModeling

    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=mlm_probability)
    special = torch.as_tensor(sorted(set(tokenizer.all_special_ids)), dtype=torch.long)
    pad, multiple = tokenizer.pad_token_id, _pad_multiple(device)
    head = _mlm_head(model)

    def make_batch(indices, step):
        input_ids, mask = pad_ids([ids[i] for i in indices], pad, multiple)
        no_mask = torch.isin(input_ids, special) | (mask == 0)
        collator.generator = torch.Generator().manual_seed(loop.step_seed(seed, step, salt=2))
        inputs, labels = collator.torch_mask_tokens(input_ids.clone(), special_tokens_mask=no_mask)
        flat = labels.reshape(-1)
        positions = (flat != IGNORE).nonzero().squeeze(1)
        batch = {"input_ids": inputs, "attention_mask": mask, "positions": positions, "targets": flat[positions]}
        if head is None:
            batch["labels"] = labels
        return batch

    def micro_batches(indices, step, n):
        """The step's masked batch (masks as without accumulation) cut into n slices of rows."""
        full = make_batch(indices, step)
        width = full["input_ids"].shape[1]
        labels = torch.full((len(indices) * width,), IGNORE, dtype=torch.long)
        labels[full["positions"]] = full["targets"]
        labels = labels.reshape(len(indices), width)
        out = []
        for rows in np.array_split(np.arange(len(indices)), n):
            rows = torch.as_tensor(rows, dtype=torch.long)
            mask = full["attention_mask"][rows]
            keep = int(mask.sum(dim=1).max())
            keep = min(width, -(-keep // multiple) * multiple)
            part_labels = labels[rows][:, :keep]
            flat = part_labels.reshape(-1)
            positions = (flat != IGNORE).nonzero().squeeze(1)
            part = {"input_ids": full["input_ids"][rows][:, :keep], "attention_mask": mask[:, :keep],
                    "positions": positions, "targets": flat[positions]}
            if head is None:
                part["labels"] = part_labels
            out.append(part)
        return out

    def loss(m, b):
        if head is None:
            return m(input_ids=b["input_ids"], attention_mask=b["attention_mask"], labels=b["labels"]).loss
        hidden = m.base_model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).last_hidden_state
        if b["targets"].numel() == 0:
            return hidden.sum() * 0.0
        logits = head(hidden.reshape(-1, hidden.shape[-1]).index_select(0, b["positions"]))
        return F.cross_entropy(logits.float(), b["targets"])

    return loop.Task(np.array([len(x) for x in ids]), make_batch, loss, micro_batches)


def continue_mlm(base_dir, texts: Sequence[str], out_dir, *, hp: dict, seed: int, checkpoint_dir,
                 runtime: loop.Runtime | None = None) -> dict:
    """BTF step 1: continue masked-LM training of ``base_dir`` on ``texts``; write the Base Model to ``out_dir``.

    Masking is DataCollatorForLanguageModeling's (15 %: 80 % ``[MASK]``, 10 % random, 10 % kept) with a
    generator seeded by (seed, step). Logits are computed only at the masked positions. Texts are cut to
    ``max_length`` sub-tokens. Returns steps, final loss and trainable/frozen parameter counts.
    """
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    hp = _check_hp(hp, "continue_mlm")
    device = loop.configure_torch()
    quiet_transformers()
    base_dir = _check_folder(base_dir, "base_dir")
    with reading_model(base_dir):
        tokenizer = AutoTokenizer.from_pretrained(base_dir)
        torch.manual_seed(seed)
        model = AutoModelForMaskedLM.from_pretrained(base_dir)
    frozen = freeze_bottom(model.base_model, hp["frozen_layers"], hp["freeze_embeddings"])
    if tokenizer.mask_token_id is None:
        raise UserError(f"{base_dir}: the tokenizer has no mask token; masked-LM training is impossible")
    ids = _mlm_ids(tokenizer, texts, hp["max_length"])
    if not ids:
        raise UserError("texts: no non-empty text to train the masked language model on")
    task = mlm_task(model, tokenizer, ids, hp["mlm_probability"], seed, device)
    digest = fingerprint(stage="continue_mlm", hp=hp, seed=seed, init=_folder_signature(base_dir),
                              data=_digest_data(list(texts)))
    metrics = loop.train(model, task, _settings(hp, seed), device=device, checkpoint_dir=checkpoint_dir,
                         digest=digest, name="continue_mlm", runtime=_runtime(runtime))
    metrics["frozen_tensors"] = len(frozen)

    def save(m, tok, out):
        with atomic_path(out) as tmp:
            m.save_pretrained(tmp)
            tok.save_pretrained(tmp)

    return _finish(model.to("cpu"), tokenizer, out_dir, checkpoint_dir, metrics, save)


def _mlm_ids(tokenizer, texts: Sequence[str], max_length: int) -> list[list[int]]:
    return [x for x in encode_texts(tokenizer, [t for t in texts if isinstance(t, str)], max_length) if len(x) > 2]


def mlm_loss(model_dir, texts: Sequence[str], *, max_length: int = 128, batch_size: int = 32, seed: int = 0,
             mlm_probability: float = 0.15) -> dict:
    """Masked-LM loss of ``model_dir`` on ``texts``: mean cross-entropy over the masked positions.

    The masks are those of :func:`mlm_task` for a fixed ``seed``, so two models scored on the same texts with the
    same seed see the same masked positions (a before/after comparison measures the model, not the masks).
    Returns ``{"loss", "texts", "masked"}``.
    """
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    device = loop.configure_torch()
    quiet_transformers()
    model_dir = _check_folder(model_dir, "model_dir")
    with reading_model(model_dir):
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForMaskedLM.from_pretrained(model_dir).to(device)
    return _masked_lm_loss(model, tokenizer, texts, max_length=max_length, batch_size=batch_size, seed=seed,
                           mlm_probability=mlm_probability, device=device)


def _masked_lm_loss(model, tokenizer, texts, *, max_length, batch_size, seed, mlm_probability, device) -> dict:
    """:func:`mlm_loss` of a loaded model (left in eval mode on ``device``)."""
    ids = _mlm_ids(tokenizer, texts, max_length)
    if not ids:
        raise UserError("texts: no non-empty text to measure the masked-LM loss on")
    model.to(device).eval()
    task = mlm_task(model, tokenizer, ids, mlm_probability, seed, device)
    total, count = 0.0, 0
    with torch.inference_mode():
        for step, start in enumerate(range(0, len(ids), batch_size)):
            batch = task.make_batch(np.arange(start, min(start + batch_size, len(ids))), step)
            n = int(batch["targets"].numel())
            if n:
                total += float(task.loss(model, loop.to_device(batch, device))) * n
                count += n
    return {"loss": total / count if count else float("nan"), "texts": len(ids), "masked": count}


def warm_up_mlm_head(model_dir, texts: Sequence[str], out_dir, *, steps: int, learning_rate: float, batch_size: int,
                     max_length: int, seed: int, heldout: Sequence[str] = ()) -> dict:
    """Train only the MLM head of ``model_dir`` (its transform and output bias; the output projection is tied to
    the frozen input embeddings, and the encoder is frozen) for ``steps`` steps on ``texts``.

    For encoders that ship without a pretrained MLM head (multilingual-e5-small): continued MLM (BTF) from a random
    head sends random gradients into the top layers; a head that first learns to read the frozen encoder does not.
    Returns the steps, the final training loss and, with ``heldout`` texts, their MLM loss before and after.
    """
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    device = loop.configure_torch()
    quiet_transformers()
    model_dir = _check_folder(model_dir, "model_dir")
    with reading_model(model_dir):
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        torch.manual_seed(seed)
        model = AutoModelForMaskedLM.from_pretrained(model_dir)
    score = dict(max_length=max_length, batch_size=32, seed=seed, mlm_probability=0.15, device=device)
    before = _masked_lm_loss(model, tokenizer, heldout, **score) if heldout else None
    head = _mlm_head(model)
    if head is None:
        raise UserError(f"{model_dir}: no MLM head to warm up (expected a BERT- or RoBERTa-style masked-LM model)")
    tied = model.get_output_embeddings().weight if model.get_output_embeddings() is not None else None
    for p in model.parameters():
        p.requires_grad_(False)
    for p in head.parameters():
        if tied is None or p is not tied:
            p.requires_grad_(True)
    ids = _mlm_ids(tokenizer, texts, max_length)
    if not ids:
        raise UserError("texts: no non-empty source text to warm the MLM head up on")
    mlm = DEFAULTS["continue_mlm"]  # how BTF's continued MLM logs, checkpoints and computes by default
    settings = loop.Settings(epochs=1.0, max_steps=int(steps), learning_rate=float(learning_rate), warmup_ratio=0.1,
                             weight_decay=0.0, batch_size=int(batch_size), grad_clip=1.0, seed=int(seed),
                             checkpoint_every=mlm["checkpoint_every"], log_every=mlm["log_every"],
                             precision=mlm["precision"])
    task = mlm_task(model, tokenizer, ids, 0.15, seed, device)
    metrics = loop.train(model, task, settings, device=device, checkpoint_dir=None, name="warm_up_mlm_head")
    metrics["trainable_tensors"] = sum(1 for p in model.parameters() if p.requires_grad)
    if heldout:
        after = _masked_lm_loss(model, tokenizer, heldout, **score)
        metrics["heldout_mlm_loss_before"], metrics["heldout_mlm_loss_after"] = before["loss"], after["loss"]
        metrics["heldout_texts"] = after["texts"]
    with atomic_path(out_dir) as tmp:
        model.to("cpu").save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return metrics
