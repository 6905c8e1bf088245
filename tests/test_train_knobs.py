"""Training knobs: gradient accumulation (the same training as one batch), precision (auto, bf16, fp16 with a loss
scaler, fp32) with exact resume under each, TensorBoard curves, and which knobs reach the rules' params."""

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

from xlt.errors import UserError
from xlt.models.providers import build_tiny_model
from xlt.runtime import RuntimeSettings
from xlt.train.jobs import training_runtime
from xlt.train import api, loop

torch.set_num_threads(int(os.environ.get("XLT_NUM_THREADS", "1")))

ROOT = Path(__file__).resolve().parents[1]
GOOD, BAD = ["great", "lovely", "superb", "素晴らしい"], ["dull", "awful", "poor", "つまらない"]
FILLER = ["a", "book", "about", "the", "sea", "and", "ein", "Roman", "本", "long", "very"]


def reviews(n, offset=0):
    out = []
    for i in range(n):
        k = i + offset
        words = [FILLER[(k * 3 + j) % len(FILLER)] for j in range(2 + k % 7)]  # lengths 2-8: padding differs
        words.insert(k % 3, (GOOD if i % 2 else BAD)[k % 4])
        out.append({"text": " ".join(words), "label": i % 2})
    return out


def sentences(n):
    out = []
    for i in range(n):
        tokens = [FILLER[(i + j) % len(FILLER)] for j in range(3 + i % 5)]
        tags = ["O"] * len(tokens)
        tokens.insert(1, "Berlin" if i % 2 else "Anna")
        tags.insert(1, "B-LOC" if i % 2 else "B-PER")
        if i % 3 == 0:
            tags[-1] = None  # an unlabelled word: micro-batches hold different numbers of loss terms
        out.append({"tokens": tokens, "tags": tags})
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A tiny BERT without dropout, so that micro-batches and one batch compute the same function."""
    folder = tmp_path_factory.mktemp("knobs") / "base"
    texts = [r["text"] for r in reviews(40)] + [" ".join(s["tokens"]) for s in sentences(20)]
    build_tiny_model(folder, texts, vocab_size=200, hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64,
                     max_position=64, seed=0)
    cfg = json.loads((folder / "config.json").read_text())
    cfg.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (folder / "config.json").write_text(json.dumps(cfg))
    return folder


HP = {"epochs": 2, "batch_size": 8, "learning_rate": 3e-3, "max_length": 32, "head_dropout": 0.0, "frozen_layers": 1}


def weights(folder):
    return load_file(Path(folder) / "model.safetensors")


def largest_difference(a, b):
    assert a.keys() == b.keys()
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)


@pytest.mark.parametrize("stage", ["sequence", "token", "mlm"])
def test_n_micro_batches_of_b_over_n_train_like_one_batch_of_b(base, tmp_path, stage):
    outs = {}
    for n in (1, 4):
        out, runtime = tmp_path / f"acc{n}", loop.Runtime(accumulation=n)
        if stage == "sequence":
            metrics = api.finetune(base, reviews(40), kind="sequence", labels=["neg", "pos"], out_dir=out, hp=HP,
                                   seed=1, checkpoint_dir=None, runtime=runtime)
        elif stage == "token":
            metrics = api.finetune(base, sentences(40), kind="token", labels=["O", "B-PER", "B-LOC"], out_dir=out,
                                   hp=HP, seed=1, checkpoint_dir=None, runtime=runtime)
        else:
            hp = {"epochs": 2, "batch_size": 8, "learning_rate": 3e-3, "max_length": 32, "frozen_layers": 1}
            metrics = api.continue_mlm(base, [r["text"] for r in reviews(40)], out, hp=hp, seed=1,
                                       checkpoint_dir=None, runtime=runtime)
        outs[n] = (weights(out), metrics)
    (w1, m1), (w4, m4) = outs[1], outs[4]
    assert m1["steps"] == m4["steps"] == 10
    assert m4["final_loss"] == pytest.approx(m1["final_loss"], rel=1e-5)
    start = {k.split(".", 1)[1]: v for k, v in weights(base).items()}
    moved = max(float((v - start[k.split(".", 1)[1]]).abs().max()) for k, v in w1.items() if k.split(".", 1)[1] in start)
    assert moved > 1e-3  # training moved the (shared) encoder weights far more than accumulation changed them
    assert largest_difference(w1, w4) < 1e-5


def test_micro_batches_split_one_batch_and_weigh_loss_terms(base):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForMaskedLM.from_pretrained(base)
    ids = [tok(r["text"])["input_ids"] for r in reviews(10)]
    task = api.mlm_task(model, tok, ids, 0.3, seed=5, device=torch.device("cpu"))
    indices = torch.arange(10).numpy()
    full = task.make_batch(indices, 3)
    parts = loop.micro_batches(task, indices, 3, 3)
    assert len(parts) == 3 and sum(p["input_ids"].shape[0] for p in parts) == 10
    # the same masks as the whole batch: the masked tokens and their targets, in order
    assert torch.equal(torch.cat([p["targets"] for p in parts]), full["targets"])
    assert sum(loop.loss_terms(p) for p in parts) == loop.loss_terms(full)
    assert loop.micro_batches(task, indices[:2], 3, 8)[1]["input_ids"].shape[0] == 1  # never an empty micro-batch


def interrupted_then_resumed(base, tmp_path, precision, accumulation, kill_at, monkeypatch):
    """Fine-tune with dev selection; stop the run right after the checkpoint of step ``kill_at``; run again."""
    hp = {**HP, "epochs": 3, "checkpoint_every": 2, "selection": "dev", "precision": precision}
    spec = dict(kind="sequence", labels=["neg", "pos"], hp=hp, seed=3, dev_examples=reviews(12, 100),
                runtime=loop.Runtime(accumulation=accumulation))
    api.finetune(base, reviews(40), out_dir=tmp_path / "reference", checkpoint_dir=tmp_path / "ck-ref", **spec)

    real_save = loop.save_checkpoint

    class Killed(Exception):
        pass

    def save_then_stop(path, payload):
        real_save(path, payload)
        if path.name == loop.STATE_FILE and payload["step"] >= kill_at:
            raise Killed

    monkeypatch.setattr(loop, "save_checkpoint", save_then_stop)
    with pytest.raises(Killed):
        api.finetune(base, reviews(40), out_dir=tmp_path / "resumed", checkpoint_dir=tmp_path / "ck", **spec)
    monkeypatch.setattr(loop, "save_checkpoint", real_save)
    state = torch.load(tmp_path / "ck" / loop.STATE_FILE, weights_only=True)
    metrics = api.finetune(base, reviews(40), out_dir=tmp_path / "resumed", checkpoint_dir=tmp_path / "ck", **spec)
    assert metrics["resumed_from_step"] == kill_at
    return state, weights(tmp_path / "reference"), weights(tmp_path / "resumed")


@pytest.mark.parametrize("precision,accumulation", [("fp32", 1), ("fp32", 3), ("bf16", 2), ("fp16", 2)])
def test_resume_is_exact_under_each_precision_that_runs_on_cpu(base, tmp_path, precision, accumulation, monkeypatch):
    state, ref, new = interrupted_then_resumed(base, tmp_path, precision, accumulation, 8, monkeypatch)
    assert all(torch.equal(ref[k], new[k]) for k in ref)
    assert (state["scaler"] is not None) == (precision == "fp16")  # fp16 keeps its loss scale across the restart
    if precision == "fp16":
        assert state["scaler"]["scale"] > 0


def test_precisions_compute_differently_and_auto_is_fp32_on_cpu(base, tmp_path):
    out = {}
    for precision in ("auto", "fp32", "bf16"):
        api.finetune(base, reviews(40), kind="sequence", labels=["neg", "pos"], out_dir=tmp_path / precision,
                     hp={**HP, "precision": precision}, seed=1, checkpoint_dir=None)
        out[precision] = weights(tmp_path / precision)
    assert all(torch.equal(out["auto"][k], out["fp32"][k]) for k in out["auto"])
    assert largest_difference(out["fp32"], out["bf16"]) > 0
    assert loop.autocast_dtype(torch.device("cpu"), "fp16") == torch.float16


@pytest.mark.parametrize("hp,runtime,key", [({"precision": "fp8"}, None, "hp.precision"),
                                            ({}, loop.Runtime(accumulation=0), "training.gradient_accumulation_steps")])
def test_bad_knobs_are_one_line_user_errors(base, tmp_path, hp, runtime, key):
    with pytest.raises(UserError, match=key):
        api.finetune(base, reviews(8), kind="sequence", labels=["neg", "pos"], out_dir=tmp_path / "m",
                     hp={**HP, **hp}, seed=1, checkpoint_dir=None, runtime=runtime)


def test_tensorboard_curves_of_loss_and_learning_rate(base, tmp_path):
    pytest.importorskip("tensorboard", reason="log_to: tensorboard needs the tensorboard package (requirements.txt)")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logdir = tmp_path / "tb"
    api.finetune(base, reviews(40), kind="sequence", labels=["neg", "pos"], out_dir=tmp_path / "m",
                 hp={**HP, "log_every": 2}, seed=1, checkpoint_dir=None, runtime=loop.Runtime(log_dir=str(logdir)))
    events = EventAccumulator(str(logdir))
    events.Reload()
    assert set(events.Tags()["scalars"]) == {"finetune/loss", "finetune/learning_rate"}
    assert [e.step for e in events.Scalars("finetune/loss")] == [2, 4, 6, 8, 10]
    assert all(e.value > 0 for e in events.Scalars("finetune/learning_rate")[:-1])


def test_training_runtime_reads_the_run_time_knobs_of_params_runtime():
    runtime = RuntimeSettings(gradient_accumulation_steps=4, log_to="tensorboard", checkpoint_every=5)
    sm = SimpleNamespace(params={"runtime": runtime}, log=["logs/finetune_source/cls-de-books-seed1-task.log"])
    got = training_runtime(sm)
    assert got.accumulation == 4
    assert got.log_dir == "results/tensorboard/finetune_source/cls-de-books-seed1-task"
    sm.params["runtime"] = RuntimeSettings(gradient_accumulation_steps=1, log_to="none")
    assert training_runtime(sm).log_dir is None


# ---------------------------------------------------------------- what reaches the rules' params

TRAINING_RULES = {
    "bilingual_task_fitting": {"corpus": "task"},
    "finetune_source": {"btf": "task"},
    "soft_label_step": {"chain": "task-vm.S1"},
    "hard_label_step": {"chain": "task-vm.S1.H1-auto"},
}


def rule_params(training: dict) -> dict:
    """{rule: {param: value}} of the training rules for cls/ja-books seed 1 under the demo config + ``training``."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    with SnakemakeApi(OutputSettings(quiet={"all"})) as sm:
        wf = sm.workflow(resource_settings=ResourceSettings(cores=1), snakefile=ROOT / "Snakefile", workdir=ROOT,
                         config_settings=ConfigSettings(configfiles=[ROOT / "config.yaml", ROOT / "config/demo.yaml"],
                                                        config={"training": training}))
        workflow = wf._workflow
        out = {}
        for name, extra in TRAINING_RULES.items():
            w = SimpleNamespace(task="cls", target="ja-books", seed="1", **extra)
            params = workflow.get_rule(name).params
            out[name] = {key: (value(w) if callable(value) else value) for key, value in params.items()}
        return out


def test_knobs_that_change_results_are_params_and_run_time_knobs_are_not():
    """precision is in the plain params (a rerun trigger); accumulation and log_to only in params.runtime, a
    RuntimeSettings, which Snakemake leaves out of its params trigger (xlt.runtime.RuntimeSettings)."""

    def split(params):
        plain = {r: {k: v for k, v in p.items() if not isinstance(v, RuntimeSettings)} for r, p in params.items()}
        return plain, {r: p["runtime"] for r, p in params.items()}

    plain_knobs = {"precision": "auto", "gradient_accumulation_steps": 1, "log_to": "none"}
    before, runtime = split(rule_params(plain_knobs))
    assert all(p["hp"]["precision"] == "auto" for p in before.values())
    text = json.dumps(before, default=str)
    assert "accumulation" not in text and "log_to" not in text and "tensorboard" not in text
    assert all(r["gradient_accumulation_steps"] == 1 and r["log_to"] == "none" for r in runtime.values())
    after, changed = split(rule_params({**plain_knobs, "gradient_accumulation_steps": 4, "log_to": "tensorboard"}))
    assert after == before
    assert all(r["gradient_accumulation_steps"] == 4 and r["log_to"] == "tensorboard" for r in changed.values())
    after, _ = split(rule_params({**plain_knobs, "precision": "fp16"}))
    assert all(after[r]["hp"] == {**before[r]["hp"], "precision": "fp16"} for r in TRAINING_RULES)
