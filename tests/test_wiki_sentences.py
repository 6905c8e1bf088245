"""Sentence splitting and word-boundary entity matching."""

from xlt.wiki.sentences import CandidateIndex, ends_like_sentence, split_sentences, strip_disambiguation


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
        "「はい。」",
        "と答えた",
    ]


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


def test_names_without_spaces_match_as_substrings():
    index = CandidateIndex([("ベルリン", "Berlin"), ("x", "too short")], "ja")
    assert index.find("ベルリンフィルはベルリンにある。") == ["Berlin"]
    assert not index.may_match("パリにある。")
    assert CandidateIndex([], "de").find("Berlin") == []
