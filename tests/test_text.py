"""Word tokenisation of harvested sentences."""

import unicodedata

from xlt.text import word_tokenize


def test_words_and_punctuation_are_separate_tokens():
    assert word_tokenize("Berlin (Hauptstadt) liegt an der Spree.", "de") == [
        "Berlin",
        "(",
        "Hauptstadt",
        ")",
        "liegt",
        "an",
        "der",
        "Spree",
        ".",
    ]
    assert word_tokenize("«¿Dónde está?», preguntó.", "es") == [
        "«",
        "¿",
        "Dónde",
        "está",
        "?",
        "»",
        ",",
        "preguntó",
        ".",
    ]


def test_inner_hyphens_apostrophes_and_number_separators_stay_inside_tokens():
    assert word_tokenize("Die Berlin-Brandenburg-Region hat 3,5 Mio. bzw. 1.000 Orte.", "de") == [
        "Die",
        "Berlin-Brandenburg-Region",
        "hat",
        "3,5",
        "Mio",
        ".",
        "bzw",
        ".",
        "1.000",
        "Orte",
        ".",
    ]
    assert word_tokenize("l'Europe, aujourd'hui - en 1990.", "fr") == [
        "l'Europe",
        ",",
        "aujourd'hui",
        "-",
        "en",
        "1990",
        ".",
    ]


def test_composed_and_decomposed_accents_give_the_same_tokens():
    decomposed = unicodedata.normalize("NFD", "Berlín está en Alemania.")
    assert word_tokenize(decomposed, "es") == word_tokenize("Berlín está en Alemania.", "es")
    assert word_tokenize(decomposed, "es")[0] == "Berlín"


def test_japanese_splits_into_runs_of_one_script():
    assert word_tokenize("ベルリンはドイツの首都です。人口は3,700,000人、ＥＵで最大。", "ja") == [
        "ベルリン",
        "は",
        "ドイツ",
        "の",
        "首都",
        "です",
        "。",
        "人口",
        "は",
        "3,700,000",
        "人",
        "、",
        "ＥＵ",
        "で",
        "最大",
        "。",
    ]


def test_chinese_splits_han_characters():
    assert word_tokenize("柏林是德国首都。", "zh") == ["柏", "林", "是", "德", "国", "首", "都", "。"]


def test_no_tokens_from_white_space():
    assert word_tokenize("  \n\t ", "en") == []
