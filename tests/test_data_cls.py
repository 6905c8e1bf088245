"""Webis-CLS-10 reader: labels from stars, text fields, the seeded unlabeled sample and its fallback pool."""

from __future__ import annotations

import logging
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from xlt.data.cls import (
    DOMAINS,
    LABELS,
    load_cls_split,
    load_cls_unlabeled,
    normalise_lang,
    read_reviews,
    review_path,
    sample_unlabeled,
)
from xlt.errors import UserError

SHARED_CLS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cls" / "cls-acl10-unprocessed"


def write_reviews(path: Path, items: list[dict]) -> Path:
    """A review file in the corpus' layout; English-like items have summary, rating, text, category."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(
        "<item>\n" + "".join(f"\t<{k}>{escape(str(v))}</{k}>\n" for k, v in item.items()) + "</item>\n"
        for item in items
    )
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<items>{body}</items>\n', encoding="utf-8")
    return path


def review(i: int, rating: float = 5.0, **extra) -> dict:
    return {"summary": f"headline {i}", "rating": rating, "text": f"body of made-up review {i}", **extra}


def test_labels_come_from_stars_and_three_stars_are_dropped(tmp_path, caplog):
    path = write_reviews(tmp_path / "train.review", [review(i, r) for i, r in enumerate([5.0, 4.0, 3.0, 2.0, 1.0])])

    with caplog.at_level(logging.WARNING, logger="xlt.data.cls"):
        records, info = load_cls_split(path)

    assert [r["label"] for r in records] == [1, 1, 0, 0]
    assert records[0]["text"] == "headline 0\nbody of made-up review 0"
    assert info["dropped_neutral"] == 1
    assert info["label_counts"] == {"negative": 2, "positive": 2}
    assert LABELS[records[-1]["label"]] == "negative"
    assert "dropped 1 three-star" in caplog.text


def test_text_is_summary_then_body_whatever_other_fields_an_item_has(tmp_path):
    item = {
        "category": "Bücher",
        "rating": "1.0",
        "asin": "0000000000",
        "text": "\n  Der Inhalt & mehr <nichts>  \n",
        "title": "Produkttitel",
        "summary": "Überschrift",
        "reviewer": "jemand",
    }
    records, _ = load_cls_split(write_reviews(tmp_path / "de" / "books" / "test.review", [item]))
    assert records == [{"text": "Überschrift\nDer Inhalt & mehr <nichts>", "label": 0}]


def test_japanese_is_jp_in_the_corpus():
    assert normalise_lang("ja") == normalise_lang("JP") == "jp"
    assert review_path("/c", "ja", "dvd", "unlabeled") == Path("/c/jp/dvd/unlabeled.review")
    # a copy may add languages and domains beyond Webis-CLS-10's: any code and folder name of the right form
    assert review_path("/c", "sw", "kitchen", "train") == Path("/c/sw/kitchen/train.review")
    assert normalise_lang("zh-yue") == "zh-yue"
    with pytest.raises(UserError, match="language 'e s'"):
        normalise_lang("e s")
    with pytest.raises(UserError, match="domain 'x/../y'"):
        review_path("/c", "de", "x/../y", "train")


def test_malformed_xml_names_file_and_line(tmp_path):
    path = tmp_path / "test.review"
    path.write_text("<items>\n<item><rating>5.0</rating>\n<text>fine</summary>\n</item></items>\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        read_reviews(path)
    message = str(err.value)
    assert message.startswith(f"{path}:3: malformed XML (mismatched tag") and "\n" not in message


def test_undecodable_bytes_name_file_and_line(tmp_path):
    path = tmp_path / "train.review"
    path.write_bytes(
        b'<?xml version="1.0" encoding="utf-8"?>\n<items><item><rating>5.0</rating>\n<text>caf\xe9</text></item></items>'
    )
    with pytest.raises(UserError, match=rf"^{path}:3: malformed XML"):
        read_reviews(path)


@pytest.mark.parametrize(
    "item,message",
    [
        ({"summary": "s", "text": "t"}, r":7: review has no <rating>"),
        ({"rating": "five", "text": "t"}, r":7: rating 'five' is not a number"),
        ({"rating": "7.0", "text": "t"}, r":7: rating 7 is outside 1.0 to 5.0"),
    ],
)
def test_bad_rating_names_the_item_line(tmp_path, item, message):
    # line 1 is the XML declaration, the first item spans lines 2-6, the second starts on line 7
    path = write_reviews(tmp_path / "train.review", [review(0), item])
    with pytest.raises(UserError, match=f"train.review{message}"):
        load_cls_split(path)


def test_empty_split_and_wrong_root_are_rejected(tmp_path):
    empty = tmp_path / "empty.review"
    empty.write_text('<?xml version="1.0"?>\n<items>\n</items>\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"empty.review: no <item> reviews \(empty split"):
        load_cls_split(empty)
    other = tmp_path / "other.review"
    other.write_text("<reviews><item/></reviews>", encoding="utf-8")
    with pytest.raises(UserError, match=r"other.review:1: root element <reviews>, expected <items>"):
        read_reviews(other)
    with pytest.raises(UserError, match=r"missing.review: file not found"):
        read_reviews(tmp_path / "missing.review")


def make_corpus(root: Path, lang: str = "fr", with_unlabeled: bool = False, n: int = 6) -> None:
    for d, domain in enumerate(DOMAINS):
        write_reviews(root / lang / domain / "train.review", [review(100 * d + i, 1.0 + i % 5) for i in range(n)])
        write_reviews(root / lang / domain / "test.review", [review(1000 + 100 * d + i) for i in range(n)])
        if with_unlabeled:
            write_reviews(
                root / lang / domain / "unlabeled.review", [review(5000 + 100 * d + i, 3.0) for i in range(40)]
            )


def test_unlabeled_sample_is_seeded_and_drawn_from_unlabeled_review(tmp_path):
    make_corpus(tmp_path, with_unlabeled=True)

    first, info = load_cls_unlabeled(tmp_path, "fr", "dvd", size=10, seed=7)
    again, _ = load_cls_unlabeled(tmp_path, "fr", "dvd", size=10, seed=7)
    other, _ = load_cls_unlabeled(tmp_path, "fr", "dvd", size=10, seed=8)

    assert first == again and first != other
    assert len(first) == 10 and all(set(r) == {"text"} for r in first)
    assert all(r["text"].startswith("headline 51") for r in first)  # dvd's unlabeled reviews 5100..5139
    assert info["pool"] == "unlabeled" and info["used_fallback"] is False and info["pool_size"] == 40
    assert info["sources"] == [str(tmp_path / "fr" / "dvd" / "unlabeled.review")]


def test_fallback_pool_is_the_languages_train_reviews_never_its_test_reviews(tmp_path, caplog):
    make_corpus(tmp_path, n=6)
    duplicate_of_test = review(1000)  # a train review whose text is also a test review's
    books_train = tmp_path / "fr" / "books" / "train.review"
    write_reviews(books_train, [review(i, 1.0 + i % 5) for i in range(6)] + [duplicate_of_test, review(0, 2.0)])

    with caplog.at_level(logging.WARNING, logger="xlt.data.cls"):
        records, info = load_cls_unlabeled(tmp_path, "fr", "music", size=100, seed=1)

    texts = {r["text"] for r in records}
    test_texts = {
        f"headline {1000 + 100 * d + i}\nbody of made-up review {1000 + 100 * d + i}"
        for d in range(3)
        for i in range(6)
    }
    assert not texts & test_texts
    assert len(records) == 18  # 3 domains x 6 train reviews; the duplicate and the repeat left out
    assert info["pool"] == "train-fallback" and info["used_fallback"] is True
    assert info["removed_test_duplicates"] == 1 and info["removed_duplicates"] == 1
    assert info["sources"] == [str(tmp_path / "fr" / d / "train.review") for d in DOMAINS]
    assert "fallback pool" in caplog.text and "fewer than the requested 100" in caplog.text


def test_without_fallback_a_missing_unlabeled_file_is_an_error(tmp_path):
    make_corpus(tmp_path)
    with pytest.raises(UserError, match=r"fr/books/unlabeled.review: file not found"):
        load_cls_unlabeled(tmp_path, "fr", "books", size=5, seed=0, fallback=False)


def test_sample_unlabeled_from_explicit_files(tmp_path):
    a = write_reviews(tmp_path / "a.review", [review(i) for i in range(30)])
    records, info = sample_unlabeled([a], size=5, seed=3, used_fallback=False)
    assert len(records) == 5 and info["pool_size"] == 30 and info["seed"] == 3
    with pytest.raises(UserError, match="positive integer"):
        sample_unlabeled([a], size=0, seed=3)


# Real data (../shared/data): every language-domain present has 2,000 reviews per split, 1,000 per class.
def shared_corpus() -> Path:
    if not SHARED_CLS.exists():
        pytest.skip(f"real Webis-CLS-10 data not found at {SHARED_CLS}")
    return SHARED_CLS


def test_real_splits_have_2000_reviews_1000_per_class():
    root = shared_corpus()
    seen = 0
    for lang in ("de", "en", "fr", "jp"):
        for domain in DOMAINS:
            for split in ("train", "test"):
                path = review_path(root, lang, domain, split)
                if not path.exists():
                    continue
                records, info = load_cls_split(path)
                assert len(records) == 2000, path
                assert info["label_counts"] == {"negative": 1000, "positive": 1000}, path
                assert info["dropped_neutral"] == 0
                seen += 1
    assert seen >= 2


def test_real_fallback_pool_holds_no_test_review():
    root = shared_corpus()
    lang = next(lang for lang in ("de", "fr", "jp") if (root / lang).exists())
    if review_path(root, lang, "books", "unlabeled").exists():
        pytest.skip("the real copy has unlabeled.review: no fallback pool to check")
    records, info = load_cls_unlabeled(root, lang, "books", size=10_000, seed=0)
    test_texts = {r["text"] for d in DOMAINS for r in load_cls_split(review_path(root, lang, d, "test"))[0]}
    assert info["used_fallback"] and 0 < len(records) <= 6000
    assert not {r["text"] for r in records} & test_texts
