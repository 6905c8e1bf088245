"""Snakemake script: Bilingual Task Fitting, continued MLM on the language-balanced corpus.

The masked-LM loss on held-out target texts (``input.heldout``, kept out of the corpus) is measured on the base
model and on the BTF model: BTF that does not lower it has not adapted the encoder to the target text; the
``btf_heldout`` guard says so on the terminal and in health.json, which the evaluation carries into the tables
(self_training.guards: warn, stop or off)."""

from xlt.errors import exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.selftrain.health import check_btf_heldout
from xlt.io import atomic_path, read_jsonl, write_json
from xlt.runtime import raise_guards, read_records, record_artifact, start, texts_of, training_hp
from xlt.train.mlm import continue_mlm, mlm_loss
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
        after = mlm_loss(out, heldout, **score) if heldout else None
        if heldout:
            metrics.update(heldout_target_texts=after["texts"], heldout_target_mlm_loss_before=before["loss"],
                           heldout_target_mlm_loss_after=after["loss"])
        w = sm.wildcards
        fired = check_btf_heldout(None if before is None else before["loss"], None if after is None else after["loss"])
        guards = raise_guards(fired, sm.params.guards, f"{w.task} {w.target} seed{w.seed} btf-{w.corpus}")
        record_artifact(out, sm, metrics=metrics, texts=len(texts))
    write_json(sm.output.health, {"step": "btf", "task": w.task, "target": w.target, "seed": int(w.seed),
                                  "corpus": w.corpus, "texts": len(texts),
                                  "heldout_texts": metrics.get("heldout_target_texts", 0),
                                  "heldout_mlm_loss_before": metrics.get("heldout_target_mlm_loss_before"),
                                  "heldout_mlm_loss_after": metrics.get("heldout_target_mlm_loss_after"),
                                  "guards": guards})
    log.info("BTF done: %s", metrics)


main(snakemake)  # noqa: F821
