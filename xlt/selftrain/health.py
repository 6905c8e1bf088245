"""Health of a self-training step: what each step did, measured, and the guards that say when it went wrong.

Self-training only helps when its preconditions hold (docs/self_training.md): the soft student learns its
teacher, the threshold is backed by enough English samples, the English samples kept still cover every
class, and the pseudo labels are not all of one class. The functions here measure those from arrays and
records, and :func:`guard` turns a failed check into one line. Pure functions: no models, no files.

Units: a CLS *unit* is a review; an NER unit is a word, or a whole sentence with ``ner_selection: sentence``.
Classes: the sentiment labels for CLS; for NER the entity types (``PER``, ``LOC``, ...) and ``O``.

*Oracle* numbers compare pseudo labels or predictions with gold labels that the target texts happen to carry
(the CLS fallback pool is made of labelled reviews; CoNLL training files used as unlabeled text carry tags).
They are diagnostics for the reader: no decision of the method reads them.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

import numpy as np

from xlt.selftrain.voters import as_voter_probs

#: Record fields holding gold labels of target texts, never read by training or selection.
ORACLE_FIELDS = {"sequence": "oracle_label", "token": "oracle_tags"}

#: The soft guard fires when the student's MSE to its teacher is at least this share of the teacher's variance
#: (the MSE of always predicting the teacher's mean).
SOFT_MSE_RATIO = 0.9

#: A class takes part in the soft step's per-class check when the teacher gives it at least this many units.
SOFT_CLASS_MIN_UNITS = 20

GUARD_CHECKS = ("btf_heldout", "soft_fit", "soft_classes", "threshold_support", "threshold_fallback", "keep_classes",
                "pseudo_labels", "pseudo_classes")


def entity_type(tag: str) -> str:
    """``B-PER`` -> ``PER``; ``O`` stays ``O``."""
    return tag.split("-", 1)[1] if "-" in tag else tag


def _words(kind: str, probs):
    """[M, U, C] over all units: CLS as is, NER with the words of every sentence concatenated."""
    if kind == "sequence":
        return as_voter_probs(probs)
    parts = [as_voter_probs(p) for p in probs]
    if not parts:
        return np.zeros((1, 0, 0))
    return np.concatenate(parts, axis=1)


def _shares(ids: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    n = len(ids)
    return {name: (float((ids == i).sum()) / n if n else math.nan) for i, name in enumerate(labels)}


def soft_fit(kind: str, teacher_soft, student_probs, labels: Sequence[str]) -> dict:
    """How well a soft student learned its teacher on the target corpus (Eq. 1).

    ``teacher_soft``: [N, C] (CLS) or per sentence [L, C] (NER) — the soft labels the student was trained on;
    ``student_probs``: [M, N, C] or per sentence [M, L, C]. Over all units (reviews or words):

    - ``soft_mse``: the training loss, mean over voters, units and classes of the squared difference;
    - ``teacher_var``: the MSE of a constant predictor of the teacher's mean (what a student that learned
      nothing but the average achieves);
    - ``teacher_agreement``: share of units where the student's argmax (mean of voters) equals the teacher's;
    - ``majority_rate``: share of the teacher's most frequent class (what always predicting it agrees);
    - ``teacher_share`` / ``student_share``: predicted share of each class;
    - ``teacher_units`` / ``class_agreement``: per class, the units the teacher gives it and the share of them
      the student gives it too (its recall of the teacher's class; NaN for a class the teacher never gives).
      Overall agreement is dominated by the frequent classes (``O`` is ~90% of NER words): a student can agree
      on 98% of the words and still lose a rare class, which only this shows.
    """
    if kind == "sequence":
        teacher = np.asarray(teacher_soft, dtype=np.float64)
    else:
        teacher = np.concatenate([np.asarray(t, dtype=np.float64).reshape(-1, len(labels)) for t in teacher_soft]) \
            if len(teacher_soft) else np.zeros((0, len(labels)))
    student = _words(kind, student_probs)
    if student.shape[1] != teacher.shape[0]:
        raise ValueError(f"{student.shape[1]} student units but {teacher.shape[0]} teacher units")
    n = teacher.shape[0]
    t_ids = teacher.argmax(-1)
    s_ids = student.mean(axis=0).argmax(-1)
    counts = np.bincount(t_ids, minlength=len(labels)) if n else np.zeros(len(labels))
    return {
        "units": int(n),
        "soft_mse": float(((student - teacher[None]) ** 2).mean()) if n else math.nan,
        "teacher_var": float(((teacher - teacher.mean(axis=0, keepdims=True)) ** 2).mean()) if n else math.nan,
        "teacher_agreement": float((t_ids == s_ids).mean()) if n else math.nan,
        "majority_rate": float(counts.max() / n) if n else math.nan,
        "teacher_share": _shares(t_ids, labels),
        "student_share": _shares(s_ids, labels),
        "teacher_units": {name: int((t_ids == i).sum()) for i, name in enumerate(labels)},
        "class_agreement": {name: (float((s_ids[t_ids == i] == i).mean()) if (t_ids == i).any() else math.nan)
                            for i, name in enumerate(labels)},
    }


def _type_shares(ids: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Shares of entity types (and O) among word ids."""
    types = [entity_type(labels[i]) for i in ids]
    n = len(types)
    c = Counter(types)
    return {t: c.get(t, 0) / n if n else math.nan for t in dict.fromkeys(entity_type(x) for x in labels)}


def english_fit(kind: str, probs, gold, labels: Sequence[str]) -> dict:
    """The soft student on the English training data: argmax accuracy and predicted vs gold class shares.

    ``gold``: label ids [N] (CLS) or per sentence word ids (NER; counted per word, shares per entity type)."""
    p = _words(kind, probs)
    g = np.asarray(gold if kind == "sequence" else [i for s in gold for i in s], dtype=np.int64)
    pred = p.mean(axis=0).argmax(-1)
    share = _shares if kind == "sequence" else _type_shares
    return {
        "english_accuracy": float((pred == g).mean()) if len(g) else math.nan,
        "english_pred_share": share(pred, labels),
        "english_gold_share": share(g, labels),
    }


def keep_by_class(kind: str, keep, gold, labels: Sequence[str]) -> dict[str, dict]:
    """English samples kept per class: ``{class: {"kept", "total"}}``.

    CLS: per sentiment label. NER with a per-sentence keep (bool per sentence): a sentence counts for every
    entity type it contains, and for ``none`` when it has no entity. NER with a per-word keep (a list of bool
    arrays): words per entity type and ``O``."""
    out: dict[str, dict] = {}

    def add(name, kept):
        d = out.setdefault(name, {"kept": 0, "total": 0})
        d["total"] += 1
        d["kept"] += int(bool(kept))

    if kind == "sequence":
        for name in labels:
            out[name] = {"kept": 0, "total": 0}
        for k, g in zip(keep, gold):
            add(labels[int(g)], k)
        return out
    per_word = len(keep) > 0 and not np.isscalar(keep[0]) and np.ndim(keep[0]) == 1
    for k, g in zip(keep, gold):
        types = [entity_type(labels[int(i)]) for i in g]
        if per_word:
            for kw, t in zip(k, types):
                add(t, kw)
        else:
            ents = sorted({t for t in types if t != "O"})
            for t in ents or ["none"]:
                add(t, k)
    return out


def pseudo_label_counts(kind: str, pseudo_labels: Sequence, labels: Sequence[str]) -> dict[str, int]:
    """Pseudo labels per class. CLS: ``pseudo_labels`` are label ids. NER: per sentence a list of tags (None =
    ignored word); counted per labelled word by entity type, and ``O``."""
    if kind == "sequence":
        c = Counter(int(x) for x in pseudo_labels)
        return {name: c.get(i, 0) for i, name in enumerate(labels)}
    c = Counter(entity_type(t) for tags in pseudo_labels for t in tags if t is not None)
    return {t: c.get(t, 0) for t in dict.fromkeys(entity_type(x) for x in labels)}


def predicted_counts(kind: str, probs, labels: Sequence[str]) -> dict[str, int]:
    """Units per class by the argmax of the voters' mean on the target corpus (what the soft student thinks the
    corpus holds), counted like :func:`pseudo_label_counts` (NER: words per entity type, and ``O``)."""
    ids = _words(kind, probs).mean(axis=0).argmax(-1).tolist() if len(probs) else []
    return pseudo_label_counts(kind, ids if kind == "sequence" else [[labels[i] for i in ids]], labels)


def oracle_fields(kind: str, records: Sequence[dict]) -> list | None:
    """The gold labels the target records carry (see :data:`ORACLE_FIELDS`; None for a record without one), or
    None when no record has one (a three-star review, for instance, has no label)."""
    field = ORACLE_FIELDS[kind]
    gold = [r.get(field) for r in records]
    return gold if any(g is not None for g in gold) else None


def oracle_accuracy(kind: str, predicted: Sequence, oracle: Sequence, labels: Sequence[str]) -> dict:
    """Agreement of predictions or pseudo labels with the texts' gold labels (a diagnostic only).

    CLS: ``predicted`` label ids, ``oracle`` label ids -> ``{"accuracy", "n"}``. NER: ``predicted`` per
    sentence tags (None = not labelled; counted as ``O`` for entity F1), ``oracle`` per sentence tags ->
    ``{"accuracy"`` over labelled words, ``"entity_f1"`` (seqeval) over the sentences, ``"n"`` words}. Samples
    whose oracle is None are left out."""
    pairs = [(p, g) for p, g in zip(predicted, oracle) if g is not None]
    predicted, oracle = [p for p, _ in pairs], [g for _, g in pairs]
    if kind == "sequence":
        pred, gold = np.asarray(predicted, dtype=np.int64), np.asarray(oracle, dtype=np.int64)
        n = len(pred)
        return {"accuracy": float((pred == gold).mean()) if n else math.nan, "n": int(n)}
    from seqeval.metrics import f1_score

    right = total = 0
    pred_tags, gold_tags = [], []
    for p, g in zip(predicted, oracle):
        if len(p) != len(g):
            raise ValueError(f"{len(p)} predicted tags but {len(g)} gold tags")
        for a, b in zip(p, g):
            if a is not None:
                total += 1
                right += int(a == b)
        pred_tags.append([a if a is not None else "O" for a in p])
        gold_tags.append(list(g))
    f1 = float(f1_score(gold_tags, pred_tags)) if pred_tags else math.nan
    return {"accuracy": right / total if total else math.nan, "entity_f1": f1, "n": int(total)}


# ------------------------------------------------------------------------------------------------ guards


def guard(check: str, message: str) -> dict:
    if check not in GUARD_CHECKS:
        raise ValueError(f"unknown guard {check!r}")
    return {"check": check, "message": message}


def check_btf_heldout(before: float | None, after: float | None) -> list[dict]:
    """BTF did not lower the masked-LM loss on held-out target text: it did not adapt the encoder to the target
    language (nothing to check when no text was held out)."""
    if before is None or after is None:
        return []
    if not after < before:  # NaN fails too
        return [guard("btf_heldout", f"the held-out target MLM loss did not fall ({before:.3f} -> {after:.3f}); "
                                     "BTF did not adapt the encoder to the target text")]
    return []


def check_soft_fit(fit: dict) -> list[dict]:
    """The soft student is no better than a constant: MSE >= 0.9 x teacher variance, or agreement with the
    teacher at (or below) the teacher's majority rate."""
    mse, var, agree, major = fit["soft_mse"], fit["teacher_var"], fit["teacher_agreement"], fit["majority_rate"]
    if fit["units"] == 0:
        return [guard("soft_fit", "the target corpus has no units to learn from")]
    problems = []
    if mse >= SOFT_MSE_RATIO * var:
        problems.append(f"soft MSE {mse:.4g} >= {SOFT_MSE_RATIO} x teacher variance {var:.4g}")
    if agree <= major + 1e-12:
        problems.append(f"agreement with the teacher {agree:.3f} <= the majority rate {major:.3f}")
    if not problems:
        return []
    return [guard("soft_fit", "the soft student is no better than a constant: " + "; ".join(problems))]


def _lagging_class(rates: dict[str, float], ratio: float) -> tuple[str, float] | None:
    """``(class, best rate)`` when one class's rate is below ``ratio`` x the best rate of ``rates``, else None
    (also with fewer than two classes). Ties go to the first class name."""
    if len(rates) < 2:
        return None
    best = max(rates.values())
    worst = min(rates, key=lambda c: (rates[c], c))
    if best > 0 and rates[worst] >= ratio * best:
        return None
    return worst, best


def check_soft_classes(fit: dict, ratio: float, min_units: int = SOFT_CLASS_MIN_UNITS) -> list[dict]:
    """The soft student loses a class of its teacher: among the classes the teacher gives at least ``min_units``
    units, the student's recall of one (``class_agreement``) is below ``ratio`` x that of the best-learned class.
    A class lost here is lost for the rest of the chain: the English keep then drops its samples (the
    ``keep_classes`` guard) and no pseudo label carries it."""
    units = fit.get("teacher_units") or {}
    rates = {c: fit["class_agreement"][c] for c, n in units.items() if n >= min_units}
    if (lagging := _lagging_class(rates, ratio)) is None:
        return []
    worst, best = lagging
    detail = ", ".join(f"{c} {rates[c]:.1%}" for c in rates)
    return [guard("soft_classes", f"the soft student follows its teacher per class {detail}: {worst} at "
                                  f"{rates[worst]:.1%}, below {ratio} x the best {best:.1%}")]


def check_threshold(alpha: dict, min_support: float) -> list[dict]:
    """Alpha has less than ``min_support`` of the English units behind it, or the curve had no bend."""
    out = []
    if not alpha["support"] >= min_support:  # NaN fails too
        out.append(guard("threshold_support",
                         f"alpha {alpha['alpha']} selects {alpha['selected']} of {alpha['total']} English units "
                         f"({alpha['support']:.1%}), below min_support {min_support:.0%}"))
    if alpha["rule"] == "fallback":
        out.append(guard("threshold_fallback", f"alpha {alpha['alpha']} by fallback: {alpha['reason']}"))
    return out


def check_keep(kept: dict[str, dict], ratio: float) -> list[dict]:
    """The English samples kept lose a class: its keep rate is below ``ratio`` x the best class's rate."""
    rates = {c: d["kept"] / d["total"] for c, d in kept.items() if d["total"] > 0}
    if (lagging := _lagging_class(rates, ratio)) is None:
        return []
    worst_class, best = lagging
    detail = ", ".join(f"{c} {kept[c]['kept']}/{kept[c]['total']}" for c in rates)
    return [guard("keep_classes", f"English kept per class {detail}: {worst_class} kept at "
                                  f"{rates[worst_class]:.1%}, below {ratio} x the best rate {best:.1%}")]


def check_pseudo_labels(kind: str, counts: dict[str, int], selected: int, total: int) -> list[dict]:
    """The pseudo-label set is empty, or has one class (NER: no entity at all)."""
    if selected == 0:
        return [guard("pseudo_labels", f"no target sample passes the threshold (0 of {total})")]
    present = [c for c, n in counts.items() if n > 0]
    if kind == "sequence" and len(present) < 2:
        return [guard("pseudo_labels", f"all {selected} pseudo labels are {present[0] if present else '?'}")]
    if kind == "token" and not any(c != "O" for c in present):
        return [guard("pseudo_labels", f"the {selected} selected sentences carry no entity (every word O)")]
    return []


def check_pseudo_classes(counts: dict[str, int], predicted: dict[str, int], ratio: float,
                         min_units: int = SOFT_CLASS_MIN_UNITS) -> list[dict]:
    """The threshold passes one class far less often than another: among the classes the soft student predicts
    on at least ``min_units`` target units, the share of them that became pseudo labels is, for one class, below
    ``ratio`` x the best class's share. The hard step then learns the target data with that class under-
    represented (NER: confident ``O`` words pass, uncertain entity words do not, and the tagger learns to say
    ``O``), which is the same loss of a class as ``keep_classes`` on the English side."""
    rates = {c: counts.get(c, 0) / n for c, n in predicted.items() if n >= min_units}
    if (lagging := _lagging_class(rates, ratio)) is None:
        return []
    worst, best = lagging
    detail = ", ".join(f"{c} {counts.get(c, 0)}/{predicted[c]}" for c in rates)
    return [guard("pseudo_classes", f"pseudo labels of the student's predictions per class {detail}: {worst} at "
                                    f"{rates[worst]:.1%}, below {ratio} x the best rate {best:.1%}")]
