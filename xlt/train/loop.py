"""One small, explicit, resumable training loop (plain PyTorch) shared by every training stage.

Per step: take the step's batch (a pure function of seed, epoch and step — see ``xlt.train.data``), move it
to the device, compute the task's loss under the precision's autocast (:func:`autocast_dtype`; bf16 on GPUs by
default), back-propagate, clip the gradient norm, AdamW step (fused kernel), linear warm-up then linear decay of
the learning rate. The running loss stays on the device; the host reads it only every ``log_every`` steps, so
steps queue up without synchronisation.

Gradient accumulation (``Runtime.accumulation = N``) splits each step's batch into N micro-batches, each
forward and backward on its own, their losses weighted by their share of the step's loss terms (examples,
labelled words or masked tokens), so that one optimizer step sees the gradient of the whole batch: the same
training as without accumulation up to float rounding, in about 1/N of the activation memory. fp16 scales the
loss (``torch.amp.GradScaler``) and skips a step whose gradient overflowed.

Resume. Every ``checkpoint_every`` steps the loop writes ``state.pt`` into ``checkpoint_dir`` (atomically):
trainable weights, AdamW and scheduler state, the CPU/CUDA random states, the step, the loss accumulators and
the best-so-far dev score. A run that finds a checkpoint with the same fingerprint (stage, settings, seed,
data, initial model) continues from it; one with another fingerprint starts afresh. Because the batch order
is recomputed from (seed, epoch) and the random states are restored, a run killed at any point and resumed
ends (on CPU, same thread count) with bit-identical weights to an uninterrupted run. Snakemake deletes a
failed job's outputs, so ``checkpoint_dir`` must live outside them; it is emptied after success.

Why not ``transformers.Trainer``: the same model/data/batch trains at least as fast here (see
``benchmarks/train_throughput.py`` and docs/performance.md), MLM logits are computed for the masked positions
only, and exact resume is simple to state and to test when the loop owns batch order and random states.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from xlt.errors import UserError
from xlt.train.checkpoint import (STATE_FILE, load_checkpoint, load_trainable_state, save_checkpoint, tensorboard_writer,
                                  trainable_state)
from xlt.train.data import length_grouped_batches

log = logging.getLogger(__name__)


@dataclass
class Settings:
    """One stage's training settings, all given: their defaults live in the config schema and reach the loop
    through :data:`xlt.train.api.DEFAULTS` (the one table of defaults)."""

    epochs: float
    max_steps: int | None
    learning_rate: float
    warmup_ratio: float
    weight_decay: float
    batch_size: int
    grad_clip: float
    seed: int
    checkpoint_every: int
    log_every: int
    precision: str


@dataclass
class Runtime:
    """How a run is carried out, not what it computes: not part of the checkpoint fingerprint, so a job resumed
    with other values goes on from its checkpoint. ``accumulation``: micro-batches per optimizer step (the batch
    stays ``Settings.batch_size`` examples); ``log_dir``: a folder for TensorBoard curves of loss and learning
    rate (None: none)."""

    accumulation: int = 1
    log_dir: str | None = None


@dataclass
class Task:
    """What a stage trains on: unit lengths (for batching), a batch builder and a loss.

    ``make_batch(indices, step)`` returns CPU tensors; ``loss(model, batch)`` a scalar tensor.
    """

    lengths: np.ndarray
    make_batch: Callable[[np.ndarray, int], dict]
    loss: Callable[[torch.nn.Module, dict], torch.Tensor]
    #: ``micro_batches(indices, step, n)``: the step's batch as n micro-batches, for tasks whose batch is more
    #: than the union of its examples (MLM masks drawn per step); default: make_batch of n slices of indices
    micro_batches: Callable[[np.ndarray, int, int], list[dict]] | None = None


# ------------------------------------------------------------------------------------------- device


def configure_torch() -> torch.device:
    """The device (CUDA when available, with TF32 matmuls) and, if ``XLT_NUM_THREADS`` is set, the CPU threads.

    Without the variable the thread count stays as the caller set it (the workflow scripts set the rule's
    ``threads``; PyTorch's default is the number of cores).
    """
    threads = os.environ.get("XLT_NUM_THREADS")
    if threads:
        try:
            torch.set_num_threads(max(1, int(threads)))
        except ValueError:
            log.warning("ignoring XLT_NUM_THREADS=%r (not an integer)", threads)
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        return torch.device("cuda")
    return torch.device("cpu")


PRECISIONS = ("auto", "bf16", "fp16", "fp32")


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The autocast dtype of ``precision`` on ``device`` (None: no autocast, fp32).

    ``auto``: bf16 on GPUs that support it, else fp32 (on CPU fp32 is faster and exactly reproducible);
    ``bf16`` and ``fp16`` on any device (fp16 trains with a loss scaler); ``fp32``: no autocast (GPUs with TF32
    still use it for matmuls, see :func:`configure_torch`).
    """
    if precision not in PRECISIONS:
        raise UserError(f"hp.precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}")
    bf16_ok = device.type != "cuda" or torch.cuda.is_bf16_supported()
    if precision == "auto":
        return torch.bfloat16 if device.type == "cuda" and bf16_ok else None
    if precision == "bf16" and not bf16_ok:
        raise UserError("hp.precision: bf16 needs a GPU that supports it (Ampere or newer); use fp16 or fp32")
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[precision]


def autocast(device: torch.device, precision: str = "auto"):
    """The autocast context of :func:`autocast_dtype` (a null context for fp32)."""
    dtype = autocast_dtype(device, precision)
    return contextlib.nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


def micro_batches(task: Task, indices: np.ndarray, step: int, n: int) -> list[dict]:
    """The step's batch as at most ``n`` micro-batches (CPU tensors); one batch when ``n`` is 1."""
    n = min(n, len(indices))
    if n <= 1:
        return [task.make_batch(indices, step)]
    if task.micro_batches is not None:
        return task.micro_batches(indices, step, n)
    return [task.make_batch(chunk, step) for chunk in np.array_split(indices, n)]


def loss_terms(batch: dict) -> int:
    """How many terms a batch's mean loss averages: rows of its targets (examples, labelled words, masked tokens)."""
    targets = batch.get("targets")
    return int(targets.shape[0]) if targets is not None else int(batch["input_ids"].shape[0])


def to_device(batch: dict, device: torch.device) -> dict:
    if device.type == "cpu":
        return batch
    return {k: (v.pin_memory().to(device, non_blocking=True) if torch.is_tensor(v) else v) for k, v in batch.items()}


def step_seed(seed: int, step: int, salt: int = 0) -> int:
    """A 63-bit seed for (seed, step): per-step randomness (e.g. MLM masks) without stored state."""
    return int(np.random.SeedSequence([seed, step, salt]).generate_state(1, np.uint64)[0] >> np.uint64(1))


# ----------------------------------------------------------------------------------------- optimiser


def make_optimizer(model: torch.nn.Module, s: Settings, device: torch.device) -> torch.optim.AdamW:
    """AdamW; no weight decay on biases and LayerNorm weights (1-D parameters).

    The fused kernel (CUDA and, since PyTorch 2.4, CPU) is several times faster than the per-tensor loop;
    where a build lacks it the multi-tensor ("foreach") version is used.
    """
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": s.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    try:
        return torch.optim.AdamW(groups, lr=s.learning_rate, betas=(0.9, 0.999), eps=1e-8, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(groups, lr=s.learning_rate, betas=(0.9, 0.999), eps=1e-8, foreach=True)


def linear_schedule(optimizer, total_steps: int, warmup_ratio: float):
    """Linear warm-up over ``warmup_ratio × total`` steps to the peak rate, then linear decay to zero."""
    warmup = int(math.ceil(warmup_ratio * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


# --------------------------------------------------------------------------------------------- train


def train(model: torch.nn.Module, task: Task, s: Settings, *, device: torch.device,
          checkpoint_dir=None, digest: str = "", evaluate: Callable[[torch.nn.Module], float] | None = None,
          name: str = "train", runtime: Runtime | None = None) -> dict:
    """Train ``model`` in place; return metrics. ``evaluate`` (higher is better) selects the best epoch."""
    runtime = runtime or Runtime()
    n = len(task.lengths)
    if n == 0:
        raise ValueError("nothing to train on (no examples)")
    steps_per_epoch = math.ceil(n / s.batch_size)
    total = s.max_steps if s.max_steps else max(1, math.ceil(s.epochs * steps_per_epoch))
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir else None

    model.to(device)
    model.train()
    optimizer = make_optimizer(model, s, device)
    scheduler = linear_schedule(optimizer, total, s.warmup_ratio)
    dtype = autocast_dtype(device, s.precision)
    scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None
    loss_sum = torch.zeros((), device=device)
    window_sum = torch.zeros((), device=device)
    window_count = 0
    history: list[dict] = []
    best = {"score": None, "step": None}
    best_in_memory: dict | None = None
    start = 0

    payload = load_checkpoint(ckpt_dir, digest)
    if payload is not None:
        load_trainable_state(model, payload["trainable"])
        optimizer.load_state_dict(payload["optimizer"])
        scheduler.load_state_dict(payload["scheduler"])
        if scaler is not None and payload.get("scaler"):
            scaler.load_state_dict(payload["scaler"])
        torch.set_rng_state(payload["rng_cpu"])
        if device.type == "cuda" and payload.get("rng_cuda") is not None:
            torch.cuda.set_rng_state_all(payload["rng_cuda"])
        start = payload["step"]
        loss_sum = payload["loss_sum"].to(device)
        window_sum = payload["window_sum"].to(device)
        window_count = payload["window_count"]
        history = payload["history"]
        best = payload["best"]
        log.info("%s: resuming from step %d of %d (checkpoint %s)", name, start, total, ckpt_dir / STATE_FILE)
    else:
        torch.manual_seed(step_seed(s.seed, 0, salt=1))
        log.info("%s: %d steps (%d per epoch), batch %d, %d examples, device %s", name, total, steps_per_epoch,
                 s.batch_size, n, device)
    if runtime.accumulation > 1 or s.precision != "auto":
        log.info("%s: precision %s, %d micro-batches per step", name, s.precision, runtime.accumulation)
    writer = tensorboard_writer(runtime.log_dir, start)

    trainable = [p for p in model.parameters() if p.requires_grad]
    epoch_batches: dict[int, list[np.ndarray]] = {}
    t_start = time.perf_counter()
    t_window, samples_window = t_start, 0
    amp = autocast(device, s.precision)

    for step in range(start, total):
        epoch, index = divmod(step, steps_per_epoch)
        if epoch not in epoch_batches:
            epoch_batches = {epoch: length_grouped_batches(task.lengths, s.batch_size, s.seed, epoch)}
        indices = epoch_batches[epoch][index]
        parts = micro_batches(task, indices, step, runtime.accumulation)
        terms = sum(loss_terms(b) for b in parts) if len(parts) > 1 else 0
        for i, part in enumerate(parts):
            batch = to_device(part, device)
            with amp:
                loss = task.loss(model, batch)
            if len(parts) > 1:  # weighted by its share of the step's loss terms: the mean over the whole batch
                loss = loss * (loss_terms(part) / max(terms, 1))
            (scaler.scale(loss) if scaler is not None else loss).backward()
            detached = loss.detach().float() if i == 0 else detached + loss.detach().float()
        if scaler is not None:
            scaler.unscale_(optimizer)
        if s.grad_clip and s.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(trainable, s.grad_clip)
        if scaler is not None:
            scaler.step(optimizer)  # skipped when the gradient overflowed; the scale is lowered
            scaler.update()
        else:
            optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        loss_sum += detached
        window_sum += detached
        window_count += 1
        samples_window += len(indices)
        done = step + 1

        if done % s.log_every == 0 or done == total:
            mean = window_sum.item() / max(window_count, 1)
            now = time.perf_counter()
            rate = samples_window / max(now - t_window, 1e-9)
            history.append({"step": done, "loss": mean, "lr": scheduler.get_last_lr()[0]})
            log.info("%s: step %d/%d loss %.4f lr %.3g %.1f samples/s", name, done, total, mean,
                     scheduler.get_last_lr()[0], rate)
            if writer is not None:
                writer.add_scalar(f"{name}/loss", mean, done)
                writer.add_scalar(f"{name}/learning_rate", scheduler.get_last_lr()[0], done)
            if done != total:
                window_sum = torch.zeros((), device=device)
                window_count = 0
            t_window, samples_window = now, 0

        if evaluate is not None and (done % steps_per_epoch == 0 or done == total):
            score = float(evaluate(model))
            model.train()
            history.append({"step": done, "dev_score": score})
            log.info("%s: step %d dev score %.4f", name, done, score)
            if writer is not None:
                writer.add_scalar(f"{name}/dev_score", score, done)
            if best["score"] is None or score > best["score"]:
                best = {"score": score, "step": done}
                best_in_memory = trainable_state(model)
                if ckpt_dir is not None:  # pruned when a checkpoint stops referring to older ones
                    save_checkpoint(ckpt_dir / f"best-{done}.pt", best_in_memory)

        if ckpt_dir is not None and done % s.checkpoint_every == 0 and done < total:
            save_checkpoint(ckpt_dir / STATE_FILE, {
                "fingerprint": digest, "step": done, "trainable": trainable_state(model),
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "rng_cpu": torch.get_rng_state(),
                "rng_cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
                "scaler": scaler.state_dict() if scaler is not None else None,
                "loss_sum": loss_sum.cpu(), "window_sum": window_sum.cpu(), "window_count": window_count,
                "history": history, "best": best, "settings": asdict(s),
            })
            for stale in ckpt_dir.glob("best-*.pt"):
                if stale.name != f"best-{best['step']}.pt":
                    stale.unlink(missing_ok=True)
            if writer is not None:
                writer.flush()

    if writer is not None:
        writer.close()
    if evaluate is not None and best["step"] is not None and best["step"] != total:
        state = best_in_memory
        if state is None and ckpt_dir is not None:
            state = torch.load(ckpt_dir / f"best-{best['step']}.pt", map_location="cpu", weights_only=True)
        load_trainable_state(model, state)
        log.info("%s: selected the model of step %d (dev score %.4f)", name, best["step"], best["score"])
    model.eval()
    seconds = time.perf_counter() - t_start
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    n_frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    return {
        "steps": total,
        "steps_per_epoch": steps_per_epoch,
        "epochs": total / steps_per_epoch,
        "examples": n,
        "final_loss": window_sum.item() / max(window_count, 1),
        "mean_loss": loss_sum.item() / max(total, 1),
        "trainable_parameters": int(n_trainable),
        "frozen_parameters": int(n_frozen),
        "resumed_from_step": start,
        "selected_step": best["step"] if evaluate is not None else total,
        "dev_score": best["score"],
        "history": history,
        "seconds": round(seconds, 3),
        "device": str(device),
    }
