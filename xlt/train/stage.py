"""What every training stage shares: its settings (defaults from the config schema, checked), the frozen
layers, the checks of its examples and the fingerprint of its inputs (see :mod:`xlt.train.api`)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from xlt.config import stage_defaults
from xlt.errors import UserError
from xlt.models.heads import SOFT_LOSSES
from xlt.train import loop
from xlt.train.checkpoint import clear_checkpoints
from xlt.train.data import IGNORE

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)


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
    if "loss" in out:
        need("loss", lambda v: v in SOFT_LOSSES, f"one of {', '.join(SOFT_LOSSES)}")
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


def _finish(model, tokenizer, out_dir, checkpoint_dir, metrics: dict, save) -> dict:
    save(model, tokenizer, out_dir)
    clear_checkpoints(checkpoint_dir)
    log.info("wrote %s (%d steps, final loss %.4f)", out_dir, metrics["steps"], metrics["final_loss"])
    return metrics
