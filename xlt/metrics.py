"""Evaluation metrics of the paper: accuracy for CLS sentiment, entity-level F1 for CoNLL NER.

Entity F1 uses seqeval in its default mode, which reads chunks the way the CoNLL ``conlleval`` script
does: an ``I-X`` after ``O`` or after another type starts a new entity, so IOB1 files (CoNLL-2003) and
IOB2 files (CoNLL-2002) are scored the same way as the shared tasks scored them. An entity counts as
correct only when its type and both boundaries match. Scores are fractions in [0, 1].
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def accuracy(pred: Sequence, gold: Sequence) -> float:
    """Fraction of predictions equal to the gold labels."""
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predictions but {len(gold)} gold labels")
    if len(gold) == 0:
        raise ValueError("accuracy of an empty evaluation set is undefined")
    return float(np.mean(np.asarray(pred, dtype=object) == np.asarray(gold, dtype=object)))


def _check_tags(pred_tags, gold_tags) -> None:
    if len(pred_tags) != len(gold_tags):
        raise ValueError(f"{len(pred_tags)} predicted sentences but {len(gold_tags)} gold sentences")
    for i, (p, g) in enumerate(zip(pred_tags, gold_tags)):
        if len(p) != len(g):
            raise ValueError(f"sentence {i}: {len(p)} predicted tags but {len(g)} gold tags")
        if any(not isinstance(t, str) for t in p):
            raise ValueError(f"sentence {i}: every word needs a predicted tag string, got {list(p)}")


def entity_f1(pred_tags: Sequence[Sequence[str]], gold_tags: Sequence[Sequence[str]]) -> dict:
    """Entity-level micro precision, recall and F1 (conlleval-compatible), plus per-type scores.

    Returns ``{"precision", "recall", "f1", "per_type": {TYPE: {"precision", "recall", "f1",
    "support"}}}``; support is the number of gold entities of that type.
    """
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    _check_tags(pred_tags, gold_tags)
    gold = [list(s) for s in gold_tags]
    pred = [list(s) for s in pred_tags]
    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    per_type = {
        name: {
            "precision": float(v["precision"]),
            "recall": float(v["recall"]),
            "f1": float(v["f1-score"]),
            "support": int(v["support"]),
        }
        for name, v in report.items()
        if not name.endswith(" avg")
    }
    return {
        "precision": float(precision_score(gold, pred, zero_division=0)),
        "recall": float(recall_score(gold, pred, zero_division=0)),
        "f1": float(f1_score(gold, pred, zero_division=0)),
        "per_type": per_type,
    }


def evaluate(kind: str, predictions: Sequence, gold: Sequence) -> dict:
    """The paper's metric for a task: ``{"metric", "score", "n", ...}``.

    ``kind`` is the model's (:data:`xlt.tasks.KINDS`): ``"sequence"`` (CLS): label predictions, metric
    ``accuracy``; ``"token"`` (CoNLL): per-sentence tag lists, metric ``f1`` (entity level) plus ``precision``,
    ``recall`` and ``per_type``. ``n`` is the number of evaluated texts or sentences.
    """
    if kind == "sequence":
        return {"metric": "accuracy", "score": accuracy(predictions, gold), "n": len(gold)}
    if kind == "token":
        scores = entity_f1(predictions, gold)
        return {
            "metric": "f1",
            "score": scores["f1"],
            "n": len(gold),
            **{k2: scores[k2] for k2 in ("precision", "recall", "per_type")},
        }
    raise ValueError(f"kind {kind!r}: expected 'sequence' (CLS) or 'token' (CoNLL)")
