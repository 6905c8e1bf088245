"""Which data the hard step trains on (paper Section 3.2 and 5.3): the English samples the soft student still
predicts right (the source consistency filter, cumulative over rounds) and the target samples the Voters
Module labels above alpha (Eq. 4), with the NER unit of ``self_training.ner_selection``.

Kinds are those of :data:`xlt.tasks.KINDS`: ``sequence`` (CLS) and ``token`` (NER).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from xlt.selftrain.voters import as_voter_probs, voters_agree
from xlt.tasks import KINDS

NER_SELECTIONS = ("sentence", "token", "sentence-masked")
NER_CURVES = ("entities", "all")  # self_training.ner_curve: which words a word-unit NER threshold curve counts


def ner_unit(ner_selection: str) -> str:
    """The unit an NER threshold curve and English keep-mask count: ``"sentence"`` or ``"token"`` (words).

    ``sentence`` selection works on whole sentences; ``token`` and ``sentence-masked`` decide word by word
    (``sentence-masked`` only adds a sentence-level condition for target sentences)."""
    if ner_selection not in NER_SELECTIONS:
        raise ValueError(f"ner_selection {ner_selection!r}: expected one of {NER_SELECTIONS}")
    return "sentence" if ner_selection == "sentence" else "token"


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

    ``kind="sequence"`` (CLS): ``voter_probs`` is [M, N, C] (or [N, C]); returns the indices of the selected
    texts and their label ids (or ``label_list`` names).

    ``kind="token"`` (NER): ``voter_probs`` is a list of per-sentence word-level arrays [M, L_i, C] (or
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
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {KINDS}")

    def name(label):
        if label is None:
            return None
        return label_list[int(label)] if label_list is not None else int(label)

    if kind == "sequence":
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
