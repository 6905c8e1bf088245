"""A randomly initialised small BERT with an mBERT-like WordPiece tokenizer built from given texts, for tests
and demos (see :mod:`xlt.models.providers`)."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Iterable, Sequence


from xlt.errors import UserError
from xlt.models.providers.common import _save_mlm, quiet_transformers, TINY_SPECIALS

log = logging.getLogger(__name__)


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
