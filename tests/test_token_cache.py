"""The on-disk token cache: an unchanged input is read back, not tokenised again; any change re-tokenises."""

from pathlib import Path

import pytest

from xlt.models.providers import train_tiny_tokenizer
from xlt.train import token_cache
from xlt.train.data import encode_texts, encode_words

TEXTS = [
    "Maria Lindqvist arbeitet seit drei Jahren bei Siemens in München.",
    "The committee met in Geneva on Tuesday to discuss the treaty.",
    "佐藤さんは大阪の会社で働いています。",
    "La exposición del museo del Prado termina el domingo.",
]
SENTENCES = [t.split() for t in TEXTS] + [[], ["Lindqvistberg"] * 40]


class Counting:
    """A tokenizer that counts how often it is asked to tokenise."""

    def __init__(self, tok):
        self._tok, self.calls = tok, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self._tok(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._tok, name)


@pytest.fixture(scope="module")
def base_tok():
    return train_tiny_tokenizer(TEXTS * 2, vocab_size=120, max_length=64)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(token_cache.ENV_VAR, str(tmp_path / "tok"))
    return tmp_path / "tok"


def _chunks(chunks):
    return [(c.sentence, c.first_word, c.input_ids, c.first_positions) for c in chunks]


def test_cached_results_equal_fresh_ones_and_skip_the_tokenizer(base_tok, cache, monkeypatch):
    tok = Counting(base_tok)
    first_texts, first_words = encode_texts(tok, TEXTS, 16), encode_words(tok, SENTENCES, 24)
    calls = tok.calls
    assert calls > 0 and len(list(cache.rglob("*.npz"))) == 2
    assert encode_texts(tok, TEXTS, 16) == first_texts
    assert _chunks(encode_words(tok, SENTENCES, 24)) == _chunks(first_words)
    assert tok.calls == calls  # read back, not tokenised
    monkeypatch.setenv(token_cache.ENV_VAR, "off")
    assert encode_texts(tok, TEXTS, 16) == first_texts
    assert _chunks(encode_words(tok, SENTENCES, 24)) == _chunks(first_words)
    assert len([c for c in first_words if c.sentence == 5]) > 1  # the long sentence was chunked


def test_any_change_of_input_length_or_tokenizer_tokenises_again(base_tok, cache):
    tok = Counting(base_tok)
    encode_texts(tok, TEXTS, 16)
    for texts, max_length in ((TEXTS[:-1] + ["La exposición termina el lunes."], 16), (TEXTS, 17),
                              (list(reversed(TEXTS)), 16)):
        before = tok.calls
        encode_texts(tok, texts, max_length)
        assert tok.calls > before, (texts, max_length)
    other = Counting(train_tiny_tokenizer(TEXTS * 2, vocab_size=90, max_length=64))
    assert encode_texts(other, TEXTS, 16) != encode_texts(tok, TEXTS, 16)
    assert other.calls == 1
    assert len(list(cache.rglob("*.npz"))) == 5


def test_a_damaged_entry_is_recomputed_and_rewritten(base_tok, cache, caplog):
    tok = Counting(base_tok)
    fresh = encode_texts(tok, TEXTS, 16)
    (entry,) = cache.rglob("*.npz")
    entry.write_bytes(b"not a numpy archive")
    assert encode_texts(tok, TEXTS, 16) == fresh
    assert tok.calls == 2 and "unreadable" in caplog.text
    assert encode_texts(tok, TEXTS, 16) == fresh and tok.calls == 2


def test_no_cache_folder_means_no_files(base_tok, tmp_path, monkeypatch):
    monkeypatch.delenv(token_cache.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    tok = Counting(base_tok)
    encode_texts(tok, TEXTS, 16)
    encode_texts(tok, TEXTS, 16)
    assert tok.calls == 2 and not list(tmp_path.rglob("*.npz"))


def test_a_change_of_the_tokenisation_code_tokenises_again(base_tok, cache, monkeypatch):
    tok = Counting(base_tok)
    encode_texts(tok, TEXTS, 16)
    before = tok.calls
    encode_texts(tok, TEXTS, 16)
    assert tok.calls == before  # same code: read back
    monkeypatch.setattr(token_cache, "code_fingerprint", lambda: "edited xlt/train/data.py")
    encode_texts(tok, TEXTS, 16)
    assert tok.calls > before and len(list(cache.rglob("*.npz"))) == 2


def test_the_code_fingerprint_covers_the_alignment_code(tmp_path, monkeypatch):
    import shutil

    fake = tmp_path / "xlt" / "train"
    fake.mkdir(parents=True)
    for name in ("token_cache.py", "data.py"):
        shutil.copy(Path(token_cache.__file__).with_name(name), fake / name)
    monkeypatch.setattr(token_cache, "__file__", str(fake / "token_cache.py"))
    token_cache.code_fingerprint.cache_clear()
    try:
        first = token_cache.code_fingerprint()
        (fake / "data.py").write_text((fake / "data.py").read_text() + "\n# off by one\n")
        token_cache.code_fingerprint.cache_clear()
        assert token_cache.code_fingerprint() != first
    finally:
        token_cache.code_fingerprint.cache_clear()
