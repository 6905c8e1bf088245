"""GPU utilisation of the training engine at mBERT size: model FLOPs utilisation (MFU) and peak memory.

Runs only when CUDA is available (prints "no GPU" otherwise). A randomly initialised
``bert-base-multilingual-cased``-sized BERT (vocabulary 119,547, hidden 768, 12 layers, 12 heads, FFN 3072)
is trained with the project's loop (bf16 autocast, TF32, fused AdamW, length-grouped dynamic padding, no
per-step host synchronisation) on random token sequences:

* BTF — masked LM, batch 32 × 256 (CLS) and 32 × 128 (CoNLL), embeddings and the bottom 3 layers frozen;
* fine-tuning — sequence classification 32 × 256 and token classification 32 × 128, same freezing.

Model FLOPs count what the step must compute: forward through every layer; backward through the trainable
layers only (2× forward: input and weight gradients), nothing below the frozen bottom; attention
(4·T²·h per layer and sequence forward); MLM logits at the masked positions only (transform + decoder; the
decoder is tied to the frozen embeddings, so its backward is the input gradient only). MFU = model FLOPs per
second / the GPU's dense bf16 peak (H100/H200 SXM 989 TFLOP/s, A100 312; ``--peak-tflops`` to override).

    python benchmarks/gpu_mfu.py [--steps 30] [--warmup 5] [--precision auto|bf16|fp16|fp32] [--accumulation N]

``--precision`` is training.precision (fp16 with the loss scaler, for GPUs without bf16; MFU is then against
the same dense peak); ``--accumulation`` splits each batch into N micro-batches (training.gradient_accumulation_steps).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

PEAKS = {"H100": 989e12, "H200": 989e12, "GH200": 989e12, "A100": 312e12, "L40S": 362e12, "A10": 125e12}
MBERT = dict(vocab_size=119547, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
             intermediate_size=3072, max_position_embeddings=512)


def layer_flops(tokens: int, batch: int, length: int, h: int, ffn: int) -> float:
    """Forward FLOPs of one transformer layer on ``batch`` sequences of ``length`` (``tokens`` = batch·length)."""
    return 2 * tokens * (4 * h * h + 2 * h * ffn) + 4 * batch * length * length * h


def step_flops(batch: int, length: int, frozen: int, layers: int, h: int, ffn: int, vocab: int,
               masked: int | None, head_rows: int = 0, n_labels: int = 0) -> float:
    tokens = batch * length
    per_layer = layer_flops(tokens, batch, length, h, ffn)
    flops = layers * per_layer + (layers - frozen) * 2 * per_layer
    if masked is not None:  # MLM head at the masked positions: transform (trainable) + tied decoder (frozen)
        flops += 2 * masked * (h * h + h * vocab) + 2 * 2 * masked * h * h + 2 * masked * h * vocab
    else:
        flops += 3 * 2 * head_rows * h * n_labels
    return flops


class SyntheticTokenizer:
    """The few tokenizer attributes the MLM collator needs, for an mBERT-sized id space."""

    def __init__(self, vocab: int):
        self.vocab = vocab
        self.pad_token_id, self.unk_token_id, self.cls_token_id, self.sep_token_id = 0, 100, 101, 102
        self.mask_token_id = 103
        self.mask_token = "[MASK]"
        self.all_special_ids = [0, 100, 101, 102, 103]

    def __len__(self):
        return self.vocab

    def convert_tokens_to_ids(self, token):
        return self.mask_token_id


def timed_run(model, task, settings, device, warmup, steps, accumulation=1):
    from xlt.train import loop

    marks = {}

    def make_batch(indices, step):
        if step == warmup:
            if cuda:
                torch.cuda.synchronize()
            marks["start"] = time.perf_counter()
        return task.make_batch(indices, step)

    cuda = device.type == "cuda"
    s = loop.Settings(**{**settings.__dict__, "max_steps": warmup + steps, "log_every": 10**9})
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    loop.train(model, loop.Task(task.lengths, make_batch, task.loss), s, device=device,
               runtime=loop.Runtime(accumulation=accumulation))
    if cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - marks["start"]) / steps, torch.cuda.max_memory_allocated() if cuda else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--frozen", type=int, default=3)
    ap.add_argument("--peak-tflops", type=float, default=None)
    ap.add_argument("--precision", choices=["auto", "bf16", "fp16", "fp32"], default="auto")
    ap.add_argument("--accumulation", type=int, default=1, help="micro-batches per optimizer step")
    ap.add_argument("--smoke", action="store_true", help="a tiny config that also runs on CPU (checks the script)")
    a = ap.parse_args()
    if not torch.cuda.is_available() and not a.smoke:
        print("no GPU: CUDA is not available, nothing to measure")
        return

    from transformers import BertConfig, BertForMaskedLM

    from xlt.models.classifier import XLTClassifier, XLTClassifierConfig
    from xlt.train import api, loop
    from xlt.train.data import WordChunk

    device = loop.configure_torch()
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU (smoke run)"
    by_length = sorted(PEAKS.items(), key=lambda kv: -len(kv[0]))  # "GH200" before "H200"
    peak = a.peak_tflops * 1e12 if a.peak_tflops else next((v for k, v in by_length if k in name), None)
    cfg = BertConfig(**(MBERT if not a.smoke else dict(vocab_size=1200, hidden_size=64, num_hidden_layers=4,
                                                       num_attention_heads=2, intermediate_size=128)))
    h, ffn, layers, vocab = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers, cfg.vocab_size
    settings = loop.Settings(epochs=1.0, max_steps=None, batch_size=a.batch, learning_rate=2e-5, warmup_ratio=0.1,
                             weight_decay=0.01, grad_clip=1.0, seed=0, checkpoint_every=10**9, log_every=10**9,
                             precision=a.precision)
    rng = np.random.default_rng(0)
    n_seq = a.batch * (a.warmup + a.steps)
    rows = []

    def random_ids(length):
        return [[101, *rng.integers(1000, vocab, size=length - 2).tolist(), 102] for _ in range(n_seq)]

    for length in (256, 128):  # BTF (MLM)
        torch.manual_seed(0)
        model = BertForMaskedLM(cfg)
        api.freeze_bottom(model.base_model, a.frozen, True)
        task = api.mlm_task(model, SyntheticTokenizer(vocab), random_ids(length), 0.15, 0, device)
        sec, mem = timed_run(model, task, settings, device, a.warmup, a.steps, a.accumulation)
        masked = int(0.15 * a.batch * (length - 2))
        rows.append((f"BTF masked LM {a.batch}x{length}", sec, mem,
                     step_flops(a.batch, length, a.frozen, layers, h, ffn, vocab, masked)))
        del model, task
        if device.type == "cuda":
            torch.cuda.empty_cache()

    encoder = cfg.to_dict()
    for kind, length, labels in (("sequence", 256, ["neg", "pos"]), ("token", 128, [f"T{i}" for i in range(9)])):
        torch.manual_seed(0)
        model = XLTClassifier(XLTClassifierConfig(encoder=encoder, kind=kind, labels=labels))
        api.freeze_bottom(model.encoder, a.frozen, True)
        ids = random_ids(length)
        task = _sequence_task(ids, rng) if kind == "sequence" else _token_task(ids, rng, WordChunk)
        sec, mem = timed_run(model, task, settings, device, a.warmup, a.steps, a.accumulation)
        rows.append((f"fine-tuning {kind} {a.batch}x{length}", sec, mem,
                     step_flops(a.batch, length, a.frozen, layers, h, ffn, vocab, None,
                                head_rows=a.batch if kind == "sequence" else a.batch * length // 2,
                                n_labels=len(labels))))
        del model, task
        if device.type == "cuda":
            torch.cuda.empty_cache()

    amp = loop.autocast_dtype(device, a.precision)
    print(f"device: {name}; torch {torch.__version__}; precision {a.precision} "
          f"({str(amp).removeprefix('torch.') if amp else 'fp32'}), {a.accumulation} micro-batch(es) per step; "
          "TF32, fused AdamW; "
          f"{'mBERT-size' if not a.smoke else 'tiny (smoke)'} BERT, embeddings + bottom {a.frozen} layers frozen")
    print(f"{'stage':34s} {'s/step':>8s} {'samples/s':>10s} {'TFLOP/s':>8s} {'MFU':>6s} {'peak mem':>9s}")
    for label, sec, mem, flops in rows:
        tflops = flops / sec / 1e12
        mfu = f"{flops / sec / peak:6.1%}" if peak and device.type == "cuda" else "   n/a"
        print(f"{label:34s} {sec:8.3f} {a.batch / sec:10.1f} {tflops:8.1f} {mfu} {mem / 2**30:7.1f}GB")


def _sequence_task(ids, rng):
    from xlt.models.heads import hard_label_ce_loss
    from xlt.train import loop
    from xlt.train.data import pad_ids

    labels = torch.as_tensor(rng.integers(0, 2, size=len(ids)))

    def make_batch(indices, step):
        input_ids, mask = pad_ids([ids[i] for i in indices], 0, 8)
        return {"input_ids": input_ids, "attention_mask": mask, "targets": labels[torch.as_tensor(indices)]}

    def loss(model, b):
        return hard_label_ce_loss(model(b["input_ids"], b["attention_mask"]), b["targets"])

    return loop.Task(np.array([len(x) for x in ids]), make_batch, loss)


def _token_task(ids, rng, WordChunk):
    """Every other sub-token starts a word (about 1.5–2 sub-tokens per word, as in CoNLL)."""
    from xlt.models.heads import hard_label_ce_loss
    from xlt.train import loop
    from xlt.train.data import flat_positions, pad_ids

    chunks = [WordChunk(i, 0, x, list(range(1, len(x) - 1, 2))) for i, x in enumerate(ids)]
    tags = [torch.as_tensor(rng.integers(0, 9, size=c.n_words)) for c in chunks]

    def make_batch(indices, step):
        part = [chunks[i] for i in indices]
        input_ids, mask = pad_ids([c.input_ids for c in part], 0, 8)
        return {"input_ids": input_ids, "attention_mask": mask, "positions": flat_positions(part, input_ids.shape[1]),
                "targets": torch.cat([tags[i] for i in indices])}

    def loss(model, b):
        return hard_label_ce_loss(model(b["input_ids"], b["attention_mask"], b["positions"]), b["targets"])

    return loop.Task(np.array([len(x) for x in ids]), make_batch, loss)


if __name__ == "__main__":
    main()
