"""Snakemake script: Bilingual Task Fitting, continued MLM on the language-balanced corpus.

The masked-LM loss on held-out target texts (``input.heldout``, kept out of the corpus) is measured on the base
model and on the BTF model: BTF that does not lower it has not adapted the encoder to the target text, and
says so on the terminal."""

from xlt.errors import exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.io import atomic_path, read_jsonl
from xlt.runtime import alert, read_records, record_artifact, start, texts_of, training_hp
from xlt.train.api import continue_mlm, mlm_loss
from xlt.train.jobs import training_runtime

log = start(snakemake, "bilingual_task_fitting")  # noqa: F821
pin_snakemake_job(snakemake)  # noqa: F821  (one GPU per local job: profiles/workstation)


@exit_on_user_error
def main(sm):
    texts = texts_of(read_records(sm.input.corpus, "text"))
    heldout = texts_of(read_jsonl(sm.input.heldout))
    seed = sm.params.seed
    score = dict(max_length=sm.params.hp["max_length"], seed=seed, mlm_probability=sm.params.hp["mlm_probability"])
    before = mlm_loss(sm.input.base, heldout, **score) if heldout else None
    with atomic_path(sm.output.model) as out:
        metrics = continue_mlm(sm.input.base, texts, out, hp=training_hp(sm.params), seed=seed,
                               checkpoint_dir=sm.params.checkpoints, runtime=training_runtime(sm))
        if heldout:
            after = mlm_loss(out, heldout, **score)
            metrics.update(heldout_target_texts=after["texts"], heldout_target_mlm_loss_before=before["loss"],
                           heldout_target_mlm_loss_after=after["loss"])
            if not after["loss"] < before["loss"]:
                w = sm.wildcards
                alert(f"WARNING btf: {w.task} {w.target} seed{w.seed} btf-{w.corpus}: the held-out target MLM loss "
                      f"did not fall ({before['loss']:.3f} -> {after['loss']:.3f}); BTF did not adapt the encoder")
        record_artifact(out, sm, metrics=metrics, texts=len(texts))
    log.info("BTF done: %s", metrics)


main(snakemake)  # noqa: F821
