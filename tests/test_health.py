"""Health records and guards of self-training steps (xlt.selftrain.health, xlt.runtime.raise_guards)."""

import math
import sys

import numpy as np
import pytest

from xlt.errors import UserError, exit_on_user_error
from xlt.selftrain.health import (
    check_keep,
    check_pseudo_classes,
    check_pseudo_labels,
    check_soft_classes,
    check_soft_fit,
    check_threshold,
    english_fit,
    keep_by_class,
    oracle_accuracy,
    oracle_fields,
    predicted_counts,
    pseudo_label_counts,
    soft_fit,
)
from xlt.runtime import raise_guards
from xlt.selftrain.pseudo import select_pseudo_labels, update_source_keep
from xlt.selftrain.threshold import choose_alpha, threshold_curve

CLS = ["negative", "positive"]
NER = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def teacher_probs(n=400, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.beta(0.6, 0.6, n)  # a confident, varied teacher
    return np.stack([1 - p, p], axis=1)


# ---------------------------------------------------------------- soft step


def test_soft_guard_fires_for_a_student_that_learned_only_the_mean():
    teacher = teacher_probs()
    constant = np.broadcast_to(teacher.mean(axis=0), teacher.shape)[None].repeat(3, axis=0)
    fit = soft_fit("sequence", teacher, constant, CLS)
    assert fit["soft_mse"] == pytest.approx(fit["teacher_var"])
    assert fit["teacher_agreement"] == pytest.approx(fit["majority_rate"])
    fired = check_soft_fit(fit)
    assert [g["check"] for g in fired] == ["soft_fit"] and "no better than a constant" in fired[0]["message"]


def test_soft_guard_quiet_for_a_student_that_follows_its_teacher():
    teacher = teacher_probs()
    noisy = np.clip(teacher + np.random.default_rng(1).normal(0, 0.05, teacher.shape), 0, 1)
    student = np.stack([noisy / noisy.sum(1, keepdims=True)] * 3)
    fit = soft_fit("sequence", teacher, student, CLS)
    assert fit["teacher_agreement"] > 0.9 and fit["soft_mse"] < 0.1 * fit["teacher_var"]
    assert check_soft_fit(fit) == []
    assert fit["student_share"]["negative"] + fit["student_share"]["positive"] == pytest.approx(1.0)


def test_soft_fit_ner_counts_words():
    teacher = [np.array([[0.9, 0.05, 0.01, 0.02, 0.02], [0.1, 0.8, 0.05, 0.03, 0.02]]), np.array([[0.9, 0.025] + [0.025] * 3])]
    all_o = [np.tile([[0.9, 0.025, 0.025, 0.025, 0.025]], (len(t), 1))[None] for t in teacher]
    fit = soft_fit("token", teacher, all_o, NER)
    assert fit["units"] == 3 and fit["teacher_agreement"] == pytest.approx(2 / 3)
    assert fit["majority_rate"] == pytest.approx(2 / 3)
    assert check_soft_fit(fit)  # tagging everything O agrees only at the majority rate


def ner_teacher_and_student(student_keeps_loc: float, n=1000, loc_every=20):
    """A teacher tagging every ``loc_every``-th word B-LOC (confidently), the rest O; a student that agrees on
    every O word and on a share ``student_keeps_loc`` of the B-LOC words (the others it calls O)."""
    teacher = np.full((n, len(NER)), 0.01)
    teacher[:, 0] = 0.96
    loc = np.arange(n) % loc_every == 0
    teacher[loc] = [0.02, 0.01, 0.01, 0.95, 0.01]
    student = teacher.copy()
    lost = np.flatnonzero(loc)[int(round(student_keeps_loc * loc.sum())):]
    student[lost] = teacher[~loc][0]
    return [teacher], [student[None]]


def test_soft_classes_fires_when_a_rare_class_fades_behind_high_overall_agreement():
    teacher, student = ner_teacher_and_student(student_keeps_loc=0.3)
    fit = soft_fit("token", teacher, student, NER)
    assert fit["teacher_agreement"] == pytest.approx(1 - 0.7 * 50 / 1000)  # 96.5%: soft_fit sees nothing wrong
    assert check_soft_fit(fit) == []
    assert fit["teacher_units"]["B-LOC"] == 50 and fit["class_agreement"]["B-LOC"] == pytest.approx(0.3)
    assert fit["class_agreement"]["O"] == 1.0 and math.isnan(fit["class_agreement"]["B-PER"])
    fired = check_soft_classes(fit, ratio=0.5)
    assert [g["check"] for g in fired] == ["soft_classes"]
    assert "B-LOC at 30.0%, below 0.5 x the best 100.0%" in fired[0]["message"]


def test_soft_classes_quiet_when_every_class_is_followed_or_too_rare_to_judge():
    teacher, student = ner_teacher_and_student(student_keeps_loc=0.8)
    assert check_soft_classes(soft_fit("token", teacher, student, NER), ratio=0.5) == []
    teacher, student = ner_teacher_and_student(student_keeps_loc=0.0, loc_every=100)  # 10 B-LOC words only
    fit = soft_fit("token", teacher, student, NER)
    assert fit["class_agreement"]["B-LOC"] == 0.0
    assert check_soft_classes(fit, ratio=0.5) == []
    assert check_soft_classes(fit, ratio=0.5, min_units=10)


# ---------------------------------------------------------------- threshold


def test_threshold_guard_fires_on_a_near_uniform_student():
    rng = np.random.default_rng(0)
    p = 0.5 + rng.uniform(-0.08, 0.08, 300)
    probs = np.stack([1 - p, p], axis=1)[None].repeat(5, axis=0)
    gold = rng.integers(0, 2, 300)
    curve = threshold_curve(probs, gold, [0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    alpha = choose_alpha(curve, min_support=0.05)
    fired = {g["check"] for g in check_threshold(alpha, 0.05)}
    assert "threshold_fallback" in fired


def test_threshold_guard_quiet_on_a_calibrated_student():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 2, 2000)
    conf = rng.uniform(0.5, 1.0, 2000)
    right = rng.uniform(size=2000) < conf  # accuracy rises with confidence
    pred = np.where(right, gold, 1 - gold)
    probs = np.where(pred[:, None] == np.arange(2)[None], conf[:, None], 1 - conf[:, None])
    curve = threshold_curve(probs, gold, [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99])
    alpha = choose_alpha(curve, min_support=0.05, method="curvature")
    assert check_threshold(alpha, 0.05) == []
    assert alpha["support"] >= 0.05


def test_threshold_support_guard():
    alpha = {"alpha": 0.99, "rule": "curvature", "support": 0.01, "selected": 3, "total": 300, "reason": ""}
    fired = check_threshold(alpha, 0.05)
    assert [g["check"] for g in fired] == ["threshold_support"] and "3 of 300" in fired[0]["message"]


# ---------------------------------------------------------------- English keep


def test_keep_guard_fires_when_a_biased_student_drops_a_class():
    gold = np.array([0] * 137 + [1] * 163)
    biased = np.ones(300, dtype=int)  # predicts positive everywhere
    keep = update_source_keep(None, biased, gold)
    kept = keep_by_class("sequence", keep, gold, CLS)
    assert kept == {"negative": {"kept": 0, "total": 137}, "positive": {"kept": 163, "total": 163}}
    fired = check_keep(kept, 0.5)
    assert [g["check"] for g in fired] == ["keep_classes"] and "negative 0/137" in fired[0]["message"]


def test_keep_guard_quiet_for_a_balanced_student():
    gold = np.array([0] * 100 + [1] * 100)
    pred = gold.copy()
    pred[:15] = 1
    pred[100:110] = 0
    kept = keep_by_class("sequence", update_source_keep(None, pred, gold), gold, CLS)
    assert check_keep(kept, 0.5) == []


def test_keep_by_class_ner_sentence_and_word_units():
    gold = [[0, 1, 2], [0, 0], [3, 0]]
    pred = [[0, 1, 2], [0, 0], [0, 0]]
    sent = update_source_keep(None, pred, gold, unit="sentence")
    kept = keep_by_class("token", sent, gold, NER)
    assert kept == {"PER": {"kept": 1, "total": 1}, "none": {"kept": 1, "total": 1}, "LOC": {"kept": 0, "total": 1}}
    words = update_source_keep(None, pred, gold, unit="token")
    kept = keep_by_class("token", words, gold, NER)
    assert kept["LOC"] == {"kept": 0, "total": 1} and kept["O"] == {"kept": 4, "total": 4}
    assert check_keep(kept, 0.5)[0]["check"] == "keep_classes"


# ---------------------------------------------------------------- pseudo labels


def test_pseudo_guard_fires_on_empty_and_one_class_sets():
    probs = np.array([[[0.97, 0.03], [0.96, 0.04], [0.55, 0.45]]])
    idx, labels = select_pseudo_labels(probs, 0.9, "sequence")
    counts = pseudo_label_counts("sequence", labels, CLS)
    assert counts == {"negative": 2, "positive": 0}
    assert check_pseudo_labels("sequence", counts, len(idx), 3)[0]["message"] == "all 2 pseudo labels are negative"
    idx, labels = select_pseudo_labels(probs, 0.99, "sequence")
    assert "0 of 3" in check_pseudo_labels("sequence", pseudo_label_counts("sequence", labels, CLS), 0, 3)[0]["message"]
    ok = pseudo_label_counts("sequence", [0, 1, 1], CLS)
    assert check_pseudo_labels("sequence", ok, 3, 3) == []


def test_pseudo_guard_ner_all_o():
    counts = pseudo_label_counts("token", [["O", "O", None], ["O"]], NER)
    assert counts == {"O": 3, "PER": 0, "LOC": 0}
    assert check_pseudo_labels("token", counts, 2, 10)[0]["check"] == "pseudo_labels"
    counts = pseudo_label_counts("token", [["B-PER", "I-PER", "O"]], NER)
    assert check_pseudo_labels("token", counts, 1, 10) == []


# ---------------------------------------------------------------- English fit and oracle


def test_english_fit_shares():
    probs = np.array([[[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]])
    fit = english_fit("sequence", probs, [0, 1, 1, 0], CLS)
    assert fit["english_accuracy"] == 0.75
    assert fit["english_pred_share"] == {"negative": 0.75, "positive": 0.25}
    assert fit["english_gold_share"] == {"negative": 0.5, "positive": 0.5}


def test_oracle_where_records_have_gold():
    assert oracle_fields("sequence", [{"text": "a"}, {"text": "b"}]) is None
    assert oracle_fields("sequence", [{"text": "a", "oracle_label": 1}, {"text": "b"}]) == [1, None]
    assert oracle_accuracy("sequence", [1, 0], [1, 1], CLS) == {"accuracy": 0.5, "n": 2}
    assert oracle_accuracy("sequence", [1, 0, 0], [1, None, 1], CLS) == {"accuracy": 0.5, "n": 2}
    res = oracle_accuracy("token", [["B-PER", None], ["O"]], [["B-PER", "O"], ["B-LOC"]], NER)
    assert res["accuracy"] == 0.5 and res["n"] == 2 and 0 < res["entity_f1"] < 1


# ---------------------------------------------------------------- modes: warn, stop, off


def test_guard_modes(capsys):
    fired = [{"check": "soft_fit", "message": "the soft student is no better than a constant"}]
    assert raise_guards(fired, "off", "cls de-books seed1 task-vm.S1") == []
    assert raise_guards(fired, "warn", "cls de-books seed1 task-vm.S1") == fired
    with pytest.raises(UserError, match=r"^guard soft_fit: cls de-books seed1 task-vm.S1: the soft student"):
        raise_guards(fired, "stop", "cls de-books seed1 task-vm.S1")


def test_guard_line_reaches_the_terminal_when_stderr_is_the_job_log(tmp_path, capfd):
    # a workflow job sends sys.stderr to the rule's log (xlt.runtime.start); the guard line must also reach the
    # process' original stderr, the terminal snakemake runs in
    log = open(tmp_path / "job.log", "w")
    saved = sys.stderr
    sys.stderr = log
    try:
        raise_guards([{"check": "pseudo_labels", "message": "all 2 pseudo labels are negative"}], "warn",
                     "cls de-books seed1 task-vm.S1.H1-auto")

        @exit_on_user_error
        def failing():
            raise UserError("guard soft_fit: cls de-books seed1 task-vm.S1: no better than a constant")

        with pytest.raises(SystemExit):
            failing()
    finally:
        sys.stderr = saved
        log.close()
    terminal = capfd.readouterr().err
    assert "WARNING guard pseudo_labels: cls de-books seed1 task-vm.S1.H1-auto: all 2 pseudo labels are negative" in terminal
    assert "error: guard soft_fit: cls de-books seed1 task-vm.S1" in terminal
    assert "error: guard soft_fit" in (tmp_path / "job.log").read_text()


def test_btf_guard_fires_when_the_held_out_target_loss_does_not_fall():
    from xlt.selftrain.health import check_btf_heldout

    fired = check_btf_heldout(7.2, 7.4)
    assert [g["check"] for g in fired] == ["btf_heldout"] and "7.200 -> 7.400" in fired[0]["message"]
    assert check_btf_heldout(7.2, float("nan"))  # a diverged model is no adaptation either
    assert check_btf_heldout(9.1, 6.3) == []
    assert check_btf_heldout(None, None) == []  # nothing held out: nothing to check


# ---------------------------------------------------------------- pseudo labels per class


def test_pseudo_classes_fires_when_confident_o_passes_and_entities_do_not():
    """The real Dutch chain's pattern: the soft student predicts entities on ~9% of the target words, but
    almost only O words and some PER words pass alpha."""
    predicted = {"O": 15000, "PER": 700, "ORG": 470, "LOC": 280, "MISC": 150}
    counts = {"O": 14891, "PER": 469, "ORG": 0, "LOC": 32, "MISC": 0}
    fired = check_pseudo_classes(counts, predicted, ratio=0.5)
    assert [g["check"] for g in fired] == ["pseudo_classes"]
    assert "MISC at 0.0%" in fired[0]["message"] and "O 14891/15000" in fired[0]["message"]
    assert check_pseudo_labels("token", counts, 990, 1000) == []  # entities exist, so the older check is quiet


def test_pseudo_classes_quiet_for_a_selection_in_proportion_and_ignores_rare_classes():
    predicted = {"negative": 630, "positive": 370}
    assert check_pseudo_classes({"negative": 344, "positive": 145}, predicted, ratio=0.5) == []  # 55% vs 39%
    assert check_pseudo_classes({"negative": 344, "positive": 45}, predicted, ratio=0.5)
    assert check_pseudo_classes({"O": 900, "MISC": 0}, {"O": 1000, "MISC": 19}, ratio=0.5) == []


def test_predicted_counts_follow_the_voters_mean_per_entity_type():
    words = np.array([[0.9, 0.05, 0.01, 0.02, 0.02], [0.1, 0.7, 0.1, 0.05, 0.05], [0.1, 0.1, 0.6, 0.1, 0.1]])
    assert predicted_counts("token", [words[None]], NER) == {"O": 1, "PER": 2, "LOC": 0}
    assert predicted_counts("sequence", teacher_probs(10)[None], CLS) == {
        "negative": int((teacher_probs(10)[:, 0] > 0.5).sum()), "positive": int((teacher_probs(10)[:, 1] > 0.5).sum())}
