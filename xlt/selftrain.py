"""Cross-lingual self-training (paper Section 3.2 and 5.3): schedules, threshold curves, the choice of
the confidence threshold alpha, the source consistency filter and the pseudo hard labels.

Everything here is a pure function of arrays and label lists; models, training and files live elsewhere.

Vocabulary
- A *schedule* such as ``"SHS"`` lists the self-training steps: each ``S`` starts a new round with a
  soft-label step (student trained on the teacher's probabilities with an MSE loss, Eq. 1), an ``H``
  right after it is that round's hard-label step (cross-entropy on consistent source samples plus
  selected target pseudo labels, Eq. 2). The paper uses ``SHS`` for CoNLL (N = 1.5) and ``SHSH`` for
  CLS (N = 2); Table 7 uses ``SSS`` and Table 9 ``SHSHS``.
- A *stage* names a model: ``"finetune"`` (the Base Model fine-tuned on the source language) or a
  step name such as ``"round2-soft"``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from xlt.errors import UserError
from xlt.voters import as_voter_probs, voters_decision

DEFAULT_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999)
"""The threshold grid of the alpha search: coarse in the middle, dense near 1."""

FALLBACK_ALPHA = 0.9
"""Alpha used when the curve has fewer than three thresholds with a defined accuracy."""


# --------------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One self-training step: round number (from 1) and the kind of labels it trains on."""

    round: int
    kind: Literal["soft", "hard"]


def step_name(step: Step) -> str:
    """Stage name of the model a step produces, e.g. ``"round2-soft"``."""
    return f"round{step.round}-{step.kind}"


def parse_schedule(schedule: str) -> list[Step]:
    """Parse a schedule string of ``S``/``H`` letters into steps.

    Letters are case-insensitive; ``-``, ``_`` and whitespace between them are ignored. Each ``S``
    starts a new round; an ``H`` must directly follow the ``S`` of its round. ``""`` means no
    self-training. Examples: ``"SHS"`` -> round1-soft, round1-hard, round2-soft; ``"SSS"`` -> three
    soft-only rounds.
    """
    if not isinstance(schedule, str):
        raise UserError(f"self-training schedule {schedule!r}: expected a string of S/H letters such as 'SHS'")
    letters = re.sub(r"[\s\-_]+", "", schedule).upper()
    expected = (
        "expected letters S (soft step, starts a round) and H (hard step, directly after its round's S), "
        "e.g. 'SHS', 'SSS' or ''"
    )
    steps: list[Step] = []
    for pos, letter in enumerate(letters):
        if letter == "S":
            steps.append(Step(len([s for s in steps if s.kind == "soft"]) + 1, "soft"))
        elif letter == "H":
            if not steps or steps[-1].kind != "soft":
                where = "at the start" if not steps else f"after {step_name(steps[-1])}"
                raise UserError(
                    f"self-training schedule {schedule!r}: 'H' at letter {pos + 1} comes {where}; {expected}"
                )
            steps.append(Step(steps[-1].round, "hard"))
        else:
            raise UserError(f"self-training schedule {schedule!r}: unknown letter {letter!r}; {expected}")
    return steps


# --------------------------------------------------------------------------------------------
# Voters Module decision (Eq. 4) and threshold curves (Eq. 3)
# --------------------------------------------------------------------------------------------


def voters_agree(probs, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Voters Module decision policy (Eq. 4, :func:`xlt.voters.voters_decision`) with -1 for rejected samples.

    A sample gets pseudo label j when every voter's argmax is j and every voter's confidence for j is
    strictly greater than ``alpha``. Returns ``(mask [N] bool, labels [N] int)``.
    """
    mask, labels = voters_decision(probs, alpha)
    return mask, np.where(mask, labels, -1)


def flatten_sentences(probs: Sequence, gold: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate per-sentence word-level arrays for token-level curves.

    ``probs[i]`` is [L_i, C] (one model) or [M, L_i, C] (voters); ``gold[i]`` holds L_i label ids.
    Returns ``(probs [T, C] or [M, T, C], gold [T])``.
    """
    if len(probs) != len(gold):
        raise ValueError(f"{len(probs)} probability arrays but {len(gold)} gold sequences")
    parts = [np.asarray(p, dtype=np.float64) for p in probs]
    golds = [np.asarray(g, dtype=np.int64).reshape(-1) for g in gold]
    for i, (p, g) in enumerate(zip(parts, golds)):
        if p.shape[-2] != len(g):
            raise ValueError(f"sentence {i}: {p.shape[-2]} predicted words but {len(g)} gold labels")
    if not parts:
        raise ValueError("no sentences")
    return np.concatenate(parts, axis=-2), np.concatenate(golds)


def threshold_curve(
    probs, gold, thresholds: Sequence[float] = DEFAULT_THRESHOLDS, *, ignore_index: int = -100
) -> list[dict]:
    """Accuracy and recall of the confident predictions at each threshold (paper Eq. 3, Figure 2).

    ``probs`` is [N, C] for one model or [M, N, C] for the Voters Module; ``gold`` is [N] label ids.
    For NER pass flattened word-level arrays (:func:`flatten_sentences`); units whose gold id equals
    ``ignore_index`` (padding, non-first sub-tokens) are left out of every count.

    A unit is *selected* at threshold t by the same rule as the pseudo labels: one model's max
    probability > t, or for voters, all voters agree and every voter's confidence > t.
    Per threshold: ``accuracy`` = correct selected / selected (NaN when nothing is selected) and
    ``recall`` = selected / total, the fraction of units that meet the threshold.
    """
    p = as_voter_probs(probs)
    g = np.asarray(gold, dtype=np.int64).reshape(-1)
    if p.shape[1] != len(g):
        raise ValueError(f"{p.shape[1]} predictions but {len(g)} gold labels")
    valid = g != ignore_index
    p, g = p[:, valid], g[valid]
    total = int(len(g))
    rows = []
    for t in thresholds:
        mask, labels = voters_agree(p, float(t))
        selected = int(mask.sum())
        correct = int((labels[mask] == g[mask]).sum())
        rows.append(
            {
                "threshold": float(t),
                "accuracy": correct / selected if selected else math.nan,
                "recall": selected / total if total else math.nan,
                "selected": selected,
                "total": total,
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# Alpha: the threshold where the accuracy curve bends most (Eq. 3)
# --------------------------------------------------------------------------------------------


def _moving_average(y: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average over grid indices; the window shrinks at both ends."""
    half = window // 2
    return np.array([y[max(0, i - half) : i + half + 1].mean() for i in range(len(y))])


def _derivatives(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivative at interior points of a non-uniform grid (three-point formulas)."""
    h1 = t[1:-1] - t[:-2]
    h2 = t[2:] - t[1:-1]
    y0, y1, y2 = y[:-2], y[1:-1], y[2:]
    d2 = 2.0 * (h1 * y2 - (h1 + h2) * y1 + h2 * y0) / (h1 * h2 * (h1 + h2))
    d1 = (h1**2 * y2 + (h2**2 - h1**2) * y1 - h2**2 * y0) / (h1 * h2 * (h1 + h2))
    return d1, d2


def bend_scores(
    thresholds, accuracy, *, method: str = "second_derivative", smoothing: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Score of every interior valid threshold; :func:`select_threshold_by_max_curvature` takes the argmax.

    Returns ``(thresholds, scores)`` for the interior points of the valid (non-NaN) part of the curve.
    """
    if method not in ("second_derivative", "curvature"):
        raise ValueError(f"method {method!r}: expected 'second_derivative' or 'curvature'")
    t = np.asarray(thresholds, dtype=np.float64)
    y = np.asarray(accuracy, dtype=np.float64)
    if t.shape != y.shape or t.ndim != 1:
        raise ValueError(f"thresholds {t.shape} and accuracy {y.shape} must be 1-D of equal length")
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"thresholds must be distinct, got {t.tolist()}")
    ok = ~np.isnan(y)
    t, y = t[ok], y[ok]
    if len(t) < 3:
        return t[:0], y[:0]
    if smoothing is not None and smoothing > 1:
        y = _moving_average(y, int(smoothing))
    d1, d2 = _derivatives(t, y)
    scores = d2 if method == "second_derivative" else np.abs(d2) / (1.0 + d1**2) ** 1.5
    return t[1:-1], scores


def select_threshold_by_max_curvature(
    thresholds,
    accuracy,
    *,
    method: str = "second_derivative",
    smoothing: int | None = None,
    fallback: float = FALLBACK_ALPHA,
) -> float:
    """Alpha: the threshold where the source accuracy curve bends most (paper Eq. 3).

    ``method="second_derivative"`` (default) is Eq. 3 as written: alpha = argmax over the grid of
    the discrete second derivative d2Acc/dt2, estimated with the three-point formula for a
    non-uniform grid at each interior point (h1 = t_i - t_{i-1}, h2 = t_{i+1} - t_i):

        Acc''(t_i) = 2 * (h1*Acc_{i+1} - (h1+h2)*Acc_i + h2*Acc_{i-1}) / (h1*h2*(h1+h2))

    ``method="curvature"`` follows the prose ("the point where the curve has the greatest
    curvature"): argmax of kappa = |Acc''| / (1 + Acc'^2)^(3/2) with the matching three-point Acc'.

    Thresholds whose accuracy is NaN (nothing selected) are dropped first. ``smoothing`` (None by
    default) is the width of a centred moving average applied to the accuracies before
    differentiating. The two end points have no three-point estimate, so alpha is an interior
    threshold; ties go to the lower threshold. With fewer than three valid points the curve has no
    bend and ``fallback`` is returned.
    """
    t, scores = bend_scores(thresholds, accuracy, method=method, smoothing=smoothing)
    if len(scores) == 0 or not np.isfinite(scores).any():
        return float(fallback)
    return float(t[int(np.nanargmax(scores))])


# --------------------------------------------------------------------------------------------
# Source consistency filter and target pseudo labels
# --------------------------------------------------------------------------------------------


def _is_sequence_of_sequences(values) -> bool:
    if isinstance(values, np.ndarray) and values.ndim > 1:
        return True
    return len(values) > 0 and isinstance(values[0], (list, tuple, np.ndarray))


def update_source_keep(previous_keep, predicted, gold) -> np.ndarray:
    """Source training samples that stay in the hard-label training set (Section 5.3).

    A sample stays when the previous round kept it and the soft-label student predicts it
    correctly: ``keep = previous_keep & correct`` (``previous_keep=None`` means all kept), so a removed
    sample stays removed in later rounds.

    Classification: ``predicted``/``gold`` are N labels. NER: they are N sentences of word labels
    (ids or tags); a sentence is consistent only if every word is predicted correctly, because the
    sentence is the unit the hard-label step trains on.
    """
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions but {len(gold)} gold samples")
    if _is_sequence_of_sequences(gold) or _is_sequence_of_sequences(predicted):
        correct = []
        for i, (p, g) in enumerate(zip(predicted, gold)):
            p, g = list(p), list(g)
            if len(p) != len(g):
                raise ValueError(f"sentence {i}: {len(p)} predicted words but {len(g)} gold labels")
            correct.append(p == g)
        correct = np.array(correct, dtype=bool)
    else:
        correct = np.asarray(predicted) == np.asarray(gold)
    if previous_keep is None:
        return correct
    prev = np.asarray(previous_keep, dtype=bool)
    if prev.shape != correct.shape:
        raise ValueError(f"previous_keep has shape {prev.shape}, expected {correct.shape}")
    return prev & correct


def _normalize_kind(kind: str) -> str:
    k = str(kind).lower()
    if k in ("cls", "sequence", "classification"):
        return "cls"
    if k in ("ner", "conll", "token"):
        return "ner"
    raise ValueError(f"kind {kind!r}: expected 'cls' (sequence classification) or 'ner' (CoNLL)")


def select_pseudo_labels(
    voter_probs,
    alpha: float,
    kind: str,
    *,
    ner_selection: Literal["sentence", "token"] = "sentence",
    label_list: Sequence[str] | None = None,
) -> tuple[list[int], list]:
    """Target-language samples that receive pseudo hard labels, and those labels (Eq. 4 with alpha).

    ``kind="cls"``: ``voter_probs`` is [M, N, C] (or [N, C]); returns the indices of the selected
    texts and their label ids (or ``label_list`` names).

    ``kind="ner"``: ``voter_probs`` is a list of per-sentence word-level arrays [M, L_i, C] (or
    [L_i, C]). A word passes when the voters agree above alpha. ``ner_selection="sentence"``
    (default) keeps a sentence only when all its words pass; ``"token"`` keeps every sentence with at
    least one passing word and gives the other words the label None (ignored by the loss). Returns
    the selected sentence indices and, per sentence, the word labels (ids, or tags from
    ``label_list``). Empty sentences are never selected.
    """
    kind = _normalize_kind(kind)

    def name(label):
        if label is None:
            return None
        return label_list[int(label)] if label_list is not None else int(label)

    if kind == "cls":
        mask, labels = voters_agree(voter_probs, alpha)
        idx = np.flatnonzero(mask)
        return [int(i) for i in idx], [name(labels[i]) for i in idx]

    if ner_selection not in ("sentence", "token"):
        raise ValueError(f"ner_selection {ner_selection!r}: expected 'sentence' or 'token'")
    indices, tags = [], []
    for i, probs in enumerate(voter_probs):
        p = as_voter_probs(probs)
        if p.shape[1] == 0:
            continue
        mask, labels = voters_agree(p, alpha)
        if ner_selection == "sentence" and mask.all():
            indices.append(i)
            tags.append([name(l) for l in labels])
        elif ner_selection == "token" and mask.any():
            indices.append(i)
            tags.append([name(l) if m else None for l, m in zip(labels, mask)])
    return indices, tags
