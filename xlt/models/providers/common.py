"""What every provider shares: quiet transformers, special tokens, cutting layers, trimming the vocabulary
to the pieces a corpus uses, and the saved MLM folder (see :mod:`xlt.models.providers`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from xlt.errors import UserError
from xlt.io import atomic_path


log = logging.getLogger(__name__)

#: Special tokens of the tiny models (BERT names).
TINY_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
#: Special tokens of XLM-R / multilingual-e5 in their id order 0, 1, 2, 3 (``<mask>`` is the last id).
XLMR_SPECIALS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}



def quiet_transformers() -> None:
    """Silence transformers' progress bars and load reports (they would flood the workflow logs)."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def _check_model_folder(folder: Path, what: str) -> None:
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(folder)
    except Exception as err:
        raise UserError(f"{what}: {folder} is not a transformers model folder ({type(err).__name__})") from None
    if not any(folder.glob("*.safetensors")) and not any(folder.glob("*.bin")):
        raise UserError(f"{what}: {folder} holds no weights (*.safetensors or *.bin)")


def cut_layers(model, layers: int) -> None:
    """Keep only the first ``layers`` transformer layers of a BERT-like model (in place)."""
    import torch.nn as nn

    base = model.base_model
    stack = base.encoder.layer
    if not isinstance(layers, int) or not 1 <= layers <= len(stack):
        raise UserError(f"model.layers: expected an integer in 1..{len(stack)}, got {layers!r}")
    base.encoder.layer = nn.ModuleList(list(stack)[:layers])
    model.config.num_hidden_layers = layers
    if hasattr(base, "config"):
        base.config.num_hidden_layers = layers


def _remap_post_processor(node, remap: dict[int, int]):
    """Rewrite the token ids inside a tokenizers post-processor JSON (Template/Bert/Roberta/Sequence)."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "TemplateProcessing":
            for spec in node.get("special_tokens", {}).values():
                spec["ids"] = [remap[i] for i in spec["ids"]]
            return node
        if kind in ("BertProcessing", "RobertaProcessing"):
            for key in ("sep", "cls"):
                if key in node:
                    node[key] = [node[key][0], remap[node[key][1]]]
            return node
        if kind == "Sequence":
            node["processors"] = [_remap_post_processor(p, remap) for p in node["processors"]]
        return node
    return node


def _special_kwargs(tokenizer) -> dict:
    names = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
    kwargs = {n: getattr(tokenizer, n) for n in names if getattr(tokenizer, n, None) is not None}
    max_len = getattr(tokenizer, "model_max_length", None)
    if isinstance(max_len, int) and max_len < 1_000_000:
        kwargs["model_max_length"] = max_len
    return kwargs


def _encode_ids(backend, texts: Sequence[str], chunk: int = 4096) -> list[list[int]]:
    out: list[list[int]] = []
    for start in range(0, len(texts), chunk):
        out.extend(e.ids for e in backend.encode_batch(list(texts[start:start + chunk]), add_special_tokens=False))
    return out


def trim_tokenizer(tokenizer, texts: Iterable[str]):
    """Return ``(trimmed_tokenizer, keep_ids)``: only the pieces ``texts`` use, plus every added token.

    ``keep_ids`` (ascending old ids) maps new id ``i`` to old id ``keep_ids[i]``, so the embedding rows to keep
    are ``weight[keep_ids]``. The corpus' tokenisation is unchanged (checked here, not assumed):

    * Unigram (SentencePiece/XLM-R) picks the highest-scoring segmentation; every piece of the chosen
      segmentations is kept, so the optimum is still available and nothing new can beat it. The unknown-
      character penalty is ``min(score) - 10``, so the lowest-scoring piece is kept to leave it unchanged.
    * WordPiece picks the longest matching piece at each position; the chosen ones are kept and every
      removed one that could match there is shorter, so the choice is the same.

    BPE tokenizers are refused (merges would need rewriting).
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    texts = [t for t in texts if t]
    backend = tokenizer.backend_tokenizer
    spec = json.loads(backend.to_str())
    model = spec["model"]
    kind = model.get("type")
    if kind not in ("Unigram", "WordPiece"):
        raise UserError(f"model.trim_vocab: only Unigram and WordPiece tokenizers can be trimmed, this one is {kind}")
    old_ids = _encode_ids(backend, texts)
    used = {i for ids in old_ids for i in ids}
    used |= {t["id"] for t in spec.get("added_tokens", [])}
    if kind == "Unigram":
        scores = np.array([s for _, s in model["vocab"]], dtype=np.float64)
        used.add(int(np.argmin(scores)))
        if model.get("unk_id") is not None:
            used.add(model["unk_id"])
    else:
        used.add(model["vocab"][model["unk_token"]])
    keep = np.array(sorted(used), dtype=np.int64)
    remap = {int(old): new for new, old in enumerate(keep)}
    if kind == "Unigram":
        model["vocab"] = [model["vocab"][int(i)] for i in keep]
        if model.get("unk_id") is not None:
            model["unk_id"] = remap[model["unk_id"]]
    else:
        model["vocab"] = {tok: remap[i] for tok, i in model["vocab"].items() if i in remap}
    for tok in spec.get("added_tokens", []):
        tok["id"] = remap[tok["id"]]
    if spec.get("post_processor"):
        spec["post_processor"] = _remap_post_processor(spec["post_processor"], remap)
    new_backend = Tokenizer.from_str(json.dumps(spec))
    new_ids = _encode_ids(new_backend, texts)
    for n, (a, b) in enumerate(zip(old_ids, new_ids)):
        if [remap[i] for i in a] != b:
            raise RuntimeError(f"vocabulary trimming changed the tokenisation of text {n}: {texts[n][:80]!r}")
    trimmed = PreTrainedTokenizerFast(tokenizer_object=new_backend, **_special_kwargs(tokenizer))
    log.info("trimmed the vocabulary from %d to %d pieces", len(tokenizer), len(keep))
    return trimmed, keep


def slice_vocabulary(model, keep: np.ndarray, tokenizer):
    """A copy of masked-LM ``model`` whose vocabulary is the rows ``keep`` (new id i = old id keep[i])."""
    import torch
    from transformers import AutoModelForMaskedLM

    old_size = model.config.vocab_size
    index = torch.as_tensor(keep, dtype=torch.long)
    markers = ("word_embeddings", "decoder", "predictions.bias", "lm_head")
    state = {}
    for key, tensor in model.state_dict().items():
        if tensor.shape and tensor.shape[0] == old_size and any(m in key for m in markers):
            tensor = tensor.index_select(0, index)
        state[key] = tensor.clone()
    config = model.config
    config.vocab_size = len(keep)
    if tokenizer.pad_token_id is not None:
        config.pad_token_id = tokenizer.pad_token_id
    new = AutoModelForMaskedLM.from_config(config)
    missing, unexpected = new.load_state_dict(state, strict=False)
    if unexpected or missing:
        raise RuntimeError(f"vocabulary slicing lost weights: missing {missing}, unexpected {unexpected}")
    new.tie_weights()
    return new


def _save_mlm(model, tokenizer, out_dir, *, source: str, mlm_head: str) -> dict:
    """Save a masked-LM model and its tokenizer; ``mlm_head`` says whether its MLM head was pretrained, freshly
    initialised on a pretrained encoder (``fresh``: see :func:`xlt.train.mlm.warm_up_mlm_head`) or part of a
    random model."""
    n_params = sum(p.numel() for p in model.parameters())
    info = {
        "source": source,
        "mlm_head": mlm_head,
        "architecture": type(model).__name__,
        "vocab_size": int(model.config.vocab_size),
        "hidden_size": int(model.config.hidden_size),
        "num_layers": int(model.config.num_hidden_layers),
        "parameters": int(n_params),
    }
    with atomic_path(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    log.info("wrote %s: %s", out_dir, info)
    return info
