"""The Snakemake adapters build_base_model.py and download_model.py, run with a stand-in snakemake object."""

import json
import logging
import runpy
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


class _Files(dict):
    """Named inputs/outputs/params the way scripts read them: attributes, .get(), .items(), [0]."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key):
        if isinstance(key, int):
            return list(self.values())[key]
        return super().__getitem__(key)


def run_script(name, tmp_path, monkeypatch, *, input, params, output):
    log = tmp_path / f"{name}.log"
    smk = type("Snakemake", (), {})()
    smk.input, smk.params, smk.output = _Files(input), _Files(params), _Files(output)
    smk.log, smk.wildcards, smk.rule, smk.threads = [str(log)], _Files(), name, torch.get_num_threads()
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TOKENIZERS_PARALLELISM"):
        monkeypatch.setenv(var, "1" if var != "TOKENIZERS_PARALLELISM" else "false")
    monkeypatch.setattr(sys, "stdout", sys.stdout)
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    code = 0
    try:
        runpy.run_path(str(ROOT / "workflow_scripts" / f"{name}.py"), init_globals={"snakemake": smk})
    except SystemExit as stop:
        code = stop.code
    finally:
        for h in root.handlers:
            if h not in handlers:
                h.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        sys.stdout.flush() if hasattr(sys.stdout, "flush") else None
    return code, log.read_text(encoding="utf-8")


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def jsonl_source(path, kind="sequence"):
    """One entry of the rule's params.vocabulary (xlt.workflow.data.DataPlan.vocabulary_sources)."""
    return {"path": str(path), "kind": kind, "format": "jsonl", "field": None, "encoding": "auto"}


TINY = {"vocab_size": 150, "hidden_size": 16, "num_layers": 2, "num_heads": 2, "intermediate_size": 32}


def test_build_base_model_tiny_then_local_cut_and_trimmed(tmp_path, monkeypatch):
    texts = write_jsonl(tmp_path / "texts.jsonl", [{"text": "Ein Buch über das Meer."},
                                                    {"tokens": ["東京", "に", "住む", "田中", "さん"]},
                                                    {"text": "A book about the sea, and a long river."}] * 3)
    model = {"source": "tiny", "name": "unused", "revision": "main", "layers": None, "trim_vocab": False, "tiny": TINY}
    code, log = run_script("build_base_model", tmp_path, monkeypatch, input={"snapshot": []},
                           params={"model": model, "seed": 1, "vocabulary": [jsonl_source(texts)]},
                           output={"model": str(tmp_path / "tiny")})
    assert code == 0, log
    artifact = json.loads((tmp_path / "tiny" / "xlt_artifact.json").read_text())
    assert artifact["model"]["num_layers"] == 2 and artifact["texts"] == 9
    assert (tmp_path / "tiny" / "tokenizer.json").is_file()

    only = write_jsonl(tmp_path / "only.jsonl", [{"text": "Ein Buch über das Meer."}])
    local = {**model, "source": "local", "name": str(tmp_path / "tiny"), "layers": 1, "trim_vocab": True}
    code, log = run_script("build_base_model", tmp_path, monkeypatch,
                           input={"snapshot": str(tmp_path / "tiny")},
                           params={"model": local, "seed": 1, "vocabulary": [jsonl_source(only)]},
                           output={"model": str(tmp_path / "cut")})
    assert code == 0, log
    cut = json.loads((tmp_path / "cut" / "config.json").read_text())
    assert cut["num_hidden_layers"] == 1 and cut["vocab_size"] < artifact["model"]["vocab_size"]


def test_build_base_model_reads_its_vocabulary_from_the_raw_data_files(tmp_path, monkeypatch):
    """Webis XML and CoNLL columns are read in full (stars and tags dropped) beside JSON lines."""
    review = tmp_path / "train.review"
    review.write_text('<?xml version="1.0" encoding="utf-8"?>\n<items>\n<item><rating>5.0</rating>'
                      "<summary>Schön</summary><text>ein Buch über das Meer</text></item>\n"
                      "<item><rating>3.0</rating><summary>Na ja</summary><text>mittel</text></item>\n</items>\n",
                      encoding="utf-8")
    conll = tmp_path / "ned.train"
    conll.write_text("-DOCSTART- -DOCSTART- O\n\nDe Art O\nzee N O\nbij Prep O\nAmsterdam N B-LOC\n\n",
                     encoding="utf-8")
    model = {"source": "tiny", "name": "unused", "revision": "main", "layers": None, "trim_vocab": False, "tiny": TINY}
    vocabulary = [{"path": str(review), "kind": "sequence", "format": "webis", "field": None, "encoding": "auto"},
                  {"path": str(conll), "kind": "token", "format": "conll", "field": None, "encoding": "auto"}]
    code, log = run_script("build_base_model", tmp_path, monkeypatch, input={"snapshot": []},
                           params={"model": model, "seed": 1, "vocabulary": vocabulary},
                           output={"model": str(tmp_path / "tiny")})
    assert code == 0, log
    assert json.loads((tmp_path / "tiny" / "xlt_artifact.json").read_text())["texts"] == 3  # 2 reviews, 1 sentence
    from transformers import AutoTokenizer

    vocab = AutoTokenizer.from_pretrained(tmp_path / "tiny").get_vocab()
    assert any("Amsterdam" in piece or "msterdam" in piece for piece in vocab)  # the CoNLL words, not its tags


def test_build_base_model_reports_a_bad_record_in_one_line(tmp_path, monkeypatch):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"label": 1}\n', encoding="utf-8")
    model = {"source": "tiny", "name": "x", "revision": "main", "layers": None, "trim_vocab": False, "tiny": TINY}
    code, log = run_script("build_base_model", tmp_path, monkeypatch, input={"snapshot": []},
                           params={"model": model, "seed": 1, "vocabulary": [jsonl_source(str(bad))]},
                           output={"model": str(tmp_path / "m")})
    assert code == 1
    errors = [line for line in log.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {bad}:2: expected a record with a 'text' string or a 'tokens' list"]
    assert not (tmp_path / "m").exists()


def test_download_model_without_the_hub_fails_with_one_line(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # never touch the network in tests
    code, log = run_script("download_model", tmp_path, monkeypatch, input={},
                           params={"name": "bert-base-multilingual-cased", "revision": "main"},
                           output={"model": str(tmp_path / "snap")})
    assert code == 1
    errors = [line for line in log.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "bert-base-multilingual-cased" in errors[0]
    assert not (tmp_path / "snap").exists()
