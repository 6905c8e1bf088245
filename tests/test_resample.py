from collections import Counter

import pytest

from xlt.errors import UserError
from xlt.resample import balance_languages, sample_records

SOURCE = [{"text": f"english review {i}", "id": i} for i in range(10)]
TARGET = [f"deutscher Text {i}" for i in range(3)]


def test_upsample_gives_both_languages_the_larger_size():
    mixed = balance_languages(SOURCE, TARGET, seed=1, source_lang="en", target_lang="de")
    counts = Counter(r["lang"] for r in mixed)
    assert counts == {"en": 10, "de": 10}
    target_counts = Counter(r["text"] for r in mixed if r["lang"] == "de")
    # 10 = 3 whole copies + 1 random extra: every text 3 or 4 times, exactly one 4 times
    assert sorted(target_counts.values()) == [3, 3, 4]
    assert sorted(r["id"] for r in mixed if r["lang"] == "en") == list(range(10))


def test_downsample_gives_both_languages_the_smaller_size():
    mixed = balance_languages(SOURCE, TARGET, seed=1, mode="downsample", target_lang="de")
    assert Counter(r["lang"] for r in mixed) == {"en": 3, "de": 3}
    en_ids = [r["id"] for r in mixed if r["lang"] == "en"]
    assert len(set(en_ids)) == 3  # drawn without replacement


def test_records_keep_fields_and_are_copies():
    mixed = balance_languages(SOURCE, TARGET, seed=2, target_lang="de")
    assert all("lang" in r and "text" in r for r in mixed)
    assert "lang" not in SOURCE[0]
    de = [r for r in mixed if r["lang"] == "de"]
    de[0]["text"] = "changed"
    assert sum(r["text"] == "changed" for r in mixed) == 1


def test_same_seed_same_mix_other_seed_other_order():
    a = balance_languages(SOURCE, TARGET, seed=7)
    b = balance_languages(SOURCE, TARGET, seed=7)
    c = balance_languages(SOURCE, TARGET, seed=8)
    assert a == b
    assert a != c


def test_languages_are_shuffled_together():
    mixed = balance_languages(SOURCE, TARGET, seed=3)
    langs = [r["lang"] for r in mixed]
    assert langs != sorted(langs) and langs != sorted(langs, reverse=True)


@pytest.mark.parametrize("source,target", [([], TARGET), (SOURCE, [])])
def test_empty_corpus_is_a_user_error(source, target):
    with pytest.raises(UserError, match="empty"):
        balance_languages(source, target, seed=0)


def test_unknown_mode():
    with pytest.raises(ValueError):
        balance_languages(SOURCE, TARGET, seed=0, mode="sideways")


def test_sample_records_is_seeded_and_keeps_order():
    records = list(range(100))
    a = sample_records(records, 10, seed=5)
    assert a == sample_records(records, 10, seed=5)
    assert a == sorted(a) and len(set(a)) == 10
    assert a != sample_records(records, 10, seed=6)
    assert sample_records(records, None, seed=5) == records
    assert sample_records(records, 1000, seed=5) == records


def test_held_out_texts_leave_the_corpus_with_every_copy_and_are_seeded():
    from xlt.resample import hold_out_texts

    texts = [f"t{i}" for i in range(40)] + ["t0", "t0", "t1"]
    rest, held = hold_out_texts(texts, 200, seed=5)
    assert len(held) == 4  # at most a tenth of the 40 distinct texts
    assert not set(held) & set(rest) and len(rest) == len([t for t in texts if t not in held])
    assert held == sorted(held) and hold_out_texts(texts, 200, seed=5) == (rest, held)
    assert hold_out_texts(texts, 200, seed=6)[1] != held
    assert hold_out_texts(texts, 0, seed=5) == (texts, [])


def test_the_leftover_copies_are_drawn_at_random_with_the_seed():
    # 10 target texts brought up to 25: two whole copies each, then 5 drawn without replacement
    source = [f"s{i}" for i in range(25)]
    target = [f"t{i}" for i in range(10)]
    extras = set()
    for seed in range(6):
        counts = Counter(r["text"] for r in balance_languages(source, target, seed=seed) if r["lang"] == "target")
        assert sorted(counts.values()) == [2] * 5 + [3] * 5
        extras.add(frozenset(t for t, c in counts.items() if c == 3))
    assert len(extras) > 1  # not always the first five
