"""Snakemake script: Bilingual Task Fitting, continued MLM on the language-balanced corpus."""

from xlt.errors import exit_on_user_error
from xlt.io import atomic_path
from xlt.runtime import read_records, record_artifact, start, texts_of
from xlt.train.api import continue_mlm

log = start(snakemake, "bilingual_task_fitting")  # noqa: F821


@exit_on_user_error
def main(sm):
    texts = texts_of(read_records(sm.input.corpus, "text"))
    with atomic_path(sm.output.model) as out:
        metrics = continue_mlm(sm.input.base, texts, out, hp=sm.params.hp, seed=sm.params.seed,
                               checkpoint_dir=sm.params.checkpoints)
        record_artifact(out, sm, metrics=metrics, texts=len(texts))
    log.info("BTF done: %s", metrics)


main(snakemake)  # noqa: F821
