"""Snakemake script: label one input file with a variant's final model (rules/predict.smk; see xlt.predict)."""

from xlt.errors import exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.predict import predict_file
from xlt.runtime import start

log = start(snakemake, "predict")  # noqa: F821
pin_snakemake_job(snakemake)  # noqa: F821  (one GPU per local job: profiles/workstation)


@exit_on_user_error
def main(sm):
    done = predict_file(sm.input.model, sm.input.data, sm.output.predictions, batch_size=sm.params.runtime["inference_batch_size"],
                        max_length=sm.params.max_length)
    log.info("%d items (%s) labelled by %s: %s", done["items"], done["input_format"], sm.input.model,
             sm.output.predictions)


main(snakemake)  # noqa: F821
