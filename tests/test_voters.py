"""The Voters Module's decision rule (paper, Eq. 4) and the teacher's soft labels."""

import numpy as np
import pytest

from xlt.selftrain.voters import soft_labels, voters_decision


def test_keeps_only_unanimous_and_confident_samples():
    # three voters, four samples, three classes
    probs = np.array([
        [[0.90, 0.05, 0.05], [0.10, 0.80, 0.10], [0.60, 0.30, 0.10], [0.05, 0.05, 0.90]],
        [[0.85, 0.10, 0.05], [0.20, 0.70, 0.10], [0.20, 0.70, 0.10], [0.10, 0.10, 0.80]],
        [[0.95, 0.03, 0.02], [0.15, 0.75, 0.10], [0.55, 0.40, 0.05], [0.30, 0.10, 0.60]],
    ])
    keep, labels = voters_decision(probs, alpha=0.75)
    # sample 0: all vote 0, all > 0.75 -> kept
    # sample 1: all vote 1 but voter 2 has 0.70 -> dropped
    # sample 2: voters disagree -> dropped
    # sample 3: all vote 2 but voter 3 has 0.60 -> dropped
    assert keep.tolist() == [True, False, False, False]
    assert labels[0] == 0 and labels[1] == 1 and labels[3] == 2
    keep_low, _ = voters_decision(probs, alpha=0.5)
    assert keep_low.tolist() == [True, True, False, True]


def test_threshold_is_strict():
    probs = np.array([[[0.8, 0.2]], [[0.8, 0.2]]])
    assert voters_decision(probs, 0.8)[0].tolist() == [False]
    assert voters_decision(probs, 0.79)[0].tolist() == [True]


def test_single_voter_is_a_confidence_filter():
    probs = np.array([[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]])
    keep, labels = voters_decision(probs, 0.55)  # [N, C] = one voter
    assert keep.tolist() == [True, True, False]
    assert labels[:2].tolist() == [0, 1]


def test_token_level_words_of_one_sentence():
    # two voters, five words, (O, B-PER, I-PER)
    words = np.array([
        [[0.99, 0.005, 0.005], [0.02, 0.97, 0.01], [0.10, 0.10, 0.80], [0.5, 0.4, 0.1], [0.9, 0.05, 0.05]],
        [[0.98, 0.010, 0.010], [0.03, 0.96, 0.01], [0.10, 0.05, 0.85], [0.4, 0.5, 0.1], [0.2, 0.7, 0.1]],
    ])
    keep, labels = voters_decision(words, 0.9)
    assert keep.tolist() == [True, True, False, False, False]
    assert labels[:2].tolist() == [0, 1]


def test_rejects_wrong_shapes():
    with pytest.raises(ValueError):
        voters_decision(np.zeros(3), 0.5)


def test_soft_labels_average_the_voters():
    probs = np.array([[[0.6, 0.4], [0.1, 0.9]], [[0.8, 0.2], [0.3, 0.7]]])
    soft = soft_labels(probs)
    assert soft.dtype == np.float32
    np.testing.assert_allclose(soft, [[0.7, 0.3], [0.2, 0.8]], atol=1e-6)
    np.testing.assert_allclose(soft.sum(-1), 1.0, atol=1e-6)


def test_disagreeing_voters_drop_a_sample_even_below_alpha_one_half():
    # three classes, alpha 0.1: every voter gives the first voter's label more than alpha, but voter 1 votes for
    # class 1; only unanimity (not confidence) can drop this sample
    probs = np.array([
        [[0.60, 0.30, 0.10], [0.50, 0.25, 0.25]],
        [[0.20, 0.70, 0.10], [0.45, 0.35, 0.20]],
        [[0.55, 0.40, 0.05], [0.40, 0.30, 0.30]],
    ])
    keep, labels = voters_decision(probs, alpha=0.1)
    assert keep.tolist() == [False, True]
    assert labels.tolist() == [0, 0]
