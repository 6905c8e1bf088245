"""data_stats.tsv rows, and the workflow scripts that prepare the splits, run through Snakemake."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlt.data.stats import STATS_COLUMNS, read_stats_tsv, stats_row_for_file, stats_rows, write_stats_tsv
from xlt.errors import UserError

REPO = Path(__file__).resolve().parents[1]

REVIEWS = """<?xml version="1.0" encoding="utf-8"?>
<items>
<item><rating>5.0</rating><summary>Très bien</summary><text>un livre inventé pour le test</text></item>
<item><rating>1.0</rating><summary>Nul</summary><text>rien à dire</text></item>
<item><rating>3.0</rating><summary>Bof</summary><text>moyen</text></item>
<item><rating>4.0</rating><summary>Bien</summary><text>assez bon</text></item>
</items>
"""

CONLL_LATIN1 = (
    "-DOCSTART- -X- -X- -X- O\n\nÖl Öl NN I-NC I-MISC\nin in APPR I-PC O\nKöln Köln NE I-NC I-LOC\n\nJa ja ADV O O\n"
)


@pytest.fixture
def raw(tmp_path) -> Path:
    root = tmp_path / "raw"
    for domain in ("books", "dvd", "music"):
        (root / "fr" / domain).mkdir(parents=True)
        (root / "fr" / domain / "train.review").write_text(
            REVIEWS.replace("inventé", f"inventé {domain}").replace("rien", f"rien {domain}"), "utf-8"
        )
        (root / "fr" / domain / "test.review").write_text(REVIEWS.replace("Très bien", f"Super {domain}"), "utf-8")
    (root / "deu.testb").write_bytes(CONLL_LATIN1.encode("latin-1"))
    return root


def test_cls_row_counts_labels_tokens_and_hashes_the_source(raw):
    path = raw / "fr" / "books" / "train.review"
    row = stats_row_for_file("cls", "fr", "books", "train", path)
    assert (row["examples"], row["label_negative"], row["label_positive"], row["dropped_neutral"]) == (3, 1, 2, 1)
    assert row["tokens"] == 9 + 5 + 3  # "Très bien" + text, "Nul" + text, "Bien" + text, split on whitespace
    assert row["mean_tokens"] == round(17 / 3, 2)
    assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and row["source"] == str(path)


def test_conll_row_counts_sentences_with_docstart_and_entities(raw):
    row = stats_row_for_file("conll", "de", "-", "test", raw / "deu.testb", encoding="auto")
    assert (row["examples"], row["docstarts"], row["sentences_with_docstart"], row["tokens"]) == (2, 1, 3, 4)
    assert (row["entities_MISC"], row["entities_LOC"], row["entities_PER"], row["entities_ORG"]) == (1, 1, 0, 0)
    assert (row["encoding"], row["scheme"]) == ("latin-1", "iob1")


def test_entity_types_of_a_target_test_file_and_the_source_training_file_are_compared(tmp_path):
    from xlt.data.stats import entity_type_mismatches

    (tmp_path / "en.train").write_text("Ana B-PER\nin O\nOslo B-LOC\n\nNordwind B-ORG\n", encoding="utf-8")
    (tmp_path / "sw.test").write_text("sw:Ana\tB-PER\nsw:Kombe\tB-MISC\nsw:Kenya\tB-LOC\n", encoding="utf-8")
    (tmp_path / "de.test").write_text("Ana B-PER\nin O\nOslo B-LOC\n\nNordwind B-ORG\n", encoding="utf-8")
    rows = [stats_row_for_file("conll", lang, "-", split, tmp_path / f"{lang}.{split}")
            for lang, split in [("en", "train"), ("sw", "test"), ("de", "test")]]

    lines = entity_type_mismatches(rows, "en")

    assert lines == [f"NER target sw: its test file {tmp_path / 'sw.test'} has entity types the source training file "
                     f"{tmp_path / 'en.train'} lacks (MISC 1 entities, all scored as missed); lacks the source's types "
                     "ORG (every prediction of them is scored as a false positive)"]
    assert entity_type_mismatches(rows[1:], "en") == []  # no source training row: nothing to compare


def test_table_has_fixed_columns_and_blank_cells_where_a_column_does_not_apply(raw, tmp_path):
    rows = [
        stats_row_for_file("cls", "fr", "books", "test", raw / "fr" / "books" / "test.review"),
        stats_row_for_file("conll", "de", "-", "test", raw / "deu.testb"),
    ]
    out = tmp_path / "results" / "data_stats.tsv"
    write_stats_tsv(rows, out)

    header = out.read_text(encoding="utf-8").splitlines()[0].split("\t")
    table = read_stats_tsv(out)
    assert header == STATS_COLUMNS
    assert table[0]["entities_PER"] == "" and table[0]["label_positive"] == "2"
    assert table[1]["label_positive"] == "" and table[1]["sentences_with_docstart"] == "3"
    with pytest.raises(ValueError, match="unknown stats columns: colour"):
        write_stats_tsv([{"colour": 1}], tmp_path / "bad.tsv")
    with pytest.raises(UserError, match="task 'pos'"):
        stats_row_for_file("pos", "de", "-", "test", raw / "deu.testb")


def test_stats_rows_make_one_row_per_split_and_one_per_unlabeled_pool(raw):
    unlabeled = raw / "fr" / "dvd" / "unlabeled.review"
    unlabeled.write_text(REVIEWS, "utf-8")
    entries = [
        {"task": "cls", "lang": "fr", "domain": "dvd", "split": "unlabeled", "path": str(unlabeled)},
        {
            "task": "conll",
            "lang": "de",
            "domain": None,
            "split": "test",
            "path": str(raw / "deu.testb"),
            "encoding": "auto",
        },
    ]
    rows = stats_rows(entries)
    assert [(r["language"], r["domain"], r["split"], r["examples"]) for r in rows] == [
        ("fr", "dvd", "unlabeled", 4),  # labels ignored: the three-star review counts too
        ("de", "-", "test", 2),
    ]
    assert rows[0]["unlabeled_pool"] == "unlabeled" and "label_positive" not in rows[0]

    twice = [dict(entries[1]), dict(entries[1], path=str(raw / "fr" / "dvd" / "test.review"))]
    with pytest.raises(UserError, match="data_stats: 2 files for conll de - test"):
        stats_rows(twice)


SNAKEFILE = """
SCRIPTS = "{scripts}"


rule prepare_cls_train:
    input:
        review="raw/fr/books/train.review",
    output:
        data="out/fr_books_train.jsonl",
        info="out/fr_books_train.json",
    params:
        kind="labelled",
    log:
        "logs/prepare_cls_train.log",
    script:
        SCRIPTS + "/prepare_cls.py"


rule prepare_cls_unlabeled:
    input:
        reviews=expand("raw/fr/{{d}}/train.review", d=["books", "dvd", "music"]),
        exclude=expand("raw/fr/{{d}}/test.review", d=["books", "dvd", "music"]),
    output:
        data="out/fr_books_unlabeled.jsonl",
        info="out/fr_books_unlabeled.json",
    params:
        kind="unlabeled",
        size=5,
        seed=3,
        fallback=True,
    log:
        "logs/prepare_cls_unlabeled.log",
    script:
        SCRIPTS + "/prepare_cls.py"


rule prepare_conll:
    input:
        conll="raw/{{name}}",
    output:
        data="out/{{name}}.jsonl",
        info="out/{{name}}.json",
    params:
        encoding="auto",
    log:
        "logs/prepare_conll_{{name}}.log",
    script:
        SCRIPTS + "/prepare_conll.py"


rule data_stats:
    input:
        files=["raw/fr/books/train.review", "raw/fr/dvd/train.review", "raw/fr/music/train.review", "raw/deu.testb"],
    output:
        tsv="results/data_stats.tsv",
    params:
        entries=[
            {{"task": "cls", "lang": "fr", "domain": "books", "split": "train", "path": "raw/fr/books/train.review"}},
            {{"task": "cls", "lang": "fr", "domain": "books", "split": "unlabeled", "path": "raw/fr/books/train.review"}},
            {{"task": "cls", "lang": "fr", "domain": "books", "split": "unlabeled", "path": "raw/fr/dvd/train.review"}},
            {{"task": "cls", "lang": "fr", "domain": "books", "split": "unlabeled", "path": "raw/fr/music/train.review"}},
            {{"task": "conll", "lang": "de", "domain": None, "split": "test", "path": "raw/deu.testb", "encoding": "latin-1"}},
        ],
    log:
        "logs/data_stats.log",
    script:
        SCRIPTS + "/data_stats.py"
"""


def run_workflow(workdir: Path, *targets: str) -> subprocess.CompletedProcess:
    (workdir / "Snakefile").write_text(SNAKEFILE.format(scripts=REPO / "workflow_scripts"))
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["XDG_CACHE_HOME"] = str(workdir / ".cache")
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--keep-going", "--directory", str(workdir), *targets],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_workflow_scripts_prepare_splits_and_stats_and_report_bad_input_in_one_line(raw, tmp_path):
    (raw / "bad.conll").write_text("Madrid NC B-LOC\n\nen SP O O\n", encoding="utf-8")
    targets = [
        "out/fr_books_train.jsonl",
        "out/fr_books_unlabeled.jsonl",
        "out/deu.testb.jsonl",
        "results/data_stats.tsv",
        "out/bad.conll.jsonl",
    ]

    result = run_workflow(tmp_path, *targets)

    assert result.returncode != 0  # the bad file fails; --keep-going runs the others
    out = tmp_path / "out"
    train = [json.loads(line) for line in (out / "fr_books_train.jsonl").read_text("utf-8").splitlines()]
    assert train == [
        {"text": "Très bien\nun livre inventé books pour le test", "label": 1},
        {"text": "Nul\nrien books à dire", "label": 0},
        {"text": "Bien\nassez bon", "label": 1},
    ]
    assert json.loads((out / "fr_books_train.json").read_text())["dropped_neutral"] == 1

    unlabeled = [json.loads(line) for line in (out / "fr_books_unlabeled.jsonl").read_text("utf-8").splitlines()]
    info = json.loads((out / "fr_books_unlabeled.json").read_text())
    # labels are not training input: the gold label rides along only as the oracle diagnostic's field
    assert len(unlabeled) == 5 and all(set(r) == {"text", "oracle_label"} for r in unlabeled)
    assert {(r["text"].split("\n")[0], r["oracle_label"]) for r in unlabeled} <= {("Très bien", 1), ("Nul", 0)}
    assert (
        info["pool"] == "train-fallback" and info["pool_size"] == 6
    )  # per domain "Très bien" and "Nul"; labels ignored
    assert info["removed_test_duplicates"] == 6  # "Bof" and "Bien" are test reviews too, in every domain
    assert "fallback pool" in (tmp_path / "logs" / "prepare_cls_unlabeled.log").read_text()

    conll = [json.loads(line) for line in (out / "deu.testb.jsonl").read_text("utf-8").splitlines()]
    assert conll[0] == {"tokens": ["Öl", "in", "Köln"], "tags": ["B-MISC", "O", "B-LOC"]}
    assert json.loads((out / "deu.testb.json").read_text())["encoding"] == "latin-1"

    table = read_stats_tsv(tmp_path / "results" / "data_stats.tsv")
    assert [(r["task"], r["language"], r["domain"], r["split"], r["examples"]) for r in table] == [
        ("cls", "fr", "books", "train", "3"),
        ("cls", "fr", "books", "unlabeled", "6"),  # the fallback pool, as the unlabeled sample draws from it
        ("conll", "de", "-", "test", "2"),
    ]
    assert table[1]["unlabeled_pool"] == "train-fallback" and table[0]["unlabeled_pool"] == ""
    assert table[1]["source"] == ";".join(f"raw/fr/{d}/train.review" for d in ("books", "dvd", "music"))
    assert len(table[1]["sha256"].split(";")) == 3

    assert not (out / "bad.conll.jsonl").exists()
    log = (tmp_path / "logs" / "prepare_conll_bad.conll.log").read_text().splitlines()
    errors = [line for line in log if line.startswith("error:") or "Traceback" in line]
    assert errors == [f"error: {Path('raw') / 'bad.conll'}:3: 4 columns, expected 3 like line 1 ('word ... tag')"]
