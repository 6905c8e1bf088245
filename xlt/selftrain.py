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
    probs, gold, thresholds: Sequence[float] = DEFAULT_THRESHOLDS, *, ignore_index: int = -100,
    outside: int | None = None,
) -> list[dict]:
    """Accuracy and recall of the confident predictions at each threshold (paper Eq. 3, Figure 2).

    ``probs`` is [N, C] for one model or [M, N, C] for the Voters Module; ``gold`` is [N] label ids.
    For NER pass flattened word-level arrays (:func:`flatten_sentences`); units whose gold id equals
    ``ignore_index`` (padding, non-first sub-tokens) are left out of every count.

    A unit is *selected* at threshold t by the same rule as the pseudo labels: one model's max
    probability > t, or for voters, all voters agree and every voter's confidence > t.
    Per threshold: ``accuracy`` = correct selected / selected (NaN when nothing is selected) and
    ``recall`` = selected / total, the fraction of units that meet the threshold.

    ``outside`` (NER, ``self_training.ner_curve: entities``): the id of ``O``; units that are ``O`` both in the
    gold labels and in the prediction (the argmax of the voters' mean) are left out, as entity-level scores
    leave them out. Without it, the ~85-90% of words that are confidently ``O`` dominate the curve, and its
    bend lies where hardly an entity word is confident enough to pass.
    """
    p = as_voter_probs(probs)
    g = np.asarray(gold, dtype=np.int64).reshape(-1)
    if p.shape[1] != len(g):
        raise ValueError(f"{p.shape[1]} predictions but {len(g)} gold labels")
    valid = g != ignore_index
    if outside is not None:
        valid &= ~((g == outside) & (p.mean(axis=0).argmax(axis=-1) == outside))
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


def _lowest_of_best(t: np.ndarray, scores: np.ndarray, rel_tol: float = 1e-9) -> tuple[float, bool]:
    """The lowest threshold whose score is within a tolerance of the best, and whether the scores are flat.

    Scores within ``rel_tol`` x the largest magnitude (at least 1e-12) count as equal, so floating-point noise
    never decides between two thresholds; ties go to the lower threshold."""
    finite = np.isfinite(scores)
    if not finite.any():
        return math.nan, True
    best = np.max(scores[finite])
    tol = rel_tol * max(1.0, float(np.max(np.abs(scores[finite])))) + 1e-12
    flat = bool(best - np.min(scores[finite]) <= tol)
    return float(t[np.flatnonzero(finite & (scores >= best - tol))[0]]), flat


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
    threshold; scores equal within a relative tolerance of 1e-9 are ties, and ties go to the lower
    threshold. With fewer than three valid points the curve has no bend and ``fallback`` is returned.
    :func:`choose_alpha` adds the support floor and says which rule decided.
    """
    t, scores = bend_scores(thresholds, accuracy, method=method, smoothing=smoothing)
    if len(scores) == 0 or not np.isfinite(scores).any():
        return float(fallback)
    return _lowest_of_best(t, scores)[0]


def choose_alpha(
    curve: Sequence[dict],
    *,
    method: str = "second_derivative",
    min_support: float = 0.05,
    fallback: float = FALLBACK_ALPHA,
    smoothing: int | None = None,
) -> dict:
    """Alpha from a threshold curve (rows of :func:`threshold_curve`), with the rule that decided and why.

    1. *Support floor*: only grid points that select at least ``min_support`` of the units (their recall)
       and have a defined accuracy take part; points backed by a handful of samples do not decide.
    2. *Bend* (``rule = "curvature"``): among those, the threshold where accuracy bends most
       (:func:`select_threshold_by_max_curvature`; ``method`` second_derivative or curvature), ties to
       the lower threshold.
    3. *Fallback* (``rule = "fallback"``): with fewer than three supported points, or when every supported
       interior point bends the same (a flat or linear curve), alpha is the highest supported grid threshold
       not above ``fallback`` (the lowest supported one if all are above), so it never lies above every
       confidence the model has; with no supported point at all, the lowest grid threshold.

    Returns ``{"alpha", "rule", "method", "reason", "support", "selected", "total", "supported"}``, where
    ``support`` is the share of units selected at alpha and ``supported`` the thresholds that took part.
    """
    rows = sorted(curve, key=lambda r: r["threshold"])
    if not rows:
        raise ValueError("empty threshold curve")
    t = np.array([r["threshold"] for r in rows], dtype=np.float64)
    acc = np.array([r["accuracy"] for r in rows], dtype=np.float64)
    support = np.array([r["recall"] for r in rows], dtype=np.float64)
    ok = ~np.isnan(acc) & ~np.isnan(support) & (support >= min_support)
    supported = t[ok]
    rule, reason = "curvature", ""
    alpha = math.nan
    if len(supported) >= 3:
        bt, scores = bend_scores(supported, acc[ok], method=method, smoothing=smoothing)
        alpha, flat = _lowest_of_best(bt, scores)
        if flat:
            rule, reason = "fallback", f"no bend: every supported interior threshold has the same {method} score"
    else:
        rule = "fallback"
        reason = (f"{len(supported)} grid threshold(s) select at least {min_support:.0%} of the units with a "
                  "defined accuracy; a bend needs 3")
    if rule == "fallback":
        if len(supported):
            below = supported[supported <= fallback + 1e-12]
            alpha = float(below.max() if len(below) else supported.min())
            if alpha == fallback:
                reason += f"; fallback {fallback}"
            else:
                reason += f"; fallback {fallback} moved to the nearest supported grid threshold below it, {alpha}"
        else:
            alpha = float(t[0])
            reason += f"; no threshold is supported, so the lowest grid threshold {alpha}"
    row = rows[int(np.flatnonzero(np.isclose(t, alpha))[0])] if np.isclose(t, alpha).any() else None
    return {
        "alpha": float(alpha),
        "rule": rule,
        "method": method,
        "reason": reason,
        "support": float(row["recall"]) if row else math.nan,
        "selected": int(row["selected"]) if row else 0,
        "total": int(row["total"]) if row else 0,
        "supported": [float(x) for x in supported],
    }


# --------------------------------------------------------------------------------------------
# Source consistency filter and target pseudo labels
# --------------------------------------------------------------------------------------------


NER_SELECTIONS = ("sentence", "token", "sentence-masked")
NER_CURVES = ("entities", "all")  # self_training.ner_curve: which words a word-unit NER threshold curve counts


def ner_unit(ner_selection: str) -> str:
    """The unit an NER threshold curve and English keep-mask count: ``"sentence"`` or ``"token"`` (words).

    ``sentence`` selection works on whole sentences; ``token`` and ``sentence-masked`` decide word by word
    (``sentence-masked`` only adds a sentence-level condition for target sentences)."""
    if ner_selection not in NER_SELECTIONS:
        raise ValueError(f"ner_selection {ner_selection!r}: expected one of {NER_SELECTIONS}")
    return "sentence" if ner_selection == "sentence" else "token"


def voter_confidence(probs) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the agreed label and the confidence Eq. 4 compares with alpha.

    ``probs`` [M, N, C] (or [N, C]). The confidence is the smallest voter probability of the agreed label, or
    -1 where the voters' argmaxes differ; a unit passes at alpha exactly when its confidence is > alpha, as in
    :func:`voters_agree`."""
    p = as_voter_probs(probs)
    votes = p.argmax(axis=-1)
    labels = votes[0]
    agree = (votes == labels[None, :]).all(axis=0)
    conf = np.take_along_axis(p, np.broadcast_to(labels[None, :, None], p.shape[:2] + (1,)), axis=-1)[..., 0]
    return np.where(agree, conf.min(axis=0), -1.0), labels.astype(np.int64)


def sentence_threshold_curve(probs: Sequence, gold: Sequence[Sequence[int]],
                             thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> list[dict]:
    """:func:`threshold_curve` with whole sentences as units (NER, ``ner_selection: sentence``).

    A sentence is selected at t when every word passes Eq. 4 at t, and correct when every word's label is
    right; empty sentences are left out."""
    if len(probs) != len(gold):
        raise ValueError(f"{len(probs)} probability arrays but {len(gold)} gold sequences")
    conf, correct = [], []
    for i, (p, g) in enumerate(zip(probs, gold)):
        g = np.asarray(g, dtype=np.int64).reshape(-1)
        c, labels = voter_confidence(p)
        if len(c) != len(g):
            raise ValueError(f"sentence {i}: {len(c)} predicted words but {len(g)} gold labels")
        if len(g) == 0:
            continue
        conf.append(c.min())
        correct.append(bool((labels == g).all()))
    conf, correct = np.array(conf), np.array(correct, dtype=bool)
    total = len(conf)
    rows = []
    for t in thresholds:
        mask = conf > float(t)
        selected = int(mask.sum())
        rows.append({"threshold": float(t), "accuracy": int((correct & mask).sum()) / selected if selected else math.nan,
                     "recall": selected / total if total else math.nan, "selected": selected, "total": total})
    return rows


def _is_sequence_of_sequences(values) -> bool:
    if isinstance(values, np.ndarray) and values.ndim > 1:
        return True
    return len(values) > 0 and isinstance(values[0], (list, tuple, np.ndarray))


def update_source_keep(previous_keep, predicted, gold, *, unit: str = "sentence"):
    """Source training samples that stay in the hard-label training set (Section 5.3).

    A sample stays when the previous round kept it and the soft-label student predicts it
    correctly: ``keep = previous_keep & correct`` (``previous_keep=None`` means all kept), so a removed
    sample stays removed in later rounds.

    Classification: ``predicted``/``gold`` are N labels; returns a bool array [N]. NER: they are N sentences
    of word labels (ids or tags). With ``unit="sentence"`` a sentence is consistent only if every word is
    predicted correctly (bool array [N]); with ``unit="token"`` each word is a sample of its own and the result
    is a list of N bool arrays, one flag per word (a removed word is ignored by the hard step's loss).
    """
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions but {len(gold)} gold samples")
    if unit not in ("sentence", "token"):
        raise ValueError(f"unit {unit!r}: expected 'sentence' or 'token'")
    if _is_sequence_of_sequences(gold) or _is_sequence_of_sequences(predicted):
        words = []
        for i, (p, g) in enumerate(zip(predicted, gold)):
            p, g = list(p), list(g)
            if len(p) != len(g):
                raise ValueError(f"sentence {i}: {len(p)} predicted words but {len(g)} gold labels")
            words.append(np.array([a == b for a, b in zip(p, g)], dtype=bool))
        if unit == "token":
            if previous_keep is None:
                return words
            if len(previous_keep) != len(words):
                raise ValueError(f"previous_keep has {len(previous_keep)} sentences, expected {len(words)}")
            out = []
            for i, (prev, w) in enumerate(zip(previous_keep, words)):
                prev = np.asarray(prev, dtype=bool)
                if prev.shape != w.shape:
                    raise ValueError(f"previous_keep[{i}] has {prev.size} words, expected {w.size}")
                out.append(prev & w)
            return out
        correct = np.array([bool(w.all()) for w in words], dtype=bool)
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
    ner_selection: str = "sentence",
    label_list: Sequence[str] | None = None,
    outside: int = 0,
) -> tuple[list[int], list]:
    """Target-language samples that receive pseudo hard labels, and those labels (Eq. 4 with alpha).

    ``kind="cls"``: ``voter_probs`` is [M, N, C] (or [N, C]); returns the indices of the selected
    texts and their label ids (or ``label_list`` names).

    ``kind="ner"``: ``voter_probs`` is a list of per-sentence word-level arrays [M, L_i, C] (or
    [L_i, C]). A word passes when the voters agree above alpha.

    - ``"sentence"`` keeps a sentence only when all its words pass;
    - ``"token"`` keeps every sentence with at least one passing word and gives the other words the label
      None (ignored by the loss);
    - ``"sentence-masked"`` keeps a sentence when at least one word passes and every word that any voter
      labels as an entity (not ``outside``, the id of ``O``) passes; the failing words, all of which every
      voter calls ``O``, get None. An uncertain entity never enters, and an uncertain ``O`` word does not
      throw away the confident entities of its sentence.

    Returns the selected sentence indices and, per sentence, the word labels (ids, or tags from
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

    if ner_selection not in NER_SELECTIONS:
        raise ValueError(f"ner_selection {ner_selection!r}: expected one of {NER_SELECTIONS}")
    indices, tags = [], []
    for i, probs in enumerate(voter_probs):
        p = as_voter_probs(probs)
        if p.shape[1] == 0:
            continue
        mask, labels = voters_agree(p, alpha)
        if ner_selection == "sentence":
            take = mask.all()
        elif ner_selection == "token":
            take = mask.any()
        else:
            entity_vote = (p.argmax(axis=-1) != outside).any(axis=0)
            take = mask.any() and bool(mask[entity_vote].all())
        if take:
            indices.append(i)
            tags.append([name(l) if m else None for l, m in zip(labels, mask)])
    return indices, tags


def balance_classes(indices: Sequence[int], labels: Sequence[int], confidence: Sequence[float]) -> list[int]:
    """``hard.balance: classes``: positions (into ``indices``) of the selected samples to keep so that every
    class present has as many as the rarest one, the most confident of each class first (ties: lower index).

    With fewer than two classes present nothing can be balanced and every position is kept."""
    labels = np.asarray(labels)
    present = sorted(set(labels.tolist()))
    if len(present) < 2:
        return list(range(len(indices)))
    k = min(int((labels == c).sum()) for c in present)
    keep = []
    for c in present:
        pos = [i for i in range(len(indices)) if labels[i] == c]
        pos.sort(key=lambda i: (-float(confidence[i]), indices[i]))
        keep += pos[:k]
    return sorted(keep)
