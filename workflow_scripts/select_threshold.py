"""Snakemake script: the automatic threshold and the source-consistency filter (Section 3.2, Eq. 3).

The soft-label student labels the English training data; accuracy and recall of its confident
predictions against the threshold give the curve; alpha is where accuracy bends most among the thresholds with
enough support (xlt.selftrain.threshold.choose_alpha). English samples the student mispredicts are removed, and stay
removed in later rounds. alpha.json and source_keep.json carry the step's health record and guards; alpha.json
also has the teacher's English accuracy beside the soft student's (the student learns only target text)."""

import numpy as np

from xlt.errors import exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.selftrain.health import check_keep, check_threshold, english_fit, keep_by_class
from xlt.io import read_json, write_json
from xlt.report import write_curve
from xlt.runtime import raise_guards, read_records, start
from xlt.selftrain.pseudo import ner_unit, update_source_keep
from xlt.selftrain.threshold import choose_alpha
from xlt.tasks import gold_ids, input_field, model_labels, predicted_ids, threshold_curve_of
from xlt.train.inference import predict_probs

log = start(snakemake, "select_threshold")  # noqa: F821
pin_snakemake_job(snakemake)  # noqa: F821  (one GPU per local job: profiles/workstation)


def kept_count(keep):
    """Units kept: samples (CLS, NER sentences) or words (NER per word)."""
    if len(keep) and np.ndim(keep[0]) == 1:
        return int(sum(int(np.sum(k)) for k in keep)), int(sum(len(k) for k in keep))
    return int(np.sum(keep)), len(keep)


@exit_on_user_error
def main(sm):
    p = sm.params
    w = sm.wildcards
    labels = model_labels(sm.input.student)
    unit = ner_unit(p.ner_selection) if p.kind == "token" else "sample"
    source = read_records(sm.input.source, input_field(p.kind))
    probs = predict_probs(sm.input.student, source, batch_size=p.runtime["inference_batch_size"], max_length=p.max_length)
    curve = threshold_curve_of(p.kind, probs, source, p.thresholds, unit=unit, ner_curve=p.ner_curve, labels=labels)
    alpha = choose_alpha(curve, method=p.curvature, min_support=p.min_support, fallback=p.fallback_threshold)

    previous = read_json(sm.input.previous_keep)["keep"] if sm.input.get("previous_keep") else None
    gold = gold_ids(p.kind, source, labels)
    keep = update_source_keep(previous, predicted_ids(p.kind, probs), gold, unit="token" if unit == "token" else "sentence")
    per_class = keep_by_class(p.kind, keep, gold, labels)
    fit = english_fit(p.kind, probs, gold, labels)
    if sm.input.get("teacher"):  # the soft student should come close to its teacher on English too
        teacher = predict_probs(sm.input.teacher, source, batch_size=p.runtime["inference_batch_size"], max_length=p.max_length)
        fit["teacher_english_accuracy"] = english_fit(p.kind, teacher, gold, labels)["english_accuracy"]

    where = f"{w.task} {w.target} seed{w.seed} {w.chain}"
    threshold_guards = raise_guards(check_threshold(alpha, p.min_support), p.guards, where)
    keep_guards = raise_guards(check_keep(per_class, p.class_keep_ratio), p.guards, where)

    kept, total = kept_count(keep)
    write_curve(curve, sm.output.curve)
    write_json(sm.output.keep, {"keep": [k.tolist() if isinstance(k, np.ndarray) else bool(k) for k in keep],
                                "unit": unit, "kept": kept, "total": total,
                                "previous_kept": None if previous is None else kept_count(previous)[0],
                                "kept_by_class": per_class, "guards": keep_guards})
    write_json(sm.output.alpha, {**alpha, "thresholds": list(p.thresholds), "min_support": p.min_support,
                                 "fallback_threshold": p.fallback_threshold, "unit": unit, **fit,
                                 "curve": curve, "guards": threshold_guards})
    log.info("alpha = %s (%s, %s); support %.3f; English units kept: %d of %d", alpha["alpha"], alpha["rule"],
             alpha["method"], alpha["support"], kept, total)


main(snakemake)  # noqa: F821
