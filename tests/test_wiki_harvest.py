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

from xlt.wiki.corpus_stats import write_stats_tsv
from xlt.wiki.harvest import allocate_caps, harvest_sentences
from xlt.wiki.random_sample import sample_random_sentences
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


def _harvest_smk(tmp_path, dump, min_sentences=1, mapping="same_title", **params):
    ns = SimpleNamespace
    base = dict(
        lang="de",
        mapping=mapping,
        max_sentences=100,
        per_entity_cap=10,
        min_tokens=5,
        max_tokens=120,
        min_sentences=min_sentences,
        substring_scripts=["han", "hiragana"],
        runtime={"progress_seconds": 60},
        seed=0,
    )
    return ns(
        input=ns(
            titles=str(tmp_path / "titles.tsv"), mapping_stats=str(tmp_path / "mapping_stats.tsv"), dumps=[str(dump)]
        ),
        output=ns(corpus=str(tmp_path / "corpus.jsonl"), stats=str(tmp_path / "stats.tsv")),
        params=ns(**{**base, **params}),
        log=[str(tmp_path / "log")],
    )


def _sample_smk(tmp_path, dump, reference, min_sentences=1):
    ns = SimpleNamespace
    return ns(
        input=ns(dumps=[str(dump)], reference=str(reference)),
        output=ns(corpus=str(tmp_path / "random.jsonl")),
        params=ns(lang="de", min_tokens=5, max_tokens=120, min_sentences=min_sentences, runtime={"progress_seconds": 60},
                  seed=0),
        log=[str(tmp_path / "log")],
    )


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
            output=ns(titles=str(tmp_path / "titles.tsv"), stats=str(tmp_path / "mapping_stats.tsv")),
            params=ns(lang="de", wiki=wiki, runtime={"api": {}}),
            log=[str(tmp_path / "log")],
        ),
    )
    _run_script("harvest_entity_sentences", _harvest_smk(tmp_path, dump))
    corpus = [json.loads(line) for line in (tmp_path / "corpus.jsonl").read_text().splitlines()]
    assert {r["entity"] for r in corpus} == {"Lindenfeld", "Ostwerk"} and all(r["tokens"] for r in corpus)
    stats = dict(line.split("\t") for line in (tmp_path / "stats.tsv").read_text().splitlines()[1:])
    assert stats["sentences_kept"] == str(len(corpus)) and stats["mapping_entities"] == "3"
    assert stats["entities_unmapped"] == "1" and stats["dumps_truncated"] == "0"  # "Anna Berg" has no page
    _run_script("sample_random_wikipedia", _sample_smk(tmp_path, dump, tmp_path / "corpus.jsonl"))
    random_corpus = (tmp_path / "random.jsonl").read_text().splitlines()
    assert len(random_corpus) == len(corpus) and set(json.loads(random_corpus[0])) == {"text", "tokens"}


def test_scripts_turn_user_errors_into_one_line_and_exit_1(tmp_path, capsys):
    ns = SimpleNamespace
    with pytest.raises(SystemExit) as stop:
        _run_script(
            "harvest_entity_sentences",
            ns(
                input=ns(titles=str(tmp_path / "missing.tsv"), mapping_stats=str(tmp_path / "m.tsv"), dumps=[]),
                output=ns(corpus=str(tmp_path / "c.jsonl"), stats=str(tmp_path / "s.tsv")),
                params=ns(lang="de", max_sentences=1, per_entity_cap=1, min_tokens=1, max_tokens=None, seed=0),
                log=[str(tmp_path / "log")],
            ),
        )
    assert stop.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.tsv: file not found" in err[0]
    assert not (tmp_path / "c.jsonl").exists()


# ----------------------------------------------------------------------------------------------
# Loud corpus problems and progress


def _titles(tmp_path, rows, entities: int, **mapping_stats):
    from xlt.wiki.mapping import write_titles_tsv

    write_titles_tsv(tmp_path / "titles.tsv", rows)
    write_stats_tsv(
        tmp_path / "mapping_stats.tsv", {"entities": entities, "unmapped": entities - len(rows), **mapping_stats}
    )


def _one_error_line(capsys, run) -> str:
    with pytest.raises(SystemExit) as stop:
        run()
    assert stop.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_a_mapping_without_target_titles_stops_with_one_line(tmp_path, dump, capsys):
    _titles(tmp_path, [], entities=3)  # e.g. same_title for a language whose titles differ
    line = _one_error_line(capsys, lambda: _run_script("harvest_entity_sentences", _harvest_smk(tmp_path, dump, 1)))
    assert line == (
        "error: harvest de: 0 sentences kept, fewer than wikipedia.min_sentences = 1; "
        "mapping same_title found target pages for 0 of 3 entities (0 titles); "
        "1 dump(s): 4 pages, 2 articles; 0 sentences mention a mapped name"
    )
    assert not (tmp_path / "corpus.jsonl").exists() and not (tmp_path / "stats.tsv").exists()


def test_a_near_empty_harvest_and_a_dump_without_pages_stop(tmp_path, dump, capsys):
    _titles(tmp_path, ROWS, entities=10)
    line = _one_error_line(
        capsys, lambda: _run_script("harvest_entity_sentences", _harvest_smk(tmp_path, dump, 50, ["wikidata", "same_title"]))
    )
    assert "harvest de: 5 sentences kept, fewer than wikipedia.min_sentences = 50" in line
    assert "mapping wikidata+same_title found target pages for 3 of 10 entities" in line
    empty = tmp_path / "empty.xml"
    empty.write_text(dump_xml([]), encoding="utf-8")
    line = _one_error_line(capsys, lambda: _run_script("harvest_entity_sentences", _harvest_smk(tmp_path, empty, 1)))
    assert "0 sentences kept" in line and "1 dump(s): 0 pages, 0 articles" in line
    reference = tmp_path / "reference.jsonl"
    reference.write_text('{"text": "x"}\n' * 40, encoding="utf-8")
    line = _one_error_line(
        capsys, lambda: _run_script("sample_random_wikipedia", _sample_smk(tmp_path, empty, reference, 20))
    )
    assert (
        line
        == "error: random sample de: 0 sentences kept, fewer than wikipedia.min_sentences = 20; 1 dump(s): 0 pages, 0 articles; 0 sentences eligible"
    )
    assert not (tmp_path / "random.jsonl").exists()


def _cut_xz(tmp_path, pages) -> Path:
    import lzma

    data = lzma.compress(dump_xml(pages).encode())
    path = tmp_path / "cut.xml.xz"
    path.write_bytes(data[: len(data) * 4 // 5])
    return path


def test_damaged_input_is_counted_and_told_on_the_terminal(tmp_path, monkeypatch):
    import io
    import sys

    filler = "Lindenfeld liegt am Fluss und hat einen alten Markt mit vielen Ständen. " * 20
    pages = [
        (f"Seite {i}", 0, f"{filler}\n\nLindenfeld hat {i} Brücken über den breiten Fluss.", None) for i in range(200)
    ]
    cut = _cut_xz(tmp_path, pages)
    _titles(tmp_path, ROWS, entities=10, langlinks_rows_skipped=2, dumps_truncated=0)
    log, terminal = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)  # as in a job: stderr is the rule's log
    monkeypatch.setattr(sys, "__stderr__", terminal)
    _run_script("harvest_entity_sentences", _harvest_smk(tmp_path, cut, 5))
    stats = dict(line.split("\t") for line in (tmp_path / "stats.tsv").read_text().splitlines()[1:])
    assert stats["dumps_truncated"] == "1" and stats["langlinks_rows_skipped"] == "2"
    assert stats["entities_unmapped"] == "7" and 5 <= int(stats["sentences_kept"]) < 200
    assert terminal.getvalue().splitlines() == [
        "warning: harvest de: 1 input file(s) cut off (kept what came before the cut), 2 malformed langlinks rows "
        f"skipped, 7 of 10 entities have no de page; counts in {tmp_path / 'stats.tsv'}"
    ]
    reference = tmp_path / "reference.jsonl"
    reference.write_text('{"text": "x"}\n' * 500, encoding="utf-8")
    terminal.truncate(0)
    terminal.seek(0)
    _run_script("sample_random_wikipedia", _sample_smk(tmp_path, cut, reference, 5))
    assert terminal.getvalue().startswith("warning: random sample de: only ")
    assert (
        terminal.getvalue()
        .strip()
        .endswith("fewer than the 500 requested, 1 dump(s) cut off (kept what came before the cut)")
    )


def test_warnings_and_errors_reach_the_terminal_once(monkeypatch, caplog):
    import io
    import logging
    import sys

    from xlt.errors import UserError, exit_on_user_error, warn

    log, terminal = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    monkeypatch.setattr(sys, "__stderr__", terminal)
    with caplog.at_level("WARNING"):
        warn(logging.getLogger("t"), "3 dumps cut off")
    assert caplog.messages == ["3 dumps cut off"] and terminal.getvalue() == "warning: 3 dumps cut off\n"

    @exit_on_user_error
    def fail():
        raise UserError("x.tsv:3: bad")

    with pytest.raises(SystemExit):
        fail()
    assert log.getvalue() == "error: x.tsv:3: bad\n"
    assert terminal.getvalue().splitlines()[-1] == "error: x.tsv:3: bad"
    monkeypatch.setattr(sys, "stderr", terminal)  # not redirected: the line shows once
    with pytest.raises(SystemExit):
        fail()
    assert terminal.getvalue().splitlines()[-2:] == ["error: x.tsv:3: bad", "error: x.tsv:3: bad"]


def test_progress_lines_while_harvesting(tmp_path, dump, caplog, monkeypatch):
    import xlt.wiki.harvest as harvest

    clock = iter(range(0, 10_000, 7))  # every page reading advances the clock by 7 s
    monkeypatch.setattr(harvest.time, "monotonic", lambda: next(clock))
    with caplog.at_level("INFO", logger="xlt.wiki.harvest"):
        harvest_sentences([dump, dump], ROWS, "de", seed=0, progress_seconds=10)
    lines = [m for m in caplog.messages if "pages read" in m]
    assert len(lines) >= 3 and lines[0].startswith("harvest de: 4 pages read, 0.0 MB of XML (")
    assert lines[-1].startswith("harvest de: 8 pages read") and "5 sentences kept" in lines[-1]
    caplog.clear()
    harvest_sentences([dump], ROWS, "de", seed=0, progress_seconds=None)
    assert not [m for m in caplog.messages if "pages read" in m]
