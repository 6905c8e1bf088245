"""Snakemake script: fine-tune on the source-language (English) labels. A NER model's labels are those of the
entity types its training data has (xlt.tasks.labels_from_records)."""

from xlt.errors import exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.io import atomic_path
from xlt.runtime import read_records, record_artifact, start, training_hp
from xlt.tasks import check_training_labels, input_field, labels_from_records, labels_of
from xlt.train.api import finetune
from xlt.train.jobs import training_runtime

log = start(snakemake, "finetune_source")  # noqa: F821
pin_snakemake_job(snakemake)  # noqa: F821  (one GPU per local job: profiles/workstation)


@exit_on_user_error
def main(sm):
    kind = sm.params.kind
    train = read_records(sm.input.train, input_field(kind))
    check_training_labels(kind, train, labels_of(kind), sm.input.train)
    dev = read_records(sm.input.dev, input_field(kind)) if sm.input.get("dev") else None
    with atomic_path(sm.output.model) as out:
        metrics = finetune(sm.input.base, train, kind=kind, labels=labels_from_records(kind, train), out_dir=out,
                           hp=training_hp(sm.params),
                           seed=sm.params.seed, checkpoint_dir=sm.params.checkpoints, dev_examples=dev,
                           runtime=training_runtime(sm))
        record_artifact(out, sm, metrics=metrics, train_examples=len(train))
    log.info("fine-tuning done: %s", metrics)


main(snakemake)  # noqa: F821
