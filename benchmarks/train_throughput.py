"""Training-step throughput: the project's loop (xlt.train.loop) against transformers.Trainer.

Same model weights, same examples, same batch size, same optimiser settings, both with length-grouped
batches and dynamic padding, in one process, one after the other. Two stages:

* fine-tuning (sequence classification, the plain head, cross-entropy), and
* Bilingual Task Fitting (masked LM, 15 % masking, embeddings + bottom layer frozen) — the engine computes
  vocabulary logits at the masked positions only, the Trainer path is the standard BertForMaskedLM loss.

Each side runs ``warmup + steps`` steps; the clock covers the last ``steps`` (start-up costs excluded). The
two sides alternate ``repeats`` times and each keeps its fastest run (the machine may be shared). Texts: CLS
German book reviews when present (``../shared/data/cls/...``), else generated sentences.

    python benchmarks/train_throughput.py [--threads 1] [--repeats 3] [--steps 20] [--batch 32]
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import random
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

REVIEWS = ROOT.parent / "shared" / "data" / "cls" / "cls-acl10-unprocessed" / "de" / "books" / "train.review"


def load_reviews(path: Path, n: int) -> tuple[list[str], list[int], str]:
    if path.is_file():
        items = ET.parse(path).getroot().iter("item")
        rows = [((it.findtext("text") or "").strip(), float(it.findtext("rating") or 0)) for it in items]
        rows = [(t, r) for t, r in rows if t][:n]
        return [t for t, _ in rows], [int(r > 3) for _, r in rows], f"CLS de/books reviews ({path})"
    rng = random.Random(0)
    words = "das Buch war sehr gut schlecht spannend langweilig und der Autor schreibt eine Geschichte".split()
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(10, 200))) for _ in range(n)]
    return texts, [i % 2 for i in range(n)], "generated sentences (CLS data not found)"


def time_engine(model, task, settings, device, warmup, steps):
    """Seconds for steps warmup+1 … warmup+steps of one run (clock starts when step warmup+1 fetches its batch)."""
    from xlt.train import loop

    marks = {}

    def make_batch(indices, step):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            marks["start"] = time.perf_counter()
        return task.make_batch(indices, step)

    timed = loop.Task(task.lengths, make_batch, task.loss)
    s = loop.Settings(**{**settings.__dict__, "max_steps": warmup + steps, "log_every": 10**9})
    loop.train(copy.deepcopy(model), timed, s, device=device)  # ends with a host read of the loss: synchronised
    return time.perf_counter() - marks["start"]


def time_trainer(model, dataset, collator, compute_loss, args_kwargs, warmup, steps, workdir):
    """The same window for transformers.Trainer, measured by a callback."""
    from transformers import Trainer, TrainerCallback, TrainingArguments

    marks = {}

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == warmup:
                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                marks["start"] = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == warmup + steps:
                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                marks["end"] = time.perf_counter()

    class LossTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            return compute_loss(model, inputs)

    args = TrainingArguments(output_dir=str(workdir), max_steps=warmup + steps, **args_kwargs)
    trainer = (LossTrainer if compute_loss else Trainer)(model=copy.deepcopy(model), args=args, train_dataset=dataset,
                                                         data_collator=collator, callbacks=[Clock()])
    trainer.train()
    return marks["end"] - marks["start"]


def best_of(repeats, *measure):
    """Alternate the engine and the Trainer ``repeats`` times; keep each one's fastest time (a shared machine)."""
    times = [[] for _ in measure]
    for _ in range(repeats):
        for i, fn in enumerate(measure):
            times[i].append(fn())
    return [min(t) for t in times]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reviews", type=Path, default=REVIEWS)
    ap.add_argument("--n", type=int, default=512, help="training texts")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs per side; the fastest counts")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=8000)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("XLT_NUM_THREADS", "2")))
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    from transformers import AutoModelForMaskedLM, AutoTokenizer, DataCollatorForLanguageModeling
    from transformers.utils import logging as hf_logging

    from xlt.models.classifier import new_classifier
    from xlt.models.heads import hard_label_ce_loss
    from xlt.models.providers import build_tiny_model, quiet_transformers
    from xlt.train import api, batches, loop
    from xlt.train.data import encode_texts

    quiet_transformers()
    hf_logging.set_verbosity_error()
    texts, labels, source = load_reviews(a.reviews, a.n)
    device = loop.configure_torch()
    work = Path(tempfile.mkdtemp(prefix="xlt-bench-"))
    build_tiny_model(work / "base", texts, vocab_size=a.vocab, hidden_size=a.hidden, num_layers=a.layers,
                     num_heads=max(1, a.hidden // 64), intermediate_size=4 * a.hidden, max_position=512, seed=0)
    tokenizer = AutoTokenizer.from_pretrained(work / "base")
    ids = encode_texts(tokenizer, texts, a.max_length)
    lengths = np.array([len(x) for x in ids])
    settings = loop.Settings(epochs=1.0, max_steps=None, batch_size=a.batch, learning_rate=2e-5, warmup_ratio=0.1,
                             weight_decay=0.01, grad_clip=1.0, seed=0, checkpoint_every=10**9, log_every=10**9,
                             precision="auto")
    common = dict(per_device_train_batch_size=a.batch, learning_rate=2e-5, warmup_steps=0.1, weight_decay=0.01,
                  max_grad_norm=1.0, lr_scheduler_type="linear", train_sampling_strategy="group_by_length",
                  logging_strategy="no", save_strategy="no", report_to="none", disable_tqdm=True,
                  dataloader_num_workers=0, remove_unused_columns=False, use_cpu=device.type == "cpu",
                  bf16=device.type == "cuda", seed=0)
    rows = []

    # fine-tuning: XLTClassifier with the plain head
    model, _ = new_classifier(work / "base", kind="sequence", labels=["neg", "pos"], seed=0)
    api.freeze_bottom(model.encoder, 0, False)
    task = batches._sequence_task(tokenizer, texts, np.array(labels), a.max_length, None, device)
    dataset = [{"input_ids": x, "labels": y} for x, y in zip(ids, labels)]

    def pad_classification(batch):
        from xlt.train.data import pad_ids

        input_ids, mask = pad_ids([b["input_ids"] for b in batch], tokenizer.pad_token_id)
        return {"input_ids": input_ids, "attention_mask": mask, "labels": torch.tensor([b["labels"] for b in batch])}

    t_engine, t_trainer = best_of(
        a.repeats,
        lambda: time_engine(model, task, settings, device, a.warmup, a.steps),
        lambda: time_trainer(model, dataset, pad_classification,
                             lambda m, b: hard_label_ce_loss(m(b["input_ids"], b["attention_mask"]), b["labels"]),
                             common, a.warmup, a.steps, work / "trainer"))
    rows.append(("fine-tuning (sequence cls)", t_engine, t_trainer))

    # BTF: masked LM, embeddings and the bottom layer frozen
    mlm = AutoModelForMaskedLM.from_pretrained(work / "base")
    api.freeze_bottom(mlm.base_model, min(1, a.layers - 1), True)
    task = api.mlm_task(mlm, tokenizer, ids, 0.15, 0, device)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, seed=0)
    t_engine, t_trainer = best_of(
        a.repeats,
        lambda: time_engine(mlm, task, settings, device, a.warmup, a.steps),
        lambda: time_trainer(mlm, [{"input_ids": x} for x in ids], collator, None, common, a.warmup, a.steps,
                             work / "trainer-mlm"))
    rows.append((f"BTF masked LM (vocab {len(tokenizer)})", t_engine, t_trainer))

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch threads "
          f"{torch.get_num_threads()}, device {device}"
          + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else ""))
    print(f"data: {len(texts)} texts from {source}; sub-tokens per text mean {lengths.mean():.0f}, "
          f"max {lengths.max()} (cut at {a.max_length})")
    print(f"model: BERT hidden {a.hidden}, {a.layers} layers, vocab {len(tokenizer)}; batch {a.batch}; "
          f"{a.steps} timed steps after {a.warmup} warm-up steps")
    print(f"{'stage':34s} {'engine samples/s':>17s} {'Trainer samples/s':>18s} {'ratio':>7s}")
    for name, te, tt in rows:
        se, st = a.steps * a.batch / te, a.steps * a.batch / tt
        print(f"{name:34s} {se:17.1f} {st:18.1f} {se / st:6.2f}x")


if __name__ == "__main__":
    main()
