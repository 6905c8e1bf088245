"""Using a trained model: `xlt predict` gives the evaluation's labels; `xlt export` folders load in transformers.

Models are trained by the workflow's own scripts (finetune_source.py, soft_label_step.py, run with a stand-in
snakemake object) on a tiny random BERT, in a results/ tree laid out as the workflow lays it out; the test
sets are scored by evaluate_run.py.
"""

import json
import logging
import os
import runpy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from test_train_engine import FAST, ner_sentences, reviews
from xlt import cli
from xlt.data.cls import LABELS as CLS_LABELS
from xlt.data.conll import read_conll
from xlt.metrics import evaluate
from xlt.tasks import ids_to_tags, model_labels, predicted_ids
from xlt.train.api import predict_probs

ROOT = Path(__file__).resolve().parents[1]
MAX_LENGTH = FAST["max_length"]  # 32 sub-tokens: the long test sentence is split into windows
HP = {k: FAST[k] for k in ("epochs", "batch_size", "learning_rate", "warmup_ratio", "frozen_layers",
                           "freeze_embeddings", "max_length")}


class _Files(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key):
        if isinstance(key, int):
            return list(self.values())[key]
        return super().__getitem__(key)


def run_script(name, tmp, *, input, params, output, wildcards=None):
    """Run workflow_scripts/<name>.py as Snakemake would; returns (exit code, log text)."""
    logs = Path(tmp) / "logs"
    logs.mkdir(exist_ok=True)
    log = logs / f"{name}-{len(list(logs.iterdir()))}.log"
    smk = type("Snakemake", (), {})()
    smk.input, smk.params, smk.output = _Files(input), _Files(params), _Files(output)
    smk.log, smk.wildcards, smk.rule, smk.threads = [str(log)], _Files(wildcards or {}), name, 1
    saved = sys.stdout, sys.stderr, list(logging.getLogger().handlers), logging.getLogger().level
    code = 0
    try:
        runpy.run_path(str(ROOT / "workflow_scripts" / f"{name}.py"), init_globals={"snakemake": smk})
    except SystemExit as stop:
        code = stop.code
    finally:
        root = logging.getLogger()
        for h in root.handlers:
            if h not in saved[2]:
                h.close()
        sys.stdout, sys.stderr = saved[0], saved[1]
        root.handlers[:] = saved[2]
        root.setLevel(saved[3])
    return code, log.read_text(encoding="utf-8")


def write_jsonl(path, records):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def write_conll(path, sentences):
    """A CoNLL-2003-style file: word POS chunk tag, -DOCSTART- lines, blank lines between sentences."""
    lines = ["-DOCSTART- -X- -X- O", ""]
    for i, s in enumerate(sentences):
        if i == 3:
            lines += ["-DOCSTART- -X- -X- O", ""]
        lines += [f"{w} NN I-NP {t}" for w, t in zip(s["tokens"], s["tags"])] + [""]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def disagreeing_voters(model_dir, out_dir):
    """A copy of a voters model whose first voter prefers what the others reject (its output layer negated), so
    that the mean of the voters and the first voter give different labels."""
    from xlt.models.classifier import load_classifier, save_classifier

    model, tokenizer, _ = load_classifier(model_dir)
    with torch.no_grad():
        last = model.head.voters[0].net[4]
        last.weight.neg_()
        last.bias.neg_()
    save_classifier(model, tokenizer, out_dir)
    shutil.copyfile(Path(model_dir) / "xlt_artifact.json", Path(out_dir) / "xlt_artifact.json")


def voters_disagree(kind, probs) -> bool:
    """Whether the first voter's label differs from the evaluation's (the mean of the voters) somewhere."""
    if kind == "sequence":
        return bool((probs[0].argmax(-1) != predicted_ids(kind, probs)).any())
    return any(list(p[0].argmax(-1)) != ids for p, ids in zip(probs, predicted_ids(kind, probs)))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """results/{cls/de-books,conll/de}/seed1 with a fine-tuned and a voters model each, scored on a test set."""
    torch.set_num_threads(1)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tmp = tmp_path_factory.mktemp("wf")
    base = tmp / "results" / "models" / "base"
    texts = write_jsonl(tmp / "results" / "data" / "texts.jsonl", reviews(60, 0) + ner_sentences(60, 0))
    tiny = {"vocab_size": 300, "hidden_size": 32, "num_layers": 2, "num_heads": 2, "intermediate_size": 64,
            "max_position": 128}
    code, log = run_script("build_base_model", tmp, input={"snapshot": []},
                           params={"model": {"source": "tiny", "name": "x", "revision": "main", "layers": None,
                                             "trim_vocab": False, "tiny": tiny}, "seed": 0,
                                   "vocabulary": [{"path": str(texts), "kind": "sequence", "format": "jsonl"}]},
                           output={"model": str(base)})
    assert code == 0, log
    out = {"root": tmp}
    for task, target, kind, train, corpus in [
        ("cls", "de-books", "sequence", reviews(64, 1), [{"text": r["text"]} for r in reviews(48, 2)]),
        ("conll", "de", "token", ner_sentences(80, 1), [{"tokens": s["tokens"]} for s in ner_sentences(48, 2)]),
    ]:
        run_dir = tmp / "results" / task / target / "seed1"
        train_file = write_jsonl(tmp / "results" / "data" / task / "train.jsonl", train)
        ft, st = run_dir / "ft-task" / "model", run_dir / "st" / "task-vm.S1" / "model"
        code, log = run_script("finetune_source", tmp, input={"base": str(base), "train": train_file, "dev": []},
                               params={"kind": kind, "hp": HP, "seed": 1, "checkpoints": str(tmp / "ck")},
                               output={"model": str(ft)}, wildcards={"task": task, "target": target, "seed": "1",
                                                                     "btf": "task"})
        assert code == 0, log
        corpus_file = write_jsonl(tmp / "results" / "corpus" / task / "corpus.jsonl", corpus)
        code, log = run_script("soft_label_step", tmp,
                               input={"teacher": str(ft), "student_init": str(base), "corpus": corpus_file},
                               params={"kind": kind, "hp": {**HP, "epochs": 12}, "n_voters": 3,
                                       "voter_offsets": [0, -4, 4], "runtime": {"inference_batch_size": 64}, "guards": "off", "class_keep_ratio": 0.5,
                                       "seed": 1, "checkpoints": str(tmp / "ck")},
                               output={"model": str(st), "health": str(st.parent / "health.json")},
                               wildcards={"task": task, "target": target, "seed": "1", "chain": "task-vm.S1"})
        assert code == 0, log
        if kind == "sequence":
            test = reviews(40, 3)
            for r in test[:4]:
                r["text"] = " ".join([r["text"]] * 6)  # longer than max_length: cut as the evaluation cuts it
            test_file = write_jsonl(tmp / "results" / "data" / task / "test.jsonl", test)
        else:
            sentences = ner_sentences(30, 3) + ner_sentences(1, 4, length=40)  # the last needs several windows
            conll_file = write_conll(tmp / "deu.testb", sentences)
            test, _ = read_conll(conll_file)  # what prepare_conll.py writes
            test_file = write_jsonl(tmp / "results" / "data" / task / "test.jsonl", test)
            out["conll_file"] = conll_file
        mixed = run_dir / "st" / "task-vm.S1.mixed" / "model"
        disagreeing_voters(st, mixed)
        meta = {"task": task, "target": target, "seed": 1}
        variants = [{"meta": {**meta, "variant": "full"}, "stages": ["finetune", "round1-soft", "mixed"],
                     "models": [str(ft), str(st), str(mixed)], "health_stages": ["round1-soft"],
                     "health": [str(st.parent / "health.json")]},
                    {"meta": {**meta, "variant": "no_st"}, "stages": ["finetune"], "models": [str(ft)],
                     "health_stages": [], "health": []}]
        code, log = run_script("evaluate_run", tmp, input={"models": [str(ft), str(st), str(mixed)],
                                                          "health": [str(st.parent / "health.json")],
                                                          "test": test_file},
                               params={"variants": variants, "kind": kind, "max_length": MAX_LENGTH,
                                       "runtime": {"inference_batch_size": 64}},
                               output={"scores": [str(run_dir / "variants" / "full.json"),
                                                  str(run_dir / "variants" / "no_st.json")]})
        assert code == 0, log
        scores = json.loads((run_dir / "variants" / "full.json").read_text())
        no_st = json.loads((run_dir / "variants" / "no_st.json").read_text())
        assert [r["stage"] for r in no_st] == ["finetune", "final"] and no_st[0]["variant"] == "no_st"
        assert no_st[0]["score"] == scores[0]["score"] and log.count(str(ft)) == 1  # a shared model: scored once
        out[kind] = {"ft": ft, "st": st, "mixed": mixed, "test": test, "scores": {r["model"]: r for r in scores}}
    return out


def xlt_predict(*args):
    """``xlt predict`` in this process (the console script's main)."""
    try:
        cli.main(["predict", *map(str, args)])
    except SystemExit as stop:
        return stop.code
    return 0


def read_rows(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_cli_help_is_fast_and_does_not_import_torch():
    code = ("import sys, xlt.cli as c\nc.build_parser().format_help()\n"
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, sorted(sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, "-m", "xlt", "predict", "--help"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "--batch-size" in res.stdout
    from xlt.predict import INPUT_FORMATS

    assert cli.INPUT_FORMATS == INPUT_FORMATS


def test_predict_on_a_text_file_gives_the_labels_the_evaluation_scored(run, tmp_path):
    seq = run["sequence"]
    lines = tmp_path / "reviews.txt"
    lines.write_text("".join(r["text"] + "\n\n" for r in seq["test"]), encoding="utf-8")  # blank lines: skipped
    gold = [r["label"] for r in seq["test"]]
    for model in (seq["ft"], seq["st"], seq["mixed"]):
        out = tmp_path / f"{model.parent.name}.jsonl"
        res = subprocess.run([sys.executable, "-m", "xlt", "predict", "--model", str(model), "--input", str(lines),
                              "--output", str(out)], capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        assert "\r" not in res.stderr  # no progress bar when stderr is not a terminal
        rows = read_rows(out)
        assert [r["line"] for r in rows] == list(range(1, 2 * len(gold), 2))
        labels = [CLS_LABELS.index(r["label"]) for r in rows]
        # the evaluation's code path (evaluate_run.py: predict_probs, then the argmax of the heads' mean)
        probs = predict_probs(model, seq["test"], batch_size=64, max_length=MAX_LENGTH)
        assert labels == predicted_ids("sequence", probs).tolist()
        assert len(set(labels)) == 2  # both labels occur: the comparison can fail
        assert voters_disagree("sequence", probs) == (model == seq["mixed"])
        # and the score the evaluation job recorded for this model
        recorded = seq["scores"][str(model)]
        assert evaluate("sequence", labels, gold)["score"] == recorded["score"]
        mean = probs.mean(axis=0)
        for row, p in zip(rows, mean):
            assert abs(sum(row["probabilities"].values()) - 1) < 1e-5
            assert row["probabilities"]["positive"] == pytest.approx(float(p[1]), abs=1e-6)


def test_predict_on_a_conll_file_tags_every_word_as_the_evaluation_did(run, tmp_path):
    tok = run["token"]
    gold = [r["tags"] for r in tok["test"]]
    assert len(gold[-1]) == 40
    # the training sentences have PER and LOC only: the models have those labels, and every step agrees
    assert model_labels(tok["ft"]) == model_labels(tok["st"]) == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    for model in (tok["ft"], tok["st"], tok["mixed"]):
        out, cols = tmp_path / f"{model.parent.name}.jsonl", tmp_path / f"{model.parent.name}.conll"
        assert xlt_predict("--model", model, "--input", run["conll_file"], "--output", out) == 0
        assert xlt_predict("--model", model, "--input", run["conll_file"], "--output", cols, "--format", "conll") == 0
        rows = read_rows(out)
        tags = [r["tags"] for r in rows]
        assert [r["tokens"] for r in rows] == [r["tokens"] for r in tok["test"]]
        assert [r["gold_tags"] for r in rows] == gold
        probs = predict_probs(model, tok["test"], batch_size=64, max_length=MAX_LENGTH)
        assert tags == ids_to_tags(predicted_ids("token", probs), model_labels(model))
        if model == tok["mixed"]:
            assert voters_disagree("token", probs)
        assert len(tags[-1]) == 40 and any(t != "O" for s in tags for t in s)
        recorded = tok["scores"][str(model)]
        assert evaluate("token", tags, gold)["score"] == recorded["score"]
        # entity spans are the chunks seqeval scores
        from seqeval.metrics.sequence_labeling import get_entities

        for row in rows:
            spans = [(e["type"], e["start"], e["end"] - 1) for e in row["entities"]]
            assert spans == get_entities(row["tags"])
            assert all(e["text"] == " ".join(row["tokens"][e["start"]:e["end"]]) for e in row["entities"])
        # CoNLL columns: word gold predicted, sentences separated by blank lines (conlleval's input)
        blocks = cols.read_text(encoding="utf-8").strip("\n").split("\n\n")
        assert [[line.split() for line in b.split("\n")] for b in blocks] == \
            [[[w, g, p] for w, g, p in zip(r["tokens"], r["gold_tags"], r["tags"])] for r in rows]


def test_predict_reads_words_per_line_json_lines_and_unlabelled_conll_alike(run, tmp_path):
    model = run["token"]["st"]
    sentences = [r["tokens"] for r in run["token"]["test"][:6]]
    words = tmp_path / "sentences.txt"
    words.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    jsonl = write_jsonl(tmp_path / "sentences.jsonl", [{"id": i, "words": s} for i, s in enumerate(sentences)])
    bare = tmp_path / "bare"
    bare.write_text("\n\n".join("\n".join(s) for s in sentences) + "\n", encoding="utf-8")
    outs = []
    for args in ([words], [jsonl, "--field", "words"], [bare]):
        out = tmp_path / f"out{len(outs)}.jsonl"
        assert xlt_predict("--model", model, "--input", args[0], "--output", out, *args[1:]) == 0
        outs.append([(r["tokens"], r["tags"]) for r in read_rows(out)])
    assert outs[0] == outs[1] == outs[2]
    assert [t for t, _ in outs[0]] == sentences


def test_predict_reads_webis_review_xml(run, tmp_path):
    model = run["sequence"]["ft"]
    items = "".join(f"<item><rating>{'5.0' if r['label'] else '1.0'}</rating><summary>{r['text']}</summary>"
                    f"<text></text></item>\n" for r in run["sequence"]["test"][4:14])
    xml = tmp_path / "test.review"
    xml.write_text(f"<items>\n{items}<item><rating>3.0</rating><summary>so so</summary><text /></item>\n</items>\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert xlt_predict("--model", model, "--input", xml, "--output", out) == 0
    rows = read_rows(out)
    assert [r["line"] for r in rows] == list(range(2, 13))
    assert [r.get("gold") for r in rows] == [CLS_LABELS[r["label"]] for r in run["sequence"]["test"][4:14]] + [None]
    probs = predict_probs(model, [{"text": r["text"]} for r in run["sequence"]["test"][4:14]] + [{"text": "so so"}],
                          batch_size=64, max_length=MAX_LENGTH)
    assert [r["label"] for r in rows] == [CLS_LABELS[i] for i in predicted_ids("sequence", probs)]


@pytest.mark.parametrize("content, args, expected", [
    ('{"text": "fine"}\n{"txt": "typo"}\n', [], "{f}:2: expected a JSON object with a 'text' field"),
    ('{"text": "fine"}\n{"text": \n', [], "{f}:2: invalid JSON line"),
    ("\n\n", [], "{f}: no items to predict (expected one text per line)"),
    ("one\n", ["--format", "conll"], "--format conll: CoNLL columns are written for token (NER) models"),
    ("one\n", ["--input-format", "conll"], "{f}: CoNLL columns are input for token (NER) models"),
    ("one\n", ["--field", "body"], "--field 'body': only JSON-lines input has fields"),
    ("one\n", ["--device", "gpu7"], "device 'gpu7': expected auto, cpu, cuda or cuda:<index>"),
])
def test_bad_input_is_one_line_and_writes_nothing(run, tmp_path, capsys, content, args, expected):
    f = tmp_path / ("in.jsonl" if content.startswith("{") else "in.txt")
    f.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert xlt_predict("--model", run["sequence"]["ft"], "--input", f, "--output", out, *args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: " + expected.format(f=f)), err
    assert not out.exists()


def test_bad_model_folder_and_conll_line_are_one_line(run, tmp_path, capsys):
    assert xlt_predict("--model", tmp_path, "--input", run["conll_file"]) == 1
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path}: not a model folder (no config.json); expected a "
                                               "folder the workflow wrote (e.g. results/<task>/<target>/seed<k>/ft-task/model)")
    bad = tmp_path / "bad.conll"
    bad.write_text("Anna NN B-PER\nwohnt NN\n", encoding="utf-8")
    assert xlt_predict("--model", run["token"]["ft"], "--input", bad) == 1
    assert capsys.readouterr().err.strip() == (f"error: {bad}:2: 2 columns, expected 3 like line 1 "
                                               "(one word per line, the word first)")


# ---------------------------------------------------------------------------------------------- export


PIPELINES = textwrap.dedent("""
    import json, sys
    from transformers import pipeline

    jobs = json.loads(sys.argv[1])
    out = {}
    for name, job in jobs.items():
        remote = job["remote"]
        if job["kind"] == "sequence":
            clf = pipeline("text-classification", model=job["dir"], trust_remote_code=remote, device="cpu")
            out[name] = [r["label"] for r in clf(job["inputs"], truncation=True)]
        else:
            ner = pipeline("token-classification", model=job["dir"], trust_remote_code=remote, device="cpu")
            tags = []
            for words in job["inputs"]:
                starts = {}
                at = 0
                for i, w in enumerate(words):
                    starts[at] = i
                    at += len(w) + 1
                found = ["O"] * len(words)
                found_entities = ner(words, is_split_into_words=True)  # every sub-token but O
                if found_entities and isinstance(found_entities[0], list):
                    found_entities = found_entities[0]  # one sentence given as a list of words
                for e in found_entities:  # keep each word's first sub-token
                    if e["start"] in starts:
                        found[starts[e["start"]]] = e["entity"]
                tags.append(found)
            out[name] = tags
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_exported_folders_load_in_a_fresh_transformers_pipeline_with_the_same_labels(run, tmp_path):
    from xlt.export import export_model

    texts = [r["text"] for r in run["sequence"]["test"]]
    sentences = [r["tokens"] for r in run["token"]["test"][:-1]]  # within max_length (the pipeline cuts longer)
    jobs, expected = {}, {}
    for kind, inputs in (("sequence", texts), ("token", sentences)):
        for which in ("ft", "mixed"):
            model = run[kind][which]
            out = tmp_path / f"{kind}-{which}"
            done = export_model(model, out)
            standard = kind == "token" and which == "ft"  # plain token head = BertForTokenClassification
            assert done["style"] == ("standard" if standard else "remote code")
            config = json.loads((out / "config.json").read_text())
            assert config["architectures"] == ["BertForTokenClassification" if standard else
                                               f"XLTFor{'Sequence' if kind == 'sequence' else 'Token'}Classification"]
            assert ("auto_map" in config) == (not standard) and (out / "modeling_xlt.py").exists() == (not standard)
            assert list(config["id2label"].values()) == json.loads((model / "config.json").read_text())["labels"]
            assert config["label2id"] == {v: int(k) for k, v in config["id2label"].items()}
            assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == MAX_LENGTH
            card = (out / "README.md").read_text()
            assert card.startswith("---\nlibrary_name: transformers\n")
            assert f"pipeline_tag: {'text' if kind == 'sequence' else 'token'}-classification" in card
            recorded = run[kind]["scores"][str(model)]
            assert f"| {recorded['score']:.4f} |" in card  # the test score the evaluation recorded
            assert "a tiny randomly initialised BERT" in card and "## Intended use and limits" in card
            assert ("Voters Module of 3 voters, intermediate widths [32, 28, 36]" in card) == (which == "mixed")
            assert f"learning_rate {HP['learning_rate']:g}" in card
            # xlt predict on the same inputs
            src = tmp_path / f"{kind}-{which}.txt"
            src.write_text("".join((t if kind == "sequence" else " ".join(t)) + "\n" for t in inputs), encoding="utf-8")
            pred = tmp_path / f"{kind}-{which}.jsonl"
            assert xlt_predict("--model", model, "--input", src, "--output", pred) == 0
            rows = read_rows(pred)
            expected[f"{kind}-{which}"] = [r["label"] if kind == "sequence" else r["tags"] for r in rows]
            jobs[f"{kind}-{which}"] = {"dir": str(out), "kind": kind, "remote": not standard, "inputs": inputs}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "mods"),
           "PYTHONPATH": ""}
    res = subprocess.run([sys.executable, "-c", PIPELINES, json.dumps(jobs)], capture_output=True, text=True,
                         timeout=400, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    for name in jobs:
        assert got[name] == expected[name], name
    assert len(set(expected["sequence-mixed"])) == 2 and any(t != "O" for s in expected["token-mixed"] for t in s)


def test_export_refuses_to_overwrite_and_reports_a_foreign_folder(run, tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    with pytest.raises(SystemExit):
        cli.main(["export", "--model", str(run["sequence"]["ft"]), "--out", str(tmp_path / "taken")])
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / 'taken'}: already exists (choose another --out, "
                                               "or --force to replace it)")
    from xlt.export import export_model

    export_model(run["token"]["ft"], tmp_path / "std")
    with pytest.raises(SystemExit):
        cli.main(["export", "--model", str(tmp_path / "std"), "--out", str(tmp_path / "again")])
    assert "not an xlt classifier (model_type 'bert')" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ the rule


@pytest.mark.slow
def test_predict_rule_builds_its_outputs_from_the_config_list(tmp_path):
    news = tmp_path / "de_news.txt"
    news.write_text("Anna wohnt in Berlin .\n", encoding="utf-8")
    reviews_file = tmp_path / "reviews.jsonl"
    reviews_file.write_text('{"text": "Ein gutes Buch."}\n', encoding="utf-8")
    extra = tmp_path / "predict.yaml"
    extra.write_text(f"predict:\n  variants: [full, mbert]\n  conll:\n    de: [{news}]\n"
                     f"  cls:\n    ja-books: [{reviews_file}]\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", "config/demo.yaml", str(extra)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    out = res.stdout + res.stderr
    blocks = [b for b in out.split("\n\n") if "rule predict:" in b]
    jobs = {}
    for b in blocks:
        fields = dict(line.strip().split(": ", 1) for line in b.splitlines() if ": " in line and line.startswith("    "))
        jobs[fields["output"]] = fields["input"]
    assert jobs == {
        "results/predict/conll/de/seed1/full/de_news.jsonl": f"results/conll/de/seed1/st/task-vm.S1.H1-auto.S2/model, {news}",
        "results/predict/conll/de/seed1/mbert/de_news.jsonl": f"results/conll/en/seed1/ft-none/model, {news}",
        "results/predict/cls/ja-books/seed1/full/reviews.jsonl":
            f"results/cls/ja-books/seed1/st/task-vm.S1.H1-auto.S2.H2-auto/model, {reviews_file}",
        "results/predict/cls/ja-books/seed1/mbert/reviews.jsonl": f"results/cls/en-books/seed1/ft-none/model, {reviews_file}",
    }
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"predict:\n  conll:\n    fr: [{news}]\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", "config/demo.yaml", str(bad)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    errors = [line for line in (res.stdout + res.stderr).splitlines() if line.startswith("error:")]
    assert res.returncode != 0 and errors == ["error: config: predict.conll.fr: 'fr' is not a target of conll "
                                              "(expected one of de)"]


# ------------------------------------------------------------------ self-training scripts on the same models


def _cls_source(run):
    return str(Path(run["root"]) / "results" / "data" / "cls" / "train.jsonl")


def _select_threshold(run, tmp_path, previous=None):
    out = tmp_path / "threshold"
    tmp_path.mkdir(parents=True, exist_ok=True)
    inputs = {"student": str(run["sequence"]["st"]), "source": _cls_source(run)}
    if previous is not None:
        inputs["previous_keep"] = str(previous)
    code, log = run_script(
        "select_threshold", tmp_path, input=inputs,
        params={"kind": "sequence", "thresholds": [0.5, 0.6, 0.7, 0.8, 0.9], "curvature": "second_derivative",
                "min_support": 0.05, "fallback_threshold": 0.9, "ner_selection": "sentence", "ner_curve": "entities",
                "guards": "off", "class_keep_ratio": 0.5, "max_length": MAX_LENGTH, "runtime": {"inference_batch_size": 64}},
        output={"alpha": str(out / "alpha.json"), "curve": str(out / "curve_source.tsv"),
                "keep": str(out / "source_keep.json")},
        wildcards={"task": "cls", "target": "de-books", "seed": "1", "chain": "task-vm.S1"})
    assert code == 0, log
    return json.loads((out / "source_keep.json").read_text()), out


def test_an_english_sample_dropped_in_an_earlier_round_stays_dropped(run, tmp_path):
    first, _ = _select_threshold(run, tmp_path / "r1")
    kept = [i for i, k in enumerate(first["keep"]) if k]
    assert len(kept) > 4
    previous = tmp_path / "previous_keep.json"
    mask = list(first["keep"])
    for i in kept[:4]:  # samples this student gets right, dropped by an earlier round
        mask[i] = False
    previous.write_text(json.dumps({"keep": mask}))
    second, _ = _select_threshold(run, tmp_path / "r2", previous)
    assert [second["keep"][i] for i in kept[:4]] == [False] * 4
    assert second["kept"] == first["kept"] - 4 and second["previous_kept"] == sum(mask)


def _hard_step(run, tmp_path, monkeypatch, *, keep, fixed_threshold, alpha):
    import xlt.train.api

    seen = {}
    real = xlt.train.api.train_hard

    def recording(student, examples, **kw):
        seen["examples"] = list(examples)
        return real(student, examples, **kw)

    monkeypatch.setattr(xlt.train.api, "train_hard", recording)
    folder = tmp_path / "hard"
    folder.mkdir(parents=True)
    (folder / "alpha.json").write_text(json.dumps({"alpha": alpha, "rule": "curvature", "guards": []}))
    (folder / "keep.json").write_text(json.dumps({"keep": keep, "guards": []}))
    corpus = str(Path(run["root"]) / "results" / "corpus" / "cls" / "corpus.jsonl")
    code, log = run_script(
        "hard_label_step", tmp_path,
        input={"student": str(run["sequence"]["st"]), "alpha": str(folder / "alpha.json"),
               "keep": str(folder / "keep.json"), "source": _cls_source(run), "corpus": corpus},
        params={"kind": "sequence", "hp": {**HP, "epochs": 1}, "balance": "none", "fixed_threshold": fixed_threshold,
                "ner_selection": "sentence", "guards": "off", "class_keep_ratio": 0.5, "runtime": {"inference_batch_size": 64}, "seed": 1,
                "checkpoints": str(tmp_path / "ck")},
        output={"model": str(folder / "model"), "pseudo": str(folder / "pseudo_labels.json")},
        wildcards={"task": "cls", "target": "de-books", "seed": "1", "chain": "task-vm.S1.H1-auto"})
    assert code == 0, log
    return json.loads((folder / "pseudo_labels.json").read_text()), seen["examples"]


def test_the_hard_step_trains_on_the_kept_english_samples_only(run, tmp_path, monkeypatch):
    source = [json.loads(line) for line in Path(_cls_source(run)).read_text().splitlines()]
    keep = [i % 3 != 0 for i in range(len(source))]
    stats, examples = _hard_step(run, tmp_path, monkeypatch, keep=keep, fixed_threshold=None, alpha=0.5)
    assert stats["source_kept"] == sum(keep) < len(source)
    english = [ex for ex in examples if ex in source]
    assert len(english) == sum(keep) and len(examples) == sum(keep) + stats["target_selected"]
    assert all(source[i] not in english for i in range(len(source)) if not keep[i])


def test_a_fixed_threshold_overrides_the_automatic_alpha(run, tmp_path, monkeypatch):
    source_n = len(Path(_cls_source(run)).read_text().splitlines())
    auto, _ = _hard_step(run, tmp_path / "auto", monkeypatch, keep=[True] * source_n, fixed_threshold=None, alpha=0.0)
    fixed, examples = _hard_step(run, tmp_path / "fixed", monkeypatch, keep=[True] * source_n,
                                 fixed_threshold=0.999999, alpha=0.0)
    assert auto["alpha"] == 0.0 and auto["target_selected"] > 0
    assert fixed["alpha"] == 0.999999 and fixed["auto_alpha"] == 0.0 and fixed["alpha_rule"] == "fixed"
    assert fixed["target_selected"] < auto["target_selected"]
    assert len(examples) == source_n + fixed["target_selected"]


def test_threshold_and_hard_steps_use_the_labels_of_the_model(run, tmp_path):
    """A NER source with PER and LOC only: the threshold step and the hard step read the model's five labels."""
    tok, root = run["token"], run["root"]
    source = root / "results" / "data" / "conll" / "train.jsonl"
    corpus = root / "results" / "corpus" / "conll" / "corpus.jsonl"
    threshold = tmp_path / "threshold"
    code, log = run_script("select_threshold", tmp_path,
                           input={"student": str(tok["st"]), "teacher": str(tok["ft"]), "source": str(source)},
                           params={"kind": "token", "thresholds": [0.3, 0.5, 0.7, 0.9], "curvature": "second_derivative",
                                   "min_support": 0.05, "fallback_threshold": 0.5, "ner_selection": "token",
                                   "ner_curve": "entities", "guards": "off", "class_keep_ratio": 0.5,
                                   "max_length": MAX_LENGTH, "runtime": {"inference_batch_size": 64}},
                           output={"alpha": str(threshold / "alpha.json"), "curve": str(threshold / "curve.tsv"),
                                   "keep": str(threshold / "keep.json")},
                           wildcards={"task": "conll", "target": "de", "seed": "1", "chain": "task-vm.S1"})
    assert code == 0, log
    keep = json.loads((threshold / "keep.json").read_text())
    assert set(keep["kept_by_class"]) <= {"O", "PER", "LOC"} and "PER" in keep["kept_by_class"]

    hard = tmp_path / "hard" / "model"
    code, log = run_script("hard_label_step", tmp_path,
                           input={"student": str(tok["st"]), "alpha": str(threshold / "alpha.json"),
                                  "keep": str(threshold / "keep.json"), "source": str(source), "corpus": str(corpus)},
                           params={"kind": "token", "hp": HP, "balance": "none", "fixed_threshold": 0.0,
                                   "ner_selection": "token", "guards": "off", "class_keep_ratio": 0.5, "runtime": {"inference_batch_size": 64},
                                   "seed": 1,
                                   "checkpoints": str(tmp_path / "ck")},
                           output={"model": str(hard), "pseudo": str(hard.parent / "pseudo_labels.json")},
                           wildcards={"task": "conll", "target": "de", "seed": "1", "chain": "task-vm.S1.H1-0.0"})
    assert code == 0, log
    pseudo = json.loads((hard.parent / "pseudo_labels.json").read_text())
    assert pseudo["target_selected"] > 0 and set(pseudo["pseudo_by_class"]) <= {"O", "PER", "LOC"}
    assert model_labels(hard) == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def test_a_panx_file_is_read_as_conll_with_its_prefixes_stripped(tmp_path):
    from xlt.predict import read_inputs

    path = tmp_path / "panx-ja.test"
    path.write_text("ja:東\tB-ORG\nja:\u3000\tI-ORG\nja:大\tI-ORG\n\nja:は\tO\n", encoding="utf-8")
    records, fmt = read_inputs(path, "token")
    assert fmt == "conll"
    assert [r["tokens"] for r in records] == [["東", "\u3000", "大"], ["は"]]
    assert records[0]["gold_tags"] == ["B-ORG", "I-ORG", "I-ORG"]
    plain = tmp_path / "ja.test"  # without prefixes: the full-width space token still makes a column of its own
    plain.write_text("東\tB-ORG\n\u3000\tI-ORG\n大\tI-ORG\n", encoding="utf-8")
    assert read_inputs(plain, "token") == ([{**records[0], "line": 1}], "conll")
