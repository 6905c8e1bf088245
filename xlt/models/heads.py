"""Classification heads: the plain fine-tuning head and the Voters Module (paper, Section 3.2), and the losses.

Both heads map features ``[N, hidden]`` to logits ``[M, N, C]``: ``M = 1`` for the plain head, ``M`` voters
for the Voters Module, so every consumer (losses, prediction, Eq. 4) handles one shape.

Voters Module. "There are M voters in this module. Each voter consists of an independent multi-layer network
as the feature encoder. There are minor differences among the dimensions of intermediate layers of the
voters, though the input and output dimensions are the same." Voter i is

    dropout → Linear(hidden, d_i) → GELU → dropout → Linear(d_i, C)      y_i = softmax(W_i h_i + b_i)

with its own weights and dropout masks. The paper gives no sizes; d_i = hidden + offset_i with the offsets of
``self_training.voters.size_offsets`` (default 0, −16, +16, −32, +32: mBERT, hidden 768: 768, 752, 784, 736,
800; e5-small, hidden 384: 384, 368, 400, 352, 416), at least 8 (:func:`voter_widths`) — the same order of
magnitude, minor differences, any model size.

When the module is ablated (``n_voters = 1``, paper Table 5/6 "- VM") the head is the plain fine-tuning
classifier: dropout → Linear(hidden, C).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


def voter_widths(hidden: int, offsets: Sequence[int], n_voters: int) -> list[int]:
    """Intermediate widths of the voters: d_i = ``hidden`` + ``offsets[i]``, at least 8, for the first
    ``n_voters`` offsets (``self_training.voters.size_offsets``)."""
    offsets = list(offsets)
    if len(offsets) < n_voters or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets):
        raise ValueError(f"voter width offsets: expected at least {n_voters} integers, got {offsets!r}")
    return [max(8, hidden + o) for o in offsets[:n_voters]]


class PlainHead(nn.Module):
    """The fine-tuning classifier: dropout → Linear(hidden, C); logits shaped ``[1, N, C]``."""

    def __init__(self, hidden: int, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_labels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(features)).unsqueeze(0)


class Voter(nn.Module):
    """One voter: dropout → Linear(hidden, d) → GELU → dropout → Linear(d, C)."""

    def __init__(self, hidden: int, intermediate: int, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(hidden, intermediate), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(intermediate, n_labels),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class VotersModule(nn.Module):
    """M independent voters on the same features; logits ``[M, N, C]``."""

    def __init__(self, hidden: int, n_labels: int, sizes: list[int], dropout: float = 0.1):
        super().__init__()
        self.voters = nn.ModuleList(Voter(hidden, d, n_labels, dropout) for d in sizes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.stack([voter(features) for voter in self.voters])


def build_head(hidden: int, n_labels: int, n_voters: int = 1, voter_sizes: list[int] | None = None,
               dropout: float = 0.1) -> nn.Module:
    """The plain head when ``n_voters == 1``, else a Voters Module of ``n_voters`` voters."""
    if n_voters < 1:
        raise ValueError(f"n_voters must be ≥ 1, got {n_voters}")
    if n_voters == 1:
        return PlainHead(hidden, n_labels, dropout)
    sizes = list(voter_sizes or [])
    if len(sizes) != n_voters or any(int(d) < 1 for d in sizes):
        raise ValueError(f"voter_sizes must be {n_voters} positive integers, got {voter_sizes}")
    return VotersModule(hidden, n_labels, [int(d) for d in sizes], dropout)


def soft_label_mse_loss(logits: torch.Tensor, teacher_probs: torch.Tensor) -> torch.Tensor:
    """Eq. 1: MSE between the teacher's probabilities ``[N, C]`` and each head's soft-max ``[M, N, C]``.

    Each voter is trained on the same soft labels; the loss is the mean over voters of each voter's
    mean squared error over samples and classes (an empty batch gives 0, not NaN).
    """
    probs = logits.float().softmax(dim=-1)
    diff = probs - teacher_probs.float().unsqueeze(0)
    return diff.pow(2).sum() / max(diff.numel(), 1)


def soft_label_kl_loss(logits: torch.Tensor, teacher_probs: torch.Tensor) -> torch.Tensor:
    """KL divergence from the teacher's probabilities ``[N, C]`` to each head's soft-max ``[M, N, C]``
    (``self_training.soft.loss: kl``; not the paper's Eq. 1).

    Its gradient with respect to the logits is the student's minus the teacher's probability, whatever their
    size, while that of the MSE is damped by the soft-max: a class to which the student gives little
    probability (a rare entity type) gets almost no MSE gradient and can fade. The loss is the mean over voters
    and samples of each sample's KL divergence (an empty batch gives 0, not NaN).
    """
    log_probs = logits.float().log_softmax(dim=-1)
    target = teacher_probs.float().unsqueeze(0).expand_as(log_probs)
    total = F.kl_div(log_probs, target, reduction="sum")
    return total / max(log_probs.shape[0] * log_probs.shape[1], 1)


#: ``self_training.soft.loss``: the soft step's loss by name.
SOFT_LOSSES = {"mse": soft_label_mse_loss, "kl": soft_label_kl_loss}


def hard_label_ce_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Eq. 2: cross-entropy of every head ``[M, N, C]`` against labels ``[N]`` (``-100`` = ignored).

    Each voter is trained on the labels; the loss is the mean over voters of each voter's mean CE over
    the labelled samples (no labelled sample gives 0, not NaN). No host synchronisation.
    """
    m, n, c = logits.shape
    total = F.cross_entropy(logits.float().reshape(m * n, c), labels.repeat(m), ignore_index=-100, reduction="sum")
    count = (labels != -100).sum() * m
    return total / count.clamp(min=1)
