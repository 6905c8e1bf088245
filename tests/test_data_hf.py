"""NER splits in the Hugging Face datasets form (WikiANN / XTREME PAN-X): Parquet and Arrow files written by
the tests, read offline into the records of the CoNLL reader."""

from __future__ import annotations

from pathlib import Path

import pytest

datasets = pytest.importorskip("datasets")

from xlt.data.conll import read_conll, read_ner_file  # noqa: E402
from xlt.data.hf import download_hub_split, read_datasets_ner  # noqa: E402
from xlt.errors import UserError  # noqa: E402

WIKIANN_NAMES = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
ROWS = [
    (["Katja", "Meier", "lebt", "in", "Kassel", "."], ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]),
    (["Die", "Nordwind", "AG", "wächst"], ["O", "B-ORG", "I-ORG", "O"]),
]


def hub_dataset(rows=ROWS, prefix: str = "", langs: str | None = None):
    """A split as the hub stores WikiANN / PAN-X: tokens, ClassLabel ner_tags (and PAN-X's langs column)."""
    features = {"tokens": datasets.Sequence(datasets.Value("string")),
                "ner_tags": datasets.Sequence(datasets.ClassLabel(names=WIKIANN_NAMES))}
    data = {"tokens": [[prefix + t for t in toks] for toks, _ in rows],
            "ner_tags": [[WIKIANN_NAMES.index(t) for t in tags] for _, tags in rows]}
    if langs is not None:
        features["langs"] = datasets.Sequence(datasets.Value("string"))
        data["langs"] = [[langs] * len(toks) for toks, _ in rows]
    return datasets.Dataset.from_dict(data, features=datasets.Features(features))


def conll_twin(tmp_path) -> Path:
    path = tmp_path / "twin.conll"
    path.write_text("\n\n".join("\n".join(f"{t}\t{g}" for t, g in zip(*row)) for row in ROWS) + "\n", encoding="utf-8")
    return path


def test_parquet_split_gives_the_records_of_the_same_conll_file(tmp_path):
    path = tmp_path / "test.parquet"
    hub_dataset(langs="de").to_parquet(str(path))

    records, info = read_ner_file(path, language="de")

    assert records == read_conll(conll_twin(tmp_path))[0]
    assert info["entities"] == {"PER": 1, "ORG": 1, "LOC": 1, "MISC": 0}
    assert info["encoding"] == "parquet" and info["scheme"] == "iob2" and info["sentences"] == 2


def test_arrow_file_of_a_saved_dataset_with_prefixed_tokens_is_read_and_stripped(tmp_path):
    hub_dataset(prefix="de:").save_to_disk(str(tmp_path / "saved"))
    arrow = next((tmp_path / "saved").glob("*.arrow"))

    records, info = read_datasets_ner(arrow, language="de")

    assert records == read_conll(conll_twin(tmp_path))[0]
    assert info["language_prefix"] == "de"


def test_langs_column_of_another_language_fails_with_one_line_naming_the_row(tmp_path):
    path = tmp_path / "test.parquet"
    hub_dataset(langs="fr").to_parquet(str(path))
    with pytest.raises(UserError, match=rf"^{path}:1: langs says 'fr', but the file is configured for language de$"):
        read_datasets_ner(path, language="de")


def test_string_tags_and_missing_columns(tmp_path):
    path = tmp_path / "strings.parquet"
    datasets.Dataset.from_dict({"tokens": [r[0] for r in ROWS], "tags": [r[1] for r in ROWS]}).to_parquet(str(path))
    assert read_datasets_ner(path)[0] == read_conll(conll_twin(tmp_path))[0]

    bad = tmp_path / "bad.parquet"
    datasets.Dataset.from_dict({"words": [["a"]]}).to_parquet(str(bad))
    with pytest.raises(UserError, match=r"columns \['words'\]; expected 'tokens' and 'ner_tags'"):
        read_datasets_ner(bad)
    with pytest.raises(UserError, match=r"not found"):
        read_datasets_ner(tmp_path / "absent.arrow")


def test_download_hub_split_asks_load_dataset_for_the_hub_split_and_writes_parquet(tmp_path, monkeypatch):
    calls = []

    def fake_load_dataset(path, name, split, revision=None):
        calls.append((path, name, split, revision))
        return hub_dataset(langs="sw")

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    out = tmp_path / "hf" / "xtreme" / "PAN-X.sw" / "dev.parquet"

    assert download_hub_split("xtreme", "PAN-X.sw", "dev", out) == 2
    assert calls == [("xtreme", "PAN-X.sw", "validation", None)]
    assert read_datasets_ner(out, language="sw")[0] == read_conll(conll_twin(tmp_path))[0]
