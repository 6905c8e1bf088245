"""Snakemake script: a hard-label step. The Voters Module of the soft student keeps target samples where all
voters agree above alpha (Eq. 4); with the English samples still kept, the soft student is trained again
with cross-entropy (Eq. 2)."""

import numpy as np

from xlt.errors import UserError, exit_on_user_error
from xlt.io import atomic_path, read_json, write_json
from xlt.runtime import read_records, record_artifact, start
from xlt.selftrain import select_pseudo_labels
from xlt.tasks import input_field, labels_of
from xlt.train.api import predict_probs, train_hard

log = start(snakemake, "hard_label_step")  # noqa: F821


@exit_on_user_error
def main(sm):
    p = sm.params
    field = input_field(p.kind)
    auto_alpha = read_json(sm.input.alpha)["alpha"]
    alpha = auto_alpha if p.fixed_threshold is None else p.fixed_threshold
    keep = np.asarray(read_json(sm.input.keep)["keep"], dtype=bool)
    source = read_records(sm.input.source, field)
    if len(keep) != len(source):
        raise UserError(f"{sm.input.keep}: {len(keep)} flags for {len(source)} source examples in {sm.input.source}")
    kept_source = [rec for rec, k in zip(source, keep) if k]

    corpus = read_records(sm.input.corpus, field)
    probs = predict_probs(sm.input.student, corpus, batch_size=p.inference_batch_size, max_length=p.hp["max_length"])
    label_list = labels_of(p.kind)
    kind = "cls" if p.kind == "sequence" else "ner"
    idx, labels = select_pseudo_labels(probs, alpha, kind, ner_selection=p.ner_selection, label_list=label_list)
    if p.kind == "sequence":
        pseudo = [{"text": corpus[i]["text"], "label": label_list.index(lab)} for i, lab in zip(idx, labels)]
    else:
        pseudo = [{"tokens": corpus[i]["tokens"], "tags": tags} for i, tags in zip(idx, labels)]
    stats = {"alpha": alpha, "auto_alpha": auto_alpha, "fixed_threshold": p.fixed_threshold,
             "target_selected": len(pseudo), "target_total": len(corpus),
             "source_kept": len(kept_source), "source_total": len(source)}
    if p.kind == "sequence":
        stats["target_label_counts"] = {lab: sum(1 for r in pseudo if label_list[r["label"]] == lab) for lab in label_list}
    log.info("pseudo labels: %s", stats)

    with atomic_path(sm.output.model) as out:
        metrics = train_hard(sm.input.student, kept_source + pseudo, kind=p.kind, out_dir=out, hp=p.hp, seed=p.seed,
                             checkpoint_dir=p.checkpoints)
        record_artifact(out, sm, metrics=metrics, pseudo_labels=stats)
    write_json(sm.output.pseudo, stats)


main(snakemake)  # noqa: F821
