"""Snakemake script: a soft-label step. The teacher labels the target corpus with probabilities; a student
restored from the BTF model (with M voters or one plain head) learns them with MSE (Eq. 1)."""

from xlt.errors import exit_on_user_error
from xlt.io import atomic_path
from xlt.runtime import read_records, record_artifact, start
from xlt.tasks import input_field, labels_of, mean_over_heads
from xlt.train.api import predict_probs, train_soft

log = start(snakemake, "soft_label_step")  # noqa: F821


def voter_widths(model_dir, offsets, n_voters):
    """Intermediate width of voter i = the encoder's hidden size + offset i (None for one plain head)."""
    if n_voters == 1:
        return None
    from transformers import AutoConfig

    hidden = AutoConfig.from_pretrained(model_dir).hidden_size
    return [max(8, hidden + int(o)) for o in list(offsets)[:n_voters]]


@exit_on_user_error
def main(sm):
    p = sm.params
    corpus = read_records(sm.input.corpus, input_field(p.kind))
    teacher = predict_probs(sm.input.teacher, corpus, batch_size=p.inference_batch_size, max_length=p.hp["max_length"])
    soft_labels = mean_over_heads(p.kind, teacher)
    voter_sizes = voter_widths(sm.input.student_init, p.voter_sizes, p.n_voters)
    with atomic_path(sm.output.model) as out:
        metrics = train_soft(sm.input.student_init, corpus, soft_labels, kind=p.kind, labels=labels_of(p.kind),
                             n_voters=p.n_voters, voter_sizes=voter_sizes, out_dir=out, hp=p.hp, seed=p.seed,
                             checkpoint_dir=p.checkpoints)
        record_artifact(out, sm, metrics=metrics, target_texts=len(corpus))
    log.info("soft-label step done on %d target texts: %s", len(corpus), metrics)


main(snakemake)  # noqa: F821
