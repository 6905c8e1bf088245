"""Snakemake script: a soft-label step. The teacher labels the target corpus with probabilities; a student
restored from the BTF model (with M voters or one plain head) learns them with MSE (Eq. 1) or, with
``soft.loss: kl``, the KL divergence. The step's health record (``health.json``): how closely the student
follows its teacher on the corpus, and the soft guard."""

from xlt.errors import exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.selftrain.health import check_soft_classes, check_soft_fit, oracle_accuracy, oracle_fields, soft_fit
from xlt.io import atomic_path, write_json
from xlt.runtime import raise_guards, read_records, record_artifact, start, training_hp
from xlt.tasks import ids_to_tags, input_field, mean_over_heads, model_labels, predicted_ids
from xlt.train.api import train_soft
from xlt.train.inference import predict_probs
from xlt.train.jobs import training_runtime

log = start(snakemake, "soft_label_step")  # noqa: F821
pin_snakemake_job(snakemake)  # noqa: F821  (one GPU per local job: profiles/workstation)


def oracle(kind, probs, records, labels):
    """Accuracy of a model's argmax against the gold labels the corpus carries (None when it has none)."""
    gold = oracle_fields(kind, records)
    if gold is None:
        return None
    pred = predicted_ids(kind, probs)
    return oracle_accuracy(kind, pred.tolist() if kind == "sequence" else ids_to_tags(pred, labels), gold, labels)


@exit_on_user_error
def main(sm):
    p = sm.params
    w = sm.wildcards
    labels = model_labels(sm.input.teacher)  # the student learns the teacher's classes
    corpus = read_records(sm.input.corpus, input_field(p.kind))
    teacher = predict_probs(sm.input.teacher, corpus, batch_size=p.runtime["inference_batch_size"], max_length=p.hp["max_length"])
    soft_labels = mean_over_heads(p.kind, teacher)
    with atomic_path(sm.output.model) as out:
        metrics = train_soft(sm.input.student_init, corpus, soft_labels, kind=p.kind, labels=labels,
                             n_voters=p.n_voters, voter_offsets=p.voter_offsets, out_dir=out, hp=training_hp(p), seed=p.seed,
                             checkpoint_dir=p.checkpoints, runtime=training_runtime(sm))
        student = predict_probs(out, corpus, batch_size=p.runtime["inference_batch_size"], max_length=p.hp["max_length"])
        fit = soft_fit(p.kind, soft_labels, student, labels)
        health = {"step": "soft", "task": w.task, "target": w.target, "seed": int(w.seed), "chain": w.chain, **fit,
                  "oracle_teacher": oracle(p.kind, teacher, corpus, labels),
                  "oracle_student": oracle(p.kind, student, corpus, labels)}
        where = f"{w.task} {w.target} seed{w.seed} {w.chain}"
        health["guards"] = raise_guards(check_soft_fit(fit) + check_soft_classes(fit, p.class_keep_ratio), p.guards, where)
        record_artifact(out, sm, metrics=metrics, target_texts=len(corpus), health=health)
    write_json(sm.output.health, health)
    log.info("soft-label step done on %d target texts: %s; health %s", len(corpus), metrics, health)


main(snakemake)  # noqa: F821
