"""CoNLL-2002/2003 reader: columns, tag schemes, encodings, -DOCSTART- lines, one-line errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from xlt.data.conll import LABELS, read_conll, require_conll_file, to_iob2
from xlt.errors import UserError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


IOB1_FOUR_COLUMNS = """\
-DOCSTART- -X- O O

Nordwind NNP I-NP I-ORG
Werke NNP I-NP I-ORG
hired VBD I-VP O
Ana NNP I-NP I-PER
Bel NNP I-NP I-PER
Cid NNP I-NP B-PER
. . O O

-DOCSTART- -X- O O

Kalmar NNP I-NP I-LOC
wins VBZ I-VP O
"""


def test_iob1_file_becomes_iob2_and_docstart_lines_are_counted_not_read_as_sentences(tmp_path):
    path = write(tmp_path, "eng.train", IOB1_FOUR_COLUMNS)

    records, info = read_conll(path)

    assert records == [
        {
            "tokens": ["Nordwind", "Werke", "hired", "Ana", "Bel", "Cid", "."],
            "tags": ["B-ORG", "I-ORG", "O", "B-PER", "I-PER", "B-PER", "O"],
        },
        {"tokens": ["Kalmar", "wins"], "tags": ["B-LOC", "O"]},
    ]
    assert info["scheme"] == "iob1"
    assert info["columns"] == 4
    assert (info["sentences"], info["docstarts"], info["sentences_with_docstart"]) == (2, 2, 4)
    assert info["converted"] == 3 and info["repaired"] == 0
    assert info["entities"] == {"PER": 2, "ORG": 1, "LOC": 1, "MISC": 0}


def test_dutch_docstart_line_directly_above_a_sentence_ends_the_previous_one(tmp_path):
    path = write(
        tmp_path,
        "ned.testb",
        "-DOCSTART- -DOCSTART- O\nDe Art O\nstad N B-LOC\n\nHallo Int O\n-DOCSTART- -DOCSTART- O\nJan N B-PER\n",
    )

    records, info = read_conll(path)

    assert [r["tokens"] for r in records] == [["De", "stad"], ["Hallo"], ["Jan"]]
    assert (info["sentences"], info["docstarts"]) == (3, 2)
    assert info["scheme"] == "iob2"


def test_i_tag_opening_an_entity_in_an_iob2_file_is_repaired_with_a_warning(tmp_path, caplog):
    text = "".join(f"W{i} NC B-ORG\nX{i} NC I-ORG\n\n" for i in range(5)) + "la DA O\nCalidad NC I-MISC\n\n"
    path = write(tmp_path, "esp.testb", text)

    with caplog.at_level(logging.WARNING, logger="xlt.data.conll"):
        records, info = read_conll(path)

    assert records[-1]["tags"] == ["O", "B-MISC"]
    assert info["scheme"] == "iob2" and info["repaired"] == 1 and info["converted"] == 0
    assert f"{path}:17" in caplog.text and "I-MISC" in caplog.text


def test_original_german_latin1_five_columns_is_detected_and_read(tmp_path):
    text = "-DOCSTART- -X- -X- -X- O\n\nÜbersee Übersee NN I-NC I-LOC\nstraße Straße NN I-NC O\n"
    path = write(tmp_path, "deu.testb", text, encoding="latin-1")

    records, info = read_conll(path, encoding="auto")
    assert records == [{"tokens": ["Übersee", "straße"], "tags": ["B-LOC", "O"]}]
    assert info["encoding"] == "latin-1" and info["columns"] == 5

    assert read_conll(path, encoding="ISO-8859-1")[0] == records


def test_auto_encoding_prefers_utf8(tmp_path):
    path = write(tmp_path, "train.txt", "-DOCSTART- O\n\nErzählung O\nMünchen B-LOC\n")
    records, info = read_conll(path)
    assert info["encoding"] == "utf-8" and records[0]["tokens"] == ["Erzählung", "München"]
    assert info["columns"] == 2


def test_undecodable_byte_with_utf8_configured_names_the_line(tmp_path):
    path = write(tmp_path, "deu.testa", "Haus NN O\n\nÄrger NN O\n", encoding="latin-1")
    with pytest.raises(UserError) as err:
        read_conll(path, encoding="utf-8")
    message = str(err.value)
    assert message.startswith(f"{path}:3: byte 0xc4") and "\n" not in message


def test_column_count_unlike_its_neighbours_is_rejected(tmp_path):
    path = write(tmp_path, "eng.testa", "EU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-MISC\n")
    with pytest.raises(UserError, match=r"eng.testa:3: 3 columns, expected 4 like line 1"):
        read_conll(path)


def test_unknown_entity_type_is_rejected(tmp_path):
    path = write(tmp_path, "esp.train", "Madrid NC B-LOC\nmayo NC B-DATE\n")
    with pytest.raises(UserError, match=r"esp.train:2: unknown tag 'B-DATE'.*PER, ORG, LOC, MISC"):
        read_conll(path)


@pytest.mark.parametrize("text", ["", "\n\n", "-DOCSTART- -X- O O\n\n"])
def test_empty_split_is_rejected(tmp_path, text):
    path = write(tmp_path, "eng.testb", text)
    with pytest.raises(UserError, match=r"eng.testb: no sentences \(empty split"):
        read_conll(path)


def test_one_column_file_and_unknown_encoding_are_rejected(tmp_path):
    with pytest.raises(UserError, match=r"words.txt:1: 1 column, expected at least 2"):
        read_conll(write(tmp_path, "words.txt", "Haus\n"))
    with pytest.raises(UserError, match="encoding 'cp1252'"):
        read_conll(write(tmp_path, "ok.txt", "Haus O\n"), encoding="cp1252")


def test_windows_line_endings_are_read(tmp_path):
    records, _ = read_conll(write(tmp_path, "crlf.txt", "Lyon NP B-LOC\r\nva VM O\r\n\r\nSí RG O\r\n"))
    assert records == [{"tokens": ["Lyon", "va"], "tags": ["B-LOC", "O"]}, {"tokens": ["Sí"], "tags": ["O"]}]


def test_to_iob2_keeps_b_between_adjacent_entities_of_one_type():
    tags, changed = to_iob2(["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG"])
    assert tags == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG"]
    assert changed == [0, 4, 5]
    assert set(tags) <= set(LABELS)


def test_missing_conll2003_file_says_where_to_obtain_it(tmp_path):
    with pytest.raises(UserError) as err:
        require_conll_file(tmp_path / "eng.train", "data.conll.files.en.train")
    message = str(err.value)
    assert message.startswith("data.conll.files.en.train: ")
    assert "eng.train" in message and "https://www.clips.uantwerpen.be/conll2003/ner/" in message
    assert "Reuters" in message


# Real data (../shared/data); the paper's Table 2 counts CoNLL-2003 with -DOCSTART- lines, CoNLL-2002 without.
TABLE_2 = [
    ("conll2003/eng/eng.train", "sentences_with_docstart", 14987),
    ("conll2003/eng/eng.testa", "sentences_with_docstart", 3466),
    ("conll2003/eng/eng.testb", "sentences_with_docstart", 3684),
    ("conll2003/deu/deu.testa", "sentences_with_docstart", 3068),
    ("conll2003/deu/deu.testb", "sentences_with_docstart", 3160),
    ("conll2003/deu_2col_metacross/train.txt", "sentences_with_docstart", 12705),
    ("conll2003/deu_2col_metacross/test.txt", "sentences_with_docstart", 3160),
    ("conll2002/esp.testb", "sentences", 1517),
    ("conll2002/esp.testa", "sentences", 1915),
    ("conll2002/ned.testb", "sentences", 5195),
    ("conll2002/ned.testa", "sentences", 2895),
]


def shared_file(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"real CoNLL data not found at {path}")
    return path


@pytest.mark.parametrize("relative,key,expected", TABLE_2)
def test_real_files_match_the_papers_table_2(relative, key, expected):
    _, info = read_conll(shared_file(relative))
    assert info[key] == expected


def test_real_german_latin1_iob1_original_equals_the_utf8_iob2_two_column_copy():
    original, info = read_conll(shared_file("conll2003/deu/deu.testb"))
    copy, copy_info = read_conll(shared_file("conll2003/deu_2col_metacross/test.txt"))
    assert (info["encoding"], info["scheme"], info["columns"]) == ("latin-1", "iob1", 5)
    assert (copy_info["encoding"], copy_info["scheme"], copy_info["columns"]) == ("utf-8", "iob2", 2)
    assert original == copy


def test_real_spanish_test_slip_is_repaired_and_gives_conlleval_entity_count():
    records, info = read_conll(shared_file("conll2002/esp.testb"))
    assert info["repaired"] == 1
    assert sum(info["entities"].values()) == 3559
    assert all(tag in LABELS for r in records for tag in r["tags"])


# ---------------------------------------------------------------- WikiANN / XTREME PAN-X raw files

PANX_SENTENCES = [
    [("Katja", "B-PER"), ("Meier", "I-PER"), ("lebt", "O"), ("in", "O"), ("Kassel", "B-LOC"), (".", "O")],
    [("Die", "O"), ("Nordwind", "B-ORG"), ("AG", "I-ORG"), ("wächst", "O")],
]


def panx_text(sentences, prefix: str = "") -> str:
    """Tab-separated ``token<TAB>tag`` lines (every token ``<prefix>token``), a blank line between sentences."""
    return "\n\n".join("\n".join(f"{prefix}{tok}\t{tag}" for tok, tag in sent) for sent in sentences) + "\n"


def test_panx_language_prefixes_are_stripped_and_give_the_records_of_the_unprefixed_file(tmp_path):
    prefixed = write(tmp_path, "panx-de.train", panx_text(PANX_SENTENCES, "de:"))
    plain = write(tmp_path, "plain-de.train", panx_text(PANX_SENTENCES))

    records, info = read_conll(prefixed, language="de")
    plain_records, plain_info = read_conll(plain, language="de")

    assert records == plain_records
    assert records[0]["tokens"] == ["Katja", "Meier", "lebt", "in", "Kassel", "."]
    assert info["language_prefix"] == "de" and plain_info["language_prefix"] is None
    assert info["entities"] == plain_info["entities"] == {"PER": 1, "ORG": 1, "LOC": 1, "MISC": 0}
    # without a configured language the prefix is still detected and stripped
    assert read_conll(prefixed)[0] == records


def test_panx_prefix_of_another_language_fails_with_one_line_naming_the_file_and_line(tmp_path):
    path = write(tmp_path, "panx-fr.test", panx_text(PANX_SENTENCES, "fr:"))
    with pytest.raises(UserError) as err:
        read_conll(path, language="de")
    message = str(err.value)
    assert message.startswith(f"{path}:1: token 'fr:Katja' has the language prefix 'fr:'") and "\n" not in message


def test_panx_token_with_a_different_prefix_mid_file_names_its_line(tmp_path):
    text = panx_text(PANX_SENTENCES, "de:").replace("de:Nordwind", "en:Nordwind")
    path = write(tmp_path, "panx-de.dev", text)
    with pytest.raises(UserError, match=rf"^{path}:9: token 'en:Nordwind' has the language prefix 'en:', "
                                        r"expected 'de:'"):
        read_conll(path, language="de")
    missing = write(tmp_path, "panx-de.test", panx_text(PANX_SENTENCES, "de:").replace("de:AG", "AG"))
    with pytest.raises(UserError, match=rf"^{missing}:10: token 'AG' has no language prefix"):
        read_conll(missing, language="de")


def test_a_token_that_only_looks_like_a_prefix_in_a_plain_file_is_kept(tmp_path):
    path = write(tmp_path, "eng.testb", "Kickoff NN O\nat IN O\nde:Berlin NNP B-LOC\n")
    records, info = read_conll(path, language="en")
    assert records[0]["tokens"] == ["Kickoff", "at", "de:Berlin"] and info["language_prefix"] is None


def test_jp_prefix_reads_as_ja():
    from xlt.data.conll import strip_language_prefixes

    sentences = [(["jp:東", "jp:京"], ["B-LOC", "I-LOC"], [1, 2])]
    assert strip_language_prefixes("x", sentences, "ja") == "jp" and sentences[0][0] == ["東", "京"]


def test_character_per_token_entities_keep_their_spans_across_separator_tokens(tmp_path):
    from seqeval.metrics.sequence_labeling import get_entities

    # Japanese WikiANN: one character per token; a name's separators (the middle dot, a '#', a full-width space)
    # are tokens of the entity and must not split it, and a full-width space token survives tab splitting.
    chars = [("ジ", "B-PER"), ("ョ", "I-PER"), ("ン", "I-PER"), ("・", "I-PER"), ("ス", "I-PER"), ("ミ", "I-PER"),
             ("ス", "I-PER"), ("は", "O"), ("東", "B-ORG"), ("#", "I-ORG"), ("\u3000", "I-ORG"), ("大", "I-ORG"),
             ("に", "O"), ("い", "O"), ("る", "O")]
    path = write(tmp_path, "panx-ja.test", panx_text([chars], "ja:"))

    records, info = read_conll(path, language="ja")

    assert records[0]["tokens"] == [c for c, _ in chars]
    assert records[0]["tags"] == [t for _, t in chars]
    assert info["scheme"] == "iob2" and info["repaired"] == 0
    assert get_entities(records[0]["tags"]) == [("PER", 0, 6), ("ORG", 8, 11)]
    assert info["entities"] == {"PER": 1, "ORG": 1, "LOC": 0, "MISC": 0}
