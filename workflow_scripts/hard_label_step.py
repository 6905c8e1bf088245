"""Snakemake script: a hard-label step. The Voters Module of the soft student keeps target samples where all
voters agree above alpha (Eq. 4); with the English samples still kept, the soft student is trained again
with cross-entropy (Eq. 2). pseudo_labels.json is the step's health record: pseudo labels per class, the
English kept per class, oracle agreement where the target texts carry gold labels, and every guard that
concerns this step (those of its threshold and keep-mask included)."""

from xlt.errors import UserError, exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.selftrain.health import (
    check_pseudo_classes,
    check_pseudo_labels,
    oracle_accuracy,
    oracle_fields,
    predicted_counts,
    pseudo_label_counts,
)
from xlt.io import atomic_path, read_json, write_json
from xlt.runtime import raise_guards, read_records, record_artifact, start, training_hp
from xlt.selftrain.pseudo import balance_classes, select_pseudo_labels
from xlt.selftrain.voters import voter_confidence
from xlt.tasks import input_field, model_labels
from xlt.train.api import train_hard
from xlt.train.inference import predict_probs
from xlt.train.jobs import training_runtime

log = start(snakemake, "hard_label_step")  # noqa: F821
pin_snakemake_job(snakemake)  # noqa: F821  (one GPU per local job: profiles/workstation)


def kept_source_records(kind, source, keep):
    """English records still kept: whole samples, or (NER, per-word keep) sentences with the removed words'
    tags set to None; a sentence with no word left drops out."""
    out = []
    for rec, k in zip(source, keep):
        if isinstance(k, list):
            if any(k):
                out.append({**rec, "tags": [t if kw else None for t, kw in zip(rec["tags"], k)]})
        elif k:
            out.append(rec)
    return out


@exit_on_user_error
def main(sm):
    p = sm.params
    w = sm.wildcards
    field = input_field(p.kind)
    label_list = model_labels(sm.input.student)
    alpha_info = read_json(sm.input.alpha)
    auto_alpha = alpha_info["alpha"]
    alpha = auto_alpha if p.fixed_threshold is None else p.fixed_threshold
    keep_info = read_json(sm.input.keep)
    keep = keep_info["keep"]
    source = read_records(sm.input.source, field)
    if len(keep) != len(source):
        raise UserError(f"{sm.input.keep}: {len(keep)} flags for {len(source)} source examples in {sm.input.source}")
    kept_source = kept_source_records(p.kind, source, keep)

    corpus = read_records(sm.input.corpus, field)
    probs = predict_probs(sm.input.student, corpus, batch_size=p.runtime["inference_batch_size"], max_length=p.hp["max_length"])
    idx, labels = select_pseudo_labels(probs, alpha, p.kind, ner_selection=p.ner_selection, label_list=label_list,
                                       outside=0 if p.kind == "sequence" else label_list.index("O"))
    selected_before_balance = len(idx)
    if p.balance == "classes":
        if p.kind != "sequence":
            raise UserError("self_training.hard.balance: 'classes' applies to sentence classification (CLS) only")
        confidence, _ = voter_confidence(probs)
        ids = [label_list.index(lab) for lab in labels]
        chosen = balance_classes(idx, ids, confidence[idx])
        idx, labels = [idx[i] for i in chosen], [labels[i] for i in chosen]
    if p.kind == "sequence":
        pseudo = [{"text": corpus[i]["text"], "label": label_list.index(lab)} for i, lab in zip(idx, labels)]
        counts = pseudo_label_counts(p.kind, [r["label"] for r in pseudo], label_list)
    else:
        pseudo = [{"tokens": corpus[i]["tokens"], "tags": tags} for i, tags in zip(idx, labels)]
        counts = pseudo_label_counts(p.kind, labels, label_list)

    gold = oracle_fields(p.kind, corpus)
    oracle = None
    if gold is not None:
        oracle = oracle_accuracy(p.kind, [r["label"] for r in pseudo] if p.kind == "sequence" else labels,
                                 [gold[i] for i in idx], label_list)

    where = f"{w.task} {w.target} seed{w.seed} {w.chain}"
    predicted = predicted_counts(p.kind, probs, label_list)
    checks = check_pseudo_labels(p.kind, counts, len(pseudo), len(corpus))
    checks += check_pseudo_classes(counts, predicted, p.class_keep_ratio)
    own = raise_guards(checks, p.guards, where)
    inherited = list(keep_info.get("guards", []))
    if p.fixed_threshold is None:
        inherited = list(alpha_info.get("guards", [])) + inherited
    stats = {"step": "hard", "task": w.task, "target": w.target, "seed": int(w.seed), "chain": w.chain,
             "alpha": alpha, "alpha_rule": "fixed" if p.fixed_threshold is not None else alpha_info["rule"],
             "auto_alpha": auto_alpha, "fixed_threshold": p.fixed_threshold, "ner_selection": p.ner_selection,
             "balance": p.balance, "target_selected": len(pseudo), "target_selected_before_balance":
             selected_before_balance, "target_total": len(corpus), "pseudo_by_class": counts,
             "student_predicted_by_class": predicted, "source_kept": len(kept_source), "source_total": len(source),
             "kept_by_class": keep_info.get("kept_by_class"), "oracle_pseudo": oracle, "guards": inherited + own}
    if p.kind == "sequence":
        stats["target_label_counts"] = counts
    log.info("pseudo labels: %s", stats)

    with atomic_path(sm.output.model) as out:
        metrics = train_hard(sm.input.student, kept_source + pseudo, kind=p.kind, out_dir=out, hp=training_hp(p), seed=p.seed,
                             checkpoint_dir=p.checkpoints, runtime=training_runtime(sm))
        record_artifact(out, sm, metrics=metrics, pseudo_labels=stats)
    write_json(sm.output.pseudo, stats)


main(snakemake)  # noqa: F821
