"""Entity-sentence harvest and the random corpus: filters, caps, seeds; the workflow-script adapters."""

from __future__ import annotations

import bz2
import json
import random
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from xml.sax.saxutils import escape

import pytest

from xlt.wiki.harvest import allocate_caps, harvest_sentences, sample_random_sentences, write_stats_tsv
from xlt.wiki.mapping import TitleRow

ROOT = Path(__file__).resolve().parents[1]


def dump_xml(pages) -> str:
    """Invented target-language pages ``(title, ns, text, redirect)``."""
    out = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">', "<siteinfo/>"]
    for i, (title, ns, text, redirect) in enumerate(pages, 1):
        red = f'<redirect title="{escape(redirect)}" />' if redirect else ""
        out.append(
            f"<page><title>{escape(title)}</title><ns>{ns}</ns><id>{i}</id>{red}"
            f'<revision><id>{i}</id><text xml:space="preserve">{escape(text)}</text></revision></page>'
        )
    return "\n".join(out + ["</mediawiki>"])


ROWS = [
    TitleRow("Lindenfeld", "LOC", 9, "Lindenfeld", "Lindenfeld (Stadt)"),
    TitleRow("Ostwerk", "ORG", 4, "Ostwerk", "Ostwerk AG"),
    TitleRow("Anna Berg", "PER", 2, "Anna Berg", "Anna Berg"),
]

ARTICLE = """{{Infobox Ort|name=Lindenfeld}}
'''Lindenfeld''' ist eine Stadt im Norden des Landes. Die Lindenfelder Straße ist lang und sehr alt.
Die [[Ostwerk AG]] baut seit 1900 in der Stadt Maschinen. Sie ist ein großer Arbeitgeber.
Lindenfeld. Kurz.
Der Bürgermeister von Lindenfeld heißt [[Anna Berg]] und regiert seit vielen Jahren.
Der Bürgermeister von Lindenfeld heißt [[Anna Berg]] und regiert seit vielen Jahren.
[[Kategorie:Lindenfeld]]
"""


@pytest.fixture
def dump(tmp_path):
    pages = [
        ("Lindenfeld (Stadt)", 0, ARTICLE, None),
        ("Lindenfeld", 0, "#WEITERLEITUNG [[Lindenfeld (Stadt)]]", "Lindenfeld (Stadt)"),
        ("Diskussion:Lindenfeld", 1, "In Lindenfeld ist es schön, sagen alle hier im Ort.", None),
        (
            "Nordhafen",
            0,
            "Nordhafen liegt zwanzig Kilometer nördlich von Lindenfeld an der Küste. "
            "Das Ostwerk hat dort ein zweites Werk mit vielen Arbeitern.",
            None,
        ),
    ]
    path = tmp_path / "dewiki.xml.bz2"
    path.write_bytes(bz2.compress(dump_xml(pages).encode()))
    return path


def test_harvest_keeps_sentences_naming_an_entity(dump):
    result = harvest_sentences(
        [dump], ROWS, "de", max_sentences=100, per_entity_cap=10, min_tokens=5, max_tokens=40, seed=0
    )
    assert [(r["entity"], r["text"]) for r in result.records] == [
        ("Lindenfeld (Stadt)", "Lindenfeld ist eine Stadt im Norden des Landes."),
        ("Ostwerk AG", "Die Ostwerk AG baut seit 1900 in der Stadt Maschinen."),
        ("Anna Berg", "Der Bürgermeister von Lindenfeld heißt Anna Berg und regiert seit vielen Jahren."),
        ("Lindenfeld (Stadt)", "Nordhafen liegt zwanzig Kilometer nördlich von Lindenfeld an der Küste."),
        ("Ostwerk AG", "Das Ostwerk hat dort ein zweites Werk mit vielen Arbeitern."),
    ]
    assert result.records[0]["tokens"] == ["Lindenfeld", "ist", "eine", "Stadt", "im", "Norden", "des", "Landes", "."]
    s = result.stats
    assert s["pages_read"] == 4 and s["articles"] == 2  # redirect and talk page skipped
    assert s["dropped_duplicate"] == 1 and s["dropped_length"] == 1  # "Lindenfeld." is too short
    assert s["sentences_kept"] == 5 and s["entities_with_sentences"] == 3
    assert result.per_type == {
        "LOC": {"entities": 1, "entities_with_sentences": 1, "sentences_kept": 2},
        "ORG": {"entities": 1, "entities_with_sentences": 1, "sentences_kept": 2},
        "PER": {"entities": 1, "entities_with_sentences": 1, "sentences_kept": 1},
    }


def test_length_limits_apply_to_word_tokens(dump):
    result = harvest_sentences([dump], ROWS, "de", min_tokens=11, max_tokens=13, seed=0)
    assert [len(r["tokens"]) for r in result.records] == [11, 13, 11, 11]


def _many_sentences(tmp_path, counts: dict) -> Path:
    """A dump where entity ``name`` is mentioned in ``counts[name]`` distinct sentences."""
    rng = random.Random(1)
    words = ["alt", "neu", "groß", "klein", "schön", "laut", "leise", "weit", "nah"]
    paras = []
    for name, n in counts.items():
        for i in range(n):
            paras.append(f"{name} ist heute {rng.choice(words)} und {rng.choice(words)} im Jahr {1000 + i}.")
    rng.shuffle(paras)
    pages = [(f"Seite {k}", 0, "\n\n".join(paras[k::5]), None) for k in range(5)]
    path = tmp_path / "many.xml"
    path.write_text(dump_xml(pages), encoding="utf-8")
    return path


def _rows(names):
    return [TitleRow(n, "LOC", 1, n, n) for n in names]


def test_per_entity_and_total_caps_share_the_corpus_fairly(tmp_path):
    counts = {"Alpha": 300, "Beta": 40, "Gamma": 8}
    path = _many_sentences(tmp_path, counts)
    rows = _rows(counts)
    capped = harvest_sentences([path], rows, "de", per_entity_cap=50, max_sentences=1000, seed=1)
    assert Counter(r["entity"] for r in capped.records) == {"Alpha": 50, "Beta": 40, "Gamma": 8}
    total = harvest_sentences([path], rows, "de", per_entity_cap=50, max_sentences=60, seed=1)
    got = Counter(r["entity"] for r in total.records)
    assert sum(got.values()) == 60 and got["Gamma"] == 8 and abs(got["Alpha"] - got["Beta"]) <= 1
    # a reservoir sample: sentences from late in the dump are as likely as early ones
    years = [int(r["text"].split()[-1].rstrip(".")) for r in capped.records if r["entity"] == "Alpha"]
    assert max(years) > 1150 and min(years) < 1150


def test_same_seed_same_corpus_other_seed_other_sample(tmp_path):
    path = _many_sentences(tmp_path, {"Alpha": 200})
    rows = _rows(["Alpha"])
    a = harvest_sentences([path], rows, "de", per_entity_cap=30, seed=5).records
    b = harvest_sentences([path], rows, "de", per_entity_cap=30, seed=5).records
    c = harvest_sentences([path], rows, "de", per_entity_cap=30, seed=6).records
    assert a == b and a != c and len(a) == len(c) == 30
    order = [int(r["text"].split()[-1].rstrip(".")) for r in a]
    assert len(set(order)) == 30  # no repeats


def test_worker_processes_give_the_same_corpus_as_one_process(tmp_path, dump, monkeypatch):
    import xlt.wiki.harvest as harvest

    monkeypatch.setattr(harvest, "_BATCH_CHARS", 300)  # small batches, and the parent waits for the oldest
    monkeypatch.setattr(harvest, "_PENDING_PER_WORKER", 1)  # as soon as two are in flight
    path = _many_sentences(tmp_path, {"Alpha": 150, "Beta": 60, "Lindenfeld": 20})
    rows = ROWS + _rows(["Alpha", "Beta"])
    kwargs = dict(per_entity_cap=40, max_sentences=90, seed=3)
    serial = harvest_sentences([dump, path, dump], rows, "de", **kwargs)
    parallel = harvest_sentences([dump, path, dump], rows, "de", workers=2, **kwargs)
    assert parallel.records == serial.records and len(serial.records) == 90
    assert parallel.stats == serial.stats and parallel.per_type == serial.per_type
    assert serial.stats["dropped_duplicate"] > 0 and serial.stats["paragraphs_parsed"] > 0


def test_allocate_caps_is_water_filling():
    rng = random.Random(0)
    assert allocate_caps({"a": 5, "b": 3}, 10, rng) == {"a": 5, "b": 3}
    caps = allocate_caps({"a": 100, "b": 5, "c": 50, "d": 48}, 60, rng)
    assert caps["b"] == 5 and sum(caps.values()) == 60
    assert sorted((caps["a"], caps["c"], caps["d"])) == [18, 18, 19]  # 18 each, the slot left over at random


def test_random_sample_size_seed_and_uniformity(tmp_path):
    paras = [f"Der Satz Nummer {i} steht hier ganz allein." for i in range(30)]
    path = tmp_path / "rand.xml"
    path.write_text(dump_xml([("Seite", 0, "\n\n".join(paras), None)]), encoding="utf-8")
    first = sample_random_sentences([path], "de", 10, seed=1)
    assert len(first.records) == 10 and first.records == sample_random_sentences([path], "de", 10, seed=1).records
    numbers = [int(r["tokens"][3]) for r in first.records]
    assert numbers == sorted(numbers)  # kept in dump order
    assert first.stats["sentences_eligible"] == 30
    chosen = Counter()
    for seed in range(150):
        chosen.update(r["text"] for r in sample_random_sentences([path], "de", 10, seed=seed).records)
    assert len(chosen) == 30 and min(chosen.values()) > 20 and max(chosen.values()) < 80  # expected 50 each
    short = sample_random_sentences([path], "de", 100, seed=1)
    assert len(short.records) == 30


def test_stats_tsv(tmp_path):
    path = tmp_path / "stats.tsv"
    write_stats_tsv(path, {"sentences_kept": 5}, {"LOC": {"entities": 2, "sentences_kept": 5}})
    assert path.read_text().splitlines() == [
        "key\tvalue",
        "sentences_kept\t5",
        "type.LOC.entities\t2",
        "type.LOC.entities_with_sentences\t0",
        "type.LOC.sentences_kept\t5",
    ]


# ----------------------------------------------------------------------------------------------
# Workflow-script adapters


def _run_script(name: str, smk, capsys=None):
    """Run a workflow script's ``main`` as Snakemake would (without Snakemake)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "workflow_scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(smk)


def test_scripts_chain_from_training_data_to_corpora(tmp_path, dump):
    train = tmp_path / "train.jsonl"
    train.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"tokens": ["Lindenfeld", "und", "Ostwerk", "."], "tags": ["B-LOC", "O", "B-ORG", "O"]},
                {"tokens": ["Anna", "Berg", "in", "Lindenfeld"], "tags": ["B-PER", "I-PER", "O", "B-LOC"]},
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    target = tmp_path / "same_title.xml"
    target.write_text(dump_xml([("Lindenfeld", 0, "x", None), ("Ostwerk", 0, "y", None)]), encoding="utf-8")
    ns = SimpleNamespace
    _run_script(
        "extract_entities",
        ns(
            input=ns(train=str(train)),
            output=ns(entities=str(tmp_path / "entities.tsv")),
            params=ns(types=["LOC", "ORG", "PER"], min_frequency=1, max_entities=None),
            log=[str(tmp_path / "log")],
        ),
    )
    assert (tmp_path / "entities.tsv").read_text().splitlines()[1] == "Lindenfeld\tLOC\t2"
    wiki = {"mapping": ["same_title"], "english_dump": None, "dumps": {"de": [str(target)]}}
    _run_script(
        "map_entity_titles",
        ns(
            input=ns(entities=str(tmp_path / "entities.tsv"), resources=[]),
            output=ns(titles=str(tmp_path / "titles.tsv")),
            params=ns(lang="de", wiki=wiki),
            log=[str(tmp_path / "log")],
        ),
    )
    _run_script(
        "harvest_sentences",
        ns(
            input=ns(titles=str(tmp_path / "titles.tsv"), dumps=[str(dump)]),
            output=ns(corpus=str(tmp_path / "corpus.jsonl"), stats=str(tmp_path / "stats.tsv")),
            params=ns(lang="de", max_sentences=100, per_entity_cap=10, min_tokens=5, max_tokens=120, seed=0),
            log=[str(tmp_path / "log")],
        ),
    )
    corpus = [json.loads(line) for line in (tmp_path / "corpus.jsonl").read_text().splitlines()]
    assert {r["entity"] for r in corpus} == {"Lindenfeld", "Ostwerk"} and all(r["tokens"] for r in corpus)
    assert "sentences_kept" in (tmp_path / "stats.tsv").read_text()
    _run_script(
        "sample_random_sentences",
        ns(
            input=ns(dumps=[str(dump)], reference=str(tmp_path / "corpus.jsonl")),
            output=ns(corpus=str(tmp_path / "random.jsonl")),
            params=ns(lang="de", min_tokens=5, max_tokens=120, seed=0),
            log=[str(tmp_path / "log")],
        ),
    )
    random_corpus = (tmp_path / "random.jsonl").read_text().splitlines()
    assert len(random_corpus) == len(corpus) and set(json.loads(random_corpus[0])) == {"text", "tokens"}


def test_scripts_turn_user_errors_into_one_line_and_exit_1(tmp_path, capsys):
    ns = SimpleNamespace
    with pytest.raises(SystemExit) as stop:
        _run_script(
            "harvest_sentences",
            ns(
                input=ns(titles=str(tmp_path / "missing.tsv"), dumps=[]),
                output=ns(corpus=str(tmp_path / "c.jsonl"), stats=str(tmp_path / "s.tsv")),
                params=ns(lang="de", max_sentences=1, per_entity_cap=1, min_tokens=1, max_tokens=None, seed=0),
                log=[str(tmp_path / "log")],
            ),
        )
    assert stop.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.tsv: file not found" in err[0]
    assert not (tmp_path / "c.jsonl").exists()
