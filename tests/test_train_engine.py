"""The training stages on a tiny random BERT: freezing, learning, seeds, model selection, voters, resume."""

import os
import random

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from xlt.errors import UserError
from xlt.selftrain.health import check_soft_fit, soft_fit
from xlt.models.providers import build_tiny_model
from xlt.train import api, loop
from xlt.selftrain.voters import soft_labels

torch.set_num_threads(int(os.environ.get("XLT_NUM_THREADS", "1")))  # tiny models: 1 thread is fastest on busy cores

POSITIVE = ["great", "wonderful", "excellent", "素晴らしい"]
NEGATIVE = ["terrible", "boring", "awful", "つまらない"]
FILLER = ["the", "book", "was", "really", "quite", "story", "and", "das", "Buch", "war", "本", "でした", "music"]
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
PEOPLE = [["Anna", "Schmidt"], ["John"], ["田中"], ["Maria", "López"]]
PLACES = [["Berlin"], ["New", "York"], ["東京"], ["Madrid"]]

FAST = {"epochs": 6, "batch_size": 8, "learning_rate": 3e-3, "warmup_ratio": 0.1, "log_every": 1000,
        "frozen_layers": 0, "freeze_embeddings": False, "max_length": 32}


def reviews(n, seed):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = i % 2
        words = rng.sample(FILLER, 5) + [rng.choice(POSITIVE if label else NEGATIVE)]
        rng.shuffle(words)
        out.append({"text": " ".join(words), "label": label})
    return out


def ner_sentences(n, seed, length=None):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tokens, tags = [], []
        while len(tokens) < (length or rng.randint(4, 9)):
            roll = rng.random()
            if roll < 0.2:
                name = rng.choice(PEOPLE)
                tokens += name
                tags += ["B-PER"] + ["I-PER"] * (len(name) - 1)
            elif roll < 0.35:
                place = rng.choice(PLACES)
                tokens += ["in"] + place
                tags += ["O", "B-LOC"] + ["I-LOC"] * (len(place) - 1)
            else:
                tokens.append(rng.choice(FILLER))
                tags.append("O")
        out.append({"tokens": tokens, "tags": tags})
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    texts = [r["text"] for r in reviews(60, 0)] + [" ".join(s["tokens"]) for s in ner_sentences(60, 0)]
    out = tmp_path_factory.mktemp("tiny") / "mlm"
    build_tiny_model(out, texts, vocab_size=300, hidden_size=32, num_layers=4, num_heads=2,
                     intermediate_size=64, max_position=128, seed=0)
    return out


@pytest.fixture(scope="module")
def seq_teacher(base, tmp_path_factory):
    out = tmp_path_factory.mktemp("teacher") / "cls"
    api.finetune(base, reviews(64, 1), kind="sequence", labels=["neg", "pos"], out_dir=out, hp=FAST, seed=1,
                 checkpoint_dir=None)
    return out


def accuracy(model_dir, examples):
    probs = api.predict_probs(model_dir, examples, batch_size=16, max_length=32)
    return float((probs.mean(0).argmax(-1) == np.array([e["label"] for e in examples])).mean())


def test_btf_freezes_exactly_the_embeddings_and_the_bottom_three_layers(base, tmp_path):
    from transformers import AutoModelForMaskedLM

    model = AutoModelForMaskedLM.from_pretrained(base)
    frozen = api.freeze_bottom(model.base_model, 3, True)
    expected = {n for n, _ in model.base_model.named_parameters()
                if n.startswith("embeddings.") or n.split(".")[:3] in (["encoder", "layer", "0"],
                                                                       ["encoder", "layer", "1"],
                                                                       ["encoder", "layer", "2"])}
    assert set(frozen) == expected
    assert any(n.startswith("encoder.layer.3.") for n, p in model.base_model.named_parameters() if p.requires_grad)

    texts = [r["text"] for r in reviews(40, 2)]
    out = tmp_path / "btf"
    hp = {"max_steps": 4, "batch_size": 8, "learning_rate": 1e-2, "frozen_layers": 3, "freeze_embeddings": True}
    metrics = api.continue_mlm(base, texts, out, hp=hp, seed=0, checkpoint_dir=tmp_path / "ckpt")
    before, after = load_file(base / "model.safetensors"), load_file(out / "model.safetensors")
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    unchanged = set(before) - changed
    assert {"bert." + n for n in expected} <= unchanged
    assert any(k.startswith("bert.encoder.layer.3.") for k in changed)
    assert any(k.startswith("cls.predictions.transform") for k in changed)
    assert metrics["steps"] == 4
    n_frozen = sum(p.numel() for n, p in model.base_model.named_parameters() if n in expected)
    assert metrics["frozen_parameters"] == n_frozen
    assert metrics["trainable_parameters"] + n_frozen == sum(p.numel() for p in model.parameters())
    assert not (tmp_path / "ckpt").exists()  # checkpoints are removed after success


def test_finetuning_learns_and_predicts_in_input_order(seq_teacher):
    test = reviews(40, 3)
    assert accuracy(seq_teacher, test) >= 0.9
    probs = api.predict_probs(seq_teacher, test, batch_size=7, max_length=32)
    assert probs.shape == (1, 40, 2) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    one_by_one = np.concatenate([api.predict_probs(seq_teacher, [e], batch_size=1, max_length=32) for e in test[:5]], 1)
    np.testing.assert_allclose(probs[:, :5], one_by_one, atol=1e-5)


def test_same_seed_same_predictions_other_seed_other_predictions(base, tmp_path):
    train, test = reviews(24, 4), reviews(10, 5)
    hp = {**FAST, "epochs": 2}
    outs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        api.finetune(base, train, kind="sequence", labels=["neg", "pos"], out_dir=tmp_path / name, hp=hp,
                     seed=seed, checkpoint_dir=None)
        outs.append(api.predict_probs(tmp_path / name, test, batch_size=4, max_length=32))
    assert np.array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], outs[2])


def test_dev_selection_keeps_the_best_epoch(base, tmp_path):
    train, dev = reviews(32, 6), reviews(20, 7)
    hp = {**FAST, "epochs": 4, "learning_rate": 1e-2, "selection": "dev"}
    metrics = api.finetune(base, train, kind="sequence", labels=["neg", "pos"], out_dir=tmp_path / "m", hp=hp,
                           seed=2, checkpoint_dir=tmp_path / "ck", dev_examples=dev)
    scores = [h["dev_score"] for h in metrics["history"] if "dev_score" in h]
    assert len(scores) == 4 and metrics["dev_score"] == max(scores)
    assert metrics["selected_step"] == 4 * scores.index(max(scores)) + 4
    assert accuracy(tmp_path / "m", dev) == pytest.approx(metrics["dev_score"])
    with pytest.raises(UserError, match="dev_examples"):
        api.finetune(base, train, kind="sequence", labels=["neg", "pos"], out_dir=tmp_path / "x", hp=hp, seed=2,
                     checkpoint_dir=None)


def test_token_classification_predicts_every_word_even_beyond_max_length(base, tmp_path):
    train = ner_sentences(48, 8)
    api.finetune(base, train, kind="token", labels=TAGS, out_dir=tmp_path / "ner", seed=3, checkpoint_dir=None,
                 hp={**FAST, "epochs": 8, "max_length": 16, "selection": "dev"}, dev_examples=ner_sentences(8, 9))
    long = ner_sentences(2, 10, length=60)
    probs = api.predict_probs(tmp_path / "ner", long + [{"tokens": []}], batch_size=4, max_length=16)
    assert [p.shape for p in probs] == [(1, len(long[0]["tokens"]), 5), (1, len(long[1]["tokens"]), 5), (1, 0, 5)]
    gold = [TAGS.index(t) for s in long for t in s["tags"]]
    pred = np.concatenate([p[0].argmax(-1) for p in probs[:2]])
    assert (pred == np.array(gold)).mean() > 0.8


def test_soft_labels_train_a_voters_student_then_hard_labels_continue_it(base, seq_teacher, tmp_path):
    unlabelled = [{"text": r["text"]} for r in reviews(48, 11)]
    teacher = api.predict_probs(seq_teacher, unlabelled, batch_size=16, max_length=32)
    hp = {**FAST, "epochs": 20}  # MSE on probabilities has small gradients: more steps than cross-entropy
    api.train_soft(base, unlabelled, soft_labels(teacher), kind="sequence", labels=["neg", "pos"], n_voters=3,
                   voter_offsets=[0, -8, 8], out_dir=tmp_path / "soft", hp=hp, seed=4, checkpoint_dir=None)
    model, _, meta = api.load_classifier(tmp_path / "soft")
    assert meta == {"kind": "sequence", "labels": ["neg", "pos"], "n_voters": 3, "voter_sizes": [32, 24, 40],
                    "pooling": "cls"}
    student = api.predict_probs(tmp_path / "soft", unlabelled, batch_size=16, max_length=32)
    assert student.shape == (3, 48, 2)
    assert np.abs(student.mean(0) - soft_labels(teacher)).mean() < 0.15
    assert (student.argmax(-1) == teacher[0].argmax(-1)).mean() > 0.9
    assert check_soft_fit(soft_fit("sequence", soft_labels(teacher), student, ["neg", "pos"])) == []

    # the same chain with one optimizer step at a tiny rate: the student has not learned its teacher
    api.train_soft(base, unlabelled, soft_labels(teacher), kind="sequence", labels=["neg", "pos"], n_voters=3,
                   voter_offsets=[0, -8, 8], out_dir=tmp_path / "untrained", hp={**hp, "max_steps": 1,
                   "learning_rate": 1e-7}, seed=4, checkpoint_dir=None)
    untrained = api.predict_probs(tmp_path / "untrained", unlabelled, batch_size=16, max_length=32)
    fired = check_soft_fit(soft_fit("sequence", soft_labels(teacher), untrained, ["neg", "pos"]))
    assert [g["check"] for g in fired] == ["soft_fit"]

    hard = [{"text": u["text"], "label": int(lab)} for u, lab in zip(unlabelled, teacher[0].argmax(-1))]
    api.train_hard(tmp_path / "soft", hard, kind="sequence", out_dir=tmp_path / "hard",
                   hp={**FAST, "epochs": 1, "learning_rate": 1e-6}, seed=4, checkpoint_dir=None)
    after = api.predict_probs(tmp_path / "hard", unlabelled, batch_size=16, max_length=32)
    assert after.shape == (3, 48, 2)
    assert np.abs(after - student).max() < 0.05  # a tiny learning rate moves it a little
    with pytest.raises(UserError, match="kind"):
        api.train_hard(tmp_path / "soft", hard, kind="token", out_dir=tmp_path / "x", hp=FAST, seed=4,
                       checkpoint_dir=None)


def test_hard_labels_for_ner_may_ignore_words(base, tmp_path):
    sentences = ner_sentences(24, 12)
    probs = [np.full((len(s["tokens"]), 5), 0.2, dtype=np.float32) for s in sentences]
    api.train_soft(base, [{"tokens": s["tokens"]} for s in sentences], probs, kind="token", labels=TAGS,
                   n_voters=1, voter_offsets=None, out_dir=tmp_path / "soft", hp={**FAST, "epochs": 1}, seed=0,
                   checkpoint_dir=None)
    partial = [{"tokens": s["tokens"], "tags": [t if t != "O" else None for t in s["tags"]]} for s in sentences]
    metrics = api.train_hard(tmp_path / "soft", partial, kind="token", out_dir=tmp_path / "hard",
                             hp={**FAST, "epochs": 2}, seed=0, checkpoint_dir=None)
    assert metrics["steps"] > 0
    with pytest.raises(UserError, match="no word carries a label"):
        api.train_hard(tmp_path / "soft", [{"tokens": ["a", "b"], "tags": [None, None]}], kind="token",
                       out_dir=tmp_path / "x", hp=FAST, seed=0, checkpoint_dir=None)


def test_bad_inputs_are_one_line_user_errors(base, tmp_path):
    good = reviews(4, 13)
    cases = [
        (dict(hp={"lerning_rate": 1e-3}), "hp.lerning_rate"),
        (dict(hp={"selection": "best"}), "hp.selection"),
        (dict(hp={"batch_size": 0}), "hp.batch_size"),
        (dict(hp={"frozen_layers": 9}), "hp.frozen_layers"),
        (dict(examples=[{"text": "x", "label": 2}]), r"examples\[0\].label"),
        (dict(examples=[{"txt": "x", "label": 1}]), r"examples\[0\].text"),
    ]
    for override, pattern in cases:
        kwargs = dict(examples=good, hp={})
        kwargs.update(override)
        with pytest.raises(UserError, match=pattern) as err:
            api.finetune(base, kwargs["examples"], kind="sequence", labels=["neg", "pos"], out_dir=tmp_path / "x",
                         hp=kwargs["hp"], seed=0, checkpoint_dir=None)
        assert "\n" not in str(err.value)
    with pytest.raises(UserError, match="teacher_probs"):
        api.train_soft(base, [{"text": "x"}], np.ones((1, 3)), kind="sequence", labels=["neg", "pos"], n_voters=2,
                       voter_offsets=None, out_dir=tmp_path / "x", hp={}, seed=0, checkpoint_dir=None)
    with pytest.raises(UserError, match="size_offsets: voter width offsets: expected at least 3 integers"):
        api.train_soft(base, [{"text": "x"}], np.ones((1, 2)) / 2, kind="sequence", labels=["neg", "pos"], n_voters=3,
                       voter_offsets=[0, 4], out_dir=tmp_path / "x", hp={}, seed=0, checkpoint_dir=None)
    with pytest.raises(UserError, match=r"tags\[1\]"):
        api.finetune(base, [{"tokens": ["a", "b"], "tags": ["O", "B-XYZ"]}], kind="token", labels=TAGS,
                     out_dir=tmp_path / "x", hp={}, seed=0, checkpoint_dir=None)
    with pytest.raises(UserError, match="not an xlt classifier"):
        api.predict_probs(base, good, batch_size=2, max_length=32)
    assert not (tmp_path / "x").exists()


class Crash(Exception):
    pass


def crash_after_checkpoint(monkeypatch, at_step):
    real = loop.save_checkpoint

    def save_then_crash(path, payload):
        real(path, payload)
        if path.name == loop.STATE_FILE and payload["step"] >= at_step:
            raise Crash

    monkeypatch.setattr(loop, "save_checkpoint", save_then_crash)


def test_interrupted_mlm_and_voter_training_resume_to_identical_weights(base, tmp_path, monkeypatch):
    texts = [r["text"] for r in reviews(40, 14)]
    sentences = ner_sentences(24, 15)
    teacher = [np.random.default_rng(i).dirichlet(np.ones(5), size=len(s["tokens"])).astype(np.float32)
               for i, s in enumerate(sentences)]
    mlm_hp = {"epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "checkpoint_every": 3}
    soft_hp = {**FAST, "epochs": 2, "checkpoint_every": 2}

    def run(tag):
        api.continue_mlm(base, texts, tmp_path / tag / "mlm", hp=mlm_hp, seed=9, checkpoint_dir=tmp_path / tag / "ck1")
        api.train_soft(tmp_path / "ref" / "mlm", [{"tokens": s["tokens"]} for s in sentences], teacher, kind="token",
                       labels=TAGS, n_voters=3, voter_offsets=[0, -2, 2], out_dir=tmp_path / tag / "soft", hp=soft_hp,
                       seed=9, checkpoint_dir=tmp_path / tag / "ck2")

    run("ref")
    with monkeypatch.context() as m:
        crash_after_checkpoint(m, at_step=3)
        with pytest.raises(Crash):
            api.continue_mlm(base, texts, tmp_path / "new" / "mlm", hp=mlm_hp, seed=9,
                             checkpoint_dir=tmp_path / "new" / "ck1")
        assert not (tmp_path / "new" / "mlm").exists() and (tmp_path / "new" / "ck1" / "state.pt").exists()
    with monkeypatch.context() as m:
        crash_after_checkpoint(m, at_step=4)
        with pytest.raises(Crash):
            api.train_soft(tmp_path / "ref" / "mlm", [{"tokens": s["tokens"]} for s in sentences], teacher,
                           kind="token", labels=TAGS, n_voters=3, voter_offsets=[0, -2, 2], out_dir=tmp_path / "new" / "soft",
                           hp=soft_hp, seed=9, checkpoint_dir=tmp_path / "new" / "ck2")
    torch.manual_seed(12345)  # a polluted random state must not matter after resuming
    run("new")
    for name in ("mlm", "soft"):
        ref = load_file(tmp_path / "ref" / name / "model.safetensors")
        new = load_file(tmp_path / "new" / name / "model.safetensors")
        assert ref.keys() == new.keys()
        assert all(torch.equal(ref[k], new[k]) for k in ref), name


def test_mlm_head_warm_up_trains_the_head_alone_and_lowers_the_loss(base, tmp_path):
    texts = [r["text"] for r in reviews(200, 21)]
    held = [r["text"] for r in reviews(40, 22)]
    before = api.mlm_loss(base, held, max_length=32, seed=3)
    assert before == api.mlm_loss(base, held, max_length=32, seed=3)  # same masks, same loss
    metrics = api.warm_up_mlm_head(base, texts, tmp_path / "warm", steps=60, learning_rate=3e-3, batch_size=16,
                                   max_length=32, seed=3, heldout=held)
    assert metrics["heldout_mlm_loss_before"] == pytest.approx(before["loss"])
    assert metrics["heldout_mlm_loss_after"] < before["loss"]
    old, new = load_file(base / "model.safetensors"), load_file(tmp_path / "warm" / "model.safetensors")
    changed = sorted(k for k in old if not torch.equal(old[k], new[k]))
    assert changed and all(k.startswith("cls.predictions.") for k in changed), changed
    assert "cls.predictions.decoder.weight" not in changed  # tied to the frozen input embeddings


def test_kl_soft_loss_trains_a_student_that_follows_its_teacher(base, tmp_path):
    """self_training.soft.loss: kl — the same soft step with the KL divergence instead of the MSE."""
    sentences = ner_sentences(48, 21)
    probs = []
    for s in sentences:
        p = np.full((len(s["tokens"]), len(TAGS)), 0.025, dtype=np.float32)
        p[np.arange(len(s["tags"])), [TAGS.index(t) for t in s["tags"]]] = 0.9
        probs.append(p)
    corpus = [{"tokens": s["tokens"]} for s in sentences]
    api.train_soft(base, corpus, probs, kind="token", labels=TAGS, n_voters=1, voter_offsets=None,
                   out_dir=tmp_path / "kl", hp={**FAST, "loss": "kl"}, seed=0, checkpoint_dir=None)
    fit = soft_fit("token", probs, api.predict_probs(tmp_path / "kl", corpus, batch_size=16, max_length=32), TAGS)
    assert fit["teacher_agreement"] > 0.9 and check_soft_fit(fit) == []
    with pytest.raises(UserError, match="hp.loss: expected one of mse, kl, got 'l1'"):
        api.train_soft(base, corpus, probs, kind="token", labels=TAGS, n_voters=1, voter_offsets=None,
                       out_dir=tmp_path / "x", hp={**FAST, "loss": "l1"}, seed=0, checkpoint_dir=None)
    assert not (tmp_path / "x").exists()  # refused before anything is written
