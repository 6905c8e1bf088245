"""Tokenisation, first-sub-token alignment, long-sentence chunking and batching."""

import numpy as np
import pytest

from xlt.errors import UserError
from xlt.models.providers import train_tiny_tokenizer
from xlt.train.data import (IGNORE, encode_texts, encode_words, inference_batches, length_grouped_batches,
                            pad_ids, token_labels)

TEXTS = [
    "Maria Lindqvist arbeitet seit drei Jahren bei Siemens in München.",
    "The committee met in Geneva on Tuesday to discuss the treaty.",
    "佐藤さんは大阪の会社で働いています。",
    "La exposición del museo del Prado termina el domingo.",
]


@pytest.fixture(scope="module")
def tok():
    return train_tiny_tokenizer(TEXTS * 2, vocab_size=120, max_length=64)


def test_first_sub_token_of_every_word_carries_its_label(tok):
    words = ["Lindqvistberg", "arbeitet", "in", "München", "佐藤さんは", "."]
    tags = [1, 0, 0, 2, 1, 0]
    (chunk,) = encode_words(tok, [words], max_length=64)
    pieces = tok.convert_ids_to_tokens(chunk.input_ids)
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    labels = token_labels(chunk, tags)
    bounds = chunk.first_positions + [len(pieces) - 1]
    for j, word in enumerate(words):
        span = pieces[bounds[j]:bounds[j + 1]]
        assert not span[0].startswith("##")  # a word-initial piece
        assert all(p.startswith("##") or word.startswith(p) or p in word for p in span)
        assert labels[bounds[j]] == tags[j]
        assert all(label == IGNORE for label in labels[bounds[j] + 1:bounds[j + 1]])
    assert labels[0] == labels[-1] == IGNORE
    assert len(pieces) > len(words) + 2  # some words really were split


def test_word_ids_based_alignment_matches_the_hf_idiom(tok):
    words = ["Siemens", "München", "大阪の会社"]
    enc = tok(words, is_split_into_words=True)
    previous, expected = None, []
    for w in enc.word_ids():  # the run_ner.py idiom
        expected.append(IGNORE if w is None or w == previous else w)
        previous = w
    (chunk,) = encode_words(tok, [words], max_length=64)
    assert chunk.input_ids == enc["input_ids"]
    assert token_labels(chunk, [0, 1, 2]) == expected


def test_long_sentences_are_split_so_every_word_gets_a_position(tok):
    words = ("Maria arbeitet seit drei Jahren bei Siemens in München und Genf".split() * 9)[:90]
    chunks = encode_words(tok, [["kurz"], words, []], max_length=16)
    assert all(len(c.input_ids) <= 16 for c in chunks)
    long_chunks = [c for c in chunks if c.sentence == 1]
    assert len(long_chunks) > 1
    covered = [c.first_word + j for c in long_chunks for j in range(c.n_words)]
    assert covered == list(range(90))
    assert not [c for c in chunks if c.sentence == 2]  # an empty sentence has nothing to predict


def test_a_word_longer_than_a_chunk_keeps_its_first_sub_tokens(tok):
    monster = "MünchenSiemensJahren" * 4  # characters the vocabulary knows, many pieces
    chunks = encode_words(tok, [["a", monster, "b"]], max_length=8)
    assert [c.n_words for c in chunks] == [1, 1, 1]
    assert all(len(c.input_ids) <= 8 for c in chunks)


def test_words_that_vanish_in_normalisation_become_unknown(tok):
    (chunk,) = encode_words(tok, [["Genf", "\u200b", "Bern"]], max_length=32)
    assert chunk.n_words == 3
    assert chunk.input_ids[chunk.first_positions[1]] == tok.unk_token_id


def test_texts_are_truncated_with_special_tokens(tok):
    ids = encode_texts(tok, [TEXTS[0] * 10, ""], max_length=12)
    assert len(ids[0]) == 12 and ids[0][0] == tok.cls_token_id and ids[0][-1] == tok.sep_token_id
    assert ids[1] == [tok.cls_token_id, tok.sep_token_id]
    with pytest.raises(UserError):
        encode_texts(tok, ["x"], max_length=2)


def test_length_grouped_batches_partition_and_depend_only_on_seed_and_epoch():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 200, size=1000)
    a = length_grouped_batches(lengths, 32, seed=7, epoch=0)
    b = length_grouped_batches(lengths, 32, seed=7, epoch=0)
    c = length_grouped_batches(lengths, 32, seed=7, epoch=1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    assert sorted(np.concatenate(a).tolist()) == list(range(1000))
    assert sum(len(x) == 32 for x in a) == len(a) - 1
    assert lengths[a[0]].max() == lengths.max()  # longest batch first
    # grouping: padding waste far below random batching
    waste = sum(lengths[x].max() * len(x) - lengths[x].sum() for x in a)
    random_waste = sum(lengths[x].max() * len(x) - lengths[x].sum()
                       for x in np.array_split(rng.permutation(1000), len(a)))
    assert waste < 0.2 * random_waste


def test_inference_batches_sort_by_length_and_cover_everything():
    lengths = np.array([5, 50, 7, 50, 1, 30])
    batches = inference_batches(lengths, 4)
    assert [b.tolist() for b in batches] == [[1, 3, 5, 2], [0, 4]]


def test_pad_ids_pads_to_the_longest_in_the_batch():
    ids, mask = pad_ids([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]] and mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    ids, _ = pad_ids([[5, 6, 7], [8]], pad_id=0, multiple=8)
    assert ids.shape == (2, 8)
