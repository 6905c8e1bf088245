"""The confidence threshold alpha (paper Section 3.2, Eq. 3, Figure 2): accuracy and recall of the soft
student's confident predictions on the labelled source data at every threshold of the grid
(``self_training.thresholds``), and alpha where the accuracy curve bends most. docs/self_training.md
describes the rule, its support floor and its fallback.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from xlt.selftrain.voters import as_voter_probs, voter_confidence, voters_agree

FALLBACK_ALPHA = 0.9
"""Alpha used when the curve has fewer than three thresholds with a defined accuracy."""


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
    probs, gold, thresholds: Sequence[float], *, ignore_index: int = -100,
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


def sentence_threshold_curve(probs: Sequence, gold: Sequence[Sequence[int]],
                             thresholds: Sequence[float]) -> list[dict]:
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
