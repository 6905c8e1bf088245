"""Model providers: tiny random models, local folders (layer cut, vocabulary trimming), hub errors, Q4_0."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from xlt.errors import UserError
from xlt.models.providers import build_tiny_model, copy_local_model, dequantize_q4_0, snapshot_model

ROOT = Path(__file__).resolve().parents[1]

CORPUS = [
    "The library opened a new reading room in Berlin last spring.",
    "Das Buch war spannend, aber das Ende hat mich enttäuscht.",
    "El concierto en Madrid fue maravilloso y muy largo.",
    "De film was saai en veel te lang voor een zondag.",
    "Le roman raconte la vie d'une famille à Lyon.",
    "この本はとても面白かったので、友達にも勧めました。",
    "音楽はすばらしいが、値段が高すぎると思います。",
] * 3


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "model"
    build_tiny_model(out, CORPUS, vocab_size=300, hidden_size=32, num_layers=3, num_heads=2,
                     intermediate_size=64, max_position=128, seed=3)
    return out


def test_tiny_model_folder_loads_as_masked_lm(tiny_dir):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_dir)
    model = AutoModelForMaskedLM.from_pretrained(tiny_dir)
    assert model.config.num_hidden_layers == 3 and model.config.hidden_size == 32
    assert model.config.vocab_size == len(tok)
    for name in ("pad_token", "unk_token", "cls_token", "sep_token", "mask_token"):
        assert getattr(tok, name) is not None
    ids = tok("Das Buch war spannend.")["input_ids"]
    assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
    out = model(torch.tensor([ids]))
    assert out.logits.shape == (1, len(ids), len(tok))


def test_tiny_tokenizer_segments_japanese_without_spaces(tiny_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_dir)
    text = "この本はとても面白かった"
    pieces = tok.tokenize(text)
    assert len(pieces) > 3 and tok.unk_token not in pieces
    assert "".join(p.removeprefix("##") for p in pieces) == text
    assert "本" in pieces  # ideographs are single characters, as in mBERT
    enc = tok(["この", "本", "は", "面白かった"], is_split_into_words=True)
    word_ids = enc.word_ids()
    assert word_ids[0] is None and word_ids[-1] is None
    assert sorted({w for w in word_ids if w is not None}) == [0, 1, 2, 3]


def test_tiny_model_is_seeded(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 1), (b, 1), (c, 2)):
        build_tiny_model(out, CORPUS, vocab_size=200, hidden_size=16, num_layers=1, num_heads=2,
                         intermediate_size=32, max_position=64, seed=seed)
    from safetensors.torch import load_file

    wa, wb, wc = (load_file(p / "model.safetensors") for p in (a, b, c))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)
    assert (a / "tokenizer.json").read_text() == (b / "tokenizer.json").read_text()


def test_tiny_model_rejects_bad_sizes(tmp_path):
    with pytest.raises(UserError, match="model.tiny.hidden_size"):
        build_tiny_model(tmp_path / "x", CORPUS, hidden_size=30, num_heads=4)
    with pytest.raises(UserError, match="no texts"):
        build_tiny_model(tmp_path / "x", ["", "  "])
    assert not (tmp_path / "x").exists()


def test_local_copy_cuts_layers_and_trims_vocabulary_keeping_tokenisation(tiny_dir, tmp_path):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    subset = CORPUS[:2] + CORPUS[5:6]
    out = tmp_path / "cut"
    copy_local_model(tiny_dir, out, layers=2, trim_texts=subset)
    full_tok = AutoTokenizer.from_pretrained(tiny_dir)
    cut_tok = AutoTokenizer.from_pretrained(out)
    full = AutoModelForMaskedLM.from_pretrained(tiny_dir)
    cut = AutoModelForMaskedLM.from_pretrained(out)
    assert cut.config.num_hidden_layers == 2 and len(cut.bert.encoder.layer) == 2
    assert len(cut_tok) < len(full_tok) == full.config.vocab_size
    assert cut.config.vocab_size == len(cut_tok)
    for text in subset:
        old = full_tok.convert_ids_to_tokens(full_tok(text)["input_ids"])
        new = cut_tok.convert_ids_to_tokens(cut_tok(text)["input_ids"])
        assert old == new
        # the embedding row of every piece is the piece's row in the full model
        for piece in set(old):
            np.testing.assert_array_equal(
                cut.bert.embeddings.word_embeddings.weight[cut_tok.convert_tokens_to_ids(piece)].detach().numpy(),
                full.bert.embeddings.word_embeddings.weight[full_tok.convert_tokens_to_ids(piece)].detach().numpy())
    # the first two layers are the original ones, the MLM output stays tied to the (trimmed) embeddings
    assert torch.equal(cut.bert.encoder.layer[1].output.dense.weight, full.bert.encoder.layer[1].output.dense.weight)
    assert cut.cls.predictions.decoder.weight.data_ptr() == cut.bert.embeddings.word_embeddings.weight.data_ptr()
    with pytest.raises(UserError, match="model.layers"):
        copy_local_model(tiny_dir, tmp_path / "bad", layers=5)


def test_tiny_vocabulary_is_the_same_for_the_same_texts():
    from xlt.models.providers import train_tiny_tokenizer

    a = train_tiny_tokenizer(CORPUS, 150).get_vocab()
    b = train_tiny_tokenizer(list(CORPUS), 150).get_vocab()
    assert a == b and len(a) >= 150


def test_dequantize_q4_0_block_layout():
    # one block: scale 0.5; byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    scale = np.array([0.5], dtype="<f2").view(np.uint8)
    low = np.arange(16) % 16  # weights 0..15 -> nibbles 0..15
    high = (15 - np.arange(16)) % 16  # weights 16..31 -> nibbles 15..0
    block = np.concatenate([scale, (low | (high << 4)).astype(np.uint8)])[None, :]
    out = dequantize_q4_0(block)
    expected = np.concatenate([(low - 8) * 0.5, (high - 8) * 0.5])
    np.testing.assert_array_equal(out[0], expected.astype(np.float32))


def test_snapshot_of_an_invalid_name_is_a_one_line_user_error(tmp_path):
    with pytest.raises(UserError) as err:
        snapshot_model("not a valid//model id", None, tmp_path / "m")
    assert "\n" not in str(err.value) and "model.name" in str(err.value)
    assert not (tmp_path / "m").exists()


def test_snapshot_without_the_hub_is_a_one_line_user_error(tmp_path):
    code = ("from xlt.models.providers import snapshot_model\n"
            "from xlt.errors import UserError\n"
            "try:\n"
            f"    snapshot_model('bert-base-multilingual-cased', 'main', {str(tmp_path / 'm')!r})\n"
            "except UserError as e:\n"
            "    print('USERERROR', e)\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    line = [x for x in res.stdout.splitlines() if x.startswith("USERERROR")]
    assert line, res.stdout + res.stderr
    assert "bert-base-multilingual-cased" in line[0] and "model.source: local" in line[0]
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_damaged_weights_file_is_one_line_naming_the_folder_and_its_rule(tiny_dir, tmp_path, damage):
    import shutil

    from xlt.models.classifier import new_classifier
    from xlt.train.api import mlm_loss

    folder = tmp_path / "model"
    shutil.copytree(tiny_dir, folder)
    (folder / "xlt_artifact.json").write_text('{"rule": "bilingual_task_fitting"}', encoding="utf-8")
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 3] if damage == "truncate" else b"\x00garbage" * 40)
    for load in (lambda: new_classifier(folder, kind="sequence", labels=["negative", "positive"]),
                 lambda: mlm_loss(folder, ["ein Satz", "a sentence"])):
        with pytest.raises(UserError) as err:
            load()
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith(f"{folder}: cannot read the model folder")
        assert "rule bilingual_task_fitting" in msg
