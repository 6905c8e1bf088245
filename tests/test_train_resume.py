"""A training job killed with SIGKILL after a checkpoint resumes and ends exactly like an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from xlt.models.providers import build_tiny_model
from xlt.train import api

torch.set_num_threads(int(os.environ.get("XLT_NUM_THREADS", "1")))  # tiny models: 1 thread is fastest on busy cores

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent("""
    import json, logging, os, signal, sys
    from xlt.train import api, loop

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    kill_at = int(sys.argv[1])
    if kill_at:
        real_save = loop.save_checkpoint

        def save_then_die(path, payload):
            real_save(path, payload)
            if path.name == loop.STATE_FILE and payload["step"] >= kill_at:
                os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, no atexit: like kill -9 or a node failure

        loop.save_checkpoint = save_then_die
    spec = json.loads(open(sys.argv[2]).read())
    api.finetune(**spec)
""")


def examples(n, offset):
    good = ["great", "lovely", "superb", "素晴らしい"]
    bad = ["dull", "awful", "poor", "つまらない"]
    filler = ["a", "book", "about", "the", "sea", "and", "ein", "Roman", "本"]
    out = []
    for i in range(n):
        k = i + offset
        words = [filler[(k * 3 + j) % len(filler)] for j in range(4)]
        words.insert(k % 5, (good if i % 2 else bad)[k % 4])
        out.append({"text": " ".join(words), "label": i % 2})
    return out


@pytest.mark.slow
def test_sigkilled_finetuning_resumes_to_identical_weights_and_predictions(tmp_path):
    train, dev = examples(40, 0), examples(12, 100)
    base = tmp_path / "base"
    build_tiny_model(base, [e["text"] for e in train], vocab_size=200, hidden_size=32, num_layers=2, num_heads=2,
                     intermediate_size=64, max_position=64, seed=0)
    hp = {"epochs": 3, "batch_size": 8, "learning_rate": 3e-3, "selection": "dev", "checkpoint_every": 2,
          "frozen_layers": 1, "freeze_embeddings": True, "max_length": 32}
    spec = {"base_dir": str(base), "examples": train, "kind": "sequence", "labels": ["neg", "pos"], "hp": hp,
            "seed": 3, "dev_examples": dev}

    api.finetune(**{**spec, "out_dir": tmp_path / "reference", "checkpoint_dir": tmp_path / "ck-ref"})

    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps({**spec, "out_dir": str(tmp_path / "resumed"),
                                     "checkpoint_dir": str(tmp_path / "ck")}))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XLT_NUM_THREADS": str(torch.get_num_threads())}

    killed = subprocess.run([sys.executable, str(script), "7", str(spec_file)], capture_output=True, text=True,
                            env=env, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert not (tmp_path / "resumed").exists()
    state = torch.load(tmp_path / "ck" / "state.pt", weights_only=False)
    assert state["step"] == 8 and state["best"]["step"] == 5  # killed in epoch 2, after epoch 1's evaluation

    resumed = subprocess.run([sys.executable, str(script), "0", str(spec_file)], capture_output=True, text=True,
                             env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from step 8" in resumed.stderr
    assert not (tmp_path / "ck").exists()

    ref = load_file(tmp_path / "reference" / "model.safetensors")
    new = load_file(tmp_path / "resumed" / "model.safetensors")
    assert ref.keys() == new.keys()
    assert all(torch.equal(ref[k], new[k]) for k in ref)
    p_ref = api.predict_probs(tmp_path / "reference", dev, batch_size=4, max_length=32)
    p_new = api.predict_probs(tmp_path / "resumed", dev, batch_size=4, max_length=32)
    assert np.array_equal(p_ref, p_new)


class _Planted:
    """Unpickling this object would run code (here: create a file)."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_a_planted_pickle_in_a_checkpoint_is_refused_not_run(tmp_path, caplog):
    from xlt.train import loop

    marker = tmp_path / "code-ran"
    torch.save({"fingerprint": "x", "step": 1, "payload": _Planted(marker)}, tmp_path / loop.STATE_FILE)
    assert loop.load_checkpoint(tmp_path, "x") is None
    assert not marker.exists() and "ignoring unreadable checkpoint" in caplog.text
    torch.save({"fingerprint": "x", "step": 1, "trainable": {"w": torch.ones(2)}}, tmp_path / loop.STATE_FILE)
    assert loop.load_checkpoint(tmp_path, "x")["step"] == 1  # plain tensors and numbers still load
