"""Sentence splitting and word-boundary entity matching."""

from xlt.wiki.sentences import (
    CandidateIndex,
    bracket_spans,
    ends_like_sentence,
    split_sentences,
    strip_disambiguation,
)


def test_english_sentences_respect_abbreviations_initials_and_acronyms():
    text = "Dr. Smith met J. S. Miller in the U.S. last year. They talked (briefly). Was it 1990? Yes! It was."
    assert split_sentences(text, "en") == [
        "Dr. Smith met J. S. Miller in the U.S. last year.",
        "They talked (briefly).",
        "Was it 1990?",
        "Yes!",
        "It was.",
    ]


def test_german_ordinals_and_abbreviations_do_not_end_sentences():
    text = "Am 3. Oktober 1990 kam die Einheit, z. B. für Berlin. Im 13. Jahrhundert gab es u. a. Märkte. Das Ende kam 1990. Danach wuchs die Stadt."
    assert split_sentences(text, "de") == [
        "Am 3. Oktober 1990 kam die Einheit, z. B. für Berlin.",
        "Im 13. Jahrhundert gab es u. a. Märkte.",
        "Das Ende kam 1990.",
        "Danach wuchs die Stadt.",
    ]


def test_spanish_opening_marks_and_quotes():
    text = 'Berlín es la capital. ¿Es grande? «Sí», dijo el Sr. Pérez. "Claro." Fin.'
    assert split_sentences(text, "es") == [
        "Berlín es la capital.",
        "¿Es grande?",
        "«Sí», dijo el Sr. Pérez.",
        '"Claro."',
        "Fin.",
    ]


def test_lines_are_paragraphs_and_lowercase_continuations_stay():
    assert split_sentences("Erste Zeile. zweiter Teil\nNeue Zeile", "de") == ["Erste Zeile. zweiter Teil", "Neue Zeile"]


def test_japanese_sentences_end_at_full_stops():
    assert split_sentences("ベルリンはドイツの首都である。人口は約370万人！本当？「はい。」と答えた", "ja") == [
        "ベルリンはドイツの首都である。",
        "人口は約370万人！",
        "本当？",
        "「はい。」と答えた",  # a full stop inside a quotation ends nothing
    ]


def test_japanese_full_stops_inside_brackets_do_not_end_sentences():
    text = "この字は漢字（国字を含む。訓読みのみ）である。人名『北の港。南の港』が題名だ。次の文【注。補足】もある。"
    assert split_sentences(text, "ja") == [
        "この字は漢字（国字を含む。訓読みのみ）である。",
        "人名『北の港。南の港』が題名だ。",
        "次の文【注。補足】もある。",
    ]


def test_ascii_marks_glued_to_latin_names_do_not_end_cjk_sentences():
    text = "同社はWahoo! Nipponの名で始めた。番組Quiz?Timeが続いた。本当?はい!終わり。"
    assert split_sentences(text, "ja") == [
        "同社はWahoo! Nipponの名で始めた。",
        "番組Quiz?Timeが続いた。",
        "本当?",  # after Japanese text the ASCII marks still end a sentence
        "はい!",
        "終わり。",
    ]


def test_chinese_sentences_respect_brackets_and_quotes():
    text = "他说：“我们走吧。明天再来。”然后离开了。这座城市（旧称北港。后改名）很大！真的吗？是的。"
    assert split_sentences(text, "zh") == [
        "他说：“我们走吧。明天再来。”然后离开了。",
        "这座城市（旧称北港。后改名）很大！",
        "真的吗？",
        "是的。",
    ]


def test_unpaired_brackets_do_not_swallow_the_paragraph():
    # an opener never closed (left by a dropped template) pairs with nothing
    assert split_sentences("町は（旧村の中心。今は静かだ。人口は少ない。", "ja") == [
        "町は（旧村の中心。",
        "今は静かだ。",
        "人口は少ない。",
    ]
    assert split_sentences("The town (old centre. It is quiet. Few live there.", "en") == [
        "The town (old centre.",
        "It is quiet.",
        "Few live there.",
    ]


def test_latin_sentences_do_not_end_inside_brackets_or_quotes():
    text = 'He said "Go now. Fast." Then he left (see below. It was late.) The end came. Er rief: „Halt. Sofort.“ Fin.'
    assert split_sentences(text, "en") == [
        'He said "Go now. Fast."',
        "Then he left (see below. It was late.)",
        "The end came.",
        "Er rief: „Halt. Sofort.“",
        "Fin.",
    ]
    assert bracket_spans("a (b [c] d) «e» „f“ ) (") == [(5, 7), (2, 10), (12, 14), (16, 18)]


def test_sentence_ending():
    assert ends_like_sentence("Das ist so.") and ends_like_sentence("Er sagte: „Ja.“") and ends_like_sentence("本当？")
    assert not ends_like_sentence("Werke (Auswahl):") and not ends_like_sentence("Liste der Orte")


def test_disambiguation_suffix():
    assert strip_disambiguation("Mercury (planet)") == "Mercury"
    assert strip_disambiguation("Paris, Texas") == "Paris, Texas"
    assert strip_disambiguation("(Untitled)") == "(Untitled)"


def test_names_match_at_word_boundaries_longest_first():
    index = CandidateIndex(
        [
            ("Berlin", "B"),
            ("New York", "NY"),
            ("New York City", "NYC"),
            ("U.S.", "US"),
            ("Georgia", "GA"),
            ("Georgia", "GE"),
        ],
        "en",
    )
    assert index.find("He moved from Berlin-Mitte to New York City, not New York.") == ["B", "NYC", "NY"]
    assert index.find("Die Berliner Mauer stand in Berlins Mitte.") == []
    assert index.find("U.S. troops left the U.S.A. for Georgia.") == ["US", "GA", "GE"]
    assert index.may_match("[[Berlin|die Hauptstadt]]") and not index.may_match("Die Zeitung aus Bonn")
    assert len(index) == 5


def test_names_without_spaces_respect_script_boundaries():
    index = CandidateIndex(
        [("US", "US"), ("UN", "UN"), ("AP", "AP"), ("パリ", "Paris"), ("ソニー", "Sony"), ("東京", "Tokyo")], "ja"
    )
    # Latin-script names must not touch Latin letters or digits: no acronym inside a longer word
    assert index.find("UNIXとUSMLEとAPIとUN2の話。") == []
    assert index.find("USとUNの会議、AP通信も来た。") == ["US", "UN", "AP"]
    assert index.find("ＵＮＩＸも使う。") == []  # full-width letters are Latin letters too
    # katakana names must not be the inside of a longer katakana word
    assert index.find("パリバ銀行とアンソニーとパリーの話。") == []
    assert index.find("パリ・ソニー社とパリの店。") == ["Paris", "Sony"]
    assert index.find("ソニーー") == []  # the long-vowel mark belongs to the katakana word
    # kanji (and hiragana) may sit inside a longer run: compounds such as 東京都 name 東京
    assert index.find("東京都に住む。") == ["Tokyo"]
    strict = CandidateIndex([("東京", "Tokyo")], "ja", substring_scripts=())
    assert strict.find("東京都に住む。") == [] and strict.find("東京に住む。") == ["Tokyo"]
    assert CandidateIndex([("北京", "Beijing")], "zh").find("北京市是首都。") == ["Beijing"]


def test_names_without_spaces_prefer_the_longest_name_that_passes_its_boundary():
    index = CandidateIndex([("ベルリン", "Berlin"), ("ベルリンフィル", "Phil"), ("x", "too short")], "ja")
    assert index.find("ベルリンフィルはベルリンにある。") == ["Phil", "Berlin"]
    assert index.find("ベルリンフィルハーモニー") == []  # neither name ends where a katakana word ends
    assert not index.may_match("パリにある。") and index.may_match("ベルリンフィルハーモニー")
    assert CandidateIndex([], "de").find("Berlin") == []
