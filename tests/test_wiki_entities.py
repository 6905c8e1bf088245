"""Entities of the English training set: spans, counts, filters, TSV files."""

from collections import Counter
from pathlib import Path

import pytest

from xlt.errors import UserError
from xlt.wiki.entities import (
    Entity,
    count_entities,
    entity_spans,
    extract_entities,
    read_entities_tsv,
    select_entities,
    write_entities_tsv,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_spans_of_iob2_tags_including_an_i_that_opens_an_entity():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC", "I-ORG", "O", "B-MISC"]
    assert entity_spans(tags) == [(0, 2, "PER"), (3, 5, "LOC"), (5, 6, "LOC"), (6, 7, "ORG"), (8, 9, "MISC")]
    assert entity_spans(["O", "O"]) == []


def test_counts_by_surface_and_type():
    records = [
        {"tokens": ["New", "York", "beat", "Boston", "."], "tags": ["B-ORG", "I-ORG", "O", "B-ORG", "O"]},
        {"tokens": ["He", "flew", "to", "New", "York", "."], "tags": ["O", "O", "O", "B-LOC", "I-LOC", "O"]},
        {"tokens": ["New", "York", "won"], "tags": ["B-ORG", "I-ORG", "O"]},
    ]
    assert count_entities(records) == Counter({("New York", "ORG"): 2, ("Boston", "ORG"): 1, ("New York", "LOC"): 1})


def test_selection_filters_types_frequency_and_number_in_a_stable_order():
    counts = Counter(
        {("Bonn", "LOC"): 3, ("Anna", "PER"): 3, ("Acme", "ORG"): 5, ("Zed", "LOC"): 1, ("Euro", "MISC"): 3}
    )
    assert select_entities(counts) == [
        Entity("Acme", "ORG", 5),
        Entity("Anna", "PER", 3),
        Entity("Bonn", "LOC", 3),
        Entity("Euro", "MISC", 3),
        Entity("Zed", "LOC", 1),
    ]
    assert select_entities(counts, types=["LOC", "PER"], min_frequency=2) == [
        Entity("Anna", "PER", 3),
        Entity("Bonn", "LOC", 3),
    ]
    assert select_entities(counts, max_entities=2) == [Entity("Acme", "ORG", 5), Entity("Anna", "PER", 3)]


def test_bad_records_name_the_source_and_record():
    with pytest.raises(UserError, match=r"train.jsonl:2: 2 tokens but 1 tags"):
        count_entities([{"tokens": ["a"], "tags": ["O"]}, {"tokens": ["a", "b"], "tags": ["O"]}], "train.jsonl")
    with pytest.raises(UserError, match=r"train.jsonl:1: expected an object"):
        count_entities([{"words": []}], "train.jsonl")


def test_tsv_round_trip_and_errors(tmp_path):
    ents = [Entity("São Paulo", "LOC", 4), Entity("U.S.", "LOC", 2)]
    path = tmp_path / "entities.tsv"
    assert write_entities_tsv(path, ents) == 2
    assert path.read_text(encoding="utf-8").splitlines()[0] == "surface\ttype\tfrequency"
    assert read_entities_tsv(path) == ents
    bad = tmp_path / "bad.tsv"
    bad.write_text("surface\ttype\tfrequency\nBonn\tLOC\tmany\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.tsv:2: frequency 'many'"):
        read_entities_tsv(bad)
    with pytest.raises(UserError, match="file not found"):
        read_entities_tsv(tmp_path / "missing.tsv")


def test_entities_of_the_real_conll2003_training_set():
    train = DATA / "conll2003" / "eng" / "eng.train"
    if not train.exists():
        pytest.skip(f"CoNLL-2003 not found at {train}")
    from xlt.data.conll import read_conll

    records, _ = read_conll(train)
    ents = extract_entities(records, types=["LOC", "PER", "ORG", "MISC"])
    by_key = {(e.surface, e.type): e.frequency for e in ents}
    assert by_key[("Berlin", "LOC")] == 17
    assert ents[0].frequency >= ents[-1].frequency
    assert sum(by_key.values()) == sum(len(entity_spans(r["tags"])) for r in records)
    locs = extract_entities(records, types=["LOC"], min_frequency=10, max_entities=50)
    assert len(locs) == 50 and all(e.type == "LOC" and e.frequency >= 10 for e in locs)
