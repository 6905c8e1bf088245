"""The training stages the workflow calls: BTF (MLM), fine-tuning, prediction, soft- and hard-label training.

Paper mapping (Sections 3.1, 3.2, 4.2):

* :func:`continue_mlm` — Bilingual Task Fitting, step 1: continue masked-LM pre-training on the mixed
  source/target task corpus (15 % masking) with the embeddings and the bottom 3 layers frozen; AdamW, linear
  warm-up ratio 0.1, peak rate 2e-5, batch 32. Output: the "Base Model" (an MLM folder).
* :func:`finetune` — BTF step 2: fine-tune on the labelled source-language data (plain head).
* :func:`predict_probs` — the teacher's probabilities on unlabelled target data (soft labels, Eq. 1) and the
  probabilities Eq. 4 and the threshold selection work on.
* :func:`train_soft` — the student restored from the Base Model with a NEW head (Voters Module or plain),
  trained with MSE against the teacher's probabilities (Eq. 1).
* :func:`train_hard` — the soft student trained further with cross-entropy on hard labels (Eq. 2).

Every function takes ``hp`` (a dict of training settings, checked here; unknown keys are an error), a seed
(same seed → same weights and predictions), a ``checkpoint_dir`` to resume from after a crash and, optionally,
a :class:`xlt.train.loop.Runtime` (gradient accumulation, TensorBoard folder: how to run, not what to compute).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from xlt.config import stage_defaults
from xlt.errors import UserError
from xlt.io import atomic_path
from xlt.models.classifier import KINDS, XLTClassifier, load_classifier, new_classifier, save_classifier
from xlt.models.files import reading_model
from xlt.models.heads import hard_label_ce_loss, soft_label_mse_loss, voter_widths
from xlt.models.providers import quiet_transformers
from xlt.train import loop
from xlt.train.data import (IGNORE, encode_texts, encode_words, flat_positions, inference_batches, pad_ids)

log = logging.getLogger(__name__)

__all__ = ["continue_mlm", "warm_up_mlm_head", "mlm_loss", "finetune", "predict_probs", "train_soft", "train_hard",
           "load_classifier", "DEFAULTS"]

# ------------------------------------------------------------------------------------------- settings

#: Settings a workflow step reads itself rather than the engine (the hard step's class balance, BTF's held-out texts).
STEP_KEYS = ("balance", "heldout_texts")

#: Defaults of every stage's ``hp``: the config schema's defaults (xlt/schemas/config.schema.yaml, the one table
#: of defaults), plus ``log_every``, how often the loop logs its running loss.
DEFAULTS = {stage: {**{k: v for k, v in hp.items() if k not in STEP_KEYS}, "log_every": 50}
            for stage, hp in stage_defaults().items()}


def _check_hp(hp: dict | None, stage: str) -> dict:
    defaults = DEFAULTS[stage]
    hp = dict(hp or {})
    unknown = sorted(set(hp) - set(defaults))
    if unknown:
        raise UserError(f"hp.{unknown[0]}: not a setting of {stage} (known: {', '.join(sorted(defaults))})")
    out = {**defaults, **{k: v for k, v in hp.items() if v is not None or k == "max_steps"}}

    def need(key, ok, what):
        if not ok(out[key]):
            raise UserError(f"hp.{key}: expected {what}, got {out[key]!r}")

    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    def is_num(v):
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)

    need("epochs", lambda v: is_num(v) and v > 0, "a positive number")
    need("max_steps", lambda v: v is None or (is_int(v) and v > 0), "null or a positive integer")
    need("learning_rate", lambda v: is_num(v) and v > 0, "a positive number")
    need("warmup_ratio", lambda v: is_num(v) and 0 <= v < 1, "a number in [0, 1)")
    need("weight_decay", lambda v: is_num(v) and v >= 0, "a number ≥ 0")
    need("grad_clip", lambda v: is_num(v) and v >= 0, "a number ≥ 0 (0 = no clipping)")
    for key in ("batch_size", "checkpoint_every", "log_every"):
        need(key, lambda v: is_int(v) and v > 0, "a positive integer")
    need("max_length", lambda v: is_int(v) and v >= 8, "an integer ≥ 8")
    need("frozen_layers", lambda v: is_int(v) and v >= 0, "an integer ≥ 0")
    need("freeze_embeddings", lambda v: isinstance(v, bool), "true or false")
    if "mlm_probability" in out:
        need("mlm_probability", lambda v: is_num(v) and 0 < v < 1, "a number in (0, 1)")
    if "selection" in out:
        need("selection", lambda v: v in ("last", "dev"), "'last' or 'dev'")
    if "pooling" in out:
        need("pooling", lambda v: v in ("cls", "mean"), "'cls' or 'mean'")
    if "head_dropout" in out:
        need("head_dropout", lambda v: is_num(v) and 0 <= v < 1, "a number in [0, 1)")
    need("precision", lambda v: v in loop.PRECISIONS, f"one of {', '.join(loop.PRECISIONS)}")
    return out


def _settings(hp: dict, seed: int) -> loop.Settings:
    return loop.Settings(epochs=float(hp["epochs"]), max_steps=hp["max_steps"],
                         learning_rate=float(hp["learning_rate"]), warmup_ratio=float(hp["warmup_ratio"]),
                         weight_decay=float(hp["weight_decay"]), batch_size=int(hp["batch_size"]),
                         grad_clip=float(hp["grad_clip"]), checkpoint_every=int(hp["checkpoint_every"]),
                         log_every=int(hp["log_every"]), seed=int(seed), precision=hp["precision"])


def _runtime(runtime: loop.Runtime | None) -> loop.Runtime:
    runtime = runtime or loop.Runtime()
    if not isinstance(runtime.accumulation, int) or isinstance(runtime.accumulation, bool) or runtime.accumulation < 1:
        raise UserError(f"training.gradient_accumulation_steps: expected a positive integer, got {runtime.accumulation!r}")
    return runtime


# ------------------------------------------------------------------------------------------ freezing


def freeze_bottom(encoder, frozen_layers: int, freeze_embeddings: bool) -> list[str]:
    """Freeze the embeddings and/or the bottom ``frozen_layers`` transformer layers of a BERT-like encoder.

    Paper, Section 4.2 (after Wu and Dredze, 2019): "the parameters of its embedding layer and the bottom
    three transformer layers are frozen". With tied MLM weights the output projection is the embedding
    matrix and stays frozen with it. Returns the frozen parameter names (relative to ``encoder``).
    """
    layers = encoder.encoder.layer
    if frozen_layers > len(layers):
        raise UserError(f"hp.frozen_layers: the model has {len(layers)} layers, cannot freeze {frozen_layers}")
    modules = [encoder.embeddings] if freeze_embeddings else []
    modules += list(layers[:frozen_layers])
    for module in modules:
        for p in module.parameters():
            p.requires_grad_(False)
    return [n for n, p in encoder.named_parameters() if not p.requires_grad]


# --------------------------------------------------------------------------------------- digests


def _digest_data(*objs) -> str:
    h = hashlib.sha256()
    for obj in objs:
        if isinstance(obj, np.ndarray):
            h.update(np.ascontiguousarray(obj).tobytes())
        elif isinstance(obj, list) and obj and isinstance(obj[0], np.ndarray):
            for a in obj:
                h.update(np.ascontiguousarray(a).tobytes())
        else:
            h.update(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def _folder_signature(folder) -> list:
    folder = Path(folder)
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file())


def _check_folder(path, what: str) -> Path:
    path = Path(path)
    if not (path / "config.json").is_file():
        raise UserError(f"{what}: {path} is not a model folder (no config.json)")
    return path


# ------------------------------------------------------------------------------------- example checks


def _texts(examples: Sequence[dict], where: str) -> list[str]:
    out = []
    for i, ex in enumerate(examples):
        text = ex.get("text") if isinstance(ex, dict) else None
        if not isinstance(text, str):
            raise UserError(f"{where}[{i}].text: expected a string")
        out.append(text)
    return out


def _sentences(examples: Sequence[dict], where: str) -> list[list[str]]:
    out = []
    for i, ex in enumerate(examples):
        tokens = ex.get("tokens") if isinstance(ex, dict) else None
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise UserError(f"{where}[{i}].tokens: expected a list of strings")
        out.append(tokens)
    return out


def _sequence_labels(examples: Sequence[dict], n_labels: int, where: str) -> np.ndarray:
    out = np.empty(len(examples), dtype=np.int64)
    for i, ex in enumerate(examples):
        label = ex.get("label")
        if not isinstance(label, (int, np.integer)) or isinstance(label, bool) or not 0 <= label < n_labels:
            raise UserError(f"{where}[{i}].label: expected an integer in 0..{n_labels - 1}, got {label!r}")
        out[i] = label
    return out


def _word_labels(examples: Sequence[dict], labels: list[str], where: str) -> list[list[int]]:
    index = {name: i for i, name in enumerate(labels)}
    out = []
    for i, ex in enumerate(examples):
        tags = ex.get("tags")
        if not isinstance(tags, list) or len(tags) != len(ex["tokens"]):
            raise UserError(f"{where}[{i}].tags: expected a list as long as tokens ({len(ex['tokens'])})")
        row = []
        for j, tag in enumerate(tags):
            if tag is None:
                row.append(IGNORE)
            elif tag in index:
                row.append(index[tag])
            else:
                raise UserError(f"{where}[{i}].tags[{j}]: {tag!r} is not one of the labels {labels}")
        out.append(row)
    return out


# ------------------------------------------------------------------------------------------ tasks


def _pad_multiple(device: torch.device) -> int:
    return 8 if device.type == "cuda" else 1


def _sequence_task(tokenizer, texts: list[str], targets: np.ndarray, max_length: int, soft: bool,
                   device: torch.device) -> loop.Task:
    ids = encode_texts(tokenizer, texts, max_length)
    pad, multiple = tokenizer.pad_token_id, _pad_multiple(device)
    target_tensor = torch.as_tensor(targets, dtype=torch.float32 if soft else torch.long)
    loss_fn = soft_label_mse_loss if soft else hard_label_ce_loss

    def make_batch(indices, step):
        input_ids, mask = pad_ids([ids[i] for i in indices], pad, multiple)
        return {"input_ids": input_ids, "attention_mask": mask,
                "targets": target_tensor[torch.as_tensor(indices, dtype=torch.long)]}

    def loss(model, b):
        return loss_fn(model(b["input_ids"], b["attention_mask"]), b["targets"])

    return loop.Task(np.array([len(x) for x in ids]), make_batch, loss)


def _token_task(tokenizer, sentences: list[list[str]], word_targets: list, max_length: int, soft: bool,
                device: torch.device) -> loop.Task:
    """``word_targets[s]``: per-word label ids (hard, -100 = ignored) or probabilities [n_words, C] (soft)."""
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

    loss_fn = soft_label_mse_loss if soft else hard_label_ce_loss

    def loss(model, b):
        return loss_fn(model(b["input_ids"], b["attention_mask"], b["positions"]), b["targets"])

    return loop.Task(np.array([len(c.input_ids) for c in kept]), make_batch, loss)


# -------------------------------------------------------------------------------------- prediction


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


# ------------------------------------------------------------------------------------------ stages


def _finish(model, tokenizer, out_dir, checkpoint_dir, metrics: dict, save) -> dict:
    save(model, tokenizer, out_dir)
    loop.clear_checkpoints(checkpoint_dir)
    log.info("wrote %s (%d steps, final loss %.4f)", out_dir, metrics["steps"], metrics["final_loss"])
    return metrics


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
    digest = loop.fingerprint(stage="continue_mlm", hp=hp, seed=seed, init=_folder_signature(base_dir),
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


def finetune(base_dir, examples: Sequence[dict], *, kind: str, labels: list[str], out_dir, hp: dict, seed: int,
             checkpoint_dir, dev_examples: Sequence[dict] | None = None, runtime: loop.Runtime | None = None) -> dict:
    """BTF step 2: fine-tune ``base_dir`` (MLM or encoder folder) with a plain head on labelled examples.

    Sequence examples ``{"text", "label": int}``; token examples ``{"tokens", "tags": [str]}``. Model
    selection ``hp["selection"]``: ``"last"`` keeps the last step, ``"dev"`` the epoch with the best dev
    accuracy (sequence) or seqeval entity F1 (token) on ``dev_examples``.
    """
    hp = _check_hp(hp, "finetune")
    if kind not in KINDS:
        raise UserError(f"kind: expected one of {KINDS}, got {kind!r}")
    if hp["selection"] == "dev" and not dev_examples:
        raise UserError("hp.selection: 'dev' needs dev_examples (none were given)")
    device = loop.configure_torch()
    base_dir = _check_folder(base_dir, "base_dir")
    model, tokenizer = new_classifier(base_dir, kind=kind, labels=list(labels), n_voters=1,
                                      head_dropout=hp["head_dropout"], pooling=hp["pooling"], seed=seed)
    freeze_bottom(model.encoder, hp["frozen_layers"], hp["freeze_embeddings"])
    task = _hard_task(tokenizer, examples, kind, list(labels), hp["max_length"], device)
    evaluate = None
    if hp["selection"] == "dev":
        evaluate = _dev_evaluator(tokenizer, list(dev_examples), kind, list(labels), max(hp["batch_size"], 32),
                                  hp["max_length"], device)
    digest = loop.fingerprint(stage="finetune", hp=hp, seed=seed, kind=kind, labels=list(labels),
                              init=_folder_signature(base_dir), data=_digest_data(list(examples)),
                              dev=_digest_data(list(dev_examples or [])))
    metrics = loop.train(model, task, _settings(hp, seed), device=device, checkpoint_dir=checkpoint_dir,
                         digest=digest, evaluate=evaluate, name="finetune", runtime=_runtime(runtime))
    return _finish(model.to("cpu"), tokenizer, out_dir, checkpoint_dir, metrics, save_classifier)


def _hard_task(tokenizer, examples, kind: str, labels: list[str], max_length: int, device) -> loop.Task:
    if not examples:
        raise UserError("examples: no training examples")
    if kind == "sequence":
        texts = _texts(examples, "examples")
        return _sequence_task(tokenizer, texts, _sequence_labels(examples, len(labels), "examples"), max_length,
                              False, device)
    sentences = _sentences(examples, "examples")
    return _token_task(tokenizer, sentences, _word_labels(examples, labels, "examples"), max_length, False, device)


def train_soft(init_dir, examples: Sequence[dict], teacher_probs, *, kind: str, labels: list[str], n_voters: int,
               voter_offsets: Sequence[int] | None, out_dir, hp: dict, seed: int, checkpoint_dir,
               runtime: loop.Runtime | None = None) -> dict:
    """Eq. 1: a student restored from the Base Model ``init_dir`` with a new head (``n_voters`` voters, or the
    plain head when 1) learns the teacher's probabilities by MSE. Voter i is the encoder's hidden size plus
    ``voter_offsets[i]`` wide (:func:`xlt.models.heads.voter_widths`; ``self_training.voters.size_offsets``).

    ``teacher_probs``: ``[N, C]`` (sequence) or a list of ``[n_words, C]`` (token) — for a teacher with
    voters, the mean of its voters (:func:`xlt.selftrain.voters.soft_labels`).
    """
    hp = _check_hp(hp, "train_soft")
    if kind not in KINDS:
        raise UserError(f"kind: expected one of {KINDS}, got {kind!r}")
    if not isinstance(n_voters, int) or n_voters < 1:
        raise UserError(f"n_voters: expected a positive integer, got {n_voters!r}")
    if not examples:
        raise UserError("examples: no training examples")
    device = loop.configure_torch()
    init_dir = _check_folder(init_dir, "init_dir")
    n_labels = len(labels)
    if kind == "sequence":
        texts = _texts(examples, "examples")
        targets = np.asarray(teacher_probs, dtype=np.float32)
        if targets.shape != (len(texts), n_labels):
            raise UserError(f"teacher_probs: expected shape [{len(texts)}, {n_labels}], got {list(targets.shape)} "
                            "(average a teacher's voters with xlt.selftrain.voters.soft_labels)")
    else:
        texts = _sentences(examples, "examples")
        if len(teacher_probs) != len(texts):
            raise UserError(f"teacher_probs: expected one array per sentence ({len(texts)}), got {len(teacher_probs)}")
        targets = [np.asarray(t, dtype=np.float32) for t in teacher_probs]
        for i, (t, s) in enumerate(zip(targets, texts)):
            if t.shape != (len(s), n_labels):
                raise UserError(f"teacher_probs[{i}]: expected shape [{len(s)}, {n_labels}], got {list(t.shape)}")
    voter_sizes = None
    if n_voters > 1:
        from transformers import AutoConfig

        with reading_model(init_dir):
            hidden = AutoConfig.from_pretrained(init_dir).hidden_size
        try:
            voter_sizes = voter_widths(hidden, voter_offsets or [], n_voters)
        except ValueError as err:
            raise UserError(f"self_training.voters.size_offsets: {err}") from None
    model, tokenizer = new_classifier(init_dir, kind=kind, labels=list(labels), n_voters=n_voters,
                                      voter_sizes=voter_sizes, head_dropout=hp["head_dropout"],
                                      pooling=hp["pooling"], seed=seed)
    freeze_bottom(model.encoder, hp["frozen_layers"], hp["freeze_embeddings"])
    if kind == "sequence":
        task = _sequence_task(tokenizer, texts, targets, hp["max_length"], True, device)
    else:
        task = _token_task(tokenizer, texts, targets, hp["max_length"], True, device)
    digest = loop.fingerprint(stage="train_soft", hp=hp, seed=seed, kind=kind, labels=list(labels),
                              n_voters=n_voters, voter_sizes=voter_sizes, init=_folder_signature(init_dir),
                              data=_digest_data(list(examples), targets))
    metrics = loop.train(model, task, _settings(hp, seed), device=device, checkpoint_dir=checkpoint_dir,
                         digest=digest, name="train_soft", runtime=_runtime(runtime))
    return _finish(model.to("cpu"), tokenizer, out_dir, checkpoint_dir, metrics, save_classifier)


def train_hard(init_dir, examples: Sequence[dict], *, kind: str, out_dir, hp: dict, seed: int,
               checkpoint_dir, runtime: loop.Runtime | None = None) -> dict:
    """Eq. 2: continue training the classifier in ``init_dir`` (its heads and labels) with cross-entropy.

    Sequence examples ``{"text", "label": int}``; token examples ``{"tokens", "tags"}`` where a tag may be
    None (that word is ignored). Every voter is trained on the labels; the losses are averaged.
    """
    hp = _check_hp(hp, "train_hard")
    device = loop.configure_torch()
    init_dir = _check_folder(init_dir, "init_dir")
    torch.manual_seed(seed)
    model, tokenizer, meta = load_classifier(init_dir)
    if meta["kind"] != kind:
        raise UserError(f"kind: {init_dir} is a {meta['kind']} classifier, not {kind}")
    freeze_bottom(model.encoder, hp["frozen_layers"], hp["freeze_embeddings"])
    task = _hard_task(tokenizer, examples, kind, meta["labels"], hp["max_length"], device)
    digest = loop.fingerprint(stage="train_hard", hp=hp, seed=seed, kind=kind, init=_folder_signature(init_dir),
                              data=_digest_data(list(examples)))
    metrics = loop.train(model, task, _settings(hp, seed), device=device, checkpoint_dir=checkpoint_dir,
                         digest=digest, name="train_hard", runtime=_runtime(runtime))
    return _finish(model.to("cpu"), tokenizer, out_dir, checkpoint_dir, metrics, save_classifier)
