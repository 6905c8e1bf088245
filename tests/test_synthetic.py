"""The synthetic demo benchmark: real formats, declared files, determinism, and data the method can learn from."""

from __future__ import annotations

import bz2
import collections
import gzip
import json
import logging
import math
import re
import runpy
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from xlt.errors import UserError
from xlt.synthetic import make_synthetic_benchmark, synthetic_files

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data"
MW = "{http://www.mediawiki.org/xml/export-0.10/}"

SMALL = dict(
    cls_languages=["en", "de", "jp"],
    cls_domains=["books"],
    cls_sizes={"train": 40, "test": 30, "unlabeled": 20},
    conll_languages=["en", "de", "es", "nl"],
    conll_sizes={"train": 60, "dev": 30, "test": 25},
    wiki_pages={"de": 5, "es": 3, "ja": 4},
)
CONLL = {  # file: (columns, encoding, scheme, -DOCSTART- line or None, blank line after it)
    "eng.train": (4, "ascii", "iob1", "-DOCSTART- -X- O O", True),
    "eng.testa": (4, "ascii", "iob1", "-DOCSTART- -X- O O", True),
    "eng.testb": (4, "ascii", "iob1", "-DOCSTART- -X- -X- O", True),
    "deu.testa": (5, "latin-1", "iob1", "-DOCSTART- -X- -X- -X- O", True),
    "deu.testb": (5, "latin-1", "iob1", "-DOCSTART- -X- -X- -X- O", True),
    "esp.testa": (3, "utf-8", "iob2", None, None),
    "esp.testb": (3, "utf-8", "iob2", None, None),
    "ned.testa": (3, "utf-8", "iob2", "-DOCSTART- -DOCSTART- O", False),
    "ned.testb": (3, "utf-8", "iob2", "-DOCSTART- -DOCSTART- O", False),
}
SIZE_OF = {"train": "train", "testa": "dev", "testb": "test"}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    written = make_synthetic_benchmark(root, seed=3, **SMALL)
    return root, written


def _files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _dump_pages(path: Path) -> tuple[str, list[dict]]:
    """(sitename, pages) of a bzip2 MediaWiki export, read with iterparse."""
    sitename, pages = None, []
    with bz2.open(path) as fh:
        for _, elem in ET.iterparse(fh):
            if elem.tag == MW + "sitename":
                sitename = elem.text
            elif elem.tag == MW + "page":
                redirect = elem.find(MW + "redirect")
                pages.append(
                    {
                        "title": elem.findtext(MW + "title"),
                        "ns": int(elem.findtext(MW + "ns")),
                        "id": int(elem.findtext(MW + "id")),
                        "redirect": None if redirect is None else redirect.get("title"),
                        "text": elem.find(f"{MW}revision/{MW}text").text or "",
                    }
                )
                elem.clear()
    return sitename, pages


_ROW = re.compile(r"\((\d+),'((?:[^'\\]|\\.)*)','((?:[^'\\]|\\.)*)'\)")


def _langlinks(path: Path) -> list[tuple[int, str, str]]:
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    assert "CREATE TABLE `langlinks`" in text
    rows = []
    for line in text.splitlines():
        if line.startswith("INSERT INTO `langlinks` VALUES "):
            rows += [(int(a), b, re.sub(r"\\(.)", r"\1", c)) for a, b, c in _ROW.findall(line)]
    return rows


def _conll_sentences(text: str) -> list[list[list[str]]]:
    sentences, cur = [], []
    for line in text.split("\n"):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            if cur:
                sentences.append(cur)
            cur = []
            continue
        cur.append(fields)
    if cur:
        sentences.append(cur)
    return sentences


# --------------------------------------------------------------------------------------------------
# Files, determinism, argument errors


def test_written_files_are_exactly_the_declared_list(bench):
    root, written = bench
    declared = synthetic_files(SMALL["cls_languages"], SMALL["cls_domains"], SMALL["conll_languages"])
    assert written == [root / rel for rel in declared]
    assert _files_under(root) == set(declared)
    assert "cls/jp/books/unlabeled.review" in declared  # Japanese is "jp" in the corpus
    # one Wikipedia per target language of either task, besides the English one
    assert {p.split("/")[1] for p in declared if p.endswith("wiki.xml.bz2")} == {"en", "de", "es", "nl", "ja"}
    readme = (root / "README.txt").read_text(encoding="utf-8")
    assert (
        "SYNTHETIC" in readme and json.loads((root / "manifest.json").read_text(encoding="utf-8"))["synthetic"] is True
    )


def test_a_disabled_task_writes_no_files_for_it():
    files = synthetic_files([], ["books"], ["de"])
    assert not any(f.startswith("cls/") for f in files)
    assert "conll/eng.train" in files and "conll/deu.testb" in files  # English always comes with a target
    assert "wikipedia/de/wiki.xml.bz2" in files


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path):
    args = dict(
        SMALL, cls_sizes={"train": 10, "test": 10, "unlabeled": 5}, conll_sizes={"train": 12, "dev": 6, "test": 6}
    )
    a, b, c = (tmp_path / n for n in "abc")
    make_synthetic_benchmark(a, seed=11, **args)
    make_synthetic_benchmark(b, seed=11, **args)
    make_synthetic_benchmark(c, seed=12, **args)
    files = sorted(_files_under(a))
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert sum((a / f).read_bytes() != (c / f).read_bytes() for f in files) >= len(files) - 3
    assert gzip.decompress((a / "wikipedia/enwiki-langlinks.sql.gz").read_bytes())
    assert (a / "wikipedia/enwiki-langlinks.sql.gz").read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime 0


@pytest.mark.parametrize(
    "override, key",
    [
        ({"cls_languages": ["en", "xx"]}, "cls_languages"),
        ({"conll_languages": ["en", "ja"]}, "conll_languages"),
        ({"cls_domains": ["kitchen"]}, "cls_domains"),
        ({"cls_sizes": {"train": 10, "test": 10}}, "cls_sizes.unlabeled"),
        ({"conll_sizes": {"train": 0, "dev": 1, "test": 1}}, "conll_sizes.train"),
        ({"wiki_pages": {"it": 3}}, "wiki_pages"),
    ],
)
def test_bad_arguments_are_user_errors_naming_the_key(tmp_path, override, key):
    with pytest.raises(UserError, match=re.escape(key)):
        make_synthetic_benchmark(tmp_path, seed=0, **dict(SMALL, **override))
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------------------------------
# Webis-CLS-10


def _items(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    assert root.tag == "items"
    return list(root)


def test_reviews_parse_with_the_corpus_fields_and_balanced_labels(bench):
    root, _ = bench
    for lang in ("en", "de", "jp"):
        test = _items(root / f"cls/{lang}/books/test.review")
        stars = collections.Counter(float(it.findtext("rating")) for it in test)
        assert set(stars) <= {1.0, 2.0, 4.0, 5.0}
        assert stars[1.0] + stars[2.0] == stars[4.0] + stars[5.0] == 15
        train = _items(root / f"cls/{lang}/books/train.review")
        train_stars = collections.Counter(float(it.findtext("rating")) for it in train)
        assert train_stars[3.0] == 2 and len(train) == 42  # 40 labelled + 40 // 20 three-star reviews
        texts = collections.Counter((it.findtext("summary"), it.findtext("text")) for it in train)
        assert max(texts.values()) >= 2  # an exact duplicate, as the corpus has
        assert len(_items(root / f"cls/{lang}/books/unlabeled.review")) == 20
    en_fields = {tuple(child.tag for child in it) for it in _items(root / "cls/en/books/test.review")}
    assert en_fields == {("summary", "rating", "text", "category")}
    de_fields = {child.tag for it in _items(root / "cls/de/books/test.review") for child in it}
    assert {"asin", "url", "title", "reviewer", "date", "helpfulness_votes", "realname"} <= de_fields


def test_japanese_reviews_are_japanese_script_without_spaces(bench):
    root, _ = bench
    for it in _items(root / "cls/jp/books/test.review"):
        text = it.findtext("text")
        assert re.search(r"[\u3040-\u309f]", text) and re.search(r"[\u30a0-\u30ff\u4e00-\u9fff]", text)
        assert "。" in text or "！" in text
        assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff。！、] +[\u3040-\u30ff\u4e00-\u9fff]", text)


def _tokens(text: str) -> set[str]:
    return set(text.lower().split())


def _naive_bayes(examples):
    counts = {0: collections.Counter(), 1: collections.Counter()}
    docs = collections.Counter()
    for text, label in examples:
        counts[label].update(_tokens(text))
        docs[label] += 1
    vocab = set(counts[0]) | set(counts[1])
    totals = {y: sum(counts[y].values()) + len(vocab) for y in (0, 1)}

    def score(text):  # log-odds of positive
        return math.log(docs[1] / docs[0]) + sum(
            math.log((counts[1][w] + 1) / totals[1]) - math.log((counts[0][w] + 1) / totals[0])
            for w in _tokens(text)
            if w in vocab
        )

    return score


def _reviews(path: Path, labelled: bool = True):
    out = []
    for it in _items(path):
        stars = float(it.findtext("rating"))
        if labelled and stars == 3.0:
            continue
        out.append((it.findtext("summary") + "\n" + it.findtext("text"), int(stars > 3)))
    return out


def test_english_sentiment_transfers_partly_and_self_training_on_target_text_helps(tmp_path):
    """What the demo needs from the data: English is learnable, zero-shot transfer beats chance but stays well
    below English, and pseudo-labelling target unlabeled reviews (self-training) closes much of the gap."""
    make_synthetic_benchmark(
        tmp_path,
        seed=5,
        cls_languages=["en", "de", "ja"],
        cls_domains=["music"],
        cls_sizes={"train": 200, "test": 200, "unlabeled": 300},
        conll_languages=[],
        wiki_pages={},
    )
    english = _reviews(tmp_path / "cls/en/music/train.review")
    model = _naive_bayes(english)

    def accuracy(score, data):
        return sum((score(t) > 0) == bool(y) for t, y in data) / len(data)

    en_acc = accuracy(model, _reviews(tmp_path / "cls/en/music/test.review"))
    assert en_acc >= 0.9
    for lang in ("de", "jp"):
        test = _reviews(tmp_path / f"cls/{lang}/music/test.review")
        zero_shot = accuracy(model, test)
        assert 0.6 <= zero_shot <= en_acc - 0.08, (lang, zero_shot, en_acc)
        scored = sorted(((model(t), t) for t, _ in _reviews(tmp_path / f"cls/{lang}/music/unlabeled.review", False)))
        k = len(scored) // 4  # the most confident quarter of each side becomes pseudo-labelled data
        pseudo = [(t, 0) for _, t in scored[:k]] + [(t, 1) for _, t in scored[-k:]]
        self_trained = accuracy(_naive_bayes(english + pseudo), test)
        assert self_trained >= zero_shot + 0.08, (lang, zero_shot, self_trained)


# --------------------------------------------------------------------------------------------------
# CoNLL


def test_conll_files_have_the_declared_columns_encodings_and_docstarts(bench):
    root, _ = bench
    for name, (columns, encoding, _, docstart, blank_after) in CONLL.items():
        raw = (root / "conll" / name).read_bytes()
        if encoding == "latin-1":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")  # ISO-8859-1 umlauts are not UTF-8
            assert re.search("[äöüÄÖÜß]", raw.decode("latin-1"))
        text = raw.decode(encoding)
        lines = text.split("\n")
        assert {len(l.split()) for l in lines if l.strip()} == {columns}, name
        docstarts = [i for i, l in enumerate(lines) if l.startswith("-DOCSTART-")]
        if docstart is None:
            assert not docstarts
        else:
            assert lines[0] == docstart and {lines[i] for i in docstarts} == {docstart}
            assert all((lines[i + 1] == "") == blank_after for i in docstarts), name
        assert text.endswith("\n\n")
        assert len(_conll_sentences(text)) == SMALL["conll_sizes"][SIZE_OF[name.split(".")[1]]]


def test_conll_tag_schemes_are_iob1_or_iob2_as_in_the_originals(bench):
    root, _ = bench
    for name, (_, encoding, scheme, _, _) in CONLL.items():
        opened_by = collections.Counter()
        for sentence in _conll_sentences((root / "conll" / name).read_bytes().decode(encoding)):
            prev = "O"
            for fields in sentence:
                tag = fields[-1]
                assert re.fullmatch(r"O|[BI]-(PER|ORG|LOC|MISC)", tag), tag
                if tag != "O":
                    prefix, typ = tag.split("-")
                    continues = prev != "O" and prev[2:] == typ
                    if prefix == "B" and scheme == "iob1":
                        assert continues, f"{name}: B- only separates two adjacent {typ} entities in IOB1"
                    if prefix == "I" and scheme == "iob2":
                        assert continues, f"{name}: I- never opens an entity in IOB2"
                    if not continues or prefix == "B":
                        opened_by[prefix] += 1
                prev = tag
        assert opened_by["I" if scheme == "iob1" else "B"] > 0.9 * sum(opened_by.values()), name


def test_target_files_use_language_specific_entity_names(bench):
    root, _ = bench
    german = (root / "conll/deu.testa").read_bytes().decode("latin-1") + (root / "conll/deu.testb").read_bytes().decode(
        "latin-1"
    )
    english = (root / "conll/eng.train").read_text(encoding="ascii")
    assert re.search(r"^Weltra .* I-LOC$", german, re.M) and not re.search(r"^Weltra ", english, re.M)
    assert re.search(r"^Veltra NNP I-NP I-LOC$", english, re.M)


# --------------------------------------------------------------------------------------------------
# Wikipedia


def test_dumps_parse_and_the_english_entity_to_target_sentence_chain_works(bench):
    root, _ = bench
    dumps = {lang: _dump_pages(root / f"wikipedia/{lang}/wiki.xml.bz2") for lang in ("en", "de", "es", "nl", "ja")}
    assert all("Synthetic" in sitename for sitename, _ in dumps.values())
    en = {p["title"]: p for p in dumps["en"][1]}
    de = {p["title"]: p for p in dumps["de"][1]}
    # English pages named as the entities, redirects among them
    assert en["Veltra"]["redirect"] is None and en["Merin"]["redirect"] == "Merin (river)"
    assert en["Norvik"]["redirect"] == "Norvik Holding"
    assert any("[[de:" in p["text"] for p in en.values())  # old-style inline interlanguage links

    rows = _langlinks(root / "wikipedia/enwiki-langlinks.sql.gz")
    en_ids = {p["id"] for p in en.values() if p["redirect"] is None}
    assert rows and {r[0] for r in rows} <= en_ids
    assert {r[1] for r in rows} == {"de", "es", "nl", "ja"}
    assert any("'" in title for _, _, title in rows)  # quotes escaped in the SQL survive

    # "Veltra" occurs in the English training file; its German page is "Weltra" and German text mentions it
    assert "Veltra" in {f[0] for s in _conll_sentences((root / "conll/eng.train").read_text()) for f in s}
    (title,) = [t for pid, lang, t in rows if pid == en["Veltra"]["id"] and lang == "de"]
    assert title == "Weltra" and de[title]["redirect"] is None and de[title]["ns"] == 0
    mentions = [p for p in de.values() if "Weltra" in p["text"] and p["ns"] == 0 and p["redirect"] is None]
    assert len(mentions) >= 2
    # a short name reaches its target pages through an English redirect
    norvik = en[en["Norvik"]["redirect"]]["id"]
    assert (norvik, "ja", "ノルヴィク・ホールディング") in rows
    # random pages for the ablation: German articles about no gazetteer entity at all
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    entity_titles = {e["titles"]["de"] for e in manifest["wikipedia"]["entities"] if "de" in e.get("titles", {})}
    random_articles = [t for t, p in de.items() if p["ns"] == 0 and p["redirect"] is None and t not in entity_titles]
    assert len(random_articles) == SMALL["wiki_pages"]["de"]


def test_wikidata_sitelinks_match_the_dumps(bench):
    root, _ = bench
    answer = json.loads((root / "wikipedia/wikidata.json").read_text(encoding="utf-8"))
    titles = {
        lang: {p["title"] for p in _dump_pages(root / f"wikipedia/{lang}/wiki.xml.bz2")[1]}
        for lang in ("en", "de", "ja")
    }
    entities = answer["entities"].values()
    assert answer["success"] == 1 and len(entities) > 30
    for entity in entities:
        links = entity["sitelinks"]
        assert links["enwiki"]["title"] in titles["en"]
        for lang in ("de", "ja"):
            if f"{lang}wiki" in links:
                assert links[f"{lang}wiki"]["title"] in titles[lang]
    assert any(e["sitelinks"].get("dewiki", {}).get("title") == "Weltra" for e in entities)


# --------------------------------------------------------------------------------------------------
# The project's own readers, and the real corpora's layout


def test_the_project_readers_accept_the_files(bench):
    from xlt.data.cls import load_cls_split
    from xlt.data.conll import read_conll
    from xlt.wiki.dump import iter_articles
    from xlt.wiki.wikitext import wikitext_to_text

    root, _ = bench
    records, info = load_cls_split(root / "cls/jp/books/train.review")
    assert len(records) == 40 and info["dropped_neutral"] == 2
    for name, (_, encoding, scheme, _, _) in CONLL.items():
        sentences, info = read_conll(root / "conll" / name)
        assert info["scheme"] == scheme and info["repaired"] == 0
    articles = list(iter_articles(root / "wikipedia/de/wiki.xml.bz2"))
    text = wikitext_to_text(next(a for a in articles if a.title == "Weltra").text)
    assert "Weltra" in text and "{{" not in text and "<ref" not in text


@pytest.mark.skipif(not REAL_DATA.exists(), reason=f"real benchmark data not found at {REAL_DATA}")
def test_layout_matches_the_real_corpora(bench):
    root, _ = bench
    for lang in ("en", "de"):
        real = ET.parse(REAL_DATA / f"cls/cls-acl10-unprocessed/{lang}/books/test.review").getroot()
        ours = ET.parse(root / f"cls/{lang}/books/test.review").getroot()
        assert [c.tag for c in real[0]] == [c.tag for c in ours[0]], lang
    for ours_name, real_path in [
        ("eng.train", "conll2003/eng/eng.train"),
        ("eng.testb", "conll2003/eng/eng.testb"),
        ("deu.testa", "conll2003/deu/deu.testa"),
        ("ned.testa", "conll2002/ned.testa"),
    ]:
        real_lines = (REAL_DATA / real_path).read_bytes().split(b"\n")[:2]
        our_lines = (root / "conll" / ours_name).read_bytes().split(b"\n")[:2]
        assert real_lines[0] == our_lines[0] and (real_lines[1] == b"") == (our_lines[1] == b""), ours_name
    with bz2.open(REAL_DATA / "wikipedia/dumps/en/wiki.xml.bz2") as fh:
        real_root = next(ET.iterparse(fh, events=("start",)))[1]
    with bz2.open(root / "wikipedia/en/wiki.xml.bz2") as fh:
        our_root = next(ET.iterparse(fh, events=("start",)))[1]
    assert real_root.tag == our_root.tag and real_root.get("version") == our_root.get("version")


# --------------------------------------------------------------------------------------------------
# The Snakemake adapter


def test_snakemake_script_writes_the_declared_outputs_and_logs(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdout", sys.stdout)
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    handlers = list(logging.getLogger().handlers)
    out_root = tmp_path / "synthetic"
    params = dict(
        SMALL,
        out_root=str(out_root),
        seed=2,
        cls_sizes={"train": 6, "test": 4, "unlabeled": 2},
        conll_sizes={"train": 5, "dev": 3, "test": 3},
        wiki_pages={"de": 1, "es": 1, "ja": 1},
    )
    outputs = [
        str(out_root / rel)
        for rel in synthetic_files(params["cls_languages"], params["cls_domains"], params["conll_languages"])
    ]
    log = tmp_path / "make_synthetic_data.log"
    smk = SimpleNamespace(params=SimpleNamespace(**params), output=outputs, log=[str(log)])
    try:
        runpy.run_path(str(REPO / "workflow_scripts/make_synthetic_data.py"), init_globals={"snakemake": smk})
        sys.stderr.close()
        with pytest.raises(SystemExit):  # an output list that differs from synthetic_files is refused
            smk.output = outputs[:-1]
            runpy.run_path(str(REPO / "workflow_scripts/make_synthetic_data.py"), init_globals={"snakemake": smk})
    finally:
        sys.stderr.close()
        for handler in logging.getLogger().handlers:
            if handler not in handlers:
                logging.getLogger().removeHandler(handler)
        for handler in handlers:
            if handler not in logging.getLogger().handlers:
                logging.getLogger().addHandler(handler)
    assert all(Path(p).is_file() for p in outputs)
    assert "error: rule make_synthetic_data: output must equal synthetic_files" in log.read_text(encoding="utf-8")
