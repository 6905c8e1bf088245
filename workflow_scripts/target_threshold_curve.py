"""Snakemake script: accuracy and recall against the threshold on the TARGET test set (Figure 2 only).

This curve uses target labels and is never used for training or for choosing alpha; the paper shows it
to argue that the source curve is a good stand-in. A gold tag of a type the model has no label for (one the source
training data lacks; data_stats reports it) counts as O here."""

from xlt.errors import exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.report import write_curve
from xlt.runtime import read_records, start
from xlt.selftrain.pseudo import ner_unit
from xlt.tasks import input_field, model_labels, threshold_curve_of
from xlt.train.inference import predict_probs

log = start(snakemake, "target_threshold_curve")  # noqa: F821
pin_snakemake_job(snakemake)  # noqa: F821  (one GPU per local job: profiles/workstation)


@exit_on_user_error
def main(sm):
    p = sm.params
    test = read_records(sm.input.test, input_field(p.kind))
    probs = predict_probs(sm.input.student, test, batch_size=p.runtime["inference_batch_size"], max_length=p.max_length)
    unit = ner_unit(p.ner_selection) if p.kind == "token" else "sample"
    curve = threshold_curve_of(p.kind, probs, test, p.thresholds, unit=unit, ner_curve=p.ner_curve,
                               labels=model_labels(sm.input.student), unknown="outside")
    write_curve(curve, sm.output.curve)
    log.info("target curve over %d examples written", len(test))


main(snakemake)  # noqa: F821
