"""Atomic writes, JSON lines, provenance, and the record helpers of the workflow scripts."""

import json
from pathlib import Path

import numpy as np
import pytest

from xlt.errors import UserError
from xlt.io import atomic_path, read_json, read_jsonl, write_json, write_jsonl
from xlt.runtime import read_records, texts_of
from xlt.tasks import gold_ids, ids_to_tags, labels_of, mean_over_heads, predicted_ids


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / "weights.bin").write_bytes(b"half")
            raise RuntimeError("killed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_replaces_an_existing_folder(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old").write_text("x")
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "new").write_text("y")
    assert sorted(p.name for p in target.iterdir()) == ["new"]


def test_jsonl_round_trip_and_errors(tmp_path):
    path = tmp_path / "a.jsonl"
    assert write_jsonl(path, [{"text": "ä"}, {"text": "b"}]) == 2
    assert read_jsonl(path) == [{"text": "ä"}, {"text": "b"}]
    path.write_text('{"text": "ok"}\n{broken\n')
    with pytest.raises(UserError, match=r"a.jsonl:2: invalid JSON"):
        read_jsonl(path)
    path.write_bytes(b'{"text": "\xff"}\n')
    with pytest.raises(UserError, match="not UTF-8"):
        read_jsonl(path)
    with pytest.raises(UserError, match="file not found"):
        read_jsonl(tmp_path / "missing.jsonl")


def test_read_json_names_the_line(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{\n "a": 1,\n}')
    with pytest.raises(UserError, match=r"x.json:3: invalid JSON"):
        read_json(path)
    write_json(path, {"a": [1, 2]})
    assert json.loads(path.read_text()) == {"a": [1, 2]}


def test_read_records_checks_fields(tmp_path):
    path = tmp_path / "r.jsonl"
    write_jsonl(path, [{"text": "a"}, {"label": 1}])
    with pytest.raises(UserError, match=r"r.jsonl:2: record has no 'text'"):
        read_records(path, "text")
    write_jsonl(path, [])
    with pytest.raises(UserError, match="no records"):
        read_records(path, "text")


def test_texts_of_joins_tokens():
    assert texts_of([{"text": "a b"}, {"tokens": ["c", "d"]}]) == ["a b", "c d"]


def test_task_helpers():
    assert labels_of("sequence") == ["negative", "positive"]
    assert labels_of("token")[0] == "O"
    probs = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.7, 0.3], [0.4, 0.6]]])  # 2 heads, 2 examples
    assert predicted_ids("sequence", probs).tolist() == [0, 1]
    assert np.allclose(mean_over_heads("sequence", probs), [[0.8, 0.2], [0.3, 0.7]])
    records = [{"tokens": ["Berlin", "ist"], "tags": ["B-LOC", "O"]}]
    ids = gold_ids("token", records)
    assert ids_to_tags(ids) == [["B-LOC", "O"]]
    token_probs = [np.eye(9)[ids[0]][None]]
    assert predicted_ids("token", token_probs) == ids


def test_ner_labels_come_from_the_entity_types_of_the_training_data():
    from xlt.data.conll import LABELS
    from xlt.errors import UserError
    from xlt.tasks import labels_from_records, ner_labels

    wikiann = [{"tokens": ["Ana", "in", "Oslo"], "tags": ["B-PER", "O", "B-LOC"]},
               {"tokens": ["Nordwind", "AG"], "tags": ["B-ORG", "I-ORG"]}]
    labels = labels_from_records("token", wikiann)
    assert labels == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]  # no MISC: WikiANN has none
    assert ner_labels(["MISC", "LOC", "ORG", "PER"]) == LABELS  # CoNLL's four types: the paper's label list
    assert labels_from_records("sequence", []) == ["negative", "positive"]
    with pytest.raises(UserError, match="no entities"):
        labels_from_records("token", [{"tokens": ["a"], "tags": ["O"]}])

    # ids and tags index the model's own labels; a gold type it lacks is an error, or O where asked for
    ids = gold_ids("token", wikiann, labels)
    assert ids == [[1, 0, 5], [3, 4]] and ids_to_tags(ids, labels) == [r["tags"] for r in wikiann]
    misc = [{"tokens": ["Kombe"], "tags": ["B-MISC"]}]
    with pytest.raises(UserError, match="tag 'B-MISC' is not one of the model's labels"):
        gold_ids("token", misc, labels)
    assert gold_ids("token", misc, labels, unknown="outside") == [[0]]


def test_threshold_curve_of_counts_words_for_ner():
    from xlt.tasks import threshold_curve_of

    records = [{"tokens": ["Berlin", "ist"], "tags": ["B-LOC", "O"]}, {"tokens": ["Ja"], "tags": ["O"]}]
    onehot = np.eye(9)
    probs = [np.stack([onehot[5] * 0.95 + 0.05 / 9, onehot[0] * 0.6 + 0.4 / 9])[None], (onehot[[1]] * 0.99)[None]]
    rows = threshold_curve_of("token", probs, records, [0.5, 0.9], ner_curve="all")
    assert [r["total"] for r in rows] == [3, 3]
    assert [r["selected"] for r in rows] == [3, 2]
    # the third word is confidently wrong (B-PER for O): accuracy 2/3 at 0.5, 1/2 at 0.9
    assert [round(r["accuracy"], 3) for r in rows] == [0.667, 0.5]
    # the default counts entity words only: "ist" is O in gold and prediction and is left out
    rows = threshold_curve_of("token", probs, records, [0.5, 0.9])
    assert [r["total"] for r in rows] == [2, 2] and [r["selected"] for r in rows] == [2, 2]
    assert [round(r["accuracy"], 3) for r in rows] == [0.5, 0.5]


def test_provenance_records_versions_and_the_machine():
    import torch

    from xlt.io import provenance

    info = provenance(rule="r", code="abc")
    assert info["rule"] == "r" and info["code"] == "abc"
    assert info["torch"] == torch.__version__
    assert info["torch_threads"] == torch.get_num_threads()
    assert info["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert isinstance(info["cpu"], str) and info["cpu"]
    json.dumps(info)  # written as JSON next to every model


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device that is always full)")
@pytest.mark.parametrize("writer", ["text", "torch"])
def test_a_full_disk_is_one_line_naming_the_file_and_leaves_nothing(tmp_path, writer):
    from xlt.io import atomic_path

    out = tmp_path / "checkpoints" / "state.pt"
    with pytest.raises(UserError) as err:
        with atomic_path(out) as tmp:
            tmp.symlink_to("/dev/full")  # every write to it fails as on a full file system
            if writer == "torch":
                import torch

                torch.save({"weights": torch.zeros(10_000)}, tmp)
            else:
                with open(tmp, "w") as fh:
                    fh.write("x" * 100_000)
    msg = str(err.value)
    assert msg.startswith(f"{out}: no space left on the device") and "free in" in msg and "\n" not in msg
    assert list(out.parent.iterdir()) == []


def test_a_job_terminated_mid_write_leaves_no_temporary_folder(tmp_path):
    import signal
    import subprocess
    import sys

    out = tmp_path / "model"
    code = ("import sys, time\nfrom xlt.io import atomic_path\nfrom xlt.runtime import exit_cleanly_on_sigterm\n"
            "exit_cleanly_on_sigterm()\n"
            f"with atomic_path({str(out)!r}) as tmp:\n"
            "    tmp.mkdir(); (tmp / 'weights').write_text('partial')\n"
            "    print('writing', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("task, target, lang", [("cls", "de-books", "de"), ("cls", "zh-yue-books", "zh-yue"),
                                                ("conll", "sw", "sw")])
def test_model_card_names_the_target_language(task, target, lang):
    from xlt.model_card import model_card

    meta = {"kind": "sequence" if task == "cls" else "token", "labels": ["a", "b"], "n_voters": 1}
    export = {"style": "standard", "max_length": 64, "architecture": "X", "max_difference": 0.0}
    card = model_card(meta, [("finetune", {"wildcards": {"task": task, "target": target}, "params": {}})], [], export)
    assert card.split("tags:")[0].splitlines()[-2:] == ["- en", f"- {lang}"]
