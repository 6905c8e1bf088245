"""The Voters Module's decision policy (paper, Eq. 4) and how a teacher's voters form soft labels.

Eq. 4: with ``y_i = softmax(W_i h_i + b_i)`` the output of voter i,

    prediction = j   if   y_i^j > α  and  argmax(y_i) = j   for every voter i ∈ 1..M,

otherwise the sample is abandoned for the next round. All voters must predict the same class and every
voter's confidence for that class must exceed the threshold α. A plain head (M = 1) reduces to "keep when
the top probability exceeds α".

Soft labels (Eq. 1) from a teacher with a Voters Module are the mean of its voters' probability vectors —
the ensemble's distribution, still a probability vector; for a plain head it is the head's own soft-max.
"""

from __future__ import annotations

import numpy as np


def as_voter_probs(probs) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim == 2:
        probs = probs[None]
    if probs.ndim != 3:
        raise ValueError(f"expected voter probabilities shaped [M, N, C], got shape {probs.shape}")
    return probs


def voters_decision(probs, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 4 on probabilities ``[M, N, C]`` (or ``[M, T, C]`` for the words of a sentence).

    Returns ``(keep_mask [N] bool, labels [N] int)``; ``labels`` is the first voter's argmax, meaningful
    where ``keep_mask`` is true. ``[N, C]`` input is treated as a single voter.
    """
    p = as_voter_probs(probs)
    votes = p.argmax(axis=-1)  # [M, N]
    labels = votes[0]
    agree = (votes == labels[None, :]).all(axis=0)
    confidence = np.take_along_axis(p, np.broadcast_to(labels[None, :, None], p.shape[:2] + (1,)), axis=-1)[..., 0]
    keep = agree & (confidence > alpha).all(axis=0)
    return keep, labels.astype(np.int64)


def soft_labels(probs) -> np.ndarray:
    """Teacher soft labels ``[N, C]``: the mean of the voters' probabilities ``[M, N, C]`` (float32)."""
    return as_voter_probs(probs).mean(axis=0).astype(np.float32)


def voters_agree(probs, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Voters Module decision policy (Eq. 4, :func:`voters_decision`) with -1 for rejected samples.

    A sample gets pseudo label j when every voter's argmax is j and every voter's confidence for j is
    strictly greater than ``alpha``. Returns ``(mask [N] bool, labels [N] int)``.
    """
    mask, labels = voters_decision(probs, alpha)
    return mask, np.where(mask, labels, -1)


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
