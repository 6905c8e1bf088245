"""The two tasks of the paper as the training engine sees them: label lists and record fields."""

from __future__ import annotations

import numpy as np

from xlt.data.cls import LABELS as CLS_LABELS
from xlt.data.conll import LABELS as CONLL_LABELS
from xlt.voters import soft_labels

KINDS = ("sequence", "token")


def labels_of(kind: str) -> list[str]:
    """Sentiment labels (CLS) or IOB2 entity tags (CoNLL)."""
    if kind == "sequence":
        return list(CLS_LABELS)
    if kind == "token":
        return list(CONLL_LABELS)
    raise ValueError(f"kind {kind!r}: expected one of {KINDS}")


def input_field(kind: str) -> str:
    return "text" if kind == "sequence" else "tokens"


def gold_ids(kind: str, records: list[dict]):
    """Gold label ids: one per review (sequence) or, per sentence, one per word (token)."""
    if kind == "sequence":
        return np.array([r["label"] for r in records], dtype=np.int64)
    index = {tag: i for i, tag in enumerate(CONLL_LABELS)}
    return [[index[t] for t in r["tags"]] for r in records]


def predicted_ids(kind: str, probs):
    """Argmax of the mean over heads: [M, N, C] -> [N], or per sentence [M, L, C] -> [L]."""
    if kind == "sequence":
        return np.asarray(probs).mean(axis=0).argmax(axis=-1)
    return [np.asarray(p).mean(axis=0).argmax(axis=-1).tolist() for p in probs]


def mean_over_heads(kind: str, probs):
    """Soft labels of a teacher: the mean of its heads' (voters') probabilities, per sentence for NER."""
    if kind == "sequence":
        return soft_labels(probs)
    return [soft_labels(p) for p in probs]


def ids_to_tags(ids_per_sentence) -> list[list[str]]:
    return [[CONLL_LABELS[i] for i in ids] for ids in ids_per_sentence]


def threshold_curve_of(kind: str, probs, records: list[dict], thresholds, unit: str = "token",
                       ner_curve: str = "entities") -> list[dict]:
    """Accuracy and recall against the threshold of a model's predictions on labelled records (Eq. 3).

    NER counts words (``unit="token"``) or whole sentences (``unit="sentence"``, see
    :func:`xlt.selftrain.ner_unit`); with words, ``ner_curve="entities"`` leaves out the words that are ``O``
    in both gold and prediction (``"all"`` counts every word)."""
    from xlt.selftrain import NER_CURVES, flatten_sentences, sentence_threshold_curve, threshold_curve

    if ner_curve not in NER_CURVES:
        raise ValueError(f"ner_curve {ner_curve!r}: expected one of {NER_CURVES}")
    gold = gold_ids(kind, records)
    if kind == "token":
        if unit == "sentence":
            return sentence_threshold_curve(probs, gold, thresholds)
        probs, gold = flatten_sentences(probs, gold)
        outside = labels_of(kind).index("O") if ner_curve == "entities" else None
        return threshold_curve(probs, gold, thresholds, outside=outside)
    return threshold_curve(probs, gold, thresholds)


def check_training_labels(kind: str, records: list[dict], labels: list[str], where: str) -> None:
    """Refuse a labelled training set that cannot teach the task: one class only (sentence classification) or
    no entity at all (NER). Raises :class:`~xlt.errors.UserError` naming ``where``."""
    from xlt.errors import UserError

    if kind == "sequence":
        present = sorted({int(r["label"]) for r in records})
        if len(present) < 2:
            name = labels[present[0]] if present else "none"
            raise UserError(f"{where}: all {len(records)} training examples have label {name!r}; a classifier "
                            f"needs examples of at least two of {labels}")
        return
    if not any(tag != "O" for r in records for tag in r["tags"]):
        raise UserError(f"{where}: none of the {len(records)} training sentences has an entity (every tag is O); "
                        "NER fine-tuning needs entity tags")
