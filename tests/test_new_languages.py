"""Two target languages the paper never used, Swahili (Latin script) and Korean (Hangul), for both tasks: CLS
reviews in language folders sw/ and ko/ beside en/, NER test files in the WikiANN / PAN-X raw form (sw, with
``sw:`` prefixes) and the datasets form (ko, a Parquet file), Wikipedia dumps and a Wikidata mapping. Every file
is small and written by the test. The config validates and dry-runs, and the data and harvest stages run."""

from __future__ import annotations

import bz2
import json
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml

from xlt.data.stats import read_stats_tsv

ROOT = Path(__file__).resolve().parents[1]

REVIEWS = {
    "en": [(5, "Great", "a wonderful book, I loved every page"), (1, "Awful", "a boring book, I stopped early"),
           (4, "Good", "a fine read for a long trip"), (2, "Weak", "thin plot and flat characters")],
    "sw": [(5, "Nzuri sana", "kitabu kizuri ajabu, nimekipenda"), (1, "Mbaya", "kitabu cha kuchosha sana"),
           (4, "Nzuri", "hadithi nzuri kwa safari ndefu"), (2, "Dhaifu", "hadithi dhaifu na wahusika bapa")],
    "ko": [(5, "최고", "정말 훌륭한 책 이었다"), (1, "최악", "너무 지루한 책 이었다"),
           (4, "좋음", "긴 여행에 좋은 책"), (2, "별로", "줄거리가 약하다")],
}

ENGLISH_NER = [  # CoNLL-2003 style: word POS chunk NER
    [("Berlin", "NNP", "I-NP", "B-LOC"), ("and", "CC", "O", "O"), ("Nairobi", "NNP", "I-NP", "B-LOC"),
     ("are", "VBP", "I-VP", "O"), ("cities", "NNS", "I-NP", "O"), (".", ".", "O", "O")],
    [("Amina", "NNP", "I-NP", "B-PER"), ("Juma", "NNP", "I-NP", "I-PER"), ("visited", "VBD", "I-VP", "O"),
     ("Berlin", "NNP", "I-NP", "B-LOC"), (".", ".", "O", "O")],
]
SWAHILI_NER = [[("Amina", "B-PER"), ("Juma", "I-PER"), ("anaishi", "O"), ("Nairobi", "B-LOC"), (".", "O")]]
KOREAN_NER = [(["아미나", "주마", "는", "베를린", "에", "산다", "."], ["B-PER", "I-PER", "O", "B-LOC", "O", "O", "O"]),
              (["삼성", "은", "크다", "."], ["B-ORG", "O", "O", "O"])]  # ORG: a type the English source lacks

WIKI = {
    "sw": [("Berlin", "Berlin ni mji mkuu wa Ujerumani na una wakazi wengi sana ."),
           ("Nairobi", "Watu wengi wanaishi Nairobi kwa sababu ya kazi nyingi .")],
    "ko": [("베를린", "독일 의 수도 는 베를린 이고 인구 가 많은 큰 도시 이다 ."),
           ("나이로비", "케냐 의 수도 는 나이로비 이며 동아프리카 의 중심 도시 이다 .")],
}
WIKIDATA = {"entities": {
    "Q64": {"id": "Q64", "sitelinks": {"enwiki": {"title": "Berlin"}, "swwiki": {"title": "Berlin"},
                                        "kowiki": {"title": "베를린"}}},
    "Q3870": {"id": "Q3870", "sitelinks": {"enwiki": {"title": "Nairobi"}, "swwiki": {"title": "Nairobi"},
                                            "kowiki": {"title": "나이로비"}}},
}}


def review_xml(items) -> str:
    body = "".join(f"<item><rating>{r}.0</rating><summary>{escape(s)}</summary><text>{escape(t)}</text></item>\n"
                   for r, s, t in items)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<items>\n{body}</items>\n'


def dump_xml(pages) -> str:
    out = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">', "<siteinfo/>"]
    for i, (title, text) in enumerate(pages, 1):
        out.append(f"<page><title>{escape(title)}</title><ns>0</ns><id>{i}</id><revision><id>{i}</id>"
                   f'<text xml:space="preserve">{escape(text)}</text></revision></page>')
    return "\n".join(out + ["</mediawiki>"])


@pytest.fixture
def workdir(tmp_path) -> Path:
    datasets = pytest.importorskip("datasets")
    data = tmp_path / "data"
    for lang, items in REVIEWS.items():
        (data / "cls" / lang / "books").mkdir(parents=True)
        for split in ("train", "test"):  # test texts differ from train texts (the fallback pool leaves those out)
            split_items = [(r, f"{s} {split}", t) for r, s, t in items]
            (data / "cls" / lang / "books" / f"{split}.review").write_text(review_xml(split_items), "utf-8")
    conll = data / "ner"
    conll.mkdir()
    english = "-DOCSTART- -X- O O\n\n" + "\n\n".join("\n".join(" ".join(t) for t in s) for s in ENGLISH_NER) + "\n"
    for split in ("train", "testa", "testb"):
        (conll / f"eng.{split}").write_text(english, "utf-8")
    (conll / "sw-panx.test").write_text(
        "\n\n".join("\n".join(f"sw:{w}\t{t}" for w, t in s) for s in SWAHILI_NER) + "\n", "utf-8")
    names = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names))})
    datasets.Dataset.from_dict({"tokens": [t for t, _ in KOREAN_NER],
                                "ner_tags": [[names.index(g) for g in tags] for _, tags in KOREAN_NER]},
                               features=features).to_parquet(str(conll / "ko-wikiann.test.parquet"))
    wiki = data / "wiki"
    wiki.mkdir()
    for lang, pages in WIKI.items():
        (wiki / f"{lang}wiki.xml.bz2").write_bytes(bz2.compress(dump_xml(pages).encode("utf-8")))
    (wiki / "wikidata.json").write_text(json.dumps(WIKIDATA, ensure_ascii=False), "utf-8")

    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    cfg["seeds"] = [1]
    cfg["data"]["cls"]["root"] = str(data / "cls")
    cfg["data"]["conll"]["files"] = {
        "en": {"train": str(conll / "eng.train"), "dev": str(conll / "eng.testa"), "test": str(conll / "eng.testb"),
               "encoding": "auto"},
        "sw": {"test": str(conll / "sw-panx.test"), "encoding": "utf-8"},
        "ko": {"test": str(conll / "ko-wikiann.test.parquet"), "encoding": "auto"},
    }
    cfg["wikipedia"].update(mapping="wikidata", wikidata_json=[str(wiki / "wikidata.json")], min_sentences=1,
                            dumps={lang: [str(wiki / f"{lang}wiki.xml.bz2")] for lang in WIKI})
    variants = ["full", "no_st", "mbert", "mbert_wiki"]
    cfg["tasks"]["cls"].update(languages=["sw", "ko"], domains=["books"], unlabeled_size=3, variants=variants)
    cfg["tasks"]["conll"].update(languages=["sw", "ko"], variants=variants)
    cfg["report"].update(tables=["table3", "table4"], figure2={"task": "conll", "target": "ko", "variant": "full",
                                                               "round": 1})
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), "utf-8")
    return tmp_path


def snakemake(workdir: Path, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
                           str(workdir), "--configfile", "cfg.yaml", *args], cwd=workdir, capture_output=True,
                          text=True, timeout=timeout)


def test_two_new_target_languages_validate_and_dry_run(workdir):
    res = snakemake(workdir, "-n", "--quiet", "rules")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    jobs = {}
    for line in out[out.index("Job stats:"):].splitlines()[3:]:
        fields = line.split()
        if len(fields) != 2 or not fields[1].isdigit():
            break
        jobs[fields[0]] = int(fields[1])
    targets = 2 + 2  # cls sw-books, ko-books; conll sw, ko
    assert jobs["evaluate_cls"] + jobs["evaluate_conll"] == targets
    assert jobs["harvest_entity_sentences"] == 2 and jobs["sample_random_wikipedia"] == targets
    assert jobs["prepare_cls_unlabeled"] == 2  # the fallback pool of sw and ko (no unlabeled.review)
    assert "download_datasets_ner" not in jobs  # the ko test split is a local Parquet file


def test_a_target_from_the_hub_is_downloaded_before_it_is_read(workdir):
    cfg = yaml.safe_load((workdir / "cfg.yaml").read_text("utf-8"))
    cfg["data"]["conll"]["files"]["ko"] = {"hub": {"path": "wikiann", "name": "ko"}, "encoding": "auto"}
    (workdir / "cfg.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), "utf-8")
    res = snakemake(workdir, "-n", "--", "results/data/conll/ko/test.jsonl")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    block = out[out.index("rule download_datasets_ner:"):].split("\n\n")[0]
    assert "output: resources/data/hf/ko/test.parquet" in block and "wildcards: lang=ko, split=test" in block


@pytest.mark.slow
def test_data_and_harvest_stages_run_for_the_new_languages(workdir):
    wanted = ["results/data_stats.tsv", "results/data/conll/sw/test.jsonl", "results/data/conll/ko/test.jsonl",
              "results/data/cls/ko/books/test.jsonl", "results/data/cls/sw/books/unlabeled.jsonl",
              "results/corpus/conll/sw/entity_sentences.jsonl", "results/corpus/conll/ko/entity_sentences.jsonl"]
    res = snakemake(workdir, "--cores", "1", "--", *wanted, timeout=600)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]

    def jsonl(rel):
        return [json.loads(line) for line in (workdir / rel).read_text("utf-8").splitlines()]

    assert jsonl("results/data/conll/sw/test.jsonl") == [{"tokens": [w for w, _ in SWAHILI_NER[0]],
                                                          "tags": [t for _, t in SWAHILI_NER[0]]}]
    assert jsonl("results/data/conll/ko/test.jsonl") == [{"tokens": t, "tags": g} for t, g in KOREAN_NER]
    assert [r["label"] for r in jsonl("results/data/cls/ko/books/test.jsonl")] == [1, 0, 1, 0]
    assert len(jsonl("results/data/cls/sw/books/unlabeled.jsonl")) == 3
    ko = jsonl("results/corpus/conll/ko/entity_sentences.jsonl")
    assert {"베를린", "나이로비"} <= {tok for r in ko for tok in r["tokens"]}
    assert len(jsonl("results/corpus/conll/sw/entity_sentences.jsonl")) == 2

    stats = read_stats_tsv(workdir / "results" / "data_stats.tsv")
    rows = {(r["task"], r["language"], r["split"]) for r in stats}
    assert {("cls", "sw", "test"), ("cls", "ko", "unlabeled"), ("conll", "sw", "test"), ("conll", "ko", "test")} <= rows
    # the Korean test file has ORG, which the English training file lacks: one warning line, in the log and on the
    # terminal; Swahili has the source's types
    log = (workdir / "logs" / "data_stats.log").read_text("utf-8")
    warnings = [line for line in (res.stdout + res.stderr).splitlines() if line.startswith("warning: NER target")]
    assert len(warnings) == 1 and warnings[0].startswith("warning: NER target ko: its test file ")
    assert "lacks (ORG 1 entities, all scored as missed)" in warnings[0] and warnings[0][len("warning: "):] in log


def test_the_worked_example_of_docs_datasets_validates():
    import copy

    import xlt.config as xc
    from snakemake.utils import update_config

    text = (ROOT / "docs" / "datasets.md").read_text("utf-8")
    block = text[text.index("```yaml\n# sw-ko.yaml"):].split("```")[1].removeprefix("yaml\n")
    cfg = copy.deepcopy(yaml.safe_load((ROOT / "config.yaml").read_text()))
    update_config(cfg, yaml.safe_load(block))
    xc.validate(cfg)
    assert xc.targets(cfg, "cls") == ["sw-books", "ko-books"] and xc.targets(cfg, "conll") == ["sw", "ko"]
