import math

import numpy as np
import pytest

from xlt.errors import UserError
from xlt.selftrain.pseudo import select_pseudo_labels, update_source_keep
from xlt.selftrain.schedule import parse_schedule, Step
from xlt.selftrain.threshold import (
    FALLBACK_ALPHA,
    flatten_sentences,
    select_threshold_by_max_curvature,
    threshold_curve,
)
from xlt.selftrain.voters import voters_agree

# ---------------------------------------------------------------- schedules


def test_parse_paper_schedules():
    assert parse_schedule("SHS") == [Step("soft", 1), Step("hard", 1), Step("soft", 2)]
    assert parse_schedule("SSS") == [Step("soft", 1), Step("soft", 2), Step("soft", 3)]
    assert [s.stage for s in parse_schedule("SHSHS")] == [
        "round1-soft",
        "round1-hard",
        "round2-soft",
        "round2-hard",
        "round3-soft",
    ]
    assert parse_schedule("") == []


def test_parse_ignores_case_and_separators():
    assert parse_schedule("s-h s") == parse_schedule("SHS")


@pytest.mark.parametrize("bad", ["H", "SHH", "SX", "HS", "S H H"])
def test_parse_rejects_invalid_schedule_in_one_line(bad):
    with pytest.raises(UserError) as err:
        parse_schedule(bad)
    message = str(err.value)
    assert repr(bad) in message and "\n" not in message
    assert "expected" in message


# ---------------------------------------------------------------- voters and curves


def test_voters_need_agreement_and_every_confidence_above_alpha():
    probs = np.array(
        [
            [[0.95, 0.05], [0.6, 0.4], [0.2, 0.8], [0.97, 0.03]],
            [[0.92, 0.08], [0.3, 0.7], [0.1, 0.9], [0.85, 0.15]],
        ]
    )
    mask, labels = voters_agree(probs, 0.9)
    assert mask.tolist() == [True, False, False, False]  # sample 4: second voter only 0.85
    assert labels.tolist() == [0, -1, -1, -1]
    mask, labels = voters_agree(probs, 0.7)
    assert mask.tolist() == [True, False, True, True]
    assert labels.tolist() == [0, -1, 1, 0]


def test_threshold_is_strict():
    mask, _ = voters_agree(np.array([[0.9, 0.1]]), 0.9)
    assert not mask.any()


def test_threshold_curve_counts_single_model():
    probs = np.array([[0.55, 0.45], [0.8, 0.2], [0.3, 0.7], [0.02, 0.98], [0.96, 0.04]])
    gold = np.array([1, 0, 1, 1, 1])
    rows = threshold_curve(probs, gold, [0.5, 0.75, 0.95, 0.99])
    assert [r["selected"] for r in rows] == [5, 3, 2, 0]
    assert rows[0]["accuracy"] == pytest.approx(3 / 5)
    assert rows[1]["accuracy"] == pytest.approx(2 / 3)  # 0.8 and 0.98 right, 0.96 wrong
    assert rows[2]["accuracy"] == pytest.approx(1 / 2)
    assert math.isnan(rows[3]["accuracy"])
    assert [r["recall"] for r in rows] == [1.0, 0.6, 0.4, 0.0]
    assert all(r["total"] == 5 for r in rows)


def test_threshold_curve_ignores_padding_and_uses_voters():
    probs = np.array(
        [
            [[0.9, 0.1], [0.2, 0.8], [0.99, 0.01]],
            [[0.8, 0.2], [0.6, 0.4], [0.99, 0.01]],
        ]
    )
    gold = np.array([0, 1, -100])
    rows = threshold_curve(probs, gold, [0.5, 0.85])
    assert rows[0]["total"] == 2
    assert rows[0]["selected"] == 1  # the voters disagree on the second word
    assert rows[0]["accuracy"] == 1.0
    assert rows[1]["selected"] == 0


def test_flatten_sentences_for_ner_curves():
    p1 = np.full((2, 3), 1 / 3)
    p2 = np.eye(3)[[0]]
    probs, gold = flatten_sentences([p1, p2], [[0, 1], [0]])
    assert probs.shape == (3, 3) and gold.tolist() == [0, 1, 0]
    with pytest.raises(ValueError):
        flatten_sentences([p1], [[0]])


# ---------------------------------------------------------------- alpha


def test_alpha_at_the_knee_of_a_piecewise_linear_curve():
    t = np.array([0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999])  # non-uniform, dense near 1
    # flat until 0.9, then rising steeply: the bend is at 0.9 on the non-uniform grid
    acc = np.where(t <= 0.9, 0.90, 0.90 + 0.8 * (t - 0.9))
    assert select_threshold_by_max_curvature(t, acc) == 0.9
    assert select_threshold_by_max_curvature(t, acc, method="curvature") == 0.9


def test_concave_knee_needs_the_curvature_estimator():
    t = np.linspace(0.5, 1.0, 11)
    acc = np.minimum(0.8 + 0.5 * (t - 0.5), 0.95)  # rises, then flat from t = 0.8
    assert select_threshold_by_max_curvature(t, acc, method="curvature") == pytest.approx(0.8)
    # the signed second derivative (Eq. 3 as written) looks for upward bends and finds none here
    assert select_threshold_by_max_curvature(t, acc) != pytest.approx(0.8)


def test_alpha_on_a_logistic_curve():
    k, c = 40.0, 0.8
    t = np.linspace(0.5, 0.999, 500)
    acc = 0.7 + 0.3 / (1 + np.exp(-k * (t - c)))
    # the logistic's second derivative peaks at c - ln(2 + sqrt 3) / k
    expected = c - math.log(2 + math.sqrt(3)) / k
    assert select_threshold_by_max_curvature(t, acc) == pytest.approx(expected, abs=2e-3)


def test_alpha_skips_nan_points_and_accepts_unsorted_input():
    t = np.array([0.999, 0.5, 0.6, 0.7, 0.8, 0.9])
    acc = np.array([math.nan, 0.9, 0.9, 0.9, 0.9, 0.98])
    assert select_threshold_by_max_curvature(t, acc) == 0.8


def test_alpha_fallback_with_too_few_points():
    assert select_threshold_by_max_curvature([0.5, 0.9, 0.99], [0.9, math.nan, math.nan]) == FALLBACK_ALPHA
    assert select_threshold_by_max_curvature([0.5, 0.9], [0.9, 0.95], fallback=0.7) == 0.7


def test_smoothing_recovers_the_bend_of_a_noisy_curve():
    k, c = 40.0, 0.8
    t = np.linspace(0.5, 0.999, 200)
    noise = np.random.default_rng(0).normal(0.0, 0.002, len(t))
    acc = 0.7 + 0.3 / (1 + np.exp(-k * (t - c))) + noise
    expected = c - math.log(2 + math.sqrt(3)) / k
    assert abs(select_threshold_by_max_curvature(t, acc) - expected) > 0.05
    assert select_threshold_by_max_curvature(t, acc, smoothing=21) == pytest.approx(expected, abs=0.03)


def test_duplicate_thresholds_rejected():
    with pytest.raises(ValueError):
        select_threshold_by_max_curvature([0.5, 0.5, 0.9], [0.1, 0.2, 0.3])


# ---------------------------------------------------------------- source filter and pseudo labels


def test_source_filter_removes_for_good():
    keep = update_source_keep(None, [1, 0, 1, 1], [1, 1, 1, 1])
    assert keep.tolist() == [True, False, True, True]
    keep = update_source_keep(keep, [1, 1, 0, 1], [1, 1, 1, 1])  # sample 1 right again: stays removed
    assert keep.tolist() == [True, False, False, True]


def test_source_filter_ner_sentence_needs_every_word_right():
    gold = [["B-PER", "O"], ["O"], ["B-LOC", "I-LOC", "O"]]
    pred = [["B-PER", "O"], ["B-ORG"], ["B-LOC", "B-LOC", "O"]]
    assert update_source_keep(None, pred, gold).tolist() == [True, False, False]
    with pytest.raises(ValueError):
        update_source_keep(None, [["O"]], [["O", "O"]])
    with pytest.raises(ValueError):
        update_source_keep(np.ones(2, bool), [1], [1])


def test_pseudo_labels_cls():
    probs = np.array([[[0.95, 0.05], [0.4, 0.6], [0.01, 0.99]], [[0.93, 0.07], [0.45, 0.55], [0.02, 0.98]]])
    idx, labels = select_pseudo_labels(probs, 0.9, "sequence")
    assert idx == [0, 2] and labels == [0, 1]
    idx, labels = select_pseudo_labels(probs, 0.9, "sequence", label_list=["negative", "positive"])
    assert labels == ["negative", "positive"]


def test_pseudo_labels_ner_sentence_and_token_modes():
    tags = ["O", "B-PER", "I-PER"]
    sure = [0.98, 0.01, 0.01]
    unsure = [0.5, 0.3, 0.2]
    per = [0.01, 0.98, 0.01]
    sentences = [
        np.array([[sure, per], [sure, per]]),  # two voters, all words confident
        np.array([[sure, unsure], [sure, unsure]]),
        np.array([[unsure], [unsure]]),
        np.zeros((2, 0, 3)),
    ]
    idx, out = select_pseudo_labels(sentences, 0.9, "token", label_list=tags)
    assert idx == [0] and out == [["O", "B-PER"]]
    idx, out = select_pseudo_labels(sentences, 0.9, "token", ner_selection="token", label_list=tags)
    assert idx == [0, 1]
    assert out == [["O", "B-PER"], ["O", None]]
    idx, out = select_pseudo_labels(sentences, 0.9, "token")
    assert out == [[0, 1]]
    with pytest.raises(ValueError, match="expected one of"):
        select_pseudo_labels(sentences, 0.9, "conll")  # the task, not the kind of model


# ---------------------------------------------------------------- choose_alpha: support floor, ties, fallback

from xlt.selftrain.pseudo import balance_classes, ner_unit
from xlt.selftrain.threshold import choose_alpha, sentence_threshold_curve
from xlt.selftrain.voters import voter_confidence

GRID = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99]


def curve_of(acc, selected, total=1000, grid=GRID):
    return [{"threshold": t, "accuracy": a, "recall": s / total, "selected": s, "total": total}
            for t, a, s in zip(grid, acc, selected)]


def test_near_uniform_student_falls_back_to_a_supported_threshold():
    # a student whose probabilities sit near 0.5: everything passes 0.5, one sample passes 0.6, none above
    curve = curve_of([0.47, 1.0] + [math.nan] * 7, [1000, 1] + [0] * 7)
    alpha = choose_alpha(curve, min_support=0.05, fallback=0.9)
    assert alpha["rule"] == "fallback" and alpha["alpha"] == 0.5  # never above every confidence
    assert alpha["support"] == 1.0 and "a bend needs 3" in alpha["reason"]
    # without the floor the single sample at 0.6 would count, and the old rule fell back to 0.9 (no support)
    assert select_threshold_by_max_curvature(GRID, [r["accuracy"] for r in curve]) == FALLBACK_ALPHA


def test_sparse_tail_does_not_decide():
    # accuracy jumps at 0.97/0.99, but those points are backed by 3 and 1 of 1000 samples
    acc = [0.80, 0.82, 0.84, 0.86, 0.87, 0.88, 0.89, 0.20, 1.0]
    sel = [1000, 900, 800, 600, 500, 400, 300, 3, 1]
    assert select_threshold_by_max_curvature(GRID, acc) == 0.97  # the noisy tail wins without a floor
    alpha = choose_alpha(curve_of(acc, sel), min_support=0.05)
    assert alpha["alpha"] in alpha["supported"] and alpha["alpha"] <= 0.95
    assert alpha["supported"] == GRID[:7] and alpha["support"] >= 0.05


def test_concave_curve_with_both_estimators():
    t = np.linspace(0.5, 0.99, 15)
    acc = np.minimum(0.8 + 0.5 * (t - 0.5), 0.93)  # rises, then flat
    sel = np.linspace(1000, 200, 15).astype(int)
    kappa = choose_alpha(curve_of(acc, sel, grid=t), method="curvature")
    assert kappa["rule"] == "curvature" and kappa["alpha"] == pytest.approx(t[np.argmax(acc >= 0.93)], abs=0.04)
    second = choose_alpha(curve_of(acc, sel, grid=t), method="second_derivative")
    assert second["rule"] == "curvature" and second["method"] == "second_derivative"


@pytest.mark.parametrize("acc", [[0.9] * 9, [0.5 + 0.5 * t for t in GRID]], ids=["all-equal", "linear"])
def test_flat_second_derivative_is_a_fallback_not_noise(acc):
    # on an all-equal or linear curve every interior point has the same second derivative (up to rounding):
    # no threshold bends more than another, so the documented fallback decides, not floating-point noise
    alpha = choose_alpha(curve_of(acc, [1000 - 50 * i for i in range(9)]), fallback=0.9)
    assert alpha["rule"] == "fallback" and alpha["alpha"] == 0.9 and "no bend" in alpha["reason"]


def test_ties_go_to_the_lower_threshold_within_a_tolerance():
    t = [0.5, 0.6, 0.7, 0.8, 0.9]
    # two identical knees (at 0.6 and 0.8), perturbed in the last bits
    acc = [0.8, 0.8, 0.9, 0.9, 1.0]
    acc_noisy = [0.8, 0.8, 0.9 + 1e-15, 0.9, 1.0 + 2e-16]
    assert select_threshold_by_max_curvature(t, acc) == 0.6
    assert select_threshold_by_max_curvature(t, acc_noisy) == 0.6
    alpha = choose_alpha(curve_of(acc_noisy, [100, 90, 80, 70, 60], total=100, grid=t))
    assert alpha["alpha"] == 0.6 and alpha["rule"] == "curvature"


def test_no_supported_threshold_takes_the_lowest():
    alpha = choose_alpha(curve_of([math.nan] * 9, [0] * 9), min_support=0.05)
    assert alpha["alpha"] == 0.5 and alpha["rule"] == "fallback" and alpha["support"] == 0.0


def test_fallback_moves_down_to_a_grid_point():
    acc = [0.9, 0.95, 0.97, 0.98] + [math.nan] * 5
    curve = curve_of(acc, [1000, 500, 30, 10, 0, 0, 0, 0, 0])
    alpha = choose_alpha(curve, min_support=0.05, fallback=0.85)
    assert alpha["rule"] == "fallback" and alpha["alpha"] == 0.6  # 0.7 and 0.8 lack support


# ---------------------------------------------------------------- NER units

TAGS = ["O", "B-PER", "I-PER"]


def test_ner_unit_of_each_selection():
    assert ner_unit("sentence") == "sentence"
    assert ner_unit("token") == ner_unit("sentence-masked") == "token"
    with pytest.raises(ValueError):
        ner_unit("word")


def test_sentence_curve_counts_whole_sentences():
    sure_o, sure_per, unsure = [0.98, 0.01, 0.01], [0.01, 0.98, 0.01], [0.6, 0.3, 0.1]
    probs = [np.array([sure_o, sure_per]), np.array([sure_o, unsure]), np.array([sure_per]), np.zeros((0, 3))]
    gold = [[0, 1], [0, 0], [0], []]
    rows = sentence_threshold_curve(probs, gold, [0.5, 0.9])
    assert rows[0] == {"threshold": 0.5, "accuracy": 2 / 3, "recall": 1.0, "selected": 3, "total": 3}
    assert rows[1]["selected"] == 2 and rows[1]["accuracy"] == 0.5  # sentence 3 is confident and wrong


def test_token_keep_is_per_word_and_cumulative():
    gold = [[0, 1], [0]]
    keep = update_source_keep(None, [[0, 0], [0]], gold, unit="token")
    assert [k.tolist() for k in keep] == [[True, False], [True]]
    keep = update_source_keep(keep, [[0, 1], [1]], gold, unit="token")  # word (0,1) right now: stays removed
    assert [k.tolist() for k in keep] == [[True, False], [False]]
    with pytest.raises(ValueError):
        update_source_keep([[True]], [[0, 1], [1]], gold, unit="token")


def test_sentence_masked_keeps_confident_entities_and_masks_uncertain_o():
    sure_o, sure_per, unsure_o = [0.98, 0.01, 0.01], [0.01, 0.98, 0.01], [0.6, 0.3, 0.1]
    unsure_per = [0.3, 0.6, 0.1]
    sentences = [
        np.array([sure_per, unsure_o]),  # entity sure, an O word unsure: kept, O word masked
        np.array([unsure_per, sure_o]),  # an uncertain entity: not kept
        np.array([unsure_o, unsure_o]),  # nothing passes
    ]
    idx, out = select_pseudo_labels(sentences, 0.9, "token", ner_selection="sentence-masked", label_list=TAGS)
    assert idx == [0] and out == [["B-PER", None]]
    idx, _ = select_pseudo_labels(sentences, 0.9, "token", ner_selection="token", label_list=TAGS)
    assert idx == [0, 1]  # token mode keeps the sure O word of sentence 1
    idx, _ = select_pseudo_labels(sentences, 0.9, "token", ner_selection="sentence", label_list=TAGS)
    assert idx == []


def test_voter_confidence_matches_eq4():
    probs = np.array([[[0.95, 0.05], [0.6, 0.4], [0.2, 0.8]], [[0.92, 0.08], [0.3, 0.7], [0.1, 0.9]]])
    conf, labels = voter_confidence(probs)
    assert conf.tolist() == [0.92, -1.0, 0.8] and labels.tolist() == [0, 0, 1]
    for alpha in (0.5, 0.79, 0.8, 0.93):
        mask, _ = voters_agree(probs, alpha)
        assert (conf > alpha).tolist() == mask.tolist()


def test_balance_classes_keeps_the_most_confident_of_each_class():
    indices = [3, 5, 8, 9, 12]
    labels = [0, 0, 0, 1, 1]
    conf = [0.91, 0.99, 0.95, 0.92, 0.97]
    keep = balance_classes(indices, labels, conf)
    assert keep == [1, 2, 3, 4]  # negatives 5 and 8 (most confident), both positives
    assert balance_classes([1, 2], [1, 1], [0.9, 0.95]) == [0, 1]  # one class: nothing to balance


def test_entity_curve_leaves_out_words_that_are_o_in_gold_and_prediction():
    """O words the model is sure of dominate an all-word curve; the entity curve counts only the other words."""
    from xlt.tasks import threshold_curve_of

    # label ids: 0 = O, 1 = B-PER (CONLL_LABELS order). 90 sure O words, right; 10 entity words at 0.8, 8 right.
    o = np.tile([[0.995, 0.005] + [0.0] * 7], (90, 1))
    ent = np.tile([[0.2, 0.8] + [0.0] * 7], (10, 1))
    probs = [np.concatenate([o, ent])]
    records = [{"tokens": ["w"] * 100, "tags": ["O"] * 90 + ["B-PER"] * 8 + ["O"] * 2}]
    every = {r["threshold"]: r for r in threshold_curve_of("token", probs, records, [0.5, 0.9, 0.99], ner_curve="all")}
    ents = {r["threshold"]: r for r in threshold_curve_of("token", probs, records, [0.5, 0.9, 0.99])}
    assert every[0.5]["total"] == 100 and ents[0.5]["total"] == 10  # the 90 O/O words are left out
    assert ents[0.5]["accuracy"] == pytest.approx(0.8) and every[0.5]["accuracy"] == pytest.approx(0.98)
    assert every[0.99]["selected"] == 90 and ents[0.99]["selected"] == 0  # at 0.99 no entity word passes
    with pytest.raises(ValueError, match="ner_curve"):
        threshold_curve_of("token", probs, records, [0.5], ner_curve="some")


def test_a_one_class_english_training_set_is_refused():
    from xlt.errors import UserError
    from xlt.tasks import check_training_labels, labels_of

    labels = labels_of("sequence")
    with pytest.raises(UserError, match=r"train.jsonl: all 3 training examples have label 'negative'"):
        check_training_labels("sequence", [{"label": 0}] * 3, labels, "train.jsonl")
    check_training_labels("sequence", [{"label": 0}, {"label": 1}], labels, "train.jsonl")


def test_an_ner_training_set_without_entities_is_refused():
    from xlt.errors import UserError
    from xlt.tasks import check_training_labels, labels_of

    labels = labels_of("token")
    with pytest.raises(UserError, match="none of the 2 training sentences has an entity"):
        check_training_labels("token", [{"tags": ["O", "O"]}, {"tags": ["O"]}], labels, "eng.train")
    check_training_labels("token", [{"tags": ["O", "B-PER"]}], labels, "eng.train")
