"""The two tasks of the paper as the training engine sees them: label lists and record fields.

Label lists: CLS has its two sentiment labels (the rating rule). A NER model's labels are O and the IOB2 tags of
the entity types its source training data has (:func:`labels_from_records`; with all of PER, ORG, LOC and MISC,
as CoNLL-2003 has, exactly :data:`xlt.data.conll.LABELS`); every later step reads them from the model
(:func:`model_labels`)."""

from __future__ import annotations

import numpy as np

from xlt.data.cls import LABELS as CLS_LABELS
from xlt.data.conll import ENTITY_TYPES
from xlt.data.conll import LABELS as CONLL_LABELS
from xlt.errors import UserError
from xlt.selftrain.voters import soft_labels

KINDS = ("sequence", "token")
"""The kind of model a task trains: sentence classification (CLS) or token classification (NER)."""

TASK_KIND = {"cls": "sequence", "conll": "token"}
"""The tasks of ``config.yaml`` (``tasks.cls``, ``tasks.conll``) and the kind of model each trains."""

TASKS = tuple(TASK_KIND)


def labels_of(kind: str) -> list[str]:
    """Sentiment labels (CLS) or IOB2 entity tags (CoNLL)."""
    if kind == "sequence":
        return list(CLS_LABELS)
    if kind == "token":
        return list(CONLL_LABELS)
    raise ValueError(f"kind {kind!r}: expected one of {KINDS}")


def ner_labels(types) -> list[str]:
    """``O`` and ``B-``/``I-`` of the given entity types, in the order of :data:`xlt.data.conll.ENTITY_TYPES`."""
    present = set(types)
    return ["O"] + [f"{p}-{t}" for t in ENTITY_TYPES if t in present for p in ("B", "I")]


def labels_from_records(kind: str, records: list[dict]) -> list[str]:
    """The labels a model trained on ``records`` gets: CLS's two; for NER those of the entity types present."""
    if kind != "token":
        return labels_of(kind)
    types = {t[2:] for r in records for t in r["tags"] if t is not None and t != "O"}
    if not types:
        raise UserError("the NER training data has no entities (expected B-/I- tags of PER, ORG, LOC or MISC)")
    return ner_labels(types)


def model_labels(model_dir) -> list[str]:
    """The labels of a classifier folder (its ``config.json``), read without loading the model."""
    from xlt.predict import model_info

    return model_info(model_dir)["labels"]


def input_field(kind: str) -> str:
    return "text" if kind == "sequence" else "tokens"


def gold_ids(kind: str, records: list[dict], labels: list[str] | None = None, unknown: str = "error"):
    """Gold label ids: one per review (sequence) or, per sentence, one per word (token).

    NER tags index ``labels`` (default :data:`xlt.data.conll.LABELS`). A tag outside them (a type the model was
    not trained on) is an error, or with ``unknown="outside"`` counts as ``O``."""
    if kind == "sequence":
        return np.array([r["label"] for r in records], dtype=np.int64)
    labels = list(CONLL_LABELS if labels is None else labels)
    index = {tag: i for i, tag in enumerate(labels)}
    out = []
    for n, r in enumerate(records):
        ids = []
        for t in r["tags"]:
            if t not in index:
                if unknown != "outside":
                    raise UserError(f"record {n}: tag {t!r} is not one of the model's labels {labels}")
                t = "O"
            ids.append(index[t])
        out.append(ids)
    return out


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


def ids_to_tags(ids_per_sentence, labels: list[str] | None = None) -> list[list[str]]:
    """Tags of label ids, per sentence (``labels``: the model's, default :data:`xlt.data.conll.LABELS`)."""
    labels = CONLL_LABELS if labels is None else labels
    return [[labels[i] for i in ids] for ids in ids_per_sentence]


def threshold_curve_of(kind: str, probs, records: list[dict], thresholds, unit: str = "token",
                       ner_curve: str = "entities", labels: list[str] | None = None,
                       unknown: str = "error") -> list[dict]:
    """Accuracy and recall against the threshold of a model's predictions on labelled records (Eq. 3).

    NER counts words (``unit="token"``) or whole sentences (``unit="sentence"``, see
    :func:`xlt.selftrain.pseudo.ner_unit`); with words, ``ner_curve="entities"`` leaves out the words that are ``O``
    in both gold and prediction (``"all"`` counts every word). ``labels``: the model's (NER, default
    :data:`xlt.data.conll.LABELS`); ``unknown`` as in :func:`gold_ids`."""
    from xlt.selftrain.pseudo import NER_CURVES
    from xlt.selftrain.threshold import flatten_sentences, sentence_threshold_curve, threshold_curve

    if ner_curve not in NER_CURVES:
        raise ValueError(f"ner_curve {ner_curve!r}: expected one of {NER_CURVES}")
    gold = gold_ids(kind, records, labels, unknown=unknown)
    if kind == "token":
        if unit == "sentence":
            return sentence_threshold_curve(probs, gold, thresholds)
        probs, gold = flatten_sentences(probs, gold)
        outside = list(CONLL_LABELS if labels is None else labels).index("O") if ner_curve == "entities" else None
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
